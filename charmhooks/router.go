package charmhooks

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
)

// Handler handles one event. Returning ErrDefer (or an error wrapping it)
// defers the event: the router queues it and runs this handler again at
// the start of the next dispatch.
type Handler func(ctx context.Context, e Event) error

// HandlerInfo describes one handler call to a Middleware.
type HandlerInfo struct {
	Handler  string    // the handler's name (see HandlerName)
	Event    string    // the event's Juju name
	Kind     EventKind // the event's family
	Deferred bool      // the call re-runs a deferred event
}

// Middleware wraps every handler call; the tracing package uses it to
// give each call a span. It is called once per handler call, with that
// call's description.
type Middleware func(next Handler, info HandlerInfo) Handler

// HandlerOption configures one registration.
type HandlerOption func(*registration)

// HandlerName names the handler. Names identify handlers in the deferral
// queue and in spans, so they should stay stable across charm versions.
// Without it the name is the function's name (e.g. charm.onInstall).
func HandlerName(name string) HandlerOption {
	return func(r *registration) { r.name = name }
}

type registration struct {
	name     string
	h        Handler
	event    string    // exact name, for Handle and HandleAction
	action   bool      // matches actions (HandleAction) rather than hooks
	kind     EventKind // HandleKind
	hookKind string    // HandleRelation
	relation string    // HandleRelation endpoint; "" is any
	relMatch bool      // a HandleRelation registration
}

func (g *registration) matches(e Event) bool {
	switch {
	case g.event != "":
		return e.Name == g.event && (e.Kind == KindAction) == g.action
	case g.relMatch:
		return e.Kind == KindRelation &&
			(g.relation == "" || e.Relation == g.relation) &&
			(g.hookKind == "" || e.HookKind == g.hookKind)
	default:
		return e.Kind == g.kind
	}
}

// Router calls a charm's handlers for the events Juju sends. Register
// handlers first, then call Dispatch once per process (once per event,
// in tests). Handlers run one at a time, in registration order.
type Router struct {
	regs       []*registration
	byName     map[string]*registration
	middleware []Middleware
	current    atomic.Pointer[context.Context]
}

// NewRouter returns an empty router.
func NewRouter() *Router {
	return &Router{byName: make(map[string]*registration)}
}

// Handle registers h for the hook with this exact name, e.g. install or
// db-relation-changed.
func (r *Router) Handle(event string, h Handler, opts ...HandlerOption) {
	r.add(&registration{h: h, event: event}, opts)
}

// HandleAction registers h for the action with this name.
func (r *Router) HandleAction(action string, h Handler, opts ...HandlerOption) {
	r.add(&registration{h: h, event: action, action: true}, opts)
}

// HandleRelation registers h for relation hooks of one endpoint ("" for
// every endpoint) and one hook kind such as RelationChanged ("" for every
// relation hook).
func (r *Router) HandleRelation(endpoint, hookKind string, h Handler, opts ...HandlerOption) {
	r.add(&registration{h: h, relation: endpoint, hookKind: hookKind, relMatch: true}, opts)
}

// HandleKind registers h for every event of a family, e.g. KindSecret.
func (r *Router) HandleKind(kind EventKind, h Handler, opts ...HandlerOption) {
	r.add(&registration{h: h, kind: kind}, opts)
}

func (r *Router) add(g *registration, opts []HandlerOption) {
	if g.h == nil {
		panic("charmhooks: nil handler")
	}
	for _, o := range opts {
		o(g)
	}
	if g.name == "" {
		g.name = funcName(g.h)
	}
	// Names key the deferral queue, so they must be unique.
	base := g.name
	for i := 2; r.byName[g.name] != nil; i++ {
		g.name = base + "#" + strconv.Itoa(i)
	}
	r.byName[g.name] = g
	r.regs = append(r.regs, g)
}

// funcName returns the function's name without its import path.
func funcName(h Handler) string {
	fn := runtime.FuncForPC(reflect.ValueOf(h).Pointer())
	if fn == nil {
		return "handler"
	}
	name := fn.Name()
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	return strings.TrimSuffix(name, "-fm")
}

// Use adds middleware around every handler call. The first added is the
// outermost.
func (r *Router) Use(m Middleware) {
	r.middleware = append(r.middleware, m)
}

// Current returns the context of the handler running now, or of the
// dispatch between handlers, or context.Background() outside Dispatch.
// Code that cannot pass a context (goops' hook-tool calls) takes its
// parent span from here: see WithContext.
func (r *Router) Current() context.Context {
	if p := r.current.Load(); p != nil {
		return *p
	}
	return context.Background()
}

func (r *Router) setCurrent(ctx context.Context) (restore func()) {
	prev := r.current.Swap(&ctx)
	return func() { r.current.Store(prev) }
}

// Result says what a dispatch did.
type Result struct {
	// Handled is true when at least one handler matched the Juju event
	// itself. Re-runs of deferred events do not count: this is the signal
	// that the dispatch did work the charm cares about.
	Handled bool
	// Handlers is the number of handler calls for the event itself.
	Handlers int
	// Reemitted is the number of deferred (event, handler) pairs re-run.
	Reemitted int
	// Deferred is the number of pairs left in the queue by this dispatch:
	// newly deferred ones and re-run ones that deferred again.
	Deferred int
}

