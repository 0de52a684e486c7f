package charmhooks

import (
	"unicode/utf8"
)

// LogLevel is a juju-log level.
type LogLevel string

// The levels juju-log accepts.
const (
	LogTrace    LogLevel = "TRACE"
	LogDebug    LogLevel = "DEBUG"
	LogInfo     LogLevel = "INFO"
	LogWarning  LogLevel = "WARNING"
	LogError    LogLevel = "ERROR"
	LogCritical LogLevel = "CRITICAL"
)

// maxLogLine is the longest message juju-log is given in one call (the
// limit ops uses); longer messages are split.
const maxLogLine = 131071

// Log writes msg to the unit's log in Juju (juju debug-log). The message
// follows "--" so it may start with '-'; a message longer than 131071
// bytes is written in several calls, split at character boundaries.
func (t *Tools) Log(level LogLevel, msg string) error {
	for {
		part := msg
		if len(part) > maxLogLine {
			cut := maxLogLine
			for cut > maxLogLine-utf8.UTFMax && !utf8.RuneStart(msg[cut]) {
				cut--
			}
			part = msg[:cut]
		}
		if _, err := t.run.Run("juju-log", "--log-level", string(level), "--", part); err != nil {
			return err
		}
		msg = msg[len(part):]
		if msg == "" {
			return nil
		}
	}
}

// StatusName is a workload status a charm can set.
type StatusName string

// The statuses status-set accepts ("error" and "unknown" are Juju's own).
const (
	StatusActive      StatusName = "active"
	StatusBlocked     StatusName = "blocked"
	StatusWaiting     StatusName = "waiting"
	StatusMaintenance StatusName = "maintenance"
)

// Status is a workload status as status-get reports it.
type Status struct {
	Status  string         `json:"status"`
	Message string         `json:"message"`
	Data    map[string]any `json:"status-data"`
}

// AppStatus is the application status with its units', as status-get
// --application reports it to the leader.
type AppStatus struct {
	Application Status            `json:"application-status"`
	Units       map[string]Status `json:"units"`
}

// StatusSet sets this unit's workload status. Juju applies it at once; it
// is not rolled back if the hook fails.
func (t *Tools) StatusSet(status StatusName, message string) error {
	return t.statusSet("--application=False", status, message)
}

// AppStatusSet sets the application's status; only the leader may.
func (t *Tools) AppStatusSet(status StatusName, message string) error {
	return t.statusSet("--application=True", status, message)
}

func (t *Tools) statusSet(scope string, status StatusName, message string) error {
	args := []string{scope, string(status)}
	if message != "" {
		args = append(args, "--", message)
	}
	_, err := t.run.Run("status-set", args...)
	return err
}

// StatusGet returns this unit's workload status.
func (t *Tools) StatusGet() (Status, error) {
	var s Status
	err := t.runJSON(&s, "status-get", "--include-data", "--format=json", "--application=false")
	return s, err
}

// AppStatusGet returns the application's status; only the leader may.
func (t *Tools) AppStatusGet() (AppStatus, error) {
	var s AppStatus
	err := t.runJSON(&s, "status-get", "--include-data", "--format=json", "--application=true")
	return s, err
}

// ApplicationVersionSet sets the workload version shown by juju status.
func (t *Tools) ApplicationVersionSet(version string) error {
	_, err := t.run.Run("application-version-set", "--", version)
	return err
}
