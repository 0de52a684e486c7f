package reliability

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/charmtrace/charmtrace/charmhooks"
	"github.com/charmtrace/charmtrace/internal/e2e"
	"github.com/charmtrace/charmtrace/internal/testcerts"
)

// hostileCase is relation data a malicious or broken remote application could write.
type hostileCase struct {
	name string
	// receivers is the tracing provider's "receivers" value; certificates, if not
	// nil, is the certificate_transfer provider's app databag (the receiver is then
	// https).
	receivers    string
	certificates map[string]string
	// secret is a string that must not appear in the unit's log.
	secret string
}

func receiversWithURL(url string) string {
	b, _ := json.Marshal([]map[string]any{{"protocol": map[string]string{"name": "otlp_http", "type": "http"}, "url": url}})
	return string(b)
}

func hostileCases(t *testing.T) []hostileCase {
	ca, err := testcerts.NewRoot("hostile test CA")
	if err != nil {
		t.Fatal(err)
	}
	var many []string
	for i := range 300 {
		root, err := testcerts.NewRoot(fmt.Sprintf("CA %d", i))
		if err != nil {
			t.Fatal(err)
		}
		many = append(many, string(root.PEM()))
	}
	const https = "https://127.0.0.1:4318"
	const key = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgSECRETKEYMATERIAL\n-----END PRIVATE KEY-----"
	return []hostileCase{
		{name: "receivers over 1 MiB", receivers: receiversWithURL("http://127.0.0.1:9/" + strings.Repeat("a", 2<<20))},
		{name: "receiver URL of 512 KiB", receivers: receiversWithURL("http://127.0.0.1:9/" + strings.Repeat("a", 512<<10))},
		{name: "invalid UTF-8 in the URL", receivers: `[{"protocol":{"name":"otlp_http","type":"http"},"url":"http://127.0.0.1:4318/` + "\xff\xfe" + `"}]`},
		{name: "invalid UTF-8 throughout", receivers: "\xff\xfe[\xc0\xaf]"},
		{name: "file:// URL", receivers: receiversWithURL("file:///etc/passwd")},
		{name: "javascript: URL", receivers: receiversWithURL("javascript:alert(document.cookie)")},
		{name: "ftp:// URL", receivers: receiversWithURL("ftp://127.0.0.1/traces")},
		{name: "URL with credentials", receivers: receiversWithURL("http://admin:hunter2-secret@127.0.0.1:4318"), secret: "hunter2-secret"},
		{name: "URL with a newline (log injection)", receivers: receiversWithURL("http://127.0.0.1:4318/\nWARNING forged line")},
		{name: "URL without a host", receivers: receiversWithURL("http:///v1")},
		{name: "not JSON", receivers: "{{{{"},
		{name: "JSON nested 100000 deep", receivers: strings.Repeat("[", 100000) + strings.Repeat("]", 100000)},
		{name: "300 CA certificates", receivers: receiversWithURL(https), certificates: e2e.CertificatesV1(many...)},
		{name: "garbage inside a PEM block", receivers: receiversWithURL(https),
			certificates: e2e.CertificatesV1("-----BEGIN CERTIFICATE-----\nnot base64 at all!\n-----END CERTIFICATE-----")},
		{name: "not PEM at all", receivers: receiversWithURL(https), certificates: e2e.CertificatesV1("hello, I am a CA")},
		{name: "a private key instead of a CA", receivers: receiversWithURL(https), certificates: e2e.CertificatesV1(key),
			secret: "SECRETKEYMATERIAL"},
		{name: "certificates over 1 MiB", receivers: receiversWithURL(https),
			certificates: e2e.CertificatesV1(string(ca.PEM()) + strings.Repeat("A", 2<<20))},
		{name: "certificates not a JSON list", receivers: receiversWithURL(https), certificates: map[string]string{"certificates": `{"a":1}`, "version": "1"}},
	}
}

// testHostileRelationData runs one dispatch per case through tracing.Run on the
// in-process fake Juju: a relation-changed of the relation whose data is hostile, with
// the other relation (if any) already in place.
func testHostileRelationData(t *testing.T, sum *summary) {
	for _, c := range append(hostileCases(t), credentialCases(t)...) {
		t.Run(c.name, func(t *testing.T) {
			u, err := newFakeUnit(t.TempDir(), "hostile/0")
			if err != nil {
				t.Fatal(err)
			}
			tracingRel := u.relate("charm-tracing", "tempo", map[string]string{"receivers": c.receivers})
			rel := tracingRel
			if c.certificates != nil {
				rel = u.relate("receive-ca-cert", "self-signed-certificates", c.certificates)
			}
			status := u.dispatch(rel.Endpoint+"-relation-changed", rel, workSetup(1))
			warns := u.logs(0, charmhooks.LogWarning)
			st, err := readBuffer(bufferPath(u.dir), true)
			if err != nil {
				t.Fatal(err)
			}
			var problems []string
			for _, w := range warns {
				if len(w) > 1024 || strings.ContainsAny(w, "\n\r") || !utf8.ValidString(w) {
					problems = append(problems, fmt.Sprintf("warning of %d bytes, multi-line or invalid UTF-8", len(w)))
				}
			}
			inSettings, err := settingsHolding(bufferPath(u.dir), c.secret)
			if err != nil {
				t.Fatal(err)
			}
			problems = append(problems, inSettings...)
			for _, l := range u.st.Logs {
				if c.secret != "" && strings.Contains(l.Message, c.secret) {
					problems = append(problems, "the secret is in the unit's log")
				}
			}
			for _, r := range st.rows {
				if c.secret != "" && strings.Contains(string(r.Data), c.secret) {
					problems = append(problems, "the secret is in a buffered span")
				}
			}
			observed := fmt.Sprintf("exit %d, destination %q, %d rows buffered, %d warning(s) %s %v", status, truncate(st.dest.URL), len(st.rows), len(warns), quoteAll(truncateAll(warns)), problems)
			t.Log(observed)
			sum.check(t, "4", "hostile relation data: "+c.name, "refused: exit 0, buffer only, one short warning, no secret in the log, a span or the settings", observed,
				status == 0 && st.dest.URL == "" && len(st.rows) > 0 && len(warns) == 1 && len(problems) == 0)
		})
	}
}

// truncate shortens s for the table.
func truncate(s string) string {
	if len(s) <= 120 {
		return s
	}
	return s[:120] + fmt.Sprintf("…(%d bytes)", len(s))
}

func truncateAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = truncate(s)
	}
	return out
}
