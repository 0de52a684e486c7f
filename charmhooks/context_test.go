package charmhooks

import (
	"errors"
	"reflect"
	"testing"
)

// base is what Juju exports in every hook.
func baseEnv() map[string]string {
	return map[string]string{
		"JUJU_UNIT_NAME":      "myapp/3",
		"JUJU_MODEL_NAME":     "cos",
		"JUJU_MODEL_UUID":     "cdac5656-2423-4388-8f30-41854b4cca7d",
		"JUJU_CHARM_DIR":      "/var/lib/juju/agents/unit-myapp-3/charm",
		"JUJU_VERSION":        "3.6.4",
		"JUJU_CONTEXT_ID":     "myapp/3-install-123",
		"JUJU_HOOK_NAME":      "",
		"JUJU_DISPATCH_PATH":  "",
		"JUJU_MACHINE_ID":     "",
		"JUJU_PRINCIPAL_UNIT": "",
	}
}

func with(extra map[string]string) func(string) string {
	env := baseEnv()
	for k, v := range extra {
		env[k] = v
	}
	return func(k string) string { return env[k] }
}

func TestReadContextEvents(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want Event
	}{
		{"install", map[string]string{"JUJU_DISPATCH_PATH": "hooks/install", "JUJU_HOOK_NAME": "install"},
			Event{Name: "install", Kind: KindLifecycle, HookKind: "install"}},
		{"start", map[string]string{"JUJU_DISPATCH_PATH": "hooks/start"},
			Event{Name: "start", Kind: KindLifecycle, HookKind: "start"}},
		{"stop", map[string]string{"JUJU_DISPATCH_PATH": "hooks/stop"}, Event{Name: "stop", Kind: KindLifecycle, HookKind: "stop"}},
		{"remove", map[string]string{"JUJU_DISPATCH_PATH": "hooks/remove"}, Event{Name: "remove", Kind: KindLifecycle, HookKind: "remove"}},
		{"config-changed", map[string]string{"JUJU_DISPATCH_PATH": "hooks/config-changed"},
			Event{Name: "config-changed", Kind: KindLifecycle, HookKind: "config-changed"}},
		{"update-status", map[string]string{"JUJU_DISPATCH_PATH": "hooks/update-status"},
			Event{Name: "update-status", Kind: KindLifecycle, HookKind: "update-status"}},
		{"leader-elected", map[string]string{"JUJU_DISPATCH_PATH": "hooks/leader-elected"},
			Event{Name: "leader-elected", Kind: KindLifecycle, HookKind: "leader-elected"}},
		{"leader-settings-changed", map[string]string{"JUJU_DISPATCH_PATH": "hooks/leader-settings-changed"},
			Event{Name: "leader-settings-changed", Kind: KindLifecycle, HookKind: "leader-settings-changed"}},
		{"collect-metrics", map[string]string{"JUJU_DISPATCH_PATH": "hooks/collect-metrics"},
			Event{Name: "collect-metrics", Kind: KindLifecycle, HookKind: "collect-metrics"}},
		{"meter-status-changed without JUJU_VERSION", map[string]string{"JUJU_DISPATCH_PATH": "hooks/meter-status-changed", "JUJU_VERSION": ""},
			Event{Name: "meter-status-changed", Kind: KindLifecycle, HookKind: "meter-status-changed"}},
		{"upgrade-charm", map[string]string{"JUJU_DISPATCH_PATH": "hooks/upgrade-charm"},
			Event{Name: "upgrade-charm", Kind: KindUpgrade, HookKind: "upgrade-charm"}},
		{"pre-series-upgrade", map[string]string{"JUJU_DISPATCH_PATH": "hooks/pre-series-upgrade"},
			Event{Name: "pre-series-upgrade", Kind: KindUpgrade, HookKind: "pre-series-upgrade"}},
		{"post-series-upgrade", map[string]string{"JUJU_DISPATCH_PATH": "hooks/post-series-upgrade"},
			Event{Name: "post-series-upgrade", Kind: KindUpgrade, HookKind: "post-series-upgrade"}},
		{"relation-created (no remote unit)", map[string]string{
			"JUJU_DISPATCH_PATH": "hooks/charm-tracing-relation-created", "JUJU_RELATION": "charm-tracing",
			"JUJU_RELATION_ID": "charm-tracing:7", "JUJU_REMOTE_APP": "tempo", "JUJU_REMOTE_UNIT": ""},
			Event{Name: "charm-tracing-relation-created", Kind: KindRelation, HookKind: RelationCreated,
				Relation: "charm-tracing", RelationID: 7, RemoteApp: "tempo"}},
		{"relation-joined", map[string]string{
			"JUJU_DISPATCH_PATH": "hooks/db-relation-joined", "JUJU_RELATION": "db",
			"JUJU_RELATION_ID": "db:0", "JUJU_REMOTE_APP": "pg", "JUJU_REMOTE_UNIT": "pg/1"},
			Event{Name: "db-relation-joined", Kind: KindRelation, HookKind: RelationJoined,
				Relation: "db", RelationID: 0, RemoteApp: "pg", RemoteUnit: "pg/1"}},
		{"relation-changed (cross-model app data)", map[string]string{
			"JUJU_DISPATCH_PATH": "hooks/charm-tracing-relation-changed", "JUJU_RELATION": "charm-tracing",
			"JUJU_RELATION_ID": "charm-tracing:12", "JUJU_REMOTE_APP": "remote-0123456789abcdef0123456789abcdef"},
			Event{Name: "charm-tracing-relation-changed", Kind: KindRelation, HookKind: RelationChanged,
				Relation: "charm-tracing", RelationID: 12, RemoteApp: "remote-0123456789abcdef0123456789abcdef"}},
		{"relation-departed", map[string]string{
			"JUJU_DISPATCH_PATH": "hooks/db-relation-departed", "JUJU_RELATION": "db", "JUJU_RELATION_ID": "db:3",
			"JUJU_REMOTE_APP": "pg", "JUJU_REMOTE_UNIT": "pg/1", "JUJU_DEPARTING_UNIT": "pg/1"},
			Event{Name: "db-relation-departed", Kind: KindRelation, HookKind: RelationDeparted,
				Relation: "db", RelationID: 3, RemoteApp: "pg", RemoteUnit: "pg/1", DepartingUnit: "pg/1"}},
		{"relation-broken", map[string]string{
			"JUJU_DISPATCH_PATH": "hooks/receive-ca-cert-relation-broken", "JUJU_RELATION": "receive-ca-cert",
			"JUJU_RELATION_ID": "receive-ca-cert:9", "JUJU_REMOTE_APP": "self-signed-certificates"},
			Event{Name: "receive-ca-cert-relation-broken", Kind: KindRelation, HookKind: RelationBroken,
				Relation: "receive-ca-cert", RelationID: 9, RemoteApp: "self-signed-certificates"}},
		{"secret-changed", map[string]string{
			"JUJU_DISPATCH_PATH": "hooks/secret-changed", "JUJU_SECRET_ID": "secret:cq4abc", "JUJU_SECRET_LABEL": "admin"},
			Event{Name: "secret-changed", Kind: KindSecret, HookKind: SecretChanged, SecretID: "secret:cq4abc", SecretLabel: "admin"}},
		{"secret-rotate (no label)", map[string]string{
			"JUJU_DISPATCH_PATH": "hooks/secret-rotate", "JUJU_SECRET_ID": "secret://cdac5656/cq4abc"},
			Event{Name: "secret-rotate", Kind: KindSecret, HookKind: SecretRotate, SecretID: "secret://cdac5656/cq4abc"}},
		{"secret-remove", map[string]string{
			"JUJU_DISPATCH_PATH": "hooks/secret-remove", "JUJU_SECRET_ID": "secret:x", "JUJU_SECRET_REVISION": "4"},
			Event{Name: "secret-remove", Kind: KindSecret, HookKind: SecretRemove, SecretID: "secret:x", SecretRevision: 4}},
		{"secret-expired", map[string]string{
			"JUJU_DISPATCH_PATH": "hooks/secret-expired", "JUJU_SECRET_ID": "secret:x", "JUJU_SECRET_REVISION": "2"},
			Event{Name: "secret-expired", Kind: KindSecret, HookKind: SecretExpired, SecretID: "secret:x", SecretRevision: 2}},
		{"storage-attached", map[string]string{
			"JUJU_DISPATCH_PATH": "hooks/data-storage-attached", "JUJU_STORAGE_ID": "data/0",
			"JUJU_STORAGE_LOCATION": "/srv/data", "JUJU_STORAGE_KIND": "filesystem"},
			Event{Name: "data-storage-attached", Kind: KindStorage, HookKind: StorageAttached,
				Storage: "data", StorageID: "data/0", StorageLocation: "/srv/data"}},
		{"storage-detaching", map[string]string{
			"JUJU_DISPATCH_PATH": "hooks/data-storage-detaching", "JUJU_STORAGE_ID": "data/1"},
			Event{Name: "data-storage-detaching", Kind: KindStorage, HookKind: StorageDetaching, Storage: "data", StorageID: "data/1"}},
		{"pebble-ready", map[string]string{
			"JUJU_DISPATCH_PATH": "hooks/workload-pebble-ready", "JUJU_WORKLOAD_NAME": "workload"},
			Event{Name: "workload-pebble-ready", Kind: KindWorkload, HookKind: PebbleReady, Workload: "workload"}},
		{"pebble-custom-notice", map[string]string{
			"JUJU_DISPATCH_PATH": "hooks/workload-pebble-custom-notice", "JUJU_WORKLOAD_NAME": "workload",
			"JUJU_NOTICE_ID": "1", "JUJU_NOTICE_TYPE": "custom", "JUJU_NOTICE_KEY": "example.com/a"},
			Event{Name: "workload-pebble-custom-notice", Kind: KindNotice, HookKind: PebbleCustomNotice,
				Workload: "workload", NoticeID: "1", NoticeType: "custom", NoticeKey: "example.com/a"}},
		{"pebble-check-failed", map[string]string{
			"JUJU_DISPATCH_PATH": "hooks/workload-pebble-check-failed", "JUJU_WORKLOAD_NAME": "workload",
			"JUJU_PEBBLE_CHECK_NAME": "http-check"},
			Event{Name: "workload-pebble-check-failed", Kind: KindCheck, HookKind: PebbleCheckFailed, Workload: "workload", CheckName: "http-check"}},
		{"pebble-check-recovered", map[string]string{
			"JUJU_DISPATCH_PATH": "hooks/workload-pebble-check-recovered", "JUJU_WORKLOAD_NAME": "workload",
			"JUJU_PEBBLE_CHECK_NAME": "http-check"},
			Event{Name: "workload-pebble-check-recovered", Kind: KindCheck, HookKind: PebbleCheckRecovered, Workload: "workload", CheckName: "http-check"}},
		{"action (hook name empty)", map[string]string{
			"JUJU_DISPATCH_PATH": "actions/get-admin-password", "JUJU_ACTION_NAME": "get-admin-password", "JUJU_ACTION_UUID": "42"},
			Event{Name: "get-admin-password", Kind: KindAction, HookKind: ActionHookKind, ActionID: "42"}},
		{"action named like a hook", map[string]string{
			"JUJU_DISPATCH_PATH": "actions/start", "JUJU_ACTION_NAME": "start", "JUJU_ACTION_UUID": "7"},
			Event{Name: "start", Kind: KindAction, HookKind: ActionHookKind, ActionID: "7"}},
		{"unknown future hook", map[string]string{"JUJU_DISPATCH_PATH": "hooks/something-new"},
			Event{Name: "something-new", Kind: KindHook, HookKind: "something-new"}},
		{"no dispatch path: hook name", map[string]string{"JUJU_HOOK_NAME": "update-status"},
			Event{Name: "update-status", Kind: KindLifecycle, HookKind: "update-status"}},
		{"no dispatch path: action name", map[string]string{"JUJU_ACTION_NAME": "backup", "JUJU_ACTION_UUID": "3"},
			Event{Name: "backup", Kind: KindAction, HookKind: ActionHookKind, ActionID: "3"}},
		{"absolute dispatch path", map[string]string{"JUJU_DISPATCH_PATH": "/var/lib/juju/charm/hooks/start"},
			Event{Name: "start", Kind: KindLifecycle, HookKind: "start"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ReadContext(with(tt.env))
			if err != nil {
				t.Fatalf("ReadContext: %v", err)
			}
			if !reflect.DeepEqual(c.Event, tt.want) {
				t.Errorf("event\n got %+v\nwant %+v", c.Event, tt.want)
			}
		})
	}
}

