package vsphere

import (
	"encoding/base64"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dbaas-io/dbaas/internal/clients/machine"
)

func TestGuestInfo(t *testing.T) {
	cases := map[string]struct {
		id    machine.ID
		s     machine.Spec
		disks map[string]string
		want  map[string]string
	}{
		"Everything": {
			id:    machine.ID{Namespace: "team-a", Name: "pg-1"},
			s:     machine.Spec{SSHPublicKey: "ssh-ed25519 AAA me\n", UserData: "#cloud-config\n", Tags: map[string]string{"b": "2", "a": "1"}},
			disks: map[string]string{"data": "scsi0:1"},
			want: map[string]string{
				keyID:                       "team-a/pg-1",
				keyMetadata:                 `{"instance-id":"team-a.pg-1","local-hostname":"pg-1","hostname":"pg-1","public-keys":["ssh-ed25519 AAA me"]}`,
				keyMetadataEncoding:         "base64",
				keyUserData:                 "#cloud-config\n",
				keyUserDataEncoding:         "base64",
				keyTags:                     `{"a":"1","b":"2"}`,
				"guestinfo.dbaas.disk.data": "scsi0:1",
			},
		},
		"NoKeyNoUserDataNoNamespace": {
			id: machine.ID{Name: "pg-2"},
			want: map[string]string{
				keyID:               "pg-2",
				keyMetadata:         `{"instance-id":"pg-2","local-hostname":"pg-2","hostname":"pg-2"}`,
				keyMetadataEncoding: "base64",
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := map[string]string{}
			var keys []string
			for _, o := range guestInfo(tc.id, tc.s, tc.disks) {
				v := o.GetOptionValue()
				s := v.Value.(string)
				if v.Key == keyMetadata || v.Key == keyUserData {
					b, err := base64.StdEncoding.DecodeString(s)
					if err != nil {
						t.Fatalf("%s is not base64: %v", v.Key, err)
					}
					s = string(b)
				}
				got[v.Key] = s
				keys = append(keys, v.Key)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("-want +got:\n%s", d)
			}
			for i := 1; i < len(keys); i++ {
				if keys[i-1] > keys[i] {
					t.Errorf("keys not sorted: %v", keys)
				}
			}
		})
	}
}
