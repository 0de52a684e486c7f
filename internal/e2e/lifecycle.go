package e2e

import (
	"context"
	"fmt"
	"strings"

	"github.com/charmtrace/charmtrace/buffer"
	"github.com/charmtrace/charmtrace/internal/fakejuju"
)

// Target is the tracing receiver the lifecycle relates the charm to.
type Target struct {
	URL string // base URL as Tempo publishes it, e.g. https://127.0.0.1:4318
	CA  string // PEM of the CA that signed the receiver's certificate
}

// Step is one step of the lifecycle: a change on the fake Juju and the dispatches
// that followed it.
type Step struct {
	Title      string
	Dispatches []Result
	Buffer     buffer.Stats // the unit's trace buffer after the step
}

// Lifecycle takes a fresh leader unit of the example charm through the life the demo
// shows, calling report after each step:
//
//  1. install, start and update-status, with no receiver: the traces stay buffered;
//  2. db related (relation-created, -joined, -changed): the leader shares the admin
//     password over the relation, and the spans of that wait in the buffer too;
//  3. charm-tracing related to Tempo at target.URL (relation-created, -joined,
//     -changed): an https receiver and no CA yet, still buffered;
//  4. receive-ca-cert related (relation-created, where the leader announces v1; the
//     provider then publishes target.CA; -joined, -changed): the destination is
//     complete and the backlog drains;
//  5. update-status: an ordinary dispatch, delivered at once.
//
// It stops at the first dispatch that exits non-zero, with an error quoting its
// output.
func Lifecycle(ctx context.Context, u *Unit, target Target, report func(Step)) error {
	l := &lifecycle{ctx: ctx, u: u, report: report}
	l.hooks("install", Hook{Name: "install"})
	l.hooks("start", Hook{Name: "start"})
	l.hooks("update-status (no receiver yet: buffered)", Hook{Name: "update-status"})
	l.step("relate db to client (the leader shares the admin password; buffered)", func(s *Step) error {
		rel, err := u.Relate("db", "client", []string{"client/0"}, nil)
		if err != nil {
			return err
		}
		return l.dispatch(s, relationHook(rel, "created"), relationHook(rel, "joined"), relationHook(rel, "changed"))
	})
	l.step(fmt.Sprintf("relate charm-tracing to tempo, receiver %s (https, no CA yet)", target.URL), func(s *Step) error {
		rel, err := u.Relate("charm-tracing", "tempo", []string{"tempo/0"},
			map[string]string{"receivers": TempoReceivers(target.URL)})
		if err != nil {
			return err
		}
		return l.dispatch(s, relationHook(rel, "created"), relationHook(rel, "joined"), relationHook(rel, "changed"))
	})
	l.step("relate receive-ca-cert to self-signed-certificates (certificate_transfer v1)", func(s *Step) error {
		rel, err := u.Relate("receive-ca-cert", "self-signed-certificates", []string{"self-signed-certificates/0"}, nil)
		if err != nil {
			return err
		}
		if err := l.dispatch(s, relationHook(rel, "created")); err != nil {
			return err
		}
		// The provider answers the version the leader announced on relation-created.
		if err := u.SetRemoteAppData(rel, CertificatesV1(target.CA)); err != nil {
			return err
		}
		return l.dispatch(s, relationHook(rel, "joined"), relationHook(rel, "changed"))
	})
	l.hooks("update-status (an ordinary dispatch: sent at once)", Hook{Name: "update-status"})
	return l.err
}

// lifecycle runs steps until one fails; the steps after it are skipped.
type lifecycle struct {
	ctx    context.Context
	u      *Unit
	report func(Step)
	err    error
}

// step runs body as one step and reports it with the buffer's state afterwards.
func (l *lifecycle) step(title string, body func(*Step) error) {
	if l.err != nil {
		return
	}
	s := Step{Title: title}
	l.err = body(&s)
	stats, err := l.u.BufferStats(l.ctx)
	if err != nil && l.err == nil {
		l.err = fmt.Errorf("read the trace buffer after %q: %w", title, err)
	}
	s.Buffer = stats
	l.report(s)
}

// hooks is a step that only dispatches.
func (l *lifecycle) hooks(title string, hs ...Hook) {
	l.step(title, func(s *Step) error { return l.dispatch(s, hs...) })
}

// dispatch runs hs in order, recording them in s, and stops at the first that fails.
func (l *lifecycle) dispatch(s *Step, hs ...Hook) error {
	for _, h := range hs {
		res, err := l.u.Dispatch(l.ctx, h)
		s.Dispatches = append(s.Dispatches, res)
		if err != nil {
			return err
		}
		if res.ExitCode != 0 {
			return fmt.Errorf("%s exited with status %d:\n%s", h, res.ExitCode, strings.TrimSpace(string(res.Output)))
		}
	}
	return nil
}

// relationHook is the relation-<kind> hook of rel. Every kind but created is about
// the relation's first remote unit.
func relationHook(rel *fakejuju.Relation, kind string) Hook {
	h := Hook{Name: rel.Endpoint + "-relation-" + kind, Relation: rel}
	if kind != "created" {
		for unit := range rel.RemoteUnitsData {
			if h.RemoteUnit == "" || unit < h.RemoteUnit {
				h.RemoteUnit = unit
			}
		}
	}
	return h
}
