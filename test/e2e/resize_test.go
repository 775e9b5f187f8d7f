package e2e

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/dbaas-io/dbaas/internal/localenv"
)

// TestSKUChangeRollsWithOneSwitchover changes the sku of a live standard
// Database (a primary and one async replica) from small to medium while a
// writer inserts a row every 50 ms through the connection secret, as an
// application would. The larger shared_buffers and max_connections only
// take effect at server start, so the provider restarts the replica, switches
// over once and restarts the former primary. The test checks that every
// member ends up running the new settings after exactly one switchover, that
// no acknowledged row is lost and that the writer writes again, and it
// measures (without asserting on time) how long writes were refused.
func TestSKUChangeRollsWithOneSwitchover(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const ns, name = "resize", "resize"
	createNamespace(t, ns)
	db := newDatabase(ns, name, map[string]any{"tier": "standard"})
	if err := env.Client.Create(ctx, db); err != nil {
		t.Fatal(err)
	}
	defer deleteAndWait(t, db)
	xr, err := env.WaitForReady(ctx, localenv.DatabaseGVK, ns, name, 6*time.Minute, func(s string) { t.Log(s) })
	if err != nil {
		t.Fatal(err)
	}
	if m, _, _ := unstructured.NestedSlice(xr.Object, "status", "members"); len(m) != 2 {
		t.Fatalf("a standard Database has a primary and a replica: want 2 members in its status, got %d", len(m))
	}
	before := observeInstance(t, ns)
	if before.primary == "" || before.restartStep != "" {
		t.Fatalf("before the sku change: want a primary and no restart under way, got %+v", before)
	}
	t.Logf("before: primary %s, fencingToken %d, sharedBuffersMB %d", before.primary, before.fencingToken, before.sharedBuffersMB)

	d, err := env.ConnectionDetails(ctx, ns, name+"-db")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := localenv.Connect(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "CREATE TABLE writes (id bigint PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	_ = conn.Close(ctx)

	w := startWriter(ns, name+"-db")
	defer w.stop()
	pr := startProbe(d, before.members)
	defer pr.stop()
	waitFor(t, time.Minute, "the writer's first acknowledged rows", func() bool { return w.acknowledgedCount() >= 5 })
	primaries := watchPrimary(ns)
	defer primaries.stop()

	if err := env.Client.Patch(ctx, db, client.RawPatch(types.MergePatchType, []byte(`{"spec":{"sku":"medium"}}`))); err != nil {
		t.Fatalf("cannot change the sku: %v", err)
	}
	var after instanceObservation
	waitFor(t, 2*time.Minute, "the sku change to reach the DatabaseInstance", func() bool {
		after = observeInstance(t, ns)
		return after.sharedBuffersMB != before.sharedBuffersMB
	})
	t.Logf("the sku change reached the DatabaseInstance: sharedBuffersMB %d -> %d", before.sharedBuffersMB, after.sharedBuffersMB)

	// Settled: every member runs the new shared_buffers, and the status
	// has caught up with the roll. The provider may roll within a single
	// reconcile, before any observation reports a restartStep, so an empty
	// restartStep alone proves nothing: the status must also report a
	// switchover (a fencingToken above the one before) and name as primary
	// the member spec.forProvider.primary asks for, and the Database must
	// name that primary too. A primary restarted in place, without a
	// switchover, never gets there: the wait's message says so.
	last := ""
	waitFor(t, 10*time.Minute, "a switchover in the status, every member running the new shared_buffers, the instance Ready with no restart under way and the Database Ready naming the new primary", func() bool {
		after = observeInstance(t, ns)
		settings := memberSharedBuffers(ctx, d, after.members)
		xr = getDatabase(t, ns, name)
		xrReady, _, _ := localenv.Condition(xr, "Ready")
		xrPrimary, _, _ := unstructured.NestedString(xr.Object, "status", "primary")
		state := fmt.Sprintf("step %q, instance ready %v, Database ready %s, primary %s (spec %q, Database %q), token %d, shared_buffers by member %v",
			after.restartStep, after.ready, xrReady, after.primary, after.specPrimary, xrPrimary, after.fencingToken, settings)
		if state != last {
			t.Log(state)
			last = state
		}
		if after.fencingToken <= before.fencingToken || after.primary != after.specPrimary || xrPrimary != after.primary {
			return false
		}
		if after.restartStep != "" || !after.ready || xrReady != "True" || len(after.members) != 2 || len(settings) != len(after.members) {
			return false
		}
		for _, mb := range settings {
			if mb != after.sharedBuffersMB {
				return false
			}
		}
		return true
	})
	// The writer writes again once the roll is done.
	settled := time.Now()
	waitFor(t, 2*time.Minute, "the writer to write again after the roll", func() bool { return w.acknowledgedSince(settled) > 0 })
	w.stop()
	pr.stop()
	primaries.stop()

	// Exactly one switchover: the epoch went up by one, it was a planned
	// switchover and not a failover, and the primary moved once.
	if got := after.fencingToken - before.fencingToken; got != 1 {
		t.Errorf("fencingToken: want exactly one promotion (%d -> %d), got %d -> %d", before.fencingToken, before.fencingToken+1, before.fencingToken, after.fencingToken)
	}
	if after.lastSwitchoverTime == "" {
		t.Error("status.atProvider.lastSwitchoverTime is not set after the roll")
	}
	if after.lastFailoverTime != before.lastFailoverTime {
		t.Errorf("a planned roll is no failover: lastFailoverTime went from %q to %q", before.lastFailoverTime, after.lastFailoverTime)
	}
	seen := primaries.sequence()
	t.Logf("primaries the instance reported, in order: %v", seen)
	if len(seen) != 2 || seen[0] != before.primary || seen[1] != after.primary {
		t.Errorf("want the primary to change exactly once, from %s to %s; it went %v", before.primary, after.primary, seen)
	}

	// No acknowledged row is lost: every row the writer saw committed is
	// on the new primary.
	d, err = env.ConnectionDetails(ctx, ns, name+"-db")
	if err != nil {
		t.Fatal(err)
	}
	conn, err = localenv.Connect(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	stored := map[int64]bool{}
	rows, err := conn.Query(ctx, "SELECT id FROM writes")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		stored[id] = true
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	_ = conn.Close(ctx)
	acked := w.acknowledged()
	var lost []int64
	for _, id := range acked {
		if !stored[id] {
			lost = append(lost, id)
		}
	}
	if len(lost) > 0 {
		t.Errorf("%d of %d acknowledged rows are lost: %v", len(lost), len(acked), lost)
	}

	reportOutages(t, w.history(), before, after)
	changes := pr.history()
	for _, c := range changes {
		t.Logf("resize: from %s the member taking writes was %s", c.at.UTC().Format("15:04:05.000"), c.writable)
	}
	t.Logf("resize: no member took writes for %s (the switchover itself, asked of the members directly)", noneWritable(changes).Round(time.Millisecond))
	// When the secret followed the primary is part of the outage: the
	// writer only finds the new primary through it.
	for _, e := range w.endpointHistory() {
		t.Logf("resize: the connection secret named %s when the writer read it at %s", e.addr, e.at.UTC().Format("15:04:05.000"))
	}
}

// instanceObservation is what the test follows of the Database's only
// DatabaseInstance.
type instanceObservation struct {
	primary            string
	specPrimary        string
	fencingToken       int64
	lastSwitchoverTime string
	lastFailoverTime   string
	restartStep        string
	ready              bool
	sharedBuffersMB    int64
	members            []map[string]any
}

func observeInstance(t *testing.T, ns string) instanceObservation {
	t.Helper()
	l := listComposed(t, ns, "DatabaseInstance")
	if len(l) != 1 {
		t.Fatalf("want one DatabaseInstance in %s, got %d", ns, len(l))
	}
	u := l[0].Object
	var o instanceObservation
	o.primary, _, _ = unstructured.NestedString(u, "status", "atProvider", "primary")
	o.specPrimary, _, _ = unstructured.NestedString(u, "spec", "forProvider", "primary")
	o.fencingToken, _, _ = unstructured.NestedInt64(u, "status", "atProvider", "fencingToken")
	o.lastSwitchoverTime, _, _ = unstructured.NestedString(u, "status", "atProvider", "lastSwitchoverTime")
	o.lastFailoverTime, _, _ = unstructured.NestedString(u, "status", "atProvider", "lastFailoverTime")
	o.restartStep, _, _ = unstructured.NestedString(u, "status", "atProvider", "restartStep")
	o.sharedBuffersMB, _, _ = unstructured.NestedInt64(u, "spec", "forProvider", "sharedBuffersMB")
	s, _, _ := localenv.Condition(&l[0], "Ready")
	o.ready = s == "True"
	members, _, _ := unstructured.NestedSlice(u, "status", "atProvider", "members")
	for _, m := range members {
		if mm, ok := m.(map[string]any); ok {
			o.members = append(o.members, mm)
		}
	}
	return o
}

// memberDetails are the connection secret's details d pointed at one
// member of the instance's status, with the member's VirtualMachine; false
// when the status gives no address yet.
func memberDetails(d map[string]string, m map[string]any) (string, map[string]string, bool) {
	vm, _ := m["virtualMachine"].(string)
	addr, _ := m["address"].(string)
	port, _ := m["port"].(int64)
	md := map[string]string{}
	for k, v := range d {
		md[k] = v
	}
	md["endpoint"], md["port"] = addr, strconv.FormatInt(port, 10)
	return vm, md, addr != "" && port != 0
}

// memberSharedBuffers returns the shared_buffers each member runs with, in
// MB, by VirtualMachine, read with the application's credentials from the
// member's own address; a member that does not answer is left out.
func memberSharedBuffers(ctx context.Context, d map[string]string, members []map[string]any) map[string]int64 {
	out := map[string]int64{}
	for _, m := range members {
		vm, md, ok := memberDetails(d, m)
		if !ok {
			continue
		}
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		conn, err := localenv.Connect(cctx, md)
		if err != nil {
			cancel()
			continue
		}
		// pg_settings gives shared_buffers in its unit (8kB blocks), not in
		// the largest unit that holds it whole as current_setting does.
		var mb int64
		err = conn.QueryRow(cctx, "SELECT setting::bigint * pg_size_bytes(unit) / (1024 * 1024) FROM pg_settings WHERE name = 'shared_buffers'").Scan(&mb)
		_ = conn.Close(cctx)
		cancel()
		if err == nil {
			out[vm] = mb
		}
	}
	return out
}

// primaryWatch records each distinct primary the DatabaseInstance reports,
// in order, so that a primary that moved twice shows.
type primaryWatch struct {
	mu   sync.Mutex
	seen []string
	done chan struct{}
	once sync.Once
	wg   sync.WaitGroup
}

func watchPrimary(ns string) *primaryWatch {
	w := &primaryWatch{done: make(chan struct{})}
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		for {
			l := &unstructured.UnstructuredList{}
			l.SetGroupVersionKind(instanceListGVK())
			if err := env.Client.List(context.Background(), l, client.InNamespace(ns)); err == nil && len(l.Items) == 1 {
				p, _, _ := unstructured.NestedString(l.Items[0].Object, "status", "atProvider", "primary")
				w.mu.Lock()
				if p != "" && (len(w.seen) == 0 || w.seen[len(w.seen)-1] != p) {
					w.seen = append(w.seen, p)
				}
				w.mu.Unlock()
			}
			select {
			case <-w.done:
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	return w
}

// instanceListGVK is the list kind of the composed DatabaseInstances.
func instanceListGVK() schema.GroupVersionKind {
	k, ok := composedKind("DatabaseInstance")
	if !ok {
		panic("DatabaseInstance is not a composed kind")
	}
	return composedListGVK(k)
}

func (w *primaryWatch) stop() {
	w.once.Do(func() { close(w.done) })
	w.wg.Wait()
}

func (w *primaryWatch) sequence() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.seen...)
}

// endpointSeen is an address the connection secret named, and when the
// writer first read it.
type endpointSeen struct {
	at   time.Time
	addr string
}

// attempt is one insert the writer tried.
type attempt struct {
	at  time.Time
	id  int64
	ok  bool
	err string
}

// writer inserts a row every 50 ms through the connection secret. After an
// error it re-reads the secret and reconnects, as an application would,
// since the secret's endpoint follows the primary.
type writer struct {
	mu       sync.Mutex
	attempts []attempt
	// endpoints are the addresses the secret named, each with when the
	// writer first read it there.
	endpoints []endpointSeen
	done      chan struct{}
	once      sync.Once
	wg        sync.WaitGroup
}

func startWriter(ns, secret string) *writer {
	w := &writer{done: make(chan struct{})}
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		w.run(ns, secret)
	}()
	return w
}

func (w *writer) run(ns, secret string) {
	ctx := context.Background()
	var c *pgx.Conn
	defer func() {
		if c != nil {
			_ = c.Close(ctx)
		}
	}()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for id := int64(1); ; id++ {
		select {
		case <-w.done:
			return
		case <-tick.C:
		}
		a := attempt{at: time.Now(), id: id}
		actx, cancel := context.WithTimeout(ctx, 3*time.Second)
		if c == nil {
			d, err := env.ConnectionDetails(actx, ns, secret)
			if err == nil {
				w.sawEndpoint(d["endpoint"] + ":" + d["port"])
				c, err = localenv.Connect(actx, d)
			}
			if err != nil {
				c = nil
				a.err = err.Error()
			}
		}
		if c != nil {
			if _, err := c.Exec(actx, "INSERT INTO writes (id) VALUES ($1)", id); err != nil {
				a.err = err.Error()
				_ = c.Close(ctx)
				c = nil
			} else {
				a.ok = true
			}
		}
		cancel()
		w.mu.Lock()
		w.attempts = append(w.attempts, a)
		w.mu.Unlock()
	}
}

func (w *writer) sawEndpoint(addr string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if n := len(w.endpoints); n == 0 || w.endpoints[n-1].addr != addr {
		w.endpoints = append(w.endpoints, endpointSeen{at: time.Now(), addr: addr})
	}
}

func (w *writer) endpointHistory() []endpointSeen {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]endpointSeen(nil), w.endpoints...)
}

