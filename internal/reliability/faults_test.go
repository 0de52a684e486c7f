package reliability

import (
	"context"
	"crypto/tls"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/charmtrace/charmtrace/buffer"
	"github.com/charmtrace/charmtrace/internal/e2e"
	"github.com/charmtrace/charmtrace/internal/otlpreceiver"
	"github.com/charmtrace/charmtrace/internal/testcerts"
	"github.com/charmtrace/charmtrace/tracing"
)

// The example charm has no knob for its network budget (tracing.Main without
// WithBudget, and no environment variable), so the matrix runs with the default.
const exampleBudget = tracing.DefaultBudget

// hangGuard is how far past its budget a hook may run before the suite calls it hung.
// The figure that matters, the wall time against budget + 100 ms, is reported in the
// table, not asserted: timing asserts are flaky on a loaded machine.
const hangGuard = 5 * time.Second

// target is one receiver of the fault matrix.
type target struct {
	url      string // base URL, as Tempo publishes it
	ca       string // CA bundle the certificate_transfer relation publishes; "" for http
	requests func() int
	accepted func() int // spans the receiver accepted
	// elsewhere counts requests at a second, healthy receiver a redirect points to.
	elsewhere func() int
	// heal, if not nil, makes the receiver accept everything from then on.
	heal func()
}

// counted wraps h to count the requests that reach it.
func counted(h http.Handler) (http.Handler, func() int) {
	var n atomic.Int64
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		h.ServeHTTP(w, r)
	}), func() int { return int(n.Load()) }
}

func noRequests() int { return 0 }

// otlpTarget starts an otlpreceiver with opts.
func otlpTarget(t *testing.T, ca string, opts ...otlpreceiver.Option) target {
	t.Helper()
	recv, err := otlpreceiver.Start(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { recv.Close() })
	return target{url: recv.URL(), ca: ca,
		requests: func() int { return len(recv.Requests()) },
		accepted: func() int { return len(recv.Spans()) }}
}

// faulty answers every request as fault says.
func faulty(t *testing.T, f otlpreceiver.Fault) target {
	return otlpTarget(t, "", otlpreceiver.WithFaults(func(int, *http.Request) otlpreceiver.Fault { return f }))
}

// tlsTarget starts an HTTPS otlpreceiver presenting a leaf of a fresh CA made with
// leafOpts; the relation publishes that CA, or another one if wrongCA.
func tlsTarget(t *testing.T, leafOpts testcerts.LeafOptions, wrongCA bool) target {
	t.Helper()
	ca, err := testcerts.NewRoot("reliability CA")
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := ca.NewLeaf(leafOpts)
	if err != nil {
		t.Fatal(err)
	}
	published := string(ca.PEM())
	if wrongCA {
		other, err := testcerts.NewRoot("some other CA")
		if err != nil {
			t.Fatal(err)
		}
		published = string(other.PEM())
	}
	return otlpTarget(t, published, otlpreceiver.WithTLS(leaf))
}

// healing answers every request as fault says until its heal is called, and accepts
// everything after: an ingress that starts routing, a receiver that comes back.
func healing(t *testing.T, f otlpreceiver.Fault) target {
	var healed atomic.Bool
	tg := otlpTarget(t, "", otlpreceiver.WithFaults(func(int, *http.Request) otlpreceiver.Fault {
		if healed.Load() {
			return otlpreceiver.Fault{}
		}
		return f
	}))
	tg.heal = func() { healed.Store(true) }
	return tg
}

// refused is a port nothing listens on.
func refused(t *testing.T) target {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	ln.Close()
	return target{url: url, requests: noRequests, accepted: noRequests}
}

// blackhole accepts connections and never reads from or answers them.
func blackhole(t *testing.T) target {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return target{url: "http://" + ln.Addr().String(), requests: noRequests, accepted: noRequests}
}

