package reliability

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/charmtrace/charmtrace/internal/e2e"
	"github.com/charmtrace/charmtrace/state"
	"github.com/charmtrace/charmtrace/tracing"
)

// The unit's own files the bad-buffer cases must leave alone: a committed value in the
// unit state database and a workload file beside the charm.
const (
	seedKey      = "seed"
	seedValue    = "kept across a broken trace buffer"
	workloadFile = "workload.conf"
)

// seed writes the unit's own files into charmDir.
func seed(t *testing.T, charmDir string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(charmDir, workloadFile), []byte("port = 5432\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	db, err := state.Open(filepath.Join(charmDir, stateFile))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	d, err := db.Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Set(t.Context(), stateOwner, seedKey, seedValue); err != nil {
		t.Fatal(err)
	}
	if err := d.Commit(); err != nil {
		t.Fatal(err)
	}
}

// snapshot hashes every file and symlink of charmDir that is neither the trace buffer
// (with its sidecars and moved-aside copies) nor the state database, which a dispatch
// opens and may legitimately rewrite; the state's content is checked by unharmed.
func snapshot(t *testing.T, charmDir string) map[string][32]byte {
	t.Helper()
	des, err := os.ReadDir(charmDir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][32]byte{}
	for _, de := range des {
		name := de.Name()
		if strings.HasPrefix(name, tracing.BufferFile) || strings.HasPrefix(name, stateFile) || name == "filler" {
			continue
		}
		p := filepath.Join(charmDir, name)
		var data []byte
		if de.Type()&os.ModeSymlink != 0 {
			link, err := os.Readlink(p)
			if err != nil {
				t.Fatal(err)
			}
			data = []byte("-> " + link)
		} else if de.Type().IsRegular() {
			if data, err = os.ReadFile(p); err != nil {
				t.Fatal(err)
			}
		} else {
			data = []byte("dir")
		}
		out[name] = sha256.Sum256(data)
	}
	return out
}

// unharmed checks the unit's own files after a dispatch: the same bytes as in before,
// and the state database sound with its committed value.
func unharmed(t *testing.T, charmDir string, before map[string][32]byte) (string, bool) {
	t.Helper()
	after := snapshot(t, charmDir)
	var changed []string
	for name, h := range before {
		if after[name] != h {
			changed = append(changed, name)
		}
	}
	verdict, err := integrityCheck(filepath.Join(charmDir, stateFile))
	if err != nil || verdict != "ok" {
		return fmt.Sprintf("state DB integrity_check %q, %v", verdict, err), false
	}
	value, err := seedOf(t.Context(), charmDir)
	if err != nil || value != seedValue {
		return fmt.Sprintf("state DB value %q, %v", value, err), false
	}
	if len(changed) > 0 {
		return fmt.Sprintf("changed: %v", changed), false
	}
	return fmt.Sprintf("state DB ok with its value, %d other files unchanged", len(before)), true
}

// seedOf reads the seeded value without writing (a read-only charm directory must
// stay as it is).
func seedOf(ctx context.Context, charmDir string) (string, error) {
	db, err := state.Open(filepath.Join(charmDir, stateFile))
	if err != nil {
		return "", err
	}
	defer db.Close()
	d, err := db.Begin(ctx)
	if err != nil {
		return "", err
	}
	defer d.Rollback()
	v, _, err := state.Load[string](ctx, d, stateOwner, seedKey)
	return v, err
}

// badBufferCase breaks something about the buffer of a seeded unit, then runs hooks.
type badBufferCase struct {
	name     string
	expected string
	bug      string // a known bug that keeps the case from passing; see summary.knownBug
	// run breaks the unit and dispatches; it returns the results whose warnings are
	// counted, and what it observed beyond them.
	run func(t *testing.T, u *e2e.Unit) (results []e2e.Result, observed string, ok bool)
}

