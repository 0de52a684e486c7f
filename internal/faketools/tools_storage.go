package faketools

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// storageID is Juju's storage id: <name>/<number>.
var storageID = regexp.MustCompile(`^[a-z][a-z0-9-]*/[0-9]+$`)

// storageGet prints the storage named by -s, or the storage hook's own
// (JUJU_STORAGE_ID): both fields, or the one named by the key argument.
func storageGet(c *call) Result {
	if r := c.maxArgs(1); r != nil {
		return *r
	}
	id, given := c.values["-s"]
	if !given {
		id = c.getenv("JUJU_STORAGE_ID")
	}
	if id == "" {
		return usage("no storage instance specified")
	}
	if !storageID.MatchString(id) {
		return usage(fmt.Sprintf("invalid value %q for option -s: invalid storage ID %q", id, id))
	}
	s, ok := c.st.Storage[id]
	if !ok {
		return usage(fmt.Sprintf("invalid value %q for option -s: storage %q not found", id, id))
	}
	values := map[string]string{"kind": s.Kind, "location": s.Location}
	if len(c.pos) == 0 {
		return c.print(values)
	}
	v, ok := values[c.pos[0]]
	if !ok {
		return failure(fmt.Sprintf("invalid storage attribute %q", c.pos[0]))
	}
	return c.print(v)
}

// storageList prints the attached storage ids, sorted, only those of the storage name
// given.
func storageList(c *call) Result {
	if r := c.maxArgs(1); r != nil {
		return *r
	}
	ids := []string{}
	for id := range c.st.Storage {
		name, _, _ := strings.Cut(id, "/")
		if len(c.pos) == 0 || c.pos[0] == name {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return c.print(ids)
}

// storageAdd records <name>[=<count>] directives; Juju attaches the storage later.
func storageAdd(c *call) Result {
	if len(c.pos) == 0 {
		return usage("storage add requires a storage directive")
	}
	added := map[string]int{}
	for _, d := range c.pos {
		name, count, hasCount := strings.Cut(d, "=")
		n := 1
		if hasCount {
			var err error
			if n, err = strconv.Atoi(count); err != nil || n < 1 {
				return usage(fmt.Sprintf("only count can be specified for %q", name))
			}
		}
		if name == "" {
			return usage(fmt.Sprintf("expected <storage name>[=<count>], got %q", d))
		}
		added[name] += n
	}
	if c.st.StorageAdded == nil {
		c.st.StorageAdded = map[string]int{}
	}
	for name, n := range added {
		c.st.StorageAdded[name] += n
	}
	return changed()
}