// redirect answers 307 to a healthy receiver.
func redirect(t *testing.T) target {
	t.Helper()
	good := otlpTarget(t, "")
	h, n := counted(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, good.url+otlpreceiver.Path, http.StatusTemporaryRedirect)
	}))
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return target{url: srv.URL, requests: n, accepted: good.accepted, elsewhere: good.requests}
}

// oldTLS is an HTTPS server (trusted CA, right name) speaking only TLS 1.0 and 1.1.
func oldTLS(t *testing.T) target {
	t.Helper()
	ca, err := testcerts.NewRoot("reliability CA")
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := ca.NewLeaf(testcerts.LeafOptions{})
	if err != nil {
		t.Fatal(err)
	}
	h, n := counted(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) }))
	srv := httptest.NewUnstartedServer(h)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{leaf}, MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11}
	// The handshake fails on purpose; the server's log of it is noise.
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return target{url: srv.URL, ca: string(ca.PEM()), requests: n, accepted: noRequests}
}

// faultRun is what the matrix observed for one case.
type faultRun struct {
	before, after, follow stored // buffer before the tracing relation, after its hook, after update-status
	wall, followWall      time.Duration
	reqs, followReqs      int // requests the receiver saw during the hook and the follow-up
	accepted              int // spans the receiver accepted in all
	elsewhere             int
	warnings              []string
}

func (r faultRun) drops() map[string]int64 {
	out := map[string]int64{}
	maps.Copy(out, r.follow.stats.Drops)
	return out
}

func (r faultRun) maxAttempts() int {
	n := 0
	for _, row := range r.follow.rows {
		n = max(n, row.Attempts)
	}
	return n
}

// kept: every row stays, none is dropped, nothing reached a receiver's storage.
func (r faultRun) kept() bool {
	return len(r.drops()) == 0 && len(r.after.rows) > len(r.before.rows) && len(r.follow.rows) > len(r.after.rows) && r.accepted == 0
}

func (r faultRun) describe() string {
	return fmt.Sprintf("rows %d→%d→%d, drops %v, max attempts %d, requests %d then %d, spans accepted %d",
		len(r.before.rows), len(r.after.rows), len(r.follow.rows), r.drops(), r.maxAttempts(), r.reqs, r.followReqs, r.accepted)
}

type faultCase struct {
	name     string
	expected string
	start    func(t *testing.T) target
	judge    func(r faultRun) bool
	// during, if not nil, runs just before the hook under test; what it returns runs
	// just after it.
	during func(t *testing.T, u *e2e.Unit) (after func())
	// between, if not nil, runs after the hook under test and before the follow-up.
	between func(t *testing.T, u *e2e.Unit, tg target)
}

