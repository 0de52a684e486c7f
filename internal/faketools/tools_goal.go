package faketools

import "github.com/charmtrace/charmtrace/charmhooks"

// goalState prints the stored goal state, or one derived from the state: this unit
// active, and per relation endpoint the remote application joined and its units active.
func goalState(c *call) Result {
	if r := c.maxArgs(0); r != nil {
		return *r
	}
	if c.st.Goal != nil {
		return c.print(c.st.Goal)
	}
	g := charmhooks.GoalState{
		Units:     map[string]charmhooks.GoalStatus{c.st.Unit: {Status: "active"}},
		Relations: map[string]map[string]charmhooks.GoalStatus{},
	}
	for _, r := range c.st.Relations {
		m := g.Relations[r.Endpoint]
		if m == nil {
			m = map[string]charmhooks.GoalStatus{}
			g.Relations[r.Endpoint] = m
		}
		if r.RemoteApp != "" {
			m[r.RemoteApp] = charmhooks.GoalStatus{Status: "joined"}
		}
		for u := range r.RemoteUnitsData {
			m[u] = charmhooks.GoalStatus{Status: "active"}
		}
	}
	return c.print(g)
}
