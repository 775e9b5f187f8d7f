package sshtest

import (
	"context"
	"io"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"golang.org/x/crypto/ssh"
)

// signals maps SSH signal names to this host's signals, both ways.
var signals = map[ssh.Signal]syscall.Signal{
	ssh.SIGHUP:  syscall.SIGHUP,
	ssh.SIGINT:  syscall.SIGINT,
	ssh.SIGQUIT: syscall.SIGQUIT,
	ssh.SIGABRT: syscall.SIGABRT,
	ssh.SIGKILL: syscall.SIGKILL,
	ssh.SIGSEGV: syscall.SIGSEGV,
	ssh.SIGPIPE: syscall.SIGPIPE,
	ssh.SIGTERM: syscall.SIGTERM,
	ssh.SIGUSR1: syscall.SIGUSR1,
	ssh.SIGUSR2: syscall.SIGUSR2,
}

// session serves one session: it waits for an exec request and runs it.
// Shells, PTYs and subsystems are refused: the provider only runs commands.
func (s *Server) session(ch ssh.Channel, reqs <-chan *ssh.Request) {
	defer s.wg.Done()
	defer ch.Close()
	for req := range reqs {
		if req.Type != "exec" {
			if req.WantReply {
				_ = req.Reply(false, nil)
			}
			continue
		}
		var p struct{ Command string }
		if err := ssh.Unmarshal(req.Payload, &p); err != nil {
			_ = req.Reply(false, nil)
			continue
		}
		_ = req.Reply(true, nil)
		s.exec(ch, reqs, p.Command)
		return
	}
}

// exec runs command with sh -c, wired to the channel, and reports how it
// ended as sshd does: exit-status, or exit-signal when it was killed.
func (s *Server) exec(ch ssh.Channel, reqs <-chan *ssh.Request, command string) {
	ctx, cancel := context.WithCancel(s.ctx)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", "-c", command)
	cmd.Stdout, cmd.Stderr = ch, ch.Stderr()
	cmd.Env = s.environ()
	// A daemon started by the command may hold the output open; do not wait
	// for it.
	cmd.WaitDelay = 2 * time.Second
	// When the client goes away or the test ends, kill everything the
	// command started, so no process outlives the test.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: s.credential()}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	stdin, err := cmd.StdinPipe()
	if err == nil {
		err = cmd.Start()
	}
	if err != nil {
		_, _ = io.WriteString(ch.Stderr(), "sshtest: cannot start the command: "+err.Error()+"\n")
		sendExitStatus(ch, 127)
		return
	}
	go func() {
		_, _ = io.Copy(stdin, ch)
		_ = stdin.Close()
	}()
	go s.signals(cmd, reqs, cancel)
	_ = cmd.Wait()

	ws, _ := cmd.ProcessState.Sys().(syscall.WaitStatus)
	if ws.Signaled() {
		sendExitSignal(ch, ws.Signal())
	} else {
		sendExitStatus(ch, cmd.ProcessState.ExitCode())
	}
	_ = ch.CloseWrite()
}

// signals delivers signal requests to the command, and kills it when the
// client closes the session, as sshd hangs up on a command whose client
// went away.
func (s *Server) signals(cmd *exec.Cmd, reqs <-chan *ssh.Request, kill context.CancelFunc) {
	for req := range reqs {
		var p struct{ Signal string }
		if req.Type == "signal" && ssh.Unmarshal(req.Payload, &p) == nil {
			if sig, ok := signals[ssh.Signal(p.Signal)]; ok {
				_ = cmd.Process.Signal(sig)
			}
		}
		if req.WantReply {
			_ = req.Reply(false, nil)
		}
	}
	kill()
}

func sendExitStatus(ch ssh.Channel, code int) {
	_, _ = ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{uint32(code)}))
}

func sendExitSignal(ch ssh.Channel, sig syscall.Signal) {
	name := ""
	for n, s := range signals {
		if s == sig {
			name = string(n)
		}
	}
	if name == "" {
		name = strings.TrimPrefix(strings.ToUpper(sig.String()), "SIG")
	}
	_, _ = ch.SendRequest("exit-signal", false, ssh.Marshal(struct {
		Signal     string
		CoreDumped bool
		Error      string
		Lang       string
	}{Signal: name}))
}
