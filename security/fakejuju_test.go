package security_test

import (
	"bytes"
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/charmtrace/charmtrace/internal/fakejuju"
	"github.com/charmtrace/charmtrace/security"
)

// keys decodes msg as one JSON object and returns its keys in order and its
// values, failing the test if msg is not exactly that.
func keys(t *testing.T, msg string) ([]string, map[string]string) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(msg))
	var order []string
	values := map[string]string{}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("%s: not a JSON object (%v)", msg, err)
	}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		var v string
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("%s: value of %v: %v", msg, k, err)
		}
		order = append(order, k.(string))
		values[k.(string)] = v
	}
	if _, err := dec.Token(); err != nil {
		t.Fatal(err)
	}
	if dec.More() {
		t.Fatalf("%s: trailing data", msg)
	}
	return order, values
}

// TestThroughFakeJuju sends events through the fake Juju's juju-log, which
// parses argv as Juju does and records the call and the log line.
func TestThroughFakeJuju(t *testing.T) {
	r := fakejuju.NewRunner(&fakejuju.State{Unit: unit, ModelUUID: modelUUID}, nil)
	var stderr bytes.Buffer
	l := newLogger(security.JujuLog(r), &stderr)
	ctx := context.Background()
	l.AuthzFail(ctx, "relation-set", 1, false)
	l.SysMonitorDisabled(ctx, "-starts-with-a-dash")

	calls := r.Calls()
	logs := r.State().Logs
	if len(calls) != 2 || len(logs) != 2 {
		t.Fatalf("calls %+v, logs %+v", calls, logs)
	}
	for i, c := range calls {
		if c.Tool != "juju-log" || c.ExitCode != 0 || len(c.Args) != 4 ||
			!reflect.DeepEqual(c.Args[:3], []string{"--log-level", "TRACE", "--"}) {
			t.Fatalf("call %d: %+v", i, c)
		}
		if logs[i].Level != "TRACE" || logs[i].Message != c.Args[3] {
			t.Fatalf("log %d: %+v, want TRACE %s", i, logs[i], c.Args[3])
		}
		order, _ := keys(t, logs[i].Message)
		if want := []string{"datetime", "level", "type", "appid", "event", "description"}; !reflect.DeepEqual(order, want) {
			t.Errorf("keys %v, want %v", order, want)
		}
	}
	_, v := keys(t, logs[0].Message)
	if v["level"] != "CRITICAL" || v["type"] != "security" || v["appid"] != appID || v["event"] != "authz_fail:relation-set" {
		t.Errorf("authz_fail decoded to %v", v)
	}
	if _, v := keys(t, logs[1].Message); !strings.HasSuffix(v["event"], ",-starts-with-a-dash") || v["level"] != "WARN" {
		t.Errorf("sys_monitor_disabled decoded to %v", v)
	}
	if stderr.Len() != 0 {
		t.Errorf("stderr: %q", stderr.String())
	}
}
