package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

const unitFlagsHelp = `
Reading a unit instead of a file (the Juju CLI must be installed and logged in):

  --unit UNIT|APP   copy the file off a unit (my-app/0), or off every unit of an
                    application (my-app) in turn, and work on the copy; give no file
  -m MODEL          the model, as the Juju CLI names it ([controller:]model)

The copy is taken with juju exec under the unit's hook lock, brought over with juju ssh,
checked with SQLite's integrity_check, and removed when the command returns.
`

// copyTimeout bounds one unit's copy, all juju commands included. juju exec waits for the
// hook lock behind a running hook, which may take minutes; a copy of a capped buffer
// takes seconds.
const copyTimeout = 15 * time.Minute

// unitOptions are the flags with which a file command reads a unit instead.
type unitOptions struct {
	target string // --unit: a unit or an application
	model  string // -m
}

// takeUnitFlags removes --unit and -m (in any of the flag package's spellings) from args,
// up to a "--", and returns them with the rest, for the command's own flag set.
func takeUnitFlags(args []string) (unitOptions, []string, error) {
	var o unitOptions
	var rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			rest = append(rest, args[i:]...)
			break
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || (name != "unit" && name != "m" && name != "model") {
			rest = append(rest, a)
			continue
		}
		if !hasValue {
			if i+1 >= len(args) {
				return o, nil, usagef("flag needs an argument: %s", a)
			}
			i++
			value = args[i]
		}
		if value == "" {
			return o, nil, usagef("%s needs a value", a)
		}
		if name == "unit" {
			o.target = value
		} else {
			o.model = value
		}
	}
	return o, rest, nil
}

// onUnit lets a command that reads one file of kind f read it off a unit: with --unit,
// each unit's file is copied into a private directory, run is called with the copy as
// its file argument, and the directory is removed. perUnitHeader prints "unit NAME" on
// stdout before each unit's output when there are several (for output read by people;
// export's and send's stay as they are).
func onUnit(f unitFile, perUnitHeader bool, run func(context.Context, *streams, []string) error) func(context.Context, *streams, []string) error {
	return func(ctx context.Context, s *streams, args []string) error {
		o, rest, err := takeUnitFlags(args)
		if err != nil {
			return err
		}
		if o.target == "" || slices.ContainsFunc(rest, isHelpFlag) {
			if o.model != "" && o.target == "" {
				return usagef("-m is for --unit")
			}
			err := run(ctx, s, rest)
			if errors.Is(err, flag.ErrHelp) {
				fmt.Fprint(s.stdout, unitFlagsHelp)
			}
			return err
		}
		j, err := newJujuCLI(o.model)
		if err != nil {
			return err
		}
		units, err := resolveUnits(ctx, j, o.target)
		if err != nil {
			return err
		}
		return eachUnit(s, units, func(u unitRef) error {
			return withUnitCopy(ctx, s, j, u, f, func(path string) error {
				if perUnitHeader && len(units) > 1 {
					fmt.Fprintf(s.stdout, "unit %s\n", u.name)
				}
				return run(ctx, s, append(rest, path))
			})
		})
	}
}

func isHelpFlag(a string) bool { return a == "-h" || a == "-help" || a == "--help" }

// eachUnit calls fn for every unit and goes on after a failure, which it prints with the
// unit's name. One unit's error is returned as it is; for several, the exit code is the
// partial-send code when that is all that happened, and 1 otherwise.
func eachUnit(s *streams, units []unitRef, fn func(unitRef) error) error {
	if len(units) == 1 {
		return fn(units[0])
	}
	failed, partial := 0, 0
	for _, u := range units {
		err := fn(u)
		if err == nil {
			continue
		}
		var exit *exitError
		if errors.As(err, &exit) && exit.code == exitPartial {
			partial++
		} else {
			failed++
		}
		fmt.Fprintf(s.stderr, "%s: %v\n", u.name, err)
	}
	switch {
	case failed > 0:
		return fmt.Errorf("%d of %d units failed", failed+partial, len(units))
	case partial > 0:
		return &exitError{code: exitPartial, err: fmt.Errorf("%d of %d units were not sent in full", partial, len(units))}
	}
	return nil
}

// withUnitCopy copies f off u into a private temporary directory, calls fn with the
// checked copy, and removes the directory, whatever happens.
func withUnitCopy(ctx context.Context, s *streams, j *jujuCLI, u unitRef, f unitFile, fn func(path string) error) error {
	tmp, err := os.MkdirTemp("", "charmtrace-unit-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	path := filepath.Join(tmp, u.localName(f.name))
	if err := copyFromUnit(ctx, s, j, u, f, tmp, path); err != nil {
		return err
	}
	return fn(path)
}

// copyFromUnit copies f off u and leaves the checked, self-contained copy at dst. work is
// a private directory for the raw files; they are removed before it returns.
func copyFromUnit(ctx context.Context, s *streams, j *jujuCLI, u unitRef, f unitFile, work, dst string) error {
	raw, err := os.MkdirTemp(work, "raw-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(raw)
	// However the unit or the network behaves, the command ends.
	ctx, cancel := context.WithTimeout(ctx, copyTimeout)
	defer cancel()
	fmt.Fprintf(s.stderr, "%s: copying %s from %s\n", u.name, f.name, u.charmDir())
	if err := fetchRaw(ctx, j, u, f, raw); err != nil {
		return err
	}
	if err := settle(ctx, raw, f, dst); err != nil {
		return fmt.Errorf("unit %s: %w", u.name, err)
	}
	return nil
}
