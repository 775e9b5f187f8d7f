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

package mssql

import (
	"context"
	"database/sql/driver"
	"net"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	mssql "github.com/microsoft/go-mssqldb"
	"github.com/microsoft/go-mssqldb/msdsn"

	"github.com/dbaas-io/dbaas/internal/clients/dbms"
)

const (
	errParseConf  = "cannot build the connection configuration"
	errTLSConf    = "cannot build the TLS configuration"
	errLoginTimer = "cannot end the login deadline"

	defaultDatabase = "master"
	appName         = "dbaas"
)

// msdsnConfig builds the driver's configuration. The connection string
// parsed names only the server and its port: user, password and database are
// set on the parsed configuration, so that they are never part of a string
// the driver could quote in an error, and need no escaping.
func msdsnConfig(cfg dbms.Config) (msdsn.Config, error) {
	port := cfg.Port
	if port == 0 {
		port = dbms.DefaultPort(dbms.SQLServer)
	}
	u := url.URL{
		Scheme: "sqlserver",
		Host:   net.JoinHostPort(cfg.Host, strconv.Itoa(port)),
		// The encryption is set below; disable keeps Parse from building a
		// TLS configuration it would only throw away.
		RawQuery: url.Values{msdsn.Encrypt: {"disable"}, msdsn.AppName: {appName}}.Encode(),
	}
	p, err := msdsn.Parse(u.String())
	if err != nil {
		return msdsn.Config{}, errors.Wrap(err, errParseConf)
	}
	p.User = cfg.User
	p.Password = cfg.Password
	p.Database = cfg.Database
	if p.Database == "" {
		p.Database = defaultDatabase
	}
	p.DialTimeout = cfg.Timeout()
	// ConnTimeout would bound every read, also a long CREATE DATABASE;
	// the login is bounded by loginConnector instead.
	p.ConnTimeout = 0
	if err := setEncryption(&p, cfg.TLS); err != nil {
		return msdsn.Config{}, errors.Wrap(err, errTLSConf)
	}
	return p, nil
}

// setEncryption maps the libpq-style modes onto SQL Server's. SQL Server
// knows three: no TLS at all (disable), TLS for the login packet only, which
// carries the password (encrypt=false), and TLS for the whole session
// (encrypt=true). prefer is login-only, the closest SQL Server has to "TLS
// when offered, unverified": every server offers TLS for the login, and one
// that insists on full encryption gets it. require and the verify modes
// encrypt everything; the certificate is checked as dbms.TLS says (require
// checks the chain only when a CA is given, as libpq does).
func setEncryption(p *msdsn.Config, t dbms.TLS) error {
	mode := t.EffectiveMode()
	tc, err := t.ClientConfig(p.Host)
	if err != nil {
		return err
	}
	p.TLSConfig = tc
	// An explicit name must survive the driver's re-targeting of the TLS
	// name to a server it is routed to.
	p.HostInCertificateProvided = t.ServerName != ""
	switch mode {
	case dbms.TLSDisable:
		p.Encryption = msdsn.EncryptionDisabled
		p.TrustServerCertificate = false
		return nil
	case dbms.TLSPrefer:
		p.Encryption = msdsn.EncryptionOff
		p.TrustServerCertificate = true
	case dbms.TLSRequire:
		p.Encryption = msdsn.EncryptionRequired
		p.TrustServerCertificate = len(t.CA) == 0
	default: // verify-ca, verify-full; ClientConfig refused anything else
		p.Encryption = msdsn.EncryptionRequired
		p.TrustServerCertificate = false
	}
	// SQL Server expects one TLS record per TDS packet; the driver sets
	// this on a copy otherwise.
	p.TLSConfig.DynamicRecordSizingDisabled = true
	return nil
}

// newConnector returns the connector the pool dials with.
func newConnector(cfg dbms.Config) (driver.Connector, error) {
	p, err := msdsnConfig(cfg)
	if err != nil {
		return nil, err
	}
	return &loginConnector{params: p, timeout: cfg.Timeout()}, nil
}

// login opens one connection as cfg says and closes it again.
func login(ctx context.Context, cfg dbms.Config) error {
	conn, err := newConnector(cfg)
	if err != nil {
		return err
	}
	dc, err := conn.Connect(ctx)
	if err != nil {
		return err
	}
	return dc.Close()
}

// A loginConnector bounds the dial and the login of every connection it
// makes by timeout. The driver bounds the dial itself, but not the login:
// it does not watch the context while it waits for the server's answers,
// and its own I/O timeout (ConnTimeout) would stay on every read after the
// login too, failing any statement that runs longer. So each connection is
// dialled with a deadline on the socket, which is lifted once the login is
// done.
type loginConnector struct {
	params  msdsn.Config
	timeout time.Duration
}

// Connect dials and logs in.
func (c *loginConnector) Connect(ctx context.Context) (driver.Conn, error) {
	d := &deadlineDialer{timeout: c.timeout}
	mc := mssql.NewConnectorConfig(c.params)
	mc.Dialer = d
	conn, err := mc.Connect(ctx)
	if err != nil {
		return nil, err
	}
	if err := d.lift(); err != nil {
		_ = conn.Close()
		return nil, errors.Wrap(err, errLoginTimer)
	}
	return conn, nil
}

// Driver returns the go-mssqldb driver.
func (c *loginConnector) Driver() driver.Driver {
	return mssql.NewConnectorConfig(c.params).Driver()
}

// A deadlineDialer dials with a deadline on each socket and can lift them.
type deadlineDialer struct {
	timeout time.Duration

	mu    sync.Mutex
	conns []net.Conn
}

// DialContext dials addr. The driver may dial more than one address (all the
// IPs of a listener at once, a server it is routed to); each gets its
// deadline.
func (d *deadlineDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	nd := net.Dialer{KeepAlive: 30 * time.Second}
	conn, err := nd.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	if err := conn.SetDeadline(time.Now().Add(d.timeout)); err != nil {
		_ = conn.Close()
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.conns = append(d.conns, conn)
	return conn, nil
}

// lift removes the deadlines. A connection the driver closed already (one
// it did not use) has none to lift and is skipped.
func (d *deadlineDialer) lift() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, conn := range d.conns {
		if err := conn.SetDeadline(time.Time{}); err != nil && !errors.Is(err, net.ErrClosed) {
			return err
		}
	}
	return nil
}
