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
	"regexp"
	"testing"
)

func TestNativePasswordHash(t *testing.T) {
	cases := map[string]struct {
		password string
		want     string
	}{
		// What the server's PASSWORD() returns.
		"Password": {password: "password", want: "*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19"},
		"X":        {password: "x", want: "*B69027D44F6E5EDC07F1AEAD1477967B16F28227"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := nativePasswordHash(tc.password)
			if err != nil || got != tc.want {
				t.Errorf("nativePasswordHash(%q) = %q, %v; want %q", tc.password, got, err, tc.want)
			}
		})
	}
	if _, err := nativePasswordHash(""); err == nil {
		t.Error("an empty password was hashed; it must be refused")
	}
}

// TestNativePasswordHashMatchesServer compares the hash with the server's
// own for passwords that a quoting mistake would change.
func TestNativePasswordHashMatchesServer(t *testing.T) {
	t.Parallel()
	db := srv(t).Admin(t)
	shape := regexp.MustCompile(`^\*[0-9A-F]{40}$`)
	for _, pw := range []string{"s3cret", "it's; DROP USER root; --", `back\slash`, "é ☃ ｀ 😀", " lead and trail "} {
		got, err := nativePasswordHash(pw)
		if err != nil {
			t.Fatal(err)
		}
		if !shape.MatchString(got) {
			t.Errorf("nativePasswordHash(%q) = %q, want * and 40 upper-case hex digits", pw, got)
		}
		var want string
		if err := db.QueryRowContext(context.Background(), "SELECT PASSWORD(?)", pw).Scan(&want); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("nativePasswordHash(%q) = %q, the server's PASSWORD() = %q", pw, got, want)
		}
	}
}
