package main

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// unitFile is a SQLite database a charm keeps in its charm directory, with the files
// SQLite may keep beside it. A copy needs them: the trace buffer's recent commits live in
// its -wal until a checkpoint, and the state database's -journal is what rolls back a
// dispatch killed half-way.
type unitFile struct {
	name     string // in the charm directory
	sidecars []string
	what     string // for messages
	missing  string // why a unit may not have it yet
}

var (
	bufferFile = unitFile{
		name: ".tracing-data.db", sidecars: []string{"-wal"}, what: "trace buffer",
		missing: "no dispatch has run with charmtrace on it yet",
	}
	stateFile = unitFile{
		name: ".unit-state.db", sidecars: []string{"-journal", "-wal"}, what: "unit state database",
		missing: "no handler has deferred an event or stored a value on it yet",
	}
)

// errNotOnUnit is wrapped when the unit has no such file.
var errNotOnUnit = errors.New("not on the unit")

// Markers the script on the unit prints, so that its lines can be told from anything else
// in juju exec's output (which mixes the command's stdout and stderr).
const marker = "charmtrace-unit:"

// copyScript is the shell script juju exec runs on the unit, as root, under the hook lock
// (--parallel=false: the uniter takes the machine lock, so no hook of this unit, nor any
// other on the machine, runs while it copies). It copies the database and its sidecars
// into a new private directory and prints that directory, each file's size and SHA-256.
// The lock is what makes the copy consistent; comparing each file's size and
// modification time before and after is a second guard, for a writer that does not
// take it.
func copyScript(dir string, f unitFile) string {
	list := shellQuote(f.name)
	for _, s := range f.sidecars {
		list += " " + shellQuote(f.name+s)
	}
	return `set -u
umask 077
cd ` + shellQuote(dir) + ` 2>/dev/null && [ -f ` + shellQuote(f.name) + ` ] || { echo "` + marker + ` missing"; exit 0; }
d=$(mktemp -d "${TMPDIR:-/tmp}/charmtrace.XXXXXXXX") || exit 1
files() { for f in ` + list + `; do [ -f "$f" ] && printf '%s\n' "$f"; done; }
stamp() { for f in $(files); do stat -c '%n %s %y' "$f" 2>/dev/null; done; }
i=0
while :; do
	i=$((i+1))
	rm -f "$d"/.[!.]*
	before=$(stamp)
	# A copy that fails may be a -wal that a writer removed as it closed the database:
	# it is tried again, and only the fifth failure is final.
	failed=
	for f in $(files); do cp -- "$f" "$d/$f" 2>"$d/err" || { failed=$f; break; }; done
	[ -z "$failed" ] && [ "$before" = "$(stamp)" ] && { rm -f "$d/err"; break; }
	if [ "$i" -ge 5 ]; then
		[ "$failed" = ` + shellQuote(f.name) + ` ] && [ -e "$failed" ] && { cat "$d/err" >&2; rm -rf "$d"; exit 1; }
		rm -rf "$d"; echo "` + marker + ` busy"; exit 0
	fi
	sleep 1
done
echo "` + marker + ` dir $d"
cd "$d" || exit 1
for f in .[!.]*; do
	[ -f "$f" ] || continue
	sum=$(sha256sum < "$f" 2>/dev/null) || sum=-
	echo "` + marker + ` file $f $(stat -c %s "$f") ${sum%% *}"
done
`
}

// streamScript writes the copied files as a tar stream to stdout and removes the copy,
// whatever happened.
func streamScript(dir string, names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = shellQuote(n)
	}
	return `cd ` + shellQuote(dir) + ` && tar -cf - -- ` + strings.Join(q, " ") + `; rc=$?; rm -rf ` + shellQuote(dir) + `; exit $rc`
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// remoteDirRE is what mktemp -d on the unit prints; anything else is not put into a
// command line.
var remoteDirRE = regexp.MustCompile(`^/[A-Za-z0-9._/-]*/charmtrace\.[A-Za-z0-9]+$`)

// remoteCopy is what the copy script reported.
type remoteCopy struct {
	dir   string
	files map[string]remoteFileInfo
	order []string
}

type remoteFileInfo struct {
	size   int64
	sha256 string // "" when the unit has no sha256sum
}

func parseCopyOutput(out []byte, f unitFile) (*remoteCopy, error) {
	rc := &remoteCopy{files: map[string]remoteFileInfo{}}
	allowed := map[string]bool{f.name: true}
	for _, s := range f.sidecars {
		allowed[f.name+s] = true
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		fields := strings.Fields(strings.TrimPrefix(strings.TrimSpace(sc.Text()), marker))
		if !strings.HasPrefix(strings.TrimSpace(sc.Text()), marker) || len(fields) == 0 {
			continue
		}
		switch fields[0] {
		case "missing":
			return nil, errNotOnUnit
		case "busy":
			return nil, errors.New("the file kept changing while it was copied, five times in a row; try again when the unit is idle")
		case "dir":
			if len(fields) != 2 || !remoteDirRE.MatchString(fields[1]) {
				return nil, fmt.Errorf("the unit reported an unexpected copy directory %q", printable(strings.Join(fields[1:], " ")))
			}
			rc.dir = fields[1]
		case "file":
			if len(fields) != 4 || !allowed[fields[1]] {
				return nil, fmt.Errorf("the unit reported an unexpected file %q", printable(strings.Join(fields[1:], " ")))
			}
			n, err := strconv.ParseInt(fields[2], 10, 64)
			if err != nil || n < 0 {
				return nil, fmt.Errorf("the unit reported size %q for %s", printable(fields[2]), fields[1])
			}
			sum := fields[3]
			if sum == "-" {
				sum = ""
			}
			rc.files[fields[1]] = remoteFileInfo{size: n, sha256: sum}
			rc.order = append(rc.order, fields[1])
		}
	}
	if rc.dir == "" {
		return nil, errors.New("the copy script on the unit did not report a copy")
	}
	if _, ok := rc.files[f.name]; !ok {
		return nil, fmt.Errorf("the unit copied no %s", f.name)
	}
	return rc, nil
}

