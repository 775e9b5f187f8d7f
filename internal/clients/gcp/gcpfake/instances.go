package gcpfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"

	compute "google.golang.org/api/compute/v1"
)

var nameRe = regexp.MustCompile(`^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$`)

func instancePath(zone, name string) string { return "zones/" + zone + "/instances/" + name }
func diskPath(zone, name string) string     { return "zones/" + zone + "/disks/" + name }

// clone copies an instance or disk through JSON, so answers do not share
// the store's maps and slices.
func clone[T any](v *T) *T {
	b, _ := json.Marshal(v)
	out := new(T)
	_ = json.Unmarshal(b, out)
	return out
}

func (s *Server) instance(zone, name string) (*compute.Instance, *apiError) {
	inst, ok := s.instances[zone+"/"+name]
	if !ok {
		return nil, notFound("projects/" + s.project + "/" + instancePath(zone, name))
	}
	return inst, nil
}

func (s *Server) insertInstance(r *http.Request, p []string) (any, *apiError) {
	zone := p[1]
	var in compute.Instance
	if e := decode(r, &in); e != nil {
		return nil, e
	}
	if !nameRe.MatchString(in.Name) {
		return nil, invalid(fmt.Sprintf("Invalid value for field 'resource.name': '%s'. Must be a match of regex '(?:[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?)'", in.Name))
	}
	if _, ok := s.instances[zone+"/"+in.Name]; ok {
		return nil, exists("projects/" + s.project + "/" + instancePath(zone, in.Name))
	}
	mt := s.norm(in.MachineType)
	t := mt[strings.LastIndex(mt, "/")+1:]
	if _, e := s.machineSize(zone, t); e != nil {
		return nil, e
	}
	if s.quota[t] {
		return nil, &apiError{http.StatusForbidden, "quotaExceeded", fmt.Sprintf("Quota 'CPUS' exceeded. Limit: 24.0 in region %s.", zone[:strings.LastIndex(zone, "-")])}
	}
	if len(in.NetworkInterfaces) == 0 {
		return nil, invalid("Invalid value for field 'resource.networkInterfaces': ''. At least one network interface is required.")
	}
	nic := in.NetworkInterfaces[0]
	network := s.norm(nic.Network)
	if !s.networks[network] {
		return nil, notFound(network)
	}
	var subnetwork string
	if nic.Subnetwork != "" {
		subnetwork = s.norm(nic.Subnetwork)
		if !s.subnetworks[subnetwork] {
			return nil, notFound(subnetwork)
		}
	}
	var boot *compute.AttachedDisk
	var data []*compute.AttachedDisk
	for _, d := range in.Disks {
		if d.Boot {
			boot = d
			continue
		}
		if d.InitializeParams == nil || d.InitializeParams.DiskName == "" || d.DeviceName == "" {
			return nil, invalid("The fake makes data disks from initializeParams.diskName and needs a deviceName.")
		}
		if _, ok := s.disks[zone+"/"+d.InitializeParams.DiskName]; ok {
			return nil, exists("projects/" + s.project + "/" + diskPath(zone, d.InitializeParams.DiskName))
		}
		data = append(data, d)
	}
	if boot == nil || boot.InitializeParams == nil || boot.InitializeParams.SourceImage == "" {
		return nil, invalid("Invalid value for field 'resource.disks': ''. Boot disk must be specified.")
	}
	if img := s.norm(boot.InitializeParams.SourceImage); !s.images[img] {
		return nil, notFound(img)
	}

	id := s.nextID()
	self := instancePath(zone, in.Name)
	inst := &compute.Instance{
		Kind:              "compute#instance",
		Id:                id,
		Name:              in.Name,
		Zone:              s.link("zones/" + zone),
		MachineType:       s.link("zones/" + zone + "/machineTypes/" + t),
		Status:            "PROVISIONING",
		SelfLink:          s.link(self),
		Labels:            in.Labels,
		LabelFingerprint:  fmt.Sprintf("lfp-%d", id),
		Metadata:          in.Metadata,
		Tags:              in.Tags,
		CreationTimestamp: "2026-01-01T00:00:00.000-07:00",
		NetworkInterfaces: []*compute.NetworkInterface{{
			Kind:       "compute#networkInterface",
			Name:       "nic0",
			Network:    s.link(strings.TrimPrefix(network, "projects/"+s.project+"/")),
			Subnetwork: subnetwork,
			NetworkIP:  fmt.Sprintf("10.132.%d.%d", id/250%250, id%250+2),
		}},
	}
	if subnetwork != "" {
		inst.NetworkInterfaces[0].Subnetwork = s.srv.URL + "/compute/v1/" + subnetwork
	}
	if inst.Metadata != nil {
		inst.Metadata.Fingerprint = fmt.Sprintf("fp-%d", id)
		inst.Metadata.Kind = "compute#metadata"
	}
	bootName := in.Name
	s.disks[zone+"/"+bootName] = &compute.Disk{Kind: "compute#disk", Id: s.nextID(), Name: bootName, SizeGb: bootDiskGiB, Status: "READY",
		SourceImage: s.norm(boot.InitializeParams.SourceImage), Zone: s.link("zones/" + zone), SelfLink: s.link(diskPath(zone, bootName)), Users: []string{s.link(self)}}
	inst.Disks = append(inst.Disks, &compute.AttachedDisk{Kind: "compute#attachedDisk", Boot: true, AutoDelete: boot.AutoDelete, DeviceName: "persistent-disk-0",
		Source: s.link(diskPath(zone, bootName)), DiskSizeGb: bootDiskGiB, Type: "PERSISTENT", Mode: "READ_WRITE"})
	for i, d := range data {
		ip := d.InitializeParams
		s.disks[zone+"/"+ip.DiskName] = &compute.Disk{Kind: "compute#disk", Id: s.nextID(), Name: ip.DiskName, SizeGb: ip.DiskSizeGb, Status: "READY",
			Labels: ip.Labels, Zone: s.link("zones/" + zone), SelfLink: s.link(diskPath(zone, ip.DiskName)), Users: []string{s.link(self)}}
		inst.Disks = append(inst.Disks, &compute.AttachedDisk{Kind: "compute#attachedDisk", Index: int64(i + 1), AutoDelete: d.AutoDelete, DeviceName: d.DeviceName,
			Source: s.link(diskPath(zone, ip.DiskName)), DiskSizeGb: ip.DiskSizeGb, Type: "PERSISTENT", Mode: "READ_WRITE"})
	}
	s.instances[zone+"/"+in.Name] = inst
	return s.newOperation(zone, "insert", self, func() (string, string) {
		if inst.Status == "PROVISIONING" {
			inst.Status = "RUNNING"
		}
		return "", ""
	}), nil
}

