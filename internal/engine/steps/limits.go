package steps

import (
	"fmt"
)

// Limits makes sure user may open nofile files, in the PAM limits drop-in
// dropInPath (such as /etc/security/limits.d/dbaas-postgres.conf). PAM
// limits cover sessions such as runuser; services started by systemd take
// theirs from the unit's LimitNOFILE instead.
func Limits(user string, nofile int, dropInPath string) Step {
	content := fmt.Sprintf("# Written by the dbaas provider; local edits are overwritten.\n%[1]s soft nofile %[2]d\n%[1]s hard nofile %[2]d\n", user, nofile)
	return fileStep("limits for "+user, dropInPath, []byte(content), 0o644)
}
