package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/charmtrace/charmtrace/internal/e2e"
	"github.com/charmtrace/charmtrace/internal/otlpreceiver"
	"github.com/charmtrace/charmtrace/internal/spantree"
	"github.com/charmtrace/charmtrace/internal/testcerts"
)

const demoUsage = `Usage: charmtrace demo [--keep]

Runs the example charm (examples/charm) through a Juju lifecycle on a fake Juju and
shows what a tracing receiver got from it. It is a script of "charmtrace run" steps,
each printed as you would type it: the charm and the fake hook tools run as real
processes, with the environment Juju gives a hook:

  1. install, start, update-status: no receiver yet, the traces wait in the buffer
  2. db related: the leader shares the admin password (which no span may carry)
  3. charm-tracing related to an OTLP/HTTPS receiver on 127.0.0.1, published as
     Tempo publishes it: https and no CA yet, so still buffered
  4. receive-ca-cert related (certificate_transfer v1) with the receiver's private
     CA, made on the fly: the backlog drains over TLS
  5. update-status: an ordinary dispatch, sent at once

It prints each step, the received traces as trees and a one-line verdict. It needs
only the Go toolchain, run from the charmtrace source tree: it builds the charm with go
build, in your build cache (the first build compiles SQLite and takes about a minute).
Work files go to a temporary directory, removed at the end unless --keep is given.

Exit status 0 when the install and start traces reached the receiver, 1 otherwise.
`

// demoUnit is the unit the demo runs: application "example", leader.
const demoUnit = "example/0"

// demoStep is one step of the demo: a title and the run command lines it types.
type demoStep struct {
	title string
	lines [][]string // each a `charmtrace run` command line, without "run"
}

// demoScript is the lifecycle the demo shows, as `charmtrace run` steps on the unit in
// dir: what an author types to see their own charm's traces.
func demoScript(dir, receiverURL, caFile string) []demoStep {
	hook := func(names ...string) [][]string {
		var lines [][]string
		for _, n := range names {
			lines = append(lines, []string{"hook", dir, n})
		}
		return lines
	}
	rel := func(endpoint string, kinds ...string) []string {
		var names []string
		for _, k := range kinds {
			names = append(names, endpoint+"-relation-"+k)
		}
		return names
	}
	return []demoStep{
		{"install", hook("install")},
		{"start", hook("start")},
		{"update-status (no receiver yet: buffered)", hook("update-status")},
		{"relate db to client (the leader shares the admin password; buffered)", append([][]string{
			{"relate", dir, "db", "client"}}, hook(rel("db", "created", "joined", "changed")...)...)},
		{fmt.Sprintf("relate charm-tracing to tempo, receiver %s (https, no CA yet)", receiverURL), append([][]string{
			{"relate", dir, "charm-tracing", "tempo"},
			{"set", dir, "app-data", "charm-tracing", "receivers=" + e2e.TempoReceivers(receiverURL)},
		}, hook(rel("charm-tracing", "created", "joined", "changed")...)...)},
		{"relate receive-ca-cert to self-signed-certificates (certificate_transfer v1)", append(append([][]string{
			{"relate", dir, "receive-ca-cert", "self-signed-certificates"}},
			hook(rel("receive-ca-cert", "created")...)...),
			append([][]string{{"set", dir, "app-data", "receive-ca-cert", "certificates=@" + caFile, "version=1"}},
				hook(rel("receive-ca-cert", "joined", "changed")...)...)...)},
		{"update-status (an ordinary dispatch: sent at once)", hook("update-status")},
	}
}

