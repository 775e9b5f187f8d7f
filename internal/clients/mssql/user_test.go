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
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	mssql "github.com/microsoft/go-mssqldb"

	"github.com/dbaas-io/dbaas/internal/clients/dbms"
)

// A password that would end a string literal and run SQL if it were spliced
// into one.
const evilPassword = `p'w]d; DROP LOGIN sa; --`

// inDB is the statement inDatabase sends: the batch and its arguments, the
// database name, the statement to run there and its parameters, in that
// order.
func inDB(db, stmt, ifMissing string, params ...param) sent {
	q, _ := inDatabase(db, stmt, ifMissing, params...)
	args := []sentArg{named("database", db), named("stmt", stmt)}
	for _, p := range params {
		args = append(args, named(p.name, p.value))
	}
	return sent{Kind: "exec", Query: q, Args: withOrdinals(args...)}
}

func asQuery(s sent) sent {
	s.Kind = "query"
	return s
}

// checkPasswordBound fails when a statement's text holds the password or
// the password is bound as anything but @password.
func checkPasswordBound(t *testing.T, got []sent, password string) {
	t.Helper()
	for _, s := range got {
		if strings.Contains(s.Query, password) {
			t.Errorf("statement text holds the password:\n%s", s.Query)
		}
		for _, a := range s.Args {
			v, _ := a.Value.(string)
			if strings.Contains(v, password) && (a.Name != "password" || v != password) {
				t.Errorf("the password is bound as %+v, want only as @password", a)
			}
		}
	}
}

var (
	loginSQL = func(name, pw string) sent {
		return sent{Kind: "exec", Query: createLoginSQL, Args: withOrdinals(named("name", name), named("password", pw))}
	}
	enableSQL = func(name string) sent {
		return sent{Kind: "exec", Query: enableLoginSQL, Args: withOrdinals(named("name", name))}
	}
	loginPasswordSQL = func(name, pw string) sent {
		return sent{Kind: "exec", Query: alterLoginPasswordSQL, Args: withOrdinals(named("name", name), named("password", pw))}
	}
	dropLogin = func(name string) sent {
		return sent{Kind: "exec", Query: dropLoginSQL, Args: withOrdinals(named("name", name))}
	}
	observeLogin = func(name string) sent {
		return sent{Kind: "query", Query: observeLoginSQL, Args: []sentArg{positional(1, name)}}
	}
	observeDBUser = func(db, name string) sent {
		return asQuery(inDB(db, observeDatabaseUserSQL, skipIfMissing, nameParam(name)))
	}
)

func TestInDatabase(t *testing.T) {
	q, args := inDatabase(hostile, "SELECT 1", failIfMissing, nameParam("n"), passwordParam("pw"))
	want := `IF DB_ID(@database) IS NULL
BEGIN
	RAISERROR(N'database %s does not exist', 16, 1, @database); RETURN;
END;
DECLARE @exec nvarchar(300) = QUOTENAME(@database) + N'.sys.sp_executesql';
EXEC @exec @stmt, N'@name sysname, @password nvarchar(max)', @name = @name, @password = @password;`
	if diff := cmp.Diff(want, q); diff != "" {
		t.Errorf("The database is named through QUOTENAME(@database), the statement and values are bound: -want, +got:\n%s", diff)
	}
	if strings.Contains(q, "x]") || strings.Contains(q, "pw") {
		t.Errorf("the batch text holds a value:\n%s", q)
	}
	if len(args) != 4 {
		t.Errorf("got %d arguments, want database, stmt, name and password", len(args))
	}
	q, _ = inDatabase("db", "SELECT 1", skipIfMissing)
	want = `IF DB_ID(@database) IS NULL
BEGIN
	RETURN;
END;
DECLARE @exec nvarchar(300) = QUOTENAME(@database) + N'.sys.sp_executesql';
EXEC @exec @stmt;`
	if diff := cmp.Diff(want, q); diff != "" {
		t.Errorf("A statement without parameters, in a database that may be gone: -want, +got:\n%s", diff)
	}
}

