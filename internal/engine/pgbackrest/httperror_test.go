package pgbackrest

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// signatureRefused is pgBackRest 2.45's `info` message for a wrong secret
// key, as versitygw answers it (its error document cut short here): the
// access key ID is in the answer.
const signatureRefused = `[ProtocolError] HTTP request failed with 403 (Forbidden):
*** Path/Query ***:
GET /backups/?delimiter=%2F&list-type=2&prefix=p%2Fbackup%2F
*** Request Headers ***:
authorization: <redacted>
content-length: 0
host: localhost
x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
x-amz-date: <redacted>
*** Response Headers ***:
connection: close
content-length: 2420
content-type: application/xml
server: VERSITYGW
*** Response Content ***:
<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature you provided. Check your key and signing method.</Message><AWSAccessKeyId>dbaas-115f5bc31054</AWSAccessKeyId><StringToSign>AWS4-HMAC-SHA256&#xA;20261207T144746Z</StringToSign><SignatureProvided>06b6e3644efba48da0018a216e273c047a6c8f986fbb7ff82cedd6d415e44230</SignatureProvided><RequestId>5QLQ1TRRQ1M1R5KO</RequestId></Error>`

// noSuchBucket is the same for a bucket that does not exist.
const noSuchBucket = `ERROR: [039]: HTTP request failed with 404 (Not Found):
*** Path/Query ***:
GET /nosuchbucket/?delimiter=%2F&list-type=2&prefix=p%2Fbackup%2F
*** Request Headers ***:
authorization: <redacted>
host: localhost
*** Response Headers ***:
content-type: application/xml
*** Response Content ***:
<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist.</Message><BucketName>nosuchbucket</BucketName><RequestId>927YX45C4Q4XOEGL</RequestId></Error>`

func TestBriefHTTP(t *testing.T) {
	cases := map[string]struct {
		reason string
		in     string
		want   string
	}{
		"SignatureRefused": {
			reason: "A refused signature keeps the request, the host and S3's code and message, and drops the access key ID and the signature.",
			in:     signatureRefused,
			want: "[ProtocolError] HTTP request failed with 403 (Forbidden): GET /backups/?delimiter=%2F&list-type=2&prefix=p%2Fbackup%2F on localhost: " +
				"SignatureDoesNotMatch: The request signature we calculated does not match the signature you provided. Check your key and signing method.",
		},
		"NoSuchBucket": {
			reason: "A missing bucket is named.",
			in:     noSuchBucket,
			want: "ERROR: [039]: HTTP request failed with 404 (Not Found): GET /nosuchbucket/?delimiter=%2F&list-type=2&prefix=p%2Fbackup%2F on localhost: " +
				"NoSuchBucket: The specified bucket does not exist. (bucket nosuchbucket)",
		},
		"LogLinesJoined": {
			reason: "A log entry's lines joined by spaces (lastError) read the same.",
			in:     strings.Join(strings.Fields(noSuchBucket), " "),
			want: "ERROR: [039]: HTTP request failed with 404 (Not Found): GET /nosuchbucket/?delimiter=%2F&list-type=2&prefix=p%2Fbackup%2F on localhost: " +
				"NoSuchBucket: The specified bucket does not exist. (bucket nosuchbucket)",
		},
		"NoErrorDocument": {
			reason: "An answer without an S3 error document (a HEAD request, a proxy's page) is left out, the request kept.",
			in:     "[039]: HTTP request failed with 503 (Service Unavailable):\n*** Path/Query ***:\nHEAD /b/x\n*** Request Headers ***:\nhost: s3\n*** Response Headers ***:\nserver: proxy\n*** Response Content ***:\n<html>down</html>",
			want:   "[039]: HTTP request failed with 503 (Service Unavailable): HEAD /b/x on s3",
		},
		"OtherError": {
			reason: "A message that is not an HTTP dump is returned as it is.",
			in:     "ERROR: [049]: unable to open file '/x': No space left on device",
			want:   "ERROR: [049]: unable to open file '/x': No space left on device",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := BriefHTTP(tc.in)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nBriefHTTP(...): -want +got:\n%s", tc.reason, diff)
			}
			if strings.Contains(got, "dbaas-115f5bc31054") {
				t.Errorf("%s\nBriefHTTP(...) holds the access key ID: %s", tc.reason, got)
			}
		})
	}
}
