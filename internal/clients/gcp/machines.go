package gcp

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	compute "google.golang.org/api/compute/v1"
	"google.golang.org/api/googleapi"

	apisv1alpha1 "github.com/dbaas-io/dbaas/apis/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/machine"
	"github.com/dbaas-io/dbaas/internal/clients/ownership"
)

// Instance statuses.
const (
	statusRunning    = "RUNNING"
	statusTerminated = "TERMINATED"
	statusStopped    = "STOPPED"
	statusSuspended  = "SUSPENDED"
	opDone           = "DONE"

	metadataUserData = "user-data"
	metadataSSHKeys  = "ssh-keys"
	defaultNetwork   = "default"
)

// nameRe is Compute Engine's rule for resource names (RFC 1035).
var nameRe = regexp.MustCompile(`^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$`)

// zoneOf is the zone a spec places its machine in.
func (b *Backend) zoneOf(s machine.Spec) string {
	if s.GCP != nil && s.GCP.Zone != "" {
		return s.GCP.Zone
	}
	return b.zone
}

// diskName is the persistent disk that holds a machine's data disk.
func diskName(instance, disk string) string { return instance + "-" + disk }

func (b *Backend) instanceID(zone, name string) string {
	return fmt.Sprintf("projects/%s/zones/%s/instances/%s", b.project, zone, name)
}

