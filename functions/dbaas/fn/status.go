/*
Copyright 2026 The dbaas authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package fn

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	corev1 "k8s.io/api/core/v1"

	"github.com/crossplane/function-sdk-go/resource"

	enginev1alpha1 "github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
)

// Messages of a composed resource that says nothing about why it is not
// ready.
const (
	msgNotCreated  = "not created yet"
	msgNotReadyFmt = "not ready (%s)"
)

// A member is one engine process of a database, as its team sees it.
type member struct {
	Name    string
	Role    string
	Running bool
}

// A status is what an XDatabase reports about itself.
type status struct {
	Endpoint          string
	Port              int64
	Database          string
	Phase             string
	Primary           string
	ReadOnlyEndpoints []string
	Members           []member
	LastFailoverTime  string
	Message           string
	Cost              *cost
}

// observeStatus reads what a team needs to use and to look after its
// database from the observed composed resources: where to connect, which
// member is the primary, and while the database is not ready, why. Fields
// the resources do not report yet are left out.
func observeStatus(desired map[resource.Name]*resource.DesiredComposed, observed map[resource.Name]resource.ObservedComposed, database string, c *cost, ready bool) status {
	s := status{Database: database, Phase: phaseProvisioning, Cost: c}
	if ready {
		s.Phase = phaseReady
	} else {
		s.Message = notReadyMessage(desired, observed)
	}

	if _, ok := desired[nameInstance]; !ok {
		// A shared database has no instance of its own: where it is
		// reached is in the connection details its server's provider
		// config gives.
		if w, ok := secretWriter(observed); ok {
			s.Endpoint = string(w.ConnectionDetails["endpoint"])
			s.Port, _ = strconv.ParseInt(string(w.ConnectionDetails["port"]), 10, 64)
		}
		return s
	}
	in, ok := observed[nameInstance]
	if !ok {
		return s
	}
	// Every field is optional in the instance's status; a missing one
	// leaves the zero value, which is not reported.
	s.Endpoint, _ = in.Resource.GetString("status.atProvider.endpoint")
	s.Port, _ = in.Resource.GetInteger("status.atProvider.port")
	s.Primary, _ = in.Resource.GetString("status.atProvider.primary")
	s.ReadOnlyEndpoints, _ = in.Resource.GetStringArray("status.atProvider.readOnlyEndpoints")
	s.LastFailoverTime, _ = in.Resource.GetString("status.atProvider.lastFailoverTime")
	var members []enginev1alpha1.Member
	if err := in.Resource.GetValueInto("status.atProvider.members", &members); err == nil {
		for _, m := range members {
			s.Members = append(s.Members, member{Name: m.VirtualMachine, Role: m.Role, Running: m.Running})
		}
	}
	return s
}

// notReadyMessage says why the first composed resource that is not ready is
// not, as "<Kind> <name>: <message>", so that a team sees it without
// reading managed resources. Resources are taken in the order they depend
// on each other: machines, instance, firewall rule, user, database, backup
// schedule. An
// error (Synced False) says more than a Ready condition, which often only
// says Creating.
func notReadyMessage(desired map[resource.Name]*resource.DesiredComposed, observed map[resource.Name]resource.ObservedComposed) string {
	for _, name := range inOrder(desired) {
		oc, ok := observed[name]
		if readyForDatabase(name, oc, ok) {
			continue
		}
		if !ok {
			r := desired[name].Resource
			return r.GetKind() + " " + r.GetName() + ": " + msgNotCreated
		}
		r := oc.Resource
		return r.GetKind() + " " + r.GetName() + ": " + conditionMessage(r.GetCondition(xpv2.TypeSynced), r.GetCondition(xpv2.TypeReady))
	}
	return ""
}

// conditionMessage is the most telling of a resource's conditions.
func conditionMessage(synced, ready xpv2.Condition) string {
	switch {
	case synced.Status == corev1.ConditionFalse && synced.Message != "":
		return synced.Message
	case ready.Message != "":
		return ready.Message
	case ready.Reason != "":
		return fmt.Sprintf(msgNotReadyFmt, ready.Reason)
	}
	return fmt.Sprintf(msgNotReadyFmt, "no Ready condition")
}

// kindOrder ranks composed resources by the order they depend on each
// other.
var kindOrder = []resource.Name{nameVM, nameInstance, nameFirewall, nameUser, nameDatabase, nameBackupSchedule}

// inOrder returns the names of composed resources in kindOrder, members'
// machines by member.
func inOrder(desired map[resource.Name]*resource.DesiredComposed) []resource.Name {
	names := make([]resource.Name, 0, len(desired))
	for name := range desired {
		names = append(names, name)
	}
	slices.SortFunc(names, func(a, b resource.Name) int {
		if d := rank(a) - rank(b); d != 0 {
			return d
		}
		// Machines of members: vm-2 before vm-10.
		if d := len(a) - len(b); d != 0 {
			return d
		}
		return strings.Compare(string(a), string(b))
	})
	return names
}

func rank(name resource.Name) int {
	kind, _, _ := strings.Cut(string(name), "-")
	if i := slices.Index(kindOrder, resource.Name(kind)); i >= 0 {
		return i
	}
	return len(kindOrder)
}

// setStatus writes the fields of a status that are known.
func setStatus(xr *resource.Composite, s status) error {
	fields := map[string]any{
		"status.database": s.Database,
		"status.phase":    s.Phase,
	}
	if s.Endpoint != "" {
		fields["status.endpoint"] = s.Endpoint
	}
	if s.Port != 0 {
		fields["status.port"] = s.Port
	}
	if s.Primary != "" {
		fields["status.primary"] = s.Primary
	}
	if len(s.ReadOnlyEndpoints) > 0 {
		eps := make([]any, 0, len(s.ReadOnlyEndpoints))
		for _, e := range s.ReadOnlyEndpoints {
			eps = append(eps, e)
		}
		fields["status.readOnlyEndpoints"] = eps
	}
	if len(s.Members) > 0 {
		ms := make([]any, 0, len(s.Members))
		for _, m := range s.Members {
			ms = append(ms, map[string]any{"name": m.Name, "role": m.Role, "running": m.Running})
		}
		fields["status.members"] = ms
	}
	if s.LastFailoverTime != "" {
		fields["status.lastFailoverTime"] = s.LastFailoverTime
	}
	if s.Message != "" {
		fields["status.message"] = s.Message
	}
	if s.Cost != nil {
		fields["status.estimatedMonthlyCost"] = map[string]any{"amount": s.Cost.Amount, "currency": s.Cost.Currency}
	}
	for path, v := range fields {
		if err := xr.Resource.SetValue(path, v); err != nil {
			return err
		}
	}
	return nil
}
