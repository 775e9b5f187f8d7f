// Package proccpu reads the CPU time of processes from Linux's /proc, for
// benchmarks that report what the servers they drive spent (a postmaster
// and its backends, say) beside what the benchmark itself spent.
package proccpu

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

const (
	errRead  = "cannot read /proc/%d/stat"
	errParse = "cannot parse /proc/%d/stat"

	// ClockTick is the unit of /proc/<pid>/stat's CPU times, USER_HZ,
	// which is 100 on every Linux architecture Go supports; reading it
	// with sysconf would take cgo.
	ClockTick = 10 * time.Millisecond
)

// A Stat is what the benchmarks read of /proc/<pid>/stat.
type Stat struct {
	PPID int
	// Self is the process's own user and system CPU time; Children is
	// that of its children that have ended and been waited for.
	Self, Children time.Duration
}

// Read reads the process pid's Stat.
func Read(pid int) (Stat, error) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return Stat{}, errors.Wrapf(err, errRead, pid)
	}
	s, ok := Parse(string(b))
	if !ok {
		return Stat{}, errors.Errorf(errParse, pid)
	}
	return s, nil
}

// Parse parses a /proc/<pid>/stat line (proc(5)); it reports false for a
// line it cannot read.
func Parse(line string) (Stat, bool) {
	// The command name, field 2, is in parentheses and may itself hold
	// spaces and parentheses; the fields after the last ')' start at
	// state (field 3).
	i := strings.LastIndexByte(line, ')')
	if i < 0 {
		return Stat{}, false
	}
	f := strings.Fields(line[i+1:])
	if len(f) < 15 {
		return Stat{}, false
	}
	field := func(n int) (int64, bool) {
		v, err := strconv.ParseInt(f[n-3], 10, 64)
		return v, err == nil
	}
	var v [5]int64
	for k, n := range []int{4, 14, 15, 16, 17} { // ppid, utime, stime, cutime, cstime
		var ok bool
		if v[k], ok = field(n); !ok {
			return Stat{}, false
		}
	}
	return Stat{
		PPID:     int(v[0]),
		Self:     time.Duration(v[1]+v[2]) * ClockTick,
		Children: time.Duration(v[3]+v[4]) * ClockTick,
	}, true
}

// FamilyCPU is the CPU time of the process parent (a PostgreSQL
// postmaster, say) and of every child it has started: the running ones,
// those that have ended but not yet been waited for (zombies, whose times
// remain), and those it has waited for, which its own children's times
// hold. A child waited for between the two reads is missed, at most one
// child's worth.
func FamilyCPU(parent int) (time.Duration, error) {
	s, err := Read(parent)
	if err != nil {
		return 0, err
	}
	total := s.Self + s.Children
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if c, err := Read(pid); err == nil && c.PPID == parent {
			total += c.Self
		}
	}
	return total, nil
}
