package e2e

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/dbaas-io/dbaas/internal/localenv"
)

// TestPackagesInstalledByPackageManager shows how the environment every
// other test here uses was installed: `make package`'s four packages, pushed
// to the environment's TLS registry on loopback and pulled from there by
// Crossplane core's package manager under their published names (an
// ImageConfig rewrites them), each Installed and Healthy with one revision;
// the provider's CRDs, the XRDs and the Compositions are owned by those
// revisions, not applied by hand; the Configurations' dependencies on the
// provider and the function were resolved, with their version constraints,
// against the packages installed under the names the Compositions call, and
// nothing else was installed; the function is called at the endpoint the
// environment reported on the revision the package manager made (no
// hand-made revision). TestDatabaseBecomesWorkingDatabase and the others
// bring Databases to Ready through these packages.
func TestPackagesInstalledByPackageManager(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}

	for _, p := range localenv.Packages {
		t.Run(p.Kind+"/"+p.Name, func(t *testing.T) {
			pkg := get(t, "pkg.crossplane.io/v1", p.Kind, "", p.Name)
			for _, c := range []string{"Installed", "Healthy"} {
				if s := condition(pkg, c); s != "True" {
					t.Errorf("%s is %q, want True", c, s)
				}
			}
			want := map[string]string{
				"currentIdentifier": p.Source() + ":" + localenv.PackageVersion,
				"resolvedPackage":   env.RegistryHost + "/dbaas-io/" + p.Name + ":" + localenv.PackageVersion,
			}
			for f, w := range want {
				if got, _, _ := unstructured.NestedString(pkg.Object, "status", f); got != w {
					t.Errorf("status.%s = %q, want %q", f, got, w)
				}
			}

			revs := &unstructured.UnstructuredList{}
			revs.SetAPIVersion("pkg.crossplane.io/v1")
			revs.SetKind(p.Kind + "RevisionList")
			if err := env.Client.List(ctx, revs, client.MatchingLabels{"pkg.crossplane.io/package": p.Name}); err != nil {
				t.Fatal(err)
			}
			if len(revs.Items) != 1 {
				t.Fatalf("%d revisions, want the one the package manager made", len(revs.Items))
			}
			rev := revs.Items[0]
			if cur, _, _ := unstructured.NestedString(pkg.Object, "status", "currentRevision"); rev.GetName() != cur {
				t.Errorf("revision %s is not the package's current one, %s", rev.GetName(), cur)
			}

			var owned []ownedObject
			switch p.Kind {
			case "Provider":
				for _, crd := range objectsOf(t, filepath.Join(root, "package", "crds", "*.yaml")) {
					owned = append(owned, ownedObject{"apiextensions.k8s.io/v1", "CustomResourceDefinition", crd.GetName()})
				}
			case "Configuration":
				dir := map[string]string{"platform-dbaas": "platform", "platform-dbaas-claims": "platform-claims"}[p.Name]
				for _, o := range objectsOf(t, filepath.Join(root, "apis", dir, "*.yaml")) {
					if o.GetKind() != "Configuration" {
						owned = append(owned, ownedObject{o.GetAPIVersion(), o.GetKind(), o.GetName()})
					}
				}
			case "Function":
				if ep, _, _ := unstructured.NestedString(rev.Object, "status", "endpoint"); ep == "" {
					t.Error("the FunctionRevision has no status.endpoint")
				}
			}
			for _, o := range owned {
				got := get(t, o.apiVersion, o.kind, "", o.name)
				ref := controllerOf(got)
				if ref == nil || ref.Kind != p.Kind+"Revision" || ref.Name != rev.GetName() {
					t.Errorf("%s %s is controlled by %v, want the %sRevision %s", o.kind, o.name, ref, p.Kind, rev.GetName())
				}
			}
		})
	}

	t.Run("Lock", func(t *testing.T) {
		lock := get(t, "pkg.crossplane.io/v1beta1", "Lock", "", "lock")
		entries, _, _ := unstructured.NestedSlice(lock.Object, "packages")
		var sources []string
		for _, e := range entries {
			m, _ := e.(map[string]any)
			src, _ := m["source"].(string)
			sources = append(sources, src)
			if m["kind"] != "Configuration" {
				continue
			}
			var deps []string
			ds, _ := m["dependencies"].([]any)
			for _, d := range ds {
				dm, _ := d.(map[string]any)
				deps = append(deps, dm["type"].(string)+" "+dm["package"].(string)+" "+dm["constraints"].(string))
			}
			slices.Sort(deps)
			want := []string{
				"Function " + localenv.Packages[1].Source() + " >=v0.1.0",
				"Provider " + localenv.Packages[0].Source() + " >=v0.1.0",
			}
			if !slices.Equal(deps, want) {
				t.Errorf("%s depends on %v, want %v", src, deps, want)
			}
		}
		slices.Sort(sources)
		var want []string
		for _, p := range localenv.Packages {
			want = append(want, p.Source())
		}
		slices.Sort(want)
		if !slices.Equal(sources, want) {
			t.Errorf("the lock holds %v, want exactly %v (a dependency installed twice?)", sources, want)
		}
	})
}

type ownedObject struct{ apiVersion, kind, name string }

func get(t *testing.T, apiVersion, kind, ns, name string) *unstructured.Unstructured {
	t.Helper()
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(schema.FromAPIVersionAndKind(apiVersion, kind))
	if err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, u); err != nil {
		t.Fatalf("get %s %s: %v", kind, name, err)
	}
	return u
}

func condition(u *unstructured.Unstructured, typ string) string {
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] == typ {
			s, _ := m["status"].(string)
			return s
		}
	}
	return ""
}

// objectsOf reads every object of the YAML files glob matches.
func objectsOf(t *testing.T, glob string) []*unstructured.Unstructured {
	t.Helper()
	files, err := filepath.Glob(glob)
	if err != nil || len(files) == 0 {
		t.Fatalf("nothing matches %s (%v)", glob, err)
	}
	var out []*unstructured.Unstructured
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal(b, &u.Object); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out = append(out, u)
	}
	return out
}
