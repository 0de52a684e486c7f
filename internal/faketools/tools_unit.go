package faketools

import (
	"fmt"
	"sort"
	"strings"

	"github.com/charmtrace/charmtrace/charmhooks"
)

func isLeader(c *call) Result {
	if r := c.maxArgs(0); r != nil {
		return *r
	}
	return c.print(c.st.Leader)
}

var logLevels = map[string]string{
	"TRACE": "TRACE", "DEBUG": "DEBUG", "INFO": "INFO", "WARNING": "WARNING", "WARN": "WARNING",
	"ERROR": "ERROR", "CRITICAL": "CRITICAL",
}

// jujuLog records the line as the unit's log would show it. An unknown
// level is not an error: Juju logs at INFO.
func jujuLog(c *call) Result {
	if len(c.pos) == 0 {
		return usage("no message specified")
	}
	level := "INFO"
	if l, ok := logLevels[strings.ToUpper(c.values["--log-level"])]; ok {
		level = l
	}
	if c.bools["--debug"] {
		level = "DEBUG"
	}
	msg := strings.Join(c.pos, " ")
	if rel := c.getenv("JUJU_RELATION_ID"); rel != "" {
		msg = rel + ": " + msg
	}
	c.st.Logs = append(c.st.Logs, LogLine{Level: level, Message: msg})
	return changed()
}

var settableStatus = []string{"maintenance", "blocked", "waiting", "active"}

func statusSet(c *call) Result {
	if len(c.pos) == 0 {
		return usage("invalid args, require <status> [message] [data]")
	}
	status := c.pos[0]
	valid := false
	for _, s := range settableStatus {
		valid = valid || s == status
	}
	if !valid {
		return usage(fmt.Sprintf("invalid status %q, expected one of %v", status, settableStatus))
	}
	s := Status{Status: status, Message: strings.Join(c.pos[1:], " ")}
	if c.bools["--application"] {
		if !c.st.Leader {
			return failure("this unit is not the leader")
		}
		c.st.AppStatus = s
	} else {
		c.st.UnitStatus = s
	}
	return changed()
}

func statusView(s Status, withData bool) map[string]any {
	status := s.Status
	if status == "" {
		status = "unknown"
	}
	v := map[string]any{"status": status, "message": s.Message}
	if withData {
		data := s.Data
		if data == nil {
			data = map[string]any{}
		}
		v["status-data"] = data
	}
	return v
}

func statusGet(c *call) Result {
	if r := c.maxArgs(0); r != nil {
		return *r
	}
	withData := c.bools["--include-data"]
	if !c.bools["--application"] {
		return c.print(statusView(c.st.UnitStatus, withData))
	}
	if !c.st.Leader {
		return failure("this unit is not the leader")
	}
	return c.print(map[string]any{
		"application-status": statusView(c.st.AppStatus, withData),
		"units":              map[string]any{c.st.Unit: statusView(c.st.UnitStatus, withData)},
	})
}

func applicationVersionSet(c *call) Result {
	if len(c.pos) == 0 {
		return usage("no version specified")
	}
	if r := c.maxArgs(1); r != nil {
		return *r
	}
	c.st.AppVersion = c.pos[0]
	return changed()
}

func configGet(c *call) Result {
	if r := c.maxArgs(1); r != nil {
		return *r
	}
	if len(c.pos) == 1 {
		return c.print(c.st.Config[c.pos[0]])
	}
	out := map[string]any{}
	for k, v := range c.st.Config {
		if v != nil || c.bools["--all"] {
			out[k] = v
		}
	}
	return c.print(out)
}

func jujuReboot(c *call) Result {
	if r := c.maxArgs(0); r != nil {
		return *r
	}
	if c.getenv("JUJU_ACTION_NAME") != "" {
		return failure("juju-reboot is not supported when running an action")
	}
	c.st.Reboot = "after-hook"
	if c.bools["--now"] {
		c.st.Reboot = "now"
	}
	return changed()
}

