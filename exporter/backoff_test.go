package exporter

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/charmtrace/charmtrace/buffer"
)

func TestBackoffDelayDoublesUpToTheCap(t *testing.T) {
	c := newConfig([]Option{WithBackoff(30*time.Second, 5*time.Minute)})
	want := []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute, 5 * time.Minute, 5 * time.Minute}
	for i, w := range want {
		if got := backoffDelay(i+1, c); got != w {
			t.Errorf("failures=%d: %v, want %v", i+1, got, w)
		}
	}
	if got := backoffDelay(1000, c); got != 5*time.Minute {
		t.Errorf("failures=1000: %v", got)
	}
	for range 100 {
		if d := jitter(time.Minute); d < 48*time.Second || d > 72*time.Second {
			t.Fatalf("jitter(1m) = %v", d)
		}
	}
}

func TestBackoffNext(t *testing.T) {
	c := newConfig(nil)
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	down := Report{Unavailable: true, LastError: errors.New("refused")}

	b := backoff{}.next(down, "d1", now, c)
	if b.Failures != 1 || b.Dest != "d1" || !b.active("d1", now) || b.active("d2", now) {
		t.Fatalf("after one failure: %+v", b)
	}
	b2 := b.next(down, "d1", now, c)
	if b2.Failures != 2 || !b2.Until.After(b.Until.Add(10*time.Second)) {
		t.Fatalf("after two failures: %+v (first %+v)", b2, b)
	}
	if got := b2.next(Report{Unavailable: true, RetryAfter: 7 * time.Second}, "d1", now, c); !got.Until.Equal(now.Add(7 * time.Second)) {
		t.Fatalf("Retry-After not used: %+v", got)
	}
	if got := b2.next(Report{Sent: 1}, "d1", now, c); got.Failures != 0 || got.active("d1", now) {
		t.Fatalf("a delivery did not clear the window: %+v", got)
	}
	if got := b2.next(down, "d2", now, c); got.Failures != 1 || got.Dest != "d2" {
		t.Fatalf("a new destination did not restart the count: %+v", got)
	}
	if got := b2.next(Report{}, "d1", now, c); !got.equal(b2) {
		t.Fatalf("an empty drain changed the window: %+v", got)
	}
}

func TestBackoffSettingRoundTripAndGarbage(t *testing.T) {
	buf, err := buffer.Open(filepath.Join(t.TempDir(), "b.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer buf.Close()
	ctx := context.Background()
	want := backoff{Until: time.Now().Add(time.Minute).Round(time.Millisecond), Failures: 3, Dest: fingerprint(buffer.Destination{URL: "http://x"})}
	if err := storeBackoff(ctx, buf, want); err != nil {
		t.Fatal(err)
	}
	got, err := loadBackoff(ctx, buf, newConfig(nil), time.Now())
	if err != nil || !got.equal(want) {
		t.Fatalf("got %+v, %v; want %+v", got, err, want)
	}
	if err := buf.SetSetting(ctx, backoffKey, "{not json"); err != nil {
		t.Fatal(err)
	}
	if got, err := loadBackoff(ctx, buf, newConfig(nil), time.Now()); err != nil || !got.equal(backoff{}) {
		t.Fatalf("garbage read as %+v, %v", got, err)
	}
}

func TestFingerprintSeesURLAndCA(t *testing.T) {
	a := fingerprint(buffer.Destination{URL: "https://t/v1/traces", CA: "x"})
	for _, d := range []buffer.Destination{
		{URL: "https://t/v1/traces", CA: "y"},
		{URL: "https://u/v1/traces", CA: "x"},
		{URL: "https://t/v1/tracesx", CA: ""},
	} {
		if fingerprint(d) == a {
			t.Errorf("%+v has the same fingerprint", d)
		}
	}
}

// A window stored while the clock was a day ahead (NTP stepped it back since) is longer
// than any the exporter sets: it is ignored, and the next drain sends.
func TestWindowFromAClockAheadIsIgnored(t *testing.T) {
	var requests atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { requests.Add(1) }))
	defer srv.Close()
	buf, err := buffer.Open(filepath.Join(t.TempDir(), "b.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer buf.Close()
	ctx := context.Background()
	dest := buffer.Destination{URL: srv.URL + "/v1/traces"}
	if _, err := buf.Push(ctx, []byte{}, buffer.MimeProtobuf); err != nil {
		t.Fatal(err)
	}
	ahead := backoff{Until: time.Now().Add(24 * time.Hour), Failures: 5, Dest: fingerprint(dest)}
	if err := storeBackoff(ctx, buf, ahead); err != nil {
		t.Fatal(err)
	}
	// The longest window the defaults can set is kept, though.
	longest := backoff{Until: time.Now().Add(9 * time.Minute), Failures: 5, Dest: fingerprint(dest)}
	if err := storeBackoff(ctx, buf, longest); err != nil {
		t.Fatal(err)
	}
	if got, _ := loadBackoff(ctx, buf, newConfig(nil), time.Now()); !got.Until.Equal(longest.Until) {
		t.Fatalf("a 9 min window read as %+v", got)
	}
	if err := storeBackoff(ctx, buf, ahead); err != nil {
		t.Fatal(err)
	}
	e, err := New(buf)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.SetDestination(ctx, dest); err != nil {
		t.Fatal(err)
	}
	e.Shutdown(ctx)
	if requests.Load() == 0 {
		t.Fatal("a window a day ahead held the drain back")
	}
}
