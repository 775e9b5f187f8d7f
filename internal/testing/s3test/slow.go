package s3test

import (
	"io"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Slow starts a TCP proxy on Host in front of the store that holds every
// chunk the store sends for stall before passing it on: a store that
// answers, but slowly (a far region, a loaded gateway). TLS passes through
// it, so clients reach it by Endpoint on the port it returns. It stops when
// the test ends. held counts the chunks it held, so that a test can tell
// that its client went through it.
func (s *Server) Slow(t testing.TB, stall time.Duration) (port int, held func() int64) {
	t.Helper()
	l, err := net.Listen("tcp", s.Host+":0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		count atomic.Int64
		mu    sync.Mutex
		conns []net.Conn
		wg    sync.WaitGroup
	)
	track := func(c net.Conn) {
		mu.Lock()
		defer mu.Unlock()
		conns = append(conns, c)
	}
	t.Cleanup(func() {
		_ = l.Close()
		mu.Lock()
		for _, c := range conns {
			_ = c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			client, err := l.Accept()
			if err != nil {
				return
			}
			server, err := net.Dial("tcp", net.JoinHostPort(s.Host, strconv.Itoa(s.Port)))
			if err != nil {
				_ = client.Close()
				continue
			}
			track(client)
			track(server)
			wg.Add(2)
			go func() {
				defer wg.Done()
				_, _ = io.Copy(server, client)
				_ = server.Close()
			}()
			go func() {
				defer wg.Done()
				defer client.Close()
				buf := make([]byte, 32<<10)
				for {
					n, err := server.Read(buf)
					if n > 0 {
						count.Add(1)
						time.Sleep(stall)
						if _, werr := client.Write(buf[:n]); werr != nil {
							return
						}
					}
					if err != nil {
						return
					}
				}
			}()
		}
	}()
	return l.Addr().(*net.TCPAddr).Port, count.Load
}
