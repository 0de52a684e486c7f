// Package fakejujucli is a fake of the juju command line, for tests of charmtrace's unit
// access. It records every argv and answers the four commands charmtrace runs:
//
//   - status --format json [TARGET]: the model's type and units, from the Config;
//   - exec --unit U [--parallel=false] -- CMD: CMD in sh, on the unit's files;
//   - ssh [--pty=false] [--container charm] U CMD: the same, stdout passed through byte for byte;
//   - any of them failing with a given exit status, stdout and stderr.
//
// A unit's file system is a directory, Root/<app>-<n>, standing in for "/": the fake
// rewrites /var/lib/juju/ in a command to that directory's var/lib/juju/ and sets TMPDIR
// to its tmp/. exec with --parallel=false holds an exclusive flock on the unit's
// hook.lock while CMD runs, as the unit agent holds the hook lock, so a test's "dispatch"
// taking the same lock never overlaps it.
//
// The fake is the test binary itself, started through a small script named juju (see
// Install), so no separate build is needed.
package fakejujucli
