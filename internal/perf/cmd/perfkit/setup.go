package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/charmtrace/charmtrace/internal/e2e"
	"github.com/charmtrace/charmtrace/internal/fakejuju"
	"github.com/charmtrace/charmtrace/internal/perf/internal/harness"
)

func cmdUnit(args []string) error {
	fs := flag.NewFlagSet("unit", flag.ContinueOnError)
	dir := fs.String("dir", "", "directory to lay the unit out in")
	var bins e2e.Binaries
	fs.StringVar(&bins.Charm, "charm", "", "the charm's dispatch executable")
	fs.StringVar(&bins.FakeJuju, "fakejuju", "", "the fakejuju executable")
	fs.StringVar(&bins.Metadata, "meta", "", "the charm's charmcraft.yaml")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" || bins.Charm == "" || bins.FakeJuju == "" || bins.Metadata == "" {
		return errors.New("-dir, -charm, -fakejuju and -meta are required")
	}
	_, err := harness.NewUnit(*dir, bins)
	return err
}

func cmdRelate(args []string) error {
	fs := flag.NewFlagSet("relate", flag.ContinueOnError)
	dir := fs.String("dir", "", "the unit")
	url := fs.String("url", "", "receiver base URL, as Tempo publishes it")
	caFile := fs.String("ca", "", "PEM of the receiver's CA, published over receive-ca-cert")
	if err := fs.Parse(args); err != nil {
		return err
	}
	u, err := harness.LoadUnit(*dir)
	if err != nil {
		return err
	}
	var ca []byte
	if *caFile != "" {
		if ca, err = os.ReadFile(*caFile); err != nil {
			return err
		}
	}
	return harness.RelateTracing(u, *url, ca)
}

// hookFlags are the flags that name one dispatch of a unit.
type hookFlags struct {
	dir, hook, relation string
}

func (h *hookFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&h.dir, "dir", "", "the unit")
	fs.StringVar(&h.hook, "hook", "update-status", "hook to dispatch")
	fs.StringVar(&h.relation, "relation", "", "endpoint whose relation the hook is about")
}

func (h *hookFlags) load() (*e2e.Unit, *fakejuju.Relation, error) {
	u, err := harness.LoadUnit(h.dir)
	if err != nil {
		return nil, nil, err
	}
	if h.relation == "" {
		return u, nil, nil
	}
	rel, err := harness.Relation(u, h.relation)
	if err == nil && rel == nil {
		err = fmt.Errorf("the unit has no %s relation", h.relation)
	}
	return u, rel, err
}

// cmdEnv prints the hook environment as K=V words on one line, for `env -i` in a
// hyperfine command (hyperfine -N splits it on spaces; no value holds one).
func cmdEnv(args []string) error {
	fs := flag.NewFlagSet("env", flag.ContinueOnError)
	var h hookFlags
	h.register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	u, rel, err := h.load()
	if err != nil {
		return err
	}
	env := harness.HookEnv(u, h.hook, rel)
	for _, kv := range env {
		if strings.ContainsAny(kv, " \t\n'\"\\") {
			return fmt.Errorf("%q cannot be passed on a hyperfine command line", kv)
		}
	}
	fmt.Println(strings.Join(env, " "))
	return nil
}

// cmdDispatch runs dispatches of a unit (warm-up, fixture steps) and prints the
// hook-tool calls of the last one as JSON.
func cmdDispatch(args []string) error {
	fs := flag.NewFlagSet("dispatch", flag.ContinueOnError)
	var h hookFlags
	h.register(fs)
	disable := fs.Bool("disable", false, "run with CHARMTRACE_DISABLE=1")
	n := fs.Int("n", 1, "dispatches to run")
	var extra stringList
	fs.Var(&extra, "env", "K=V added to the hook environment (repeatable)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	u, rel, err := h.load()
	if err != nil {
		return err
	}
	if *disable {
		extra = append(extra, "CHARMTRACE_DISABLE=1")
	}
	var res harness.DispatchResult
	for range *n {
		if res, err = harness.Dispatch(context.Background(), u, h.hook, rel, extra...); err != nil {
			return err
		}
	}
	tools := map[string]int{}
	for _, c := range res.Calls {
		tools[c.Tool]++
	}
	return json.NewEncoder(os.Stdout).Encode(map[string]any{
		"hook": h.hook, "disabled": *disable, "calls": len(res.Calls), "tools": tools, "sequence": res.Calls,
		"wall_ms": float64(res.Wall.Microseconds()) / 1000})
}

type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

func cmdFill(args []string) error {
	fs := flag.NewFlagSet("fill", flag.ContinueOnError)
	path := fs.String("buffer", "", "trace buffer to fill (created if missing)")
	size := fs.Int64("bytes", 0, "payload bytes to reach; the cap ends the fill first if smaller")
	spans := fs.Int("spans", 100, "spans per row")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *path == "" {
		return errors.New("-buffer is required")
	}
	bl, err := harness.Fill(context.Background(), *path, *size, *spans)
	if err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(bl)
}

// cmdServe runs a receiver until SIGTERM or SIGINT. It writes its base URL to DIR/url
// (last, so that a waiting script sees a complete setup) and, for TLS, its CA to
// DIR/ca.pem; on the way out, its counts to DIR/stats.json.
func cmdServe(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	kind := fs.String("kind", "discard", "discard or blackhole")
	tlsOn := fs.Bool("tls", false, "serve HTTPS with a CA made now")
	out := fs.String("out", "", "directory for url, ca.pem and stats.json")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" {
		return errors.New("-out is required")
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	r, err := harness.StartReceiver(harness.ReceiverKind(*kind), *tlsOn)
	if err != nil {
		return err
	}
	if r.CAPEM != nil {
		if err := os.WriteFile(filepath.Join(*out, "ca.pem"), r.CAPEM, 0o600); err != nil {
			r.Close()
			return err
		}
	}
	tmp := filepath.Join(*out, "url.tmp")
	if err := os.WriteFile(tmp, []byte(r.URL+"\n"), 0o600); err != nil {
		r.Close()
		return err
	}
	if err := os.Rename(tmp, filepath.Join(*out, "url")); err != nil {
		r.Close()
		return err
	}
	<-sig
	st := r.Stats()
	err = r.Close()
	b, merr := json.Marshal(st)
	return errors.Join(err, merr, os.WriteFile(filepath.Join(*out, "stats.json"), b, 0o600))
}
