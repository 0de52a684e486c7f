package charmhooks

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func relEvent(endpoint, hookKind string, id int) Event {
	return Event{Name: endpoint + "-" + hookKind, Kind: KindRelation, HookKind: hookKind, Relation: endpoint, RelationID: id, RemoteApp: "remote"}
}

func TestRouterMatching(t *testing.T) {
	var got []string
	rec := func(name string) Handler {
		return func(_ context.Context, e Event) error {
			got = append(got, name+":"+e.Name)
			return nil
		}
	}
	r := NewRouter()
	r.Handle("start", rec("hook-start"))
	r.HandleAction("start", rec("action-start"))
	r.HandleRelation("db", RelationChanged, rec("db-changed"))
	r.HandleRelation("db", "", rec("db-any"))
	r.HandleRelation("", RelationBroken, rec("any-broken"))
	r.HandleKind(KindSecret, rec("secrets"))
	r.Handle("db-relation-changed", rec("exact"))

	events := []Event{
		{Name: "start", Kind: KindLifecycle, HookKind: "start"},
		{Name: "start", Kind: KindAction, HookKind: ActionHookKind},
		relEvent("db", RelationChanged, 1),
		relEvent("db", RelationBroken, 1),
		relEvent("web", RelationChanged, 2),
		relEvent("web", RelationBroken, 2),
		{Name: "secret-rotate", Kind: KindSecret, HookKind: SecretRotate},
		{Name: "update-status", Kind: KindLifecycle, HookKind: "update-status"},
	}
	handled := map[string]bool{}
	for _, e := range events {
		res, err := r.Dispatch(context.Background(), e)
		if err != nil {
			t.Fatal(err)
		}
		handled[string(e.Kind)+"/"+e.Name] = res.Handled
	}
	want := []string{
		"hook-start:start",
		"action-start:start",
		"db-changed:db-relation-changed", "db-any:db-relation-changed", "exact:db-relation-changed",
		"db-any:db-relation-broken", "any-broken:db-relation-broken",
		"any-broken:web-relation-broken",
		"secrets:secret-rotate",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("calls\n got %q\nwant %q", got, want)
	}
	if handled["relation/web-relation-changed"] || handled["lifecycle/update-status"] {
		t.Error("an event without handlers reported Handled")
	}
	if !handled["action/start"] || !handled["relation/web-relation-broken"] {
		t.Error("a handled event reported not Handled")
	}
}

type ctxKey string

func TestRouterMiddlewareAndCurrent(t *testing.T) {
	r := NewRouter()
	var order []string
	var infos []HandlerInfo
	for _, name := range []string{"outer", "inner"} {
		r.Use(func(next Handler, info HandlerInfo) Handler {
			if name == "outer" {
				infos = append(infos, info)
			}
			return func(ctx context.Context, e Event) error {
				order = append(order, name+">")
				err := next(context.WithValue(ctx, ctxKey(name), true), e)
				order = append(order, "<"+name)
				return err
			}
		})
	}
	var sawCurrent context.Context
	var sawArg context.Context
	r.Handle("install", func(ctx context.Context, e Event) error {
		order = append(order, "handler")
		sawArg, sawCurrent = ctx, r.Current()
		return nil
	}, HandlerName("onInstall"))

	root := context.WithValue(context.Background(), ctxKey("root"), true)
	if _, err := r.Dispatch(root, Event{Name: "install", Kind: KindLifecycle, HookKind: "install"}); err != nil {
		t.Fatal(err)
	}
	if want := []string{"outer>", "inner>", "handler", "<inner", "<outer"}; !reflect.DeepEqual(order, want) {
		t.Errorf("order %q, want %q", order, want)
	}
	if want := []HandlerInfo{{Handler: "onInstall", Event: "install", Kind: KindLifecycle}}; !reflect.DeepEqual(infos, want) {
		t.Errorf("infos %+v, want %+v", infos, want)
	}
	if sawCurrent != sawArg {
		t.Error("Current() inside the handler is not the handler's context")
	}
	for _, k := range []string{"root", "outer", "inner"} {
		if sawCurrent.Value(ctxKey(k)) == nil {
			t.Errorf("handler context lacks %s value", k)
		}
	}
	if r.Current() != context.Background() {
		t.Error("Current() after Dispatch is not context.Background()")
	}
}

