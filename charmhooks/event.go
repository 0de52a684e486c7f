package charmhooks

import (
	"strconv"
	"strings"
)

// EventKind is the family a Juju event belongs to. Handlers can be
// registered for a whole family with [Router.HandleKind].
type EventKind string

// The event families. Juju has no names for them; these follow the hook
// sets of the Juju documentation.
const (
	// KindLifecycle covers install, start, stop, remove, config-changed,
	// update-status, leader-elected, leader-settings-changed,
	// collect-metrics and meter-status-changed.
	KindLifecycle EventKind = "lifecycle"
	// KindUpgrade covers upgrade-charm, pre-series-upgrade and
	// post-series-upgrade.
	KindUpgrade EventKind = "upgrade"
	// KindRelation covers <endpoint>-relation-{created,joined,changed,departed,broken}.
	KindRelation EventKind = "relation"
	// KindSecret covers secret-{changed,rotate,remove,expired}.
	KindSecret EventKind = "secret"
	// KindStorage covers <storage>-storage-{attached,detaching}.
	KindStorage EventKind = "storage"
	// KindWorkload covers <container>-pebble-ready.
	KindWorkload EventKind = "workload"
	// KindNotice covers <container>-pebble-custom-notice.
	KindNotice EventKind = "notice"
	// KindCheck covers <container>-pebble-check-{failed,recovered}.
	KindCheck EventKind = "check"
	// KindAction is an action (dispatch path actions/<name>).
	KindAction EventKind = "action"
	// KindHook is a hook this package does not recognise (a newer Juju may
	// add some); it still dispatches by name.
	KindHook EventKind = "hook"
)

// Generic hook kinds, as Juju names them: the hook name without the
// endpoint, storage or container prefix. They are the values of
// [Event.HookKind] and the second argument of [Router.HandleRelation].
const (
	RelationCreated      = "relation-created"
	RelationJoined       = "relation-joined"
	RelationChanged      = "relation-changed"
	RelationDeparted     = "relation-departed"
	RelationBroken       = "relation-broken"
	StorageAttached      = "storage-attached"
	StorageDetaching     = "storage-detaching"
	PebbleReady          = "pebble-ready"
	PebbleCustomNotice   = "pebble-custom-notice"
	PebbleCheckFailed    = "pebble-check-failed"
	PebbleCheckRecovered = "pebble-check-recovered"
	SecretChanged        = "secret-changed"
	SecretRotate         = "secret-rotate"
	SecretRemove         = "secret-remove"
	SecretExpired        = "secret-expired"
	// ActionHookKind is the HookKind of every action.
	ActionHookKind = "action"

	restrictedCollect     = "collect-metrics"
	restrictedMeterStatus = "meter-status-changed"
)

