package docs

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dbaas-io/dbaas/internal/testing/testenv"
)

// The guides, in the order a reader meets them: the application teams'
// Database is applied before the platform team's examples that share its
// namespace.
var guides = []string{"application-teams.md", "platform-teams.md", "dbas.md"}

// TestDocsRun reads the guides and runs what they contain against a real
// API server holding the provider's CRDs (package/crds), Crossplane core's
// CRDs and the CRD core makes of the platform's XRD:
//   - every yaml block is applied (server-side apply, not dry-run), and so
//     are the files of every `kubectl apply -f`;
//   - `kubectl get` lists what it names through kubectl's own resolution
//     (discovery and short names);
//   - every `kubectl dbaas` command is one internal/plugin TestPlugin runs
//     and compares (a testdata/*.golden starting with it), and every
//     console block of it is such a golden file as it is;
//   - every other command is one of ranElsewhere, whose test exists;
//   - a block marked `<!-- fragment of PATH -->` is part of PATH;
//   - a block marked `<!-- not run: why -->` is listed in the log.
//
// No controller runs here (no Crossplane core, provider, function or
// package manager): the objects are accepted and stored as written, which
// is what the API server's schema and CEL say of them. What the controllers
// then make of them is shown by the tests the guides name.
func TestDocsRun(t *testing.T) {
	root := testenv.RepoRoot(t)
	var blocks []block
	for _, g := range guides {
		bs, err := readBlocks(filepath.Join(root, "docs", g))
		if err != nil {
			t.Fatal(err)
		}
		for i := range bs {
			bs[i].file = "docs/" + g
		}
		blocks = append(blocks, bs...)
	}
	if len(blocks) == 0 {
		t.Fatal("the guides hold no blocks: is docs/ there?")
	}

	xrds := t.TempDir()
	testenv.WriteXRDCRD(t, filepath.Join(root, "apis", "platform", "definition.yaml"), xrds)
	env := testenv.Start(t, xrds, filepath.Join(root, ".cache", "crossplane", "crds"))
	r, err := newRunner(t, root, env)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	var notRun []string
	for _, b := range blocks {
		t.Run(b.String(), func(t *testing.T) {
			switch why, ok := strings.CutPrefix(b.marker, "not run:"); {
			case ok:
				notRun = append(notRun, b.String()+": "+strings.TrimSpace(why))
				return
			case strings.HasPrefix(b.marker, "fragment of "):
				checkFragment(t, root, strings.TrimPrefix(b.marker, "fragment of "), b.text)
				return
			case b.marker != "":
				t.Fatalf("unknown marker %q: want \"not run: why\" or \"fragment of PATH\"", b.marker)
			}
			switch {
			case b.lang == "yaml":
				if err := r.apply(ctx, []byte(b.text)); err != nil {
					t.Error(err)
				}
			case b.isConsole():
				r.console(t, b)
			case b.lang == "sh":
				for _, c := range b.commands() {
					r.run(ctx, t, c)
				}
			case b.lang == "":
				// Output shown without its command (an error message, say):
				// nothing to run.
			default:
				t.Errorf("a %q block: the test runs yaml, sh and console blocks only; mark it <!-- not run: why --> if nothing can run it", b.lang)
			}
		})
	}

	t.Run("the server checks what is applied", func(t *testing.T) {
		// That the guides' objects were accepted means something only if
		// the API server refuses what the schema does not allow: the
		// Database the application teams' guide applied may not shrink
		// (CEL against the stored object), and one without a SKU is
		// refused by the XRD's schema.
		cases := []struct{ spec, want string }{
			{"{engine: postgresql, tier: dev, sku: small, storageGB: 5, environment: local}", "storageGB only grows"},
			{"{engine: postgresql, tier: dev, storageGB: 10, environment: local}", "spec.sku: Required value"},
		}
		for _, c := range cases {
			m := "apiVersion: platform.dbaas.io/v1alpha1\nkind: Database\nmetadata: {name: orders, namespace: team-a}\nspec: " + c.spec + "\n"
			if err := r.apply(ctx, []byte(m)); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("applying the guide's orders Database with spec %s: got %v, want an error saying %q", c.spec, err, c.want)
			}
		}
	})

	for _, n := range notRun {
		t.Logf("not run: %s", n)
	}
	var unused []string
	for c := range ranElsewhere {
		if !r.used[c] {
			unused = append(unused, c)
		}
	}
	slices.Sort(unused)
	for _, c := range unused {
		t.Errorf("ranElsewhere lists %q, which no guide shows: remove it", c)
	}
}

// checkFragment fails unless text's lines are lines of the file at path, in
// order and with the same indentation relative to each other.
func checkFragment(t *testing.T, root, path, text string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, path))
	if err != nil {
		t.Fatal(err)
	}
	if !containsIndented(strings.Split(string(b), "\n"), strings.Split(strings.TrimRight(text, "\n"), "\n")) {
		t.Errorf("the block is not a part of %s as it is there: copy it again", path)
	}
}

func indent(l string) int { return len(l) - len(strings.TrimLeft(l, " ")) }

// containsIndented reports whether frag occurs in lines shifted right by
// one amount of spaces.
func containsIndented(lines, frag []string) bool {
	for i := 0; i+len(frag) <= len(lines); i++ {
		shift := indent(lines[i]) - indent(frag[0])
		ok := shift >= 0
		for k := 0; ok && k < len(frag); k++ {
			l, f := lines[i+k], frag[k]
			ok = strings.TrimSpace(l) == strings.TrimSpace(f) && (strings.TrimSpace(f) == "" || indent(l)-indent(f) == shift)
		}
		if ok {
			return true
		}
	}
	return false
}
