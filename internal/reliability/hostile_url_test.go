package reliability

import (
	"database/sql"
	"encoding/pem"
	"fmt"
	"strings"
	"testing"

	"github.com/charmtrace/charmtrace/internal/e2e"
	"github.com/charmtrace/charmtrace/internal/testcerts"
)

// credentialCases are receiver URLs that carry credentials and are wrong in some other
// way too (each warning used to quote the URL, or Go's parse error, which does), URLs
// with a bare query or fragment, and a CA bundle that slips a private key in beside a
// good certificate.
func credentialCases(t *testing.T) []hostileCase {
	ca, err := testcerts.NewRoot("hostile test CA")
	if err != nil {
		t.Fatal(err)
	}
	const secret = "hunter2-secret"
	key := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte("SECRETKEYMATERIAL:" + strings.Repeat("k", 30))}))
	return []hostileCase{
		{name: "credentials and a bad port", receivers: receiversWithURL("http://admin:" + secret + "@127.0.0.1:43x18"), secret: secret},
		{name: "credentials and an ftp:// scheme", receivers: receiversWithURL("ftp://admin:" + secret + "@127.0.0.1:4318"), secret: secret},
		{name: "credentials and no host", receivers: receiversWithURL("http://admin:" + secret + "@/"), secret: secret},
		{name: "credentials and a control character", receivers: receiversWithURL("http://admin:" + secret + "@127.0.0.1:4318/\x01"), secret: secret},
		{name: "credentials and a bidi override", receivers: receiversWithURL("http://admin:" + secret + "@127.0.0.1:4318/\u202e"), secret: secret},
		{name: "a token in the query", receivers: receiversWithURL("http://127.0.0.1:4318/?token=" + secret), secret: secret},
		{name: "a bare trailing ?", receivers: receiversWithURL("http://127.0.0.1:4318/?")},
		{name: "a bare trailing #", receivers: receiversWithURL("http://127.0.0.1:4318#")},
		{name: "a private key beside a good CA certificate", receivers: receiversWithURL("https://127.0.0.1:4318"),
			certificates: e2e.CertificatesV1(string(ca.PEM()), key), secret: "U0VDUkVUS0VZTUFURVJJQUw"},
	}
}

// settingsHolding lists the buffer settings whose value contains secret: the buffer may
// hold certificates and a credential-free URL, nothing else from the relations.
func settingsHolding(path, secret string) ([]string, error) {
	if secret == "" {
		return nil, nil
	}
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return nil, err
	}
	defer db.Close()
	rows, err := db.Query(`SELECT key, value FROM settings`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, err
		}
		if strings.Contains(v, secret) {
			out = append(out, fmt.Sprintf("setting %s holds the secret", k))
		}
	}
	return out, rows.Err()
}