func TestCreateUser(t *testing.T) {
	type want struct {
		Sent []sent
		Err  []string
	}
	cases := map[string]struct {
		reason  string
		user    dbms.UserName
		params  dbms.UserParameters
		replies []reply
		want    want
	}{
		"Login": {
			reason: "A user without a database is a login; name and password are bound",
			user:   dbms.UserName{Name: hostile},
			params: dbms.UserParameters{Password: evilPassword},
			want:   want{Sent: []sent{loginSQL(hostile, evilPassword)}},
		},
		"LoginWithDatabase": {
			reason: "A login with a database also gets a user there, made through that database's sp_executesql",
			user:   dbms.UserName{Name: "app", Database: "appdb"},
			params: dbms.UserParameters{Password: evilPassword},
			want: want{Sent: []sent{
				loginSQL("app", evilPassword),
				inDB("appdb", ensureLoginUserSQL, failIfMissing, nameParam("app")),
			}},
		},
		"LoginFails": {
			reason:  "When the login cannot be created, no database user is attempted",
			user:    dbms.UserName{Name: "app", Database: "appdb"},
			params:  dbms.UserParameters{Password: evilPassword},
			replies: []reply{{Err: mssql.Error{Number: 15025, Message: "The server principal 'app' already exists."}}},
			want: want{
				Sent: []sent{loginSQL("app", evilPassword)},
				Err:  []string{errCreateUser, "already exists"},
			},
		},
		"DatabaseUserFails": {
			reason:  "A failure in the database names the database",
			user:    dbms.UserName{Name: "app", Database: "appdb"},
			params:  dbms.UserParameters{Password: evilPassword},
			replies: []reply{{}, {Err: mssql.Error{Number: 50000, Message: "database appdb does not exist"}}},
			want: want{
				Sent: []sent{loginSQL("app", evilPassword), inDB("appdb", ensureLoginUserSQL, failIfMissing, nameParam("app"))},
				Err:  []string{`"appdb"`, "does not exist"},
			},
		},
		"Contained": {
			reason: "A contained user is made in its database, with its password, and no login",
			user:   dbms.UserName{Name: hostile, Database: hostile},
			params: dbms.UserParameters{Password: evilPassword, Contained: true},
			want: want{Sent: []sent{
				inDB(hostile, createContainedUserSQL, failIfMissing, nameParam(hostile), passwordParam(evilPassword)),
			}},
		},
		"ContainedWithoutDatabase": {
			reason: "A contained user needs its database",
			user:   dbms.UserName{Name: "app"},
			params: dbms.UserParameters{Password: evilPassword, Contained: true},
			want:   want{Err: []string{errCreateUser, errContainedNoDB}},
		},
		"NoPassword": {
			reason: "Neither a login nor a contained user can be made without a password",
			user:   dbms.UserName{Name: "app"},
			want:   want{Err: []string{errCreateUser, errEmptyPassword}},
		},
		"PasswordNUL": {
			reason: "A password with NUL is refused",
			user:   dbms.UserName{Name: "app"},
			params: dbms.UserParameters{Password: "a\x00b"},
			want:   want{Err: []string{errCreateUser, errPasswordNUL}},
		},
		"PasswordUTF8": {
			reason: "A password that is not UTF-8 would change on the way",
			user:   dbms.UserName{Name: "app"},
			params: dbms.UserParameters{Password: "a\xffb"},
			want:   want{Err: []string{errCreateUser, errPasswordUTF8}},
		},
		"Host": {
			reason: "A host is MySQL's",
			user:   dbms.UserName{Name: "app", Host: "%"},
			params: dbms.UserParameters{Password: "pw"},
			want:   want{Err: []string{errCreateUser, "host", "MySQL"}},
		},
		"ConnectionLimit": {
			reason: "A connection limit is PostgreSQL's",
			user:   dbms.UserName{Name: "app"},
			params: dbms.UserParameters{Password: "pw", ConnectionLimit: ptr[int32](3)},
			want:   want{Err: []string{errCreateUser, "connectionLimit", "PostgreSQL"}},
		},
		"Limits": {
			reason: "Resource limits are MySQL's",
			user:   dbms.UserName{Name: "app"},
			params: dbms.UserParameters{Password: "pw", Limits: dbms.ResourceLimits{MaxUserConnections: ptr[int32](3)}},
			want:   want{Err: []string{errCreateUser, "resourceLimits", "MySQL"}},
		},
		"LongName": {
			reason: "A name longer than sysname is refused",
			user:   dbms.UserName{Name: strings.Repeat("a", 129)},
			params: dbms.UserParameters{Password: "pw"},
			want:   want{Err: []string{errCreateUser, "user", errLongName}},
		},
		"WindowsName": {
			reason: "A DOMAIN\\user name is a Windows account, which has no password",
			user:   dbms.UserName{Name: `CORP\app`},
			params: dbms.UserParameters{Password: "pw"},
			want:   want{Err: []string{errCreateUser, "Windows account"}},
		},
		"BadDatabase": {
			reason: "So is a bad database name",
			user:   dbms.UserName{Name: "app", Database: "a\x00"},
			params: dbms.UserParameters{Password: "pw"},
			want:   want{Err: []string{errCreateUser, "database", errNULName}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c, s := newFakeClient(t, tc.replies...)
			err := c.CreateUser(context.Background(), tc.user, tc.params)
			checkErr(t, tc.reason, err, tc.want.Err...)
			got := s.statements()
			if diff := cmp.Diff(tc.want.Sent, got); diff != "" {
				t.Errorf("%s\nsent: -want, +got:\n%s", tc.reason, diff)
			}
			checkPasswordBound(t, got, evilPassword)
			if err != nil && strings.Contains(err.Error(), evilPassword) {
				t.Errorf("%s\nthe error gives the password away: %v", tc.reason, err)
			}
		})
	}
}

