package main

import (
	"database/sql"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestHelpDocumentsCommandsAndExitCodes(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"--help"}, {"-h"}, {"help", "help"}} {
		code, out, _ := runCLI(t, args...)
		if code != exitOK {
			t.Fatalf("%v: exit %d, want 0", args, code)
		}
		for _, want := range []string{"inspect", "tree", "export", "send", "Exit status:",
			"0  success", "1  runtime failure", "2  usage error", "3  send only"} {
			if !strings.Contains(out, want) {
				t.Errorf("%v: help lacks %q:\n%s", args, want, out)
			}
		}
	}
	// Every command in the table is listed, with its summary.
	_, out, _ := runCLI(t, "help")
	for _, c := range commands() {
		if !strings.Contains(out, c.name+strings.Repeat(" ", 10-len(c.name))+c.summary) {
			t.Errorf("help does not list %q with its summary", c.name)
		}
	}
}

func TestCommandHelp(t *testing.T) {
	for _, c := range commands() {
		for _, args := range [][]string{{"help", c.name}, {c.name, "-h"}, {c.name, "--help"}} {
			code, out, errOut := runCLI(t, args...)
			if code != exitOK || !strings.HasPrefix(out, "Usage: charmtrace "+c.name) || errOut != "" {
				t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, out, errOut)
			}
		}
	}
	_, out, _ := runCLI(t, "help", "send")
	for _, flag := range []string{"-url URL", "-ca FILE", "-keep", "-timeout D"} {
		if !strings.Contains(out, flag) {
			t.Errorf("send help lacks the flag %q", flag)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	db := bufferPath(t)
	mustWriteDispatches(t, db, dispatch{event: "install"})
	for name, args := range map[string][]string{
		"no command":          {},
		"unknown command":     {"frobnicate"},
		"help unknown":        {"help", "frobnicate"},
		"inspect no file":     {"inspect"},
		"inspect two files":   {"inspect", db, db},
		"unknown flag":        {"inspect", "--verbose", db},
		"tree bad trace id":   {"tree", "--trace", "xyz", db},
		"tree short trace id": {"tree", "--trace", "abcd", db},
		"export bad format":   {"export", "--format", "xml", db},
		"export onto itself":  {"export", "-o", db, db},
		"send without url":    {"send", db},
		"send bad scheme":     {"send", "--url", "ftp://127.0.0.1/v1/traces", db},
		"send url with creds": {"send", "--url", "http://user:pw@127.0.0.1/v1/traces", db},
		"send bad timeout":    {"send", "--url", "http://127.0.0.1:1/v1/traces", "--timeout", "-1s", db},
		"send timeout syntax": {"send", "--url", "http://127.0.0.1:1/v1/traces", "--timeout", "soon", db},
	} {
		t.Run(name, func(t *testing.T) {
			before := dirState(t, filepath.Dir(db))
			code, out, errOut := runCLI(t, args...)
			if code != exitUsage {
				t.Fatalf("exit %d, want %d; stderr %q", code, exitUsage, errOut)
			}
			if out != "" || errOut == "" {
				t.Fatalf("want only an error on stderr; stdout %q, stderr %q", out, errOut)
			}
			if strings.Contains(errOut, "pw@") {
				t.Fatalf("stderr repeats credentials: %q", errOut)
			}
			if after := dirState(t, filepath.Dir(db)); !maps.Equal(before, after) {
				t.Fatalf("a usage error touched the directory:\n%v\n%v", before, after)
			}
		})
	}
}

func TestFlagsAfterTheFile(t *testing.T) {
	db := bufferPath(t)
	mustWriteDispatches(t, db, dispatch{event: "install"}, dispatch{event: "start", at: 1e9})
	_, before, _ := runCLI(t, "tree", "--event", "start", db)
	_, after, _ := runCLI(t, "tree", db, "--event", "start")
	if before != after || strings.Contains(after, "install") || !strings.Contains(after, "start") {
		t.Fatalf("flag before and after the file differ:\n%s\n%s", before, after)
	}
	// After "--" everything is a file name, even one that looks like a flag.
	code, _, errOut := runCLI(t, "inspect", "--", "-json")
	if code != exitFailure || !strings.Contains(errOut, "-json: no such file") {
		t.Fatalf("inspect -- -json: exit %d, stderr %q", code, errOut)
	}
}

// TestBadFiles runs every command on paths that are not buffers. Each must fail with exit
// code 1 and an error that says what is wrong, and leave the path as it was.
func TestBadFiles(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.db")

	directory := filepath.Join(dir, "charm")
	if err := os.Mkdir(directory, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(directory, ".tracing-data.db"), nil, 0o600); err != nil {
		t.Fatal(err)
	}

	empty := filepath.Join(dir, "empty.db")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}

	notSQLite := filepath.Join(dir, "gif.db")
	if err := os.WriteFile(notSQLite, []byte("GIF89a\x01\x00\x01\x00 this is not a database at all, not even close"), 0o600); err != nil {
		t.Fatal(err)
	}

	otherSQLite := filepath.Join(dir, "other.db")
	db, err := sql.Open("sqlite", otherSQLite)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE users (name TEXT); INSERT INTO users VALUES ('x')`); err != nil {
		t.Fatal(err)
	}
	db.Close()

	// A real buffer whose pages after the first were overwritten: the header and schema
	// read fine, the table does not.
	damaged := filepath.Join(dir, "damaged.db")
	mustWriteDispatches(t, damaged, dispatch{event: "install"}, dispatch{event: "start", at: 1e9})
	data, err := os.ReadFile(damaged)
	if err != nil {
		t.Fatal(err)
	}
	pageSize := int(data[16])<<8 | int(data[17])
	for i := pageSize; i < len(data); i++ {
		data[i] = byte(i*7 + 3)
	}
	if err := os.WriteFile(damaged, data, 0o600); err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name, path, want string
	}{
		{"missing", missing, "missing.db: no such file"},
		{"directory", directory, "is a directory, not a trace buffer file (did you mean " + filepath.Join(directory, ".tracing-data.db") + "?)"},
		{"empty", empty, "empty.db is empty, not a trace buffer"},
		{"not sqlite", notSQLite, "is not a trace buffer: not a SQLite database, or a damaged one"},
		{"other sqlite", otherSQLite, "is a SQLite database but not a trace buffer"},
		{"damaged buffer", damaged, "is not a trace buffer: not a SQLite database, or a damaged one"},
	}
	commands := [][]string{
		{"inspect"}, {"inspect", "--json"}, {"tree"}, {"export"}, {"export", "--format", "protobuf"},
		{"send", "--keep", "--url", "http://127.0.0.1:1/v1/traces"},
		{"send", "--url", "http://127.0.0.1:1/v1/traces"},
	}
	for _, c := range cases {
		for _, cmd := range commands {
			t.Run(c.name+"/"+strings.Join(cmd, " "), func(t *testing.T) {
				before := dirState(t, dir)
				code, out, errOut := runCLI(t, append(slices.Clone(cmd), c.path)...)
				if code != exitFailure {
					t.Fatalf("exit %d, want %d; stdout %q stderr %q", code, exitFailure, out, errOut)
				}
				if !strings.Contains(errOut, c.want) || !strings.HasPrefix(errOut, "charmtrace "+cmd[0]+": ") {
					t.Fatalf("stderr %q, want it to contain %q", errOut, c.want)
				}
				if out != "" {
					t.Fatalf("stdout %q, want nothing", out)
				}
				assertUnchanged(t, before, dirState(t, dir))
			})
		}
	}
}

// The buffer package builds a file: URI from the path; a relative path must work too.
func TestRelativePath(t *testing.T) {
	dir := t.TempDir()
	mustWriteDispatches(t, filepath.Join(dir, "copy.db"), dispatch{event: "install"})
	t.Chdir(dir)
	for _, args := range [][]string{{"inspect", "copy.db"}, {"tree", "copy.db"}, {"export", "copy.db"}} {
		if code, out, errOut := runCLI(t, args...); code != exitOK || out == "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, out, errOut)
		}
	}
}
