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
	"context"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

const (
	errScrape      = "cannot scrape the provider's metrics"
	errScrapeCode  = "the provider's metrics endpoint answered %s"
	scrapeTimeout  = 10 * time.Second
	databaseCtrl   = `controller="managed/database.sql.dbaas.io"`
	reconcileTotal = "controller_runtime_reconcile_total"
	reconcileSum   = "controller_runtime_reconcile_time_seconds_sum"
	reconcileCount = "controller_runtime_reconcile_time_seconds_count"
	restRequests   = "rest_client_requests_total"
	// queueSum and queueCount say how long Database reconciles waited in
	// the workqueue for a worker; sqlSum and sqlCount how long the SQL
	// statements of every SQL kind took, by operation.
	queueSum   = "workqueue_queue_duration_seconds_sum"
	queueCount = "workqueue_queue_duration_seconds_count"
	sqlSum     = "dbaas_sql_operation_duration_seconds_sum"
	sqlCount   = "dbaas_sql_operation_duration_seconds_count"
)

// hostLabel is the API server's address on client-go's series.
var hostLabel = regexp.MustCompile(`host="[^"]*",?`)

// counters are the provider's Prometheus counters that say where a run's
// time went, by series (name and labels).
type counters map[string]float64

// scrapeCounters reads the provider's /metrics and keeps the counters of
// reconciles (by controller and result, and their total duration) and of
// the API requests it made (by method and code). The endpoint is on only
// for these numbers; serving it costs the provider next to nothing between
// scrapes.
func scrapeCounters(port int) (counters, error) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("http://127.0.0.1:%d/metrics", port), nil)
	if err != nil {
		return nil, errors.Wrap(err, errScrape)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, errors.Wrap(err, errScrape)
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return nil, errors.Errorf(errScrapeCode, resp.Status)
	}
	c := counters{}
	s := bufio.NewScanner(resp.Body)
	s.Buffer(make([]byte, 64*1024), 1024*1024)
	for s.Scan() {
		line := s.Text()
		if !wanted(line) {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			continue
		}
		// The API server's address is the same on every series.
		c[hostLabel.ReplaceAllString(line[:i], "")] = v
	}
	return c, errors.Wrap(s.Err(), errScrape)
}

func wanted(line string) bool {
	switch {
	case strings.HasPrefix(line, reconcileTotal+"{"), strings.HasPrefix(line, restRequests+"{"):
		return true
	case strings.HasPrefix(line, reconcileSum+"{"), strings.HasPrefix(line, reconcileCount+"{"),
		strings.HasPrefix(line, queueSum+"{"), strings.HasPrefix(line, queueCount+"{"):
		return strings.Contains(line, databaseCtrl)
	case strings.HasPrefix(line, sqlSum+"{"), strings.HasPrefix(line, sqlCount+"{"):
		return true
	}
	return false
}

// since returns what the counters counted after before, leaving out what
// did not change.
func (c counters) since(before counters) counters {
	d := counters{}
	for k, v := range c {
		if v-before[k] != 0 {
			d[k] = v - before[k]
		}
	}
	return d
}

// apiRequests is how many requests the provider sent the API server.
func (c counters) apiRequests() int {
	n := 0
	for k, v := range c {
		if strings.HasPrefix(k, restRequests+"{") {
			n += int(v)
		}
	}
	return n
}

// String renders the non-zero counters, with the Database controller's
// mean reconcile time and wait in its queue, and the mean time of each SQL
// operation, one a line.
func (c counters) String() string {
	counts := map[string]int{}
	var sum, n, qsum, qn float64
	sql := map[string][2]float64{}
	for k, v := range c {
		switch {
		case strings.HasPrefix(k, reconcileSum):
			sum = v
		case strings.HasPrefix(k, reconcileCount):
			n = v
		case strings.HasPrefix(k, queueSum):
			qsum = v
		case strings.HasPrefix(k, queueCount):
			qn = v
		case strings.HasPrefix(k, sqlSum):
			op := sql[k[len(sqlSum):]]
			op[0] = v
			sql[k[len(sqlSum):]] = op
		case strings.HasPrefix(k, sqlCount):
			op := sql[k[len(sqlCount):]]
			op[1] = v
			sql[k[len(sqlCount):]] = op
		default:
			counts[k] = int(v)
		}
	}
	out := byCount(counts, 30)
	if n > 0 {
		out += fmt.Sprintf("  Database reconciles took %.1f ms on average (%d reconciles, %.1f s in all)\n", 1000*sum/n, int(n), sum)
	}
	if qn > 0 {
		out += fmt.Sprintf("  Database requests waited %.1f ms on average in the queue for a worker (%d waits)\n", 1000*qsum/qn, int(qn))
	}
	ops := slices.Sorted(maps.Keys(sql))
	for _, op := range ops {
		if s := sql[op]; s[1] > 0 {
			out += fmt.Sprintf("  SQL %s took %.1f ms on average (%d, %.1f s in all)\n", op, 1000*s[0]/s[1], int(s[1]), s[0])
		}
	}
	return out
}
