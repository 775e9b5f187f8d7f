package cloudinit

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/test"
)

const key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDbaasTestKey"

// ours is the cloud-config part of a multipart result for the default user.
const ours = `#cloud-config
merge_how:
- name: list
  settings:
  - append
- name: dict
  settings:
  - no_replace
  - recurse_list
users:
- default
- name: dbaas
  shell: /bin/bash
  ssh_authorized_keys:
  - ` + key + `
  sudo: ALL=(ALL) NOPASSWD:ALL
`

// A mimePart of a multipart result, its body decoded.
type mimePart struct {
	ContentType string
	Body        string
}

func gzipped(t *testing.T, s string) string {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	if _, err := io.WriteString(w, s); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// parts reads a multipart/mixed result the way cloud-init would: headers
// first, then each part, base64 parts decoded.
func parts(t *testing.T, doc string) []mimePart {
	t.Helper()
	msg, err := mail.ReadMessage(strings.NewReader(doc))
	if err != nil {
		t.Fatalf("not a MIME message: %v", err)
	}
	if v := msg.Header.Get("MIME-Version"); v != "1.0" {
		t.Errorf("MIME-Version: want 1.0, got %q", v)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/mixed" {
		t.Fatalf("Content-Type: want multipart/mixed, got %q (%v)", msg.Header.Get("Content-Type"), err)
	}
	r := multipart.NewReader(msg.Body, params["boundary"])
	var out []mimePart
	for {
		p, err := r.NextRawPart()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(p)
		if err != nil {
			t.Fatal(err)
		}
		if p.Header.Get("Content-Transfer-Encoding") == "base64" {
			if body, err = base64.StdEncoding.DecodeString(strings.ReplaceAll(string(body), "\r\n", "")); err != nil {
				t.Fatal(err)
			}
		}
		out = append(out, mimePart{ContentType: p.Header.Get("Content-Type"), Body: string(body)})
	}
}

func TestWithUser(t *testing.T) {
	errBadYAML := yamlError("#cloud-config\nusers: [default\n")
	type want struct {
		// doc is the whole result when it is a #cloud-config document.
		doc string
		// parts are the parts of a multipart result.
		parts []mimePart
		err   error
	}
	cases := map[string]struct {
		reason   string
		userData string
		user     User
		want     want
	}{
		"Empty": {
			reason: "No user data becomes a cloud-config with the image's default user and ours.",
			user:   User{AuthorizedKey: key},
			want: want{doc: `#cloud-config
users:
- default
- name: dbaas
  shell: /bin/bash
  ssh_authorized_keys:
  - ` + key + `
  sudo: ALL=(ALL) NOPASSWD:ALL
`},
		},
		"Blank": {
			reason:   "User data of blanks only counts as none.",
			userData: " \n\t\n",
			user:     User{Name: "ops", AuthorizedKey: key + "\n"},
			want: want{doc: `#cloud-config
users:
- default
- name: ops
  shell: /bin/bash
  ssh_authorized_keys:
  - ` + key + `
  sudo: ALL=(ALL) NOPASSWD:ALL
`},
		},
		"CloudConfigWithoutUsers": {
			reason:   "A cloud-config without users keeps its keys and gets the default user and ours.",
			userData: "#cloud-config\n# a comment\npackages: [jq]\nruncmd:\n  - [echo, hi]\nbig: 12345678901234567\nhostname: db1\n",
			user:     User{AuthorizedKey: key},
			want: want{doc: `#cloud-config
big: 12345678901234567
hostname: db1
packages:
- jq
runcmd:
- - echo
  - hi
users:
- default
- name: dbaas
  shell: /bin/bash
  ssh_authorized_keys:
  - ` + key + `
  sudo: ALL=(ALL) NOPASSWD:ALL
`},
		},
		"CloudConfigHeaderOnly": {
			reason:   "A cloud-config with nothing in it is like none.",
			userData: "#cloud-config\n",
			user:     User{AuthorizedKey: key},
			want: want{doc: `#cloud-config
users:
- default
- name: dbaas
  shell: /bin/bash
  ssh_authorized_keys:
  - ` + key + `
  sudo: ALL=(ALL) NOPASSWD:ALL
`},
		},
		"CloudConfigWithUsers": {
			reason:   "A users list is kept as it is, without a default it did not name, and ours is added last.",
			userData: "#cloud-config\nusers:\n  - name: alice\n    groups: [adm]\n",
			user:     User{AuthorizedKey: key},
			want: want{doc: `#cloud-config
users:
- groups:
  - adm
  name: alice
- name: dbaas
  shell: /bin/bash
  ssh_authorized_keys:
  - ` + key + `
  sudo: ALL=(ALL) NOPASSWD:ALL
`},
		},
		"CloudConfigUsersString": {
			reason:   "A comma-separated users string becomes a list.",
			userData: "#cloud-config\nusers: default, alice\n",
			user:     User{AuthorizedKey: key},
			want: want{doc: `#cloud-config
users:
- default
- alice
- name: dbaas
  shell: /bin/bash
  ssh_authorized_keys:
  - ` + key + `
  sudo: ALL=(ALL) NOPASSWD:ALL
`},
		},
		"CloudConfigSameUser": {
			reason:   "A user of our name gets our key beside its own, keeps its own settings, and gets sudo and a shell only where it set none.",
			userData: "#cloud-config\nusers:\n  - default\n  - name: dbaas\n    shell: /bin/zsh\n    ssh_authorized_keys: [ssh-rsa AAAAother]\n",
			user:     User{AuthorizedKey: key},
			want: want{doc: `#cloud-config
users:
- default
- name: dbaas
  shell: /bin/zsh
  ssh_authorized_keys:
  - ssh-rsa AAAAother
  - ` + key + `
  sudo: ALL=(ALL) NOPASSWD:ALL
`},
		},
		"CloudConfigSameUserSameKey": {
			reason:   "Our key is not listed twice.",
			userData: "#cloud-config\nusers:\n  - name: dbaas\n    sudo: false\n    ssh_authorized_keys: " + key + "\n",
			user:     User{AuthorizedKey: key},
			want: want{doc: `#cloud-config
users:
- name: dbaas
  shell: /bin/bash
  ssh_authorized_keys:
  - ` + key + `
  sudo: false
`},
		},
		"CloudConfigSameUserByName": {
			reason:   "A bare name of our user becomes our entry.",
			userData: "#cloud-config\nusers: [default, dbaas]\n",
			user:     User{AuthorizedKey: key},
			want: want{doc: `#cloud-config
users:
- default
- name: dbaas
  shell: /bin/bash
  ssh_authorized_keys:
  - ` + key + `
  sudo: ALL=(ALL) NOPASSWD:ALL
`},
		},
		"CloudConfigCaseAndBlanks": {
			reason:   "cloud-init knows the header in any case and after blank lines.",
			userData: "\n#Cloud-Config\nhostname: db1\n",
			user:     User{AuthorizedKey: key},
			want: want{doc: `#cloud-config
hostname: db1
users:
- default
- name: dbaas
  shell: /bin/bash
  ssh_authorized_keys:
  - ` + key + `
  sudo: ALL=(ALL) NOPASSWD:ALL
`},
		},
		"CloudConfigInvalid": {
			reason:   "A cloud-config that is not YAML is an error.",
			userData: "#cloud-config\nusers: [default\n",
			user:     User{AuthorizedKey: key},
			want:     want{err: errors.Wrap(errBadYAML, errParse)},
		},
		"CloudConfigNotMapping": {
			reason:   "A cloud-config that is a list is an error.",
			userData: "#cloud-config\n- a\n- b\n",
			user:     User{AuthorizedKey: key},
			want:     want{err: errors.New(errNotMap)},
		},
		"CloudConfigUsersMapping": {
			reason:   "A users value that is neither a list nor a string is an error.",
			userData: "#cloud-config\nusers:\n  alice: {}\n",
			user:     User{AuthorizedKey: key},
			want:     want{err: errors.New(errUsers)},
		},
		"CloudConfigUserEntryNumber": {
			reason:   "A users entry that is neither a name nor a mapping is an error.",
			userData: "#cloud-config\nusers: [default, 42]\n",
			user:     User{AuthorizedKey: key},
			want:     want{err: errors.Errorf(errUserEntry, 1)},
		},
		"NoKey": {
			reason: "A user without a key is refused.",
			user:   User{Name: "dbaas", AuthorizedKey: " "},
			want:   want{err: errors.New(errNoKey)},
		},
		"ShellScript": {
			reason:   "A script goes beside our cloud-config as text/x-shellscript.",
			userData: "#!/bin/sh\necho hi\n",
			user:     User{AuthorizedKey: key},
			want: want{parts: []mimePart{
				{ContentType: "text/cloud-config", Body: ours},
				{ContentType: "text/x-shellscript", Body: "#!/bin/sh\necho hi\n"},
			}},
		},
		"ShellScriptNotASCII": {
			reason:   "Text that is not ASCII goes base64-encoded.",
			userData: "#!/bin/sh\necho é\n",
			user:     User{AuthorizedKey: key},
			want: want{parts: []mimePart{
				{ContentType: "text/cloud-config", Body: ours},
				{ContentType: "text/x-shellscript", Body: "#!/bin/sh\necho é\n"},
			}},
		},
		"Include": {
			reason:   "An include list goes as text/x-include-url.",
			userData: "#include\nhttps://example.com/cfg\n",
			user:     User{AuthorizedKey: key},
			want: want{parts: []mimePart{
				{ContentType: "text/cloud-config", Body: ours},
				{ContentType: "text/x-include-url", Body: "#include\nhttps://example.com/cfg\n"},
			}},
		},
		"IncludeOnce": {
			reason:   "#include-once is told from #include.",
			userData: "#include-once\nhttps://example.com/cfg\n",
			user:     User{AuthorizedKey: key},
			want: want{parts: []mimePart{
				{ContentType: "text/cloud-config", Body: ours},
				{ContentType: "text/x-include-once-url", Body: "#include-once\nhttps://example.com/cfg\n"},
			}},
		},
		"CloudConfigArchive": {
			reason:   "#cloud-config-archive is not a #cloud-config document.",
			userData: "#cloud-config-archive\n- type: text/x-shellscript\n  content: '#!/bin/sh'\n",
			user:     User{AuthorizedKey: key},
			want: want{parts: []mimePart{
				{ContentType: "text/cloud-config", Body: ours},
				{ContentType: "text/cloud-config-archive", Body: "#cloud-config-archive\n- type: text/x-shellscript\n  content: '#!/bin/sh'\n"},
			}},
		},
		"Boothook": {
			reason:   "A boothook goes as text/cloud-boothook.",
			userData: "#cloud-boothook\n#!/bin/sh\necho early\n",
			user:     User{AuthorizedKey: key},
			want: want{parts: []mimePart{
				{ContentType: "text/cloud-config", Body: ours},
				{ContentType: "text/cloud-boothook", Body: "#cloud-boothook\n#!/bin/sh\necho early\n"},
			}},
		},
		"Jinja": {
			reason:   "A jinja template goes as text/jinja2, for cloud-init to render.",
			userData: "## template: jinja\n#cloud-config\nhostname: {{ v1.instance_id }}\n",
			user:     User{AuthorizedKey: key},
			want: want{parts: []mimePart{
				{ContentType: "text/cloud-config", Body: ours},
				{ContentType: "text/jinja2", Body: "## template: jinja\n#cloud-config\nhostname: {{ v1.instance_id }}\n"},
			}},
		},
		"Unknown": {
			reason:   "Text cloud-init does not know goes as text/plain, for it to sniff.",
			userData: "just some words\n",
			user:     User{AuthorizedKey: key},
			want: want{parts: []mimePart{
				{ContentType: "text/cloud-config", Body: ours},
				{ContentType: "text/plain", Body: "just some words\n"},
			}},
		},
		"Multipart": {
			reason:   "A MIME message goes as it is, its headers the part's.",
			userData: "Content-Type: multipart/mixed; boundary=\"XX\"\nMIME-Version: 1.0\n\n--XX\nContent-Type: text/x-shellscript\n\n#!/bin/sh\necho hi\n--XX--\n",
			user:     User{AuthorizedKey: key},
			want: want{parts: []mimePart{
				{ContentType: "text/cloud-config", Body: ours},
				{ContentType: "multipart/mixed; boundary=\"XX\"", Body: "--XX\nContent-Type: text/x-shellscript\n\n#!/bin/sh\necho hi\n--XX--\n"},
			}},
		},
		"GzipCloudConfig": {
			reason:   "Gzip user data is handled as what it holds.",
			userData: gzipped(t, "#cloud-config\nhostname: db1\n"),
			user:     User{AuthorizedKey: key},
			want: want{doc: `#cloud-config
hostname: db1
users:
- default
- name: dbaas
  shell: /bin/bash
  ssh_authorized_keys:
  - ` + key + `
  sudo: ALL=(ALL) NOPASSWD:ALL
`},
		},
		"GzipScript": {
			reason:   "A gzip script becomes a multipart message of the plain script.",
			userData: gzipped(t, "#!/bin/sh\necho hi\n"),
			user:     User{AuthorizedKey: key},
			want: want{parts: []mimePart{
				{ContentType: "text/cloud-config", Body: ours},
				{ContentType: "text/x-shellscript", Body: "#!/bin/sh\necho hi\n"},
			}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := WithUser(tc.userData, tc.user)
			if diff := cmp.Diff(tc.want.err, err, test.EquateErrors()); diff != "" {
				t.Fatalf("%s\nWithUser(...): -want error, +got error:\n%s", tc.reason, diff)
			}
			if err != nil {
				return
			}
			again, _ := WithUser(tc.userData, tc.user)
			if again != got {
				t.Errorf("%s\nWithUser(...) twice: want the same bytes, got\n%s\nthen\n%s", tc.reason, got, again)
			}
			if tc.want.parts == nil {
				if diff := cmp.Diff(tc.want.doc, got); diff != "" {
					t.Errorf("%s\nWithUser(...): -want, +got:\n%s", tc.reason, diff)
				}
				return
			}
			if diff := cmp.Diff(tc.want.parts, parts(t, got)); diff != "" {
				t.Errorf("%s\nWithUser(...) parts: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// yamlError is the error yaml.Unmarshal gives for doc.
func yamlError(doc string) error {
	var v any
	return yaml.Unmarshal([]byte(doc), &v)
}
