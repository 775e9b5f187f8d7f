package sqlserver

import (
	"regexp"
	"strings"
	"testing"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/test"
	"github.com/google/go-cmp/cmp"
)

func threeReplicas() AvailabilityGroup {
	return AvailabilityGroup{
		Name:        "ag1",
		ClusterType: ClusterNone,
		Certificate: Certificate{
			Name: "dbm_certificate", Subject: "dbm",
			CertFile: "/var/opt/mssql/data/dbm_certificate.cer",
			KeyFile:  "/var/opt/mssql/data/dbm_certificate.pvk",
		},
		Replicas: []Replica{
			{Name: "sql-0", Host: "sql-0.db.internal"},
			{Name: "sql-1", Host: "sql-1.db.internal"},
			{Name: "sql-2", Host: "10.0.0.7", Mode: AsynchronousCommit},
		},
	}
}

func hostileAG() AvailabilityGroup {
	ag := threeReplicas()
	ag.Name = "ag]; DROP DATABASE master; --"
	ag.EndpointName = "ep'] x"
	ag.Certificate.Name = "cert]]'"
	ag.Certificate.Subject = "O'Brien'); DROP LOGIN sa; --"
	ag.Certificate.CertFile = "/var/opt/mssql/data/it's.cer"
	ag.Replicas[0].Name = "sql-0'; SHUTDOWN; --"
	return ag
}

// script joins batches as a person would read them, each after its name.
func script(bs []Batch) string {
	var b strings.Builder
	for _, x := range bs {
		b.WriteString("-- " + x.Name)
		if len(x.Params) > 0 {
			b.WriteString(" (binds @" + strings.Join(x.Params, ", @") + ")")
		}
		b.WriteString("\n" + x.SQL + "GO\n")
	}
	return b.String()
}

func TestAvailabilityGroupGolden(t *testing.T) {
	external := threeReplicas()
	external.ClusterType = ClusterExternal
	cases := map[string]struct {
		reason string
		build  func() ([]Batch, error)
		golden string
	}{
		"PrimaryNone": {
			reason: "A primary with cluster type NONE: manual failover.",
			build:  func() ([]Batch, error) { return Primary(threeReplicas()) },
			golden: "ag-3-primary-none.sql",
		},
		"SecondaryNone": {
			reason: "A secondary restores the certificate and joins.",
			build:  func() ([]Batch, error) { return Secondary(threeReplicas()) },
			golden: "ag-3-secondary-none.sql",
		},
		"PrimaryExternal": {
			reason: "Cluster type EXTERNAL: failover mode EXTERNAL and DB_FAILOVER.",
			build:  func() ([]Batch, error) { return Primary(external) },
			golden: "ag-3-primary-external.sql",
		},
		"AddDatabase": {
			reason: "A database is put in full recovery, backed up and added.",
			build: func() ([]Batch, error) {
				b, err := AddDatabase(threeReplicas(), "orders", "/var/opt/mssql/data/orders.bak")
				return []Batch{b}, err
			},
			golden: "ag-add-database.sql",
		},
		"HostilePrimary": {
			reason: "Hostile names stay inside brackets and N'' literals.",
			build:  func() ([]Batch, error) { return Primary(hostileAG()) },
			golden: "ag-hostile-primary.sql",
		},
		"HostileSecondary": {
			reason: "Hostile names in the secondary's batches, nested dynamic SQL too.",
			build:  func() ([]Batch, error) { return Secondary(hostileAG()) },
			golden: "ag-hostile-secondary.sql",
		},
		"HostileDatabase": {
			reason: "A hostile database name and backup path.",
			build: func() ([]Batch, error) {
				b, err := AddDatabase(hostileAG(), "db]; DROP TABLE x; --", "/backup/o'neil.bak")
				return []Batch{b}, err
			},
			golden: "ag-hostile-add-database.sql",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			bs, err := tc.build()
			if err != nil {
				t.Fatalf("%s: %v", tc.reason, err)
			}
			golden(t, tc.golden, script(bs))
		})
	}
}

