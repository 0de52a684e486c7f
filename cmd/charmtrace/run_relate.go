package main

import (
	"context"
	"fmt"

	"github.com/charmtrace/charmtrace/internal/fakejuju"
)

// runRelate adds a relation, as `juju integrate` does, without running its hooks: the
// hooks are steps of their own, so that data can change between them.
func runRelate(ctx context.Context, s *streams, args []string) error {
	fs := newFlagSet(s, "run relate", runUsage)
	units := fs.Int("units", 1, "how many remote units (named REMOTE-APP/0, /1, ...)")
	peer := fs.Bool("peer", false, "a peer relation (REMOTE-APP is the unit's own application)")
	pos, err := fs.parse(args, 3, "DIR ENDPOINT REMOTE-APP")
	if err != nil {
		return err
	}
	w, err := openWorkspace(pos[0])
	if err != nil {
		return err
	}
	var ref string
	err = w.update(func(st *fakejuju.State) error {
		rel := &fakejuju.Relation{ID: 1, Endpoint: pos[1], RemoteApp: pos[2], Peer: *peer,
			RemoteUnitsData: map[string]map[string]string{}}
		for _, r := range st.Relations {
			rel.ID = max(rel.ID, r.ID+1)
		}
		for i := range max(*units, 0) {
			rel.RemoteUnitsData[fmt.Sprintf("%s/%d", pos[2], i)] = map[string]string{}
		}
		st.Relations = append(st.Relations, rel)
		ref = rel.Ref()
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Fprintln(s.stdout, ref)
	return nil
}
