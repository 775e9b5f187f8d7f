// Package cloudinit adds the provider's login user to a machine's cloud-init
// user data, whatever form the user data has, so that the provider can log
// in to every machine it makes.
package cloudinit

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"net/textproto"
	"strconv"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	apisv1alpha1 "github.com/dbaas-io/dbaas/apis/v1alpha1"
)

const (
	errNoKey     = "the login user needs an authorized key"
	errParse     = "cannot parse the #cloud-config user data"
	errNotMap    = "the #cloud-config user data must be a mapping"
	errUsers     = "users in the #cloud-config user data must be a list or a comma-separated string"
	errUserEntry = "users[%d] in the #cloud-config user data must be a name or a mapping"
	errUserKeys  = "users[%d].ssh_authorized_keys in the #cloud-config user data must be a list or a string"
	errRender    = "cannot render the #cloud-config user data"
	errGunzip    = "cannot decompress the gzip user data"
	errMIME      = "cannot read the headers of the MIME user data"
	errMultipart = "cannot write the multipart user data"
)

const (
	// Sudoers is the sudo rule of the login user: the provider configures
	// engines through sudo -n, which cannot answer a password prompt.
	Sudoers = "ALL=(ALL) NOPASSWD:ALL"

	// Shell is the login user's shell.
	Shell = "/bin/bash"

	cloudConfig     = "#cloud-config"
	cloudConfigType = "text/cloud-config"

	// cloud-init reads user data as MIME when "mime-version:" appears in
	// its first 4096 bytes, in any case.
	mimeSniff = 4096

	// maxGunzip caps decompressed user data; the clouds cap user data far
	// below it.
	maxGunzip = 16 << 20
)

// types are the first lines cloud-init tells user data apart by, and the
// MIME types it gives them, longest first where one begins another (as
// cloud-init's handlers.type_from_starts_with searches them).
var types = []struct{ prefix, contentType string }{
	{"#cloud-config-archive", "text/cloud-config-archive"},
	{"#cloud-config-jsonp", "text/cloud-config-jsonp"},
	{cloudConfig, cloudConfigType},
	{"#cloud-boothook", "text/cloud-boothook"},
	{"#include-once", "text/x-include-once-url"},
	{"#include", "text/x-include-url"},
	{"#part-handler", "text/part-handler"},
	{"## template: jinja", "text/jinja2"},
	{"#!", "text/x-shellscript"},
}

// A User is a login user cloud-init creates, with password-less sudo and
// one authorized public key.
type User struct {
	// Name of the user; apisv1alpha1.DefaultSSHUser when empty, as the
	// ProviderConfig's ssh.user defaults to.
	Name string

	// AuthorizedKey is the public key in authorized_keys form
	// ("ssh-ed25519 AAAA...").
	AuthorizedKey string
}

func (u User) name() string {
	if u.Name == "" {
		return apisv1alpha1.DefaultSSHUser
	}
	return u.Name
}

func (u User) key() string { return strings.TrimSpace(u.AuthorizedKey) }

// entry is the user's item of a cloud-config users list.
func (u User) entry() map[string]any {
	return map[string]any{
		"name":                u.name(),
		"sudo":                Sudoers,
		"shell":               Shell,
		"ssh_authorized_keys": []any{u.key()},
	}
}