func TestQuote(t *testing.T) {
	cases := map[string]struct {
		in, ident, str string
	}{
		"Plain":   {in: "ag1", ident: "[ag1]", str: "N'ag1'"},
		"Bracket": {in: "a]b", ident: "[a]]b]", str: "N'a]b'"},
		"Quote":   {in: "it's", ident: "[it's]", str: "N'it''s'"},
		"Both":    {in: "]'; DROP DATABASE x; --", ident: "[]]'; DROP DATABASE x; --]", str: "N']''; DROP DATABASE x; --'"},
		"Newline": {in: "a\nGO\nb", ident: "[a\nGO\nb]", str: "N'a\nGO\nb'"},
		"Unicode": {in: "Zürich’s", ident: "[Zürich’s]", str: "N'Zürich’s'"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.ident, Ident(tc.in)); diff != "" {
				t.Errorf("Ident(%q): -want, +got:\n%s", tc.in, diff)
			}
			if diff := cmp.Diff(tc.str, String(tc.in)); diff != "" {
				t.Errorf("String(%q): -want, +got:\n%s", tc.in, diff)
			}
		})
	}
}

var (
	literal   = `N'((?:[^']|'')*)'`
	setSecret = regexp.MustCompile(`SET @sql = ` + literal + ` \+ REPLACE\(@(\w+), N'''', N''''''\) \+ ` + literal + `;`)
)

// unquote reads the value of an N” literal's body.
func unquote(body string) string { return strings.ReplaceAll(body, "''", "'") }

// TestSecretsAreBound evaluates each dynamic statement as the server would,
// with a hostile password bound, and checks that the statement it runs
// holds the password as one correctly quoted literal — and that the batch
// text itself never holds a password.
func TestSecretsAreBound(t *testing.T) {
	const pwd = `S3cret'); DROP LOGIN sa; --'`
	ag := hostileAG()
	cb, err := CreateCertificate(ag)
	if err != nil {
		t.Fatal(err)
	}
	rb, err := RestoreCertificate(ag)
	if err != nil {
		t.Fatal(err)
	}
	cert := "CERTIFICATE [cert]]]]'] "
	cases := map[string]struct {
		b    Batch
		want string
	}{
		"MasterKey": {b: MasterKey(), want: "CREATE MASTER KEY ENCRYPTION BY PASSWORD = " + String(pwd)},
		"Backup":    {b: cb, want: "BACKUP " + cert + "TO FILE = N'/var/opt/mssql/data/it''s.cer' WITH PRIVATE KEY (FILE = N'/var/opt/mssql/data/dbm_certificate.pvk', ENCRYPTION BY PASSWORD = " + String(pwd) + ")"},
		"Restore":   {b: rb, want: "CREATE " + cert + "FROM FILE = N'/var/opt/mssql/data/it''s.cer' WITH PRIVATE KEY (FILE = N'/var/opt/mssql/data/dbm_certificate.pvk', DECRYPTION BY PASSWORD = " + String(pwd) + ")"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			m := setSecret.FindStringSubmatch(tc.b.SQL)
			if m == nil {
				t.Fatalf("no dynamic statement in:\n%s", tc.b.SQL)
			}
			if diff := cmp.Diff(tc.b.Params, []string{m[2]}); diff != "" {
				t.Errorf("the statement uses another parameter than the batch declares: -want, +got:\n%s", diff)
			}
			got := unquote(m[1]) + strings.ReplaceAll(pwd, "'", "''") + unquote(m[3])
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("the server would run: -want, +got:\n%s", diff)
			}
		})
	}
}

