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

package mssql

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"sync"
	"testing"
)

// The fake below is a database/sql driver that records what the client
// sends and answers from a script, so that tests can say exactly which
// statements, with which arguments, each method sends, without a server.

// A sent is one statement as the driver received it.
type sent struct {
	// Kind is "query" or "exec".
	Kind  string
	Query string
	Args  []sentArg
}

// A sentArg is one bound argument: named (sql.Named) or positional (@p1).
type sentArg struct {
	Name    string
	Ordinal int
	Value   any
}

// A reply is the scripted answer to one statement.
type reply struct {
	// Err fails the statement itself.
	Err error
	// Sets are a query's result sets, in order.
	Sets []set
}

// A set is one result set.
type set struct {
	Columns []string
	Rows    [][]driver.Value
	// Err is returned after the rows, as a server error raised while they
	// were being sent.
	Err error
	// NextErr is returned when moving past this set, as an error raised
	// between result sets.
	NextErr error
}

// fakeServer is a driver.Connector. Each statement takes the next reply;
// once they run out, statements succeed with no result.
type fakeServer struct {
	mu      sync.Mutex
	replies []reply
	got     []sent
}

func (s *fakeServer) Connect(context.Context) (driver.Conn, error) { return &fakeConn{s: s}, nil }
func (s *fakeServer) Driver() driver.Driver                        { return fakeDriver{} }

func (s *fakeServer) record(kind, query string, args []driver.NamedValue) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := sent{Kind: kind, Query: query}
	for _, a := range args {
		st.Args = append(st.Args, sentArg{Name: a.Name, Ordinal: a.Ordinal, Value: a.Value})
	}
	s.got = append(s.got, st)
	if len(s.replies) == 0 {
		return reply{}
	}
	r := s.replies[0]
	s.replies = s.replies[1:]
	return r
}

func (s *fakeServer) statements() []sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]sent(nil), s.got...)
}

type fakeDriver struct{}

func (fakeDriver) Open(string) (driver.Conn, error) {
	return nil, errors.New("the fake is opened through its connector")
}

type fakeConn struct{ s *fakeServer }

var (
	_ driver.Conn              = &fakeConn{}
	_ driver.ConnBeginTx       = &fakeConn{}
	_ driver.QueryerContext    = &fakeConn{}
	_ driver.ExecerContext     = &fakeConn{}
	_ driver.NamedValueChecker = &fakeConn{}
	_ driver.RowsNextResultSet = &fakeRows{}
	_ driver.Connector         = &fakeServer{}
	_ driver.Tx                = fakeTx{}
	_ driver.Result            = driver.RowsAffected(0)
)

// Prepare fails: the client is to send every statement directly, which is
// what go-mssqldb turns into a batch, an sp_executesql call or an RPC.
func (c *fakeConn) Prepare(string) (driver.Stmt, error) {
	return nil, errors.New("the client must not prepare statements")
}

func (c *fakeConn) Close() error { return nil }
func (c *fakeConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

func (c *fakeConn) BeginTx(context.Context, driver.TxOptions) (driver.Tx, error) {
	c.s.record("exec", "BEGIN TRANSACTION", nil)
	return fakeTx{s: c.s}, nil
}

// CheckNamedValue takes every argument as it is, sql.Named ones included,
// so that tests see the values the client passed.
func (c *fakeConn) CheckNamedValue(*driver.NamedValue) error { return nil }

func (c *fakeConn) QueryContext(_ context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	r := c.s.record("query", query, args)
	if r.Err != nil {
		return nil, r.Err
	}
	return &fakeRows{sets: r.Sets}, nil
}

func (c *fakeConn) ExecContext(_ context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	r := c.s.record("exec", query, args)
	if r.Err != nil {
		return nil, r.Err
	}
	return driver.RowsAffected(0), nil
}

type fakeTx struct{ s *fakeServer }

func (t fakeTx) Commit() error {
	t.s.record("exec", "COMMIT", nil)
	return nil
}

func (t fakeTx) Rollback() error {
	t.s.record("exec", "ROLLBACK", nil)
	return nil
}

type fakeRows struct {
	sets    []set
	set     int
	row     int
	errSent bool
}

func (r *fakeRows) Columns() []string {
	if r.set >= len(r.sets) {
		return nil
	}
	return r.sets[r.set].Columns
}

func (r *fakeRows) Close() error { return nil }

func (r *fakeRows) Next(dest []driver.Value) error {
	if r.set >= len(r.sets) {
		return io.EOF
	}
	s := r.sets[r.set]
	if r.row < len(s.Rows) {
		copy(dest, s.Rows[r.row])
		r.row++
		return nil
	}
	if s.Err != nil && !r.errSent {
		r.errSent = true
		return s.Err
	}
	return io.EOF
}

func (r *fakeRows) HasNextResultSet() bool { return r.set+1 < len(r.sets) }

func (r *fakeRows) NextResultSet() error {
	if r.set < len(r.sets) && r.sets[r.set].NextErr != nil {
		return r.sets[r.set].NextErr
	}
	if !r.HasNextResultSet() {
		return io.EOF
	}
	r.set++
	r.row = 0
	r.errSent = false
	return nil
}

// newFakeClient returns a Client whose statements go to a fake answering
// with replies.
func newFakeClient(t *testing.T, replies ...reply) (*Client, *fakeServer) {
	t.Helper()
	s := &fakeServer{replies: replies}
	db := sql.OpenDB(s)
	t.Cleanup(func() { _ = db.Close() })
	return newClient(db), s
}

// rows returns a reply of one result set.
func rows(cols []string, rs ...[]driver.Value) reply {
	return reply{Sets: []set{{Columns: cols, Rows: rs}}}
}

// row is one row of values.
func row(v ...driver.Value) []driver.Value { return v }

// named and positional are the arguments the client is expected to send.
func named(name string, v any) sentArg { return sentArg{Name: name, Value: v} }

func positional(ordinal int, v any) sentArg { return sentArg{Ordinal: ordinal, Value: v} }

// withOrdinals numbers arguments as database/sql does, from 1 in order.
func withOrdinals(args ...sentArg) []sentArg {
	for i := range args {
		args[i].Ordinal = i + 1
	}
	return args
}