func TestReadContextFields(t *testing.T) {
	c, err := ReadContext(with(map[string]string{
		"JUJU_DISPATCH_PATH": "hooks/install", "JUJU_TRACE_ID": "0af7651916cd43dd8448eb211c80319c",
		"JUJU_SPAN_ID": "b7ad6b7169203331", "JUJU_MACHINE_ID": "0/lxd/3", "JUJU_AVAILABILITY_ZONE": "zone1",
		"JUJU_PRINCIPAL_UNIT": "main/0", "JUJU_TRACE_FLAGS": "1",
		"TRACEPARENT": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "TRACESTATE": "juju=1",
	}))
	if err != nil {
		t.Fatal(err)
	}
	want := Context{
		UnitName: "myapp/3", AppName: "myapp", UnitNumber: 3, ModelName: "cos",
		ModelUUID: "cdac5656-2423-4388-8f30-41854b4cca7d", CharmDir: "/var/lib/juju/agents/unit-myapp-3/charm",
		JujuVersion: "3.6.4", DispatchPath: "hooks/install", ContextID: "myapp/3-install-123",
		MachineID: "0/lxd/3", PrincipalUnit: "main/0", AvailabilityZone: "zone1",
		TraceID: "0af7651916cd43dd8448eb211c80319c", SpanID: "b7ad6b7169203331", TraceFlags: "1",
		TraceParent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", TraceState: "juju=1",
		Event: Event{Name: "install", Kind: KindLifecycle, HookKind: "install"},
	}
	if !reflect.DeepEqual(*c, want) {
		t.Errorf("context\n got %+v\nwant %+v", *c, want)
	}
}

