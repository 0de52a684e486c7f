package main

import (
	"context"
	"fmt"
	"strings"
)

// runShow prints what the fake Juju knows: its state (secret values left out), the
// hook-tool calls so far, or the unit's log.
func runShow(ctx context.Context, s *streams, args []string) error {
	fs := newFlagSet(s, "run show", runUsage)
	pos, err := fs.parse(args, 2, "DIR and state, calls or logs")
	if err != nil {
		return err
	}
	w, err := openWorkspace(pos[0])
	if err != nil {
		return err
	}
	st, err := w.unit.Tools.State()
	if err != nil {
		return err
	}
	out := s.stdout
	switch pos[1] {
	case "state":
		fmt.Fprintf(out, "unit %s, leader %v\n", st.Unit, st.Leader)
		fmt.Fprintf(out, "unit status %q %q, application status %q %q\n", st.UnitStatus.Status, st.UnitStatus.Message,
			st.AppStatus.Status, st.AppStatus.Message)
		for _, k := range sortedKeys(st.Config) {
			fmt.Fprintf(out, "config %s = %v\n", k, st.Config[k])
		}
		for _, r := range st.Relations {
			fmt.Fprintf(out, "relation %s to %s, remote units %v\n", r.Ref(), r.RemoteApp, sortedKeys(r.RemoteUnitsData))
			fmt.Fprintf(out, "   local app keys %v, local unit keys %v, remote app keys %v\n",
				sortedKeys(r.LocalAppData), sortedKeys(r.LocalUnitData), sortedKeys(r.RemoteAppData))
		}
		for _, sec := range st.Secrets {
			owner := sec.Owner
			if owner == "" {
				owner = "granted"
			}
			fmt.Fprintf(out, "secret %s label %q owner %s revision %d keys %v\n", sec.ID, sec.Label, owner, sec.Revision, sortedKeys(sec.Content))
		}
		for _, p := range st.Ports {
			fmt.Fprintf(out, "port %s\n", p.Spec)
		}
	case "calls":
		calls, err := w.unit.Tools.Calls()
		if err != nil {
			return err
		}
		for _, c := range calls {
			fmt.Fprintf(out, "%s %s  (exit %d, stdin %d bytes)\n", c.Tool, printable(strings.Join(c.Args, " ")), c.ExitCode, c.StdinBytes)
		}
	case "logs":
		for _, l := range st.Logs {
			fmt.Fprintf(out, "%s %s\n", l.Level, printable(l.Message))
		}
	default:
		return usagef("show %q: want state, calls or logs", pos[1])
	}
	return nil
}
