package databaseinstance

import (
	"net"

	"github.com/dbaas-io/dbaas/internal/engine/pgvm"
)

const (
	hbaAll      = "all"
	hbaSCRAM    = "scram-sha-256"
	hbaReject   = "reject"
	hbaHostSSL  = "hostssl"
	hbaHost     = "host"
	anyIPv4     = "0.0.0.0/0"
	anyIPv6     = "::/0"
	loopbackNet = "127.0.0.0/8"
)

// playHBA are the pg_hba.conf rules of a server the play makes, after the
// play's own first rule (the OS user as the superuser over the unix socket,
// peer). Nothing comes in over TCP without TLS: every TCP rule is hostssl,
// so a plain connection finds no rule and is refused. The superuser (the
// account the provider administers the server with) comes in over TCP only
// from the provider's address, with TLS and its password; from anywhere
// else it is rejected before any rule for applications can match it.
// Applications come in with TLS and their password from anywhere the
// machine listens to: on a VM every address, on the local backend, whose
// machines listen on loopback, the loopback network.
//
// providerIP is where the machine sees the provider come from; when it is
// unknown the superuser has no way in over TCP at all.
func playHBA(localBackend bool, address, providerIP string) []pgvm.HBARule {
	var rules []pgvm.HBARule
	if ip := net.ParseIP(providerIP); ip != nil {
		bits := "/32"
		if ip.To4() == nil {
			bits = "/128"
		}
		rules = append(rules, pgvm.HBARule{Type: hbaHostSSL, Database: hbaAll, User: playSuperuser, Address: ip.String() + bits, Method: hbaSCRAM})
	}
	rules = append(rules, pgvm.HBARule{Type: hbaHost, Database: hbaAll, User: playSuperuser, Address: hbaAll, Method: hbaReject})
	apps := []string{anyIPv4, anyIPv6}
	if localBackend {
		apps = []string{loopbackNet}
		if ip := net.ParseIP(address); ip != nil && !ip.IsLoopback() {
			apps = append(apps, address+"/32")
		}
	}
	for _, a := range apps {
		rules = append(rules, pgvm.HBARule{Type: hbaHostSSL, Database: hbaAll, User: hbaAll, Address: a, Method: hbaSCRAM})
	}
	return rules
}