func (w *writer) stop() {
	w.once.Do(func() { close(w.done) })
	w.wg.Wait()
}

func (w *writer) history() []attempt {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]attempt(nil), w.attempts...)
}

func (w *writer) acknowledged() []int64 {
	var ids []int64
	for _, a := range w.history() {
		if a.ok {
			ids = append(ids, a.id)
		}
	}
	return ids
}

func (w *writer) acknowledgedCount() int { return len(w.acknowledged()) }

func (w *writer) acknowledgedSince(t time.Time) int {
	n := 0
	for _, a := range w.history() {
		if a.ok && a.at.After(t) {
			n++
		}
	}
	return n
}

// outage is a run of refused writes: from the last acknowledged write
// before it to the first after it, which bounds how long the database took
// no writes as the writer saw it.
type outage struct {
	lastOK, nextOK time.Time
	refused        int
	firstErr       string
}

func (o outage) length() time.Duration { return o.nextOK.Sub(o.lastOK) }

// outages splits the writer's history into runs of refused writes, each
// between two acknowledged ones.
func outages(h []attempt) []outage {
	var out []outage
	var cur *outage
	var lastOK time.Time
	for _, a := range h {
		switch {
		case a.ok && cur != nil:
			cur.nextOK = a.at
			out = append(out, *cur)
			cur = nil
		case !a.ok && cur == nil:
			cur = &outage{lastOK: lastOK, refused: 1, firstErr: a.err}
		case !a.ok:
			cur.refused++
		}
		if a.ok {
			lastOK = a.at
		}
	}
	return out
}

