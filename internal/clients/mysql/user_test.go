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

package mysql

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dbaas-io/dbaas/internal/clients/dbms"
)

func canLogin(t *testing.T, c *Client, u dbms.UserName, password string) bool {
	t.Helper()
	ok, err := c.CanLogin(context.Background(), u, password)
	if err != nil {
		t.Fatalf("CanLogin(%q@%q): %v", u.Name, u.Host, err)
	}
	return ok
}

func observeUser(t *testing.T, c *Client, u dbms.UserName) *dbms.UserObservation {
	t.Helper()
	o, err := c.ObserveUser(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func TestUserLifecycle(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := newClient(t)
	u := dbms.UserName{Name: "lifecycle_user", Host: "127.0.0.%"}

	if o := observeUser(t, c, u); o != nil {
		t.Fatalf("ObserveUser before create = %+v, want nil", o)
	}
	limits := dbms.ResourceLimits{
		MaxQueriesPerHour:     ptr[int32](1000),
		MaxUpdatesPerHour:     ptr[int32](500),
		MaxConnectionsPerHour: ptr[int32](200),
		MaxUserConnections:    ptr[int32](5),
	}
	if err := c.CreateUser(ctx, u, dbms.UserParameters{Password: "first-Secret", Limits: limits}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.DropUser(ctx, u, nil) })
	if diff := cmp.Diff(&dbms.UserObservation{CanLogin: true, Limits: limits}, observeUser(t, c, u)); diff != "" {
		t.Errorf("after create: -want, +got:\n%s", diff)
	}
	// The host is part of the account: the same name elsewhere is another.
	if o := observeUser(t, c, dbms.UserName{Name: u.Name}); o != nil {
		t.Errorf("ObserveUser(%s@%%) = %+v, want nil", u.Name, o)
	}
	if !canLogin(t, c, u, "first-Secret") {
		t.Error("cannot log in with the password the user was created with")
	}
	if canLogin(t, c, u, "wrong") {
		t.Error("logged in with a wrong password")
	}

	// The server holds the hash, which was all it was sent.
	var stored string
	if err := c.db.QueryRowContext(ctx, "SELECT authentication_string FROM mysql.user WHERE User = ? AND Host = ?", u.Name, u.Host).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if want, _ := nativePasswordHash("first-Secret"); stored != want {
		t.Errorf("stored password = %q, want the hash %q", stored, want)
	}

	// A new password replaces the old one; limits not given stay.
	const second = `second 'Secret' ☃ \ ｀`
	if err := c.UpdateUser(ctx, u, dbms.UserParameters{Password: second, Limits: dbms.ResourceLimits{MaxUserConnections: ptr[int32](0)}}); err != nil {
		t.Fatal(err)
	}
	want := limits
	want.MaxUserConnections = ptr[int32](0)
	if diff := cmp.Diff(&dbms.UserObservation{CanLogin: true, Limits: want}, observeUser(t, c, u)); diff != "" {
		t.Errorf("after update: -want, +got:\n%s", diff)
	}
	if !canLogin(t, c, u, second) {
		t.Error("cannot log in with the updated password")
	}
	if canLogin(t, c, u, "first-Secret") {
		t.Error("the old password still logs in")
	}

	// A locked account cannot log in, and Update unlocks it without
	// touching the password.
	exec(t, "ALTER USER 'lifecycle_user'@'127.0.0.%' ACCOUNT LOCK")
	if o := observeUser(t, c, u); o == nil || o.CanLogin {
		t.Errorf("ObserveUser of a locked account = %+v, want CanLogin false", o)
	}
	// CanLogin is about the password; the lock is ObserveUser's to report.
	if !canLogin(t, c, u, second) {
		t.Error("a locked account's password no longer matches")
	}
	if err := c.UpdateUser(ctx, u, dbms.UserParameters{}); err != nil {
		t.Fatal(err)
	}
	if o := observeUser(t, c, u); o == nil || !o.CanLogin {
		t.Errorf("ObserveUser after update = %+v, want CanLogin true", o)
	}
	if !canLogin(t, c, u, second) {
		t.Error("cannot log in after the unlocking update")
	}

	if err := c.DropUser(ctx, u, []string{"ignored"}); err != nil {
		t.Fatal(err)
	}
	if o := observeUser(t, c, u); o != nil {
		t.Errorf("ObserveUser after drop = %+v, want nil", o)
	}
	if canLogin(t, c, u, second) {
		t.Error("a dropped user logged in")
	}
	if err := c.DropUser(ctx, u, nil); err != nil {
		t.Errorf("dropping a user that is gone: %v; want no error", err)
	}
}

// TestCanLoginAfterPassword checks that refusals after the password was
// accepted count as a right password.
func TestCanLoginAfterPassword(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := newClient(t)
	u := dbms.UserName{Name: "login_limits"}
	if err := c.CreateUser(ctx, u, dbms.UserParameters{Password: "pw", Limits: dbms.ResourceLimits{MaxUserConnections: ptr[int32](1)}}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.DropUser(ctx, u, nil) })

	// A database the user may not use.
	inDB := u
	inDB.Database = "no_access_db"
	if !canLogin(t, c, inDB, "pw") {
		t.Error("the right password to a database the user cannot use counts as false")
	}
	if canLogin(t, c, inDB, "wrong") {
		t.Error("a wrong password to a database counts as true")
	}

	// Its one connection is taken.
	held, err := srv(t).Open(t, u.Name, "pw", "")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := held.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	if !canLogin(t, c, u, "pw") {
		t.Error("the right password at the connection limit counts as false")
	}
}

