package faketools

import (
	"strings"
	"time"
)

// Fault makes calls of one tool fail as the test says, before the tool looks
// at its arguments: the way to see how a charm copes with a refusal Juju can
// give but a plain State never produces (a secret-get denied for a secret the
// charm could read a moment ago, a relation-get whose agent connection timed
// out).
type Fault struct {
	Tool string `json:"tool"` // the hook tool, e.g. secret-get
	// Stderr is Juju's error text without the "ERROR " prefix, e.g.
	// "permission denied". It decides how charmhooks classifies the failure.
	Stderr string `json:"stderr"`
	// ExitCode is the tool's exit status; 0 means 1, Juju's runtime error.
	ExitCode int `json:"exit_code,omitempty"`
	// Delay is how long the call takes before failing, as a call to an agent
	// that does not answer does.
	Delay time.Duration `json:"delay,omitempty"`
	// Times limits the fault to the next Times calls; 0 is every call.
	Times int `json:"times,omitempty"`
}

// fault returns the failure of the first fault for tool, if any, and counts
// the call against its Times.
func (st *State) fault(tool string) (Result, bool) {
	for i, f := range st.Faults {
		if f.Tool != tool {
			continue
		}
		if f.Delay > 0 {
			time.Sleep(f.Delay)
		}
		res := Result{Stderr: "ERROR " + strings.TrimPrefix(f.Stderr, "ERROR ") + "\n", ExitCode: f.ExitCode}
		if res.ExitCode == 0 {
			res.ExitCode = 1
		}
		if f.Times > 0 {
			f.Times--
			if f.Times == 0 {
				st.Faults = append(st.Faults[:i:i], st.Faults[i+1:]...)
			}
			res.Changed = true
		}
		return res, true
	}
	return Result{}, false
}