func runDemo(ctx context.Context, s *streams, args []string) (err error) {
	fs := newFlagSet(s, "demo", demoUsage)
	keep := fs.Bool("keep", false, "keep the work directory (charm directory with its buffer, fake Juju state and call log)")
	if _, err := fs.parse(args, 0, "no arguments"); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "charmtrace-demo-")
	if err != nil {
		return err
	}
	if *keep {
		defer fmt.Fprintf(s.stdout, "\nWork directory kept: %s\n", dir)
	} else {
		defer func() { err = errors.Join(err, os.RemoveAll(dir)) }()
	}
	out := s.stdout

	fmt.Fprintln(out, "Building the example charm and the fake Juju hook tools with go build (the first build compiles SQLite and takes about a minute)...")
	began := time.Now()
	bins, err := e2e.Build(ctx, filepath.Join(dir, "bin"))
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "Built in %s.\n", time.Since(began).Round(100*time.Millisecond))

	recv, caPEM, err := startDemoReceiver()
	if err != nil {
		return err
	}
	defer recv.Close()
	fmt.Fprintf(out, "OTLP/HTTPS receiver listening on %s, its certificate signed by a private CA made just now.\n", recv.URL())
	caFile := filepath.Join(dir, "ca.json")
	if err := os.WriteFile(caFile, []byte(e2e.CertificatesV1(caPEM)["certificates"]), 0o600); err != nil {
		return err
	}

	unitDir := filepath.Join(dir, "unit")
	if err := runStep(ctx, s, []string{"init", unitDir, "--charm", bins.Charm, "--metadata", bins.Metadata,
		"--tools", bins.FakeJuju, "--unit", demoUnit, "--leader", "log-level=info"}); err != nil {
		return err
	}
	var stepErr error
	dispatched := 0
	for n, step := range demoScript(unitDir, recv.URL(), caFile) {
		fmt.Fprintf(out, "\n%d. %s\n", n+1, step.title)
		for _, line := range step.lines {
			if line[0] == "hook" {
				dispatched++
			}
			if stepErr = runStep(ctx, s, line); stepErr != nil {
				break
			}
		}
		fmt.Fprintf(out, "   receiver: %s so far\n", plural(int64(len(recv.Requests())), "request"))
		if stepErr != nil {
			fmt.Fprintf(out, "\nThe lifecycle stopped: %v\n", stepErr)
			break
		}
	}

	spans := recv.Spans()
	fmt.Fprintf(out, "\nThe receiver got %s in %s:\n\n", plural(int64(len(spans)), "span"), plural(int64(len(recv.Requests())), "request"))
	printReceived(out, spans)

	v := judge(spans, dispatched)
	fmt.Fprintf(out, "\n%s\n", v.line)
	if !v.ok {
		return errors.New("the install and start traces did not both reach the receiver")
	}
	return stepErr
}

// runStep prints a run command line as a user would type it (the work directory
// abbreviated) and runs it.
func runStep(ctx context.Context, s *streams, line []string) error {
	shown := make([]string, len(line))
	for i, a := range line {
		if i == 1 {
			a = "DIR"
		}
		if len(a) > 60 {
			a = a[:57] + "..."
		}
		shown[i] = a
	}
	fmt.Fprintf(s.stdout, "   $ charmtrace run %s\n", strings.Join(shown, " "))
	return runSteps()[line[0]](ctx, s, line[1:])
}

// startDemoReceiver starts the HTTPS receiver with a leaf of a new private CA, and
// returns it with the CA's PEM, which the CA relation will carry.
func startDemoReceiver() (*otlpreceiver.Receiver, string, error) {
	ca, err := testcerts.NewRoot("charmtrace demo CA")
	if err != nil {
		return nil, "", err
	}
	leaf, err := ca.NewLeaf(testcerts.LeafOptions{Hosts: []string{"127.0.0.1"}})
	if err != nil {
		return nil, "", err
	}
	recv, err := otlpreceiver.Start(otlpreceiver.WithTLS(leaf))
	if err != nil {
		return nil, "", err
	}
	return recv, string(ca.PEM()), nil
}

// printReceived prints the received spans as trace trees, with the renderer of the
// tree command.
func printReceived(w io.Writer, spans []otlpreceiver.Span) {
	set := spantree.NewSet()
	for _, s := range spans {
		set.Add(&tracepb.TracesData{ResourceSpans: []*tracepb.ResourceSpans{{
			Resource:   s.Resource,
			ScopeSpans: []*tracepb.ScopeSpans{{Scope: s.Scope, Spans: []*tracepb.Span{s.Span}}},
		}}})
	}
	set.Print(w, spantree.Options{}, nil)
}

// verdict is the demo's outcome in one line.
type verdict struct {
	ok   bool
	line string
}

// judge decides whether the install and start traces of the demo unit arrived (the
// demo's promise), and says what else did.
func judge(spans []otlpreceiver.Span, dispatched int) verdict {
	roots := map[string]int{}
	for _, s := range spans {
		if len(s.Span.GetParentSpanId()) == 0 && spantree.StringAttr(s.Resource.GetAttributes(), "juju_unit") == demoUnit {
			roots[s.Span.GetName()]++
		}
	}
	var missing []string
	for _, name := range []string{"install", "start"} {
		if roots[name] == 0 {
			missing = append(missing, name)
		}
	}
	traces := 0
	for _, n := range roots {
		traces += n
	}
	if len(missing) > 0 {
		return verdict{line: fmt.Sprintf("FAIL: no %s trace reached the receiver (%d of %d dispatches traced there).",
			strings.Join(missing, " or "), traces, dispatched)}
	}
	return verdict{ok: true, line: fmt.Sprintf("PASS: the install and start traces, buffered before any receiver existed, "+
		"reached the receiver over TLS; %d of %d dispatches traced there.", traces, dispatched)}
}
