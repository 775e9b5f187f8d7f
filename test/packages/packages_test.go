package packages

import (
	"archive/tar"
	"bytes"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"

	"github.com/dbaas-io/dbaas/internal/testing/integration"
	"github.com/dbaas-io/dbaas/internal/testing/testenv"
)

// xpkgLabel prefixes the config labels that say which layer holds what.
const xpkgLabel = "io.crossplane.xpkg:"

// A built package as the package manager sees it.
type built struct {
	// objects of package.yaml, the metadata first.
	objects []*unstructured.Unstructured
	// examples of the examples layer.
	examples []*unstructured.Unstructured
}

func TestPackages(t *testing.T) {
	integration.Needs(t, "crank from .cache/bin (make build)")
	root := testenv.RepoRoot(t)
	out := t.TempDir()
	cmd := exec.Command("make", "-s", "package", "PACKAGE_DIR="+out)
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make package: %v\n%s", err, b)
	}

	cases := map[string]struct {
		file     string
		kind     string
		name     string
		objects  []string // kind/name of every object after the metadata
		examples string   // a kind the examples must hold
		depends  []string
	}{
		"Provider": {
			file: "provider-dbaas.xpkg", kind: "Provider", name: "provider-dbaas",
			objects:  objectsIn(t, filepath.Join(root, "package", "crds", "*.yaml")),
			examples: "VirtualMachine",
		},
		"Function": {
			file: "function-dbaas.xpkg", kind: "Function", name: "function-dbaas",
			objects:  objectsIn(t, filepath.Join(root, "functions", "dbaas", "package", "input", "*.yaml")),
			examples: "Composition",
		},
		"Configuration": {
			file: "platform-dbaas.xpkg", kind: "Configuration", name: "platform-dbaas",
			objects:  objectsIn(t, filepath.Join(root, "apis", "platform", "*.yaml")),
			examples: "Database",
			depends:  []string{"ghcr.io/dbaas-io/function-dbaas", "ghcr.io/dbaas-io/provider-dbaas"},
		},
		"ClaimsConfiguration": {
			file: "platform-dbaas-claims.xpkg", kind: "Configuration", name: "platform-dbaas-claims",
			objects:  objectsIn(t, filepath.Join(root, "apis", "platform-claims", "*.yaml")),
			examples: "DatabaseClaim",
			depends:  []string{"ghcr.io/dbaas-io/function-dbaas", "ghcr.io/dbaas-io/provider-dbaas"},
		},
	}
	// The README's publishing command, run against a registry over TLS.
	pushed := pushWithCrank(t, root, out)
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if want, got := layers(t, tarballImage(t, filepath.Join(out, tc.file))), pushed[tc.file]; !slices.Equal(got, want) {
				t.Errorf("crank xpkg push: the registry serves layers %v, want the package's %v", got, want)
			}
			p := read(t, filepath.Join(out, tc.file))
			if len(p.objects) == 0 {
				t.Fatal("package.yaml holds nothing")
			}
			meta := p.objects[0]
			if meta.GetAPIVersion() != "meta.pkg.crossplane.io/v1" || meta.GetKind() != tc.kind || meta.GetName() != tc.name {
				t.Errorf("metadata: want meta.pkg.crossplane.io/v1 %s %s, got %s %s %s", tc.kind, tc.name, meta.GetAPIVersion(), meta.GetKind(), meta.GetName())
			}
			var got []string
			for _, o := range p.objects[1:] {
				got = append(got, o.GetKind()+"/"+o.GetName())
			}
			slices.Sort(got)
			want := slices.Sorted(slices.Values(tc.objects))
			if !slices.Equal(got, want) {
				t.Errorf("objects after the metadata:\n got %v\nwant %v", got, want)
			}
			if !slices.ContainsFunc(p.examples, func(o *unstructured.Unstructured) bool { return o.GetKind() == tc.examples }) {
				t.Errorf("examples hold no %s (%d examples)", tc.examples, len(p.examples))
			}
			deps, _, _ := unstructured.NestedSlice(meta.Object, "spec", "dependsOn")
			var names []string
			for _, d := range deps {
				m, _ := d.(map[string]any)
				for _, k := range []string{"provider", "function", "configuration"} {
					if s, ok := m[k].(string); ok {
						names = append(names, s)
					}
				}
			}
			slices.Sort(names)
			if !slices.Equal(names, tc.depends) {
				t.Errorf("dependsOn: got %v, want %v", names, tc.depends)
			}
		})
	}
}

