package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
)

// flagSet is a command's flags and its usage text. -h prints the usage (the text, then
// the flags) to stdout; a parse error prints nothing here, since parse returns it as a
// usage error that Run prints once.
type flagSet struct {
	*flag.FlagSet
	usage  string
	stdout io.Writer
}

func newFlagSet(s *streams, name, usage string) *flagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return &flagSet{FlagSet: fs, usage: usage, stdout: s.stdout}
}

func (fs *flagSet) printUsage() {
	fmt.Fprint(fs.stdout, fs.usage)
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	if n > 0 {
		fmt.Fprint(fs.stdout, "\nFlags:\n\n")
		fs.SetOutput(fs.stdout)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
}

// parse parses flags wherever they appear among the arguments ("send DB --url U" as well
// as "send --url U DB"), which the flag package alone does not: it stops at the first
// argument that is not a flag. Everything after "--" is an argument. It returns the
// arguments that are not flags, which must be wantArgs many.
func (fs *flagSet) parse(args []string, wantArgs int, argNames string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fs.printUsage()
				return nil, err
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
	if wantArgs >= 0 && len(positional) != wantArgs { // a negative wantArgs takes any number
		return nil, usagef("want %s, got %d argument(s)", argNames, len(positional))
	}
	return positional, nil
}
