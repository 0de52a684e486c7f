package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/charmtrace/charmtrace/buffer"
)

// openReadOnly opens the buffer file at path without ever writing to it. The file must
// already be there: unlike buffer.Open for a charm, the CLI creates nothing and moves
// nothing aside, and says plainly what is wrong with a path that is not a buffer.
func openReadOnly(ctx context.Context, path string) (*buffer.Buffer, error) {
	if err := checkFile(path); err != nil {
		return nil, err
	}
	// The buffer package turns the path into a file: URI, which a relative path does not
	// survive ("invalid uri authority").
	path, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	b, err := buffer.Open(path, buffer.WithReadOnly())
	if err != nil {
		return nil, explain(path, err)
	}
	// Opening reads only the schema; reading the counts makes a damaged file fail here,
	// with the explanation, rather than half-way through a command's output.
	if _, err := b.Stats(ctx); err != nil {
		b.Close()
		return nil, explain(path, err)
	}
	return b, nil
}

// openWritable opens the buffer file at path for a command that removes rows. It first
// checks the file read-only, because a writable buffer.Open would replace a damaged file
// with an empty buffer: right for a charm, wrong for a file a person asked to replay.
func openWritable(ctx context.Context, path string) (*buffer.Buffer, error) {
	ro, err := openReadOnly(ctx, path)
	if err != nil {
		return nil, err
	}
	path = ro.Path() // absolute
	if err := ro.Close(); err != nil {
		return nil, explain(path, err)
	}
	b, err := buffer.Open(path)
	if err != nil {
		return nil, explain(path, err)
	}
	if w := b.Warnings(); len(w) > 0 {
		// The file changed between the two opens and was moved aside.
		b.Close()
		return nil, fmt.Errorf("%s: %s", path, w[0])
	}
	return b, nil
}

// checkFile rejects what is not a regular file before SQLite sees it: SQLite would create
// a missing file, and opening a FIFO could block forever.
func checkFile(path string) error {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%s: no such file", path)
	case err != nil:
		return err
	case fi.IsDir():
		hint := ""
		if _, err := os.Stat(filepath.Join(path, ".tracing-data.db")); err == nil {
			hint = fmt.Sprintf(" (did you mean %s?)", filepath.Join(path, ".tracing-data.db"))
		}
		return fmt.Errorf("%s is a directory, not a trace buffer file%s", path, hint)
	case !fi.Mode().IsRegular():
		return fmt.Errorf("%s is not a regular file (%s)", path, fi.Mode().Type())
	case fi.Size() == 0:
		return fmt.Errorf("%s is empty, not a trace buffer", path)
	}
	return nil
}

// explain words an error from the buffer package for a person looking at a file.
func explain(path string, err error) error {
	if errors.Is(err, buffer.ErrCorrupt) {
		return fmt.Errorf("%s is not a trace buffer: not a SQLite database, or a damaged one (%w)", path, err)
	}
	return err
}
