// Command spancharm is the charm the perf suite dispatches when it varies what the
// example charm cannot: the number of spans a dispatch makes, the network budget, and
// whether hook tools run as processes.
//
// Its handlers are harness.Setup: what the example charm does on update-status, plus
// PERF_SPANS - 1 more spans of its own. The environment chooses:
//
//	PERF_SPANS=N            spans the charm makes per dispatch (default 1)
//	PERF_TOOLS=inprocess    hook tools answered in this process by the fake Juju (the
//	                        state file named by FAKEJUJU_STATE, changes not saved), so
//	                        that a dispatch's wall time holds no hook-tool process
//	PERF_BUDGET=1s          tracing.WithBudget
//	PERF_JHACK=0            tracing.WithoutJhackLine: with it, tracing on and off make
//	                        the same hook-tool calls, so their difference is tracing's own
//
// CHARMTRACE_DISABLE=1 turns tracing off, as for any charmtrace charm.
package main

import (
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/charmtrace/charmtrace/internal/fakejuju"
	"github.com/charmtrace/charmtrace/internal/perf/internal/harness"
	"github.com/charmtrace/charmtrace/tracing"
)

func main() {
	opts, spans, err := options(os.Getenv)
	if err != nil {
		fmt.Fprintf(os.Stderr, "spancharm: %v\n", err)
		os.Exit(1)
	}
	tracing.Main(harness.Setup(spans), opts...)
}

func options(getenv func(string) string) ([]tracing.Option, int, error) {
	spans := 1
	if s := getenv("PERF_SPANS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return nil, 0, fmt.Errorf("PERF_SPANS=%q: want a count of at least 1", s)
		}
		spans = n
	}
	var opts []tracing.Option
	if s := getenv("PERF_BUDGET"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			return nil, 0, fmt.Errorf("PERF_BUDGET: %w", err)
		}
		opts = append(opts, tracing.WithBudget(d))
	}
	switch getenv("PERF_JHACK") {
	case "", "1":
	case "0":
		opts = append(opts, tracing.WithoutJhackLine())
	default:
		return nil, 0, fmt.Errorf("PERF_JHACK=%q: want 0 or 1", getenv("PERF_JHACK"))
	}
	switch getenv("PERF_TOOLS") {
	case "", "exec":
	case "inprocess":
		st, err := fakejuju.ReadState(getenv(fakejuju.StateEnv))
		if err != nil {
			return nil, 0, err
		}
		env := map[string]string{}
		for _, k := range []string{"JUJU_RELATION_ID", "JUJU_REMOTE_UNIT", "JUJU_REMOTE_APP", "JUJU_ACTION_NAME"} {
			env[k] = getenv(k)
		}
		opts = append(opts, tracing.WithRunner(fakejuju.NewRunner(st, env)))
	default:
		return nil, 0, fmt.Errorf("PERF_TOOLS=%q: want exec or inprocess", getenv("PERF_TOOLS"))
	}
	return opts, spans, nil
}
