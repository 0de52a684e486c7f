package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
)

const pullUsage = `Usage: charmtrace pull [-m MODEL] [-o DIR] [--state] UNIT|APP

Copies the trace buffer of a unit (my-app/0), or of every unit of an application
(my-app), into DIR (default: the current directory) as APP-N.tracing-data.db, one
self-contained SQLite file per unit, mode 0600. With --state it copies the unit state
database instead, as APP-N.unit-state.db. A copy already there is replaced.

The Juju CLI does the work and must be installed and logged in; MODEL is named as the
Juju CLI names it ([controller:]model). On each unit, juju exec runs under the unit's
hook lock and copies the database with its -wal or -journal into a private temporary
directory; juju ssh brings that over as root (sudo on a machine, the "charm" container
on Kubernetes) and removes it. The copy is then checked with SQLite's integrity_check
and compacted into one file. Nothing is written to the unit's own files.

A progress line per unit goes to stderr. The exit code is 1 when any unit failed.
`

func runPull(ctx context.Context, s *streams, args []string) error {
	fs := newFlagSet(s, "pull", pullUsage)
	model := fs.String("m", "", "the `MODEL` ([controller:]model) as the Juju CLI names it; default: the current model")
	outDir := fs.String("o", ".", "write the copies into `DIR`")
	state := fs.Bool("state", false, "copy the unit state database (.unit-state.db) instead of the trace buffer")
	pos, err := fs.parse(args, 1, "one unit or application")
	if err != nil {
		return err
	}
	f := bufferFile
	if *state {
		f = stateFile
	}
	if fi, err := os.Stat(*outDir); err != nil || !fi.IsDir() {
		return fmt.Errorf("-o %s: not a directory", *outDir)
	}
	j, err := newJujuCLI(*model)
	if err != nil {
		return err
	}
	units, err := resolveUnits(ctx, j, pos[0])
	if err != nil {
		return err
	}
	return eachUnit(s, units, func(u unitRef) error {
		dst := filepath.Join(*outDir, u.localName(f.name))
		size, err := pullOne(ctx, s, j, u, f, dst)
		if err != nil {
			return err
		}
		fmt.Fprintf(s.stderr, "%s: %s integrity ok, %s\n", u.name, dst, humanBytes(size))
		fmt.Fprintln(s.stdout, dst)
		return nil
	})
}

// pullOne copies f off u to dst. It works in a private directory beside dst, so that the
// finished copy is renamed into place and a failed one leaves nothing behind.
func pullOne(ctx context.Context, s *streams, j *jujuCLI, u unitRef, f unitFile, dst string) (int64, error) {
	work, err := os.MkdirTemp(filepath.Dir(dst), ".charmtrace-pull-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(work)
	tmp := filepath.Join(work, filepath.Base(dst))
	if err := copyFromUnit(ctx, s, j, u, f, work, tmp); err != nil {
		return 0, err
	}
	fi, err := os.Stat(tmp)
	if err != nil {
		return 0, err
	}
	if err := os.Rename(tmp, dst); err != nil {
		return 0, err
	}
	return fi.Size(), nil
}
