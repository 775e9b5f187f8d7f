package pgroles

import (
	"regexp"
	"testing"
)

func TestPassword(t *testing.T) {
	plain := regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)
	cases := map[string]struct {
		reason string
		a, b   [2]string
		same   bool
	}{
		"Stable": {
			reason: "the engine and the SQL controllers derive the same password from the same Secret",
			a:      [2]string{"s3cret", Admin}, b: [2]string{"s3cret", Admin}, same: true,
		},
		"PerRole": {
			reason: "the password applications get is not the rewind role's",
			a:      [2]string{"s3cret", Admin}, b: [2]string{"s3cret", Rewind},
		},
		"Rotates": {
			reason: "a new admin password gives a new role password",
			a:      [2]string{"s3cret", Admin}, b: [2]string{"n3w-'admin\\-password", Admin},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			a, b := Password(tc.a[0], tc.a[1]), Password(tc.b[0], tc.b[1])
			if (a == b) != tc.same {
				t.Errorf("%s: Password%v = %q, Password%v = %q", tc.reason, tc.a, a, tc.b, b)
			}
			for _, p := range []string{a, b} {
				if !plain.MatchString(p) {
					t.Errorf("%q: want 43 URL-safe base64 characters", p)
				}
				if p == tc.a[0] || p == tc.b[0] {
					t.Errorf("%q: the admin password itself", p)
				}
			}
		})
	}
}
