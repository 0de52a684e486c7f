package charmhooks

import (
	"sort"
)

// ActionGet decodes the running action's parameters (action-get
// --format=json) into dst: a map[string]any or a struct with json tags.
func (t *Tools) ActionGet(dst any) error {
	return t.runJSON(dst, "action-get", "--format=json")
}

// ActionSet adds results to the running action; a dotted key (a.b) makes a
// nested result. Juju takes results only as key=value arguments, so unlike
// the other writers these values are visible on the command line of the
// short-lived action-set process: return a secret's id, not its content,
// where the action's caller can read the secret itself.
func (t *Tools) ActionSet(results map[string]string) error {
	if len(results) == 0 {
		return nil
	}
	keys := make([]string, 0, len(results))
	for k := range results {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	args := make([]string, 0, len(keys))
	for _, k := range keys {
		args = append(args, k+"="+results[k])
	}
	_, err := t.run.Run("action-set", args...)
	return err
}

// ActionLog writes a progress message to the running action.
func (t *Tools) ActionLog(msg string) error {
	_, err := t.run.Run("action-log", "--", msg)
	return err
}

// ActionFail marks the running action as failed; an empty message leaves
// Juju's default text.
func (t *Tools) ActionFail(msg string) error {
	var err error
	if msg == "" {
		_, err = t.run.Run("action-fail")
	} else {
		_, err = t.run.Run("action-fail", "--", msg)
	}
	return err
}