func (s *Server) getInstance(_ *http.Request, p []string) (any, *apiError) {
	zone, name := p[1], p[3]
	s.lookAt(instancePath(zone, name))
	inst, e := s.instance(zone, name)
	if e != nil {
		return nil, e
	}
	return clone(inst), nil
}

// nameFilter is the one filter aggregatedList understands: name = "x".
var nameFilter = regexp.MustCompile(`^\s*name\s*(=|eq)\s*"?([^"]*)"?\s*$`)

func (s *Server) aggregatedInstances(r *http.Request, _ []string) (any, *apiError) {
	var want string
	if f := r.URL.Query().Get("filter"); f != "" {
		m := nameFilter.FindStringSubmatch(f)
		if m == nil {
			return nil, invalid("Invalid list filter expression '" + f + "'.")
		}
		want = m[2]
	}
	out := &compute.InstanceAggregatedList{Kind: "compute#instanceAggregatedList", Items: map[string]compute.InstancesScopedList{}}
	keys := make([]string, 0, len(s.instances))
	for k := range s.instances {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		zone, name, _ := strings.Cut(k, "/")
		if want != "" && name != want {
			continue
		}
		s.lookAt(instancePath(zone, name))
		inst, ok := s.instances[k] // a finished delete removes it
		if !ok {
			continue
		}
		sl := out.Items["zones/"+zone]
		sl.Instances = append(sl.Instances, clone(inst))
		out.Items["zones/"+zone] = sl
	}
	return out, nil
}

