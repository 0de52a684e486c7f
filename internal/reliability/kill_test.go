package reliability

import (
	"bufio"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/charmtrace/charmtrace/internal/otlpreceiver"
)

// tortureCount bounds the dispatches of one torture child; the parent kills it long
// before.
const tortureCount = 500

// killWindow is the span of time in which a child is killed, from its start: long
// enough for several dispatches, so that kills land in process start-up, buffer and
// state opening, span storage, sends to the receiver and commits alike.
const killWindow = 700 * time.Millisecond

// companionBase is the first sequence number of the companion process, far from the
// killed children's, so every span says which process made it.
const companionBase = 1_000_000

// companion is a second process writing to and draining the same buffer throughout the
// kill torture: a juju exec, or an overlapping dispatch, beside the hooks that get killed.
type companion struct {
	cmd  *exec.Cmd
	done chan struct{}

	mu       sync.Mutex
	acked    map[int]bool
	warnings []string
	failure  string
}

func startCompanion(dir, receiverURL string) (*companion, error) {
	c := &companion{acked: map[int]bool{}, done: make(chan struct{})}
	c.cmd = child("companion", childDir+"="+dir, childReceiver+"="+receiverURL,
		childSeq+"="+strconv.Itoa(companionBase), childCount+"="+strconv.Itoa(companionBase))
	out, err := c.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := c.cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		defer close(c.done)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			word, rest, _ := strings.Cut(sc.Text(), " ")
			c.mu.Lock()
			switch word {
			case "start":
			case "ack":
				if seq, err := strconv.Atoi(rest); err == nil {
					c.acked[seq] = true
				}
			case "warn":
				c.warnings = append(c.warnings, rest)
			default:
				c.failure = fmt.Sprintf("companion said %q", sc.Text())
			}
			c.mu.Unlock()
		}
	}()
	return c, nil
}

// snapshot returns the dispatches the companion acknowledged so far.
func (c *companion) snapshot() []int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]int, 0, len(c.acked))
	for s := range c.acked {
		out = append(out, s)
	}
	return out
}

// stop kills the companion (it never ends on its own) and waits for it.
func (c *companion) stop() {
	c.cmd.Process.Kill()
	<-c.done
	c.cmd.Wait()
}

// tortureRun is what one child did before it was killed.
type tortureRun struct {
	started, acked []int
	warnings       []string
	killed         bool // ended by SIGKILL rather than on its own
	failure        string
}

// runTorture starts a torture child on dir and kills it after delay.
func runTorture(dir, receiverURL string, first int, delay time.Duration) (tortureRun, error) {
	var run tortureRun
	cmd := child("torture", childDir+"="+dir, childReceiver+"="+receiverURL,
		childSeq+"="+strconv.Itoa(first), childCount+"="+strconv.Itoa(tortureCount))
	out, err := cmd.StdoutPipe()
	if err != nil {
		return run, err
	}
	if err := cmd.Start(); err != nil {
		return run, err
	}
	timer := time.AfterFunc(delay, func() { cmd.Process.Kill() })
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		word, rest, _ := strings.Cut(sc.Text(), " ")
		switch word {
		case "start", "ack":
			seq, err := strconv.Atoi(rest)
			if err != nil {
				run.failure = fmt.Sprintf("child said %q", sc.Text())
				continue
			}
			if word == "start" {
				run.started = append(run.started, seq)
			} else {
				run.acked = append(run.acked, seq)
			}
		case "warn":
			run.warnings = append(run.warnings, rest)
		default:
			run.failure = fmt.Sprintf("child said %q", sc.Text())
		}
	}
	timer.Stop()
	err = cmd.Wait()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
			run.killed = true
			err = nil
		}
	}
	return run, err
}

// tortureTally accumulates the figures of the kill torture.
type tortureTally struct {
	iterations, kills        int
	acked                    map[int]bool
	lastAck, lastStart       int
	lost                     []string // acknowledged spans neither stored nor delivered
	bufferBad, stateBad      []string // integrity or atomicity failures
	dupRequests              int      // requests that carried a span delivered before
	warnings                 []string
	stateCommits, stateEmpty int // iterations after which the state held a value, or none
	maxRows                  int
	compAcked                int // dispatches the companion process acknowledged
}

