// Package perf is charmtrace's performance suite: the benchmarks and tests behind the
// targets of internal/perf/REPORT.md that the packages' own micro-benchmarks do not cover.
//
// `bash .ci/perf.sh` runs everything and writes internal/perf/REPORT.md: the micro-
// benchmarks of buffer, exporter, charmhooks and state; the in-process benchmarks
// here; and the process-level measurements, for which it builds the drivers under
// internal/perf/cmd and measures them with hyperfine, /usr/bin/time -v and strace.
//
// Here, in-process:
//
//   - BenchmarkDispatch: a whole dispatch (tracing.Run with the fake Juju answering
//     hook tools in process) with tracing on and off, paired in every iteration, by
//     backlog size and spans per dispatch. It is what to profile when P1 misses.
//   - BenchmarkShutdownBlackhole: Shutdown against a receiver that accepts and never
//     answers, against its budget (P5).
//   - TestNoDestinationDispatch: a dispatch with no destination writes to the buffer
//     in at most two transactions and opens no socket (P8).
//   - TestReconciliationToolCalls: the hook-tool calls tracing adds to a dispatch,
//     from the fake Juju's call log, with and without the tracing relation (P9).
package perf
