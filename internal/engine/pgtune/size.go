package pgtune

import "strconv"

// size renders a size in kB in the largest of PostgreSQL's units that
// holds it whole, as pgtune does: 4GB rather than 4096MB, 1966kB when
// neither MB nor GB divides it.
func size(v int64) string {
	switch {
	case v%gB == 0:
		return strconv.FormatInt(v/gB, 10) + "GB"
	case v%mB == 0:
		return strconv.FormatInt(v/mB, 10) + "MB"
	default:
		return strconv.FormatInt(v, 10) + "kB"
	}
}
