package faketools

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/charmtrace/charmtrace/charmhooks"
)

// State is everything the fake Juju knows about one unit: what a test
// sets up before a dispatch and reads back after it. Its JSON form is the
// state file of the fakejuju executable.
type State struct {
	Unit      string `json:"unit"`                 // this unit, e.g. myapp/0
	Leader    bool   `json:"leader"`               // is-leader
	ModelUUID string `json:"model_uuid,omitempty"` // relation-model-get default

	// Config maps option names to values; a nil value is an option with
	// no value (config-get shows it only with --all).
	Config map[string]any `json:"config,omitempty"`

	Relations []*Relation                   `json:"relations,omitempty"`
	Networks  map[string]charmhooks.Network `json:"networks,omitempty"` // network-get, by binding
	Secrets   []*Secret                     `json:"secrets,omitempty"`
	// NextSecret numbers the ids of secrets created by secret-add.
	NextSecret int `json:"next_secret,omitempty"`

	UnitState map[string]string `json:"unit_state,omitempty"` // state-get/-set/-delete

	UnitStatus Status `json:"unit_status"`
	AppStatus  Status `json:"app_status"`
	AppVersion string `json:"app_version,omitempty"`
	Ports      []Port `json:"ports,omitempty"`

	ActionParams      map[string]any    `json:"action_params,omitempty"`
	ActionResults     map[string]string `json:"action_results,omitempty"` // flat: "a.b" for nested keys
	ActionLogs        []string          `json:"action_logs,omitempty"`
	ActionFailed      bool              `json:"action_failed,omitempty"`
	ActionFailMessage string            `json:"action_fail_message,omitempty"`

	Logs []LogLine `json:"logs,omitempty"` // juju-log lines, in order

	// Reboot is "" (none), "after-hook" or "now" (juju-reboot [--now]).
	Reboot string `json:"reboot,omitempty"`

	ModelState // storage, resources, goal state, credential

	// Faults are failures to inject, by tool (see Fault).
	Faults []*Fault `json:"faults,omitempty"`
}

// Relation is one relation of the unit.
type Relation struct {
	ID        int    `json:"id"`
	Endpoint  string `json:"endpoint"`
	RemoteApp string `json:"remote_app"`
	// Peer relations let every unit read the application databag.
	Peer bool `json:"peer,omitempty"`
	// RemoteModelUUID is what relation-model-get prints (default: the
	// unit's own model).
	RemoteModelUUID string `json:"remote_model_uuid,omitempty"`

	LocalUnitData map[string]string `json:"local_unit_data,omitempty"`
	LocalAppData  map[string]string `json:"local_app_data,omitempty"`
	RemoteAppData map[string]string `json:"remote_app_data,omitempty"`
	// RemoteUnitsData has one databag per remote unit; its keys are what
	// relation-list prints.
	RemoteUnitsData map[string]map[string]string `json:"remote_units_data,omitempty"`
}

// Ref is the relation as hook tools print it: "endpoint:id".
func (r *Relation) Ref() string { return fmt.Sprintf("%s:%d", r.Endpoint, r.ID) }

// Secret is one secret the unit owns or can read.
type Secret struct {
	ID          string `json:"id"` // secret:<xid>
	Label       string `json:"label,omitempty"`
	Description string `json:"description,omitempty"`
	Expire      string `json:"expire,omitempty"`
	Rotate      string `json:"rotate,omitempty"`
	// Owner is "application" or "unit" for secrets this unit's
	// application or this unit owns, and "" for a secret another
	// application shared with this one.
	Owner string `json:"owner,omitempty"`
	// NotGranted marks a secret of another application that this unit
	// knows the id of but was never granted (or was revoked): reading it is
	// refused with "permission denied", as Juju refuses it.
	NotGranted bool              `json:"not_granted,omitempty"`
	Revision   int               `json:"revision"`
	Content    map[string]string `json:"content"`
	Grants     []Grant           `json:"grants,omitempty"`
	// Tracked is the revision a consumer (Owner "") reads: 0 until its first
	// secret-get pins the latest. TrackedContent is that revision's content when
	// it is older than Revision, so a test can show a new revision arriving.
	Tracked        int               `json:"tracked,omitempty"`
	TrackedContent map[string]string `json:"tracked_content,omitempty"`
}

// Grant is read access given with secret-grant.
type Grant struct {
	Relation int    `json:"relation"`
	Unit     string `json:"unit,omitempty"`
}

// Status is a workload status.
type Status struct {
	Status  string         `json:"status,omitempty"`
	Message string         `json:"message,omitempty"`
	Data    map[string]any `json:"data,omitempty"`
}

// Port is an opened port: Spec as opened-ports prints it (80/tcp) and
// the endpoints it is open on (none: all).
type Port struct {
	Spec      string   `json:"spec"`
	Endpoints []string `json:"endpoints,omitempty"`
}

// LogLine is one juju-log call as the unit's log shows it: the level and
// the message, with Juju's "endpoint:id: " prefix in relation hooks.
type LogLine struct {
	Level   string `json:"level"`
	Message string `json:"message"`
}

// Call is one hook-tool invocation as the fake saw it. Standard input is
// recorded by size only.
type Call struct {
	Tool       string   `json:"tool"`
	Args       []string `json:"args"`
	StdinBytes int      `json:"stdin_bytes,omitempty"`
	ExitCode   int      `json:"exit_code"`
}

// ReadState loads a state file.
func ReadState(path string) (*State, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	st := new(State)
	if err := json.Unmarshal(b, st); err != nil {
		return nil, fmt.Errorf("fakejuju: state file %s: %w", path, err)
	}
	return st, nil
}

// WriteState stores a state file (mode 0600: it holds secret content).
func WriteState(path string, st *State) error {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o600)
}

func (st *State) relation(id int) *Relation {
	for _, r := range st.Relations {
		if r.ID == id {
			return r
		}
	}
	return nil
}

func (st *State) appName() string {
	for i := 0; i < len(st.Unit); i++ {
		if st.Unit[i] == '/' {
			return st.Unit[:i]
		}
	}
	return st.Unit
}
