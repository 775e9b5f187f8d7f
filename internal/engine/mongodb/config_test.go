package mongodb

import (
	"path"
	"testing"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/test"
	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"
)

func validConfig() Config {
	return Config{
		DBPath:      "/data/mongodb",
		BindIPs:     []string{"127.0.0.1", "10.0.0.4"},
		ReplSetName: "rs0",
		KeyFile:     "/etc/mongod.keyfile",
	}
}

func TestRenderGolden(t *testing.T) {
	cases := map[string]struct {
		reason string
		c      Config
		golden string
	}{
		"Defaults": {
			reason: "Log path and port default to the package's.",
			c:      validConfig(),
			golden: "mongod-defaults.conf",
		},
		"Custom": {
			reason: "Every typed setting reaches the file.",
			c: Config{
				DBPath: "/mnt/data1/db", LogPath: "/mnt/data1/log/mongod.log",
				BindIPs: []string{"0.0.0.0", "::", "db-1.example.internal"}, Port: 27018,
				ReplSetName: "orders", KeyFile: "/etc/mongodb/keyfile",
			},
			golden: "mongod-custom.conf",
		},
		"Hostile": {
			reason: "Quotes, colons, comments and line breaks stay inside their scalars.",
			c: Config{
				DBPath: `/data/it's "here": #x`, BindIPs: []string{"127.0.0.1"},
				ReplSetName: "rs0\"\nsecurity:\n  authorization: disabled\n#", KeyFile: "/etc/k\\ey",
			},
			golden: "mongod-hostile.conf",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := Render(tc.c)
			if err != nil {
				t.Fatalf("%s\nRender(...): %v", tc.reason, err)
			}
			golden(t, tc.golden, got)
		})
	}
}

// TestRenderParses reads the rendered file back as YAML, as mongod does, and
// checks that each hostile value arrives unchanged and adds no setting.
func TestRenderParses(t *testing.T) {
	type parsed struct {
		Storage struct {
			DBPath string `json:"dbPath"`
		} `json:"storage"`
		SystemLog struct {
			Destination string `json:"destination"`
			LogAppend   bool   `json:"logAppend"`
			Path        string `json:"path"`
		} `json:"systemLog"`
		ProcessManagement struct {
			TimeZoneInfo string `json:"timeZoneInfo"`
		} `json:"processManagement"`
		Net struct {
			Port   int    `json:"port"`
			BindIP string `json:"bindIp"`
		} `json:"net"`
		Replication struct {
			ReplSetName string `json:"replSetName"`
		} `json:"replication"`
		Security struct {
			KeyFile       string `json:"keyFile"`
			Authorization string `json:"authorization"`
		} `json:"security"`
	}
	for name, v := range hostile {
		if name == "Empty" {
			continue
		}
		t.Run(name, func(t *testing.T) {
			c := validConfig()
			c.ReplSetName = v
			c.DBPath = path.Join("/data", v)
			out, err := Render(c)
			if err != nil {
				t.Fatalf("Render(...): %v", err)
			}
			var p parsed
			if err := yaml.UnmarshalStrict([]byte(out), &p, yaml.DisallowUnknownFields); err != nil {
				t.Fatalf("the rendered file is not the expected YAML: %v\n%s", err, out)
			}
			want := parsed{}
			want.Storage.DBPath = c.DBPath
			want.SystemLog.Destination, want.SystemLog.LogAppend, want.SystemLog.Path = "file", true, DefaultLogPath
			want.ProcessManagement.TimeZoneInfo = "/usr/share/zoneinfo"
			want.Net.Port = DefaultPort
			want.Net.BindIP = "127.0.0.1,10.0.0.4"
			want.Replication.ReplSetName = v
			want.Security.KeyFile = c.KeyFile
			want.Security.Authorization = "enabled"
			if diff := cmp.Diff(want, p); diff != "" {
				t.Errorf("mongod would read: -want, +got:\n%s", diff)
			}
		})
	}
}

func TestRenderErrors(t *testing.T) {
	cases := map[string]struct {
		reason string
		mod    func(*Config)
		want   error
	}{
		"RelativeDBPath": {
			reason: "A relative dbPath depends on mongod's working directory.",
			mod:    func(c *Config) { c.DBPath = "data" },
			want:   errors.Errorf(errPath, "dbPath", "data"),
		},
		"UncleanKeyFile": {
			reason: "A path with .. names another place than it seems to.",
			mod:    func(c *Config) { c.KeyFile = "/etc/../root/key" },
			want:   errors.Errorf(errPath, "keyFile", "/etc/../root/key"),
		},
		"NULLogPath": {
			reason: "NUL cannot be in a path.",
			mod:    func(c *Config) { c.LogPath = "/var/log/a\x00b" },
			want:   errors.Errorf(errPath, "log path", "/var/log/a\x00b"),
		},
		"Port": {
			reason: "Ports stop at 65535.",
			mod:    func(c *Config) { c.Port = 70000 },
			want:   errors.Errorf(errPort, 70000),
		},
		"NoBindIP": {
			reason: "mongod must listen somewhere.",
			mod:    func(c *Config) { c.BindIPs = nil },
			want:   errors.New(errNoBindIP),
		},
		"CommaInBindIP": {
			reason: "A comma would add a listening address.",
			mod:    func(c *Config) { c.BindIPs = []string{"127.0.0.1,0.0.0.0"} },
			want:   errors.Errorf(errBindIP, "127.0.0.1,0.0.0.0"),
		},
		"NoReplSetName": {
			reason: "A member needs its set's name.",
			mod:    func(c *Config) { c.ReplSetName = "" },
			want:   errors.New(errReplSetName),
		},
		"InvalidUTF8": {
			reason: "Invalid UTF-8 would be changed by quoting.",
			mod:    func(c *Config) { c.ReplSetName = "rs\xff" },
			want:   errors.New(errReplSetName),
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c := validConfig()
			tc.mod(&c)
			_, err := Render(c)
			if diff := cmp.Diff(tc.want, err, test.EquateErrors()); diff != "" {
				t.Errorf("%s\nRender(...): -want error, +got error:\n%s", tc.reason, diff)
			}
		})
	}
}
