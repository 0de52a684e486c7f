package tracing

import (
	"log/slog"

	"github.com/charmtrace/charmtrace/charmhooks"
)

// Charm is what a charm's setup function receives: where to register its handlers and
// the tools to act with. Hook-tool calls through Tools are traced; Logger writes to the
// unit's log (juju debug-log) and is never traced.
type Charm struct {
	Context *charmhooks.Context
	Router  *charmhooks.Router
	Tools   *charmhooks.Tools
	Logger  *slog.Logger
}

// SetupFunc registers a charm's handlers on c.Router. It runs once per dispatch, before
// the event is routed; an error fails the dispatch like a handler error.
type SetupFunc func(c *Charm) error