func TestReadContextErrors(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		wantVar string
	}{
		{"no unit", map[string]string{"JUJU_UNIT_NAME": "", "JUJU_DISPATCH_PATH": "hooks/install"}, "JUJU_UNIT_NAME"},
		{"bad unit", map[string]string{"JUJU_UNIT_NAME": "myapp", "JUJU_DISPATCH_PATH": "hooks/install"}, "JUJU_UNIT_NAME"},
		{"no model", map[string]string{"JUJU_MODEL_NAME": "", "JUJU_DISPATCH_PATH": "hooks/install"}, "JUJU_MODEL_NAME"},
		{"no model uuid", map[string]string{"JUJU_MODEL_UUID": "", "JUJU_DISPATCH_PATH": "hooks/install"}, "JUJU_MODEL_UUID"},
		{"no charm dir", map[string]string{"JUJU_CHARM_DIR": "", "JUJU_DISPATCH_PATH": "hooks/install"}, "JUJU_CHARM_DIR"},
		{"no event at all (juju exec)", nil, "JUJU_DISPATCH_PATH"},
		{"odd dispatch path", map[string]string{"JUJU_DISPATCH_PATH": "dispatch"}, "JUJU_DISPATCH_PATH"},
		{"relation without id", map[string]string{"JUJU_DISPATCH_PATH": "hooks/db-relation-changed", "JUJU_RELATION": "db", "JUJU_REMOTE_APP": "pg"}, "JUJU_RELATION_ID"},
		{"relation id not a number", map[string]string{"JUJU_DISPATCH_PATH": "hooks/db-relation-changed", "JUJU_RELATION": "db", "JUJU_RELATION_ID": "db:x", "JUJU_REMOTE_APP": "pg"}, "JUJU_RELATION_ID"},
		{"relation without endpoint", map[string]string{"JUJU_DISPATCH_PATH": "hooks/db-relation-changed", "JUJU_RELATION_ID": "db:1", "JUJU_REMOTE_APP": "pg"}, "JUJU_RELATION"},
		{"relation without remote app", map[string]string{"JUJU_DISPATCH_PATH": "hooks/db-relation-changed", "JUJU_RELATION": "db", "JUJU_RELATION_ID": "db:1"}, "JUJU_REMOTE_APP"},
		{"joined without remote unit", map[string]string{"JUJU_DISPATCH_PATH": "hooks/db-relation-joined", "JUJU_RELATION": "db", "JUJU_RELATION_ID": "db:1", "JUJU_REMOTE_APP": "pg"}, "JUJU_REMOTE_UNIT"},
		{"departed without departing unit", map[string]string{"JUJU_DISPATCH_PATH": "hooks/db-relation-departed", "JUJU_RELATION": "db", "JUJU_RELATION_ID": "db:1", "JUJU_REMOTE_APP": "pg", "JUJU_REMOTE_UNIT": "pg/0"}, "JUJU_DEPARTING_UNIT"},
		{"secret without id", map[string]string{"JUJU_DISPATCH_PATH": "hooks/secret-changed"}, "JUJU_SECRET_ID"},
		{"secret-remove without revision", map[string]string{"JUJU_DISPATCH_PATH": "hooks/secret-remove", "JUJU_SECRET_ID": "secret:x"}, "JUJU_SECRET_REVISION"},
		{"bad revision", map[string]string{"JUJU_DISPATCH_PATH": "hooks/secret-expired", "JUJU_SECRET_ID": "secret:x", "JUJU_SECRET_REVISION": "two"}, "JUJU_SECRET_REVISION"},
		{"storage without id", map[string]string{"JUJU_DISPATCH_PATH": "hooks/data-storage-attached"}, "JUJU_STORAGE_ID"},
		{"pebble without workload", map[string]string{"JUJU_DISPATCH_PATH": "hooks/app-pebble-ready"}, "JUJU_WORKLOAD_NAME"},
		{"notice without key", map[string]string{"JUJU_DISPATCH_PATH": "hooks/app-pebble-custom-notice", "JUJU_WORKLOAD_NAME": "app", "JUJU_NOTICE_ID": "1", "JUJU_NOTICE_TYPE": "custom"}, "JUJU_NOTICE_KEY"},
		{"check without name", map[string]string{"JUJU_DISPATCH_PATH": "hooks/app-pebble-check-failed", "JUJU_WORKLOAD_NAME": "app"}, "JUJU_PEBBLE_CHECK_NAME"},
		{"action without uuid", map[string]string{"JUJU_DISPATCH_PATH": "actions/backup", "JUJU_ACTION_NAME": "backup"}, "JUJU_ACTION_UUID"},
		{"action without name", map[string]string{"JUJU_DISPATCH_PATH": "actions/backup", "JUJU_ACTION_UUID": "1"}, "JUJU_ACTION_NAME"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadContext(with(tt.env))
			var envErr *EnvError
			if !errors.As(err, &envErr) {
				t.Fatalf("err = %v, want *EnvError", err)
			}
			if envErr.Var != tt.wantVar {
				t.Errorf("error names %s, want %s (%v)", envErr.Var, tt.wantVar, err)
			}
		})
	}
}