func TestAvailabilityGroupErrors(t *testing.T) {
	cases := map[string]struct {
		reason string
		mod    func(*AvailabilityGroup)
		want   error
	}{
		"NoName":      {reason: "The group needs a name.", mod: func(a *AvailabilityGroup) { a.Name = "" }, want: errors.Errorf(errIdent, "availability group name", "")},
		"LongName":    {reason: "Identifiers stop at 128 characters.", mod: func(a *AvailabilityGroup) { a.Name = strings.Repeat("a", 129) }, want: errors.Errorf(errIdent, "availability group name", strings.Repeat("a", 129))},
		"Cluster":     {reason: "Only NONE and EXTERNAL.", mod: func(a *AvailabilityGroup) { a.ClusterType = "WSFC" }, want: errors.Errorf(errCluster, "WSFC")},
		"Port":        {reason: "Ports stop at 65535.", mod: func(a *AvailabilityGroup) { a.EndpointPort = 70000 }, want: errors.Errorf(errEndpoint, 70000)},
		"NoReplicas":  {reason: "A group needs a replica.", mod: func(a *AvailabilityGroup) { a.Replicas = nil }, want: errors.Errorf(errNoReplicas, 9, 0)},
		"TenReplicas": {reason: "At most nine.", mod: func(a *AvailabilityGroup) { a.Replicas = make([]Replica, 10) }, want: errors.Errorf(errNoReplicas, 9, 10)},
		"HostileHost": {reason: "A host goes into a URL.", mod: func(a *AvailabilityGroup) { a.Replicas[1].Host = "x:1/'" }, want: errors.Errorf(errReplicaHost, "sql-1", "x:1/'")},
		"Duplicate":   {reason: "Server names are case-insensitive and unique.", mod: func(a *AvailabilityGroup) { a.Replicas[1].Name = "SQL-0" }, want: errors.Errorf(errDuplicate, "SQL-0")},
		"Mode":        {reason: "Only the two modes.", mod: func(a *AvailabilityGroup) { a.Replicas[0].Mode = "FAST" }, want: errors.Errorf(errMode, "sql-0", "FAST")},
		"KeyPath":     {reason: "Paths are clean and absolute.", mod: func(a *AvailabilityGroup) { a.Certificate.KeyFile = "key.pvk" }, want: errors.Errorf(errFilePath, "private key file", "key.pvk")},
		"Subject":     {reason: "A certificate needs a subject.", mod: func(a *AvailabilityGroup) { a.Certificate.Subject = "" }, want: errors.New(errSubject)},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			ag := threeReplicas()
			tc.mod(&ag)
			_, err := Primary(ag)
			if diff := cmp.Diff(tc.want, err, test.EquateErrors()); diff != "" {
				t.Errorf("%s\nPrimary(...): -want error, +got error:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestCertificateFilesStep(t *testing.T) {
	s, err := CertificateFilesStep(hostileAG(), "CER", "PVK")
	if err != nil {
		t.Fatal(err)
	}
	want := Step{
		Name: "Copy the endpoint certificate",
		Check: `test "$(stat -c %U:%G:%a '/var/opt/mssql/data/it'\''s.cer')" = 'mssql:mssql:600'` +
			` && test "$(stat -c %U:%G:%a /var/opt/mssql/data/dbm_certificate.pvk)" = 'mssql:mssql:600'`,
		Apply: `chown mssql:mssql '/var/opt/mssql/data/it'\''s.cer' /var/opt/mssql/data/dbm_certificate.pvk` +
			` && chmod 0600 '/var/opt/mssql/data/it'\''s.cer' /var/opt/mssql/data/dbm_certificate.pvk`,
		Files: []File{
			{Path: "/var/opt/mssql/data/it's.cer", Content: "CER", Mode: 0o600},
			{Path: "/var/opt/mssql/data/dbm_certificate.pvk", Content: "PVK", Mode: 0o600},
		},
	}
	if diff := cmp.Diff(want, s); diff != "" {
		t.Errorf("CertificateFilesStep(...): -want, +got:\n%s", diff)
	}
}
