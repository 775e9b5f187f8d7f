package benchbackup

import (
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

const errOption = "variant option %q is not of the form --name or --name=value with a plain value"

// defaultsVariant names the variant that adds no option: what Render
// writes into pgbackrest.conf is what runs.
const defaultsVariant = "defaults"

// optionPattern is what a variant may put on pgBackRest's command line: a
// long option with a plain value, nothing a shell or pgBackRest could read
// as another word.
var optionPattern = regexp.MustCompile(`^--[a-z0-9-]+(=[A-Za-z0-9._/:-]+)?$`)

// A variant is a set of pgBackRest options given on the command line of
// backup and restore, which win over pgbackrest.conf's.
type variant struct {
	// Name is the sub-benchmark's name.
	Name string
	// Options are the options, none for the defaults.
	Options []string
}

// parseVariants reads -benchbackup.variants: variants separated by ";",
// each options separated by spaces, or "defaults" for none. Empty variants
// are left out; a flag without any is the defaults alone.
func parseVariants(s string) ([]variant, error) {
	var out []variant
	for _, v := range strings.Split(s, ";") {
		fields := strings.Fields(v)
		switch {
		case len(fields) == 0:
			continue
		case len(fields) == 1 && fields[0] == defaultsVariant:
			out = append(out, variant{Name: defaultsVariant})
			continue
		}
		for _, f := range fields {
			if !optionPattern.MatchString(f) {
				return nil, errors.Errorf(errOption, f)
			}
		}
		name := strings.NewReplacer("--", "", "=", "-").Replace(strings.Join(fields, ","))
		out = append(out, variant{Name: name, Options: fields})
	}
	if len(out) == 0 {
		out = append(out, variant{Name: defaultsVariant})
	}
	return out, nil
}

// restoreOptions are those of a variant's options that restore takes:
// the compression and the bundling of a backup are written into it, and
// pgBackRest refuses them on restore's command line.
var restoreOptions = map[string]bool{"process-max": true, "buffer-size": true, "delta": true, "io-timeout": true}

// forRestore returns the options of options that restore takes.
func forRestore(options []string) []string {
	var out []string
	for _, o := range options {
		name, _, _ := strings.Cut(strings.TrimPrefix(o, "--"), "=")
		if restoreOptions[name] {
			out = append(out, o)
		}
	}
	return out
}

// megabytesPerSecond is bytes (10^6 to a MB) moved in d.
func megabytesPerSecond(bytes int64, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(bytes) / 1e6 / d.Seconds()
}

// ratio is the speed of a run that took took relative to a reference run
// that took ref over the same data: above 1 it was faster.
func ratio(ref, took time.Duration) float64 {
	if took <= 0 {
		return 0
	}
	return ref.Seconds() / took.Seconds()
}

// median is the middle value of v, or the mean of the two middle ones.
func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// maximum is the largest value of v, or 0 for none.
func maximum(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	return slices.Max(v)
}

// lostSeconds is how much acknowledged data a restore lacks: the seconds
// from the commit time of the newest row the restored server holds to that
// of the newest row the writer had acknowledged before the crash. A
// restore that holds every acknowledged row lost nothing, whatever it holds
// beyond them (a commit whose acknowledgement the crash cut off).
func lostSeconds(lastAcked, lastRestored time.Time) float64 {
	if !lastAcked.After(lastRestored) {
		return 0
	}
	return lastAcked.Sub(lastRestored).Seconds()
}
