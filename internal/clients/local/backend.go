package local

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"syscall"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	apisv1alpha1 "github.com/dbaas-io/dbaas/apis/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/machine"
	"github.com/dbaas-io/dbaas/internal/clients/ownership"
	"github.com/dbaas-io/dbaas/internal/clients/safepath"
)

const (
	errNoBaseDir    = "the local backend needs a base directory: set spec.local.baseDir or the provider's --local-dir"
	errNotLocal     = "provider config backend %q is not the local backend"
	errMkdir        = "cannot create machine directory"
	errReadMachine  = "cannot read machine.json"
	errWriteMachine = "cannot write machine.json"
	errNotMachine   = "directory %s exists and is not a machine this provider made (it has no machine.json): choose another name"
	errLock         = "cannot lock the base directory"
	errListMachines = "cannot list machines"
	errDisk         = "cannot size disk"
	errShrink       = "disk %q cannot shrink from %d GiB to %d GiB"
	errNotExist     = "machine %s/%s does not exist"
	errRemove       = "cannot remove machine directory"
	errStopEngines  = "cannot stop engines on the machine"
	errID           = "cannot generate a machine id"
	errBadID        = "machine %s/%s cannot be a local machine; its namespace and external name must be DNS-1123 names"

	machineFile = "machine.json"
	lockFile    = ".lock"
	disksDir    = "disks"
	gib         = int64(1) << 30

	// Defaults of the provider config when it has no local block.
	defaultPortRangeStart = 20000
	defaultPortRangeEnd   = 29999
	defaultPorts          = 10

	// dirMode lets the unprivileged user that engines run as (postgres)
	// traverse down to the engines' own directories.
	dirMode = 0o755
)

// allocMu serialises port allocation within this process; a flock on the
// base directory's lock file serialises it between processes.
var allocMu sync.Mutex

// Backend is the local machine backend rooted at a base directory. Its
// machines all live on loopback, so it has no firewall: rules are
// recorded, reported as not enforced, and change nothing.
type Backend struct {
	baseDir   string
	portStart int32
	portEnd   int32
	free      func(port int32) bool
	// net, when set, makes each machine a host with a network of its own.
	net *network
}

var _ machine.Backend = &Backend{}

// New returns a backend keeping machines below baseDir and handing out ports
// from [portStart, portEnd].
func New(baseDir string, portStart, portEnd int32) *Backend {
	return &Backend{baseDir: filepath.Clean(baseDir), portStart: portStart, portEnd: portEnd, free: loopbackFree}
}

