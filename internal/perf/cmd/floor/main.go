// Command floor measures, one fresh process per run, the costs a dispatch cannot go
// below whatever charmtrace does: each mode does one bare thing with the standard
// library or SQLite directly, none of charmtrace's code.
//
//	floor noop                     start and exit with SQLite, net/http and crypto/tls linked in
//	floor sqlite-create FILE       create a SQLite file in WAL mode with one table
//	floor sqlite-open FILE         open an existing one, read one pragma, close
//	floor sqlite-write FILE        open an existing one, insert 4 KiB in one transaction, close
//	floor sqlite-write-keep FILE   the same, but exit without closing: no checkpoint, the WAL stays
//	floor post URL [CAFILE]        one POST of 1 KiB over a new connection (TLS when URL is https)
package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	_ "modernc.org/sqlite"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "floor: %v\n", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 {
		return errors.New("usage: floor noop | sqlite-create FILE | sqlite-open FILE | sqlite-write FILE | sqlite-write-keep FILE | post URL [CAFILE]")
	}
	switch mode, rest := args[0], args[1:]; {
	case mode == "noop":
		return nil
	case mode == "sqlite-create" && len(rest) == 1:
		return sqliteCreate(rest[0])
	case mode == "sqlite-open" && len(rest) == 1:
		return sqliteOpen(rest[0])
	case mode == "sqlite-write" && len(rest) == 1:
		return sqliteWrite(rest[0], true)
	case mode == "sqlite-write-keep" && len(rest) == 1:
		return sqliteWrite(rest[0], false)
	case mode == "post" && (len(rest) == 1 || len(rest) == 2):
		ca := ""
		if len(rest) == 2 {
			ca = rest[1]
		}
		return post(rest[0], ca)
	default:
		return fmt.Errorf("bad arguments %q", args)
	}
}

func sqliteCreate(path string) error {
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		return err
	}
	defer db.Close()
	var mode string
	if err := db.QueryRow(`PRAGMA journal_mode=WAL`).Scan(&mode); err != nil {
		return err
	}
	_, err = db.Exec(`CREATE TABLE t (id INTEGER PRIMARY KEY, data BLOB)`)
	return err
}

func sqliteOpen(path string) error {
	if _, err := os.Stat(path); err != nil {
		return err
	}
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		return err
	}
	var v int
	if err := db.QueryRow(`PRAGMA user_version`).Scan(&v); err != nil {
		db.Close()
		return err
	}
	return db.Close()
}

// sqliteWrite is the least a process that stores something pays with SQLite's defaults
// for a WAL file: the WAL is created and its header synced on the first write, and the
// last connection's close checkpoints it (two syncs) and deletes it. Without close, the
// process exits as if killed after its commit: the WAL stays for the next process to
// recover, and checkpoints happen only at the auto-checkpoint threshold.
func sqliteWrite(path string, close bool) error {
	if _, err := os.Stat(path); err != nil {
		return err
	}
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=synchronous(NORMAL)&_txlock=immediate")
	if err != nil {
		return err
	}
	tx, err := db.Begin()
	if err != nil {
		db.Close()
		return err
	}
	if _, err := tx.Exec(`INSERT INTO t (data) VALUES (?)`, make([]byte, 4096)); err != nil {
		tx.Rollback()
		db.Close()
		return err
	}
	if err := tx.Commit(); err != nil {
		db.Close()
		return err
	}
	if !close {
		return nil
	}
	return db.Close()
}

func post(url, caFile string) error {
	tr := &http.Transport{}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return fmt.Errorf("%s: no certificate", caFile)
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	resp, err := client.Post(url, "application/x-protobuf", bytes.NewReader(make([]byte, 1024)))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s", resp.Status)
	}
	return nil
}
