package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/charmtrace/charmtrace/internal/e2e"
	"github.com/charmtrace/charmtrace/internal/fakejuju"
)

// runHook dispatches one hook of the charm, as the unit agent does.
func runHook(ctx context.Context, s *streams, args []string) error {
	fs := newFlagSet(s, "run hook", runUsage)
	relRef := fs.String("relation", "", "the relation of a relation hook (`ENDPOINT:ID`)")
	remote := fs.String("remote-unit", "", "the remote `UNIT` a relation hook is about")
	pos, err := fs.parse(args, 2, "DIR and a hook name")
	if err != nil {
		return err
	}
	w, err := openWorkspace(pos[0])
	if err != nil {
		return err
	}
	h := e2e.Hook{Name: pos[1]}
	if endpoint, kind, ok := splitRelationHook(h.Name); ok {
		st, err := w.unit.Tools.State()
		if err != nil {
			return err
		}
		if h.Relation, err = hookRelation(st, endpoint, *relRef); err != nil {
			return err
		}
		h.RemoteUnit = *remote
		if h.RemoteUnit == "" && kind != "created" && kind != "broken" {
			h.RemoteUnit = firstRemoteUnit(h.Relation)
		}
	}
	_, err = dispatchStep(ctx, s, w, h)
	return err
}

// runAction dispatches one action with its parameters and prints its outcome.
func runAction(ctx context.Context, s *streams, args []string) error {
	fs := newFlagSet(s, "run action", runUsage)
	pos, err := fs.parse(args, -1, "DIR, an action name and key=value parameters")
	if err != nil {
		return err
	}
	if len(pos) < 2 {
		return usagef("want DIR and an action name")
	}
	params, err := configValues(pos[2:])
	if err != nil {
		return err
	}
	w, err := openWorkspace(pos[0])
	if err != nil {
		return err
	}
	err = w.update(func(st *fakejuju.State) error {
		st.ActionParams, st.ActionResults, st.ActionLogs = params, nil, nil
		st.ActionFailed, st.ActionFailMessage = false, ""
		return nil
	})
	if err != nil {
		return err
	}
	_, derr := dispatchStep(ctx, s, w, e2e.Hook{Name: pos[1], Action: true})
	st, err := w.unit.Tools.State()
	if err != nil {
		return err
	}
	for _, l := range st.ActionLogs {
		fmt.Fprintf(s.stdout, "   action-log: %s\n", printable(l))
	}
	for _, k := range sortedKeys(st.ActionResults) {
		fmt.Fprintf(s.stdout, "   result %s: %s\n", k, printable(st.ActionResults[k]))
	}
	if st.ActionFailed {
		fmt.Fprintf(s.stdout, "   action failed: %s\n", printable(st.ActionFailMessage))
	}
	return derr
}

// dispatchStep runs one dispatch and prints its exit status, duration, the lines it
// logged and the buffer's rows; a non-zero exit is an error.
func dispatchStep(ctx context.Context, s *streams, w *workspace, h e2e.Hook) (e2e.Result, error) {
	res, err := w.unit.Dispatch(ctx, h)
	if err != nil {
		return res, err
	}
	fmt.Fprintf(s.stdout, "   %-34s exit %d  %7s\n", h, res.ExitCode, res.Duration.Round(time.Millisecond))
	for _, l := range res.Logs {
		// DEBUG and TRACE (the jhack lines, security events) are in run show DIR logs.
		if l.Level != "DEBUG" && l.Level != "TRACE" {
			fmt.Fprintf(s.stdout, "      juju-log %s: %s\n", l.Level, printable(l.Message))
		}
	}
	if out := strings.TrimSpace(string(res.Output)); out != "" && res.ExitCode != 0 {
		fmt.Fprintf(s.stdout, "      output: %s\n", printable(strings.ReplaceAll(out, "\n", " | ")))
	}
	stats, err := w.unit.BufferStats(ctx)
	if err != nil {
		return res, err
	}
	fmt.Fprintf(s.stdout, "   buffer: %s waiting\n", plural(stats.Rows, "row"))
	if res.ExitCode != 0 {
		return res, fmt.Errorf("%s: the charm exited with status %d", h, res.ExitCode)
	}
	return res, nil
}

// splitRelationHook splits db-relation-changed into db and changed.
func splitRelationHook(name string) (endpoint, kind string, ok bool) {
	for _, k := range []string{"created", "joined", "changed", "departed", "broken"} {
		if ep, found := strings.CutSuffix(name, "-relation-"+k); found && ep != "" {
			return ep, k, true
		}
	}
	return "", "", false
}

// hookRelation is the relation a relation hook is for: ref, or the only relation of
// the endpoint.
func hookRelation(st *fakejuju.State, endpoint, ref string) (*fakejuju.Relation, error) {
	if ref != "" {
		return relationByRef(st, ref)
	}
	var found []*fakejuju.Relation
	for _, r := range st.Relations {
		if r.Endpoint == endpoint {
			found = append(found, r)
		}
	}
	if len(found) != 1 {
		return nil, usagef("%d %s relations: give --relation ENDPOINT:ID", len(found), endpoint)
	}
	return found[0], nil
}

func firstRemoteUnit(rel *fakejuju.Relation) string {
	units := sortedKeys(rel.RemoteUnitsData)
	if len(units) == 0 {
		return ""
	}
	return units[0]
}