func (s *Server) deleteInstance(_ *http.Request, p []string) (any, *apiError) {
	zone, name := p[1], p[3]
	inst, e := s.instance(zone, name)
	if e != nil {
		return nil, e
	}
	self := instancePath(zone, name)
	for _, o := range s.ops {
		if o.op.TargetLink == s.link(self) && o.op.OperationType == "delete" && o.op.Status != "DONE" {
			return nil, notReady("projects/" + s.project + "/" + self)
		}
	}
	inst.Status = "STOPPING"
	return s.newOperation(zone, "delete", self, func() (string, string) {
		for _, d := range inst.Disks {
			key := zone + "/" + d.Source[strings.LastIndex(d.Source, "/")+1:]
			if d.AutoDelete {
				delete(s.disks, key)
			} else if disk, ok := s.disks[key]; ok {
				disk.Users = nil
			}
		}
		delete(s.instances, zone+"/"+name)
		return "", ""
	}), nil
}

func (s *Server) stopInstance(_ *http.Request, p []string) (any, *apiError) {
	return s.setPower(p, "stop", "RUNNING", "STOPPING", "TERMINATED")
}

func (s *Server) startInstance(_ *http.Request, p []string) (any, *apiError) {
	return s.setPower(p, "start", "TERMINATED", "STAGING", "RUNNING")
}

// setPower answers instances.stop and instances.start: an instance in from
// moves through transit and reaches to when the operation op finishes. One
// already in transit or at to gets an operation that changes nothing, as
// Compute Engine answers a repeated call; any other status is not ready.
func (s *Server) setPower(p []string, op, from, transit, to string) (any, *apiError) {
	zone, name := p[1], p[3]
	inst, e := s.instance(zone, name)
	if e != nil {
		return nil, e
	}
	self := instancePath(zone, name)
	switch inst.Status {
	case from:
		inst.Status = transit
	case to, transit:
	default:
		return nil, notReady("projects/" + s.project + "/" + self)
	}
	return s.newOperation(zone, op, self, func() (string, string) {
		if inst.Status == transit {
			inst.Status = to
		}
		return "", ""
	}), nil
}

func (s *Server) setMachineType(r *http.Request, p []string) (any, *apiError) {
	zone, name := p[1], p[3]
	inst, e := s.instance(zone, name)
	if e != nil {
		return nil, e
	}
	var req compute.InstancesSetMachineTypeRequest
	if e := decode(r, &req); e != nil {
		return nil, e
	}
	mt := s.norm(req.MachineType)
	t := mt[strings.LastIndex(mt, "/")+1:]
	if _, e := s.machineSize(zone, t); e != nil {
		return nil, e
	}
	if inst.Status != "TERMINATED" {
		return nil, invalid(fmt.Sprintf("Invalid resource usage: 'Instance %s must be stopped to change its machine type.'", name))
	}
	return s.newOperation(zone, "setMachineType", instancePath(zone, name), func() (string, string) {
		if s.quota[t] {
			return "QUOTA_EXCEEDED", fmt.Sprintf("Quota 'CPUS' exceeded. Limit: 24.0 in region %s.", zone[:strings.LastIndex(zone, "-")])
		}
		inst.MachineType = s.link("zones/" + zone + "/machineTypes/" + t)
		return "", ""
	}), nil
}

// setLabels replaces an instance's labels when the request carries the
// instance's current label fingerprint, as Compute Engine does.
func (s *Server) setLabels(r *http.Request, p []string) (any, *apiError) {
	zone, name := p[1], p[3]
	inst, e := s.instance(zone, name)
	if e != nil {
		return nil, e
	}
	var req compute.InstancesSetLabelsRequest
	if e := decode(r, &req); e != nil {
		return nil, e
	}
	if req.LabelFingerprint != inst.LabelFingerprint {
		return nil, &apiError{http.StatusPreconditionFailed, "conditionNotMet", fmt.Sprintf("Labels fingerprint either invalid or resource labels have changed (want %q)", inst.LabelFingerprint)}
	}
	return s.newOperation(zone, "setLabels", instancePath(zone, name), func() (string, string) {
		inst.Labels = req.Labels
		inst.LabelFingerprint = fmt.Sprintf("lfp-%d", s.nextID())
		return "", ""
	}), nil
}