func faultCases() []faultCase {
	// A row that failed has one attempt recorded; a follow-up dispatch inside the
	// back-off window makes none, so the count stays at one.
	keptBackedOff := func(r faultRun) bool { return r.kept() && r.followReqs == 0 && r.maxAttempts() == 1 }
	return []faultCase{
		{"healthy http (control)", "all delivered, buffer empty",
			func(t *testing.T) target { return otlpTarget(t, "") },
			func(r faultRun) bool {
				return len(r.after.rows) == 0 && len(r.follow.rows) == 0 && r.accepted > 0 && len(r.drops()) == 0
			}, nil, nil},
		{"healthy https (control)", "all delivered over TLS, buffer empty",
			func(t *testing.T) target { return tlsTarget(t, testcerts.LeafOptions{}, false) },
			func(r faultRun) bool {
				return len(r.after.rows) == 0 && len(r.follow.rows) == 0 && r.accepted > 0 && len(r.drops()) == 0
			}, nil, nil},
		{"connection refused", "all kept, follow-up backs off (no new attempt)",
			refused, keptBackedOff, nil, nil},
		{"blackhole (accepts, never answers)", "all kept, hook ends at the budget, follow-up backs off",
			blackhole, keptBackedOff, nil, nil},
		{"slow (every answer after 2 s)", "some delivered within the budget, what is not sent kept for later, nothing dropped",
			func(t *testing.T) target { return faulty(t, otlpreceiver.Fault{Delay: 2 * time.Second}) },
			func(r faultRun) bool {
				// How much the follow-up dispatch gets through depends on where in its
				// budget the 2 s answers fall: all of it is as right as part of it.
				return r.accepted > 0 && len(r.drops()) == 0
			}, nil, nil},
		{"500 on every request", "all kept, each row tried once per dispatch (rows share requests), nothing dropped",
			func(t *testing.T) target { return faulty(t, otlpreceiver.Fault{Status: 500}) },
			func(r faultRun) bool {
				// Two dispatches: the rows there before both were tried in each, once.
				return r.kept() && r.reqs >= 1 && r.reqs <= len(r.after.rows) && r.followReqs >= 1 &&
					r.followReqs <= len(r.follow.rows) && r.maxAttempts() == 2
			}, nil, nil},
		{"503 + Retry-After: 120", "all kept, drain stops after one request, follow-up honours Retry-After",
			func(t *testing.T) target {
				return faulty(t, otlpreceiver.Fault{Status: 503, RetryAfter: "120"})
			},
			func(r faultRun) bool { return keptBackedOff(r) && r.reqs == 1 }, nil, nil},
		{"429 on every request", "all kept, drain stops after one request, follow-up backs off",
			func(t *testing.T) target { return faulty(t, otlpreceiver.Fault{Status: 429}) },
			func(r faultRun) bool { return keptBackedOff(r) && r.reqs == 1 }, nil, nil},
		{"400 on every request", "each row dropped as poison (http_400) once refused alone, buffer empty",
			func(t *testing.T) target { return faulty(t, otlpreceiver.Fault{Status: 400}) },
			func(r faultRun) bool {
				// A request of several rows refused is sent again row by row: at most
				// one request per dispatch is not a row's own.
				drops := r.drops()["http_400"]
				return len(r.after.rows) == 0 && len(r.follow.rows) == 0 && r.accepted == 0 &&
					drops > int64(len(r.before.rows)) && drops >= int64(r.reqs+r.followReqs-2)
			}, nil, nil},
		{"413 for bodies over 1 KiB", "rows split until they fit, all delivered, nothing dropped",
			func(t *testing.T) target {
				return otlpTarget(t, "", otlpreceiver.WithFaults(func(_ int, r *http.Request) otlpreceiver.Fault {
					if r.ContentLength > 1024 {
						return otlpreceiver.Fault{Status: 413}
					}
					return otlpreceiver.Fault{}
				}))
			},
			func(r faultRun) bool {
				return len(r.follow.rows) == 0 && len(r.drops()) == 0 && r.accepted > 0 && r.reqs > len(r.before.rows)+1
			}, nil, nil},
		{"307 redirect to a healthy receiver", "not followed: all kept, the other receiver gets nothing, follow-up backs off",
			redirect, func(r faultRun) bool { return keptBackedOff(r) && r.elsewhere == 0 && r.reqs == 1 }, nil, nil},
		{"wrong CA", "TLS verification fails: all kept, no request, follow-up backs off",
			func(t *testing.T) target { return tlsTarget(t, testcerts.LeafOptions{}, true) },
			func(r faultRun) bool { return keptBackedOff(r) && r.reqs == 0 }, nil, nil},
		{"TLS 1.0-1.1 only server", "handshake refused (charmtrace needs TLS 1.2+): all kept, no request, follow-up backs off",
			oldTLS, func(r faultRun) bool { return keptBackedOff(r) && r.reqs == 0 }, nil, nil},
		{"wrong hostname", "certificate for another name: all kept, no request, follow-up backs off",
			func(t *testing.T) target {
				return tlsTarget(t, testcerts.LeafOptions{Hosts: []string{"tempo.example.invalid"}}, false)
			},
			func(r faultRun) bool { return keptBackedOff(r) && r.reqs == 0 }, nil, nil},
		{"expired certificate", "verification fails: all kept, no request, follow-up backs off",
			func(t *testing.T) target {
				return tlsTarget(t, testcerts.LeafOptions{NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().Add(-24 * time.Hour)}, false)
			},
			func(r faultRun) bool { return keptBackedOff(r) && r.reqs == 0 }, nil, nil},
		{"401 on every request", "describes the destination: all kept, drain stops after one request, follow-up backs off, warned",
			func(t *testing.T) target { return faulty(t, otlpreceiver.Fault{Status: 401}) },
			func(r faultRun) bool { return keptBackedOff(r) && r.reqs == 1 && r.warned("HTTP 401") }, nil, nil},
		{"403 on every request", "describes the destination: all kept, drain stops after one request, follow-up backs off, warned",
			func(t *testing.T) target { return faulty(t, otlpreceiver.Fault{Status: 403}) },
			func(r faultRun) bool { return keptBackedOff(r) && r.reqs == 1 && r.warned("HTTP 403") }, nil, nil},
		{"404, then 200 once the ingress routes", "nothing dropped while 404; every stored span delivered once it answers (follow-up after the window)",
			func(t *testing.T) target { return healing(t, otlpreceiver.Fault{Status: 404}) },
			func(r faultRun) bool {
				return r.reqs == 1 && len(r.after.rows) > len(r.before.rows) && len(r.drops()) == 0 &&
					len(r.follow.rows) == 0 && r.accepted >= len(r.after.spans) && r.warned("HTTP 404")
			},
			nil, func(t *testing.T, u *e2e.Unit, tg target) {
				tg.heal()
				editSetting(t, u, "exporter.backoff", func(string) string { return "" }) // the window ends
			}},
		{"partial success (1 span of each request rejected)", "all rows delivered and removed, rejected spans counted in the buffer",
			func(t *testing.T) target { return faulty(t, otlpreceiver.Fault{RejectSpans: 1}) },
			func(r faultRun) bool {
				return len(r.follow.rows) == 0 && len(r.drops()) == 0 && r.accepted > 0 &&
					r.follow.stats.Counts["rejected_spans"] >= int64(r.reqs+r.followReqs)
			}, nil, nil},
		{"clock 24 h ahead when the back-off window was stored", "the window (503 + Retry-After) is moved a day ahead; the follow-up ignores it and delivers all",
			func(t *testing.T) target { return healing(t, otlpreceiver.Fault{Status: 503, RetryAfter: "120"}) },
			func(r faultRun) bool {
				return r.reqs == 1 && r.followReqs > 0 && len(r.follow.rows) == 0 && len(r.drops()) == 0 && r.accepted > 0
			},
			nil, func(t *testing.T, u *e2e.Unit, tg target) {
				tg.heal()
				editSetting(t, u, "exporter.backoff", func(v string) string {
					var w map[string]any
					if err := json.Unmarshal([]byte(v), &w); err != nil {
						t.Fatalf("back-off window %q: %v", v, err)
					}
					w["until"] = time.Now().Add(24 * time.Hour)
					out, _ := json.Marshal(w)
					return string(out)
				})
			}},
		{"buffer locked by another process for the whole hook", "hook ends within the budget; nothing lost or dropped; one warning for the spans it could not store",
			func(t *testing.T) target { return otlpTarget(t, "") },
			func(r faultRun) bool {
				return len(r.drops()) == 0 && len(r.after.rows) == len(r.before.rows) && r.wall <= exampleBudget+hangGuard
			},
			lockBuffer, nil},
	}
}

