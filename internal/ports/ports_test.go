package ports

import (
	"net"
	"strconv"
	"testing"
)

func TestFreeHandsOutDistinctBindablePortsBelowTheEphemeralRange(t *testing.T) {
	seen := map[int]bool{}
	for range 200 {
		p, err := Free()
		if err != nil {
			t.Fatal(err)
		}
		if p < lowest || p >= 32768 {
			t.Errorf("Free() = %d: want a port in %d-32767", p, lowest)
		}
		if seen[p] {
			t.Errorf("Free() handed out %d twice", p)
		}
		seen[p] = true
	}
	p, err := Free()
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
	if err != nil {
		t.Fatalf("cannot bind the port Free() returned: %v", err)
	}
	_ = l.Close()
}
