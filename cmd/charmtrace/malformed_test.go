package main

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	"github.com/charmtrace/charmtrace/buffer"
	"github.com/charmtrace/charmtrace/exporter"
)

// A file with a malformed row and a persistent count of rejected spans: inspect shows
// both, and the commands that read rows report the bad one and go on with the others.
func TestCommandsReportMalformedRowsAndGoOn(t *testing.T) {
	path, _ := writeBusyBuffer(t)
	b, err := buffer.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.AddCount(context.Background(), exporter.CountRejectedSpans, 5); err != nil {
		t.Fatal(err)
	}
	b.Close()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO tracing (priority, data, mime, created) VALUES (10, x'0a00', 'application/x-protobuf', 'yesterday')`); err != nil {
		t.Fatal(err)
	}
	db.Close()

	code, out, errOut := runCLI(t, "inspect", path)
	if code != exitOK || errOut != "" {
		t.Fatalf("inspect: exit %d, stderr %q", code, errOut)
	}
	for _, want := range []string{"rows          7 ", "rejected      5 spans refused", "malformed     1 row with wrong column types"} {
		if !strings.Contains(out, want) {
			t.Errorf("inspect output lacks %q:\n%s", want, out)
		}
	}
	for _, cmd := range []string{"export", "tree"} {
		code, out, errOut := runCLI(t, cmd, path)
		if !strings.Contains(errOut, "malformed") || out == "" || code == exitUsage {
			t.Errorf("%s: exit %d, stdout %d bytes, stderr %q; want the other rows and a warning", cmd, code, len(out), errOut)
		}
	}
}