// WithUser returns userData that also makes cloud-init create u. The same
// arguments always give the same bytes, so user data compared or hashed by
// a backend does not change from one reconcile to the next.
//
//   - Empty user data becomes a #cloud-config document whose users are the
//     image's default user and u.
//   - A #cloud-config document gets u added to its users list (after the
//     image's default user when it had no list), or u's key added to the
//     entry of the same name. Its other keys are kept, but not its comments
//     or key order: it is parsed and written again.
//   - Gzip-compressed user data is decompressed and handled as what it
//     holds; the result is not compressed again.
//   - Anything else (a #! script, #include, #cloud-boothook, a jinja
//     template, a MIME message, text cloud-init does not know) becomes a
//     MIME multipart/mixed message: a text/cloud-config part with u, then
//     the original as its own part. A known first line gives the part its
//     type (text/x-shellscript for #!, text/x-include-url for #include);
//     unknown text goes as text/plain, which cloud-init sniffs as it would
//     have sniffed it alone; a MIME message goes as it is, its headers
//     becoming the part's, so a multipart message ends up nested, which
//     cloud-init walks. The cloud-config part asks cloud-init to append its
//     lists and not replace keys, so a users list from a cloud-config that
//     the original holds or includes keeps its users, and u is added.
func WithUser(userData string, u User) (string, error) {
	if u.key() == "" {
		return "", errors.New(errNoKey)
	}
	if strings.TrimSpace(userData) == "" {
		return render(map[string]any{"users": []any{"default", u.entry()}})
	}
	if strings.HasPrefix(userData, "\x1f\x8b") {
		zr, err := gzip.NewReader(strings.NewReader(userData))
		if err != nil {
			return "", errors.Wrap(err, errGunzip)
		}
		plain, err := io.ReadAll(io.LimitReader(zr, maxGunzip))
		if err != nil {
			return "", errors.Wrap(err, errGunzip)
		}
		return WithUser(string(plain), u)
	}

	original, err := originalPart(userData)
	if err != nil {
		return "", err
	}
	if original.header.Get("Content-Type") == cloudConfigType {
		return merge(userData, u)
	}
	ours, err := render(map[string]any{
		"merge_how": []any{
			map[string]any{"name": "list", "settings": []any{"append"}},
			map[string]any{"name": "dict", "settings": []any{"no_replace", "recurse_list"}},
		},
		"users": []any{"default", u.entry()},
	})
	if err != nil {
		return "", err
	}
	return multipartMixed(part{header: textproto.MIMEHeader{"Content-Type": {cloudConfigType}}, body: ours}, original)
}

// A part of a multipart message.
type part struct {
	header textproto.MIMEHeader
	body   string
}

// originalPart is the user data as a part of a multipart message.
func originalPart(userData string) (part, error) {
	lc := strings.ToLower(strings.TrimLeft(userData, " \t\r\n"))
	for _, t := range types {
		if strings.HasPrefix(lc, t.prefix) {
			return textPart(t.contentType, userData), nil
		}
	}
	if strings.Contains(strings.ToLower(userData[:min(len(userData), mimeSniff)]), "mime-version:") {
		r := bufio.NewReader(strings.NewReader(userData))
		h, err := textproto.NewReader(r).ReadMIMEHeader()
		if err != nil {
			return part{}, errors.Wrap(err, errMIME)
		}
		body, err := io.ReadAll(r)
		if err != nil {
			return part{}, errors.Wrap(err, errMIME)
		}
		return part{header: h, body: string(body)}, nil
	}
	return textPart("text/plain", userData), nil
}

// textPart is a part of the given type. Text that is not 7-bit ASCII is
// base64-encoded: cloud-init decodes a part without a transfer encoding
// as ASCII.
func textPart(contentType, body string) part {
	h := textproto.MIMEHeader{"Content-Type": {contentType}}
	for i := 0; i < len(body); i++ {
		if body[i] >= 0x80 || body[i] == 0 {
			h.Set("Content-Transfer-Encoding", "base64")
			return part{header: h, body: base64Lines(body)}
		}
	}
	return part{header: h, body: body}
}

// base64Lines is body in base64, in lines of 76 characters as MIME asks.
func base64Lines(body string) string {
	enc := base64.StdEncoding.EncodeToString([]byte(body))
	var b strings.Builder
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n")
	return b.String()
}

