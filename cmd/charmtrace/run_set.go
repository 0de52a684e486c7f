package main

import (
	"context"
	"strconv"

	"github.com/charmtrace/charmtrace/internal/fakejuju"
)

// runSet changes what Juju or the other side of a relation holds: config, leadership,
// a remote databag.
func runSet(ctx context.Context, s *streams, args []string) error {
	fs := newFlagSet(s, "run set", runUsage)
	pos, err := fs.parse(args, -1, "DIR, what to set and its values")
	if err != nil {
		return err
	}
	if len(pos) < 3 {
		return usagef("want DIR, config|leader|app-data|unit-data and values")
	}
	w, err := openWorkspace(pos[0])
	if err != nil {
		return err
	}
	what, rest := pos[1], pos[2:]
	return w.update(func(st *fakejuju.State) error {
		switch what {
		case "config":
			config, err := configValues(rest)
			if err != nil {
				return err
			}
			if st.Config == nil {
				st.Config = map[string]any{}
			}
			for k, v := range config {
				st.Config[k] = v
			}
		case "leader":
			b, err := strconv.ParseBool(rest[0])
			if err != nil || len(rest) != 1 {
				return usagef("leader takes true or false")
			}
			st.Leader = b
		case "app-data", "unit-data":
			rel, err := relationByRef(st, rest[0])
			if err != nil {
				return err
			}
			bag := &rel.RemoteAppData
			kvs := rest[1:]
			if what == "unit-data" {
				if len(rest) < 2 {
					return usagef("unit-data takes RELATION UNIT key=value...")
				}
				b := rel.RemoteUnitsData[rest[1]]
				bag, kvs = &b, rest[2:]
				defer func() { rel.RemoteUnitsData[rest[1]] = b }()
			}
			data, err := keyValues(kvs)
			if err != nil {
				return err
			}
			if *bag == nil {
				*bag = map[string]string{}
			}
			for k, v := range data {
				if v == "" {
					delete(*bag, k)
				} else {
					(*bag)[k] = v
				}
			}
		default:
			return usagef("cannot set %q: want config, leader, app-data or unit-data", what)
		}
		return nil
	})
}
