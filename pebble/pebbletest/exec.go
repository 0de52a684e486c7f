package pebbletest

import (
	"encoding/json"
	"io"
	"net/http"
	"path"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// ExecRequest is a command the charm ran with Exec, as the fake saw it. Tests read it
// back with Execs; it holds the arguments, environment and standard input the charm
// sent, which is exactly what must never reach a span.
type ExecRequest struct {
	Command     []string
	Environment map[string]string
	WorkingDir  string
	User, Group string
	Stdin       []byte
}

// ExecResult is what a fake command does: its output and exit status.
type ExecResult struct {
	Stdout, Stderr []byte
	ExitCode       int
}

// ExecFunc plays a command. It runs on the server's goroutine and must return.
type ExecFunc func(ExecRequest) ExecResult

// HandleExec makes fn play the commands whose executable (the first word, without its
// directory) is name. Exec of an executable with no handler fails as a missing one does.
func (s *Server) HandleExec(name string, fn ExecFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.handlers[name] = fn
}

// Execs returns the commands run so far, in order.
func (s *Server) Execs() []ExecRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]ExecRequest(nil), s.execs...)
}

// execTask is one running exec: it waits for the client's websockets, reads standard
// input, plays the command and writes its output.
type execTask struct {
	id          string
	req         ExecRequest
	splitStderr bool
	fn          ExecFunc
	chg         *change

	mu      sync.Mutex
	conns   map[string]*websocket.Conn
	arrived chan struct{} // signalled on each websocket
	aborted chan struct{}
	once    sync.Once
}

func (t *execTask) abort() { t.once.Do(func() { close(t.aborted) }) }

// connectTimeout bounds the wait for the client's websockets.
const connectTimeout = 10 * time.Second

func (s *Server) exec(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Command     []string          `json:"command"`
		Environment map[string]string `json:"environment"`
		WorkingDir  string            `json:"working-dir"`
		User        string            `json:"user"`
		Group       string            `json:"group"`
		SplitStderr bool              `json:"split-stderr"`
	}
	if !decodeBody(w, r, &req) {
		return
	}
	if len(req.Command) == 0 {
		apiError(w, http.StatusBadRequest, "", "must specify command")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	fn := s.handlers[path.Base(req.Command[0])]
	if fn == nil {
		apiError(w, http.StatusBadRequest, "", "cannot find executable %q", req.Command[0])
		return
	}
	t := &execTask{
		req:         ExecRequest{Command: req.Command, Environment: req.Environment, WorkingDir: req.WorkingDir, User: req.User, Group: req.Group},
		splitStderr: req.SplitStderr, fn: fn, chg: s.newChange("exec"),
		conns: map[string]*websocket.Conn{}, arrived: make(chan struct{}, 3), aborted: make(chan struct{}),
	}
	t.id = t.chg.id
	s.tasks[t.id] = t
	go s.run(t)
	async202(w, t.chg.id, map[string]string{"task-id": t.id})
}

var upgrader = websocket.Upgrader{}

func (s *Server) websocket(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	t := s.tasks[r.PathValue("task")]
	s.mu.Unlock()
	name := r.PathValue("name")
	if t == nil || (name != "control" && name != "stdio" && name != "stderr") {
		apiError(w, http.StatusNotFound, "not-found", "cannot find websocket %q of task %q", name, r.PathValue("task"))
		return
	}
	conn, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	t.mu.Lock()
	t.conns[name] = conn
	t.mu.Unlock()
	t.arrived <- struct{}{}
}

// run plays the task once its websockets are there, then finishes its change.
func (s *Server) run(t *execTask) {
	want := 2 // control and stdio
	if t.splitStderr {
		want = 3
	}
	timer := time.NewTimer(connectTimeout)
	defer timer.Stop()
	for got := 0; got < want; got++ {
		select {
		case <-t.arrived:
		case <-timer.C:
			s.finish(t, "websockets not connected in time", nil)
			return
		case <-t.aborted:
			s.finish(t, "server closed", nil)
			return
		}
	}
	t.mu.Lock()
	control, stdio, stderr := t.conns["control"], t.conns["stdio"], t.conns["stderr"]
	t.mu.Unlock()
	// The control channel carries signals and resizes, which the fake ignores.
	go func() {
		for {
			if _, _, err := control.NextReader(); err != nil {
				return
			}
		}
	}()
	t.req.Stdin = readStream(stdio)
	s.mu.Lock()
	s.execs = append(s.execs, t.req)
	s.mu.Unlock()
	res := t.fn(t.req)
	if stderr != nil {
		writeStream(stdio, res.Stdout)
		writeStream(stderr, res.Stderr)
	} else {
		// Without split-stderr Pebble interleaves both streams on stdio.
		writeStream(stdio, append(append([]byte(nil), res.Stdout...), res.Stderr...))
	}
	s.finish(t, "", map[string]any{"exit-code": res.ExitCode})
	// The client closes the websockets once it has read the end of each stream; close
	// them here too after a grace period, so nothing outlives the task.
	time.AfterFunc(time.Second, func() {
		for _, c := range []*websocket.Conn{control, stdio, stderr} {
			if c != nil {
				c.Close()
			}
		}
	})
}

func (s *Server) finish(t *execTask, errText string, data map[string]any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t.chg.finish(errText, data)
	delete(s.tasks, t.id)
}

// maxStdin bounds what the fake reads of a command's standard input.
const maxStdin = 16 << 20

// readStream reads binary messages until the {"command":"end"} text message.
func readStream(c *websocket.Conn) []byte {
	var buf []byte
	c.SetReadDeadline(time.Now().Add(connectTimeout))
	defer c.SetReadDeadline(time.Time{})
	for {
		mt, r, err := c.NextReader()
		if err != nil {
			return buf
		}
		b, _ := io.ReadAll(io.LimitReader(r, maxStdin))
		if mt == websocket.TextMessage {
			var cmd struct {
				Command string `json:"command"`
			}
			if json.Unmarshal(b, &cmd) == nil && cmd.Command == "end" {
				return buf
			}
			continue
		}
		if len(buf)+len(b) <= maxStdin {
			buf = append(buf, b...)
		}
	}
}

// writeStream sends data as one binary message, then the end marker.
func writeStream(c *websocket.Conn, data []byte) {
	if len(data) > 0 {
		c.WriteMessage(websocket.BinaryMessage, data)
	}
	c.WriteMessage(websocket.TextMessage, []byte(`{"command":"end"}`))
}
