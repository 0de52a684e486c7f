package reliability

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/charmtrace/charmtrace/tracing"
)

// dbFiles keeps the databases and their sidecar files out of a listing of modes.
func dbFiles(modes map[string]fs.FileMode) map[string]fs.FileMode {
	out := map[string]fs.FileMode{}
	for name, m := range modes {
		if strings.HasPrefix(name, tracing.BufferFile) || strings.HasPrefix(name, stateFile) {
			out[name] = m
		}
	}
	return out
}

// loose lists the files of modes that are not 0600.
func loose(modes map[string]fs.FileMode) []string {
	var out []string
	for name, m := range modes {
		if m != 0o600 {
			out = append(out, fmt.Sprintf("%s %v", name, m))
		}
	}
	slices.Sort(out)
	return out
}

// containsAll reports whether every name of want is in seen. A sidecar that exists only
// for a moment (the buffer's rollback journal while a fresh file is created) may be seen
// too; it is held to 0600 like the others.
func containsAll(seen, want []string) bool {
	for _, w := range want {
		if !slices.Contains(seen, w) {
			return false
		}
	}
	return true
}

func names(modes map[string]fs.FileMode) []string {
	var out []string
	for name := range modes {
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}

// testPermissions runs a dispatch that writes to both databases in a child process
// with umask 0, on a fresh charm directory and on one whose databases and sidecar
// files were left 0644, and looks at the modes while both databases are open and
// after the dispatch.
func testPermissions(t *testing.T, sum *summary) {
	dir := t.TempDir()
	fresh := runPermsChild(t, dir)
	during, after := dbFiles(fresh.During), dbFiles(fresh.After)
	want := []string{tracing.BufferFile, tracing.BufferFile + "-shm", tracing.BufferFile + "-wal", stateFile, stateFile + "-journal"}
	seen := names(during)
	sum.check(t, "7", "permissions: fresh databases and sidecars, umask 0",
		"0600: "+strings.Join(want, ", "),
		fmt.Sprintf("during the dispatch %v, not 0600: %v; afterwards not 0600: %v; exit %d, warnings %d", seen, loose(during), loose(after), fresh.Status, len(fresh.Warnings)),
		containsAll(seen, want) && len(loose(during)) == 0 && len(loose(after)) == 0 && fresh.Status == 0 && len(fresh.Warnings) == 0)

	// Loosen everything a previous dispatch left, and leave empty sidecar files as a
	// crashed process or an older library could.
	for _, name := range want {
		p := filepath.Join(dir, name)
		if _, err := os.Stat(p); err != nil {
			if err := os.WriteFile(p, nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.Chmod(p, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	old := runPermsChild(t, dir)
	during, after = dbFiles(old.During), dbFiles(old.After)
	sum.check(t, "7", "permissions: pre-existing 0644 databases and sidecars, umask 0",
		"all tightened to 0600",
		fmt.Sprintf("during the dispatch %v, not 0600: %v; afterwards not 0600: %v; exit %d, warnings %d", names(during), loose(during), loose(after), old.Status, len(old.Warnings)),
		len(during) >= 2 && len(loose(during)) == 0 && len(loose(after)) == 0 && old.Status == 0 && len(old.Warnings) == 0)
}
