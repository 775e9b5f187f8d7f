package tfefake

import (
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"

	tfe "github.com/hashicorp/go-tfe"
)

// currentStateOutputs lists the outputs of the workspace's current state,
// sorted by name; 404 while the workspace has no state.
func currentStateOutputs(w http.ResponseWriter, ws *workspace) {
	if ws.outputs == nil {
		notFound(w)
		return
	}
	keys := make([]string, 0, len(ws.outputs))
	for k := range ws.outputs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := []*tfe.StateVersionOutput{}
	for _, k := range keys {
		out = append(out, &tfe.StateVersionOutput{ID: "wsout-" + ws.ws.ID + "-" + k, Name: k, Value: ws.outputs[k]})
	}
	writeList(w, out, len(out))
}

// diskRE reads one disk of the disks variable, an HCL list of objects.
var diskRE = regexp.MustCompile(`name\s*=\s*"((?:[^"\\]|\\.)*)"\s*,\s*size_gib\s*=\s*(\d+)`)

// execute applies the module: it computes the outputs a VM module would
// give from the workspace's variables, or clears them for a destroy.
func (r *Rig) execute(x *run) {
	ws := x.ws
	if x.r.IsDestroy {
		ws.outputs = nil
		return
	}
	vars := map[string]string{}
	for _, v := range ws.vars {
		vars[v.Key] = v.Value
	}
	cpu, _ := strconv.Atoi(vars["cpu"])
	mem, _ := strconv.Atoi(vars["memory_mib"])
	disks := []map[string]interface{}{}
	for _, m := range diskRE.FindAllStringSubmatch(vars["disks"], -1) {
		size, _ := strconv.Atoi(m[2])
		name, err := strconv.Unquote(`"` + m[1] + `"`)
		if err != nil {
			name = m[1]
		}
		disks = append(disks, map[string]interface{}{"name": name, "size_gib": size})
	}
	power := vars["power_state"]
	if power == "" {
		power = "On"
	}
	ws.outputs = map[string]interface{}{
		"address":     fmt.Sprintf("10.%d.%d.%d", (ws.n>>16)&255, (ws.n>>8)&255, ws.n&255),
		"id":          "vm-" + strings.TrimPrefix(ws.ws.ID, "ws-"),
		"cpu":         cpu,
		"memory_mib":  mem,
		"disks":       disks,
		"power_state": power,
	}
}
