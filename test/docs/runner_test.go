package docs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/restmapper"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/dbaas-io/dbaas/internal/testing/testenv"
)

// fieldOwner is who the API server records as having applied the guides'
// objects.
const fieldOwner = "test-docs"

// A runner runs the guides' commands against the test's API server.
type runner struct {
	root    string
	client  client.Client
	dyn     dynamic.Interface
	mapper  meta.RESTMapper
	goldens map[string]string // first line ("$ kubectl dbaas ...") → whole file
	used    map[string]bool   // ranElsewhere's commands the guides show
}

func newRunner(t *testing.T, root string, env *testenv.Env) (*runner, error) {
	dc, err := discovery.NewDiscoveryClientForConfig(env.Config)
	if err != nil {
		return nil, err
	}
	dyn, err := dynamic.NewForConfig(env.Config)
	if err != nil {
		return nil, err
	}
	files, err := filepath.Glob(filepath.Join(root, "internal", "plugin", "testdata", "*.golden"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, errors.New("no internal/plugin/testdata/*.golden: the kubectl dbaas commands have nothing to be checked against")
	}
	goldens := map[string]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		first, _, _ := strings.Cut(string(b), "\n")
		goldens[first] = string(b)
	}
	// kubectl's own resolution of a name: discovery, then short names.
	mapper := restmapper.NewShortcutExpander(restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(dc)), dc, func(w string) { t.Log(w) })
	return &runner{root: root, client: env.Client, dyn: dyn, mapper: mapper, goldens: goldens, used: map[string]bool{}}, nil
}

// run runs one command of a shell block, or finds the test that does.
func (r *runner) run(ctx context.Context, t *testing.T, cmd string) {
	t.Helper()
	args := strings.Fields(cmd)
	switch {
	case len(args) > 2 && args[0] == "kubectl" && args[1] == "apply":
		r.applyFiles(ctx, t, args[2:])
	case len(args) > 2 && args[0] == "kubectl" && args[1] == "get":
		r.get(ctx, t, args[2:])
	case len(args) > 2 && args[0] == "kubectl" && args[1] == "dbaas":
		if _, ok := r.goldens["$ "+cmd]; ok {
			t.Logf("%s: run and compared by internal/plugin TestPlugin", cmd)
			return
		}
		r.elsewhere(t, cmd)
	default:
		r.elsewhere(t, cmd)
	}
}

func (r *runner) elsewhere(t *testing.T, cmd string) {
	t.Helper()
	by, ok := ranElsewhere[cmd]
	if !ok {
		t.Errorf("nothing runs %q: run it in this test, name the test that runs it in ranElsewhere, or mark its block <!-- not run: why -->", cmd)
		return
	}
	r.used[cmd] = true
	if !by.exists(r.root) {
		t.Errorf("%q: %s has no %s", cmd, by.pkg, by.test)
		return
	}
	t.Logf("%s: run by %s %s (%s)", cmd, by.pkg, by.test, by.how)
}

// console checks a block of kubectl dbaas commands and their output: it
// must be what TestPlugin prints, one golden file as it is.
func (r *runner) console(t *testing.T, b block) {
	t.Helper()
	cmds := b.commands()
	if len(cmds) != 1 || !strings.HasPrefix(cmds[0], "kubectl dbaas ") {
		t.Errorf("a console block must show one kubectl dbaas command and its output, as internal/plugin's testdata does; got %q", cmds)
		return
	}
	want, ok := r.goldens["$ "+cmds[0]]
	if !ok {
		t.Errorf("no internal/plugin/testdata/*.golden shows %q: add it to TestPlugin", cmds[0])
		return
	}
	if b.text != want {
		t.Errorf("the output of %q is not what TestPlugin prints: paste its golden file as it is\nwant:\n%s\ngot:\n%s", cmds[0], want, b.text)
	}
}

// applyFiles applies the files kubectl apply's -f flags name; a directory
// stands for its .yaml files, as kubectl reads it without -R.
func (r *runner) applyFiles(ctx context.Context, t *testing.T, args []string) {
	t.Helper()
	var paths []string
	for i := 0; i < len(args); i++ {
		if args[i] != "-f" || i+1 == len(args) {
			t.Errorf("kubectl apply %s: this test reads -f FILE only", strings.Join(args, " "))
			return
		}
		i++
		p := filepath.Join(r.root, args[i])
		fi, err := os.Stat(p)
		if err != nil {
			t.Error(err)
			return
		}
		if fi.IsDir() {
			m, _ := filepath.Glob(filepath.Join(p, "*.yaml"))
			if len(m) == 0 {
				t.Errorf("%s holds no .yaml files", args[i])
			}
			paths = append(paths, m...)
			continue
		}
		paths = append(paths, p)
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Error(err)
			continue
		}
		if err := r.apply(ctx, b); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
}

// apply applies every object of a YAML stream as kubectl apply
// --server-side does, first making the namespaces they name, which the
// guides take as there.
func (r *runner) apply(ctx context.Context, b []byte) error {
	d := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(b), 4096)
	for {
		u := &unstructured.Unstructured{}
		if err := d.Decode(&u.Object); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return err
		}
		if len(u.Object) == 0 {
			continue
		}
		if ns := u.GetNamespace(); ns != "" {
			err := r.client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})
			if err != nil && !apierrors.IsAlreadyExists(err) {
				return err
			}
		}
		if err := r.client.Patch(ctx, u, client.Apply, client.FieldOwner(fieldOwner), client.ForceOwnership); err != nil { //nolint:staticcheck // Unstructured apply is what this needs.
			return fmt.Errorf("cannot apply %s %s: %w", u.GetKind(), client.ObjectKeyFromObject(u), err)
		}
	}
}

// get lists what kubectl get NAME [-n NS | -A] lists, resolving NAME as
// kubectl does.
func (r *runner) get(ctx context.Context, t *testing.T, args []string) {
	t.Helper()
	ns := "default"
	switch {
	case len(args) == 3 && args[1] == "-n":
		ns = args[2]
	case len(args) == 2 && args[1] == "-A":
		ns = ""
	case len(args) != 1:
		t.Errorf("kubectl get %s: this test reads kubectl get NAME [-n NAMESPACE | -A] only", strings.Join(args, " "))
		return
	}
	gvr, err := r.mapper.ResourceFor(schema.GroupVersionResource{Resource: args[0]})
	if err != nil {
		t.Errorf("kubectl get %s: %v", args[0], err)
		return
	}
	l, err := r.dyn.Resource(gvr).Namespace(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Errorf("kubectl get %s: %v", args[0], err)
		return
	}
	if len(l.Items) == 0 {
		t.Errorf("kubectl get %s lists nothing: the guides show it after applying what it lists", strings.Join(args, " "))
	}
	var names []string
	for _, i := range l.Items {
		names = append(names, i.GetName())
	}
	t.Logf("kubectl get %s: %s in %q: %v", strings.Join(args, " "), gvr, ns, names)
}
