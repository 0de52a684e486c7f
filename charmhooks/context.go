package charmhooks

import (
	"fmt"
	"strconv"
	"strings"
)

// Context is what Juju tells a charm process about itself through the
// environment. It is read once per dispatch by [ReadContext]; nothing in
// it is sensitive.
type Context struct {
	UnitName   string // JUJU_UNIT_NAME, e.g. myapp/0
	AppName    string // the part of UnitName before '/'
	UnitNumber int    // the part of UnitName after '/'

	ModelName string // JUJU_MODEL_NAME
	ModelUUID string // JUJU_MODEL_UUID
	CharmDir  string // JUJU_CHARM_DIR: where the unit keeps its state and trace buffer

	JujuVersion      string // JUJU_VERSION; empty in meter-status-changed
	DispatchPath     string // JUJU_DISPATCH_PATH, e.g. hooks/install or actions/backup
	ContextID        string // JUJU_CONTEXT_ID: how hook tools find this hook's context
	MachineID        string // JUJU_MACHINE_ID; empty on Kubernetes
	PrincipalUnit    string // JUJU_PRINCIPAL_UNIT; set for subordinates
	AvailabilityZone string // JUJU_AVAILABILITY_ZONE

	// The span Juju 4 started for this hook, as it passes it, unparsed:
	// TraceParent and TraceState are TRACEPARENT and TRACESTATE (the W3C
	// pair, OpenTelemetry's convention for environment variables); TraceID,
	// SpanID and TraceFlags are JUJU_TRACE_ID, JUJU_SPAN_ID and
	// JUJU_TRACE_FLAGS (decimal, 1 = sampled). The tracing package parses
	// them: what is malformed is ignored there.
	TraceParent string
	TraceState  string
	TraceID     string
	SpanID      string
	TraceFlags  string

	// Event is the event this process was started for.
	Event Event
}

// EnvError reports a Juju environment variable that is missing or holds a
// value that cannot be parsed.
type EnvError struct {
	Var    string // the variable, e.g. JUJU_RELATION_ID
	Reason string // what is wrong with it
}

func (e *EnvError) Error() string {
	return "charmhooks: " + e.Var + " " + e.Reason
}

func missing(name, why string) *EnvError {
	return &EnvError{Var: name, Reason: "is not set (required " + why + ")"}
}

// ReadContext reads the hook environment through getenv (os.Getenv in a
// charm; a map lookup in tests). As Juju's own clients do, it treats an
// empty value as unset. The event comes from JUJU_DISPATCH_PATH
// (hooks/<name> or actions/<name>), else JUJU_HOOK_NAME, else
// JUJU_ACTION_NAME. A variable the event needs but lacks is an *EnvError
// naming it.
func ReadContext(getenv func(string) string) (*Context, error) {
	c := &Context{
		UnitName:         getenv("JUJU_UNIT_NAME"),
		ModelName:        getenv("JUJU_MODEL_NAME"),
		ModelUUID:        getenv("JUJU_MODEL_UUID"),
		CharmDir:         getenv("JUJU_CHARM_DIR"),
		JujuVersion:      getenv("JUJU_VERSION"),
		DispatchPath:     getenv("JUJU_DISPATCH_PATH"),
		ContextID:        getenv("JUJU_CONTEXT_ID"),
		MachineID:        getenv("JUJU_MACHINE_ID"),
		PrincipalUnit:    getenv("JUJU_PRINCIPAL_UNIT"),
		AvailabilityZone: getenv("JUJU_AVAILABILITY_ZONE"),
		TraceID:          getenv("JUJU_TRACE_ID"),
		SpanID:           getenv("JUJU_SPAN_ID"),
		TraceFlags:       getenv("JUJU_TRACE_FLAGS"),
		TraceParent:      getenv("TRACEPARENT"),
		TraceState:       getenv("TRACESTATE"),
	}
	switch {
	case c.UnitName == "":
		return nil, missing("JUJU_UNIT_NAME", "in every hook")
	case c.ModelName == "":
		return nil, missing("JUJU_MODEL_NAME", "in every hook")
	case c.ModelUUID == "":
		return nil, missing("JUJU_MODEL_UUID", "in every hook")
	case c.CharmDir == "":
		return nil, missing("JUJU_CHARM_DIR", "in every hook")
	}
	app, num, ok := strings.Cut(c.UnitName, "/")
	n, err := strconv.Atoi(num)
	if !ok || app == "" || err != nil || n < 0 {
		return nil, &EnvError{Var: "JUJU_UNIT_NAME", Reason: fmt.Sprintf("%q is not <application>/<number>", c.UnitName)}
	}
	c.AppName, c.UnitNumber = app, n

	ev, err := readEvent(getenv, c.DispatchPath)
	if err != nil {
		return nil, err
	}
	c.Event = ev
	return c, nil
}