// reportOutages logs, in one greppable line, the longest interval of
// refused writes and how many were refused in all, and the outage around
// the recorded switchover, to compare the two.
func reportOutages(t *testing.T, h []attempt, before, after instanceObservation) {
	t.Helper()
	runs := outages(h)
	refused, total := 0, time.Duration(0)
	var longest outage
	for _, o := range runs {
		refused += o.refused
		total += o.length()
		if o.length() > longest.length() {
			longest = o
		}
		t.Logf("resize: writes refused from %s to %s (%s, %d attempts), first error: %s",
			o.lastOK.UTC().Format("15:04:05.000"), o.nextOK.UTC().Format("15:04:05.000"), o.length().Round(time.Millisecond), o.refused, o.firstErr)
	}
	// lastSwitchoverTime has a precision of one second: the outage that
	// overlaps its second is the switchover's.
	switchover := "none found"
	if sw, err := time.Parse(time.RFC3339, after.lastSwitchoverTime); err == nil {
		for _, o := range runs {
			if !o.nextOK.Before(sw) && !o.lastOK.After(sw.Add(time.Second)) {
				switchover = fmt.Sprintf("%s (last write before %s, first after %s)", o.length().Round(time.Millisecond),
					o.lastOK.UTC().Format("15:04:05.000"), o.nextOK.UTC().Format("15:04:05.000"))
			}
		}
	}
	attempts := len(h)
	t.Logf("resize: longest write outage %s over %d refused attempts; %d outages totalling %s, %d refused of %d attempts; switchover outage %s; lastSwitchoverTime %s; switchovers %d",
		longest.length().Round(time.Millisecond), longest.refused, len(runs), total.Round(time.Millisecond), refused, attempts,
		switchover, after.lastSwitchoverTime, after.fencingToken-before.fencingToken)
	if strings.TrimSpace(after.lastSwitchoverTime) == "" {
		t.Log("resize: no lastSwitchoverTime to compare the outages with")
	}
}

