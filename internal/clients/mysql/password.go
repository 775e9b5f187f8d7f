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
	"crypto/sha1" //nolint:gosec // SHA-1 is what mysql_native_password is made of
	"encoding/hex"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

const errEmptyPassword = "password must not be empty: an account without one lets anyone log in as it"

// nativePasswordHash returns what mysql_native_password stores for password:
// "*" and the upper-case hex of SHA1(SHA1(password)). The server takes it
// as it is (IDENTIFIED WITH mysql_native_password AS '<hash>'), so the
// plaintext never reaches the server: it is in no statement text, and so in
// no general or slow query log, processlist or binary log. The hash is 41
// characters from [*0-9A-F], which cannot change a statement it is written
// into.
//
// Account statements take no placeholders, so binding the password is not
// an option; and PASSWORD(?) is not accepted where an IDENTIFIED clause
// expects the hash.
func nativePasswordHash(password string) (string, error) {
	if password == "" {
		return "", errors.New(errEmptyPassword)
	}
	h1 := sha1.Sum([]byte(password)) //nolint:gosec // see above
	h2 := sha1.Sum(h1[:])            //nolint:gosec // see above
	return "*" + strings.ToUpper(hex.EncodeToString(h2[:])), nil
}
