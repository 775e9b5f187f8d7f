package dbms

import (
	"crypto/tls"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func s(v string) *string { return &v }

func TestKeyValues(t *testing.T) {
	cases := map[string]struct {
		reason string
		r      *Result
		want   map[string]string
		errHas string
	}{
		"Nil":       {reason: "No result is no keys", r: nil, want: map[string]string{}},
		"KeyValue":  {reason: "Rows of (key, value), any case", r: &Result{Columns: []string{"KEY", "Value"}, Rows: [][]*string{{s("a"), s("1")}, {s("b"), nil}}}, want: map[string]string{"a": "1", "b": ""}},
		"NamedCols": {reason: "One row of named columns", r: &Result{Columns: []string{"user", "password"}, Rows: [][]*string{{s("u"), s("p")}}}, want: map[string]string{"user": "u", "password": "p"}},
		"ManyRows":  {reason: "Named columns in more than one row are ambiguous", r: &Result{Columns: []string{"user"}, Rows: [][]*string{{s("u")}, {s("v")}}}, errHas: "returned 2 rows"},
		"Duplicate": {reason: "A key twice is an error", r: &Result{Columns: []string{"key", "value"}, Rows: [][]*string{{s("a"), s("1")}, {s("a"), s("2")}}}, errHas: `key "a" more than once`},
		"NullKey":   {reason: "A NULL key is an error", r: &Result{Columns: []string{"key", "value"}, Rows: [][]*string{{nil, s("1")}}}, errHas: "NULL key"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := tc.r.KeyValues()
			if tc.errHas != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errHas) {
					t.Fatalf("%s\nKeyValues(): err = %v, want %q", tc.reason, err, tc.errHas)
				}
				return
			}
			if err != nil {
				t.Fatalf("%s\nKeyValues(): %v", tc.reason, err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nKeyValues(): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestNormalizePrivileges(t *testing.T) {
	got := NormalizePrivileges([]string{"select", " create   view ", "SELECT", "all privileges"}, []string{"INSERT", "SELECT"})
	if want := []string{"CREATE VIEW", "INSERT", "SELECT"}; !cmp.Equal(want, got) {
		t.Errorf("NormalizePrivileges = %v, want %v", got, want)
	}
}

func TestSplitProcedureName(t *testing.T) {
	for in, want := range map[string][2]string{"p": {"", "p"}, "dba.p": {"dba", "p"}} {
		schema, name, err := SplitProcedureName(in)
		if err != nil || schema != want[0] || name != want[1] {
			t.Errorf("SplitProcedureName(%q) = %q, %q, %v; want %q", in, schema, name, err, want)
		}
	}
	for _, bad := range []string{"", ".", "a.", ".b", "a.b.c"} {
		if _, _, err := SplitProcedureName(bad); err == nil {
			t.Errorf("SplitProcedureName(%q) accepted a malformed name", bad)
		}
	}
}

func TestClientConfig(t *testing.T) {
	cases := map[string]struct {
		tls        TLS
		wantNil    bool
		wantSkip   bool
		wantVerify bool // a chain check of our own
		errHas     string
	}{
		"Disable":         {tls: TLS{Mode: TLSDisable}, wantNil: true},
		"DefaultVerifies": {tls: TLS{}},
		"PreferSkips":     {tls: TLS{Mode: TLSPrefer}, wantSkip: true},
		"RequireNoCA":     {tls: TLS{Mode: TLSRequire}, wantSkip: true},
		"RequireWithCA":   {tls: TLS{Mode: TLSRequire, CA: []byte("-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ1\n-----END CERTIFICATE-----\n")}, errHas: "no PEM certificate"},
		"VerifyFull":      {tls: TLS{Mode: TLSVerifyFull}},
		"Unknown":         {tls: TLS{Mode: "sometimes"}, errHas: `unknown TLS mode "sometimes"`},
		"BadClientCert":   {tls: TLS{Mode: TLSRequire, Cert: []byte("x"), Key: []byte("y")}, errHas: "client certificate"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c, err := tc.tls.ClientConfig("db.example.com")
			if tc.errHas != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errHas) {
					t.Fatalf("ClientConfig: err = %v, want %q", err, tc.errHas)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.wantNil {
				if c != nil {
					t.Fatal("disable gave a TLS configuration")
				}
				return
			}
			if c.MinVersion != tls.VersionTLS12 || c.ServerName != "db.example.com" {
				t.Errorf("ClientConfig: min version %x, server name %q", c.MinVersion, c.ServerName)
			}
			if c.InsecureSkipVerify != tc.wantSkip || (c.VerifyPeerCertificate != nil) != tc.wantVerify {
				t.Errorf("ClientConfig: skip %v verify-callback %v; want %v %v", c.InsecureSkipVerify, c.VerifyPeerCertificate != nil, tc.wantSkip, tc.wantVerify)
			}
		})
	}
}

func TestPrivilegeDiff(t *testing.T) {
	add, remove := PrivilegeDiff([]string{"CONNECT", "CREATE"}, []string{"CREATE", "TEMPORARY"})
	if d := cmp.Diff([]string{"CONNECT"}, add); d != "" {
		t.Errorf("add: -want, +got:\n%s", d)
	}
	if d := cmp.Diff([]string{"TEMPORARY"}, remove); d != "" {
		t.Errorf("remove: -want, +got:\n%s", d)
	}
}