// FromConfig returns the backend a provider config describes. defaultDir is
// used when the config names no base directory.
func FromConfig(pc *apisv1alpha1.ProviderConfigSpec, defaultDir string) (*Backend, error) {
	if pc.Backend != apisv1alpha1.BackendLocal {
		return nil, errors.Errorf(errNotLocal, pc.Backend)
	}
	dir, start, end := defaultDir, int32(defaultPortRangeStart), int32(defaultPortRangeEnd)
	if l := pc.Local; l != nil {
		if l.BaseDir != "" {
			dir = l.BaseDir
		}
		if l.PortRangeStart != 0 {
			start = l.PortRangeStart
		}
		if l.PortRangeEnd != 0 {
			end = l.PortRangeEnd
		}
	}
	if dir == "" {
		return nil, errors.New(errNoBaseDir)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, errors.Wrap(err, errMkdir)
	}
	b := New(abs, start, end)
	if l := pc.Local; l != nil && l.Network != nil {
		if b.net, err = newNetwork(l.Network); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// Hosts reports whether the backend makes each machine a host with a
// network of its own (spec.local.network).
func (b *Backend) Hosts() bool { return b.net != nil }

// SetHostLogin sets what the hosts' sshd lets in, the provider's public key
// in authorized_keys form, and the port it listens on (22 when 0). The
// caller reads both from the provider config's ssh block.
func (b *Backend) SetHostLogin(authorizedKey []byte, port int32) {
	if b.net == nil {
		return
	}
	b.net.authorizedKeys = authorizedKey
	if port != 0 {
		b.net.sshPort = int(port)
	}
}

// SetHostLoginError says why the provider's key could not be read: making
// or starting a host fails with it, while powering off and deleting, which
// need no key, go on.
func (b *Backend) SetHostLoginError(err error) {
	if b.net != nil {
		b.net.loginErr = err
	}
}

// WorkDir is the directory of machine id. The namespace and the name are
// tenants' words and the provider runs as root, so each must be one plain
// name and the directory must be below the base directory: "../team-b/vm"
// or "../../.." is an error, never a path.
func (b *Backend) WorkDir(id machine.ID) (string, error) {
	dir, err := safepath.Join(b.baseDir, id.Namespace, id.Name)
	return dir, errors.Wrapf(err, errBadID, id.Namespace, id.Name)
}

// Observe returns the machine, or nil when it does not exist. A host
// whose sshd does not run while it is on (the provider's host rebooted, or
// someone killed it) is brought back, as a VM's sshd starts at boot.
func (b *Backend) Observe(ctx context.Context, id machine.ID) (*machine.Machine, error) {
	dir, err := b.WorkDir(id)
	if err != nil {
		return nil, err
	}
	r, err := readMachine(dir)
	if err != nil || r == nil {
		return r.observed(), err
	}
	if b.net != nil && r.Netns != "" && r.PowerState == machine.PowerOn && !b.net.sshdRunning(r) {
		if err := b.net.ensureHost(ctx, r); err != nil {
			return nil, err
		}
	}
	return r.observed(), nil
}

// Create makes the machine with a port block of its own. Creating a machine
// that exists returns it unchanged.
func (b *Backend) Create(ctx context.Context, id machine.ID, s machine.Spec) (*machine.Machine, error) {
	unlock, err := b.lock()
	if err != nil {
		return nil, err
	}
	defer unlock()

	dir, err := b.WorkDir(id)
	if err != nil {
		return nil, err
	}
	if r, err := readMachine(dir); err != nil || r != nil {
		return r.observed(), err
	}
	// A directory of the name without machine.json was not made by this
	// backend, unless it is a create cut short (at most an empty disks
	// directory): it is never taken over, or its files would be deleted
	// with the machine.
	if err := checkUnused(dir); err != nil {
		return nil, err
	}
	taken, err := b.takenPorts(dir)
	if err != nil {
		return nil, err
	}
	var size int32
	if s.Local != nil {
		size = s.Local.Ports
	}
	if size == 0 {
		size = defaultPorts
	}
	ports, err := allocate(b.portStart, b.portEnd, size, taken, b.free)
	if err != nil {
		return nil, err
	}
	idb := make([]byte, 8)
	if _, err := rand.Read(idb); err != nil {
		return nil, errors.Wrap(err, errID)
	}
	for _, d := range []string{filepath.Join(b.baseDir, id.Namespace), dir, filepath.Join(dir, disksDir)} {
		if err := mkdirShared(d); err != nil {
			return nil, err
		}
	}
	m := &record{ID: "local-" + hex.EncodeToString(idb), PortRangeStart: ports.Start, PortRangeEnd: ports.End, PowerState: machine.PowerOn, WorkDir: dir, Owner: marker(s.Owner)}
	if b.net != nil {
		// The address is chosen under the lock and recorded before the host
		// is made, so that it is the machine's for its life.
		taken, err := b.takenAddresses(dir)
		if err != nil {
			return nil, err
		}
		a, err := b.net.freeAddress(taken)
		if err != nil {
			return nil, err
		}
		m.Address, m.Netns = a.String(), namespaceOf(dir)
	}
	// The record, with its owner, comes before the disks: a create cut
	// short after this point is found again as the owner's machine, not
	// as a directory of unknown files.
	if err := writeMachine(m); err != nil {
		return nil, err
	}
	if err := b.apply(ctx, m, s); err != nil {
		return nil, err
	}
	return m.observed(), nil
}

// Update brings an existing machine to the spec. A disk never shrinks: a
// spec that would shrink one is refused before anything changes.
func (b *Backend) Update(ctx context.Context, id machine.ID, s machine.Spec) (*machine.Machine, error) {
	dir, err := b.WorkDir(id)
	if err != nil {
		return nil, err
	}
	m, err := readMachine(dir)
	if err != nil {
		return nil, err
	}
	if m == nil {
		return nil, errors.Errorf(errNotExist, id.Namespace, id.Name)
	}
	if err := b.apply(ctx, m, s); err != nil {
		return nil, err
	}
	return m.observed(), nil
}

// Mark records owner as the machine's owner in machine.json.
func (b *Backend) Mark(_ context.Context, id machine.ID, owner ownership.Owner) error {
	dir, err := b.WorkDir(id)
	if err != nil {
		return err
	}
	m, err := readMachine(dir)
	if err != nil {
		return err
	}
	if m == nil {
		return errors.Errorf(errNotExist, id.Namespace, id.Name)
	}
	m.Owner = owner.Marker()
	return writeMachine(m)
}

// marker is the owner as machine.json records it; none for the zero owner,
// which names no resource.
func marker(o ownership.Owner) string {
	if o == (ownership.Owner{}) {
		return ""
	}
	return o.Marker()
}

// checkUnused refuses a directory that holds anything but an empty disks
// directory.
func checkUnused(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return errors.Wrap(err, errReadMachine)
	}
	for _, e := range entries {
		if e.Name() == disksDir && e.IsDir() {
			if d, err := os.ReadDir(filepath.Join(dir, disksDir)); err == nil && len(d) == 0 {
				continue
			}
		}
		return errors.Errorf(errNotMachine, dir)
	}
	return nil
}

// Delete stops what runs on the machine and removes its directory.
func (b *Backend) Delete(ctx context.Context, id machine.ID) error {
	dir, err := b.WorkDir(id)
	if err != nil {
		return err
	}
	if err := StopAll(ctx, dir); err != nil {
		return errors.Wrap(err, errStopEngines)
	}
	// The namespace's name derives from the directory, so a host is found
	// and removed even when machine.json is gone.
	if err := removeHost(ctx, dir); err != nil {
		return err
	}
	return errors.Wrap(os.RemoveAll(dir), errRemove)
}

// Differences compares exactly: local machines take any CPU and memory.
func (b *Backend) Differences(s machine.Spec, m *machine.Machine) []string {
	return machine.Differences(s, m)
}

func (b *Backend) apply(ctx context.Context, m *record, s machine.Spec) error {
	if err := checkNoShrink(m.Disks, s.Disks); err != nil {
		return err
	}
	if err := sizeDisks(filepath.Join(m.WorkDir, disksDir), m.Disks, s.Disks); err != nil {
		return err
	}
	power := machine.PowerOf(s.PowerState)
	// A machine that is off runs nothing.
	if power == machine.PowerOff {
		if err := StopAll(ctx, m.WorkDir); err != nil {
			return errors.Wrap(err, errStopEngines)
		}
		if err := powerOff(ctx, m); err != nil {
			return err
		}
	}
	if b.net != nil && m.Netns != "" && power != machine.PowerOff {
		if err := b.net.ensureHost(ctx, m); err != nil {
			return err
		}
	}
	m.CPU, m.MemoryMiB, m.PowerState = s.CPU, s.MemoryMiB, power
	m.Disks = machine.SortDisks(s.Disks)
	return writeMachine(m)
}

// checkNoShrink refuses a disk that would shrink. Unlike machine.CheckDisks
// it lets a disk be dropped: a local disk is a sparse file that holds no
// data of its own.
func checkNoShrink(current, desired []machine.Disk) error {
	have := map[string]int32{}
	for _, d := range current {
		have[d.Name] = d.SizeGiB
	}
	for _, d := range desired {
		if cur, ok := have[d.Name]; ok && d.SizeGiB < cur {
			return errors.Errorf(errShrink, d.Name, cur, d.SizeGiB)
		}
	}
	return nil
}

// sizeDisks makes each disk a sparse file of its size, so disks cost no
// real space, and removes the files of disks no longer wanted.
func sizeDisks(dir string, current, desired []machine.Disk) error {
	want := map[string]bool{}
	for _, d := range desired {
		want[d.Name] = true
		p, err := safepath.Join(dir, d.Name+".img")
		if err != nil {
			return errors.Wrap(err, errDisk)
		}
		f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY, 0o600)
		if err != nil {
			return errors.Wrap(err, errDisk)
		}
		err = f.Truncate(int64(d.SizeGiB) * gib)
		_ = f.Close()
		if err != nil {
			return errors.Wrap(err, errDisk)
		}
	}
	for _, d := range current {
		if !want[d.Name] {
			p, err := safepath.Join(dir, d.Name+".img")
			if err != nil {
				return errors.Wrap(err, errDisk)
			}
			if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return errors.Wrap(err, errDisk)
			}
		}
	}
	return nil
}