func TestEventNames(t *testing.T) {
	rel := Event{Name: "charm-tracing-relation-changed", Kind: KindRelation, Relation: "charm-tracing", RelationID: 7}
	if got := rel.RelationRef(); got != "charm-tracing:7" {
		t.Errorf("RelationRef = %q", got)
	}
	if got := rel.SnakeName(); got != "charm_tracing_relation_changed" {
		t.Errorf("SnakeName = %q", got)
	}
	act := Event{Name: "get-ca", Kind: KindAction}
	if got := act.SnakeName(); got != "get_ca_action" {
		t.Errorf("action SnakeName = %q", got)
	}
	if got := act.RelationRef(); got != "" {
		t.Errorf("RelationRef of an action = %q", got)
	}
}

func TestParseRelationID(t *testing.T) {
	for ref, want := range map[string]int{"db:7": 7, "7": 7, "a:b:12": 12, "charm-tracing:0": 0} {
		if got, err := ParseRelationID(ref); err != nil || got != want {
			t.Errorf("ParseRelationID(%q) = %d, %v", ref, got, err)
		}
	}
	for _, bad := range []string{"", "db:", "db:x", "db:-1", "x"} {
		if _, err := ParseRelationID(bad); err == nil {
			t.Errorf("ParseRelationID(%q) succeeded", bad)
		}
	}
}

func BenchmarkReadContext(b *testing.B) {
	getenv := with(map[string]string{
		"JUJU_DISPATCH_PATH": "hooks/charm-tracing-relation-changed", "JUJU_RELATION": "charm-tracing",
		"JUJU_RELATION_ID": "charm-tracing:7", "JUJU_REMOTE_APP": "tempo", "JUJU_REMOTE_UNIT": "tempo/0",
	})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ReadContext(getenv); err != nil {
			b.Fatal(err)
		}
	}
}
