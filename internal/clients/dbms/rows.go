package dbms

import (
	"database/sql"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

const errProcName = "procedure name %q must be name or schema.name"

// SplitProcedureName splits schema.name; a name without a schema is looked
// up where the engine looks for unqualified names.
func SplitProcedureName(n string) (schema, name string, err error) {
	parts := strings.Split(n, ".")
	switch {
	case len(parts) == 1 && parts[0] != "":
		return "", parts[0], nil
	case len(parts) == 2 && parts[0] != "" && parts[1] != "":
		return parts[0], parts[1], nil
	}
	return "", "", errors.Errorf(errProcName, n)
}

// ReadLastResult reads every result set of a procedure call and returns the
// last that has columns, every value as text and NULL as nil: a procedure
// may select several sets, and the last is its answer, while the status a
// call ends with has no columns. An error raised after a result set comes
// with the move to the next one, so every set is read.
func ReadLastResult(rows *sql.Rows) (*Result, error) {
	last := &Result{}
	for {
		cols, err := rows.Columns()
		if err != nil {
			return nil, err
		}
		if len(cols) > 0 {
			r, err := readSet(rows, cols)
			if err != nil {
				return nil, err
			}
			last = r
		}
		if !rows.NextResultSet() {
			break
		}
	}
	return last, rows.Err()
}

func readSet(rows *sql.Rows, cols []string) (*Result, error) {
	r := &Result{Columns: cols}
	vals := make([]sql.NullString, len(cols))
	dest := make([]any, len(cols))
	for i := range vals {
		dest[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		row := make([]*string, len(cols))
		for i, v := range vals {
			if v.Valid {
				s := v.String
				row[i] = &s
			}
		}
		r.Rows = append(r.Rows, row)
	}
	return r, rows.Err()
}
