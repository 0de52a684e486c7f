package reliability

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/charmtrace/charmtrace/charmhooks"
	"github.com/charmtrace/charmtrace/tracing"
)

// testSymlinks plants a symbolic link at each database and sidecar path of a fresh
// charm directory, pointing at a file outside it, and runs one dispatch that writes to
// both databases. No link is ever followed: the target keeps its content and mode. The
// trace buffer moves the link aside with one warning and buffers the dispatch in a fresh
// file; the state database refuses the link (the charm's state is never discarded), so the
// handler that asks for state gets an error naming it, and the dispatch is still traced.
func testSymlinks(t *testing.T, sum *summary) {
	var paths []string
	for _, db := range []string{tracing.BufferFile, stateFile} {
		for _, s := range []string{"", "-wal", "-shm", "-journal"} {
			paths = append(paths, db+s)
		}
	}
	for _, name := range paths {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "charm")
			u, err := newFakeUnit(dir, "symlink/0")
			if err != nil {
				t.Fatal(err)
			}
			target := filepath.Join(t.TempDir(), "precious")
			if err := os.WriteFile(target, []byte("not the charm's"), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
				t.Fatal(err)
			}
			// The charm's error goes to stderr, which Juju copies into the unit's log.
			stderrFile, err := os.Create(filepath.Join(t.TempDir(), "stderr"))
			if err != nil {
				t.Fatal(err)
			}
			realStderr := os.Stderr
			os.Stderr = stderrFile
			status := u.dispatch("update-status", nil, workSetup(1))
			os.Stderr = realStderr
			stderrFile.Close()
			stderr, _ := os.ReadFile(stderrFile.Name())
			warns := u.logs(0, charmhooks.LogWarning)
			errs := u.logs(0, charmhooks.LogError)

			var problems []string
			content, _ := os.ReadFile(target)
			fi, err := os.Stat(target)
			if err != nil || fi.Mode().Perm() != 0o644 || string(content) != "not the charm's" {
				problems = append(problems, "the target was touched")
			}
			fi, err = os.Lstat(filepath.Join(dir, name))
			linkStays := err == nil && fi.Mode()&os.ModeSymlink != 0
			st, err := readBuffer(bufferPath(dir), true)
			if err != nil {
				problems = append(problems, "buffer: "+err.Error())
			}

			var expected string
			var ok bool
			if strings.HasPrefix(name, tracing.BufferFile) {
				moved, _ := filepath.Glob(filepath.Join(dir, name+".symlink-*"))
				expected = "exit 0, target untouched, link moved aside, one warning, dispatch buffered"
				ok = status == 0 && !linkStays && len(moved) == 1 && len(warns) == 1 && len(st.rows) > 0
			} else {
				mentioned := false
				for _, l := range append(append(warns, errs...), string(stderr)) {
					mentioned = mentioned || strings.Contains(l, name+" is a symbolic link")
				}
				expected = "target untouched, link refused and left; the handler asking for state fails (exit 1) with an error naming the link; dispatch buffered"
				ok = status == 1 && linkStays && mentioned && len(st.rows) > 0
			}
			observed := fmt.Sprintf("exit %d, link left in place %v, %d rows buffered, warnings %s, errors %s, stderr %q %v",
				status, linkStays, len(st.rows), quoteAll(truncateAll(warns)), quoteAll(truncateAll(errs)), truncate(string(stderr)), problems)
			t.Log(observed)
			sum.check(t, "3", "symbolic link at "+name, expected, observed, ok && len(problems) == 0)
		})
	}
}
