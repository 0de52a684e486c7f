package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestToolsAdded(t *testing.T) {
	got := toolsAdded(map[string]int{"juju-log": 1, "config-get": 1}, map[string]int{"juju-log": 2, "config-get": 1, "relation-ids": 1})
	if got != "(+1 juju-log, +1 relation-ids)" {
		t.Errorf("toolsAdded = %q", got)
	}
	if got := toolsAdded(map[string]int{"a": 1}, map[string]int{"a": 1}); got != "" {
		t.Errorf("nothing added = %q", got)
	}
}

func write(t *testing.T, dir, name, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func timeV(rss ...string) string {
	var b strings.Builder
	for _, r := range rss {
		b.WriteString("\tCommand being timed: \"dispatch\"\n\tMaximum resident set size (kbytes): " + r + "\n\tExit status: 0\n")
	}
	return b.String()
}

// The paired figures are differences of the runs taken back to back, not differences
// of the medians.
func TestReadPaired(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "p1/x.json", `{"results":[
	{"command":"c","times":[0.010],"user":0.004,"system":0.002,"exit_codes":[0],"parameters":{"d":"1"}},
	{"command":"c","times":[0.013],"user":0.006,"system":0.002,"exit_codes":[0],"parameters":{"d":"0"}},
	{"command":"c","times":[0.030],"user":0.006,"system":0.003,"exit_codes":[0],"parameters":{"d":"0"}},
	{"command":"c","times":[0.020],"user":0.005,"system":0.003,"exit_codes":[0],"parameters":{"d":"1"}}]}`)
	write(t, dir, "p1/x-rss-0.txt", timeV("20000", "21000"))
	write(t, dir, "p1/x-rss-1.txt", timeV("10000", "10000"))
	write(t, dir, "p1/x-calls-on.json", `{"calls":5,"tools":{"juju-log":2}}`)
	write(t, dir, "p1/x-calls-off.json", `{"calls":3,"tools":{"juju-log":1}}`)
	r := &report{dir: dir}
	p, err := r.readPaired("p1/x")
	if err != nil {
		t.Fatal(err)
	}
	wall, ratio, rss, err := p.added()
	if err != nil {
		t.Fatal(err)
	}
	const eps = 1e-9
	if wall.Min < 3-eps || wall.Min > 3+eps || wall.Max < 10-eps || wall.Max > 10+eps {
		t.Errorf("added wall %+v, want pairs of 3 and 10 ms", wall)
	}
	if ratio.Median < 1.4-eps || ratio.Median > 1.4+eps {
		t.Errorf("ratio %+v, want median of 1.3 and 1.5", ratio)
	}
	if want := 10.752; rss.Median < want-0.001 || rss.Median > want+0.001 {
		t.Errorf("added RSS %+v, want %v MB", rss, want)
	}
	cpu, err := p.addedCPU()
	if err != nil {
		t.Fatal(err)
	}
	if cpu.Min < 1-eps || cpu.Max > 2+eps {
		t.Errorf("added CPU %+v, want 1 and 2 ms", cpu)
	}
	if p.callsOn.Calls != 5 || p.callsOff.Tools["juju-log"] != 1 {
		t.Errorf("calls %+v %+v", p.callsOn, p.callsOff)
	}

	write(t, dir, "p1/bad.json", `{"results":[{"command":"c","times":[0.01],"exit_codes":[0],"parameters":{}}]}`)
	if _, err := r.readPaired("p1/bad"); err == nil {
		t.Error("a run without the on/off parameter was accepted")
	}
}

func TestTopInits(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "init.txt", `init runtime @0.27 ms, 0.82 ms clock, 0 bytes, 0 allocs
init modernc.org/libc @15 ms, 0.65 ms clock, 2296 bytes, 26 allocs
init modernc.org/libc @14 ms, 0.85 ms clock, 2296 bytes, 26 allocs
init runtime @0.2 ms, 0.5 ms clock, 0 bytes, 0 allocs
charm: something else
`)
	got, err := topInits(filepath.Join(dir, "init.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].name != "modernc.org/libc" || got[0].ms != 0.75 || got[2].name != "all packages" || got[2].ms != 0.75+0.66 {
		t.Errorf("topInits = %+v", got)
	}
	write(t, dir, "empty.txt", "nothing\n")
	if _, err := topInits(filepath.Join(dir, "empty.txt")); err == nil {
		t.Error("a file without init lines gave a table")
	}
}
