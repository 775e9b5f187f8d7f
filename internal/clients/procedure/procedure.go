// Package procedure turns a DatabaseClass's procedure calls into dbms calls
// and their results into connection details. It is pure: rendering inputs
// and checking outputs need no server, so both are tested in full here.
package procedure

import (
	"sort"
	"strings"
	"text/template"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/apis/sql/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/dbms"
)

const (
	errParseInput  = "cannot parse the template of input %d (%s)"
	errRenderInput = "cannot render input %d (%s)"
	errFold        = "cannot read what %s returned"
	errNoRows      = "%s returned no rows; it must return the keys %s"
	errMissingKeys = "%s did not return the keys %s; nothing was published"
	errExtraKeys   = "%s returned keys the class does not map, %s; add them to outputs or stop returning them; nothing was published"
)

// Data is what input templates see.
type Data struct {
	// ExternalName is the database's name on the server.
	ExternalName string
	// Name and Namespace of the Database resource.
	Name      string
	Namespace string
	// Labels and Annotations of the Database resource.
	Labels      map[string]string
	Annotations map[string]string
	// Parameters are the Database's spec.forProvider.parameters.
	Parameters map[string]string
}

// DataFor returns what cr's input templates see.
func DataFor(cr *v1alpha1.Database, externalName string) Data {
	return Data{
		ExternalName: externalName,
		Name:         cr.GetName(),
		Namespace:    cr.GetNamespace(),
		Labels:       orEmpty(cr.GetLabels()),
		Annotations:  orEmpty(cr.GetAnnotations()),
		Parameters:   orEmpty(cr.Spec.ForProvider.Parameters),
	}
}

func orEmpty(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// Render renders c's inputs for d. A template that names a key d does not
// have is an error, so that a missing parameter is reported rather than
// passed on as an empty string. Rendered values are only ever bound.
func Render(c v1alpha1.ProcedureCall, d Data) (dbms.Call, error) {
	out := dbms.Call{Procedure: c.Procedure, Args: make([]dbms.Arg, len(c.Inputs))}
	for i, in := range c.Inputs {
		label := in.Name
		if label == "" {
			label = "unnamed"
		}
		t, err := template.New(label).Option("missingkey=error").Parse(in.Value)
		if err != nil {
			return dbms.Call{}, errors.Wrapf(err, errParseInput, i+1, label)
		}
		var b strings.Builder
		if err := t.Execute(&b, d); err != nil {
			return dbms.Call{}, errors.Wrapf(err, errRenderInput, i+1, label)
		}
		out.Args[i] = dbms.Arg{Name: in.Name, Value: b.String()}
	}
	return out, nil
}

// Outputs maps what c returned to connection details. The procedure must
// return exactly the keys c's outputs name: a missing or an extra key is an
// error and gives no details at all, so a half-written secret never exists.
func Outputs(c v1alpha1.ProcedureCall, r *dbms.Result) (map[string][]byte, error) {
	if len(c.Outputs) == 0 {
		return map[string][]byte{}, nil
	}
	kv, err := r.KeyValues()
	if err != nil {
		return nil, errors.Wrapf(err, errFold, c.Procedure)
	}
	want := make([]string, 0, len(c.Outputs))
	for _, o := range c.Outputs {
		want = append(want, o.Key)
	}
	if len(kv) == 0 {
		return nil, errors.Errorf(errNoRows, c.Procedure, list(want))
	}
	out := make(map[string][]byte, len(c.Outputs))
	var missing []string
	for _, o := range c.Outputs {
		v, ok := kv[o.Key]
		if !ok {
			missing = append(missing, o.Key)
			continue
		}
		out[SecretKey(o)] = []byte(v)
		delete(kv, o.Key)
	}
	if len(missing) > 0 {
		return nil, errors.Errorf(errMissingKeys, c.Procedure, list(missing))
	}
	if len(kv) > 0 {
		extra := make([]string, 0, len(kv))
		for k := range kv {
			extra = append(extra, k)
		}
		return nil, errors.Errorf(errExtraKeys, c.Procedure, list(extra))
	}
	return out, nil
}

// SecretKey is the connection secret key an output is published as.
func SecretKey(o v1alpha1.ProcedureOutput) string {
	if o.ConnectionSecretKey != "" {
		return o.ConnectionSecretKey
	}
	return o.Key
}

func list(keys []string) string {
	sort.Strings(keys)
	return strings.Join(keys, ", ")
}
