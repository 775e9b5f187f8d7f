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
	"regexp"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

// collationPattern is what a collation name looks like
// (Latin1_General_100_CI_AS_SC_UTF8, SQL_Latin1_General_CP1_CI_AS). A
// collation is a keyword of CREATE DATABASE, neither bound nor quoted, so
// only a name of this shape is written into the statement; the server
// refuses one it does not know.
var collationPattern = regexp.MustCompile(`^[A-Za-z0-9_]{1,128}$`)

const errBadCollation = "collation must match ^[A-Za-z0-9_]{1,128}$"

// Statements whose only inputs are bound parameters.
const (
	observeDatabaseSQL = `SELECT collation_name FROM sys.databases WHERE name = @p1`
)

func createDatabaseSQL(name, collation string) (string, error) {
	qn, err := quote(name)
	if err != nil {
		return "", errors.Wrap(err, "database")
	}
	q := "CREATE DATABASE " + qn
	if collation != "" {
		if err := validCollation(collation); err != nil {
			return "", err
		}
		q += " COLLATE " + collation
	}
	return q, nil
}

func alterDatabaseCollationSQL(name, collation string) (string, error) {
	qn, err := quote(name)
	if err != nil {
		return "", errors.Wrap(err, "database")
	}
	if err := validCollation(collation); err != nil {
		return "", err
	}
	return "ALTER DATABASE " + qn + " COLLATE " + collation, nil
}

// dropDatabaseSQL drops the database with @p1 bound to its name, ending its
// sessions first. DROP DATABASE fails while anyone is connected, and a
// deleted Database must go even while applications are (as PostgreSQL's
// DROP DATABASE ... WITH (FORCE) does): SINGLE_USER WITH ROLLBACK IMMEDIATE
// rolls back and disconnects every other session. This batch's own session
// is in another database, so the single session the database then allows
// is free; an application that takes it before the DROP makes the DROP
// fail, and the database is returned to MULTI_USER rather than left locked
// to that one session. A database that does not exist is not an error.
func dropDatabaseSQL(name string) (string, error) {
	qn, err := quote(name)
	if err != nil {
		return "", errors.Wrap(err, "database")
	}
	return `IF DB_ID(@p1) IS NOT NULL
BEGIN
	ALTER DATABASE ` + qn + ` SET SINGLE_USER WITH ROLLBACK IMMEDIATE;
	BEGIN TRY
		DROP DATABASE ` + qn + `;
	END TRY
	BEGIN CATCH
		ALTER DATABASE ` + qn + ` SET MULTI_USER;
		THROW;
	END CATCH;
END;`, nil
}

func validCollation(c string) error {
	if !collationPattern.MatchString(c) {
		return errors.New(errBadCollation)
	}
	return nil
}
