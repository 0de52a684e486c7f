// Package reliability is charmtrace's reliability and security suite: tests that
// prove, with figures, that a dispatch loses no acknowledged span, leaks no secret
// and never hangs the hook, whatever the receiver, the disk or the relation data do.
//
// The package has no API; everything is in its tests. They run the example charm
// (examples/charm) and the fake Juju hook tools as real processes through the e2e
// harness, and tracing.Run in child processes of the test binary where a test needs
// to kill a dispatch or drive many of them:
//
//  1. kill torture: dispatches SIGKILLed at random moments; both databases pass
//     integrity_check, acknowledged spans are kept or delivered, at most one request
//     (up to 1 MiB of rows) delivers spans a second time per kill, the state database is committed or not, never torn;
//  2. receiver fault matrix: refused, blackhole, slow, 500, 503 with Retry-After,
//     429, 400, 413, redirect and five TLS failures, with the hook's wall time and
//     what is left in the buffer;
//  3. bad buffers: a corrupt or truncated file, a directory at the path, a read-only
//     charm directory, a full disk;
//  4. hostile relation data through a whole dispatch;
//  5. a secret sentinel scan of everything a lifecycle leaves behind or sends;
//  6. two processes on one buffer, and many units draining into one receiver that
//     answers 429 to half the requests;
//  7. file modes of both databases and their sidecar files.
//
// Each check adds a row (case, expected, observed, pass) to a summary table that
// TestSuite logs at the end.
//
// The short suite runs with the rest of the tests:
//
//	go test -race ./internal/reliability
//
// The long one (1000 kill iterations, 50 units, and REPORT.md written beside the
// tests) runs with
//
//	go test ./internal/reliability -run TestSuite -v -timeout 60m -args -long
//
// or CHARMTRACE_LONG=1; .ci/reliability.sh runs it and then the fuzz targets of
// the relation and OTLP/JSON parsers. Some cases need root (mount); without it they
// are skipped with a message.
package reliability
