package local

import (
	"net"
	"strconv"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

const (
	errBadRange   = "invalid port range %d-%d"
	errBadSize    = "a machine needs at least one port, not %d"
	errNoPortsFmt = "no free block of %d ports left in %d-%d"
)

// A PortRange is an inclusive range of ports.
type PortRange struct {
	Start int32
	End   int32
}

func (r PortRange) overlaps(o PortRange) bool {
	return r.Start <= o.End && o.Start <= r.End
}

// allocate returns the first block of size ports within [start, end] that
// overlaps none of taken and whose ports are all free. Blocks are aligned to
// start so that a busy port costs at most one block.
func allocate(start, end, size int32, taken []PortRange, free func(port int32) bool) (PortRange, error) {
	if start < 1 || end > 65535 || start > end {
		return PortRange{}, errors.Errorf(errBadRange, start, end)
	}
	if size < 1 {
		return PortRange{}, errors.Errorf(errBadSize, size)
	}
	for s := start; s+size-1 <= end; s += size {
		b := PortRange{Start: s, End: s + size - 1}
		if isTaken(b, taken) || !allFree(b, free) {
			continue
		}
		return b, nil
	}
	return PortRange{}, errors.Errorf(errNoPortsFmt, size, start, end)
}

func isTaken(b PortRange, taken []PortRange) bool {
	for _, t := range taken {
		if b.overlaps(t) {
			return true
		}
	}
	return false
}

func allFree(b PortRange, free func(port int32) bool) bool {
	for p := b.Start; p <= b.End; p++ {
		if !free(p) {
			return false
		}
	}
	return true
}

// loopbackFree reports whether port can be bound on 127.0.0.1 right now.
func loopbackFree(port int32) bool {
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(int(port))))
	if err != nil {
		return false
	}
	_ = l.Close()
	return true
}
