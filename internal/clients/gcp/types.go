package gcp

import (
	"context"
	"fmt"
	"maps"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/dbaas-io/dbaas/internal/clients/machine"
	"github.com/dbaas-io/dbaas/internal/clients/ownership"
)

// A size is a machine type's vCPUs and memory.
type size struct {
	CPU       int32
	MemoryMiB int32
}

// customRe matches custom machine types: custom-4-8192 (N1),
// n2-custom-4-8192, e2-custom-2-4096, and extended memory (-ext).
var customRe = regexp.MustCompile(`^(?:[a-z0-9]+-)?custom-(\d+)-(\d+)(?:-ext)?$`)

// parseCustom returns the size a custom machine type names.
func parseCustom(machineType string) (size, bool) {
	m := customRe.FindStringSubmatch(last(machineType))
	if m == nil {
		return size{}, false
	}
	cpu, err1 := strconv.ParseInt(m[1], 10, 32)
	mem, err2 := strconv.ParseInt(m[2], 10, 32)
	if err1 != nil || err2 != nil {
		return size{}, false
	}
	return size{CPU: int32(cpu), MemoryMiB: int32(mem)}, true
}

// customType names the N1 custom machine type of exactly cpu and memory.
// It refuses sizes Compute Engine refuses, rather than rounding them: a
// rounded machine would differ from its spec for ever. Compute Engine's
// rules: one vCPU or an even number, and memory a multiple of 256 MiB.
func customType(cpu, memoryMiB int32) (string, error) {
	if cpu < 1 || (cpu > 1 && cpu%2 != 0) {
		return "", fmt.Errorf("GCP custom machine types have 1 vCPU or an even number of vCPUs, not %d: change cpu or set forProvider.gcp.machineType", cpu)
	}
	if memoryMiB <= 0 || memoryMiB%256 != 0 {
		return "", fmt.Errorf("GCP custom machine types need memory in multiples of 256 MiB, not %d MiB: use %d or %d, or set forProvider.gcp.machineType",
			memoryMiB, memoryMiB/256*256, (memoryMiB/256+1)*256)
	}
	return fmt.Sprintf("custom-%d-%d", cpu, memoryMiB), nil
}

// wantType is the machine type a spec asks for.
func wantType(s machine.Spec) (string, error) {
	if s.GCP != nil && s.GCP.MachineType != "" {
		return s.GCP.MachineType, nil
	}
	return customType(s.CPU, s.MemoryMiB)
}

// types caches predefined machine types' sizes, which do not change, for
// every Backend of the process: key endpoint|project|zone|type.
var types sync.Map

func (b *Backend) typeKey(zone, name string) string {
	return b.endpoint + "|" + b.project + "|" + zone + "|" + name
}

// sizeOf returns a machine type's size: parsed from custom types, read
// once with machineTypes.get for predefined ones.
func (b *Backend) sizeOf(ctx context.Context, zone, machineType string) (size, error) {
	name := last(machineType)
	if s, ok := parseCustom(name); ok {
		return s, nil
	}
	key := b.typeKey(zone, name)
	if s, ok := types.Load(key); ok {
		return s.(size), nil
	}
	mt, err := b.svc.MachineTypes.Get(b.project, zone, name).Context(ctx).Do()
	if err != nil {
		return size{}, mapError(err, "cannot read machine type "+name)
	}
	s := size{CPU: int32(mt.GuestCpus), MemoryMiB: int32(mt.MemoryMb)}
	types.Store(key, s)
	return s, nil
}

// cachedSize is sizeOf without calls: false when a predefined type has not
// been read yet.
func (b *Backend) cachedSize(zone, machineType string) (size, bool) {
	if s, ok := parseCustom(machineType); ok {
		return s, true
	}
	s, ok := types.Load(b.typeKey(zone, last(machineType)))
	if !ok {
		return size{}, false
	}
	return s.(size), true
}

// Labels.
//
// Compute Engine labels allow lowercase letters, digits, '_' and '-';
// keys start with a lowercase letter; keys and values hold at most 63
// characters. Tags are sanitised to fit: letters are lowercased, every
// other character ('.', '/', ' ', ':' ...) becomes '_', a key that does
// not start with a letter is prefixed with "t", and both are cut to 63
// characters. Two tags that sanitise to the same key keep the value of the
// one whose original key sorts last.

const (
	maxLabel       = 63
	namespaceLabel = "dbaas-namespace"
)

func sanitize(s string) string {
	var sb strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '_', r == '-':
			sb.WriteRune(r)
		default:
			sb.WriteByte('_')
		}
	}
	out := sb.String()
	if len(out) > maxLabel {
		out = out[:maxLabel]
	}
	return out
}

func labelKey(k string) string {
	k = sanitize(k)
	if k == "" || k[0] < 'a' || k[0] > 'z' {
		k = sanitize("t" + k)
	}
	return k
}

// labels turns tags into Compute Engine labels, with the machine's
// namespace under dbaas-namespace and its owner's labels last, so that no
// tag can pass for them.
func labels(tags map[string]string, namespace string, owner ownership.Owner) map[string]string {
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := map[string]string{}
	for _, k := range keys {
		out[labelKey(k)] = sanitize(tags[k])
	}
	if namespace != "" {
		out[namespaceLabel] = sanitize(namespace)
	}
	if owner != (ownership.Owner{}) {
		maps.Copy(out, owner.Labels())
	}
	return out
}

// ownerOf reads the owner labels of an instance, disk or firewall.
func ownerOf(l map[string]string) *ownership.Owner {
	if o, ok := ownership.FromLabels(l); ok {
		return &o
	}
	return nil
}
