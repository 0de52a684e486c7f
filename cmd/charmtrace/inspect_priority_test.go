package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/charmtrace/charmtrace/buffer"
)

func TestInspectNamesTheFailedPriority(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".tracing-data.db")
	b, err := buffer.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := b.Push(ctx, []byte("x"), buffer.MimeProtobuf); err != nil {
		t.Fatal(err)
	}
	if err := b.MarkFailed(ctx); err != nil {
		t.Fatal(err)
	}
	b.Close()
	code, out, errOut := runCLI(t, "inspect", path)
	if code != exitOK || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	if want := "  priority 90  1 row, 1 B (failed dispatches)\n"; !strings.Contains(out, want) {
		t.Fatalf("no %q in\n%s", want, out)
	}
}
