// Command perfkit sets up and reads back the process-level measurements of the perf
// suite (.ci/perf.sh): units of a charm on the fake Juju, loopback receivers,
// pre-filled trace buffers, and the report. The measuring itself is done by the script
// with hyperfine, /usr/bin/time and strace, on the binaries it built.
//
//	perfkit unit -dir D -charm BIN -fakejuju BIN -meta charmcraft.yaml
//	perfkit relate -dir D -url URL [-ca FILE]
//	perfkit env -dir D -hook NAME [-relation ENDPOINT]
//	perfkit dispatch -dir D -hook NAME [-relation ENDPOINT] [-disable] [-n N]
//	perfkit fill -buffer FILE -bytes N -spans K
//	perfkit serve -kind discard|blackhole [-tls] -out DIR
//	perfkit p8 -dir D
//	perfkit p9 -dir D -charm BIN -fakejuju BIN -meta charmcraft.yaml
//	perfkit report -results DIR -out FILE
package main

import (
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: perfkit unit|relate|env|dispatch|fill|serve|p8|p9|report [flags]")
		os.Exit(2)
	}
	cmds := map[string]func([]string) error{
		"unit": cmdUnit, "relate": cmdRelate, "env": cmdEnv, "dispatch": cmdDispatch,
		"fill": cmdFill, "serve": cmdServe, "p8": cmdP8, "p9": cmdP9, "report": cmdReport,
	}
	fn, ok := cmds[os.Args[1]]
	if !ok {
		fmt.Fprintf(os.Stderr, "perfkit: unknown command %q\n", os.Args[1])
		os.Exit(2)
	}
	if err := fn(os.Args[2:]); err != nil {
		fmt.Fprintf(os.Stderr, "perfkit %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}