func TestRouterCurrentBetweenHandlers(t *testing.T) {
	r := NewRouter()
	root := context.WithValue(context.Background(), ctxKey("root"), true)
	var between context.Context
	r.Use(func(next Handler, _ HandlerInfo) Handler {
		return func(ctx context.Context, e Event) error {
			between = r.Current() // middleware runs before Current moves to the handler
			return next(context.WithValue(ctx, ctxKey("span"), true), e)
		}
	})
	r.Handle("start", func(context.Context, Event) error { return nil })
	if _, err := r.Dispatch(root, Event{Name: "start", Kind: KindLifecycle}); err != nil {
		t.Fatal(err)
	}
	if between != root {
		t.Error("Current() outside a handler is not the dispatch context")
	}
}

func TestRouterDefaultHandlerName(t *testing.T) {
	r := NewRouter()
	r.Handle("start", namedHandler)
	r.Handle("stop", namedHandler)
	var names []string
	r.Use(func(next Handler, info HandlerInfo) Handler {
		names = append(names, info.Handler)
		return next
	})
	for _, ev := range []string{"start", "stop"} {
		if _, err := r.Dispatch(context.Background(), Event{Name: ev, Kind: KindLifecycle}); err != nil {
			t.Fatal(err)
		}
	}
	if want := []string{"charmhooks.namedHandler", "charmhooks.namedHandler#2"}; !reflect.DeepEqual(names, want) {
		t.Errorf("names %q, want %q", names, want)
	}
}

func namedHandler(context.Context, Event) error { return nil }

func TestRouterHandlerErrorStops(t *testing.T) {
	r := NewRouter()
	boom := errors.New("boom")
	called := false
	r.Handle("start", func(context.Context, Event) error { return boom }, HandlerName("first"))
	r.Handle("start", func(context.Context, Event) error { called = true; return nil })
	res, err := r.Dispatch(context.Background(), Event{Name: "start", Kind: KindLifecycle})
	var he *HandlerError
	if !errors.As(err, &he) || he.Handler != "first" || he.Event != "start" || !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	if called {
		t.Error("a handler ran after an earlier one failed")
	}
	if !res.Handled {
		t.Error("Handled is false although a handler ran")
	}
}

// TestRouterDeferralAcrossDispatches checks the queue order over three
// dispatches, a re-deferred event keeping its place, and the Deferred flag.
func TestRouterDeferralAcrossDispatches(t *testing.T) {
	store := &MemoryDeferStore{}
	var log []string
	deferUntil := map[string]int{} // handler name → dispatch number it stops deferring at
	dispatchNo := 0
	handler := func(name string) Handler {
		return func(_ context.Context, e Event) error {
			log = append(log, fmt.Sprintf("%d %s %s deferred=%v", dispatchNo, name, e.Name, e.Deferred))
			if dispatchNo < deferUntil[name] {
				return fmt.Errorf("not ready: %w", ErrDefer)
			}
			return nil
		}
	}
	r := NewRouter()
	r.Handle("config-changed", handler("cfg"), HandlerName("cfg"))
	r.HandleRelation("db", RelationChanged, handler("db"), HandlerName("db"))
	r.Handle("update-status", handler("status"), HandlerName("status"))
	deferUntil["cfg"] = 3
	deferUntil["db"] = 4

	events := []Event{
		{Name: "config-changed", Kind: KindLifecycle, HookKind: "config-changed"},
		relEvent("db", RelationChanged, 5),
		{Name: "update-status", Kind: KindLifecycle, HookKind: "update-status"},
	}
	var results []Result
	for i, e := range events {
		dispatchNo = i + 1
		res, err := r.Dispatch(context.Background(), e, WithDeferStore(store))
		if err != nil {
			t.Fatal(err)
		}
		results = append(results, res)
	}
	want := []string{
		"1 cfg config-changed deferred=false",
		"2 cfg config-changed deferred=true",
		"2 db db-relation-changed deferred=false",
		"3 cfg config-changed deferred=true",
		"3 db db-relation-changed deferred=true",
		"3 status update-status deferred=false",
	}
	if !reflect.DeepEqual(log, want) {
		t.Errorf("calls\n got %q\nwant %q", log, want)
	}
	wantRes := []Result{
		{Handled: true, Handlers: 1, Deferred: 1},
		{Handled: true, Handlers: 1, Reemitted: 1, Deferred: 2},
		{Handled: true, Handlers: 1, Reemitted: 2, Deferred: 1},
	}
	if !reflect.DeepEqual(results, wantRes) {
		t.Errorf("results %+v, want %+v", results, wantRes)
	}
	var left []string
	store.ForEachDeferred(context.Background(), func(_ int64, event, handler string, snap []byte) error {
		left = append(left, event+"/"+handler)
		e, err := decodeSnapshot(snap)
		if err != nil || e.RelationID != 5 || e.RemoteApp != "remote" {
			t.Errorf("snapshot does not restore the event: %+v %v", e, err)
		}
		return nil
	})
	if !reflect.DeepEqual(left, []string{"db-relation-changed/db"}) {
		t.Errorf("queue left %q", left)
	}
}

