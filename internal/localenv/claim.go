package localenv

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/clients/dbms"
)

// DatabaseGVK is the kind teams write: the platform's Crossplane v2
// namespaced Database.
var DatabaseGVK = schema.GroupVersionKind{Group: "platform.dbaas.io", Version: "v1alpha1", Kind: "Database"}

// ClaimGVK is the claim of the claim path, for platforms that still use
// claims.
var ClaimGVK = schema.GroupVersionKind{Group: "claims.dbaas.io", Version: "v1alpha1", Kind: "DatabaseClaim"}

// ClaimXRGVK is the cluster-scoped composite resource Crossplane makes for a
// DatabaseClaim.
var ClaimXRGVK = schema.GroupVersionKind{Group: "claims.dbaas.io", Version: "v1alpha1", Kind: "XDatabase"}

// ComposedKinds are the managed resource kinds a Database is composed of, in
// the order they become ready.
var ComposedKinds = []schema.GroupVersionKind{
	{Group: "compute.dbaas.io", Version: "v1alpha1", Kind: "VirtualMachine"},
	{Group: "engine.dbaas.io", Version: "v1alpha1", Kind: "DatabaseInstance"},
	{Group: "sql.dbaas.io", Version: "v1alpha1", Kind: "User"},
	{Group: "sql.dbaas.io", Version: "v1alpha1", Kind: "Database"},
}

// Condition returns the status and message of a condition of an object.
func Condition(u *unstructured.Unstructured, typ string) (status, reason, message string) {
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		m, ok := c.(map[string]any)
		if !ok || m["type"] != typ {
			continue
		}
		s, _ := m["status"].(string)
		r, _ := m["reason"].(string)
		msg, _ := m["message"].(string)
		return s, r, msg
	}
	return "", "", ""
}

// WaitForReady polls an object until its Ready condition is True. Each
// change of the composed resources in its namespace is reported through
// report, so a user sees the Database progress stage by stage.
func (e *Env) WaitForReady(ctx context.Context, gvk schema.GroupVersionKind, ns, name string, timeout time.Duration, report func(string)) (*unstructured.Unstructured, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	seen := map[string]string{}
	for {
		for _, k := range ComposedKinds {
			l := &unstructured.UnstructuredList{}
			l.SetGroupVersionKind(k.GroupVersion().WithKind(k.Kind + "List"))
			if err := e.Client.List(ctx, l, client.InNamespace(ns)); err != nil {
				continue
			}
			for i := range l.Items {
				s, r, m := Condition(&l.Items[i], "Ready")
				_, _, sm := Condition(&l.Items[i], "Synced")
				line := fmt.Sprintf("%s %s: Ready=%s %s %s", k.Kind, l.Items[i].GetName(), orUnknown(s), r, firstLine(m+" "+sm))
				key := k.Kind + "/" + l.Items[i].GetName()
				if seen[key] != line && report != nil {
					report(strings.TrimSpace(line))
				}
				seen[key] = line
			}
		}
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(gvk)
		if err := e.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, u); err == nil {
			if s, _, _ := Condition(u, "Ready"); s == "True" {
				return u, nil
			}
		}
		select {
		case <-ctx.Done():
			return nil, errors.Errorf("%s %s/%s is not Ready after %s: see the logs in %s", gvk.Kind, ns, name, timeout, e.logDir())
		case <-time.After(250 * time.Millisecond):
		}
	}
}

func orUnknown(s string) string {
	if s == "" {
		return "Unknown"
	}
	return s
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 160 {
		s = s[:160] + "…"
	}
	return s
}

// ConnectionDetails reads a connection secret.
func (e *Env) ConnectionDetails(ctx context.Context, ns, name string) (map[string]string, error) {
	s := &corev1.Secret{}
	if err := e.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, s); err != nil {
		return nil, errors.Wrapf(err, "cannot read connection secret %s/%s", ns, name)
	}
	out := map[string]string{}
	for k, v := range s.Data {
		out[k] = string(v)
	}
	return out, nil
}

// Connect opens a PostgreSQL connection with a connection secret's details.
func Connect(ctx context.Context, d map[string]string) (*pgx.Conn, error) {
	for _, k := range []string{"username", "password", "endpoint", "port", "database"} {
		if d[k] == "" {
			return nil, errors.Errorf("the connection secret has no %q key", k)
		}
	}
	cfg, err := pgx.ParseConfig("")
	if err != nil {
		return nil, errors.Wrap(err, "cannot build a connection config")
	}
	cfg.Host, cfg.User, cfg.Password, cfg.Database = d["endpoint"], d["username"], d["password"], d["database"]
	var port uint16
	if _, err := fmt.Sscanf(d["port"], "%d", &port); err != nil {
		return nil, errors.Wrapf(err, "port %q is not a number", d["port"])
	}
	cfg.Port = port
	// As an application would: the sslmode and CA the secret carries, and
	// no plain fallback.
	cfg.Fallbacks = nil
	if cfg.TLSConfig, err = (dbms.TLS{Mode: d["sslmode"], CA: []byte(d["ca.crt"])}).ClientConfig(cfg.Host); err != nil {
		return nil, errors.Wrap(err, "cannot build the TLS configuration from the connection secret")
	}
	c, err := pgx.ConnectConfig(ctx, cfg)
	return c, errors.Wrapf(err, "cannot connect to %s:%d as %s", cfg.Host, cfg.Port, cfg.User)
}

// WaitForGone waits until no composed resource is left in a namespace.
func (e *Env) WaitForGone(ctx context.Context, ns string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		left := []string{}
		for _, k := range ComposedKinds {
			l := &unstructured.UnstructuredList{}
			l.SetGroupVersionKind(k.GroupVersion().WithKind(k.Kind + "List"))
			if err := e.Client.List(ctx, l, client.InNamespace(ns)); err != nil {
				return errors.Wrapf(err, "cannot list %s", k.Kind)
			}
			for _, i := range l.Items {
				left = append(left, k.Kind+"/"+i.GetName())
			}
		}
		if len(left) == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return errors.Errorf("still present after %s: %s", timeout, strings.Join(left, ", "))
		case <-time.After(250 * time.Millisecond):
		}
	}
}
