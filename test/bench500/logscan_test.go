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

package bench500

import (
	"bufio"
	"os"
	"regexp"
	"strings"
)

// logLevelError matches the error lines of the provider's log in either of
// its encodings: zap's development console (--debug) and its JSON.
var logLevelError = regexp.MustCompile(`\tERROR\t|"level":"error"`)

// logTimestamp matches what differs between otherwise equal lines.
var logTimestamp = regexp.MustCompile(`^[0-9-]+T[0-9:.]+[-+Z0-9:]*\t|"ts":[0-9.e+]+,?`)

// logErrorField is the error a log line carries; the rest of such a line
// (UIDs, resource versions) differs from object to object.
var logErrorField = regexp.MustCompile(`"error":\s*"((?:[^"\\]|\\.)*)"`)

// logSummary reads the provider's log from offset on and counts its lines,
// the lines logged at error level, and the lines of any level that carry
// an error (the managed reconciler logs failed reconciles at debug level,
// so only --debug shows them), by kind, most common first.
func logSummary(path string, offset int64) (lines, errorLevel int, errs map[string]int, end int64) {
	errs = map[string]int{}
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, errs, offset
	}
	defer func() { _ = f.Close() }()
	if _, err := f.Seek(offset, 0); err != nil {
		return 0, 0, errs, offset
	}
	s := bufio.NewScanner(f)
	s.Buffer(make([]byte, 64*1024), 4*1024*1024)
	end = offset
	for s.Scan() {
		line := s.Text()
		end += int64(len(line)) + 1
		lines++
		if logLevelError.MatchString(line) {
			errorLevel++
		}
		if m := logErrorField.FindStringSubmatch(line); m != nil {
			errs[truncate(anonymise(m[1]), 300)]++
		} else if strings.Contains(strings.ToLower(line), "error") {
			errs[truncate(anonymise(logTimestamp.ReplaceAllString(line, "")), 300)]++
		}
	}
	return lines, errorLevel, errs, end
}
