package faketools

import "fmt"

// resourceGet prints the resource's local path with no newline, as Juju does.
func resourceGet(c *call) Result {
	if len(c.pos) == 0 {
		return usage("missing required resource name")
	}
	if r := c.maxArgs(1); r != nil {
		return *r
	}
	path, ok := c.st.Resources[c.pos[0]]
	if !ok {
		return failure(fmt.Sprintf("could not download resource: resource %q not found", c.pos[0]))
	}
	return Result{Stdout: []byte(path)}
}
