package install

import (
	"context"
	"testing"
	"time"

	"github.com/dbaas-io/dbaas/internal/engine/watchdog"
	"github.com/dbaas-io/dbaas/internal/testing/exectest"

	"github.com/google/go-cmp/cmp"
)

func TestRenderUnit(t *testing.T) {
	p := watchdog.Process{
		Binary: "/usr/local/bin/dbaas-watchdog", ConfigFile: "/var/lib/postgresql/15/dbaas-watchdog.json",
		OSUser: "postgres", Interval: time.Second, FenceAfter: 10 * time.Second,
	}
	want := `# Written by the dbaas provider; local edits are overwritten.
[Unit]
Description=dbaas self-fencing watchdog (/var/lib/postgresql/15/dbaas-watchdog.json)
StartLimitIntervalSec=0

[Service]
Type=simple
User=postgres
Group=postgres
ExecStart=/usr/local/bin/dbaas-watchdog --config=/var/lib/postgresql/15/dbaas-watchdog.json --interval=1s --fence-after=10s
Restart=always
RestartSec=1s

[Install]
WantedBy=multi-user.target
`
	if diff := cmp.Diff(want, RenderUnit(p)); diff != "" {
		t.Errorf("RenderUnit: -want +got:\n%s", diff)
	}
	if got, want := UnitName("db-0"), "dbaas-watchdog-db-0.service"; got != want {
		t.Errorf("UnitName: want %q, got %q", want, got)
	}
}

func TestSystemdQuote(t *testing.T) {
	cases := map[string]struct {
		reason string
		in     string
		want   string
	}{
		"Plain":     {reason: "A path with nothing systemd interprets stays as it is.", in: "--config=/a/b-c_d.json", want: "--config=/a/b-c_d.json"},
		"Space":     {reason: "A space would split the word: it is quoted.", in: "/a b/c", want: `"/a b/c"`},
		"Quote":     {reason: "Double quotes and backslashes inside quotes are escaped.", in: `/a"b\c`, want: `"/a\"b\\c"`},
		"Specifier": {reason: "% starts a specifier and $ a variable: both are doubled.", in: "/a%i$HOME", want: "/a%%i$$HOME"},
		"Empty":     {reason: "An empty word is kept as an empty word.", in: "", want: `""`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := systemdQuote(tc.in); got != tc.want {
				t.Errorf("%s\nsystemdQuote(%q): want %s, got %s", tc.reason, tc.in, tc.want, got)
			}
		})
	}
}

func TestSystemdSteps(t *testing.T) {
	s := SystemdSteps("db-0", watchdog.Process{Binary: "/usr/local/bin/dbaas-watchdog", ConfigFile: "/c.json", OSUser: "postgres", FenceAfter: 10 * time.Second})
	var names []string
	r := &exectest.Recorder{}
	for _, st := range s {
		names = append(names, st.Name)
		if err := st.Apply(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	if diff := cmp.Diff([]string{StepUnit, "service dbaas-watchdog-db-0.service"}, names); diff != "" {
		t.Errorf("SystemdSteps: -want +got step names:\n%s", diff)
	}
	want := []string{
		"write /etc/systemd/system/dbaas-watchdog-db-0.service -rw-r--r--",
		"systemctl daemon-reload && systemctl try-restart -- dbaas-watchdog-db-0.service",
		"systemctl enable --now -- dbaas-watchdog-db-0.service",
	}
	if diff := cmp.Diff(want, r.Cmds); diff != "" {
		t.Errorf("SystemdSteps: -want +got commands:\n%s", diff)
	}
}