// maxCopyBytes bounds what one copy may bring over: a buffer is capped at 40 MiB plus its
// log; anything far larger is not a charm's database.
const maxCopyBytes = 1 << 30

// fetchRaw copies f's database and sidecars from the unit into dir (a private directory),
// under their own names, and checks their sizes and checksums against what the unit
// reported. It leaves nothing on the unit: the copy there is removed by the command that
// streams it, or, if that fails, by one more juju exec.
func fetchRaw(ctx context.Context, j *jujuCLI, u unitRef, f unitFile, dir string) error {
	out, err := j.run(ctx, nil, "exec", "--unit", u.name, "--parallel=false", "--",
		copyScript(u.charmDir(), f))
	if err != nil {
		return fmt.Errorf("copying %s on unit %s: %w", f.name, u.name, err)
	}
	rc, err := parseCopyOutput(out, f)
	if errors.Is(err, errNotOnUnit) {
		return fmt.Errorf("unit %s has no %s in %s yet: %s", u.name, f.name, u.charmDir(), f.missing)
	}
	if err != nil {
		return fmt.Errorf("copying %s on unit %s: %w", f.name, u.name, err)
	}
	streamErr := streamFiles(ctx, j, u, rc, dir)
	if streamErr != nil {
		// The stream command removes the copy when it runs; it may not have run at all.
		// Removal runs even when ctx is cancelled, bounded on its own.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		if _, err := j.run(cctx, nil, "exec", "--unit", u.name, "--", "rm -rf "+shellQuote(rc.dir)); err != nil {
			streamErr = fmt.Errorf("%w\n(the copy %s may be left on the unit: %v)", streamErr, rc.dir, err)
		}
		return fmt.Errorf("fetching %s from unit %s: %w", f.name, u.name, streamErr)
	}
	return nil
}

// streamFiles runs tar on the unit over juju ssh (as root: sudo on a machine, the charm
// container's own root on Kubernetes) and unpacks the files it expects into dir.
func streamFiles(ctx context.Context, j *jujuCLI, u unitRef, rc *remoteCopy, dir string) error {
	script := streamScript(rc.dir, rc.order)
	args := []string{"--pty=false"}
	remote := "sudo -n sh -c " + shellQuote(script)
	if u.k8s {
		args = append(args, "--container", "charm")
		remote = "sh -c " + shellQuote(script)
	}
	args = append(args, u.name, remote)

	// A stream that is not what was asked for stops juju at once (cancel kills it): a
	// unit must not be able to keep the command reading for ever.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	stopped := false // the stream was refused and juju killed; read after done
	go func() {
		err := untar(pr, rc, dir)
		if err == nil {
			// After the archive, tar pads to its record size; more than that is not tar.
			if n, _ := io.CopyN(io.Discard, pr, 1<<20); n == 1<<20 {
				err = errors.New("the copy stream goes on after the archive")
			}
		}
		if err != nil && !errors.Is(err, errStreamEnded) {
			stopped = true
			cancel()
			io.Copy(io.Discard, pr) // until juju has exited and the pipe is closed
		}
		done <- err
	}()
	_, runErr := j.run(ctx, pw, "ssh", args...)
	pw.Close()
	tarErr := <-done
	// juju's own failure says more than the short stream it left, unless the stream
	// was refused first and that is why juju was stopped.
	if runErr != nil && !stopped {
		return runErr
	}
	if tarErr != nil {
		return tarErr
	}
	return runErr
}

// errStreamEnded is wrapped when the copy stream ends before every file arrived.
var errStreamEnded = errors.New("the copy stream ended early")

// untar writes the expected files of the tar stream r into dir with mode 0600 and checks
// each against the size and checksum the unit reported. Anything else in the stream is an
// error: a name that is not expected is never written.
func untar(r io.Reader, rc *remoteCopy, dir string) error {
	tr := tar.NewReader(r)
	got := map[string]bool{}
	var total int64
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("reading the copy stream: %w", err)
		}
		name := strings.TrimPrefix(h.Name, "./")
		want, ok := rc.files[name]
		if !ok || h.Typeflag != tar.TypeReg || got[name] {
			return fmt.Errorf("the copy stream holds an unexpected entry %q", printable(h.Name))
		}
		if h.Size != want.size {
			return fmt.Errorf("%s is %d bytes in the copy stream, the unit copied %d", name, h.Size, want.size)
		}
		if total += h.Size; total > maxCopyBytes {
			return fmt.Errorf("the copy is larger than %d bytes: not a charm's database", maxCopyBytes)
		}
		if err := writeEntry(tr, filepath.Join(dir, name), want); err != nil {
			return err
		}
		got[name] = true
	}
	for _, n := range rc.order {
		if !got[n] {
			return fmt.Errorf("%w: without %s", errStreamEnded, n)
		}
	}
	return nil
}

func writeEntry(r io.Reader, path string, want remoteFileInfo) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), io.LimitReader(r, want.size))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("reading the copy stream: %s: %w", filepath.Base(path), err)
	}
	if n != want.size {
		return fmt.Errorf("%s: the copy stream ended after %d of %d bytes", filepath.Base(path), n, want.size)
	}
	if sum := hex.EncodeToString(h.Sum(nil)); want.sha256 != "" && sum != want.sha256 {
		return fmt.Errorf("%s: checksum %s differs from the unit's %s: the copy was damaged in transit", filepath.Base(path), sum, printable(want.sha256))
	}
	return nil
}
