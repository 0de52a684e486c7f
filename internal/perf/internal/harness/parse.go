package harness

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// HyperfineResult is one benchmarked command of a hyperfine --export-json file. The
// suite runs paired measurements as one hyperfine call over a parameter list (on, off,
// off, on, ...), so every result is one command line with its parameter values.
type HyperfineResult struct {
	Command    string            `json:"command"`
	Times      []float64         `json:"times"` // wall seconds, one per run
	ExitCodes  []int             `json:"exit_codes"`
	User       float64           `json:"user"`   // mean user CPU seconds
	System     float64           `json:"system"` // mean system CPU seconds
	Parameters map[string]string `json:"parameters"`
}

// ParseHyperfine reads a hyperfine --export-json file. A run that exited non-zero makes
// the whole file an error: a failed dispatch is not a measurement.
func ParseHyperfine(r io.Reader) ([]HyperfineResult, error) {
	var doc struct {
		Results []HyperfineResult `json:"results"`
	}
	if err := json.NewDecoder(r).Decode(&doc); err != nil {
		return nil, fmt.Errorf("hyperfine json: %w", err)
	}
	for _, res := range doc.Results {
		for _, c := range res.ExitCodes {
			if c != 0 {
				return nil, fmt.Errorf("hyperfine: %q exited with status %d", res.Command, c)
			}
		}
		if len(res.Times) == 0 {
			return nil, fmt.Errorf("hyperfine: %q has no runs", res.Command)
		}
	}
	return doc.Results, nil
}

// TimeRecord is one run as GNU time -v reports it.
type TimeRecord struct {
	Command    string
	MaxRSSKB   int64
	Elapsed    time.Duration
	User, Sys  time.Duration
	ExitStatus int
}

// ParseTimeV reads the reports of `/usr/bin/time -v -a -o FILE`, one block per run in
// the order they were appended. A block starts with its "Command being timed" line.
func ParseTimeV(r io.Reader) ([]TimeRecord, error) {
	var out []TimeRecord
	var cur *TimeRecord
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		key, val, ok := strings.Cut(line, ": ")
		if !ok {
			continue
		}
		if key == "Command being timed" {
			out = append(out, TimeRecord{Command: strings.Trim(val, `"`)})
			cur = &out[len(out)-1]
			continue
		}
		if cur == nil {
			continue
		}
		var err error
		switch key {
		case "Maximum resident set size (kbytes)":
			cur.MaxRSSKB, err = strconv.ParseInt(val, 10, 64)
		case "User time (seconds)":
			cur.User, err = seconds(val)
		case "System time (seconds)":
			cur.Sys, err = seconds(val)
		case "Elapsed (wall clock) time (h:mm:ss or m:ss)":
			cur.Elapsed, err = clock(val)
		case "Exit status":
			cur.ExitStatus, err = strconv.Atoi(val)
		}
		if err != nil {
			return nil, fmt.Errorf("time -v: %s: %w", key, err)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	for i, rec := range out {
		if rec.MaxRSSKB == 0 {
			return nil, fmt.Errorf("time -v: run %d (%s) has no maximum RSS", i+1, rec.Command)
		}
	}
	return out, nil
}

func seconds(s string) (time.Duration, error) {
	f, err := strconv.ParseFloat(s, 64)
	return time.Duration(f * float64(time.Second)), err
}

// clock parses time's "h:mm:ss" or "m:ss.ss".
func clock(s string) (time.Duration, error) {
	parts := strings.Split(s, ":")
	var total float64
	for _, p := range parts {
		f, err := strconv.ParseFloat(p, 64)
		if err != nil {
			return 0, err
		}
		total = total*60 + f
	}
	return time.Duration(total * float64(time.Second)), nil
}

// BenchResult is one line of `go test -bench` output.
type BenchResult struct {
	Name    string // without the -GOMAXPROCS suffix
	N       int64
	Metrics map[string]float64 // by unit: "ns/op", "MB/s", "p99-ms", ...
}

var benchLine = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+(\d+)\s+(.*)$`)

// ParseGoBench reads `go test -bench` output. With -count N a benchmark appears N times,
// in run order; sub-benchmarks of one parent alternate, which is what pairs them.
func ParseGoBench(r io.Reader) ([]BenchResult, error) {
	var out []BenchResult
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		m := benchLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		n, err := strconv.ParseInt(m[2], 10, 64)
		if err != nil {
			return nil, err
		}
		res := BenchResult{Name: m[1], N: n, Metrics: map[string]float64{}}
		f := strings.Fields(m[3])
		if len(f)%2 != 0 {
			return nil, fmt.Errorf("go bench: odd value/unit fields in %q", sc.Text())
		}
		for i := 0; i < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return nil, fmt.Errorf("go bench: %q: %w", sc.Text(), err)
			}
			res.Metrics[f[i+1]] = v
		}
		out = append(out, res)
	}
	return out, sc.Err()
}

// Metric collects one metric of the named benchmark over all its runs, in order.
func Metric(results []BenchResult, name, unit string) []float64 {
	var out []float64
	for _, r := range results {
		if r.Name == name {
			if v, ok := r.Metrics[unit]; ok {
				out = append(out, v)
			}
		}
	}
	return out
}