func testKillTorture(t *testing.T, sum *summary, sc scale) {
	dir := t.TempDir()
	// The receiver accepts everything; a third of the answers come after a few
	// milliseconds, which widens the window between a delivery and the row's removal.
	recv, err := otlpreceiver.Start(otlpreceiver.WithFaults(func(n int, r *http.Request) otlpreceiver.Fault {
		if rand.IntN(3) == 0 {
			return otlpreceiver.Fault{Delay: time.Duration(rand.IntN(5000)) * time.Microsecond}
		}
		return otlpreceiver.Fault{}
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer recv.Close()

	comp, err := startCompanion(dir, recv.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer comp.stop()

	tally := tortureTally{acked: map[int]bool{}}
	delivered := map[workKey]int{}
	var seenSpans, seenReqs int
	deliveredIDs := map[string]bool{}
	next := 1
	began := time.Now()
	for it := range sc.killIterations {
		delay := time.Duration(rand.Int64N(int64(killWindow)))
		// Every third child has no tracing relation: its dispatches store the
		// destination as gone and keep their spans, which the next child drains.
		url := recv.URL()
		if it%3 == 1 {
			url = ""
		}
		run, err := runTorture(dir, url, next, delay)
		if err != nil {
			t.Fatalf("iteration %d: %v", it, err)
		}
		if run.failure != "" {
			t.Fatalf("iteration %d: %s", it, run.failure)
		}
		tally.iterations++
		if run.killed {
			tally.kills++
		}
		for _, s := range run.acked {
			tally.acked[s] = true
			tally.lastAck = max(tally.lastAck, s)
		}
		for _, s := range run.started {
			tally.lastStart = max(tally.lastStart, s)
		}
		next = tally.lastStart + 1
		for _, w := range run.warnings {
			// Said once when a child without the relation follows one with it.
			if !strings.Contains(w, "relation is gone") {
				tally.warnings = append(tally.warnings, w)
			}
		}

		// What the companion acknowledged before the buffer is read must be there or
		// delivered, as the killed children's dispatches must.
		compAcked := comp.snapshot()
		// The buffer: sound, and holding or having delivered every acknowledged span.
		if v, err := integrityCheck(bufferPath(dir)); err != nil || (v != "ok" && v != "absent") {
			tally.bufferBad = append(tally.bufferBad, fmt.Sprintf("iteration %d: integrity_check %q, %v", it, v, err))
			break
		}
		st, err := readBuffer(bufferPath(dir), false)
		if err != nil {
			tally.bufferBad = append(tally.bufferBad, fmt.Sprintf("iteration %d: %v", it, err))
			break
		}
		tally.maxRows = max(tally.maxRows, len(st.rows))
		spans := recv.Spans()
		for k, n := range workSpans(spans[seenSpans:]) {
			delivered[k] += n
		}
		seenSpans = len(spans)
		reqs := recv.Requests()
		for _, r := range reqs[seenReqs:] {
			if r.Status < 200 || r.Status > 299 {
				continue
			}
			// A request carries the rows of one or more dispatches; one that carries
			// a span already delivered is a redelivery, whatever else it carries.
			ids, err := spanIDs(r.Body)
			if err != nil {
				t.Fatalf("iteration %d: an accepted request does not decode: %v", it, err)
			}
			if slices.ContainsFunc(ids, func(id string) bool { return deliveredIDs[id] }) {
				tally.dupRequests++
			}
			for _, id := range ids {
				deliveredIDs[id] = true
			}
		}
		seenReqs = len(reqs)
		kept := workSpans(st.spans)
		for s := range tally.acked {
			compAcked = append(compAcked, s)
		}
		for _, s := range compAcked {
			for part := range int64(parts) {
				k := workKey{int64(s), part}
				if delivered[k] == 0 && kept[k] == 0 {
					tally.lost = append(tally.lost, fmt.Sprintf("dispatch %d part %d (iteration %d)", s, part, it))
				}
			}
		}
		tally.compAcked = len(compAcked) - len(tally.acked)
		if len(tally.lost) > 0 {
			break
		}
		// The state database: sound, both keys from the same commit, every
		// acknowledged dispatch committed, nothing from a dispatch that never started.
		a, b, ok, err := readState(dir)
		switch {
		case err != nil:
			tally.stateBad = append(tally.stateBad, fmt.Sprintf("iteration %d: %v", it, err))
		case !ok && tally.lastAck > 0:
			tally.stateBad = append(tally.stateBad, fmt.Sprintf("iteration %d: no state after dispatch %d was acknowledged", it, tally.lastAck))
		case ok && (a != b || a < tally.lastAck || a > tally.lastStart):
			tally.stateBad = append(tally.stateBad, fmt.Sprintf("iteration %d: a=%d b=%d, last acknowledged %d, last started %d", it, a, b, tally.lastAck, tally.lastStart))
		case ok:
			tally.stateCommits++
		default:
			tally.stateEmpty++
		}
		if len(tally.stateBad) > 0 {
			break
		}
	}
	elapsed := time.Since(began)
	comp.stop()
	comp.mu.Lock()
	compFailure := comp.failure
	for _, w := range comp.warnings {
		if !strings.Contains(w, "relation is gone") {
			tally.warnings = append(tally.warnings, "companion: "+w)
		}
	}
	comp.mu.Unlock()
	if compFailure != "" {
		t.Errorf("companion: %s", compFailure)
	}
	ackedSpans := (len(tally.acked) + tally.compAcked) * parts
	t.Logf("kill torture: %d iterations (%d killed) in %v, %d dispatches acknowledged, %d started, %d requests delivered spans twice, at most %d rows stored",
		tally.iterations, tally.kills, elapsed.Round(time.Millisecond), len(tally.acked), tally.lastStart, tally.dupRequests, tally.maxRows)

	sum.check(t, "1", "kill torture: iterations run, child killed mid-run",
		fmt.Sprintf("%d iterations, most ended by SIGKILL", sc.killIterations),
		fmt.Sprintf("%d iterations, %d SIGKILLed, %d dispatches acknowledged, %v", tally.iterations, tally.kills, len(tally.acked), elapsed.Round(time.Second)),
		tally.iterations == sc.killIterations && tally.kills*2 > tally.iterations && len(tally.acked) > 0)
	sum.check(t, "1", "kill torture: trace buffer integrity_check after every kill",
		"ok every time, never moved aside", orNone(tally.bufferBad, fmt.Sprintf("ok %d/%d", tally.iterations, tally.iterations)),
		len(tally.bufferBad) == 0)
	sum.check(t, "1", "kill torture: acknowledged spans stored or delivered (killed children and the companion process writing and draining the same buffer throughout)",
		"0 lost", fmt.Sprintf("%d lost of %d acknowledged spans (%d dispatches of the companion) %s", len(tally.lost), ackedSpans, tally.compAcked, firstOf(tally.lost)),
		len(tally.lost) == 0 && ackedSpans > 0 && tally.compAcked > 0)
	sum.check(t, "1", "kill torture: requests (≤ 1 MiB of rows each) delivering spans a second time, companion draining too",
		"≤ 1 per kill (the drain lease keeps two live drains apart)", fmt.Sprintf("%d over %d kills", tally.dupRequests, tally.kills),
		tally.dupRequests <= tally.kills)
	sum.check(t, "1", "kill torture: state DB after every kill",
		"integrity ok; committed or not, never torn; every acknowledged dispatch committed",
		orNone(tally.stateBad, fmt.Sprintf("ok %d/%d (%d with a committed value)", tally.stateCommits+tally.stateEmpty, tally.iterations, tally.stateCommits)),
		len(tally.stateBad) == 0 && tally.stateCommits > 0)
	sum.check(t, "1", "kill torture: warnings in the unit's log", "0 besides \"relation is gone\" (a kill leaves nothing to recover from)",
		fmt.Sprintf("%d %s", len(tally.warnings), firstOf(tally.warnings)), len(tally.warnings) == 0)
}

// orNone is the first problem in problems, or fine when there is none.
func orNone(problems []string, fine string) string {
	if len(problems) == 0 {
		return fine
	}
	return fmt.Sprintf("%d failures, first: %s", len(problems), problems[0])
}

func firstOf(xs []string) string {
	if len(xs) == 0 {
		return ""
	}
	return "(first: " + xs[0] + ")"
}

// spanIDs lists the span ids of an OTLP/protobuf request body.
func spanIDs(body []byte) ([]string, error) {
	var td tracepb.TracesData
	if err := proto.Unmarshal(body, &td); err != nil {
		return nil, err
	}
	var ids []string
	for _, rs := range td.GetResourceSpans() {
		for _, ss := range rs.GetScopeSpans() {
			for _, sp := range ss.GetSpans() {
				ids = append(ids, string(sp.GetTraceId())+string(sp.GetSpanId()))
			}
		}
	}
	return ids, nil
}
