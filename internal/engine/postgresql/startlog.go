package postgresql

import (
	"io"
	"os"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

const (
	errStartLogged = "the server logged: %s"

	// startLogLines is how many of a failed start's log lines an error
	// quotes, the last ones.
	startLogLines = 10
)

// logSize is the size of the server's log before a start, so that a failed
// start quotes only what it logged itself.
func (i *Instance) logSize() int64 {
	fi, err := os.Stat(i.LogFile())
	if err != nil {
		return 0
	}
	return fi.Size()
}

// startError explains a failed start with the lines the server logged
// since from that say why (FATAL, PANIC, "could not"): pg_ctl only says
// "could not start server", while the log names the cause, such as a port
// another program holds or a lock file of another postmaster.
func (i *Instance) startError(err error, from int64) error {
	if err == nil {
		return nil
	}
	f, oerr := os.Open(i.LogFile())
	if oerr != nil {
		return err
	}
	defer f.Close()
	if _, serr := f.Seek(from, io.SeekStart); serr != nil {
		return err
	}
	b, rerr := io.ReadAll(io.LimitReader(f, 1<<20))
	if rerr != nil {
		return err
	}
	var why []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, "FATAL") || strings.Contains(l, "PANIC") || strings.Contains(l, "could not") {
			// The time and PID before the level say nothing here.
			if _, rest, ok := strings.Cut(l, "] "); ok {
				l = rest
			}
			why = append(why, strings.Join(strings.Fields(l), " "))
		}
	}
	if len(why) == 0 {
		return err
	}
	if len(why) > startLogLines {
		why = why[len(why)-startLogLines:]
	}
	return errors.Wrapf(err, errStartLogged, strings.Join(why, "; "))
}