func badBufferCases() []badBufferCase {
	garbage := bytes.Repeat([]byte("this is not an SQLite database\n"), 2000)
	return []badBufferCase{
		{"corrupt file (text at the path)", "exit 0, one warning, file moved aside intact, fresh buffer used", "",
			func(t *testing.T, u *e2e.Unit) ([]e2e.Result, string, bool) {
				if err := os.WriteFile(u.BufferPath(), garbage, 0o600); err != nil {
					t.Fatal(err)
				}
				res := dispatch(t, u, e2e.Hook{Name: "install"})
				aside, _ := filepath.Glob(u.BufferPath() + ".corrupt-*")
				var kept bool
				if len(aside) == 1 {
					data, err := os.ReadFile(aside[0])
					kept = err == nil && bytes.Equal(data, garbage)
				}
				st, err := readBuffer(u.BufferPath(), true)
				return []e2e.Result{res}, fmt.Sprintf("moved aside: %d file(s), bytes kept %v; new buffer: %d rows, %v", len(aside), kept, len(st.rows), err),
					kept && err == nil && len(st.rows) > 0
			}},
		{"truncated file (half of a buffer with rows)", "exit 0, at most one warning, a sound buffer afterwards", "",
			func(t *testing.T, u *e2e.Unit) ([]e2e.Result, string, bool) {
				dispatch(t, u, e2e.Hook{Name: "install"})
				dispatch(t, u, e2e.Hook{Name: "start"})
				info, err := os.Stat(u.BufferPath())
				if err != nil {
					t.Fatal(err)
				}
				if err := os.Truncate(u.BufferPath(), info.Size()/2); err != nil {
					t.Fatal(err)
				}
				res := dispatch(t, u, e2e.Hook{Name: "update-status"})
				res2 := dispatch(t, u, e2e.Hook{Name: "update-status"})
				verdict, err := integrityCheck(u.BufferPath())
				st, rerr := readBuffer(u.BufferPath(), true)
				aside, _ := filepath.Glob(u.BufferPath() + ".corrupt-*")
				return []e2e.Result{res, res2}, fmt.Sprintf("%d → %d bytes; integrity_check %q %v; %d rows readable (%v); %d moved aside; second hook warnings %d",
						info.Size(), info.Size()/2, verdict, err, len(st.rows), rerr, len(aside), len(warnings(res2))),
					verdict == "ok" && rerr == nil && len(st.rows) > 0 && len(warnings(res2)) == 0
			}},
		{"a directory at the path", "exit 0, one warning (tracing off), the directory left alone", "",
			func(t *testing.T, u *e2e.Unit) ([]e2e.Result, string, bool) {
				inside := filepath.Join(u.BufferPath(), "keep")
				if err := os.Mkdir(u.BufferPath(), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(inside, []byte("x"), 0o600); err != nil {
					t.Fatal(err)
				}
				res := dispatch(t, u, e2e.Hook{Name: "install"})
				info, err := os.Stat(u.BufferPath())
				_, kerr := os.Stat(inside)
				return []e2e.Result{res}, fmt.Sprintf("still a directory: %v, its file there: %v", err == nil && info.IsDir(), kerr == nil),
					err == nil && info.IsDir() && kerr == nil
			}},
		{"read-only charm directory (bind mount), buffer and state DB present", "exit 0, one warning, nothing written", "",
			func(t *testing.T, u *e2e.Unit) ([]e2e.Result, string, bool) {
				dispatch(t, u, e2e.Hook{Name: "install"})
				before := snapshotAll(t, u.CharmDir)
				writable := readOnly(t, u.CharmDir)
				res := dispatch(t, u, e2e.Hook{Name: "start"})
				same := snapshotAll(t, u.CharmDir) == before
				writable() // for the state database check, which takes the unit's lock
				return []e2e.Result{res}, fmt.Sprintf("every file byte-identical: %v", same), same
			}},
		{"full disk (1 MiB tmpfs), no buffer yet", "exit 0, one warning; the next hook with space buffers again", "",
			func(t *testing.T, u *e2e.Unit) ([]e2e.Result, string, bool) {
				smallDisk(t, u.CharmDir, 1<<20)
				filler := fill(t, u.CharmDir)
				res := dispatch(t, u, e2e.Hook{Name: "install"})
				if err := os.Remove(filler); err != nil {
					t.Fatal(err)
				}
				res2 := dispatch(t, u, e2e.Hook{Name: "start"})
				st, err := readBuffer(u.BufferPath(), true)
				return []e2e.Result{res}, fmt.Sprintf("after space returned: %d rows (%v), %d warnings", len(st.rows), err, len(warnings(res2))),
					err == nil && len(st.rows) > 0 && len(warnings(res2)) == 0
			}},
		{"disk fills during the hook (room to open the buffer, none to store)", "exit 0, one warning; stored rows intact",
			"",
			func(t *testing.T, u *e2e.Unit) ([]e2e.Result, string, bool) {
				smallDisk(t, u.CharmDir, 1<<20)
				dispatch(t, u, e2e.Hook{Name: "install"})
				st0, err := readBuffer(u.BufferPath(), true)
				if err != nil {
					t.Fatal(err)
				}
				filler := fill(t, u.CharmDir)
				// Give back what opening needs and no more: the WAL index (32 KiB) and a
				// page or two, unless the last dispatch left its log and index (a
				// dispatch keeps a small log for the next one): then opening needs no
				// new space, and any given back would hold the hook's few frames.
				if !logOpen(u.BufferPath()) {
					info, err := os.Stat(filler)
					if err != nil {
						t.Fatal(err)
					}
					if err := os.Truncate(filler, info.Size()-40<<10); err != nil {
						t.Fatal(err)
					}
				}
				res := dispatch(t, u, e2e.Hook{Name: "start"})
				if err := os.Remove(filler); err != nil {
					t.Fatal(err)
				}
				verdict, verr := integrityCheck(u.BufferPath())
				st1, err1 := readBuffer(u.BufferPath(), true)
				return []e2e.Result{res}, fmt.Sprintf("rows %d before, %d after (integrity %q %v, %v); hook output %q",
						len(st0.rows), len(st1.rows), verdict, verr, err1, res.Output),
					verdict == "ok" && err1 == nil && len(st1.rows) >= len(st0.rows)
			}},
		{"full disk (1 MiB tmpfs), buffer with rows", "exit 0, one warning; stored rows intact; buffering resumes with space", "",
			func(t *testing.T, u *e2e.Unit) ([]e2e.Result, string, bool) {
				smallDisk(t, u.CharmDir, 1<<20)
				dispatch(t, u, e2e.Hook{Name: "install"})
				st0, err := readBuffer(u.BufferPath(), true)
				if err != nil {
					t.Fatal(err)
				}
				filler := fill(t, u.CharmDir)
				res := dispatch(t, u, e2e.Hook{Name: "start"})
				// SQLite cannot even map the WAL index of a full tmpfs: look once there
				// is room again, before any other hook runs.
				if err := os.Remove(filler); err != nil {
					t.Fatal(err)
				}
				verdict, verr := integrityCheck(u.BufferPath())
				st1, err1 := readBuffer(u.BufferPath(), true)
				res2 := dispatch(t, u, e2e.Hook{Name: "update-status"})
				st2, err2 := readBuffer(u.BufferPath(), true)
				return []e2e.Result{res}, fmt.Sprintf("rows %d before, %d after the full-disk hook (integrity %q %v, %v), %d after the next hook with space (%v, %d warnings)",
						len(st0.rows), len(st1.rows), verdict, verr, err1, len(st2.rows), err2, len(warnings(res2))),
					verdict == "ok" && err1 == nil && len(st1.rows) >= len(st0.rows) && err2 == nil && len(st2.rows) > len(st1.rows) && len(warnings(res2)) == 0
			}},
	}
}

// logOpen reports whether the buffer at path has its write-ahead log and its index
// beside it: the buffer is open, or the last dispatch kept them for the next.
func logOpen(path string) bool {
	_, errWAL := os.Stat(path + "-wal")
	_, errSHM := os.Stat(path + "-shm")
	return errWAL == nil && errSHM == nil
}

// snapshotAll is every file of dir, buffer and state included, as one digest.
func snapshotAll(t *testing.T, dir string) [32]byte {
	t.Helper()
	h := sha256.New()
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, de := range des {
		info, err := de.Info()
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(h, "%s %v %d\n", de.Name(), info.Mode(), info.Size())
		if info.Mode().IsRegular() {
			data, err := os.ReadFile(filepath.Join(dir, de.Name()))
			if err != nil {
				t.Fatal(err)
			}
			h.Write(data)
		}
	}
	return [32]byte(h.Sum(nil))
}

func testBadBuffers(t *testing.T, w *world, sum *summary) {
	for _, c := range badBufferCases() {
		t.Run(c.name, func(t *testing.T) {
			u := w.unit(t, "broken/0")
			seed(t, u.CharmDir)
			before := snapshot(t, u.CharmDir)
			results, observed, ok := c.run(t, u)
			var warns []string
			for _, r := range results[:1] {
				warns = append(warns, warnings(r)...)
			}
			// Paths are the test's temporary directories: name them as a charm would.
			for i := range warns {
				warns[i] = strings.ReplaceAll(warns[i], u.CharmDir, "$JUJU_CHARM_DIR")
			}
			t.Logf("%s: %s; warnings %q", c.name, observed, warns)
			harm, fine := unharmed(t, u.CharmDir, before)
			wantWarn := len(warns) == 1
			if strings.HasPrefix(c.name, "truncated") {
				wantWarn = len(warns) <= 1
			}
			sum.knownBug(t, "3", "bad buffer: "+c.name, c.expected,
				fmt.Sprintf("exit 0; %d warning(s) %s; %s; %s", len(warns), quoteAll(warns), observed, harm),
				ok && fine && wantWarn, c.bug)
		})
	}
}