// multipartMixed is a MIME multipart/mixed message of the parts. Its
// boundary is derived from the parts, so that the same parts give the same
// bytes, and is one that no part contains.
func multipartMixed(parts ...part) (string, error) {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p.body))
	}
	sum := h.Sum(nil)
	var boundary string
	for i := 0; ; i++ {
		s := sha256.Sum256(append(sum, strconv.Itoa(i)...))
		boundary = "dbaas-" + hex.EncodeToString(s[:20])
		clash := false
		for _, p := range parts {
			clash = clash || strings.Contains(p.body, boundary)
		}
		if !clash {
			break
		}
	}

	var b bytes.Buffer
	b.WriteString("Content-Type: " + mime.FormatMediaType("multipart/mixed", map[string]string{"boundary": boundary}) + "\r\n")
	b.WriteString("MIME-Version: 1.0\r\n\r\n")
	w := multipart.NewWriter(&b)
	if err := w.SetBoundary(boundary); err != nil {
		return "", errors.Wrap(err, errMultipart)
	}
	for _, p := range parts {
		pw, err := w.CreatePart(p.header)
		if err != nil {
			return "", errors.Wrap(err, errMultipart)
		}
		if _, err := io.WriteString(pw, p.body); err != nil {
			return "", errors.Wrap(err, errMultipart)
		}
	}
	if err := w.Close(); err != nil {
		return "", errors.Wrap(err, errMultipart)
	}
	return b.String(), nil
}

// useNumber keeps numbers as they are written: without it every number
// would pass through float64, and large ones would come back in exponent
// form.
func useNumber(d *json.Decoder) *json.Decoder {
	d.UseNumber()
	return d
}

// merge adds u to a #cloud-config document.
func merge(doc string, u User) (string, error) {
	var parsed any
	if err := yaml.Unmarshal([]byte(doc), &parsed, useNumber); err != nil {
		return "", errors.Wrap(err, errParse)
	}
	var cfg map[string]any
	switch v := parsed.(type) {
	case nil:
		cfg = map[string]any{}
	case map[string]any:
		cfg = v
	default:
		return "", errors.New(errNotMap)
	}

	var users []any
	switch v := cfg["users"].(type) {
	case nil:
		// No list keeps the image's default user; a list replaces it
		// unless it names "default".
		users = []any{"default"}
	case []any:
		users = v
	case string:
		// cloud-init also takes "default, alice".
		for _, n := range strings.Split(v, ",") {
			if n = strings.TrimSpace(n); n != "" {
				users = append(users, n)
			}
		}
	default:
		return "", errors.New(errUsers)
	}
	users, err := addUser(users, u)
	if err != nil {
		return "", err
	}
	cfg["users"] = users
	return render(cfg)
}

// addUser adds u to a users list: to the entry of its name when there is
// one, keeping what that entry says and adding only the key, and the sudo
// rule and shell when it has none; as a new last entry otherwise.
func addUser(users []any, u User) ([]any, error) {
	for i, e := range users {
		switch v := e.(type) {
		case string:
			if v == u.name() {
				users[i] = u.entry()
				return users, nil
			}
		case map[string]any:
			if v["name"] != u.name() {
				continue
			}
			var keys []any
			switch k := v["ssh_authorized_keys"].(type) {
			case nil:
			case []any:
				keys = k
			case string:
				keys = []any{k}
			default:
				return nil, errors.Errorf(errUserKeys, i)
			}
			if !hasKey(keys, u.key()) {
				keys = append(keys, u.key())
			}
			v["ssh_authorized_keys"] = keys
			for k, d := range map[string]string{"sudo": Sudoers, "shell": Shell} {
				if _, ok := v[k]; !ok {
					v[k] = d
				}
			}
			return users, nil
		default:
			return nil, errors.Errorf(errUserEntry, i)
		}
	}
	return append(users, u.entry()), nil
}

func hasKey(keys []any, key string) bool {
	for _, k := range keys {
		if s, ok := k.(string); ok && strings.TrimSpace(s) == key {
			return true
		}
	}
	return false
}

// render writes cfg as a #cloud-config document, its keys sorted.
func render(cfg map[string]any) (string, error) {
	out, err := yaml.Marshal(cfg)
	if err != nil {
		return "", errors.Wrap(err, errRender)
	}
	return cloudConfig + "\n" + string(out), nil
}
