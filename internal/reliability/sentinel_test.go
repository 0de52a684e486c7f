package reliability

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"

	"github.com/charmtrace/charmtrace/internal/e2e"
	"github.com/charmtrace/charmtrace/internal/fakejuju"
	"github.com/charmtrace/charmtrace/internal/otlpreceiver"
	"github.com/charmtrace/charmtrace/internal/testcerts"
	"github.com/charmtrace/charmtrace/tracing"
)

// fileWatcher keeps every distinct content the files of some directories had while it
// ran, so that a scan also sees a WAL or a temporary file that lived only for the
// length of a dispatch.
type fileWatcher struct {
	dirs []string
	stop chan struct{}
	done chan struct{}

	mu       sync.Mutex
	versions map[[32]byte]watched
}

type watched struct {
	dir, name string
	mode      os.FileMode
	data      []byte
}

func watch(dirs ...string) *fileWatcher {
	w := &fileWatcher{dirs: dirs, stop: make(chan struct{}), done: make(chan struct{}), versions: map[[32]byte]watched{}}
	go func() {
		defer close(w.done)
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			w.look()
			select {
			case <-w.stop:
				w.look()
				return
			case <-tick.C:
			}
		}
	}()
	return w
}

// look reads every regular file once. Files vanish between listing and reading; that
// is what a dispatch does to its WAL.
func (w *fileWatcher) look() {
	for _, dir := range w.dirs {
		des, _ := os.ReadDir(dir)
		for _, de := range des {
			if !de.Type().IsRegular() {
				continue
			}
			data, err := os.ReadFile(filepath.Join(dir, de.Name()))
			info, ierr := de.Info()
			if err != nil || ierr != nil {
				continue
			}
			h := sha256.Sum256(append([]byte(dir+"\x00"+de.Name()+"\x00"+info.Mode().String()+"\x00"), data...))
			w.mu.Lock()
			if _, ok := w.versions[h]; !ok {
				w.versions[h] = watched{dir: dir, name: de.Name(), mode: info.Mode().Perm(), data: data}
			}
			w.mu.Unlock()
		}
	}
}

// finish stops watching and returns what was seen.
func (w *fileWatcher) finish() []watched {
	close(w.stop)
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]watched, 0, len(w.versions))
	for _, v := range w.versions {
		out = append(out, v)
	}
	return out
}

// needles are the forms a secret could take on its way out: as is, and encoded the
// ways bytes usually are.
func needles(secret string) [][]byte {
	return [][]byte{[]byte(secret), []byte(base64.StdEncoding.EncodeToString([]byte(secret))),
		[]byte(base64.RawURLEncoding.EncodeToString([]byte(secret))), []byte(hex.EncodeToString([]byte(secret)))}
}

// scanner counts hits of the secrets per place.
type scanner struct {
	needles [][]byte
	hits    map[string]int
	scanned map[string]int // pieces looked at per place
}

func (s *scanner) scan(place string, data []byte) {
	s.scanned[place]++
	for _, n := range s.needles {
		if bytes.Contains(data, n) {
			s.hits[place]++
			return
		}
	}
}

