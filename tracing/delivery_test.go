package tracing

import (
	"context"
	"database/sql"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/charmtrace/charmtrace/buffer"
	"github.com/charmtrace/charmtrace/internal/fakejuju"
)

// setSetting writes one buffer setting between dispatches, as time passing would.
func (u *unit) setSetting(key, value string) {
	u.t.Helper()
	b, err := buffer.Open(filepath.Join(u.dir, BufferFile))
	if err != nil {
		u.t.Fatal(err)
	}
	defer b.Close()
	if err := b.SetSetting(context.Background(), key, value); err != nil {
		u.t.Fatal(err)
	}
}

// logsSince returns the unit's log lines at level logged after the first n lines.
func (u *unit) logsSince(n int, level string) []string {
	var out []string
	for _, l := range u.runner.State().Logs[n:] {
		if l.Level == level && strings.Contains(l.Message, "deliver") {
			out = append(out, l.Message)
		}
	}
	return out
}

func TestDeliveryFailureIsWarnedWhenNewThenHourlyAndRecoveryAtInfo(t *testing.T) {
	var status atomic.Int64
	status.Store(http.StatusNotFound)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(int(status.Load()))
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	u := newUnit(t)
	u.dispatch("install", nil, noSetup)
	rel := &fakejuju.Relation{ID: 7, Endpoint: "charm-tracing", RemoteApp: "tempo",
		RemoteAppData: map[string]string{"receivers": receiversJSON(srv.URL)}}
	u.st.Relations = append(u.st.Relations, rel)

	// dispatch runs one hook that drains (the back-off window of the last failure is
	// cleared, as its end would) and returns its delivery lines at WARNING and INFO.
	dispatch := func(event string) (warnings, infos []string) {
		t.Helper()
		u.setSetting("exporter.backoff", "")
		n := len(u.runner.State().Logs)
		u.dispatch(event, relationEnv(rel), noSetup)
		return u.logsSince(n, "WARNING"), u.logsSince(n, "INFO")
	}
	w, _ := dispatch("charm-tracing-relation-changed")
	if len(w) != 1 || !strings.Contains(w[0], host) || !strings.Contains(w[0], "HTTP 404") {
		t.Fatalf("first failed drain: warnings %q, want one naming %s and HTTP 404", w, host)
	}
	if len(u.rows()) == 0 {
		t.Fatal("404 dropped the rows")
	}
	if w, _ := dispatch("update-status"); len(w) != 0 {
		t.Fatalf("the same failure again within the hour: warnings %q", w)
	}
	status.Store(http.StatusUnauthorized)
	if w, _ := dispatch("update-status"); len(w) != 1 || !strings.Contains(w[0], "HTTP 401") {
		t.Fatalf("a new cause: warnings %q, want one naming HTTP 401", w)
	}
	// An hour later, still failing: warned again.
	old, _ := json.Marshal(deliveryState{Failure: "HTTP 401 Unauthorized", Host: host, Warned: time.Now().Add(-61 * time.Minute)})
	u.setSetting(deliveryKey, string(old))
	if w, _ := dispatch("update-status"); len(w) != 1 {
		t.Fatalf("an hour on: warnings %q, want one", w)
	}
	status.Store(http.StatusOK)
	w, i := dispatch("update-status")
	if len(w) != 0 || len(i) != 1 || !strings.Contains(i[0], host) {
		t.Fatalf("recovery: warnings %q, infos %q; want one INFO line", w, i)
	}
	if w, i := dispatch("update-status"); len(w)+len(i) != 0 {
		t.Fatalf("healthy again: %q %q", w, i)
	}
	if len(u.rows()) != 0 {
		t.Fatal("rows left once the receiver answered 200")
	}
}

func TestConnectionFailureIsWarnedWithTheHost(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	addr := srv.URL
	srv.Close() // nothing listens there now
	u := newUnit(t)
	u.dispatch("install", nil, noSetup)
	rel := &fakejuju.Relation{ID: 7, Endpoint: "charm-tracing", RemoteApp: "tempo",
		RemoteAppData: map[string]string{"receivers": receiversJSON(addr)}}
	u.st.Relations = append(u.st.Relations, rel)
	n := len(u.runner.State().Logs)
	u.dispatch("charm-tracing-relation-changed", relationEnv(rel), noSetup)
	pu, _ := url.Parse(addr)
	w := u.logsSince(n, "WARNING")
	if len(w) != 1 || !strings.Contains(w[0], pu.Host) || !strings.Contains(w[0], "connection refused") {
		t.Fatalf("warnings %q, want one naming %s and the refused connection", w, pu.Host)
	}
}

// Another process holds a write transaction on the buffer for the whole dispatch: the
// dispatch still ends within its budget, and the spans it could not store are one warning.
func TestLockedBufferDispatchEndsWithinTheBudget(t *testing.T) {
	u := newUnit(t)
	u.dispatch("install", nil, noSetup) // creates the buffer
	db, err := sql.Open("sqlite", filepath.Join(u.dir, BufferFile))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec(`INSERT INTO settings (key, value) VALUES ('held', 'by another process')`); err != nil {
		t.Fatal(err)
	}
	n := len(u.runner.State().Logs)
	budget := 500 * time.Millisecond
	start := time.Now()
	u.dispatch("config-changed", nil, noSetup, WithBudget(budget))
	wall := time.Since(start)
	// The bound asserted is generous (a loaded machine); the figure is in the log.
	t.Logf("dispatch with the buffer locked throughout: %v (budget %v)", wall, budget)
	if wall > budget+2*time.Second {
		t.Fatalf("dispatch took %v with the buffer locked, budget %v (each write waited its own busy timeout)", wall, budget)
	}
	var warnings []string
	for _, l := range u.runner.State().Logs[n:] {
		if l.Level == "WARNING" {
			warnings = append(warnings, l.Message)
		}
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "could not be stored") {
		t.Fatalf("warnings %q, want one saying spans could not be stored", warnings)
	}
}
