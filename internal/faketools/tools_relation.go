package faketools

import (
	"fmt"
	"sort"
	"strings"
)

var relFlags = map[string]string{"-r": "--relation"}

func relationIDs(c *call) Result {
	if r := c.maxArgs(1); r != nil {
		return *r
	}
	endpoint := c.getenv("JUJU_RELATION")
	if len(c.pos) == 1 {
		endpoint = c.pos[0]
	}
	if endpoint == "" {
		return usage("no endpoint name specified")
	}
	var ids []*Relation
	for _, r := range c.st.Relations {
		if r.Endpoint == endpoint {
			ids = append(ids, r)
		}
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i].ID < ids[j].ID })
	refs := make([]string, len(ids))
	for i, r := range ids {
		refs[i] = r.Ref()
	}
	return c.print(refs)
}

func relationList(c *call) Result {
	if r := c.maxArgs(0); r != nil {
		return *r
	}
	rel, res := c.relation()
	if res != nil {
		return *res
	}
	if c.bools["--app"] {
		return c.print(rel.RemoteApp)
	}
	units := make([]string, 0, len(rel.RemoteUnitsData))
	for u := range rel.RemoteUnitsData {
		units = append(units, u)
	}
	sort.Strings(units)
	return c.print(units)
}

func unitApp(unit string) string {
	app, _, _ := strings.Cut(unit, "/")
	return app
}

// relationGet follows Juju's defaults: with no unit and no --app, the
// remote unit of the hook, else (app-data changes) the remote app; with
// --app and no name, the remote app.
func relationGet(c *call) Result {
	if r := c.maxArgs(2); r != nil {
		return *r
	}
	rel, res := c.relation()
	if res != nil {
		return *res
	}
	key, target := "", ""
	if len(c.pos) > 0 && c.pos[0] != "-" {
		key = c.pos[0]
	}
	if len(c.pos) > 1 {
		target = c.pos[1]
	}
	app := c.bools["--app"]
	if target == "" {
		if !app {
			target = c.getenv("JUJU_REMOTE_UNIT")
		}
		if target == "" {
			target, app = c.getenv("JUJU_REMOTE_APP"), true
		}
		if target == "" {
			return usage("no unit or application specified")
		}
	}
	var bag map[string]string
	switch {
	case app && unitApp(target) == c.st.appName():
		if !c.st.Leader && !rel.Peer {
			return failure("permission denied")
		}
		bag = rel.LocalAppData
	case app && unitApp(target) == rel.RemoteApp:
		bag = rel.RemoteAppData
	case app:
		return failure(fmt.Sprintf("cannot read application settings for %q in relation %q: permission denied", unitApp(target), rel.Ref()))
	case target == c.st.Unit:
		bag = rel.LocalUnitData
	default:
		var ok bool
		if bag, ok = rel.RemoteUnitsData[target]; !ok {
			return failure(fmt.Sprintf("cannot read settings for unit %q in relation %q: unit %q: settings not found", target, rel.Ref(), target))
		}
	}
	if key != "" {
		if v, ok := bag[key]; ok {
			return c.print(v)
		}
		return c.print(nil)
	}
	if bag == nil {
		bag = map[string]string{}
	}
	return c.print(bag)
}

func relationSet(c *call) Result {
	rel, res := c.relation()
	if res != nil {
		return *res
	}
	data, res := c.readMapInput()
	if res != nil {
		return *res
	}
	target := &rel.LocalUnitData
	if c.bools["--app"] {
		if !c.st.Leader {
			return failure("cannot write relation settings")
		}
		target = &rel.LocalAppData
	}
	if *target == nil {
		*target = map[string]string{}
	}
	for k, v := range data {
		if v == "" {
			delete(*target, k) // an empty value deletes the key
		} else {
			(*target)[k] = v
		}
	}
	return changed()
}

func relationModelGet(c *call) Result {
	if r := c.maxArgs(0); r != nil {
		return *r
	}
	rel, res := c.relation()
	if res != nil {
		return *res
	}
	uuid := rel.RemoteModelUUID
	if uuid == "" {
		uuid = c.st.ModelUUID
	}
	return c.print(map[string]string{"uuid": uuid})
}
