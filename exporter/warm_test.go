package exporter_test

import (
	"sync"
	"testing"

	"github.com/charmtrace/charmtrace/exporter"
)

// Warm runs beside a first export, as a dispatch runs it beside opening the buffer: the
// batch is stored whole, and the race detector sees no shared state between the two.
func TestWarmBesideTheFirstExport(t *testing.T) {
	var wg sync.WaitGroup
	wg.Go(exporter.Warm)
	buf := openBuffer(t)
	e := newExporter(t, buf)
	export(t, e, spans(3, "batch", nil))
	wg.Wait()
	got := rows(t, buf)
	if len(got) != 1 || len(spanNames(got[0].Data)) != 3 {
		t.Fatalf("%d rows, want one of 3 spans", len(got))
	}
}
