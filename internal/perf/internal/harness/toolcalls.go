package harness

import (
	"context"

	"github.com/charmtrace/charmtrace/internal/e2e"
	"github.com/charmtrace/charmtrace/internal/fakejuju"
)

// ToolCalls compares the hook-tool calls of one hook dispatched with tracing off
// (CHARMTRACE_DISABLE=1) and then on, on the same unit.
type ToolCalls struct {
	Hook    string         `json:"hook"`
	Off, On []string       `json:"-"`
	Added   map[string]int `json:"added"` // by tool: on minus off
	// AddedLogs is the juju-log calls tracing adds (the trace id line jhack reads,
	// warnings); AddedOther every other added call, which is the relation
	// reconciliation's.
	AddedLogs  int `json:"added_logs"`
	AddedOther int `json:"added_other"`
	OffCalls   int `json:"off_calls"`
	OnCalls    int `json:"on_calls"`
}

// CompareToolCalls dispatches hook twice, tracing off then on, and counts the calls.
// Tracing off first: the dispatch with tracing on then sees the same unit state the
// charm's own calls left.
func CompareToolCalls(ctx context.Context, u *e2e.Unit, hook string, rel *fakejuju.Relation) (ToolCalls, error) {
	off, err := Dispatch(ctx, u, hook, rel, "CHARMTRACE_DISABLE=1")
	if err != nil {
		return ToolCalls{}, err
	}
	on, err := Dispatch(ctx, u, hook, rel)
	if err != nil {
		return ToolCalls{}, err
	}
	tc := ToolCalls{Hook: hook, Added: map[string]int{}, OffCalls: len(off.Calls), OnCalls: len(on.Calls)}
	for _, c := range off.Calls {
		tc.Off = append(tc.Off, c.Tool)
		tc.Added[c.Tool]--
	}
	for _, c := range on.Calls {
		tc.On = append(tc.On, c.Tool)
		tc.Added[c.Tool]++
	}
	for tool, n := range tc.Added {
		switch {
		case n == 0:
			delete(tc.Added, tool)
		case tool == "juju-log":
			tc.AddedLogs += n
		default:
			tc.AddedOther += n
		}
	}
	return tc, nil
}
