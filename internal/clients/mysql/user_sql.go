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
	"strconv"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/clients/dbms"
)

const errNegativeLimit = "%s must not be negative (0 means unlimited)"

// createUserSQL builds CREATE USER. The account is made unlocked with the
// password's hash (nativePasswordHash), never the password.
func createUserSQL(u dbms.UserName, p dbms.UserParameters, maxUserChars int) (string, error) {
	acct, err := account(u.Name, u.Host, maxUserChars)
	if err != nil {
		return "", err
	}
	auth, err := identifiedClause(p.Password)
	if err != nil {
		return "", err
	}
	limits, err := limitsClause(p.Limits)
	if err != nil {
		return "", err
	}
	return "CREATE USER " + acct + auth + limits + " ACCOUNT UNLOCK", nil
}

// alterUserSQL builds ALTER USER: the password when one is given, the limits
// that are set, and an unlocked account.
func alterUserSQL(u dbms.UserName, p dbms.UserParameters, maxUserChars int) (string, error) {
	acct, err := account(u.Name, u.Host, maxUserChars)
	if err != nil {
		return "", err
	}
	var auth string
	if p.Password != "" {
		if auth, err = identifiedClause(p.Password); err != nil {
			return "", err
		}
	}
	limits, err := limitsClause(p.Limits)
	if err != nil {
		return "", err
	}
	return "ALTER USER " + acct + auth + limits + " ACCOUNT UNLOCK", nil
}

func dropUserSQL(u dbms.UserName, maxUserChars int) (string, error) {
	acct, err := account(u.Name, u.Host, maxUserChars)
	if err != nil {
		return "", err
	}
	return "DROP USER IF EXISTS " + acct, nil
}

// identifiedClause sets the password by its mysql_native_password hash, in
// the form both MySQL (which dropped IDENTIFIED BY PASSWORD in 8.0) and
// MariaDB accept.
func identifiedClause(password string) (string, error) {
	h, err := nativePasswordHash(password)
	if err != nil {
		return "", err
	}
	return " IDENTIFIED WITH mysql_native_password AS '" + h + "'", nil
}

// limitsClause builds WITH MAX_... for the limits that are set; numbers
// cannot carry SQL.
func limitsClause(l dbms.ResourceLimits) (string, error) {
	var b strings.Builder
	for _, o := range []struct {
		name, field string
		v           *int32
	}{
		{"MAX_QUERIES_PER_HOUR", "maxQueriesPerHour", l.MaxQueriesPerHour},
		{"MAX_UPDATES_PER_HOUR", "maxUpdatesPerHour", l.MaxUpdatesPerHour},
		{"MAX_CONNECTIONS_PER_HOUR", "maxConnectionsPerHour", l.MaxConnectionsPerHour},
		{"MAX_USER_CONNECTIONS", "maxUserConnections", l.MaxUserConnections},
	} {
		if o.v == nil {
			continue
		}
		if *o.v < 0 {
			return "", errors.Errorf(errNegativeLimit, o.field)
		}
		b.WriteString(" " + o.name + " " + strconv.Itoa(int(*o.v)))
	}
	if b.Len() == 0 {
		return "", nil
	}
	return " WITH" + b.String(), nil
}
