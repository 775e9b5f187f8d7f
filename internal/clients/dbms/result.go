package dbms

import (
	"sort"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

const (
	errDuplicateKey = "the procedure returned key %q more than once"
	errNullKey      = "the procedure returned a row with a NULL key"
	errManyRows     = "the procedure returned %d rows of named columns; return one row, or rows of (key, value)"
)

// KeyValues folds a procedure's result into key/value pairs. Two shapes are
// accepted: rows of two columns named key and value (any case), one pair per
// row; or a single row whose column names are the keys (what a PostgreSQL
// procedure's OUT parameters give). No rows give an empty map; NULL values
// become "". A key returned twice is an error rather than a silent choice.
func (r *Result) KeyValues() (map[string]string, error) {
	out := map[string]string{}
	if r == nil || len(r.Rows) == 0 {
		return out, nil
	}
	if len(r.Columns) == 2 && strings.EqualFold(r.Columns[0], "key") && strings.EqualFold(r.Columns[1], "value") {
		for _, row := range r.Rows {
			if row[0] == nil {
				return nil, errors.New(errNullKey)
			}
			if _, dup := out[*row[0]]; dup {
				return nil, errors.Errorf(errDuplicateKey, *row[0])
			}
			out[*row[0]] = deref(row[1])
		}
		return out, nil
	}
	if len(r.Rows) > 1 {
		return nil, errors.Errorf(errManyRows, len(r.Rows))
	}
	for i, c := range r.Columns {
		if _, dup := out[c]; dup {
			return nil, errors.Errorf(errDuplicateKey, c)
		}
		out[c] = deref(r.Rows[0][i])
	}
	return out, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// NormalizePrivileges upper-cases, de-duplicates and sorts privileges, and
// expands ALL (or ALL PRIVILEGES) to all, the engine's full list.
func NormalizePrivileges(privileges, all []string) []string {
	seen := map[string]bool{}
	for _, p := range privileges {
		p = strings.ToUpper(strings.Join(strings.Fields(p), " "))
		if p == "ALL" || p == "ALL PRIVILEGES" {
			for _, a := range all {
				seen[a] = true
			}
			continue
		}
		seen[p] = true
	}
	out := make([]string, 0, len(seen))
	for p := range seen {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// PrivilegeDiff returns what to grant and what to revoke to turn held into
// want, each in its list's order.
func PrivilegeDiff(want, held []string) (grant, revoke []string) {
	w, h := map[string]bool{}, map[string]bool{}
	for _, p := range want {
		w[p] = true
	}
	for _, p := range held {
		h[p] = true
	}
	for _, p := range want {
		if !h[p] {
			grant = append(grant, p)
		}
	}
	for _, p := range held {
		if !w[p] {
			revoke = append(revoke, p)
		}
	}
	return grant, revoke
}
