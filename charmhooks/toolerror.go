package charmhooks

import (
	"errors"
	"strconv"
	"strings"
)

// Classes of hook-tool failure, matched with errors.Is against a
// *ToolError. The rules are those of the Python framework (ops), which
// decide on the tool name and Juju's stderr text.
var (
	// ErrRelationNotFound: a relation-* or network-* tool said the
	// relation is not found. Treat the relation's data as empty: the
	// relation is gone.
	ErrRelationNotFound = errors.New("relation not found")
	// ErrSecretNotFound: a secret-* tool said "not found".
	ErrSecretNotFound = errors.New("secret not found")
	// ErrUnauthorized: Juju refused the call: permission denied, access
	// denied, not the leader, or cannot write relation settings.
	ErrUnauthorized = errors.New("unauthorized")
)

// ToolError is a failed hook-tool call. It never holds the call's
// arguments (they may carry data) or its standard output; Stderr is Juju's
// error text, e.g. "ERROR relation not found".
type ToolError struct {
	Tool     string // e.g. relation-get
	ExitCode int    // 1 runtime error, 2 usage error; -1 if the tool did not start
	Stderr   string // the tool's standard error, trailing newline removed

	err error // why the tool did not start (e.g. exec.ErrNotFound)
}

func (e *ToolError) Error() string {
	var b strings.Builder
	b.WriteString("hook tool ")
	b.WriteString(e.Tool)
	if e.ExitCode >= 0 {
		b.WriteString(" exited with status ")
		b.WriteString(strconv.Itoa(e.ExitCode))
	} else {
		b.WriteString(" did not run")
	}
	if e.Stderr != "" {
		b.WriteString(": ")
		b.WriteString(e.Stderr)
	} else if e.err != nil {
		b.WriteString(": ")
		b.WriteString(e.err.Error())
	}
	return b.String()
}

// Unwrap returns why the tool did not start, if it did not.
func (e *ToolError) Unwrap() error { return e.err }

// Is reports whether the failure belongs to one of the classes
// ErrRelationNotFound, ErrSecretNotFound or ErrUnauthorized.
func (e *ToolError) Is(target error) bool {
	switch target {
	case ErrRelationNotFound:
		return relationNotFound(e.Tool, e.Stderr)
	case ErrSecretNotFound:
		return strings.HasPrefix(e.Tool, "secret-") && strings.Contains(strings.ToLower(e.Stderr), "not found")
	case ErrUnauthorized:
		return unauthorized(e.Stderr)
	}
	return false
}

// Class names the failure's class for telemetry: relation_not_found,
// secret_not_found, unauthorized, not_started or failed. It is derived
// from the class rules, never from argument values.
func (e *ToolError) Class() string {
	switch {
	case e.ExitCode < 0:
		return "not_started"
	case e.Is(ErrRelationNotFound):
		return "relation_not_found"
	case e.Is(ErrSecretNotFound):
		return "secret_not_found"
	case e.Is(ErrUnauthorized):
		return "unauthorized"
	}
	return "failed"
}

// relationNotFound matches Juju 3's "relation not found" and Juju 4's
// "relation <id> not found" from relation-* and network-* tools.
func relationNotFound(tool, stderr string) bool {
	if !strings.HasPrefix(tool, "relation-") && !strings.HasPrefix(tool, "network-") {
		return false
	}
	s := strings.ToLower(stderr)
	if strings.Contains(s, "relation not found") {
		return true
	}
	for {
		i := strings.Index(s, "relation ")
		if i < 0 {
			return false
		}
		s = s[i+len("relation "):]
		j := 0
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j > 0 && strings.HasPrefix(s[j:], " not found") {
			return true
		}
	}
}

var authzTexts = [...]string{"access denied", "permission denied", "not the leader", "cannot write relation settings"}

func unauthorized(stderr string) bool {
	s := strings.ToLower(stderr)
	for _, t := range authzTexts {
		if strings.Contains(s, t) {
			return true
		}
	}
	return false
}
