package virtualmachine

import "github.com/dbaas-io/dbaas/internal/controller/machineowner"

// owner is the machine contract's ownership rule, applied to machines.
const owner = machineowner.Noun("machine")