// probe asks every member directly, every 50 ms, whether it takes writes
// (not in recovery), so that the switchover itself (no member taking
// writes) can be told apart from the time the connection secret takes to
// follow the new primary.
type probe struct {
	mu      sync.Mutex
	changes []writableChange
	done    chan struct{}
	once    sync.Once
	wg      sync.WaitGroup
}

// writableChange is when the member taking writes changed: a
// VirtualMachine's name, or "none".
type writableChange struct {
	at       time.Time
	writable string
}

func startProbe(d map[string]string, members []map[string]any) *probe {
	p := &probe{done: make(chan struct{})}
	type target struct {
		vm string
		d  map[string]string
	}
	var targets []target
	for _, m := range members {
		vm, md, _ := memberDetails(d, m)
		targets = append(targets, target{vm: vm, d: md})
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		ctx := context.Background()
		conns := make([]*pgx.Conn, len(targets))
		defer func() {
			for _, c := range conns {
				if c != nil {
					_ = c.Close(ctx)
				}
			}
		}()
		for {
			writable := "none"
			for i, tg := range targets {
				qctx, cancel := context.WithTimeout(ctx, time.Second)
				if conns[i] == nil {
					conns[i], _ = localenv.Connect(qctx, tg.d)
				}
				if conns[i] != nil {
					var inRecovery bool
					if err := conns[i].QueryRow(qctx, "SELECT pg_is_in_recovery()").Scan(&inRecovery); err != nil {
						_ = conns[i].Close(ctx)
						conns[i] = nil
					} else if !inRecovery {
						writable = tg.vm
					}
				}
				cancel()
			}
			p.mu.Lock()
			if n := len(p.changes); n == 0 || p.changes[n-1].writable != writable {
				p.changes = append(p.changes, writableChange{at: time.Now(), writable: writable})
			}
			p.mu.Unlock()
			select {
			case <-p.done:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
	return p
}

// noneWritable is the longest time no member took writes.
func noneWritable(changes []writableChange) time.Duration {
	var longest time.Duration
	for i, c := range changes {
		if c.writable == "none" && i+1 < len(changes) {
			longest = max(longest, changes[i+1].at.Sub(c.at))
		}
	}
	return longest
}

func (p *probe) stop() {
	p.once.Do(func() { close(p.done) })
	p.wg.Wait()
}

func (p *probe) history() []writableChange {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]writableChange(nil), p.changes...)
}
