package vsphere

import (
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/task"
	"github.com/vmware/govmomi/vim25/types"

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

func TestDataDisks(t *testing.T) {
	var devices object.VirtualDeviceList
	ctl, err := devices.CreateSCSIController("pvscsi")
	if err != nil {
		t.Fatal(err)
	}
	ctl.(types.BaseVirtualSCSIController).GetVirtualSCSIController().BusNumber = 1
	ctl.GetVirtualDevice().Key = 1000
	devices = append(devices, ctl)
	var disks []*types.VirtualDisk
	for _, kb := range []int64{8 << 20, 10 << 20, (3 << 20) + 1} { // boot 8 GiB, 10 GiB, a little over 3 GiB
		d := devices.CreateDisk(ctl.(types.BaseVirtualController), types.ManagedObjectReference{}, "")
		d.CapacityInKB = kb
		devices = append(devices, d)
		disks = append(disks, d)
	}
	if p := diskPlace(devices, disks[1]); p != "scsi1:1" {
		t.Fatalf("place %s, want scsi1:1", p)
	}
	extra := optionValues(map[string]string{
		keyDiskPrefix + "data": "scsi1:1", keyDiskPrefix + "wal": "scsi1:2", keyDiskPrefix + "gone": "scsi1:9", "other": "x",
	})
	got, byName := dataDisks(devices, extra)
	want := []machine.Disk{{Name: "data", SizeGiB: 10}, {Name: "wal", SizeGiB: 4}}
	if d := cmp.Diff(want, got); d != "" || byName["data"] != disks[1] {
		t.Errorf("-want +got:\n%s", d)
	}
}

func TestClassify(t *testing.T) {
	throttled := &httpStatusError{Code: 429, Status: "429 Too Many Requests", Header: http.Header{"Retry-After": {"3"}}}
	cases := map[string]struct {
		err   error
		check func(error) bool
	}{
		"Throttled": {throttled, func(err error) bool {
			var te *machine.TransientError
			return errors.As(err, &te) && te.StatusCode == 429 && te.RetryAfter == 3*time.Second
		}},
		"Capacity": {task.Error{LocalizedMethodFault: &types.LocalizedMethodFault{Fault: &types.InsufficientMemoryResourcesFault{}, LocalizedMessage: "not enough memory"}}, func(err error) bool {
			var ce *machine.CapacityError
			return errors.As(err, &ce) && strings.Contains(ce.Message, "not enough memory")
		}},
		"DiskFull": {task.Error{LocalizedMethodFault: &types.LocalizedMethodFault{Fault: &types.NoDiskSpace{Datastore: "LocalDS_0"}}}, func(err error) bool {
			var ce *machine.CapacityError
			return errors.As(err, &ce) && strings.Contains(ce.Message, "NoDiskSpace")
		}},
		"Other": {task.Error{LocalizedMethodFault: &types.LocalizedMethodFault{Fault: &types.InvalidArgument{}, LocalizedMessage: "bad"}}, func(err error) bool {
			var te *machine.TransientError
			var ce *machine.CapacityError
			return !errors.As(err, &te) && !errors.As(err, &ce) && strings.HasPrefix(err.Error(), errClone+": ")
		}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := classify(tc.err, errClone); !tc.check(got) {
				t.Errorf("classify: %#v (%v)", got, got)
			}
		})
	}
}

type answer struct {
	code int
	ct   string
}

func (a answer) RoundTrip(*http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: a.code, Status: http.StatusText(a.code), Header: http.Header{"Content-Type": {a.ct}}, Body: io.NopCloser(strings.NewReader(""))}, nil
}

func TestStatusTransport(t *testing.T) {
	cases := []struct {
		a         answer
		transient bool
	}{
		{answer{200, "text/xml"}, false},
		{answer{500, "text/xml; charset=utf-8"}, false}, // a SOAP fault
		{answer{500, "text/html"}, true},
		{answer{429, "text/plain"}, true},
		{answer{503, "text/html"}, true},
		{answer{404, "text/html"}, false},
	}
	for _, tc := range cases {
		resp, err := (&statusTransport{next: tc.a}).RoundTrip(&http.Request{})
		if resp != nil {
			_ = resp.Body.Close()
		}
		var hs *httpStatusError
		if got := errors.As(err, &hs); got != tc.transient {
			t.Errorf("%d %s: transient %v, want %v", tc.a.code, tc.a.ct, got, tc.transient)
		}
	}
}