// DispatchOption configures one Dispatch call.
type DispatchOption func(*dispatch)

// WithDeferStore gives the dispatch a queue for deferred events. Without
// one, a handler that defers makes Dispatch fail.
func WithDeferStore(s DeferStore) DispatchOption {
	return func(d *dispatch) { d.store = s }
}

type dispatch struct {
	store DeferStore
}

// HandlerError is a handler's failure as Dispatch returns it.
type HandlerError struct {
	Handler string // the handler's name
	Event   string // the event's Juju name
	Err     error  // what the handler returned
}

func (e *HandlerError) Error() string {
	return "charmhooks: handler " + e.Handler + " for " + e.Event + ": " + e.Err.Error()
}

func (e *HandlerError) Unwrap() error { return e.Err }

// Dispatch runs the handlers for e. First, unless e runs in Juju's
// restricted context (collect-metrics, meter-status-changed), it re-runs
// the deferred events of the store in queue order, each marked Deferred;
// one that defers again keeps its place. Then it runs every handler that
// matches e, in registration order. The first handler error stops the
// dispatch and is returned as a *HandlerError.
//
// The router reads the whole queue before re-running anything, so a
// DeferStore is never called back from inside its own ForEachDeferred.
func (r *Router) Dispatch(ctx context.Context, e Event, opts ...DispatchOption) (Result, error) {
	var d dispatch
	for _, o := range opts {
		o(&d)
	}
	defer r.setCurrent(ctx)()

	var res Result
	if d.store != nil && !e.restricted() {
		if err := r.reemit(ctx, d.store, &res); err != nil {
			return res, err
		}
	}
	e.Deferred = false
	for _, g := range r.regs {
		if !g.matches(e) {
			continue
		}
		res.Handled = true
		res.Handlers++
		err := r.call(ctx, g, e)
		if err == nil {
			continue
		}
		if !errors.Is(err, ErrDefer) {
			return res, &HandlerError{Handler: g.name, Event: e.Name, Err: err}
		}
		if err := r.queue(ctx, d.store, g, e); err != nil {
			return res, err
		}
		res.Deferred++
	}
	return res, nil
}

// call runs one handler through the middleware, with Current set to the
// context the handler itself receives.
func (r *Router) call(ctx context.Context, g *registration, e Event) error {
	h := func(ctx context.Context, e Event) error {
		defer r.setCurrent(ctx)()
		return g.h(ctx, e)
	}
	if len(r.middleware) > 0 {
		info := HandlerInfo{Handler: g.name, Event: e.Name, Kind: e.Kind, Deferred: e.Deferred}
		for i := len(r.middleware) - 1; i >= 0; i-- {
			h = r.middleware[i](h, info)
		}
	}
	return h(ctx, e)
}

func (r *Router) queue(ctx context.Context, store DeferStore, g *registration, e Event) error {
	if e.Kind == KindAction {
		return fmt.Errorf("charmhooks: handler %s deferred action %s: actions cannot be deferred", g.name, e.Name)
	}
	if store == nil {
		return fmt.Errorf("charmhooks: handler %s deferred %s but the dispatch has no DeferStore", g.name, e.Name)
	}
	snap, err := encodeSnapshot(e)
	if err != nil {
		return err
	}
	if err := store.AppendDeferred(ctx, e.Name, g.name, snap); err != nil {
		return fmt.Errorf("charmhooks: queue deferred %s for %s: %w", e.Name, g.name, err)
	}
	return nil
}

// reemit re-runs the queued events in order.
func (r *Router) reemit(ctx context.Context, store DeferStore, res *Result) error {
	type notice struct {
		id      int64
		handler string
		snap    []byte
	}
	var queued []notice
	err := store.ForEachDeferred(ctx, func(id int64, _, handler string, snapshot []byte) error {
		queued = append(queued, notice{id, handler, snapshot})
		return nil
	})
	if err != nil {
		return fmt.Errorf("charmhooks: read deferred events: %w", err)
	}
	for _, n := range queued {
		g := r.byName[n.handler]
		e, decodeErr := decodeSnapshot(n.snap)
		if g == nil || decodeErr != nil {
			// The handler is gone (charm upgraded) or the snapshot is not
			// ours: nothing can run it, so it must not block the queue.
			if err := store.DeleteDeferred(ctx, n.id); err != nil {
				return fmt.Errorf("charmhooks: drop deferred event %d: %w", n.id, err)
			}
			continue
		}
		e.Deferred = true
		res.Reemitted++
		err := r.call(ctx, g, e)
		switch {
		case err == nil:
			if err := store.DeleteDeferred(ctx, n.id); err != nil {
				return fmt.Errorf("charmhooks: remove deferred event %d: %w", n.id, err)
			}
		case errors.Is(err, ErrDefer):
			res.Deferred++
		default:
			return &HandlerError{Handler: g.name, Event: e.Name, Err: err}
		}
	}
	return nil
}
