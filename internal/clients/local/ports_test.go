package local

import (
	"net"
	"testing"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/test"
	"github.com/google/go-cmp/cmp"
)

func TestAllocate(t *testing.T) {
	allFreeFn := func(int32) bool { return true }
	type args struct {
		start, end, size int32
		taken            []PortRange
		free             func(int32) bool
	}
	type want struct {
		r   PortRange
		err error
	}
	cases := map[string]struct {
		reason string
		args   args
		want   want
	}{
		"FirstBlock": {
			reason: "With nothing taken the first block is handed out.",
			args:   args{start: 20000, end: 20099, size: 10, free: allFreeFn},
			want:   want{r: PortRange{Start: 20000, End: 20009}},
		},
		"SkipTaken": {
			reason: "Blocks recorded by other machines are skipped, including partial overlaps.",
			args: args{start: 20000, end: 20099, size: 10, free: allFreeFn,
				taken: []PortRange{{Start: 20000, End: 20009}, {Start: 20015, End: 20015}}},
			want: want{r: PortRange{Start: 20020, End: 20029}},
		},
		"SkipBusy": {
			reason: "A block with a port that cannot be bound is skipped.",
			args: args{start: 20000, end: 20099, size: 10,
				free: func(p int32) bool { return p != 20003 }},
			want: want{r: PortRange{Start: 20010, End: 20019}},
		},
		"Exhausted": {
			reason: "When no whole block fits, allocation fails.",
			args: args{start: 20000, end: 20024, size: 10, free: allFreeFn,
				taken: []PortRange{{Start: 20000, End: 20009}, {Start: 20010, End: 20019}}},
			want: want{err: errors.Errorf(errNoPortsFmt, 10, 20000, 20024)},
		},
		"BadRange": {
			reason: "A reversed range is refused.",
			args:   args{start: 30000, end: 20000, size: 10, free: allFreeFn},
			want:   want{err: errors.Errorf(errBadRange, 30000, 20000)},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := allocate(tc.args.start, tc.args.end, tc.args.size, tc.args.taken, tc.args.free)
			if diff := cmp.Diff(tc.want.err, err, test.EquateErrors()); diff != "" {
				t.Errorf("%s\nallocate(...): -want error, +got error:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.r, got); diff != "" {
				t.Errorf("%s\nallocate(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestLoopbackFree(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := int32(l.Addr().(*net.TCPAddr).Port)
	if loopbackFree(port) {
		t.Errorf("loopbackFree(%d): want false for a port that is listened on", port)
	}
}
