package server

import (
	"testing"

	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	"github.com/google/go-cmp/cmp"

	"github.com/dbaas-io/dbaas/internal/clients/dbms"
)

func TestDetails(t *testing.T) {
	ca := []byte("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
	type args struct {
		host string
		port int
		tls  dbms.TLS
	}
	cases := map[string]struct {
		reason string
		args   args
		want   managed.ConnectionDetails
	}{
		"DefaultMode": {
			reason: "A server whose TLS names no mode is verified as the provider verifies it, with verify-full",
			args:   args{host: "db.example", port: 5432},
			want: managed.ConnectionDetails{
				"endpoint": []byte("db.example"), "port": []byte("5432"), "sslmode": []byte("verify-full"),
			},
		},
		"CA": {
			reason: "The CA the server is verified with is published beside the mode",
			args:   args{host: "10.0.0.1", port: 5433, tls: dbms.TLS{Mode: dbms.TLSVerifyCA, CA: ca}},
			want: managed.ConnectionDetails{
				"endpoint": []byte("10.0.0.1"), "port": []byte("5433"), "sslmode": []byte("verify-ca"), "ca.crt": ca,
			},
		},
		"Disable": {
			reason: "A server reached in plain text says so, and has no CA to publish",
			args:   args{host: "db.example", port: 3306, tls: dbms.TLS{Mode: dbms.TLSDisable}},
			want: managed.ConnectionDetails{
				"endpoint": []byte("db.example"), "port": []byte("3306"), "sslmode": []byte("disable"),
			},
		},
		"NoClientCertificate": {
			reason: "The provider's own client certificate and key are never published",
			args:   args{host: "db.example", port: 1433, tls: dbms.TLS{Mode: dbms.TLSRequire, CA: ca, Cert: []byte("cert"), Key: []byte("key")}},
			want: managed.ConnectionDetails{
				"endpoint": []byte("db.example"), "port": []byte("1433"), "sslmode": []byte("require"), "ca.crt": ca,
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := Details(tc.args.host, tc.args.port, tc.args.tls)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nDetails: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
