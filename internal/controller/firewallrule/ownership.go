package firewallrule

import "github.com/dbaas-io/dbaas/internal/controller/machineowner"

// owner is the machine contract's ownership rule, applied to firewall rules.
const owner = machineowner.Noun("firewall rule")