// lock takes the process mutex and an exclusive flock on the base
// directory's lock file, so that two provider processes sharing a base
// directory cannot hand out the same ports.
func (b *Backend) lock() (func(), error) {
	if err := mkdirShared(b.baseDir); err != nil {
		return nil, err
	}
	allocMu.Lock()
	f, err := os.OpenFile(filepath.Join(b.baseDir, lockFile), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		allocMu.Unlock()
		return nil, errors.Wrap(err, errLock)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		_ = f.Close()
		allocMu.Unlock()
		return nil, errors.Wrap(err, errLock)
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		_ = f.Close()
		allocMu.Unlock()
	}, nil
}

// takenAddresses returns the addresses of all machines but the one in
// self.
func (b *Backend) takenAddresses(self string) (map[string]bool, error) {
	others, err := b.otherMachines(self)
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, r := range others {
		if r.Address != "" {
			out[r.Address] = true
		}
	}
	return out, nil
}

// takenPorts returns the port blocks of all machines but the one in self.
func (b *Backend) takenPorts(self string) ([]PortRange, error) {
	others, err := b.otherMachines(self)
	if err != nil {
		return nil, err
	}
	var out []PortRange
	for _, r := range others {
		out = append(out, PortRange{Start: r.PortRangeStart, End: r.PortRangeEnd})
	}
	return out, nil
}

