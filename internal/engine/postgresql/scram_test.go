package postgresql

import "testing"

func TestVerifierMatches(t *testing.T) {
	v, err := SCRAMVerifier("s3cret")
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		verifier, password string
		want               bool
	}{
		"Same":          {v, "s3cret", true},
		"Other":         {v, "other", false},
		"MD5":           {"md5a3556571e93b0d20722ba62be61e8c2d", "s3cret", false},
		"Empty":         {"", "s3cret", false},
		"BadIterations": {"SCRAM-SHA-256$x:c2FsdA==$a:b", "s3cret", false},
		"BadSalt":       {"SCRAM-SHA-256$4096:***$a:b", "s3cret", false},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := VerifierMatches(tc.verifier, tc.password); got != tc.want {
				t.Errorf("VerifierMatches(...): want %v, got %v", tc.want, got)
			}
		})
	}
}