func TestUpdateUser(t *testing.T) {
	type want struct {
		Sent []sent
		Err  []string
	}
	cases := map[string]struct {
		reason  string
		user    dbms.UserName
		params  dbms.UserParameters
		replies []reply
		want    want
	}{
		"Login": {
			reason: "A login is enabled; without a password nothing else is sent",
			user:   dbms.UserName{Name: "app"},
			want:   want{Sent: []sent{enableSQL("app")}},
		},
		"LoginPassword": {
			reason: "A new password is set with ALTER LOGIN, bound",
			user:   dbms.UserName{Name: hostile},
			params: dbms.UserParameters{Password: evilPassword},
			want:   want{Sent: []sent{enableSQL(hostile), loginPasswordSQL(hostile, evilPassword)}},
		},
		"LoginDatabase": {
			reason: "A login's user in its database is made or mapped again",
			user:   dbms.UserName{Name: "app", Database: "appdb"},
			params: dbms.UserParameters{Password: evilPassword},
			want: want{Sent: []sent{
				enableSQL("app"),
				loginPasswordSQL("app", evilPassword),
				inDB("appdb", ensureLoginUserSQL, failIfMissing, nameParam("app")),
			}},
		},
		"LoginFails": {
			reason:  "When the login cannot be enabled nothing else is sent",
			user:    dbms.UserName{Name: "app", Database: "appdb"},
			params:  dbms.UserParameters{Password: evilPassword},
			replies: []reply{{Err: mssql.Error{Number: 15151, Message: "Cannot alter the login 'app'"}}},
			want:    want{Sent: []sent{enableSQL("app")}, Err: []string{errUpdateUser, "Cannot alter the login"}},
		},
		"Contained": {
			reason: "A contained user's password is set with ALTER USER in its database, and it may connect",
			user:   dbms.UserName{Name: "app", Database: "appdb"},
			params: dbms.UserParameters{Password: evilPassword, Contained: true},
			want: want{Sent: []sent{
				inDB("appdb", alterContainedPasswordSQL, failIfMissing, nameParam("app"), passwordParam(evilPassword)),
				inDB("appdb", grantConnectSQL, failIfMissing, nameParam("app")),
			}},
		},
		"ContainedNoPassword": {
			reason: "Without a password a contained user is only let connect",
			user:   dbms.UserName{Name: "app", Database: "appdb"},
			params: dbms.UserParameters{Contained: true},
			want:   want{Sent: []sent{inDB("appdb", grantConnectSQL, failIfMissing, nameParam("app"))}},
		},
		"ContainedWithoutDatabase": {
			reason: "A contained user needs its database",
			user:   dbms.UserName{Name: "app"},
			params: dbms.UserParameters{Contained: true},
			want:   want{Err: []string{errUpdateUser, errContainedNoDB}},
		},
		"BadPassword": {
			reason: "A password that would not reach the server as given is refused",
			user:   dbms.UserName{Name: "app"},
			params: dbms.UserParameters{Password: "\xff"},
			want:   want{Err: []string{errUpdateUser, errPasswordUTF8}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c, s := newFakeClient(t, tc.replies...)
			err := c.UpdateUser(context.Background(), tc.user, tc.params)
			checkErr(t, tc.reason, err, tc.want.Err...)
			got := s.statements()
			if diff := cmp.Diff(tc.want.Sent, got); diff != "" {
				t.Errorf("%s\nsent: -want, +got:\n%s", tc.reason, diff)
			}
			checkPasswordBound(t, got, evilPassword)
		})
	}
}

