package procedure

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dbaas-io/dbaas/apis/sql/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/dbms"
)

func TestRender(t *testing.T) {
	d := Data{
		ExternalName: "orders",
		Name:         "orders-db",
		Namespace:    "team-a",
		Labels:       map[string]string{"crossplane.io/claim-name": "orders"},
		Annotations:  map[string]string{},
		Parameters:   map[string]string{"team": `x'); DROP TABLE t; --`, "size": "10"},
	}
	type want struct {
		call   dbms.Call
		errHas string
	}
	cases := map[string]struct {
		reason string
		call   v1alpha1.ProcedureCall
		want   want
	}{
		"EveryField": {
			reason: "Inputs see the external name, metadata and parameters, and keep their names and order",
			call: v1alpha1.ProcedureCall{Procedure: "dba.create", Inputs: []v1alpha1.ProcedureInput{
				{Name: "db", Value: "{{ .ExternalName }}"},
				{Name: "owner", Value: `{{ .Namespace }}/{{ .Name }}/{{ index .Labels "crossplane.io/claim-name" }}`},
				{Value: "{{ .Parameters.team }}"},
				{Value: "size={{ .Parameters.size }}GB"},
			}},
			want: want{call: dbms.Call{Procedure: "dba.create", Args: []dbms.Arg{
				{Name: "db", Value: "orders"},
				{Name: "owner", Value: "team-a/orders-db/orders"},
				{Value: `x'); DROP TABLE t; --`},
				{Value: "size=10GB"},
			}}},
		},
		"MissingParameter": {
			reason: "A parameter that is not there is an error naming the input, not an empty string",
			call:   v1alpha1.ProcedureCall{Procedure: "p", Inputs: []v1alpha1.ProcedureInput{{Name: "tier", Value: "{{ .Parameters.tier }}"}}},
			want:   want{errHas: "cannot render input 1 (tier)"},
		},
		"BadTemplate": {
			reason: "A template that does not parse says which input",
			call:   v1alpha1.ProcedureCall{Procedure: "p", Inputs: []v1alpha1.ProcedureInput{{Value: "ok"}, {Name: "x", Value: "{{ .Name "}}},
			want:   want{errHas: "cannot parse the template of input 2 (x)"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := Render(tc.call, d)
			if tc.want.errHas != "" {
				if err == nil || !strings.Contains(err.Error(), tc.want.errHas) {
					t.Fatalf("%s\nRender(...): err = %v, want one containing %q", tc.reason, err, tc.want.errHas)
				}
				return
			}
			if err != nil {
				t.Fatalf("%s\nRender(...): %v", tc.reason, err)
			}
			if diff := cmp.Diff(tc.want.call, got); diff != "" {
				t.Errorf("%s\nRender(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func ptr(s string) *string { return &s }

func TestOutputs(t *testing.T) {
	call := v1alpha1.ProcedureCall{Procedure: "dba.create", Outputs: []v1alpha1.ProcedureOutput{
		{Key: "user", ConnectionSecretKey: "username"},
		{Key: "password"},
	}}
	kv := func(rows ...[2]*string) *dbms.Result {
		r := &dbms.Result{Columns: []string{"key", "value"}}
		for _, row := range rows {
			r.Rows = append(r.Rows, []*string{row[0], row[1]})
		}
		return r
	}
	type want struct {
		details map[string][]byte
		errHas  string
	}
	cases := map[string]struct {
		reason string
		call   v1alpha1.ProcedureCall
		result *dbms.Result
		want   want
	}{
		"KeyValueRows": {
			reason: "Rows of (key, value) map to secret keys",
			call:   call,
			result: kv([2]*string{ptr("password"), ptr("s3cret")}, [2]*string{ptr("user"), ptr("app")}),
			want:   want{details: map[string][]byte{"username": []byte("app"), "password": []byte("s3cret")}},
		},
		"NamedColumns": {
			reason: "One row of named columns maps the same way",
			call:   call,
			result: &dbms.Result{Columns: []string{"user", "password"}, Rows: [][]*string{{ptr("app"), ptr("s3cret")}}},
			want:   want{details: map[string][]byte{"username": []byte("app"), "password": []byte("s3cret")}},
		},
		"NoRows": {
			reason: "No rows is an error that lists what was expected",
			call:   call,
			result: kv(),
			want:   want{errHas: "dba.create returned no rows; it must return the keys password, user"},
		},
		"MissingKey": {
			reason: "A missing key gives nothing at all",
			call:   call,
			result: kv([2]*string{ptr("user"), ptr("app")}),
			want:   want{errHas: "did not return the keys password; nothing was published"},
		},
		"ExtraKey": {
			reason: "An unexpected key gives nothing at all",
			call:   call,
			result: kv([2]*string{ptr("user"), ptr("app")}, [2]*string{ptr("password"), ptr("p")}, [2]*string{ptr("host"), ptr("h")}),
			want:   want{errHas: "returned keys the class does not map, host"},
		},
		"DuplicateKey": {
			reason: "A key returned twice is not silently resolved",
			call:   call,
			result: kv([2]*string{ptr("user"), ptr("a")}, [2]*string{ptr("user"), ptr("b")}),
			want:   want{errHas: `returned key "user" more than once`},
		},
		"NoOutputs": {
			reason: "A call that maps nothing publishes nothing, whatever it returns",
			call:   v1alpha1.ProcedureCall{Procedure: "dba.drop"},
			result: kv([2]*string{ptr("anything"), ptr("x")}),
			want:   want{details: map[string][]byte{}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := Outputs(tc.call, tc.result)
			if tc.want.errHas != "" {
				if err == nil || !strings.Contains(err.Error(), tc.want.errHas) || got != nil {
					t.Fatalf("%s\nOutputs(...) = %v, %v; want no details and an error containing %q", tc.reason, got, err, tc.want.errHas)
				}
				return
			}
			if err != nil {
				t.Fatalf("%s\nOutputs(...): %v", tc.reason, err)
			}
			if diff := cmp.Diff(tc.want.details, got); diff != "" {
				t.Errorf("%s\nOutputs(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
