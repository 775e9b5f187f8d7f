package executor

import (
	"net"
	"os"
	"sync"
	"time"
)

// deadlineConn gives deadlines to a connection that has none: an SSH
// channel's SetDeadline fails ("deadline not supported"), and pgx cancels a
// query whose context ended by setting a deadline in the past. Without
// deadlines a query over the channel to a machine that stopped answering
// waited until TCP gave up, many minutes, holding the reconcile that asked.
// A channel read cannot be interrupted any other way, so a deadline that
// passes closes the connection: the blocked call returns a timeout error
// and the connection is finished, which is what pgx makes of a connection
// whose deadline it used to interrupt a query anyway.
type deadlineConn struct {
	net.Conn

	mu       sync.Mutex
	timer    *time.Timer
	expired  bool
	deadline time.Time
}

func newDeadlineConn(c net.Conn) *deadlineConn { return &deadlineConn{Conn: c} }

// SetDeadline sets the one deadline both directions share; a zero time
// clears it.
func (c *deadlineConn) SetDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.expired {
		return os.ErrDeadlineExceeded
	}
	if c.timer != nil {
		c.timer.Stop()
		c.timer = nil
	}
	c.deadline = t
	if t.IsZero() {
		return nil
	}
	d := time.Until(t)
	if d <= 0 {
		c.expireLocked()
		return nil
	}
	c.timer = time.AfterFunc(d, c.expire)
	return nil
}

// SetReadDeadline and SetWriteDeadline share one deadline: closing the
// channel ends both directions, so they cannot be told apart.
func (c *deadlineConn) SetReadDeadline(t time.Time) error  { return c.SetDeadline(t) }
func (c *deadlineConn) SetWriteDeadline(t time.Time) error { return c.SetDeadline(t) }

func (c *deadlineConn) expire() {
	c.mu.Lock()
	defer c.mu.Unlock()
	// A deadline moved since the timer was set is not this one's.
	if c.deadline.IsZero() || time.Now().Before(c.deadline) {
		return
	}
	c.expireLocked()
}

func (c *deadlineConn) expireLocked() {
	c.expired = true
	_ = c.Conn.Close()
}

// Read and Write report a deadline that closed the connection as a
// timeout, as net.Conn's do.
func (c *deadlineConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	return n, c.timeout(err)
}

func (c *deadlineConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	return n, c.timeout(err)
}

func (c *deadlineConn) timeout(err error) error {
	if err == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.expired {
		return os.ErrDeadlineExceeded
	}
	return err
}

// Close stops a pending deadline's timer with the connection.
func (c *deadlineConn) Close() error {
	c.mu.Lock()
	if c.timer != nil {
		c.timer.Stop()
	}
	c.mu.Unlock()
	return c.Conn.Close()
}
