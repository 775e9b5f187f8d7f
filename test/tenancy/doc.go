// Package tenancy tests the boundaries between namespaces end to end, against
// a real API server and real engines: what a namespace's ProviderConfig may
// read and reach, and which names may become paths on the provider's host.
// Each test tries to cross a boundary, checks that the attempt is refused with
// a condition that says why, and then that nothing of the other namespace
// changed.
package tenancy
