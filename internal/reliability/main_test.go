package reliability

import (
	"flag"
	"fmt"
	"os"
	"testing"
)

var (
	longFlag   = flag.Bool("long", false, "run the long suite (also CHARMTRACE_LONG=1): 1000 kill iterations, 50 units, REPORT.md")
	strictFlag = flag.Bool("strict", false, "fail on known, reported bugs too (the long suite always does)")
)

// childEnv selects a child-process mode of the test binary: the kill torture and the
// permission tests run tracing.Run in a process of their own, which the parent kills
// or whose umask it can change without touching its own.
const childEnv = "RELIABILITY_CHILD"

func TestMain(m *testing.M) {
	if mode := os.Getenv(childEnv); mode != "" {
		os.Exit(runChild(mode))
	}
	flag.Parse()
	os.Exit(m.Run())
}

// long reports whether the long suite was asked for.
func long() bool { return *longFlag || os.Getenv("CHARMTRACE_LONG") == "1" }

// strict reports whether known bugs fail the suite.
func strict() bool { return *strictFlag || long() }

// scale is what differs between the short suite (CI, under -race) and the long one.
type scale struct {
	killIterations int // item 1, at least 50 in CI and 1000 long
	units          int // item 6: simulated units draining into one receiver
	unitRounds     int // item 6: ordinary dispatches per unit before the final drain
	drainHooks     int // item 6: the bound of that drain, in update-status hooks 1.1 s apart
	pairDispatches int // item 6: dispatches of each of the two processes on one buffer
}

func currentScale() scale {
	if long() {
		return scale{killIterations: 1000, units: 50, unitRounds: 6, drainHooks: 15, pairDispatches: 60}
	}
	return scale{killIterations: 50, units: 10, unitRounds: 3, drainHooks: 5, pairDispatches: 15}
}

func (s scale) String() string {
	mode := "short"
	if long() {
		mode = "long"
	}
	return fmt.Sprintf("%s suite: %d kill iterations, %d units", mode, s.killIterations, s.units)
}