// Event is one Juju event: the hook or action this process was started
// for, or a deferred event re-run from the queue. Fields that do not apply
// to the event's kind are zero.
//
// Event is a plain value and JSON-encodable; the deferral queue stores it
// as the event snapshot.
type Event struct {
	// Name is the Juju name: the hook name (db-relation-changed,
	// install, workload-pebble-ready) or, for an action, the action name.
	Name string `json:"name"`
	// Kind is the event family.
	Kind EventKind `json:"kind"`
	// HookKind is the hook name without its endpoint, storage or
	// container prefix (relation-changed, storage-attached, pebble-ready,
	// install); "action" for actions.
	HookKind string `json:"hook_kind"`
	// Deferred is true when the router re-runs the event from the
	// deferral queue.
	Deferred bool `json:"-"`

	Relation      string `json:"relation,omitempty"`       // endpoint name (JUJU_RELATION)
	RelationID    int    `json:"relation_id,omitempty"`    // integer after the last ':' of JUJU_RELATION_ID
	RemoteApp     string `json:"remote_app,omitempty"`     // JUJU_REMOTE_APP
	RemoteUnit    string `json:"remote_unit,omitempty"`    // JUJU_REMOTE_UNIT; empty for app-data changes
	DepartingUnit string `json:"departing_unit,omitempty"` // JUJU_DEPARTING_UNIT

	ActionID string `json:"action_id,omitempty"` // JUJU_ACTION_UUID

	SecretID       string `json:"secret_id,omitempty"`       // JUJU_SECRET_ID
	SecretLabel    string `json:"secret_label,omitempty"`    // JUJU_SECRET_LABEL
	SecretRevision int    `json:"secret_revision,omitempty"` // JUJU_SECRET_REVISION

	Workload   string `json:"workload,omitempty"`    // JUJU_WORKLOAD_NAME
	NoticeID   string `json:"notice_id,omitempty"`   // JUJU_NOTICE_ID
	NoticeType string `json:"notice_type,omitempty"` // JUJU_NOTICE_TYPE
	NoticeKey  string `json:"notice_key,omitempty"`  // JUJU_NOTICE_KEY
	CheckName  string `json:"check_name,omitempty"`  // JUJU_PEBBLE_CHECK_NAME

	Storage         string `json:"storage,omitempty"`          // storage name: the part of JUJU_STORAGE_ID before '/'
	StorageID       string `json:"storage_id,omitempty"`       // JUJU_STORAGE_ID, e.g. data/0
	StorageLocation string `json:"storage_location,omitempty"` // JUJU_STORAGE_LOCATION
}

// RelationRef returns the relation as hook tools name it ("db:7"), or ""
// when the event is not a relation event.
func (e Event) RelationRef() string {
	if e.Kind != KindRelation {
		return ""
	}
	return e.Relation + ":" + strconv.Itoa(e.RelationID)
}

// SnakeName returns the name the Python framework gives the event and that
// jhack expects in "Emitting Juju event <name>." lines:
// db-relation-changed becomes db_relation_changed and the action get-ca
// becomes get_ca_action.
func (e Event) SnakeName() string {
	name := strings.ReplaceAll(e.Name, "-", "_")
	if e.Kind == KindAction {
		return name + "_action"
	}
	return name
}

// restricted reports whether Juju runs the event in a restricted context
// in which relation-get, config-get, state-get and is-leader are not
// available; deferred events are not re-run there (as in ops).
func (e Event) restricted() bool {
	return e.Name == restrictedCollect || e.Name == restrictedMeterStatus
}

// hookSuffixes maps the generic part of a prefixed hook name to its family.
// The longest suffixes come first where one is a suffix of another.
var hookSuffixes = [...]struct {
	suffix string
	kind   EventKind
}{
	{"-" + RelationCreated, KindRelation},
	{"-" + RelationJoined, KindRelation},
	{"-" + RelationChanged, KindRelation},
	{"-" + RelationDeparted, KindRelation},
	{"-" + RelationBroken, KindRelation},
	{"-" + StorageAttached, KindStorage},
	{"-" + StorageDetaching, KindStorage},
	{"-" + PebbleReady, KindWorkload},
	{"-" + PebbleCustomNotice, KindNotice},
	{"-" + PebbleCheckFailed, KindCheck},
	{"-" + PebbleCheckRecovered, KindCheck},
}

// classifyHook returns the family and generic hook kind of a hook name.
// The endpoint, storage or container prefix is not returned: Juju passes
// it in JUJU_RELATION, JUJU_STORAGE_ID or JUJU_WORKLOAD_NAME.
func classifyHook(name string) (kind EventKind, hookKind string) {
	switch name {
	case "install", "start", "stop", "remove", "config-changed", "update-status",
		"leader-elected", "leader-settings-changed", restrictedCollect, restrictedMeterStatus:
		return KindLifecycle, name
	case "upgrade-charm", "pre-series-upgrade", "post-series-upgrade":
		return KindUpgrade, name
	case SecretChanged, SecretRotate, SecretRemove, SecretExpired:
		return KindSecret, name
	}
	for _, s := range hookSuffixes {
		if len(name) > len(s.suffix) && strings.HasSuffix(name, s.suffix) {
			return s.kind, s.suffix[1:]
		}
	}
	return KindHook, name
}
