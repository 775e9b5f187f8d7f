package terraform

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/dbaas-io/dbaas/internal/clients/machine"
)

// managedDescription marks the workspace variables the provider owns: only
// those are changed or removed, so variables someone adds in Terraform for
// their module stay.
const managedDescription = "managed by dbaas"

// A variable the workspace should have.
type variable struct {
	Value     string
	HCL       bool
	Sensitive bool
}

var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

// extraNames are the names of spec.terraform.variables, sorted.
func extraNames(s machine.Spec) []string {
	if s.Terraform == nil {
		return nil
	}
	out := make([]string, 0, len(s.Terraform.Variables))
	for k := range s.Terraform.Variables {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// variables are the workspace variables a spec asks for.
func variables(name string, s machine.Spec) (map[string]variable, error) {
	disks := make([]string, 0, len(s.Disks))
	for _, d := range machine.SortDisks(s.Disks) {
		disks = append(disks, fmt.Sprintf("{ name = %s, size_gib = %d }", hclString(d.Name), d.SizeGiB))
	}
	tagKeys := make([]string, 0, len(s.Tags))
	for k := range s.Tags {
		tagKeys = append(tagKeys, k)
	}
	sort.Strings(tagKeys)
	tags := make([]string, 0, len(tagKeys))
	for _, k := range tagKeys {
		tags = append(tags, fmt.Sprintf("%s = %s", hclString(k), hclString(s.Tags[k])))
	}
	out := map[string]variable{
		"name":           {Value: name},
		"cpu":            {Value: strconv.Itoa(int(s.CPU))},
		"memory_mib":     {Value: strconv.Itoa(int(s.MemoryMiB))},
		"disks":          {Value: "[" + strings.Join(disks, ", ") + "]", HCL: true},
		"image":          {Value: s.Image},
		"network":        {Value: s.Network},
		"ssh_public_key": {Value: s.SSHPublicKey},
		"user_data":      {Value: s.UserData, Sensitive: true},
		"tags":           {Value: "{" + strings.Join(tags, ", ") + "}", HCL: true},
		"power_state":    {Value: string(machine.PowerOf(s.PowerState))},
	}
	for _, k := range extraNames(s) {
		if _, core := out[k]; core {
			return nil, fmt.Errorf("spec.forProvider.terraform.variables cannot set %q: the provider sets it from the spec's common fields", k)
		}
		if !identifier.MatchString(k) {
			return nil, fmt.Errorf("spec.forProvider.terraform.variables: %q is not a Terraform variable name", k)
		}
		out[k] = variable{Value: s.Terraform.Variables[k]}
	}
	return out, nil
}