func TestRouterDeferralRules(t *testing.T) {
	deferring := func(context.Context, Event) error { return ErrDefer }
	r := NewRouter()
	r.Handle("start", deferring, HandlerName("start"))
	r.HandleAction("backup", deferring)

	if _, err := r.Dispatch(context.Background(), Event{Name: "start", Kind: KindLifecycle}); err == nil || !strings.Contains(err.Error(), "no DeferStore") {
		t.Errorf("deferring without a store: err = %v", err)
	}
	store := &MemoryDeferStore{}
	if _, err := r.Dispatch(context.Background(), Event{Name: "backup", Kind: KindAction}, WithDeferStore(store)); err == nil || !strings.Contains(err.Error(), "actions cannot be deferred") {
		t.Errorf("deferring an action: err = %v", err)
	}

	// Restricted contexts do not re-run the queue; a queued pair whose
	// handler is gone is dropped rather than blocking the queue.
	store.AppendDeferred(context.Background(), "start", "start", mustSnapshot(t, Event{Name: "start", Kind: KindLifecycle}))
	store.AppendDeferred(context.Background(), "stop", "removed-handler", mustSnapshot(t, Event{Name: "stop", Kind: KindLifecycle}))
	res, err := r.Dispatch(context.Background(), Event{Name: "collect-metrics", Kind: KindLifecycle}, WithDeferStore(store))
	if err != nil || res.Reemitted != 0 {
		t.Fatalf("collect-metrics re-ran deferred events: %+v %v", res, err)
	}
	res, err = r.Dispatch(context.Background(), Event{Name: "update-status", Kind: KindLifecycle}, WithDeferStore(store))
	if err != nil || res.Reemitted != 1 || res.Deferred != 1 || res.Handled {
		t.Fatalf("update-status: %+v %v", res, err)
	}
	n := 0
	store.ForEachDeferred(context.Background(), func(_ int64, _, handler string, _ []byte) error {
		n++
		if handler != "start" {
			t.Errorf("queue holds %s", handler)
		}
		return nil
	})
	if n != 1 {
		t.Errorf("queue has %d entries, want 1", n)
	}
}

func mustSnapshot(t *testing.T, e Event) []byte {
	t.Helper()
	b, err := encodeSnapshot(e)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func BenchmarkDispatchUnhandled(b *testing.B) {
	r := NewRouter()
	r.Handle("install", func(context.Context, Event) error { return nil })
	r.HandleRelation("db", RelationChanged, func(context.Context, Event) error { return nil })
	e := Event{Name: "update-status", Kind: KindLifecycle, HookKind: "update-status"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Dispatch(context.Background(), e); err != nil {
			b.Fatal(err)
		}
	}
}