// warned reports whether a warning of the run names the cause.
func (r faultRun) warned(cause string) bool {
	return slices.ContainsFunc(r.warnings, func(w string) bool { return strings.Contains(w, cause) })
}

// editSetting rewrites one setting of u's buffer between hooks, as time passing would.
func editSetting(t *testing.T, u *e2e.Unit, key string, edit func(string) string) {
	t.Helper()
	b, err := buffer.Open(u.BufferPath())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx := context.Background()
	v, err := b.Setting(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.SetSetting(ctx, key, edit(v)); err != nil {
		t.Fatal(err)
	}
}

// lockBuffer holds a write transaction on u's buffer, as a sqlite3 shell left in
// BEGIN IMMEDIATE or a juju exec would, until the returned function is called.
func lockBuffer(t *testing.T, u *e2e.Unit) func() {
	t.Helper()
	db, err := sql.Open("sqlite", u.BufferPath())
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(`INSERT INTO settings (key, value) VALUES ('reliability.lock', 'held')`); err != nil {
		t.Fatal(err)
	}
	return func() {
		tx.Rollback()
		db.Close()
	}
}

// runFault takes a fresh unit of the example charm through install and start with no
// receiver (their spans wait in the buffer), relates the CA if the target is https,
// then relates charm-tracing to the target (the hook under test: it drains) and runs
// one update-status after it.
func runFault(t *testing.T, w *world, c faultCase, tg target) faultRun {
	u := w.unit(t, "faulty/0")
	var run faultRun
	dispatch(t, u, e2e.Hook{Name: "install"})
	dispatch(t, u, e2e.Hook{Name: "start"})
	if tg.ca != "" {
		rel := relate(t, u, "receive-ca-cert", "self-signed-certificates", e2e.CertificatesV1(tg.ca))
		dispatch(t, u, relHook(rel, "created"))
		dispatch(t, u, relHook(rel, "changed"))
	}
	read := func() stored {
		st, err := readBuffer(u.BufferPath(), true)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	run.before = read()
	rel := relate(t, u, "charm-tracing", "tempo", map[string]string{"receivers": e2e.TempoReceivers(tg.url)})
	var release func()
	if c.during != nil {
		release = c.during(t, u)
	}
	res := dispatch(t, u, relHook(rel, "changed"))
	if release != nil {
		release()
	}
	run.wall, run.reqs, run.warnings = res.Duration, tg.requests(), warnings(res)
	run.after = read()
	if c.between != nil {
		c.between(t, u, tg)
	}
	res = dispatch(t, u, e2e.Hook{Name: "update-status"})
	run.followWall, run.followReqs = res.Duration, tg.requests()-run.reqs
	run.warnings = append(run.warnings, warnings(res)...)
	run.follow = read()
	run.accepted = tg.accepted()
	if tg.elsewhere != nil {
		run.elsewhere = tg.elsewhere()
	}
	return run
}

func testFaultMatrix(t *testing.T, w *world, sum *summary) {
	var walls []time.Duration
	for _, c := range faultCases() {
		t.Run(c.name, func(t *testing.T) {
			run := runFault(t, w, c, c.start(t))
			t.Logf("%s: hook %v, follow-up %v, %s, warnings %q", c.name, run.wall.Round(time.Millisecond),
				run.followWall.Round(time.Millisecond), run.describe(), run.warnings)
			sum.check(t, "2", "fault: "+c.name, c.expected, run.describe(), c.judge(run))
			within := run.wall <= exampleBudget+100*time.Millisecond && run.followWall <= exampleBudget+100*time.Millisecond
			sum.check(t, "2", "fault: "+c.name+": hook wall time",
				fmt.Sprintf("≤ budget %v + 100 ms (reported; asserted only ≤ budget + %v)", exampleBudget, hangGuard),
				fmt.Sprintf("%s, follow-up %s, within budget+100 ms: %v", ms(run.wall), ms(run.followWall), within),
				run.wall <= exampleBudget+hangGuard && run.followWall <= exampleBudget+hangGuard)
			walls = append(walls, run.wall, run.followWall)
		})
	}
	if len(walls) > 0 {
		slowest := slices.Max(walls)
		sum.note("2", "fault matrix: slowest hook", "≤ "+ms(exampleBudget+100*time.Millisecond)+" (reported, not asserted)",
			fmt.Sprintf("%s, %+d ms against the budget", ms(slowest), (slowest-exampleBudget).Milliseconds()))
	}
}