func (s *Server) attachDisk(r *http.Request, p []string) (any, *apiError) {
	zone, name := p[1], p[3]
	inst, e := s.instance(zone, name)
	if e != nil {
		return nil, e
	}
	var req compute.AttachedDisk
	if e := decode(r, &req); e != nil {
		return nil, e
	}
	src := s.norm(req.Source)
	dname := src[strings.LastIndex(src, "/")+1:]
	disk, ok := s.disks[zone+"/"+dname]
	if !ok {
		return nil, notFound(src)
	}
	if disk.Status != "READY" {
		return nil, notReady(src)
	}
	if len(disk.Users) > 0 {
		return nil, &apiError{http.StatusBadRequest, "resourceInUseByAnotherResource", fmt.Sprintf("The disk resource '%s' is already being used by '%s'", src, disk.Users[0])}
	}
	dev := req.DeviceName
	if dev == "" {
		dev = dname
	}
	disk.Users = []string{inst.SelfLink}
	return s.newOperation(zone, "attachDisk", instancePath(zone, name), func() (string, string) {
		inst.Disks = append(inst.Disks, &compute.AttachedDisk{Kind: "compute#attachedDisk", Index: int64(len(inst.Disks)), AutoDelete: req.AutoDelete,
			DeviceName: dev, Source: disk.SelfLink, DiskSizeGb: disk.SizeGb, Type: "PERSISTENT", Mode: "READ_WRITE"})
		return "", ""
	}), nil
}

func (s *Server) disk(zone, name string) (*compute.Disk, *apiError) {
	d, ok := s.disks[zone+"/"+name]
	if !ok {
		return nil, notFound("projects/" + s.project + "/" + diskPath(zone, name))
	}
	return d, nil
}

func (s *Server) insertDisk(r *http.Request, p []string) (any, *apiError) {
	zone := p[1]
	var in compute.Disk
	if e := decode(r, &in); e != nil {
		return nil, e
	}
	if !nameRe.MatchString(in.Name) {
		return nil, invalid(fmt.Sprintf("Invalid value for field 'resource.name': '%s'.", in.Name))
	}
	if _, ok := s.disks[zone+"/"+in.Name]; ok {
		return nil, exists("projects/" + s.project + "/" + diskPath(zone, in.Name))
	}
	d := &compute.Disk{Kind: "compute#disk", Id: s.nextID(), Name: in.Name, SizeGb: in.SizeGb, Labels: in.Labels, Status: "CREATING",
		Zone: s.link("zones/" + zone), SelfLink: s.link(diskPath(zone, in.Name))}
	s.disks[zone+"/"+in.Name] = d
	return s.newOperation(zone, "insert", diskPath(zone, in.Name), func() (string, string) {
		d.Status = "READY"
		return "", ""
	}), nil
}

func (s *Server) getDisk(_ *http.Request, p []string) (any, *apiError) {
	zone, name := p[1], p[3]
	s.lookAt(diskPath(zone, name))
	d, e := s.disk(zone, name)
	if e != nil {
		return nil, e
	}
	return clone(d), nil
}

func (s *Server) deleteDisk(_ *http.Request, p []string) (any, *apiError) {
	zone, name := p[1], p[3]
	d, e := s.disk(zone, name)
	if e != nil {
		return nil, e
	}
	if len(d.Users) > 0 {
		return nil, &apiError{http.StatusBadRequest, "resourceInUseByAnotherResource", fmt.Sprintf("The disk resource '%s' is already being used by '%s'", d.SelfLink, d.Users[0])}
	}
	delete(s.disks, zone+"/"+name)
	return s.newOperation(zone, "delete", diskPath(zone, name), nil), nil
}

func (s *Server) resizeDisk(r *http.Request, p []string) (any, *apiError) {
	zone, name := p[1], p[3]
	d, e := s.disk(zone, name)
	if e != nil {
		return nil, e
	}
	var req compute.DisksResizeRequest
	if e := decode(r, &req); e != nil {
		return nil, e
	}
	if req.SizeGb <= d.SizeGb {
		return nil, invalid(fmt.Sprintf("Invalid value for field 'sizeGb': '%d'. New disk size '%d' GB must be larger than existing size '%d' GB.", req.SizeGb, req.SizeGb, d.SizeGb))
	}
	return s.newOperation(zone, "resizeDisk", diskPath(zone, name), func() (string, string) {
		d.SizeGb = req.SizeGb
		for _, inst := range s.instances {
			for _, a := range inst.Disks {
				if a.Source == d.SelfLink {
					a.DiskSizeGb = req.SizeGb
				}
			}
		}
		return "", ""
	}), nil
}
