package steps

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/clients/executor"
)

// fakeStep is a step over a flag: done says whether its state holds,
// apply is what Apply does.
func fakeStep(name string, done *bool, apply func() error) Step {
	return Step{
		Name:  name,
		Check: func(context.Context, executor.Executor) (bool, error) { return *done, nil },
		Apply: func(context.Context, executor.Executor) error { return apply() },
	}
}

func TestRun(t *testing.T) {
	errBoom := errors.New("boom")
	type want struct {
		report   Report
		statuses []StepStatus
		err      string
		applied  []string
	}
	cases := map[string]struct {
		steps func(applied *[]string) []Step
		want  want
	}{
		"AppliesOnlyWhatIsNotDone": {
			steps: func(applied *[]string) []Step {
				done, notDone := true, false
				return []Step{
					fakeStep("a", &done, func() error { *applied = append(*applied, "a"); return nil }),
					fakeStep("b", &notDone, func() error { *applied = append(*applied, "b"); notDone = true; return nil }),
				}
			},
			want: want{
				report: Report{Unchanged: []string{"a"}, Changed: []string{"b"}},
				statuses: []StepStatus{
					{Step: "a", State: StateUnchanged},
					{Step: "b", State: StateApplying},
					{Step: "b", State: StateChanged},
				},
				applied: []string{"b"},
			},
		},
		"ApplyFailsAndLaterStepsDoNotRun": {
			steps: func(applied *[]string) []Step {
				done, notDone := true, false
				return []Step{
					fakeStep("a", &done, func() error { return nil }),
					fakeStep("mount data disk", &notDone, func() error { *applied = append(*applied, "mount"); return errBoom }),
					fakeStep("c", &notDone, func() error { *applied = append(*applied, "c"); return nil }),
					fakeStep("d", &done, func() error { return nil }),
				}
			},
			want: want{
				report: Report{Unchanged: []string{"a"}, Failed: "mount data disk", NotRun: []string{"c", "d"}},
				statuses: []StepStatus{
					{Step: "a", State: StateUnchanged},
					{Step: "mount data disk", State: StateApplying},
					{Step: "mount data disk", State: StateFailed},
				},
				err:     `step "mount data disk": cannot apply it: boom`,
				applied: []string{"mount"},
			},
		},
		"CheckFails": {
			steps: func(*[]string) []Step {
				return []Step{{
					Name:  "a",
					Check: func(context.Context, executor.Executor) (bool, error) { return false, errBoom },
					Apply: func(context.Context, executor.Executor) error { t.Error("Apply ran after a failed check"); return nil },
				}}
			},
			want: want{
				report:   Report{Failed: "a"},
				statuses: []StepStatus{{Step: "a", State: StateFailed}},
				err:      `step "a": cannot check whether it is done: boom`,
			},
		},
		"ApplyThatDoesNotConvergeFails": {
			steps: func(applied *[]string) []Step {
				notDone := false
				return []Step{fakeStep("a", &notDone, func() error { *applied = append(*applied, "a"); return nil })}
			},
			want: want{
				report:   Report{Failed: "a"},
				statuses: []StepStatus{{Step: "a", State: StateApplying}, {Step: "a", State: StateFailed}},
				err:      `step "a": applied, but its check still finds it not done`,
				applied:  []string{"a"},
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var applied []string
			var statuses []StepStatus
			r, err := Run(context.Background(), nil, tc.steps(&applied), func(s StepStatus) { statuses = append(statuses, s) })
			got := want{report: r, statuses: statuses, applied: applied}
			if err != nil {
				got.err = err.Error()
				// The failed status carries the same error Run returns.
				if last := statuses[len(statuses)-1]; last.Err == nil || last.Err.Error() != err.Error() {
					t.Errorf("the failed status has error %v, want %v", last.Err, err)
				}
			}
			if strings.Contains(tc.want.err, "boom") && !errors.Is(err, errBoom) {
				t.Errorf("the error does not wrap the cause: %v", err)
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(want{}), cmpopts.IgnoreFields(StepStatus{}, "Err"), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Run(): -want +got:\n%s", diff)
			}
		})
	}
}

func TestRunStopsWhenCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	done := false
	r, err := Run(ctx, nil, []Step{fakeStep("a", &done, func() error { t.Error("a step ran after cancel"); return nil })}, nil)
	if !errors.Is(err, context.Canceled) || r.Failed != "a" {
		t.Errorf("want step a failed with context.Canceled, got %+v, %v", r, err)
	}
}

func TestNothingChanged(t *testing.T) {
	cases := map[string]struct {
		r    Report
		want bool
	}{
		"AllDone":   {r: Report{Unchanged: []string{"a"}}, want: true},
		"Changed":   {r: Report{Unchanged: []string{"a"}, Changed: []string{"b"}}},
		"Failed":    {r: Report{Unchanged: []string{"a"}, Failed: "b"}},
		"NoSteps":   {r: Report{}, want: true},
		"NotRunYet": {r: Report{Failed: "a", NotRun: []string{"b"}}},
	}
	for name, tc := range cases {
		if got := tc.r.NothingChanged(); got != tc.want {
			t.Errorf("%s: NothingChanged() = %v, want %v", name, got, tc.want)
		}
	}
}