func TestObserveUser(t *testing.T) {
	dbUserCols := []string{"authentication_type", "mapped", "can_connect"}
	type want struct {
		Obs  *dbms.UserObservation
		Sent []sent
		Err  []string
	}
	cases := map[string]struct {
		reason  string
		user    dbms.UserName
		replies []reply
		want    want
	}{
		"Login": {
			reason:  "A login that is not disabled can log in",
			user:    dbms.UserName{Name: hostile},
			replies: []reply{rows([]string{"is_disabled"}, row(false))},
			want:    want{Obs: &dbms.UserObservation{CanLogin: true}, Sent: []sent{observeLogin(hostile), ownerRead(ownedLogin, "", hostile)}},
		},
		"Disabled": {
			reason:  "A disabled login cannot",
			user:    dbms.UserName{Name: "app"},
			replies: []reply{rows([]string{"is_disabled"}, row(true))},
			want:    want{Obs: &dbms.UserObservation{}, Sent: []sent{observeLogin("app"), ownerRead(ownedLogin, "", "app")}},
		},
		"Missing": {
			reason:  "No login means no user",
			user:    dbms.UserName{Name: "app"},
			replies: []reply{rows([]string{"is_disabled"})},
			want:    want{Sent: []sent{observeLogin("app")}},
		},
		"LoginWithUser": {
			reason: "A login whose user in its database is mapped to it and may connect can log in",
			user:   dbms.UserName{Name: "app", Database: "appdb"},
			replies: []reply{
				rows(dbUserCols, row(int64(1), true, true)),
				rows([]string{"is_disabled"}, row(false)),
			},
			want: want{
				Obs:  &dbms.UserObservation{CanLogin: true},
				Sent: []sent{observeDBUser("appdb", "app"), observeLogin("app"), ownerRead(ownedLogin, "", "app")},
			},
		},
		"LoginWithoutUser": {
			reason: "A login without its user in its database cannot log in there",
			user:   dbms.UserName{Name: "app", Database: "appdb"},
			replies: []reply{
				rows(dbUserCols),
				rows([]string{"is_disabled"}, row(false)),
			},
			want: want{
				Obs:  &dbms.UserObservation{},
				Sent: []sent{observeDBUser("appdb", "app"), observeLogin("app"), ownerRead(ownedLogin, "", "app")},
			},
		},
		"OrphanedUser": {
			reason: "Nor can one whose user there belongs to no login of its name (as after a restore)",
			user:   dbms.UserName{Name: "app", Database: "appdb"},
			replies: []reply{
				rows(dbUserCols, row(int64(1), false, true)),
				rows([]string{"is_disabled"}, row(false)),
			},
			want: want{
				Obs:  &dbms.UserObservation{},
				Sent: []sent{observeDBUser("appdb", "app"), observeLogin("app"), ownerRead(ownedLogin, "", "app")},
			},
		},
		"NoConnect": {
			reason: "Nor can one whose user lost CONNECT",
			user:   dbms.UserName{Name: "app", Database: "appdb"},
			replies: []reply{
				rows(dbUserCols, row(int64(1), true, false)),
				rows([]string{"is_disabled"}, row(false)),
			},
			want: want{
				Obs:  &dbms.UserObservation{},
				Sent: []sent{observeDBUser("appdb", "app"), observeLogin("app"), ownerRead(ownedLogin, "", "app")},
			},
		},
		"Contained": {
			reason:  "A contained user is found in its database and no login is looked for",
			user:    dbms.UserName{Name: "app", Database: "appdb"},
			replies: []reply{rows(dbUserCols, row(int64(2), false, true))},
			want: want{
				Obs:  &dbms.UserObservation{Contained: true, CanLogin: true},
				Sent: []sent{observeDBUser("appdb", "app"), ownerRead(ownedUser, "appdb", "app")},
			},
		},
		"ContainedNoConnect": {
			reason:  "A contained user without CONNECT cannot log in",
			user:    dbms.UserName{Name: "app", Database: "appdb"},
			replies: []reply{rows(dbUserCols, row(int64(2), false, false))},
			want: want{
				Obs:  &dbms.UserObservation{Contained: true},
				Sent: []sent{observeDBUser("appdb", "app"), ownerRead(ownedUser, "appdb", "app")},
			},
		},
		"NothingAnywhere": {
			reason:  "No user in the database (or no database) and no login means no user",
			user:    dbms.UserName{Name: "app", Database: "gone"},
			replies: []reply{{}, rows([]string{"is_disabled"})},
			want:    want{Sent: []sent{observeDBUser("gone", "app"), observeLogin("app")}},
		},
		"Error": {
			reason:  "A failure in the database names it",
			user:    dbms.UserName{Name: "app", Database: "appdb"},
			replies: []reply{{Err: mssql.Error{Number: 916, Message: "The server principal is not able to access the database"}}},
			want: want{
				Sent: []sent{observeDBUser("appdb", "app")},
				Err:  []string{errObserveUser, `"appdb"`, "not able to access"},
			},
		},
		"Host": {
			reason: "A host is refused before anything is sent",
			user:   dbms.UserName{Name: "app", Host: "localhost"},
			want:   want{Err: []string{errObserveUser, "host"}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c, s := newFakeClient(t, tc.replies...)
			o, err := c.ObserveUser(context.Background(), tc.user)
			checkErr(t, tc.reason, err, tc.want.Err...)
			if diff := cmp.Diff(tc.want.Obs, o); diff != "" {
				t.Errorf("%s\nobservation: -want, +got:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.Sent, s.statements()); diff != "" {
				t.Errorf("%s\nsent: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestCanLogin(t *testing.T) {
	loginFailed := mssql.Error{Number: 18456, Message: "Login failed for user 'app'."}
	cannotOpen := mssql.Error{Number: 18456, Message: "Login failed for user 'app'.", All: []mssql.Error{
		{Number: 4060, Message: "Cannot open database \"appdb\" requested by the login. The login failed."},
		{Number: 18456, Message: "Login failed for user 'app'."},
	}}
	admin := dbms.Config{Engine: dbms.SQLServer, Host: "db.example", Port: 1433, User: "sa", Password: "admin-pw", Database: "master"}
	type want struct {
		OK  bool
		Cfg *dbms.Config
		Err []string
	}
	cases := map[string]struct {
		reason string
		user   dbms.UserName
		err    error
		want   want
	}{
		"Accepted": {
			reason: "A login that succeeds means the password is right; it is tried on the admin's server as the user",
			user:   dbms.UserName{Name: "app"},
			want: want{OK: true, Cfg: &dbms.Config{Engine: dbms.SQLServer, Host: "db.example", Port: 1433,
				User: "app", Password: evilPassword}},
		},
		"Database": {
			reason: "A user with a database logs in to it (a contained user can only log in there)",
			user:   dbms.UserName{Name: "app", Database: "appdb"},
			want: want{OK: true, Cfg: &dbms.Config{Engine: dbms.SQLServer, Host: "db.example", Port: 1433,
				User: "app", Password: evilPassword, Database: "appdb"}},
		},
		"Refused": {
			reason: "Login failed (18456) alone is a wrong password, not an error",
			user:   dbms.UserName{Name: "app"},
			err:    loginFailed,
			want: want{Cfg: &dbms.Config{Engine: dbms.SQLServer, Host: "db.example", Port: 1433,
				User: "app", Password: evilPassword}},
		},
		"CannotOpenDatabase": {
			reason: "4060 before 18456 means the password was accepted and the database was not",
			user:   dbms.UserName{Name: "app", Database: "appdb"},
			err:    cannotOpen,
			want: want{OK: true, Cfg: &dbms.Config{Engine: dbms.SQLServer, Host: "db.example", Port: 1433,
				User: "app", Password: evilPassword, Database: "appdb"}},
		},
		"Expired": {
			reason: "An expired password cannot log in; setting it again cures that",
			user:   dbms.UserName{Name: "app"},
			err:    mssql.Error{Number: 18487, Message: "Login failed for user 'app'. Reason: The password of the account has expired."},
			want: want{Cfg: &dbms.Config{Engine: dbms.SQLServer, Host: "db.example", Port: 1433,
				User: "app", Password: evilPassword}},
		},
		"Disabled": {
			reason: "A disabled login cannot log in; UpdateUser enables it",
			user:   dbms.UserName{Name: "app"},
			err:    mssql.Error{Number: 18470, Message: "Login failed for user 'app'. Reason: The account is disabled."},
			want: want{Cfg: &dbms.Config{Engine: dbms.SQLServer, Host: "db.example", Port: 1433,
				User: "app", Password: evilPassword}},
		},
		"Unreachable": {
			reason: "Not reaching the server is an error, not a wrong password",
			user:   dbms.UserName{Name: "app"},
			err:    errors.New("dial tcp: connection refused"),
			want: want{
				Cfg: &dbms.Config{Engine: dbms.SQLServer, Host: "db.example", Port: 1433, User: "app", Password: evilPassword},
				Err: []string{errCheckLogin, "connection refused"},
			},
		},
		"OtherServerError": {
			reason: "Any other server error is an error",
			user:   dbms.UserName{Name: "app"},
			err:    mssql.Error{Number: 17809, Message: "Could not connect because the maximum number of user connections has already been reached."},
			want: want{
				Cfg: &dbms.Config{Engine: dbms.SQLServer, Host: "db.example", Port: 1433, User: "app", Password: evilPassword},
				Err: []string{errCheckLogin, "maximum number"},
			},
		},
		"BadName": {
			reason: "A name the server could not have is refused without trying",
			user:   dbms.UserName{Name: ""},
			want:   want{Err: []string{errCheckLogin}},
		},
		"WindowsName": {
			reason: "A DOMAIN\\user name is refused without trying: the driver would use Windows authentication for it",
			user:   dbms.UserName{Name: `CORP\app`},
			want:   want{Err: []string{errCheckLogin, "Windows account"}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c, s := newFakeClient(t)
			c.cfg = admin
			var tried *dbms.Config
			c.login = func(_ context.Context, cfg dbms.Config) error {
				tried = &cfg
				return tc.err
			}
			ok, err := c.CanLogin(context.Background(), tc.user, evilPassword)
			checkErr(t, tc.reason, err, tc.want.Err...)
			if diff := cmp.Diff(tc.want, want{OK: ok, Cfg: tried, Err: tc.want.Err}); diff != "" {
				t.Errorf("%s\n-want, +got:\n%s", tc.reason, diff)
			}
			if got := s.statements(); len(got) != 0 {
				t.Errorf("%s\nCanLogin sent %v through the admin's connection; it must log in as the user", tc.reason, got)
			}
		})
	}
}

func TestDropUser(t *testing.T) {
	dbUserCols := []string{"authentication_type", "mapped", "can_connect"}
	type want struct {
		Sent []sent
		Err  []string
	}
	cases := map[string]struct {
		reason  string
		user    dbms.UserName
		alsoIn  []string
		replies []reply
		want    want
	}{
		"Login": {
			reason: "A login without a database: its sessions are ended and it is dropped",
			user:   dbms.UserName{Name: hostile},
			want:   want{Sent: []sent{dropLogin(hostile), ownerForget(ownedLogin, "", hostile)}},
		},
		"LoginAndUsers": {
			reason:  "The user is dropped in its database and in alsoIn (once each, empty names skipped), then the login",
			user:    dbms.UserName{Name: "app", Database: "appdb"},
			alsoIn:  []string{"other", "", "appdb", "third"},
			replies: []reply{rows(dbUserCols, row(int64(1), true, true))},
			want: want{Sent: []sent{
				observeDBUser("appdb", "app"),
				inDB("appdb", dropDatabaseUserSQL, skipIfMissing, nameParam("app")),
				inDB("other", dropDatabaseUserSQL, skipIfMissing, nameParam("app")),
				inDB("third", dropDatabaseUserSQL, skipIfMissing, nameParam("app")),
				dropLogin("app"),
				ownerForget(ownedLogin, "", "app"),
			}},
		},
		"Contained": {
			reason:  "A contained user is dropped in its database, and no login of its name is touched",
			user:    dbms.UserName{Name: "app", Database: "appdb"},
			replies: []reply{rows(dbUserCols, row(int64(2), false, true))},
			want: want{Sent: []sent{
				observeDBUser("appdb", "app"),
				inDB("appdb", dropDatabaseUserSQL, skipIfMissing, nameParam("app")),
				ownerForget(ownedUser, "appdb", "app"),
			}},
		},
		"DatabaseGone": {
			reason:  "A database that is gone holds no user; the login is still dropped",
			user:    dbms.UserName{Name: "app", Database: "gone"},
			replies: []reply{{}},
			want: want{Sent: []sent{
				observeDBUser("gone", "app"),
				inDB("gone", dropDatabaseUserSQL, skipIfMissing, nameParam("app")),
				dropLogin("app"),
				ownerForget(ownedLogin, "", "app"),
			}},
		},
		"Fails": {
			reason:  "A failure in a database names it and stops before the login",
			user:    dbms.UserName{Name: "app"},
			alsoIn:  []string{"other"},
			replies: []reply{{Err: mssql.Error{Number: 15138, Message: "The database principal owns a database role and cannot be dropped."}}},
			want: want{
				Sent: []sent{inDB("other", dropDatabaseUserSQL, skipIfMissing, nameParam("app"))},
				Err:  []string{errDropUser, `"other"`, "owns a database role"},
			},
		},
		"BadAlsoIn": {
			reason: "A bad database name in alsoIn is refused",
			user:   dbms.UserName{Name: "app"},
			alsoIn: []string{"ok", strings.Repeat("d", 200)},
			want: want{
				Sent: []sent{inDB("ok", dropDatabaseUserSQL, skipIfMissing, nameParam("app"))},
				Err:  []string{errDropUser, errLongName},
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c, s := newFakeClient(t, tc.replies...)
			err := c.DropUser(context.Background(), tc.user, tc.alsoIn)
			checkErr(t, tc.reason, err, tc.want.Err...)
			if diff := cmp.Diff(tc.want.Sent, s.statements()); diff != "" {
				t.Errorf("%s\nsent: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
