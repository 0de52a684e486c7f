// Command drain is the perf suite's process-level drain driver: it opens a trace buffer
// that already holds a backlog, points an exporter at a receiver and shuts it down, as
// the end of a dispatch does, then prints what was sent as one JSON line.
//
//	drain -buffer .tracing-data.db -url http://127.0.0.1:4318/v1/traces [-ca ca.pem] [-budget 60s]
//
// Run under /usr/bin/time -v it gives the peak RSS of draining; the JSON gives the rate
// over the drain alone (Start to the end of Shutdown), without process start and the
// buffer's open. Against a blackhole receiver, shutdown_ms against the budget is how
// well Shutdown keeps it.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"time"

	"github.com/charmtrace/charmtrace/buffer"
	"github.com/charmtrace/charmtrace/exporter"
)

type result struct {
	Rows       int64   `json:"rows_sent"`
	Bytes      int64   `json:"bytes_sent"`
	Left       int64   `json:"rows_left"`
	DrainMS    float64 `json:"drain_ms"`    // Start to the end of Shutdown
	ShutdownMS float64 `json:"shutdown_ms"` // Shutdown alone
	MBps       float64 `json:"mb_per_s"`    // payload MB (10^6 bytes) per second of drain_ms
	LastError  string  `json:"last_error,omitempty"`
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "drain: %v\n", err)
		os.Exit(1)
	}
}

func run() error {
	path := flag.String("buffer", "", "the trace buffer to drain")
	url := flag.String("url", "", "receiver URL, with its path")
	caFile := flag.String("ca", "", "PEM file of the CA that signed an https receiver")
	budget := flag.Duration("budget", time.Minute, "Shutdown budget")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the drain here")
	flag.Parse()
	if *path == "" || *url == "" {
		return fmt.Errorf("-buffer and -url are required")
	}
	dest := buffer.Destination{URL: *url}
	if *caFile != "" {
		pem, err := os.ReadFile(*caFile)
		if err != nil {
			return err
		}
		dest.CA = string(pem)
	}
	ctx := context.Background()
	buf, err := buffer.Open(*path)
	if err != nil {
		return err
	}
	defer buf.Close()
	exp, err := exporter.New(buf, exporter.WithShutdownBudget(*budget))
	if err != nil {
		return err
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	began := time.Now()
	if _, err := exp.SetDestination(ctx, dest); err != nil {
		return err
	}
	if err := exp.Start(ctx); err != nil {
		return err
	}
	stopping := time.Now()
	if err := exp.Shutdown(ctx); err != nil {
		return err
	}
	ended := time.Now()
	st := exp.Stats()
	left, err := buf.Stats(ctx)
	if err != nil {
		return err
	}
	res := result{Rows: st.Sent, Bytes: st.SentBytes, Left: left.Rows, LastError: st.LastError,
		DrainMS: ms(ended.Sub(began)), ShutdownMS: ms(ended.Sub(stopping))}
	if d := ended.Sub(began).Seconds(); d > 0 {
		res.MBps = float64(st.SentBytes) / 1e6 / d
	}
	return json.NewEncoder(os.Stdout).Encode(res)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
