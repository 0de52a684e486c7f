package reliability

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/charmtrace/charmtrace/internal/e2e"
	"github.com/charmtrace/charmtrace/internal/otlpreceiver"
)

// rootsByEvent counts distinct root spans (one per dispatch) by name, and how many
// arrived more than once.
func rootsByEvent(spans []otlpreceiver.Span, unit string) (byName map[string]map[string]bool, dups int) {
	byName = map[string]map[string]bool{}
	for _, s := range spans {
		if len(s.Span.GetParentSpanId()) != 0 || (unit != "" && strAttr(s.Resource.GetAttributes(), "juju_unit") != unit) {
			continue
		}
		name, id := s.Span.GetName(), string(s.Span.GetTraceId())
		if byName[name] == nil {
			byName[name] = map[string]bool{}
		}
		if byName[name][id] {
			dups++
		}
		byName[name][id] = true
	}
	return byName, dups
}

// testTwoProcessesOneBuffer runs a stream of hooks and, at the same time, a stream of
// dispatches standing for `juju exec` on the same unit: two processes opening,
// writing and draining one trace buffer at once.
func testTwoProcessesOneBuffer(t *testing.T, w *world, sum *summary, sc scale) {
	recv, err := otlpreceiver.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer recv.Close()
	u := w.unit(t, "pair/0")
	rel := relate(t, u, "charm-tracing", "tempo", map[string]string{"receivers": e2e.TempoReceivers(recv.URL())})
	dispatch(t, u, relHook(rel, "changed"))

	// Two Unit values over the same directories: each goroutine counts its own
	// contexts; the fake hook tools lock their state file.
	exec := &e2e.Unit{Name: u.Name, CharmDir: u.CharmDir, TempDir: u.TempDir, Tools: u.Tools}
	streams := []struct {
		unit  *e2e.Unit
		event string
	}{{u, "update-status"}, {exec, "config-changed"}}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failures, outputs []string
	var slowest time.Duration
	for _, s := range streams {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range sc.pairDispatches {
				res, err := s.unit.Dispatch(t.Context(), e2e.Hook{Name: s.event})
				mu.Lock()
				slowest = max(slowest, res.Duration)
				switch {
				case err != nil:
					failures = append(failures, err.Error())
				case res.ExitCode != 0:
					failures = append(failures, fmt.Sprintf("%s exited %d: %s", s.event, res.ExitCode, res.Output))
				}
				if len(res.Output) > 0 {
					outputs = append(outputs, string(res.Output))
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()

	st, err := readBuffer(u.BufferPath(), true)
	if err != nil {
		t.Fatal(err)
	}
	received, dups := rootsByEvent(recv.Spans(), "")
	stored, _ := rootsByEvent(st.spans, "")
	var lost []string
	for _, s := range streams {
		all := map[string]bool{}
		for id := range received[s.event] {
			all[id] = true
		}
		for id := range stored[s.event] {
			all[id] = true
		}
		if len(all) != sc.pairDispatches {
			lost = append(lost, fmt.Sprintf("%s: %d of %d traces", s.event, len(all), sc.pairDispatches))
		}
	}
	state, err := u.Tools.State()
	if err != nil {
		t.Fatal(err)
	}
	var warns, locked []string
	for _, l := range state.Logs {
		if l.Level == "WARNING" {
			warns = append(warns, l.Message)
		}
	}
	for _, text := range append(append([]string{}, warns...), outputs...) {
		if strings.Contains(text, "locked") || strings.Contains(text, "busy") {
			locked = append(locked, text)
		}
	}
	observed := fmt.Sprintf("%d+%d dispatches, failures %d, traces lost %v, received twice %d, left in the buffer %d rows; warnings %d, \"locked\"/\"busy\" %d; slowest %s",
		sc.pairDispatches, sc.pairDispatches, len(failures), lost, dups, len(st.rows), len(warns), len(locked), ms(slowest))
	t.Log(observed, firstOf(failures), firstOf(warns), firstOf(outputs))
	sum.check(t, "6", "two processes on one buffer (hook + exec), both draining to a receiver",
		"0 lost, every dispatch exits 0, no \"database is locked\" surfaced, no warning", observed,
		len(failures) == 0 && len(lost) == 0 && len(warns) == 0 && len(locked) == 0)
	// No kill here: a trace received twice could only come from both processes
	// draining the same rows at once, which the drain lease forbids.
	sum.check(t, "6", "two processes on one buffer: traces received twice",
		"0 (one drain at a time: the drain lease)", fmt.Sprintf("%d", dups), dups == 0)
}

// testManyUnits drains sc.units units, each its own processes and buffer, into one
// receiver that answers 429 with Retry-After: 1 to every other request: each unit
// installs, starts, is related, runs its rounds of update-status and then up to
// sc.drainHooks more, 1.1 s apart, until its buffer is empty. Then the receiver eases off
// and every unit runs one last update-status.
func testManyUnits(t *testing.T, w *world, sum *summary, sc scale) {
	var throttled atomic.Bool
	throttled.Store(true)
	recv, err := otlpreceiver.Start(otlpreceiver.WithFaults(func(n int, _ *http.Request) otlpreceiver.Fault {
		if n%2 == 0 && throttled.Load() {
			return otlpreceiver.Fault{Status: http.StatusTooManyRequests, RetryAfter: "1"}
		}
		return otlpreceiver.Fault{}
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer recv.Close()
	w.binaries(t)
	units := make([]*e2e.Unit, sc.units)
	for i := range units {
		units[i] = w.unit(t, fmt.Sprintf("load-%d/0", i))
	}

	type unitRun struct {
		dispatched map[string]int
		walls      []time.Duration
		failure    string
		rows       int // left after the throttled drain
	}
	runs := make([]unitRun, len(units))
	began := time.Now()
	var wg sync.WaitGroup
	for i, u := range units {
		wg.Add(1)
		go func() {
			defer wg.Done()
			run := unitRun{dispatched: map[string]int{}}
			defer func() { runs[i] = run }()
			hook := func(h e2e.Hook) bool {
				res, err := u.Dispatch(t.Context(), h)
				run.walls = append(run.walls, res.Duration)
				if err != nil || res.ExitCode != 0 {
					run.failure = fmt.Sprintf("%s: exit %d, %v: %s", h, res.ExitCode, err, res.Output)
					return false
				}
				run.dispatched[h.Name]++
				return true
			}
			if !hook(e2e.Hook{Name: "install"}) || !hook(e2e.Hook{Name: "start"}) {
				return
			}
			rel, err := u.Relate("charm-tracing", "tempo", []string{"tempo/0"}, map[string]string{"receivers": e2e.TempoReceivers(recv.URL())})
			if err != nil {
				run.failure = err.Error()
				return
			}
			if !hook(relHook(rel, "changed")) {
				return
			}
			for range sc.unitRounds {
				time.Sleep(time.Duration(rand.IntN(500)) * time.Millisecond)
				if !hook(e2e.Hook{Name: "update-status"}) {
					return
				}
			}
			for range sc.drainHooks {
				stats, err := u.BufferStats(t.Context())
				if err != nil {
					run.failure = err.Error()
					return
				}
				if run.rows = int(stats.Rows); run.rows == 0 {
					return
				}
				time.Sleep(1100 * time.Millisecond)
				if !hook(e2e.Hook{Name: "update-status"}) {
					return
				}
			}
			stats, err := u.BufferStats(t.Context())
			if err != nil {
				run.failure = err.Error()
			}
			run.rows = int(stats.Rows)
		}()
	}
	wg.Wait()
	// The receiver recovers: one more hook per unit, once the last Retry-After is over.
	throttled.Store(false)
	time.Sleep(1100 * time.Millisecond)
	for i, u := range units {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if runs[i].failure != "" {
				return
			}
			res, err := u.Dispatch(t.Context(), e2e.Hook{Name: "update-status"})
			runs[i].walls = append(runs[i].walls, res.Duration)
			if err != nil || res.ExitCode != 0 {
				runs[i].failure = fmt.Sprintf("update-status: exit %d, %v: %s", res.ExitCode, err, res.Output)
				return
			}
			runs[i].dispatched["update-status"]++
		}()
	}
	wg.Wait()
	elapsed := time.Since(began)
	var finalRows, throttledRows, stuck int
	for i, u := range units {
		stats, err := u.BufferStats(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		finalRows += int(stats.Rows) + len(stats.Drops)
		throttledRows += runs[i].rows
		if runs[i].rows > 0 {
			stuck++
		}
	}
	spans := recv.Spans()
	var dispatches, delivered, dups, overBudget int
	var failures, undelivered []string
	var slowest time.Duration
	for i, u := range units {
		run := runs[i]
		if run.failure != "" {
			failures = append(failures, run.failure)
		}
		got, d := rootsByEvent(spans, u.Name)
		dups += d
		for name, n := range run.dispatched {
			dispatches += n
			delivered += min(n, len(got[name]))
			if len(got[name]) != n {
				undelivered = append(undelivered, fmt.Sprintf("%s %s: %d of %d", u.Name, name, len(got[name]), n))
			}
		}
		for _, wall := range run.walls {
			slowest = max(slowest, wall)
			if wall > exampleBudget {
				overBudget++
			}
		}
	}
	reqs := recv.Requests()
	var tooMany int
	for _, r := range reqs {
		if r.Status == http.StatusTooManyRequests {
			tooMany++
		}
	}
	pct := 0.0
	if dispatches > 0 {
		pct = 100 * float64(delivered) / float64(dispatches)
	}
	observed := fmt.Sprintf("%d units, %d dispatches in %v: %.1f %% delivered (%d), %d rows or drops left, %d received twice; %d requests, %d answered 429; failures %d %s",
		len(units), dispatches, elapsed.Round(100*time.Millisecond), pct, delivered, finalRows, dups, len(reqs), tooMany, len(failures), firstOf(append(failures, undelivered...)))
	t.Log(observed)
	name := fmt.Sprintf("%d units into one receiver answering 429 + Retry-After: 1 to half", len(units))
	sum.check(t, "6", name+": nothing lost",
		"every dispatch exits 0; once the receiver eases, 100 % delivered, no row dropped or left", observed,
		len(failures) == 0 && len(undelivered) == 0 && finalRows == 0 && dispatches > 0 && tooMany > 0)
	sum.knownBug(t, "6", name+": drained while still throttled",
		fmt.Sprintf("every buffer empty within %d update-status hooks 1.1 s apart", sc.drainHooks),
		fmt.Sprintf("%d of %d units still held %d rows in all", stuck, len(units), throttledRows),
		stuck == 0, "a drain stops at the first 429, so each dispatch delivers one row on average and adds one: the backlog never shrinks")
	sum.check(t, "6", fmt.Sprintf("%d units: dispatch wall time", len(units)),
		fmt.Sprintf("none over the budget (%v); reported, asserted only ≤ budget + %v", exampleBudget, hangGuard),
		fmt.Sprintf("max %s, %d over the budget, %d concurrent units on this machine", ms(slowest), overBudget, len(units)),
		slowest <= exampleBudget+hangGuard)
}
