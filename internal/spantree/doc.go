// Package spantree gathers OTLP spans into traces and prints them as indented
// waterfalls. It is the one renderer behind `charmtrace tree`, the demo, `charmtrace
// run` and the charmtest harness's Tree, so a golden file written from a test reads
// the same as the command's output.
package spantree
