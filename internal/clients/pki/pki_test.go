package pki

import (
	"crypto/tls"
	"crypto/x509"
	"testing"
	"time"
)

func TestIssueAndCurrent(t *testing.T) {
	now := time.Now()
	ca, err := NewCA("test CA", now)
	if err != nil {
		t.Fatal(err)
	}
	other, err := NewCA("another CA", now)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := IssueServer(ca, []string{"10.0.0.5", "db.example"}, now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tls.X509KeyPair(srv.Cert, srv.Key); err != nil {
		t.Fatalf("the server pair does not load for TLS: %v", err)
	}
	cases := map[string]struct {
		reason string
		ca     []byte
		pair   Pair
		hosts  []string
		now    time.Time
		want   bool
	}{
		"Covers":     {reason: "the certificate names both hosts", ca: ca.Cert, pair: srv, hosts: []string{"10.0.0.5", "db.example"}, now: now, want: true},
		"NewHost":    {reason: "a host it does not name needs a new certificate", ca: ca.Cert, pair: srv, hosts: []string{"10.0.0.6"}, now: now, want: false},
		"OtherCA":    {reason: "a certificate another CA signed is not current", ca: other.Cert, pair: srv, hosts: []string{"10.0.0.5"}, now: now, want: false},
		"OtherKey":   {reason: "a key that is not the certificate's is not current", ca: ca.Cert, pair: Pair{Cert: srv.Cert, Key: ca.Key}, hosts: []string{"10.0.0.5"}, now: now, want: false},
		"Expiring":   {reason: "a certificate within RenewBefore of its end is renewed", ca: ca.Cert, pair: srv, hosts: []string{"10.0.0.5"}, now: now.Add(ServerValidity - RenewBefore/2), want: false},
		"Garbage":    {reason: "what does not parse is not current", ca: ca.Cert, pair: Pair{Cert: []byte("x"), Key: []byte("y")}, hosts: []string{"10.0.0.5"}, now: now, want: false},
		"NoCAPEM":    {reason: "an empty CA is not current", ca: nil, pair: srv, hosts: []string{"10.0.0.5"}, now: now, want: false},
		"IPNotAsDNS": {reason: "an IP is checked against the IP SANs", ca: ca.Cert, pair: srv, hosts: []string{"db.example"}, now: now, want: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := Current(tc.ca, tc.pair, tc.hosts, tc.now); got != tc.want {
				t.Errorf("%s: Current = %v, want %v", tc.reason, got, tc.want)
			}
		})
	}
	c, err := parseCert(srv.Cert)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.IPAddresses) != 1 || len(c.DNSNames) != 1 || c.DNSNames[0] != "db.example" {
		t.Errorf("SANs: IPs %v, DNS %v; want one IP and db.example", c.IPAddresses, c.DNSNames)
	}
	if c.ExtKeyUsage[0] != x509.ExtKeyUsageServerAuth {
		t.Errorf("ext key usage %v, want server auth", c.ExtKeyUsage)
	}
	if _, err := IssueServer(ca, nil, now); err == nil {
		t.Error("IssueServer without hosts succeeded")
	}
}

func TestIssuePeer(t *testing.T) {
	now := time.Now()
	ca, err := NewCA("test CA", now)
	if err != nil {
		t.Fatal(err)
	}
	peer, err := IssuePeer(ca, []string{"function", "localhost", "127.0.0.1"}, now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tls.X509KeyPair(peer.Cert, peer.Key); err != nil {
		t.Fatalf("the peer pair does not load for TLS: %v", err)
	}
	cert, err := parseCert(peer.Cert)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(ca.Cert)
	cases := map[string]struct {
		reason string
		host   string
		usage  x509.ExtKeyUsage
	}{
		"ServesByName": {reason: "a peer serves TLS for the names it was issued for", host: "function", usage: x509.ExtKeyUsageServerAuth},
		"ServesByIP":   {reason: "a peer serves TLS for the addresses it was issued for", host: "127.0.0.1", usage: x509.ExtKeyUsageServerAuth},
		"Client":       {reason: "a peer authenticates as a client for mutual TLS", usage: x509.ExtKeyUsageClientAuth},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := cert.Verify(x509.VerifyOptions{Roots: roots, DNSName: tc.host, CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{tc.usage}})
			if err != nil {
				t.Errorf("%s: Verify: %v", tc.reason, err)
			}
		})
	}
}