// Juju's limits on unit state entries.
const (
	maxStateKey   = 256
	maxStateValue = 65536
)

func stateGet(c *call) Result {
	if r := c.maxArgs(1); r != nil {
		return *r
	}
	if len(c.pos) == 1 {
		v, ok := c.st.UnitState[c.pos[0]]
		if !ok {
			if c.bools["--strict"] {
				return failure(fmt.Sprintf("%q not found", c.pos[0]))
			}
			return c.print(nil)
		}
		return c.print(v)
	}
	m := c.st.UnitState
	if m == nil {
		m = map[string]string{}
	}
	return c.print(m)
}

func stateSet(c *call) Result {
	data, res := c.readMapInput()
	if res != nil {
		return *res
	}
	for k, v := range data {
		if len(k) > maxStateKey {
			return failure(fmt.Sprintf("key %q exceeds %d bytes", k[:32]+"...", maxStateKey))
		}
		if len(v) > maxStateValue {
			return failure(fmt.Sprintf("value of key %q exceeds %d bytes", k, maxStateValue))
		}
	}
	if c.st.UnitState == nil {
		c.st.UnitState = map[string]string{}
	}
	for k, v := range data {
		c.st.UnitState[k] = v
	}
	return changed()
}

func stateDelete(c *call) Result {
	if len(c.pos) != 1 {
		return usage("specify a key to delete")
	}
	delete(c.st.UnitState, c.pos[0])
	return changed()
}

func portSpec(c *call) (string, *Result) {
	if len(c.pos) == 0 {
		r := usage("no port or range specified")
		return "", &r
	}
	if r := c.maxArgs(1); r != nil {
		return "", r
	}
	p, err := charmhooks.ParsePort(c.pos[0])
	if err != nil {
		r := usage(fmt.Sprintf("invalid port or range %q", c.pos[0]))
		return "", &r
	}
	return p.String(), nil
}

func endpointsOf(c *call) []string {
	v := c.values["--endpoints"]
	if v == "" {
		return nil
	}
	eps := strings.Split(v, ",")
	sort.Strings(eps)
	return eps
}

func openPort(c *call) Result {
	spec, res := portSpec(c)
	if res != nil {
		return *res
	}
	eps := endpointsOf(c)
	for i, p := range c.st.Ports {
		if p.Spec == spec {
			c.st.Ports[i].Endpoints = eps
			return changed()
		}
	}
	c.st.Ports = append(c.st.Ports, Port{Spec: spec, Endpoints: eps})
	return changed()
}

func closePort(c *call) Result {
	spec, res := portSpec(c)
	if res != nil {
		return *res
	}
	kept := c.st.Ports[:0]
	for _, p := range c.st.Ports {
		if p.Spec != spec {
			kept = append(kept, p)
		}
	}
	c.st.Ports = kept
	return changed()
}

func openedPorts(c *call) Result {
	if r := c.maxArgs(0); r != nil {
		return *r
	}
	out := make([]string, 0, len(c.st.Ports))
	for _, p := range c.st.Ports {
		s := p.Spec
		if c.bools["--endpoints"] {
			eps := "*"
			if len(p.Endpoints) > 0 {
				eps = strings.Join(p.Endpoints, ",")
			}
			s += " (" + eps + ")"
		}
		out = append(out, s)
	}
	sort.Strings(out)
	return c.print(out)
}

func networkGet(c *call) Result {
	if len(c.pos) == 0 {
		return usage("no endpoint specified")
	}
	if r := c.maxArgs(1); r != nil {
		return *r
	}
	if _, given := c.values["--relation"]; given {
		if _, res := c.relation(); res != nil {
			return *res
		}
	}
	n, ok := c.st.Networks[c.pos[0]]
	if !ok {
		return failure(fmt.Sprintf("no network config found for binding %q", c.pos[0]))
	}
	return c.print(n)
}