// readEvent derives the event from the dispatch path or the hook/action
// name and reads the variables that event carries.
func readEvent(getenv func(string) string, dispatchPath string) (Event, error) {
	var e Event
	dir, name := splitDispatchPath(dispatchPath)
	switch {
	case name != "" && dir == "actions":
		e.Name, e.Kind = name, KindAction
	case name != "" && dir == "hooks":
		e.Name = name
	case getenv("JUJU_HOOK_NAME") != "":
		e.Name = getenv("JUJU_HOOK_NAME")
	case getenv("JUJU_ACTION_NAME") != "":
		e.Name, e.Kind = getenv("JUJU_ACTION_NAME"), KindAction
	case dispatchPath != "":
		return e, &EnvError{Var: "JUJU_DISPATCH_PATH", Reason: fmt.Sprintf("%q is neither hooks/<name> nor actions/<name>, and JUJU_HOOK_NAME is not set", dispatchPath)}
	default:
		return e, missing("JUJU_DISPATCH_PATH", "to know the event; JUJU_HOOK_NAME and JUJU_ACTION_NAME are not set either")
	}

	if e.Kind == KindAction {
		e.HookKind = ActionHookKind
		if getenv("JUJU_ACTION_NAME") == "" {
			return e, missing("JUJU_ACTION_NAME", "in actions")
		}
		if e.ActionID = getenv("JUJU_ACTION_UUID"); e.ActionID == "" {
			return e, missing("JUJU_ACTION_UUID", "in actions")
		}
		return e, nil
	}

	e.Kind, e.HookKind = classifyHook(e.Name)
	need := func(dst *string, name string) error {
		if *dst = getenv(name); *dst == "" {
			return missing(name, "in "+e.HookKind+" hooks")
		}
		return nil
	}
	switch e.Kind {
	case KindRelation:
		if err := need(&e.Relation, "JUJU_RELATION"); err != nil {
			return e, err
		}
		var ref string
		if err := need(&ref, "JUJU_RELATION_ID"); err != nil {
			return e, err
		}
		id, err := ParseRelationID(ref)
		if err != nil {
			return e, &EnvError{Var: "JUJU_RELATION_ID", Reason: err.Error()}
		}
		e.RelationID = id
		if err := need(&e.RemoteApp, "JUJU_REMOTE_APP"); err != nil {
			return e, err
		}
		switch e.HookKind {
		case RelationJoined:
			if err := need(&e.RemoteUnit, "JUJU_REMOTE_UNIT"); err != nil {
				return e, err
			}
		case RelationDeparted:
			if err := need(&e.RemoteUnit, "JUJU_REMOTE_UNIT"); err != nil {
				return e, err
			}
			if err := need(&e.DepartingUnit, "JUJU_DEPARTING_UNIT"); err != nil {
				return e, err
			}
		default:
			// Empty in created and broken, and in changed when only the
			// remote application's data changed.
			e.RemoteUnit = getenv("JUJU_REMOTE_UNIT")
		}
	case KindSecret:
		if err := need(&e.SecretID, "JUJU_SECRET_ID"); err != nil {
			return e, err
		}
		e.SecretLabel = getenv("JUJU_SECRET_LABEL")
		if rev := getenv("JUJU_SECRET_REVISION"); rev != "" {
			n, err := strconv.Atoi(rev)
			if err != nil || n < 0 {
				return e, &EnvError{Var: "JUJU_SECRET_REVISION", Reason: fmt.Sprintf("%q is not a revision number", rev)}
			}
			e.SecretRevision = n
		} else if e.HookKind == SecretRemove || e.HookKind == SecretExpired {
			return e, missing("JUJU_SECRET_REVISION", "in "+e.HookKind+" hooks")
		}
	case KindStorage:
		if err := need(&e.StorageID, "JUJU_STORAGE_ID"); err != nil {
			return e, err
		}
		e.Storage, _, _ = strings.Cut(e.StorageID, "/")
		e.StorageLocation = getenv("JUJU_STORAGE_LOCATION")
	case KindWorkload, KindNotice, KindCheck:
		if err := need(&e.Workload, "JUJU_WORKLOAD_NAME"); err != nil {
			return e, err
		}
		if e.Kind == KindNotice {
			for _, v := range []struct {
				dst  *string
				name string
			}{{&e.NoticeID, "JUJU_NOTICE_ID"}, {&e.NoticeType, "JUJU_NOTICE_TYPE"}, {&e.NoticeKey, "JUJU_NOTICE_KEY"}} {
				if err := need(v.dst, v.name); err != nil {
					return e, err
				}
			}
		}
		if e.Kind == KindCheck {
			if err := need(&e.CheckName, "JUJU_PEBBLE_CHECK_NAME"); err != nil {
				return e, err
			}
		}
	}
	return e, nil
}

// splitDispatchPath returns the last directory and the name of a dispatch
// path such as hooks/install; both are empty for any other shape.
func splitDispatchPath(p string) (dir, name string) {
	i := strings.LastIndexByte(p, '/')
	if i <= 0 || i == len(p)-1 {
		return "", ""
	}
	dir, name = p[:i], p[i+1:]
	if j := strings.LastIndexByte(dir, '/'); j >= 0 {
		dir = dir[j+1:]
	}
	return dir, name
}

// ParseRelationID returns the integer id of a relation reference as Juju
// writes it: "db:7" or "7". As Juju does, it keeps only what follows the
// last ':'.
func ParseRelationID(ref string) (int, error) {
	s := ref
	if i := strings.LastIndexByte(ref, ':'); i >= 0 {
		s = ref[i+1:]
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%q is not a relation id (<endpoint>:<number>)", ref)
	}
	return n, nil
}
