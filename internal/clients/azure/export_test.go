package azure

import "github.com/dbaas-io/dbaas/internal/clients/machine"

// Forget drops what this process remembers of where id was made, as a
// restarted provider would have it.
func Forget(b *Backend, id machine.ID) { places.Delete(key(b.sub, id)) }
