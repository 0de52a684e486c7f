package reliability

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
)

// summary is the suite's table: one row per check, in the order they ran. A row is
// added by check, which also fails the test when the observation does not meet the
// expectation, so the table and the assertions cannot disagree.
type summary struct {
	mu   sync.Mutex
	rows []summaryRow
}

type summaryRow struct {
	item, name, expected, observed string
	pass                           bool
	bug                            string // a known issue that explains a failure, if any
}

// check records one row and fails t if ok is false.
func (s *summary) check(t *testing.T, item, name, expected, observed string, ok bool) {
	t.Helper()
	s.mu.Lock()
	s.rows = append(s.rows, summaryRow{item: item, name: name, expected: expected, observed: observed, pass: ok})
	s.mu.Unlock()
	if !ok {
		t.Errorf("%s %s: expected %s; observed %s", item, name, expected, observed)
	}
}

// knownBug is check for an expectation a known, reported issue keeps from being met.
// The row names the issue. The short suite (CI) logs the failure without failing, so
// one open issue does not turn every engineer's test run red; the long suite and
// -strict fail on it like any other check. Once the issue is fixed the row passes and
// the call can become a plain check.
func (s *summary) knownBug(t *testing.T, item, name, expected, observed string, ok bool, bug string) {
	t.Helper()
	if ok || bug == "" {
		s.check(t, item, name, expected, observed, ok)
		return
	}
	s.mu.Lock()
	s.rows = append(s.rows, summaryRow{item: item, name: name, expected: expected, observed: observed, bug: bug})
	s.mu.Unlock()
	if strict() {
		t.Errorf("%s %s: expected %s; observed %s (known issue: %s)", item, name, expected, observed, bug)
		return
	}
	t.Logf("KNOWN ISSUE %s %s: expected %s; observed %s (%s)", item, name, expected, observed, bug)
}

// note records a figure that is reported, not asserted (a wall time against its
// budget: speed targets are benchmarks, never test assertions).
func (s *summary) note(item, name, expected, observed string) {
	s.mu.Lock()
	s.rows = append(s.rows, summaryRow{item: item, name: name, expected: expected, observed: observed, pass: true})
	s.mu.Unlock()
}

// markdown renders the table.
func (s *summary) markdown() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b strings.Builder
	b.WriteString("| # | case | expected | observed | pass |\n|---|---|---|---|---|\n")
	for _, r := range s.rows {
		pass := "yes"
		switch {
		case !r.pass && r.bug != "":
			pass = "**NO** (known issue: " + r.bug + ")"
		case !r.pass:
			pass = "**NO**"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", r.item, cell(r.name), cell(r.expected), cell(r.observed), cell(pass))
	}
	return b.String()
}

// cell keeps a table cell on one line.
func cell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}

// writeReport writes the long suite's report beside the tests.
func (s *summary) writeReport(header string) error {
	text := "# charmtrace reliability and security suite: report\n\n" +
		"Written by `go test ./internal/reliability -run TestSuite -args -long` (.ci/reliability.sh). " +
		"Do not edit by hand.\n\n" + header + "\n\n" + s.markdown()
	return os.WriteFile("REPORT.md", []byte(text), 0o644)
}