// find returns the instance named name and its zone, or nil when there is
// none. Observe is given no spec, so it cannot know a zone the spec chose:
// a zone this Backend made or found the instance in is asked directly,
// otherwise one aggregatedList filtered on the name searches every zone
// (preferring the provider config's zone when the name is in several).
func (b *Backend) find(ctx context.Context, name string) (*compute.Instance, string, error) {
	if zone, ok := b.knownZone(name); ok {
		inst, err := b.svc.Instances.Get(b.project, zone, name).Context(ctx).Do()
		if isNotFound(err) {
			b.rememberZone(name, "")
			return nil, "", nil
		}
		if err != nil {
			return nil, "", mapError(err, "cannot read instance "+name)
		}
		return inst, zone, nil
	}
	var found []*compute.Instance
	err := b.svc.Instances.AggregatedList(b.project).Filter(fmt.Sprintf("name = %q", name)).
		ReturnPartialSuccess(true).Pages(ctx, func(l *compute.InstanceAggregatedList) error {
		for _, sl := range l.Items {
			for _, inst := range sl.Instances {
				if inst.Name == name {
					found = append(found, inst)
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, "", mapError(err, "cannot look for instance "+name)
	}
	if len(found) == 0 {
		return nil, "", nil
	}
	sort.Slice(found, func(i, j int) bool {
		di, dj := last(found[i].Zone) == b.zone, last(found[j].Zone) == b.zone
		if di != dj {
			return di
		}
		return found[i].Zone < found[j].Zone
	})
	zone := last(found[0].Zone)
	b.rememberZone(name, zone)
	return found[0], zone, nil
}

// describe turns an instance into a Machine, without looking at
// operations.
func (b *Backend) describe(ctx context.Context, inst *compute.Instance, zone string) (*machine.Machine, error) {
	sz, err := b.sizeOf(ctx, zone, inst.MachineType)
	if err != nil {
		return nil, err
	}
	m := &machine.Machine{ID: b.instanceID(zone, inst.Name), CPU: sz.CPU, MemoryMiB: sz.MemoryMiB, Zone: zone, Owner: ownerOf(inst.Labels)}
	for _, d := range inst.Disks {
		if d.Boot {
			continue
		}
		m.Disks = append(m.Disks, machine.Disk{Name: d.DeviceName, SizeGiB: int32(d.DiskSizeGb)})
	}
	m.Disks = machine.SortDisks(m.Disks)
	if len(inst.NetworkInterfaces) > 0 {
		m.Address = inst.NetworkInterfaces[0].NetworkIP
	}
	switch inst.Status {
	case statusRunning:
		m.PowerState = machine.PowerOn
	case statusTerminated, statusStopped, statusSuspended:
		m.PowerState = machine.PowerOff
	case "STOPPING", "SUSPENDING":
		m.PowerState = machine.PowerOff
		m.Pending = "instance is " + inst.Status
	default: // PROVISIONING, STAGING, REPAIRING
		m.PowerState = machine.PowerOn
		m.Pending = "instance is " + inst.Status
	}
	return m, nil
}

// running returns a description of an unfinished operation on the instance
// or its data disks, or "". This is how a resize in flight (a stop, a
// setMachineType, a disk resize or attach) shows as Pending: nothing is
// recorded on the instance; the zone's unfinished operations are listed
// and those whose target is the instance, or a disk named after it, count.
func (b *Backend) running(ctx context.Context, zone, name string) (string, error) {
	var out []string
	err := b.svc.ZoneOperations.List(b.project, zone).Filter(`status != "DONE"`).Pages(ctx, func(l *compute.OperationList) error {
		for _, op := range l.Items {
			t := op.TargetLink
			switch {
			case strings.HasSuffix(t, "/instances/"+name),
				strings.Contains(t, "/disks/") && strings.HasPrefix(last(t), name+"-"):
				out = append(out, fmt.Sprintf("operation %s (%s on %s) is %s", op.Name, op.OperationType, last(t), op.Status))
			}
		}
		return nil
	})
	if err != nil {
		return "", mapError(err, "cannot list operations in zone "+zone)
	}
	sort.Strings(out)
	return strings.Join(out, "; "), nil
}

// Observe returns the machine, or nil when it does not exist.
func (b *Backend) Observe(ctx context.Context, id machine.ID) (*machine.Machine, error) {
	inst, zone, err := b.find(ctx, id.Name)
	if err != nil || inst == nil {
		return nil, err
	}
	return b.observe(ctx, inst, zone)
}

func (b *Backend) observe(ctx context.Context, inst *compute.Instance, zone string) (*machine.Machine, error) {
	m, err := b.describe(ctx, inst, zone)
	if err != nil {
		return nil, err
	}
	if m.Pending != "" {
		// The status says it already; no need to list operations.
		return m, nil
	}
	m.Pending, err = b.running(ctx, zone, inst.Name)
	if err != nil {
		return nil, err
	}
	return m, nil
}

// settle looks once at an operation that is not done yet. It reports
// whether the operation is done, and the operation's error, mapped.
func (b *Backend) settle(ctx context.Context, op *compute.Operation, what string) (bool, error) {
	_, done, err := b.look(ctx, op, what)
	return done, err
}

func (b *Backend) look(ctx context.Context, op *compute.Operation, what string) (*compute.Operation, bool, error) {
	if op.Status != opDone {
		var err error
		if op.Zone != "" {
			op, err = b.svc.ZoneOperations.Get(b.project, last(op.Zone), op.Name).Context(ctx).Do()
		} else {
			op, err = b.svc.GlobalOperations.Get(b.project, op.Name).Context(ctx).Do()
		}
		if err != nil {
			return nil, false, mapError(err, what)
		}
	}
	if op.Status != opDone {
		return op, false, nil
	}
	return op, true, opError(op, what)
}

// wait looks at an operation of an Update until it is done or b.opWait
// has passed. Update's stages wait this long, and no longer, so that a
// quick operation's failure is reported by the Update that started it; a
// slow one leaves the machine Pending and the next Update goes on from
// what the instance shows.
func (b *Backend) wait(ctx context.Context, op *compute.Operation, what string) (bool, error) {
	deadline := time.Now().Add(b.opWait)
	for {
		next, done, err := b.look(ctx, op, what)
		if done || err != nil || time.Now().Add(b.pollEvery).After(deadline) {
			return done, err
		}
		op = next
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case <-time.After(b.pollEvery):
		}
	}
}

func checkNames(id machine.ID, s machine.Spec) error {
	if !nameRe.MatchString(id.Name) {
		return fmt.Errorf("%q is not a valid GCP instance name: lowercase letters, digits and '-', starting with a letter, at most 63 characters", id.Name)
	}
	for _, d := range s.Disks {
		if n := diskName(id.Name, d.Name); !nameRe.MatchString(n) {
			return fmt.Errorf("data disk %q would be the GCP disk %q, which is not a valid name: lowercase letters, digits and '-', at most 63 characters in all", d.Name, n)
		}
	}
	return nil
}

// ref returns name as given when it is a path or URL, else as a path of
// the given collection.
func ref(name, collection string) string {
	if strings.Contains(name, "/") {
		return name
	}
	return collection + name
}

// region is the region of a zone: europe-west1-b is in europe-west1.
func region(zone string) string {
	if i := strings.LastIndex(zone, "-"); i > 0 {
		return zone[:i]
	}
	return zone
}

// instance is the Compute Engine instance a spec describes.
func (b *Backend) instance(id machine.ID, s machine.Spec, zone, machineType string) *compute.Instance {
	inst := &compute.Instance{
		Name:        id.Name,
		MachineType: fmt.Sprintf("zones/%s/machineTypes/%s", zone, machineType),
		Labels:      labels(s.Tags, id.Namespace, s.Owner),
		Disks: []*compute.AttachedDisk{{
			Boot:             true,
			AutoDelete:       true,
			InitializeParams: &compute.AttachedDiskInitializeParams{SourceImage: ref(s.Image, "global/images/")},
		}},
	}
	for _, d := range machine.SortDisks(s.Disks) {
		inst.Disks = append(inst.Disks, &compute.AttachedDisk{
			DeviceName: d.Name,
			AutoDelete: true,
			InitializeParams: &compute.AttachedDiskInitializeParams{
				DiskName:   diskName(id.Name, d.Name),
				DiskSizeGb: int64(d.SizeGiB),
				Labels:     inst.Labels,
			},
		})
	}
	network := s.Network
	if network == "" {
		network = defaultNetwork
	}
	nic := &compute.NetworkInterface{Network: ref(network, "global/networks/")}
	if s.GCP != nil && s.GCP.Subnetwork != "" {
		nic.Subnetwork = ref(s.GCP.Subnetwork, "regions/"+region(zone)+"/subnetworks/")
	}
	inst.NetworkInterfaces = []*compute.NetworkInterface{nic}
	var items []*compute.MetadataItems
	if s.UserData != "" {
		items = append(items, &compute.MetadataItems{Key: metadataUserData, Value: googleapi.String(s.UserData)})
	}
	if s.SSHPublicKey != "" {
		items = append(items, &compute.MetadataItems{Key: metadataSSHKeys, Value: googleapi.String(apisv1alpha1.DefaultSSHUser + ":" + strings.TrimSpace(s.SSHPublicKey))})
	}
	if len(items) > 0 {
		inst.Metadata = &compute.Metadata{Items: items}
	}
	return inst
}

// Create inserts the instance with its boot and data disks, and looks once
// at the insert operation. It returns the machine as Pending unless that
// operation is done already.
func (b *Backend) Create(ctx context.Context, id machine.ID, s machine.Spec) (*machine.Machine, error) {
	zone := b.zoneOf(s)
	if zone == "" {
		return nil, errors.New(errNoZone)
	}
	if err := checkNames(id, s); err != nil {
		return nil, err
	}
	mt, err := wantType(s)
	if err != nil {
		return nil, err
	}
	if s.Image == "" {
		return nil, errors.New("the GCP backend needs an image for the boot disk: set forProvider.image")
	}
	op, err := b.svc.Instances.Insert(b.project, zone, b.instance(id, s, zone, mt)).Context(ctx).Do()
	if isConflict(err) {
		// A create that was cut short made it already.
		b.rememberZone(id.Name, zone)
		return b.Observe(ctx, id)
	}
	if err != nil {
		return nil, mapError(err, "cannot create instance "+id.Name)
	}
	b.rememberZone(id.Name, zone)
	done, err := b.settle(ctx, op, "cannot create instance "+id.Name)
	if err != nil {
		// The instance was not made; let the next Observe say so.
		b.rememberZone(id.Name, "")
		return nil, err
	}
	if done {
		return b.Observe(ctx, id)
	}
	sz, err := b.sizeOf(ctx, zone, mt)
	if err != nil {
		return nil, err
	}
	return &machine.Machine{
		ID:         b.instanceID(zone, id.Name),
		CPU:        sz.CPU,
		MemoryMiB:  sz.MemoryMiB,
		Disks:      machine.SortDisks(s.Disks),
		PowerState: machine.PowerOn,
		Zone:       zone,
		Pending:    fmt.Sprintf("creating: operation %s is %s", op.Name, op.Status),
		Owner:      &s.Owner,
	}, nil
}

// Update brings the instance to the spec, one stage per call when a stage
// is still running: data disks first (grow, then make and attach new
// ones), then the machine type (which needs the instance stopped: stop,
// setMachineType, start again when the spec wants it on), then power.
// Each stage is read from the instance as it is, so an Update that
// returned Pending is continued by the next one.
func (b *Backend) Update(ctx context.Context, id machine.ID, s machine.Spec) (*machine.Machine, error) {
	inst, zone, err := b.find(ctx, id.Name)
	if err != nil {
		return nil, err
	}
	if inst == nil {
		return nil, fmt.Errorf("instance %s does not exist", id.Name)
	}
	cur, err := b.describe(ctx, inst, zone)
	if err != nil {
		return nil, err
	}
	if err := machine.CheckDisks(cur.Disks, s.Disks); err != nil {
		var se *machine.ShrinkError
		if errors.As(err, &se) {
			se.BackendName = backendName
		}
		return nil, err
	}
	if err := checkNames(id, s); err != nil {
		return nil, err
	}
	mt, err := wantType(s)
	if err != nil {
		return nil, err
	}
	if _, err := b.sizeOf(ctx, zone, mt); err != nil {
		return nil, err
	}

	if pending, err := b.updateDisks(ctx, id, s, inst, zone); err != nil || pending {
		return b.after(ctx, id, err)
	}

	status := inst.Status
	if last(inst.MachineType) != mt {
		switch status {
		case statusRunning:
			op, err := b.svc.Instances.Stop(b.project, zone, id.Name).Context(ctx).Do()
			if err != nil {
				return nil, mapError(err, "cannot stop instance "+id.Name+" to change its machine type")
			}
			if done, err := b.wait(ctx, op, "cannot stop instance "+id.Name); err != nil || !done {
				return b.after(ctx, id, err)
			}
		case statusTerminated, statusStopped:
		default:
			// Starting, stopping or suspended: come back when it settles.
			return b.after(ctx, id, nil)
		}
		req := &compute.InstancesSetMachineTypeRequest{MachineType: fmt.Sprintf("zones/%s/machineTypes/%s", zone, mt)}
		op, err := b.svc.Instances.SetMachineType(b.project, zone, id.Name, req).Context(ctx).Do()
		if err != nil {
			return nil, mapError(err, "cannot set the machine type of "+id.Name+" to "+mt)
		}
		if done, err := b.wait(ctx, op, "cannot set the machine type of "+id.Name+" to "+mt); err != nil || !done {
			return b.after(ctx, id, err)
		}
		status = statusTerminated
	}

	wantOn := machine.PowerOf(s.PowerState) == machine.PowerOn
	var op *compute.Operation
	switch {
	case wantOn && (status == statusTerminated || status == statusStopped):
		op, err = b.svc.Instances.Start(b.project, zone, id.Name).Context(ctx).Do()
	case wantOn && status == statusSuspended:
		op, err = b.svc.Instances.Resume(b.project, zone, id.Name).Context(ctx).Do()
	case !wantOn && status == statusRunning:
		op, err = b.svc.Instances.Stop(b.project, zone, id.Name).Context(ctx).Do()
	}
	if err != nil {
		return nil, mapError(err, "cannot change the power of instance "+id.Name)
	}
	if op != nil {
		_, err = b.wait(ctx, op, "cannot change the power of instance "+id.Name)
	}
	return b.after(ctx, id, err)
}

// after ends an Update: with its error, or with the machine as it is now.
func (b *Backend) after(ctx context.Context, id machine.ID, err error) (*machine.Machine, error) {
	if err != nil {
		return nil, err
	}
	return b.Observe(ctx, id)
}

// updateDisks grows data disks and makes and attaches new ones. It reports
// whether any of that is still running.
func (b *Backend) updateDisks(ctx context.Context, id machine.ID, s machine.Spec, inst *compute.Instance, zone string) (bool, error) {
	attached := map[string]*compute.AttachedDisk{}
	for _, d := range inst.Disks {
		if !d.Boot {
			attached[d.DeviceName] = d
		}
	}
	pending := false
	for _, d := range machine.SortDisks(s.Disks) {
		if a, ok := attached[d.Name]; ok {
			if a.DiskSizeGb >= int64(d.SizeGiB) {
				continue
			}
			op, err := b.svc.Disks.Resize(b.project, zone, last(a.Source), &compute.DisksResizeRequest{SizeGb: int64(d.SizeGiB)}).Context(ctx).Do()
			if err != nil {
				return false, mapError(err, "cannot grow disk "+d.Name)
			}
			done, err := b.wait(ctx, op, "cannot grow disk "+d.Name)
			if err != nil {
				return false, err
			}
			pending = pending || !done
			continue
		}
		done, err := b.addDisk(ctx, id, d, zone, s.Owner)
		if err != nil {
			return false, err
		}
		pending = pending || !done
	}
	return pending, nil
}

// addDisk makes the persistent disk of a new data disk and attaches it,
// as far as it can without waiting: a disk still being made is attached by
// a later Update. It reports whether the disk is attached.
func (b *Backend) addDisk(ctx context.Context, id machine.ID, d machine.Disk, zone string, owner ownership.Owner) (bool, error) {
	name := diskName(id.Name, d.Name)
	disk, err := b.svc.Disks.Get(b.project, zone, name).Context(ctx).Do()
	if isNotFound(err) {
		op, ierr := b.svc.Disks.Insert(b.project, zone, &compute.Disk{Name: name, SizeGb: int64(d.SizeGiB), Labels: labels(nil, id.Namespace, owner)}).Context(ctx).Do()
		if ierr != nil && !isConflict(ierr) {
			return false, mapError(ierr, "cannot make disk "+name)
		}
		if ierr == nil {
			if done, werr := b.wait(ctx, op, "cannot make disk "+name); werr != nil || !done {
				return false, werr
			}
		}
		disk, err = b.svc.Disks.Get(b.project, zone, name).Context(ctx).Do()
	}
	if err != nil {
		return false, mapError(err, "cannot read disk "+name)
	}
	// A disk of the name that this machine's owner did not make is
	// someone else's data: it is never attached.
	if found := ownerOf(disk.Labels); found == nil || *found != owner {
		return false, &ownership.NotOwnedError{What: "GCP disk " + strconv.Quote(name), Found: found}
	}
	if disk.Status != "READY" {
		return false, nil
	}
	if len(disk.Users) > 0 {
		if last(disk.Users[0]) == id.Name {
			return false, nil // attaching
		}
		return false, fmt.Errorf("disk %s is attached to %s, not to %s", name, disk.Users[0], id.Name)
	}
	op, err := b.svc.Instances.AttachDisk(b.project, zone, id.Name, &compute.AttachedDisk{Source: disk.SelfLink, DeviceName: d.Name, AutoDelete: true}).Context(ctx).Do()
	if err != nil {
		return false, mapError(err, "cannot attach disk "+name)
	}
	return b.wait(ctx, op, "cannot attach disk "+name)
}

// Mark sets owner's labels on the instance, keeping its other labels.
func (b *Backend) Mark(ctx context.Context, id machine.ID, owner ownership.Owner) error {
	inst, zone, err := b.find(ctx, id.Name)
	if err != nil {
		return err
	}
	if inst == nil {
		return fmt.Errorf("instance %s does not exist", id.Name)
	}
	l := maps.Clone(inst.Labels)
	if l == nil {
		l = map[string]string{}
	}
	maps.Copy(l, owner.Labels())
	op, err := b.svc.Instances.SetLabels(b.project, zone, id.Name, &compute.InstancesSetLabelsRequest{Labels: l, LabelFingerprint: inst.LabelFingerprint}).Context(ctx).Do()
	if err != nil {
		return mapError(err, "cannot label instance "+id.Name)
	}
	_, err = b.wait(ctx, op, "cannot label instance "+id.Name)
	return err
}

// Delete deletes the instance; its disks go with it (autoDelete). A
// missing instance, or one already going away, is not an error.
func (b *Backend) Delete(ctx context.Context, id machine.ID) error {
	inst, zone, err := b.find(ctx, id.Name)
	if err != nil || inst == nil {
		return err
	}
	_, err = b.svc.Instances.Delete(b.project, zone, id.Name).Context(ctx).Do()
	if isNotFound(err) || isNotReady(err) {
		return nil
	}
	return mapError(err, "cannot delete instance "+id.Name)
}

// isNotReady reports Compute Engine's refusal of a call on a resource an
// operation is still working on.
func isNotReady(err error) bool {
	var ge *googleapi.Error
	if !errors.As(err, &ge) || ge.Code != http.StatusBadRequest {
		return false
	}
	for _, e := range ge.Errors {
		if e.Reason == "resourceNotReady" {
			return true
		}
	}
	return false
}

// Differences compares CPU, memory, disks and power. A spec that names a
// predefined machine type is compared by that type's size (two types of
// the same size count as the same); a type whose size has not been read
// yet counts as a difference, which the next Update reads.
func (b *Backend) Differences(s machine.Spec, m *machine.Machine) []string {
	if s.GCP == nil || s.GCP.MachineType == "" {
		return machine.Differences(s, m)
	}
	zone := b.zoneOf(s)
	if i := strings.Index(m.ID, "/zones/"); i >= 0 {
		zone = strings.SplitN(m.ID[i+len("/zones/"):], "/", 2)[0]
	}
	sz, ok := b.cachedSize(zone, s.GCP.MachineType)
	if !ok {
		out := []string{fmt.Sprintf("machine type %s wanted, of a size not known yet", s.GCP.MachineType)}
		s.CPU, s.MemoryMiB = m.CPU, m.MemoryMiB
		return append(out, machine.Differences(s, m)...)
	}
	s.CPU, s.MemoryMiB = sz.CPU, sz.MemoryMiB
	return machine.Differences(s, m)
}