// otherMachines returns the records of all machines but the one in self.
func (b *Backend) otherMachines(self string) ([]*record, error) {
	files, err := filepath.Glob(filepath.Join(b.baseDir, "*", "*", machineFile))
	if err != nil {
		return nil, errors.Wrap(err, errListMachines)
	}
	var out []*record
	for _, f := range files {
		dir := filepath.Dir(f)
		if dir == self {
			continue
		}
		r, err := readMachine(dir)
		if err != nil {
			return nil, errors.Wrap(err, errListMachines)
		}
		if r != nil {
			out = append(out, r)
		}
	}
	return out, nil
}

func mkdirShared(dir string) error {
	if err := os.MkdirAll(dir, dirMode); err != nil {
		return errors.Wrap(err, errMkdir)
	}
	// MkdirAll is subject to the umask; the engine user must traverse.
	return errors.Wrap(os.Chmod(dir, dirMode), errMkdir)
}

func readMachine(dir string) (*record, error) {
	b, err := os.ReadFile(filepath.Join(dir, machineFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, errors.Wrap(err, errReadMachine)
	}
	m := &record{}
	if err := json.Unmarshal(b, m); err != nil {
		return nil, errors.Wrap(err, errReadMachine)
	}
	m.WorkDir = dir
	return m, nil
}

// writeMachine replaces machine.json atomically, so a reader never sees a
// half-written record.
func writeMachine(m *record) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return errors.Wrap(err, errWriteMachine)
	}
	tmp := filepath.Join(m.WorkDir, machineFile+".tmp")
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return errors.Wrap(err, errWriteMachine)
	}
	return errors.Wrap(os.Rename(tmp, filepath.Join(m.WorkDir, machineFile)), errWriteMachine)
}
