package tracing

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/charmtrace/charmtrace/buffer"
	"github.com/charmtrace/charmtrace/charmhooks"
	"github.com/charmtrace/charmtrace/internal/fakejuju"
	"github.com/charmtrace/charmtrace/internal/testcerts"
)

// receiver is an OTLP/HTTP endpoint on loopback that accepts everything.
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	bodies [][]byte
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	b, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.bodies = append(r.bodies, b)
	r.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.WriteHeader(http.StatusOK)
}

func (r *receiver) received() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.bodies)
}

// spanNames decodes every body received and lists the names of its spans.
func (r *receiver) spanNames(t *testing.T) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var names []string
	for _, b := range r.bodies {
		var td tracepb.TracesData
		if err := proto.Unmarshal(b, &td); err != nil {
			t.Fatalf("a request body does not decode: %v", err)
		}
		for _, rs := range td.GetResourceSpans() {
			for _, ss := range rs.GetScopeSpans() {
				for _, sp := range ss.GetSpans() {
					names = append(names, sp.GetName())
				}
			}
		}
	}
	return names
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{}
	r.Server = httptest.NewServer(r)
	t.Cleanup(r.Close)
	return r
}

func newTLSReceiver(t *testing.T) (*receiver, string) {
	ca, err := testcerts.NewRoot("test CA")
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := ca.NewLeaf(testcerts.LeafOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r := &receiver{}
	r.Server = testcerts.NewTLSServer(r, leaf, tls.VersionTLS12, tls.VersionTLS13)
	t.Cleanup(r.Close)
	return r, string(ca.PEM())
}

func receiversJSON(url string) string {
	b, _ := json.Marshal([]map[string]any{
		{"protocol": map[string]string{"name": "otlp_grpc", "type": "grpc"}, "url": "127.0.0.1:1"},
		{"protocol": map[string]string{"name": "otlp_http", "type": "http"}, "url": url},
	})
	return string(b)
}

func relationEnv(rel *fakejuju.Relation) map[string]string {
	return map[string]string{"JUJU_RELATION": rel.Endpoint, "JUJU_RELATION_ID": rel.Ref(), "JUJU_REMOTE_APP": rel.RemoteApp}
}

func noSetup(c *Charm) error { return nil }

func toolCalls(r *fakejuju.Runner, tool string) int {
	n := 0
	for _, c := range r.Calls() {
		if c.Tool == tool {
			n++
		}
	}
	return n
}

func TestHTTPReceiverIsFollowedAndDelivered(t *testing.T) {
	recv := newReceiver(t)
	u := newUnit(t)
	// Two dispatches before any receiver: their spans wait in the buffer.
	u.dispatch("install", nil, noSetup)
	u.dispatch("start", nil, noSetup)
	rel := &fakejuju.Relation{ID: 7, Endpoint: "charm-tracing", RemoteApp: "tempo",
		RemoteAppData: map[string]string{"receivers": receiversJSON(recv.URL + "/")}}
	u.st.Relations = append(u.st.Relations, rel)
	u.dispatch("charm-tracing-relation-changed", relationEnv(rel), noSetup)

	if d := u.destination(); d.URL != recv.URL+"/v1/traces" || d.CA != "" {
		t.Fatalf("destination = %+v", d)
	}
	if got := rel.LocalAppData["receivers"]; got != `["otlp_http"]` {
		t.Fatalf("leader published receivers = %q", got)
	}
	if rows := u.rows(); len(rows) != 0 {
		t.Fatalf("%d rows left after the drain", len(rows))
	}
	names := recv.spanNames(t)
	for _, want := range []string{"install", "start", "charm-tracing-relation-changed"} {
		if !slices.ContainsFunc(names, func(n string) bool { return strings.Contains(n, want) }) {
			t.Fatalf("no %s span among the %d received: %v", want, len(names), names)
		}
	}

	// An ordinary dispatch afterwards trusts the stored destination: no hook-tool call
	// (Juju would have run a relation event had anything changed), no write.
	if calls := u.toolCalls("update-status", nil); len(calls) != 0 {
		t.Fatalf("update-status hook-tool calls = %v", calls)
	}
	if len(u.rows()) != 0 {
		t.Fatal("update-status spans were not delivered")
	}

	// relation-changed again with the same data: the leader writes nothing.
	sets := toolCalls(u.runner, "relation-set")
	u.dispatch("charm-tracing-relation-changed", relationEnv(rel), noSetup)
	if toolCalls(u.runner, "relation-set") != sets {
		t.Fatal("receivers rewritten although unchanged")
	}

	// relation-broken: back to buffer only.
	u.dispatch("charm-tracing-relation-broken", relationEnv(rel), noSetup)
	if d := u.destination(); d.URL != "" {
		t.Fatalf("destination after relation-broken = %+v", d)
	}
}

func TestNonLeaderReadsButDoesNotWrite(t *testing.T) {
	recv := newReceiver(t)
	u := newUnit(t)
	u.st.Leader = false
	rel := &fakejuju.Relation{ID: 3, Endpoint: "charm-tracing", RemoteApp: "tempo",
		RemoteAppData: map[string]string{"receivers": receiversJSON(recv.URL)}}
	u.st.Relations = []*fakejuju.Relation{rel}
	env := relationEnv(rel)
	env["JUJU_REMOTE_UNIT"] = "tempo/0"
	u.dispatch("charm-tracing-relation-joined", env, noSetup)
	if d := u.destination(); d.URL != recv.URL+"/v1/traces" {
		t.Fatalf("destination = %+v", d)
	}
	if len(rel.LocalAppData) != 0 || toolCalls(u.runner, "relation-set") != 0 {
		t.Fatalf("non-leader wrote %v", rel.LocalAppData)
	}
}

func TestHTTPSWaitsForTheCA(t *testing.T) {
	recv, caPEM := newTLSReceiver(t)
	u := newUnit(t)
	rel := &fakejuju.Relation{ID: 7, Endpoint: "charm-tracing", RemoteApp: "tempo",
		RemoteAppData: map[string]string{"receivers": receiversJSON(recv.URL)}}
	u.st.Relations = []*fakejuju.Relation{rel}
	u.dispatch("charm-tracing-relation-changed", relationEnv(rel), noSetup)
	if d := u.destination(); d.URL != "" {
		t.Fatalf("https destination without a CA = %+v", d)
	}
	if !strings.Contains(strings.Join(u.logs(), "\n"), "no CA has arrived on receive-ca-cert") {
		t.Fatalf("no warning about the missing CA: %q", u.logs())
	}

	ca := &fakejuju.Relation{ID: 9, Endpoint: "receive-ca-cert", RemoteApp: "self-signed-certificates"}
	u.st.Relations = append(u.st.Relations, ca)
	u.dispatch("receive-ca-cert-relation-created", relationEnv(ca), noSetup)
	if ca.LocalAppData["version"] != "1" {
		t.Fatalf("leader did not announce certificate_transfer v1: %v", ca.LocalAppData)
	}
	pems, _ := json.Marshal([]string{caPEM})
	ca.RemoteAppData = map[string]string{"certificates": string(pems), "version": "1"}
	u.dispatch("receive-ca-cert-relation-changed", relationEnv(ca), noSetup)
	d := u.destination()
	if d.URL != recv.URL+"/v1/traces" || d.CA != strings.TrimSpace(caPEM) {
		t.Fatalf("destination = %+v", d)
	}
	if len(u.rows()) != 0 || recv.received() == 0 {
		t.Fatalf("rows left %d, received %d", len(u.rows()), recv.received())
	}
}

func TestLegacyProviderMeansBufferOnly(t *testing.T) {
	u := newUnit(t)
	rel := &fakejuju.Relation{ID: 7, Endpoint: "charm-tracing", RemoteApp: "tempo", RemoteAppData: map[string]string{
		"host": `"tempo-0"`, "ingesters": `[{"protocol":"otlp_http","port":4318}]`}}
	u.st.Relations = []*fakejuju.Relation{rel}
	u.dispatch("charm-tracing-relation-changed", relationEnv(rel), noSetup)
	if d := u.destination(); d.URL != "" {
		t.Fatalf("destination = %+v", d)
	}
	n := 0
	for _, l := range u.logs() {
		if strings.Contains(l, "legacy tracing format") {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d log lines about the legacy format, want 1: %q", n, u.logs())
	}
}

// A handler's hook-tool failure that is an authorisation error becomes an authz_fail event.
func TestAuthzFailureIsASecurityEvent(t *testing.T) {
	u := newUnit(t)
	u.st.Leader = false
	rel := &fakejuju.Relation{ID: 2, Endpoint: "db", RemoteApp: "client"}
	u.st.Relations = []*fakejuju.Relation{rel}
	u.dispatch("db-relation-changed", relationEnv(rel), func(c *Charm) error {
		c.Router.Handle("db-relation-changed", func(ctx context.Context, e charmhooks.Event) error {
			c.Tools.RelationSetApp(e.RelationRef(), map[string]string{"k": "v"}) // not the leader
			return nil
		})
		return nil
	})
	for _, l := range u.logs() {
		if strings.HasPrefix(l, "TRACE ") && strings.Contains(l, `"event": "authz_fail:`) && strings.Contains(l, "relation-set") {
			return
		}
	}
	t.Fatalf("no authz_fail event in %q", u.logs())
}

func TestRefusedCAClearsTheDestination(t *testing.T) {
	recv, caPEM := newTLSReceiver(t)
	u := newUnit(t)
	rel := &fakejuju.Relation{ID: 7, Endpoint: "charm-tracing", RemoteApp: "tempo",
		RemoteAppData: map[string]string{"receivers": receiversJSON(recv.URL)}}
	pems, _ := json.Marshal([]string{caPEM})
	ca := &fakejuju.Relation{ID: 9, Endpoint: "receive-ca-cert", RemoteApp: "ca",
		RemoteAppData: map[string]string{"certificates": string(pems)}}
	u.st.Relations = []*fakejuju.Relation{rel, ca}
	u.dispatch("receive-ca-cert-relation-changed", relationEnv(ca), noSetup)
	if d := u.destination(); d.URL == "" {
		t.Fatal("no destination with a good CA")
	}
	// The provider now publishes a PEM block that holds no certificate.
	junk := "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----"
	pems, _ = json.Marshal([]string{junk})
	ca.RemoteAppData["certificates"] = string(pems)
	u.dispatch("receive-ca-cert-relation-changed", relationEnv(ca), noSetup)
	if d := u.destination(); d.URL != "" || d.CA != "" {
		t.Fatalf("destination kept after a refused CA: %+v", d)
	}
}

// After an upgrade from a charmtrace that read relations differently (or with other
// endpoint names), the first ordinary dispatch reads them again rather than trusting
// what was remembered; after that, an upgrade-charm only checks which relation there is.
func TestUpgradeFromAnotherReconcilerReadsRelationsAgain(t *testing.T) {
	first, second := newReceiver(t), newReceiver(t)
	u := newUnit(t)
	rel := &fakejuju.Relation{ID: 7, Endpoint: "charm-tracing", RemoteApp: "tempo",
		RemoteAppData: map[string]string{"receivers": receiversJSON(first.URL)}}
	u.st.Relations = append(u.st.Relations, rel)
	u.dispatch("charm-tracing-relation-changed", relationEnv(rel), noSetup)
	if d := u.destination(); d.URL != first.URL+"/v1/traces" {
		t.Fatalf("destination = %+v", d)
	}

	// The provider moves without a relation event reaching this unit (it was down),
	// and the unit is upgraded from an older charmtrace.
	rel.RemoteAppData["receivers"] = receiversJSON(second.URL)
	b, err := buffer.Open(filepath.Join(u.dir, BufferFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := b.SetSetting(context.Background(), settingConfig, "v0 tracing=charm-tracing ca=receive-ca-cert"); err != nil {
		t.Fatal(err)
	}
	b.Close()
	u.dispatch("upgrade-charm", nil, noSetup)
	if d := u.destination(); d.URL != second.URL+"/v1/traces" {
		t.Fatalf("after upgrade-charm from another reconciler: destination = %+v, want the provider's new URL", d)
	}

	// The same charmtrace again: upgrade-charm checks the relation is still the one it
	// remembers (one call) and trusts the data Juju reported with relation events.
	rel.RemoteAppData["receivers"] = receiversJSON(first.URL)
	if calls := u.toolCalls("upgrade-charm", nil); len(calls) != 1 || calls[0] != "relation-ids" {
		t.Fatalf("upgrade-charm with the same reconciler made hook-tool calls %v, want [relation-ids]", calls)
	}
	if d := u.destination(); d.URL != second.URL+"/v1/traces" {
		t.Fatalf("destination = %+v, want it unchanged", d)
	}
}

func TestOptionsNameTheResourceCAAndEndpoints(t *testing.T) {
	recv, caPEM := newTLSReceiver(t)
	u := newUnit(t)
	// A charm with its own endpoint names and no CA relation: the CA is fixed.
	meta := strings.NewReplacer("charm-tracing:", "tracing:", "receive-ca-cert:", "ca:").Replace(testMetadata)
	if err := os.WriteFile(filepath.Join(u.dir, "metadata.yaml"), []byte(meta), 0o644); err != nil {
		t.Fatal(err)
	}
	rel := &fakejuju.Relation{ID: 4, Endpoint: "tracing", RemoteApp: "tempo",
		RemoteAppData: map[string]string{"receivers": receiversJSON(recv.URL)}}
	u.st.Relations = []*fakejuju.Relation{rel}
	u.dispatch("tracing-relation-changed", relationEnv(rel), noSetup,
		WithTracingRelation("tracing"), WithCA(caPEM),
		WithServiceVersion("1.2.3"), WithCharmType("ExampleCharm"),
		WithBufferOptions(buffer.WithMaxBytes(1<<20), buffer.WithSyncFull()))
	if d := u.destination(); d.URL != recv.URL+"/v1/traces" || d.CA != caPEM {
		t.Fatalf("destination = %+v", d)
	}
	if len(u.rows()) != 0 || recv.received() == 0 {
		t.Fatal("not delivered with the fixed CA")
	}
	root := spanNamed(t, u.rec.Ended(), "tracing-relation-changed")
	got := map[string]string{}
	for _, kv := range root.Resource().Attributes() {
		got[string(kv.Key)] = kv.Value.Emit()
	}
	if got["service.version"] != "1.2.3" || got["charm_type"] != "ExampleCharm" {
		t.Fatalf("resource = %v", got)
	}

	// A renamed CA endpoint is followed like the default one.
	u2 := newUnit(t)
	if err := os.WriteFile(filepath.Join(u2.dir, "metadata.yaml"), []byte(meta), 0o644); err != nil {
		t.Fatal(err)
	}
	rel2 := &fakejuju.Relation{ID: 4, Endpoint: "tracing", RemoteApp: "tempo",
		RemoteAppData: map[string]string{"receivers": receiversJSON(recv.URL)}}
	pems, _ := json.Marshal([]string{caPEM})
	ca := &fakejuju.Relation{ID: 5, Endpoint: "ca", RemoteApp: "ca", RemoteAppData: map[string]string{"certificates": string(pems)}}
	u2.st.Relations = []*fakejuju.Relation{rel2, ca}
	u2.dispatch("ca-relation-changed", relationEnv(ca), noSetup, WithTracingRelation("tracing"), WithCARelation("ca"))
	if d := u2.destination(); d.URL != recv.URL+"/v1/traces" || d.CA != strings.TrimSpace(caPEM) {
		t.Fatalf("destination with a renamed CA endpoint = %+v", d)
	}
}
