package gcpfake

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	compute "google.golang.org/api/compute/v1"
)

func firewallPath(name string) string { return "global/firewalls/" + name }

func (s *Server) firewall(name string) (*compute.Firewall, *apiError) {
	fw, ok := s.firewalls[name]
	if !ok {
		return nil, notFound("projects/" + s.project + "/" + firewallPath(name))
	}
	return fw, nil
}

// checkFirewall refuses what Compute Engine refuses of a rule: an unknown
// network, no allowed or denied entry, no source at all.
func (s *Server) checkFirewall(fw *compute.Firewall) *apiError {
	network := s.norm(fw.Network)
	if !s.networks[network] {
		return notFound(network)
	}
	fw.Network = s.srv.URL + "/compute/v1/" + network
	if len(fw.Allowed) == 0 && len(fw.Denied) == 0 {
		return invalid("Invalid value for field 'resource.allowed': ''. A firewall rule must have at least one allowed or denied entry.")
	}
	if fw.Direction == "" {
		fw.Direction = "INGRESS"
	}
	if fw.Priority == 0 {
		fw.Priority = 1000
	}
	return nil
}

func (s *Server) insertFirewall(r *http.Request, _ []string) (any, *apiError) {
	var in compute.Firewall
	if e := decode(r, &in); e != nil {
		return nil, e
	}
	if !nameRe.MatchString(in.Name) {
		return nil, invalid(fmt.Sprintf("Invalid value for field 'resource.name': '%s'.", in.Name))
	}
	if _, ok := s.firewalls[in.Name]; ok {
		return nil, exists("projects/" + s.project + "/" + firewallPath(in.Name))
	}
	if e := s.checkFirewall(&in); e != nil {
		return nil, e
	}
	in.Kind, in.Id, in.SelfLink = "compute#firewall", s.nextID(), s.link(firewallPath(in.Name))
	s.firewalls[in.Name] = &in
	return s.newOperation("global", "insert", firewallPath(in.Name), nil), nil
}

func (s *Server) getFirewall(_ *http.Request, p []string) (any, *apiError) {
	fw, e := s.firewall(p[2])
	if e != nil {
		return nil, e
	}
	return clone(fw), nil
}

// patchFirewall replaces the fields the request names, as PATCH does:
// a field sent empty is cleared, a field left out is kept.
func (s *Server) patchFirewall(r *http.Request, p []string) (any, *apiError) {
	fw, e := s.firewall(p[2])
	if e != nil {
		return nil, e
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, invalid(err.Error())
	}
	var patch map[string]json.RawMessage
	if err := json.Unmarshal(body, &patch); err != nil {
		return nil, invalid("Invalid JSON payload received. " + err.Error())
	}
	if n, ok := patch["name"]; ok && string(n) != fmt.Sprintf("%q", fw.Name) {
		return nil, invalid("Invalid value for field 'resource.name': the name of a firewall rule cannot change.")
	}
	cur, _ := json.Marshal(fw)
	var merged map[string]json.RawMessage
	_ = json.Unmarshal(cur, &merged)
	for k, v := range patch {
		merged[k] = v
	}
	b, _ := json.Marshal(merged)
	var next compute.Firewall
	if err := json.Unmarshal(b, &next); err != nil {
		return nil, invalid(err.Error())
	}
	if e := s.checkFirewall(&next); e != nil {
		return nil, e
	}
	next.Kind, next.Id, next.SelfLink = fw.Kind, fw.Id, fw.SelfLink
	s.firewalls[fw.Name] = &next
	return s.newOperation("global", "patch", firewallPath(fw.Name), nil), nil
}

func (s *Server) deleteFirewall(_ *http.Request, p []string) (any, *apiError) {
	if _, e := s.firewall(p[2]); e != nil {
		return nil, e
	}
	delete(s.firewalls, p[2])
	return s.newOperation("global", "delete", firewallPath(p[2]), nil), nil
}

// Firewall returns a copy of the firewall rule named name, or nil.
func (s *Server) Firewall(name string) *compute.Firewall {
	s.mu.Lock()
	defer s.mu.Unlock()
	fw, ok := s.firewalls[name]
	if !ok {
		return nil
	}
	return clone(fw)
}
