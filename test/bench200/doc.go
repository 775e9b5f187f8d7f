// Package bench200 measures the provider on vCenter's API: 200
// VirtualMachines created on vcsim (govmomi's in-process vCenter) through
// the VirtualMachine controller until all are Ready, then deleted until all
// are gone, counting the API requests vcsim answers. Run it with
// `make bench-200`.
package bench200
