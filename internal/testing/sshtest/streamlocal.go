package sshtest

import (
	"io"
	"net"

	"golang.org/x/crypto/ssh"
)

// streamLocalChannel is the channel OpenSSH opens for a client's
// connection to a unix socket on the server (PROTOCOL, section 2.4), what
// x/crypto/ssh's Client.Dial("unix", path) asks for.
const streamLocalChannel = "direct-streamlocal@openssh.com"

// streamLocalOpen is the channel's extra data: the socket's path and two
// fields OpenSSH reserves.
type streamLocalOpen struct {
	SocketPath string
	Reserved0  string
	Reserved1  uint32
}

// streamLocal connects the channel to the unix socket it names, as sshd
// does when AllowStreamLocalForwarding is yes (its default). The socket is
// dialled as the test's own user even after RunAs: a goroutine cannot take
// another user's IDs. What a login user that is not root may reach is
// shown against a real sshd (executor's TestDialUnixAsLoginUser).
func (s *Server) streamLocal(nch ssh.NewChannel) {
	defer s.wg.Done()
	var m streamLocalOpen
	if err := ssh.Unmarshal(nch.ExtraData(), &m); err != nil {
		_ = nch.Reject(ssh.ConnectionFailed, "malformed direct-streamlocal request")
		return
	}
	var d net.Dialer
	uc, err := d.DialContext(s.ctx, "unix", m.SocketPath)
	if err != nil {
		// sshd refuses the channel this way, with its own text.
		_ = nch.Reject(ssh.ConnectionFailed, "open failed")
		return
	}
	ch, reqs, err := nch.Accept()
	if err != nil {
		_ = uc.Close()
		return
	}
	go ssh.DiscardRequests(reqs)
	// Whichever side ends first ends both, as a stopped server does: the
	// provider's clients (pgx) never half-close a connection, so nothing
	// waits for a reply after its own end.
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(uc, ch); done <- struct{}{} }()
	go func() { _, _ = io.Copy(ch, uc); done <- struct{}{} }()
	running := 2
	select {
	case <-done:
		running--
	case <-s.ctx.Done():
	}
	_ = uc.Close()
	_ = ch.Close()
	for ; running > 0; running-- {
		<-done
	}
}
