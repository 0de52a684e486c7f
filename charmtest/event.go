package charmtest

import (
	"fmt"
	"strings"
)

// Event is the event a run dispatches, as Juju would announce it in the hook's
// environment.
type Event struct {
	Name   string // the hook (install, db-relation-changed) or action name
	Action bool
	// Params are an action's parameters (action-get).
	Params map[string]any

	// RelationID is the relation of a relation hook, an ID of State.Relations. Zero
	// picks the only relation on the hook's endpoint.
	RelationID int
	// RemoteUnit is the remote unit the relation hook is about. Empty for
	// relation-created, -broken and application-data changes; joined and departed
	// default to the relation's first remote unit.
	RemoteUnit    string
	DepartingUnit string

	SecretID       string
	SecretLabel    string
	SecretRevision int

	Workload        string // JUJU_WORKLOAD_NAME of pebble events
	StorageID       string // JUJU_STORAGE_ID of storage events, e.g. data/0
	StorageLocation string

	// Env adds or overrides variables of the hook's environment, e.g. JUJU_TRACE_ID.
	Env map[string]string
}

// Hook is the hook event of that name.
func Hook(name string) Event { return Event{Name: name} }

// Action is the action of that name with its parameters.
func Action(name string, params map[string]any) Event {
	return Event{Name: name, Action: true, Params: params}
}

// relationKinds are the suffixes of relation hooks.
var relationKinds = []string{"created", "joined", "changed", "departed", "broken"}

// relationHook splits db-relation-changed into db and changed.
func relationHook(name string) (endpoint, kind string, ok bool) {
	for _, k := range relationKinds {
		if ep, found := strings.CutSuffix(name, "-relation-"+k); found && ep != "" {
			return ep, k, true
		}
	}
	return "", "", false
}

// env is the hook environment of e for unit in st; st's relations have their ids.
func (e Event) env(unit, charmDir string, st *State, contextID int) (map[string]string, error) {
	env := map[string]string{
		"JUJU_UNIT_NAME":  unit,
		"JUJU_MODEL_NAME": st.Model.Name,
		"JUJU_MODEL_UUID": st.Model.UUID,
		"JUJU_CHARM_DIR":  charmDir,
		"JUJU_VERSION":    st.JujuVersion,
		"JUJU_CONTEXT_ID": fmt.Sprintf("%s-%s-%d", unit, e.Name, contextID),
	}
	if e.Action {
		env["JUJU_DISPATCH_PATH"] = "actions/" + e.Name
		env["JUJU_ACTION_NAME"] = e.Name
		env["JUJU_ACTION_UUID"] = fmt.Sprint(contextID)
	} else {
		env["JUJU_DISPATCH_PATH"] = "hooks/" + e.Name
		env["JUJU_HOOK_NAME"] = e.Name
	}
	if endpoint, kind, ok := relationHook(e.Name); ok && !e.Action {
		rel, err := st.relationFor(endpoint, e.RelationID)
		if err != nil {
			return nil, fmt.Errorf("charmtest: %s: %w", e.Name, err)
		}
		env["JUJU_RELATION"], env["JUJU_RELATION_ID"], env["JUJU_REMOTE_APP"] = rel.Endpoint, rel.Ref(), rel.RemoteApp
		remote := e.RemoteUnit
		if remote == "" && (kind == "joined" || kind == "departed") {
			remote = firstUnit(rel.RemoteUnitsData)
			if remote == "" {
				return nil, fmt.Errorf("charmtest: %s needs a remote unit: the relation has none", e.Name)
			}
		}
		if remote != "" {
			env["JUJU_REMOTE_UNIT"] = remote
		}
		if kind == "departed" {
			env["JUJU_DEPARTING_UNIT"] = remote
			if e.DepartingUnit != "" {
				env["JUJU_DEPARTING_UNIT"] = e.DepartingUnit
			}
		}
	}
	set := func(k, v string) {
		if v != "" {
			env[k] = v
		}
	}
	set("JUJU_SECRET_ID", e.SecretID)
	set("JUJU_SECRET_LABEL", e.SecretLabel)
	if e.SecretRevision > 0 {
		env["JUJU_SECRET_REVISION"] = fmt.Sprint(e.SecretRevision)
	}
	set("JUJU_WORKLOAD_NAME", e.Workload)
	set("JUJU_STORAGE_ID", e.StorageID)
	set("JUJU_STORAGE_LOCATION", e.StorageLocation)
	for k, v := range e.Env {
		env[k] = v
	}
	return env, nil
}

func (st *State) relationFor(endpoint string, id int) (Relation, error) {
	var found []Relation
	for _, r := range st.Relations {
		if (id != 0 && r.ID == id) || (id == 0 && r.Endpoint == endpoint) {
			found = append(found, r)
		}
	}
	switch {
	case len(found) == 1:
		return found[0], nil
	case id != 0:
		return Relation{}, fmt.Errorf("no relation with id %d in the state", id)
	case len(found) == 0:
		return Relation{}, fmt.Errorf("no %s relation in the state", endpoint)
	}
	return Relation{}, fmt.Errorf("%d %s relations in the state: set Event.RelationID", len(found), endpoint)
}

func firstUnit(units map[string]map[string]string) string {
	first := ""
	for u := range units {
		if first == "" || u < first {
			first = u
		}
	}
	return first
}
