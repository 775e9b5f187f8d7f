package pgbackrest

import (
	"encoding/xml"
	"strings"
)

// The sections pgBackRest 2.45 dumps after "HTTP request failed with ...".
const (
	markPath        = "*** Path/Query ***:"
	markReqHeaders  = "*** Request Headers ***:"
	markRespHeaders = "*** Response Headers ***:"
	markContent     = "*** Response Content ***:"
)

// s3Error is what of an S3 error document says why: its code, its message
// and the bucket it names. The rest is left out on purpose: AWS and
// versitygw echo the access key ID, the string to sign and the signature.
type s3Error struct {
	Code       string `xml:"Code"`
	Message    string `xml:"Message"`
	BucketName string `xml:"BucketName"`
}

// BriefHTTP shortens pgBackRest's message of a failed HTTP request to what
// a condition should carry: its first line, the request (method, bucket
// path, prefix), the host, and the S3 error's code, message and bucket.
// pgBackRest dumps the whole exchange (about 4 KB for a refused
// signature) and redacts only the authorization header, while the store's
// answer holds the access key ID from the store's Secret. A message of any
// other error is returned as it is. It reads the dump with its lines
// intact or joined by spaces, as lastError joins a log entry's lines.
func BriefHTTP(msg string) string {
	head, rest, ok := strings.Cut(msg, markPath)
	if !ok {
		return msg
	}
	out := strings.TrimSuffix(strings.TrimSpace(head), ":")
	req, rest, _ := strings.Cut(rest, markReqHeaders)
	if req = strings.TrimSpace(req); req != "" {
		out += ": " + req
	}
	headers, rest, _ := strings.Cut(rest, markRespHeaders)
	if host := headerValue(headers, "host:"); host != "" {
		out += " on " + host
	}
	_, content, _ := strings.Cut(rest, markContent)
	if i := strings.Index(content, "<Error"); i >= 0 {
		var e s3Error
		if err := xml.Unmarshal([]byte(content[i:]), &e); err == nil && e.Code != "" {
			out += ": " + e.Code
			if e.Message != "" {
				out += ": " + e.Message
			}
			if e.BucketName != "" {
				out += " (bucket " + e.BucketName + ")"
			}
		}
	}
	return out
}

// headerValue is the value of the header name ("host:") in headers, one
// "name: value" a line or all on one line.
func headerValue(headers, name string) string {
	f := strings.Fields(headers)
	for i := 0; i+1 < len(f); i++ {
		if strings.EqualFold(f[i], name) {
			return f[i+1]
		}
	}
	return ""
}
