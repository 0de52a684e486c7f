package faketools

import (
	"fmt"
	"regexp"
	"strings"
)

func actionGet(c *call) Result {
	if r := c.inAction(); r != nil {
		return *r
	}
	if r := c.maxArgs(1); r != nil {
		return *r
	}
	if len(c.pos) == 0 {
		params := c.st.ActionParams
		if params == nil {
			params = map[string]any{}
		}
		return c.print(params)
	}
	var v any = c.st.ActionParams
	for _, k := range strings.Split(c.pos[0], ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return c.print(nil)
		}
		v = m[k]
	}
	return c.print(v)
}

// actionKey is Juju's rule for each dotted part of an action-set key.
var actionKey = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$`)

var reservedActionKeys = map[string]bool{"stdout": true, "stdout-encoding": true, "stderr": true, "stderr-encoding": true}

func actionSet(c *call) Result {
	if r := c.inAction(); r != nil {
		return *r
	}
	type kv struct{ k, v string }
	var pairs []kv
	for _, a := range c.pos {
		k, v, ok := strings.Cut(a, "=")
		if !ok {
			// Juju quotes the argument; without '=' it holds no value.
			return usage(fmt.Sprintf("argument %q must be of the form key...=value", a))
		}
		for _, part := range strings.Split(k, ".") {
			if !actionKey.MatchString(part) {
				return usage(fmt.Sprintf("key %q must start and end with lowercase alphanumeric, and contain only lowercase alphanumeric, hyphens and periods", part))
			}
			if reservedActionKeys[part] {
				return usage(fmt.Sprintf("cannot set reserved action key %q", part))
			}
		}
		pairs = append(pairs, kv{k, v})
	}
	if c.st.ActionResults == nil {
		c.st.ActionResults = map[string]string{}
	}
	for _, p := range pairs {
		c.st.ActionResults[p.k] = p.v
	}
	return changed()
}

func actionLog(c *call) Result {
	if r := c.inAction(); r != nil {
		return *r
	}
	if len(c.pos) == 0 {
		return usage("no message specified")
	}
	c.st.ActionLogs = append(c.st.ActionLogs, strings.Join(c.pos, " "))
	return changed()
}

func actionFail(c *call) Result {
	if r := c.inAction(); r != nil {
		return *r
	}
	msg := strings.Join(c.pos, " ")
	if msg == "" {
		msg = "action failed without reason given"
	}
	c.st.ActionFailed, c.st.ActionFailMessage = true, msg
	return changed()
}