// testSecretSentinels runs the example charm's whole lifecycle (the demo's, then
// config-changed, the get-admin-password action and update-status) with tracing on
// and an HTTPS receiver attached, and looks for the admin password and a sentinel
// config value everywhere they could leak to.
func testSecretSentinels(t *testing.T, w *world, sum *summary) {
	ctx := t.Context()
	bins := w.binaries(t)
	ca, err := testcerts.NewRoot("sentinel CA")
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := ca.NewLeaf(testcerts.LeafOptions{})
	if err != nil {
		t.Fatal(err)
	}
	recv, err := otlpreceiver.Start(otlpreceiver.WithTLS(leaf))
	if err != nil {
		t.Fatal(err)
	}
	defer recv.Close()
	// The example charm reads its whole configuration with config-get; this option is
	// one it never uses, so only tracing could carry its value anywhere.
	sentinel := "cfg-sentinel-" + rand.Text()
	u, err := e2e.NewUnit(t.TempDir(), bins, &fakejuju.State{Unit: "example/0", Leader: true,
		Config: map[string]any{"log-level": "info", "admin-token": sentinel}})
	if err != nil {
		t.Fatal(err)
	}
	watcher := watch(u.CharmDir, u.TempDir)
	var results []e2e.Result
	err = e2e.Lifecycle(ctx, u, e2e.Target{URL: recv.URL(), CA: string(ca.PEM())}, func(s e2e.Step) {
		results = append(results, s.Dispatches...)
	})
	if err != nil {
		watcher.finish()
		t.Fatal(err)
	}
	for _, h := range []e2e.Hook{{Name: "config-changed"}, {Name: "get-admin-password", Action: true}, {Name: "update-status"}} {
		results = append(results, dispatch(t, u, h))
	}
	files := watcher.finish()

	st, err := u.Tools.State()
	if err != nil {
		t.Fatal(err)
	}
	var password string
	for _, s := range st.Secrets {
		if s.Label == "admin-password" {
			password = s.Content["password"]
		}
	}
	// Controls: the values exist and travelled where the charm sends them, so a scan
	// that finds nothing is not looking for the wrong thing.
	stateRaw, err := os.ReadFile(u.Tools.StatePath)
	if err != nil {
		t.Fatal(err)
	}
	controls := len(password) >= 16 && st.ActionResults["password"] == password &&
		bytes.Contains(stateRaw, []byte(password)) && bytes.Contains(stateRaw, []byte(sentinel))
	sum.check(t, "5", "sentinels: controls", "admin password made, shared and returned by the action; sentinel in config",
		fmt.Sprintf("password of %d chars, action result matches: %v; both in the fake Juju's state file: %v",
			len(password), st.ActionResults["password"] == password, bytes.Contains(stateRaw, []byte(sentinel))), controls)
	if !controls {
		return
	}

	s := &scanner{needles: append(needles(password), needles(sentinel)...), hits: map[string]int{}, scanned: map[string]int{}}
	// The scanner itself finds both where they are meant to be.
	for _, secret := range []string{password, sentinel} {
		probe := &scanner{needles: needles(secret), hits: map[string]int{}, scanned: map[string]int{}}
		probe.scan("state file", stateRaw)
		if probe.hits["state file"] != 1 {
			t.Fatal("the scanner does not find a secret in the fake Juju's state file")
		}
	}
	var bufferVersions, secretFiles int
	var looseSecretFiles []string
	for _, f := range files {
		var place string
		switch {
		case f.dir == u.TempDir:
			// secret-add reads secret content from a file the hook-tool wrapper
			// writes here for the length of the call: by design, so the value never
			// reaches argv. Such a file may hold the password; it must be 0600.
			for _, n := range s.needles {
				if bytes.Contains(f.data, n) {
					secretFiles++
					if f.mode != 0o600 {
						looseSecretFiles = append(looseSecretFiles, fmt.Sprintf("%s %v", f.name, f.mode))
					}
					break
				}
			}
			continue
		case strings.HasPrefix(f.name, tracing.BufferFile+"-wal"):
			place = "trace buffer WAL"
		case strings.HasPrefix(f.name, tracing.BufferFile+"-shm"):
			place = "trace buffer shared memory"
		case strings.HasPrefix(f.name, tracing.BufferFile):
			place = "trace buffer file"
			bufferVersions++
		case strings.HasPrefix(f.name, stateFile):
			place = "unit state DB"
		default:
			place = "charm dir: other files"
		}
		s.scan(place, f.data)
	}
	for _, l := range st.Logs {
		s.scan("juju-log lines", []byte(l.Message))
	}
	calls, err := u.Tools.Calls()
	if err != nil {
		t.Fatal(err)
	}
	actionSet := 0
	for _, c := range calls {
		argv := []byte(strings.Join(append([]string{c.Tool}, c.Args...), "\x00"))
		if c.Tool == "action-set" && bytes.Contains(argv, []byte(password)) {
			actionSet++ // Juju takes action results only as arguments
			continue
		}
		s.scan("hook-tool argv (fakejuju call records)", argv)
	}
	for _, r := range recv.Requests() {
		s.scan("receiver: request bodies", r.Body)
	}
	for _, sp := range recv.Spans() {
		text, err := protojson.Marshal(sp.Span)
		if err != nil {
			t.Fatal(err)
		}
		res, _ := protojson.Marshal(sp.Resource)
		s.scan("receiver: spans and resources (JSON)", append(text, res...))
	}
	for _, r := range results {
		s.scan("charm stdout and stderr", r.Output)
	}
	left, err := os.ReadDir(u.TempDir)
	if err != nil {
		t.Fatal(err)
	}

	if bufferVersions == 0 || len(recv.Spans()) == 0 {
		t.Fatalf("nothing to scan: %d buffer versions, %d spans received", bufferVersions, len(recv.Spans()))
	}
	places := []string{"trace buffer file", "trace buffer WAL", "trace buffer shared memory", "charm dir: other files",
		"juju-log lines", "hook-tool argv (fakejuju call records)", "receiver: request bodies",
		"receiver: spans and resources (JSON)", "charm stdout and stderr"}
	for _, p := range places {
		sum.check(t, "5", "sentinels: "+p, "0 hits",
			fmt.Sprintf("%d hits in %d pieces", s.hits[p], s.scanned[p]), s.hits[p] == 0 && s.scanned[p] > 0)
	}
	for p := range s.hits {
		if !slices.Contains(places, p) {
			sum.check(t, "5", "sentinels: "+p, "0 hits", fmt.Sprintf("%d hits", s.hits[p]), false)
		}
	}
	sum.check(t, "5", "sentinels: action-set argv", "1 expected: Juju offers no other channel for action results",
		fmt.Sprintf("%d", actionSet), actionSet == 1)
	sum.check(t, "5", "sentinels: hook TMPDIR", "secret-add content files only while the tool runs, mode 0600; empty afterwards",
		fmt.Sprintf("%d such file(s) caught by a 1 ms watcher, loose: %v; %d entries left", secretFiles, looseSecretFiles, len(left)),
		len(looseSecretFiles) == 0 && len(left) == 0)
	t.Logf("scanned %d file versions (%d of the buffer), %d log lines, %d tool calls, %d requests, %d spans, %d dispatches",
		len(files), bufferVersions, len(st.Logs), len(calls), len(recv.Requests()), len(recv.Spans()), len(results))
}