// TestCanLoginOtherHost: an account for hosts the provider is not on has
// its password checked all the same, without a login, which would be
// refused and would spend the account's connections per hour.
func TestCanLoginOtherHost(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := newClient(t)
	u := dbms.UserName{Name: "elsewhere", Host: "10.9.%"}
	limits := dbms.ResourceLimits{MaxConnectionsPerHour: ptr[int32](1)}
	if err := c.CreateUser(ctx, u, dbms.UserParameters{Password: "pw", Limits: limits}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.DropUser(ctx, u, nil) })
	for range 3 {
		if !canLogin(t, c, u, "pw") {
			t.Fatal("the right password of an account for another host counts as false")
		}
	}
	if canLogin(t, c, u, "wrong") {
		t.Error("a wrong password counts as true")
	}
}

func TestUserRefusals(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := newClient(t)
	cases := map[string]struct {
		reason string
		u      dbms.UserName
		p      dbms.UserParameters
		want   string
	}{
		"ConnectionLimit": {reason: "A role connection limit is PostgreSQL's", u: dbms.UserName{Name: "r1"}, p: dbms.UserParameters{Password: "p", ConnectionLimit: ptr[int32](2)},
			want: "connectionLimit is a PostgreSQL setting; MariaDB users take resourceLimits.maxUserConnections instead"},
		"Contained":     {reason: "Contained users are SQL Server's", u: dbms.UserName{Name: "r2"}, p: dbms.UserParameters{Password: "p", Contained: true}, want: "contained users are a SQL Server setting"},
		"NoPassword":    {reason: "An account without a password would let anyone in", u: dbms.UserName{Name: "r3"}, want: "password must not be empty"},
		"UpperHost":     {reason: "The server would store the host lower-cased", u: dbms.UserName{Name: "r4", Host: "App.Example"}, p: dbms.UserParameters{Password: "p"}, want: "must be lower-case"},
		"NegativeLimit": {reason: "Limits are not negative", u: dbms.UserName{Name: "r5"}, p: dbms.UserParameters{Password: "p", Limits: dbms.ResourceLimits{MaxQueriesPerHour: ptr[int32](-1)}}, want: "maxQueriesPerHour must not be negative"},
		"TrailingSpace": {reason: "The server drops trailing spaces from user names", u: dbms.UserName{Name: "r6 "}, p: dbms.UserParameters{Password: "p"}, want: "must not end with white space"},
		"Empty":         {reason: "The anonymous user is not managed", u: dbms.UserName{}, p: dbms.UserParameters{Password: "p"}, want: "user name: must not be empty"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			err := c.CreateUser(ctx, tc.u, tc.p)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), errCreateUser) {
				t.Errorf("%s: CreateUser = %v, want an error containing %q", tc.reason, err, tc.want)
			}
		})
	}
	for _, n := range []string{"r1", "r2", "r3", "r4", "r5", "r6"} {
		if o := observeUser(t, c, dbms.UserName{Name: n}); o != nil {
			t.Errorf("a refused create made user %q", n)
		}
	}
}

// TestPasswordNeverInStatements checks, in the server's general log, that
// no statement the client sends holds a password.
func TestPasswordNeverInStatements(t *testing.T) {
	// Sequential: the general log is the server's, and is switched on and
	// off here.
	ctx := context.Background()
	c := newClient(t)
	exec(t, "SET GLOBAL log_output = 'TABLE'", "TRUNCATE mysql.general_log", "SET GLOBAL general_log = ON")
	defer exec(t, "SET GLOBAL general_log = OFF", "TRUNCATE mysql.general_log")
	u := dbms.UserName{Name: "logged_user"}
	const first, second = "first-Plaintext-7f3a", "second-Plaintext-9c2b"
	if err := c.CreateUser(ctx, u, dbms.UserParameters{Password: first}); err != nil {
		t.Fatal(err)
	}
	if err := c.UpdateUser(ctx, u, dbms.UserParameters{Password: second}); err != nil {
		t.Fatal(err)
	}
	if !canLogin(t, c, u, second) {
		t.Error("cannot log in with the password")
	}
	if err := c.DropUser(ctx, u, nil); err != nil {
		t.Fatal(err)
	}
	exec(t, "SET GLOBAL general_log = OFF")
	logged := srv(t).Names(t, "SELECT CONVERT(argument USING utf8mb4) FROM mysql.general_log")
	var sawCreate bool
	for _, q := range logged {
		if strings.Contains(q, first) || strings.Contains(q, second) {
			t.Errorf("the general log holds a password: %s", q)
		}
		sawCreate = sawCreate || strings.HasPrefix(q, "CREATE USER 'logged_user'")
	}
	if !sawCreate {
		t.Errorf("the general log does not hold the CREATE USER; it holds %q", logged)
	}
}
