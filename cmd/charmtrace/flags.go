package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
)

// newFlagSet returns a flag set whose -h prints usage (the command's text, then its flags)
// to stdout. Parse errors are not printed by the flag package: parseArgs turns them into
// usage errors, which Run prints once.
func newFlagSet(s *streams, name, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		fmt.Fprint(s.stdout, usage)
		if hasFlags(fs) {
			fmt.Fprint(s.stdout, "\nFlags:\n\n")
			fs.SetOutput(s.stdout)
			fs.PrintDefaults()
			fs.SetOutput(io.Discard)
		}
	}
	return fs
}

func hasFlags(fs *flag.FlagSet) bool {
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	return n > 0
}

// parseArgs parses flags wherever they appear among the arguments ("send DB --url U" as
// well as "send --url U DB"), which the flag package alone does not: it stops at the first
// argument that is not a flag. Everything after "--" is an argument. It returns the
// arguments that are not flags, and wantArgs of them or a usage error.
func parseArgs(fs *flag.FlagSet, args []string, wantArgs int, argNames string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err // the flag package has printed the usage
			}
			return nil, usagef("%v", err)
		}
		rest := fs.Args()
		consumed := len(args) - len(rest)
		if consumed > 0 && args[consumed-1] == "--" {
			positional = append(positional, rest...)
			break
		}
		if len(rest) == 0 {
			break
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
	if len(positional) != wantArgs {
		return nil, usagef("want %s, got %d argument(s)", argNames, len(positional))
	}
	return positional, nil
}