// read opens a package file as an image and decodes its two layers.
func read(t *testing.T, path string) built {
	t.Helper()
	img, err := tarball.ImageFromPath(path, nil)
	if err != nil {
		t.Fatalf("%s is not an image: %v", path, err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	var p built
	found := map[string]bool{}
	for label, role := range cfg.Config.Labels {
		digest, ok := strings.CutPrefix(label, xpkgLabel)
		if !ok {
			continue
		}
		h, err := v1.NewHash(digest)
		if err != nil {
			t.Fatalf("label %s: %v", label, err)
		}
		switch role {
		case "base":
			p.objects = decode(t, file(t, img, h, "package.yaml"))
		case "upbound":
			p.examples = decode(t, file(t, img, h, ".up/examples.yaml"))
		}
		found[role] = true
	}
	if !found["base"] || !found["upbound"] {
		t.Fatalf("%s: want layers labelled base and upbound, got labels %v", path, cfg.Config.Labels)
	}
	return p
}

// file is one file of an image's layer.
func file(t *testing.T, img v1.Image, h v1.Hash, name string) []byte {
	t.Helper()
	l, err := img.LayerByDigest(h)
	if err != nil {
		t.Fatalf("layer %s: %v", h, err)
	}
	rc, err := l.Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		hd, err := tr.Next()
		if errors.Is(err, io.EOF) {
			t.Fatalf("layer %s has no %s", h, name)
		}
		if err != nil {
			t.Fatal(err)
		}
		if hd.Name == name {
			b, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
	}
}

// decode reads a stream of YAML documents as objects.
func decode(t *testing.T, b []byte) []*unstructured.Unstructured {
	t.Helper()
	d := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(b), 4096)
	var out []*unstructured.Unstructured
	for {
		o := &unstructured.Unstructured{}
		err := d.Decode(&o.Object)
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(o.Object) > 0 {
			out = append(out, o)
		}
	}
}

// objectsIn is "<kind>/<name>" of every object in the files glob matches
// but the package metadata (crossplane.yaml): what package.yaml must hold.
func objectsIn(t *testing.T, glob string) []string {
	t.Helper()
	files, err := filepath.Glob(glob)
	if err != nil || len(files) == 0 {
		t.Fatalf("nothing matches %s (%v)", glob, err)
	}
	var out []string
	for _, f := range files {
		if filepath.Base(f) == "crossplane.yaml" {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range decode(t, b) {
			out = append(out, o.GetKind()+"/"+o.GetName())
		}
	}
	return out
}

// pushWithCrank pushes every package of dir the way the README says to
// publish them, `crank xpkg push --package-files=<file> <registry>/<repo>:<tag>`,
// to go-containerregistry's registry served over TLS (crank trusts its
// certificate through SSL_CERT_FILE), and returns the digest the registry
// then serves for each file's tag.
func pushWithCrank(t *testing.T, root, dir string) map[string][]string {
	t.Helper()
	quiet := log.New(io.Discard, "", 0)
	srv := httptest.NewUnstartedServer(registry.New(registry.Logger(quiet)))
	// crank tries plain HTTP beside HTTPS on a loopback registry; the
	// handshakes that fail then are expected, not worth a line each.
	srv.Config.ErrorLog = quiet
	srv.StartTLS()
	t.Cleanup(srv.Close)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	host := strings.TrimPrefix(srv.URL, "https://")
	files, err := filepath.Glob(filepath.Join(dir, "*.xpkg"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no packages in %s (%v)", dir, err)
	}
	out := map[string][]string{}
	for _, f := range files {
		tag := host + "/dbaas-io/" + strings.TrimSuffix(filepath.Base(f), ".xpkg") + ":v0.1.0"
		cmd := exec.Command(filepath.Join(root, ".cache", "bin", "crank"), "xpkg", "push", "--package-files="+f, tag)
		cmd.Env = append(os.Environ(), "SSL_CERT_FILE="+ca, "HOME="+t.TempDir())
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("crank xpkg push %s: %v\n%s", tag, err, b)
		}
		ref, err := name.ParseReference(tag)
		if err != nil {
			t.Fatal(err)
		}
		img, err := remote.Image(ref, remote.WithTransport(srv.Client().Transport))
		if err != nil {
			t.Fatalf("%s is not in the registry: %v", tag, err)
		}
		out[filepath.Base(f)] = layers(t, img)
	}
	return out
}

// layers are the digests of an image's uncompressed layers: the same
// contents whatever compression or manifest a push chose.
func layers(t *testing.T, img v1.Image) []string {
	t.Helper()
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, h := range cfg.RootFS.DiffIDs {
		out = append(out, h.String())
	}
	return out
}

func tarballImage(t *testing.T, path string) v1.Image {
	t.Helper()
	img, err := tarball.ImageFromPath(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	return img
}
