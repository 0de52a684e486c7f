package charmtest

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/charmtrace/charmtrace/charmhooks"
)

// State is what Juju and the unit's own files hold for one unit: the input of a run,
// and, in Out, what the run left.
type State struct {
	Leader bool
	// Config maps option names to values (config-get).
	Config map[string]any
	// Relations are the unit's relations, peers included. A zero ID is assigned
	// (the next free one, in order).
	Relations []Relation
	// Secrets the unit owns or may read, with their current revision.
	Secrets []Secret
	// Ports are the opened ports, as opened-ports prints them (8080/tcp).
	Ports      []Port
	UnitStatus Status
	AppStatus  Status
	AppVersion string
	// UnitState is Juju's key-value unit state (state-get, state-set).
	UnitState map[string]string
	// Stored is the unit state database's values (tracing.Charm.State): in, the
	// values to seed; out, every value, each as its JSON encoding (json.RawMessage).
	Stored []StoredValue
	// Deferred is the queue of deferred events, oldest first.
	Deferred []Deferred
	// Faults are hook-tool failures to inject (not copied to Out).
	Faults []Fault

	// Networks is what network-get prints, by binding name.
	Networks map[string]charmhooks.Network
	// Storage maps storage ids ("data/0") to what storage-get prints; storage-list lists
	// them.
	Storage map[string]charmhooks.Storage
	// StorageAdded counts the instances storage-add asked for, by storage name (out).
	StorageAdded map[string]int
	// Resources maps resource names to the path resource-get prints; a name missing
	// fails as a resource with no file does.
	Resources map[string]string
	// Goal is what goal-state prints; nil derives it from the unit and its relations.
	Goal *charmhooks.GoalState
	// Credential is what credential-get prints; nil fails as for an untrusted
	// application.
	Credential *charmhooks.CloudSpec

	Model       Model
	JujuVersion string // default 3.6.4
}

// Model is the model the unit is in.
type Model struct {
	Name string // default "test-model"
	UUID string // default a fixed UUID
}

// Relation is one relation of the unit and its databags.
type Relation struct {
	ID        int
	Endpoint  string
	RemoteApp string
	// Peer relations let every unit read the application databag.
	Peer bool
	// RemoteModelUUID is what relation-model-get prints (default: the unit's model).
	RemoteModelUUID string

	LocalAppData  map[string]string
	LocalUnitData map[string]string
	RemoteAppData map[string]string
	// RemoteUnitsData has one databag per remote unit; its keys are what
	// relation-list prints.
	RemoteUnitsData map[string]map[string]string
}

// Ref is the relation as hook tools name it: "endpoint:id".
func (r Relation) Ref() string { return r.Endpoint + ":" + strconv.Itoa(r.ID) }

// Secret is a secret the unit owns or has been shown.
type Secret struct {
	ID string // secret:<xid>; a zero ID is assigned
	// Owner is "application" or "unit" for a secret this unit's application or this
	// unit owns, and "" for a secret another application granted this one.
	Owner string
	// NotGranted marks a secret of another application whose id the unit knows but
	// may not read: secret-get answers "permission denied".
	NotGranted  bool
	Label       string
	Description string
	Expire      string
	Rotate      string
	Revision    int // default 1
	Content     map[string]string
	// TrackedRevision is the revision a granted secret's consumer reads until it
	// refreshes (0: none yet; the first secret-get pins Revision). Set it below
	// Revision, with TrackedContent, to test a secret-changed: secret-get returns
	// TrackedContent, --peek and --refresh return Content, and --refresh moves the pin.
	TrackedRevision int
	TrackedContent  map[string]string
	// Grants are the relations (and units) the secret was granted to.
	Grants []Grant
}

// Grant is read access given with secret-grant.
type Grant struct {
	RelationID int
	Unit       string // "" for the whole remote application
}

// Status is a workload status.
type Status struct {
	Name    string // active, blocked, waiting, maintenance; "" is unknown
	Message string
}

// Port is an opened port as opened-ports prints it (80/tcp, 8000-8999/udp, icmp), and
// the endpoints it is open on (none: all).
type Port struct {
	Spec      string
	Endpoints []string
}

// StoredValue is one value of the unit state database, under (Owner, Key).
type StoredValue struct {
	Owner, Key string
	Value      any // in Out, a json.RawMessage
}

// Decode decodes an Out value into dst, as json.Unmarshal does.
func (v StoredValue) Decode(dst any) error {
	b, ok := v.Value.(json.RawMessage)
	if !ok {
		var err error
		if b, err = json.Marshal(v.Value); err != nil {
			return err
		}
	}
	return json.Unmarshal(b, dst)
}

// Deferred is one (event, handler) pair in the deferral queue.
type Deferred struct {
	Event   charmhooks.Event // Name and Kind at least; Deferred is ignored
	Handler string           // the handler's name (charmhooks.HandlerName)
}

// Fault makes calls of one hook tool fail as Juju can make them fail.
type Fault struct {
	Tool string // e.g. secret-get
	// Stderr is Juju's error text without "ERROR ", e.g. "permission denied": it
	// decides how charmhooks classifies the failure (see PermissionDenied, Timeout).
	Stderr   string
	ExitCode int           // default 1
	Delay    time.Duration // how long the call takes before failing
	Times    int           // only the next Times calls; 0 is every call
}

// PermissionDenied is Juju's refusal of tool: errors.Is(err, charmhooks.ErrUnauthorized).
func PermissionDenied(tool string) Fault { return Fault{Tool: tool, Stderr: "permission denied"} }

// Timeout is tool failing after delay the way a call whose agent connection timed out
// fails.
func Timeout(tool string, delay time.Duration) Fault {
	return Fault{Tool: tool, Stderr: "connection is shut down: i/o timeout", Delay: delay}
}
