package pebbletest

import (
	"net/http"
	"time"
)

// change is a Pebble change. Service actions finish at once; an exec's change finishes
// when its command has run.
type change struct {
	id, kind string
	ready    chan struct{} // closed when done
	err      string
	data     map[string]any // the task's data, e.g. exit-code
	spawned  time.Time
}

// newChange registers a change that is not done yet. Call with s.mu held.
func (s *Server) newChange(kind string) *change {
	c := &change{id: s.newID(), kind: kind, ready: make(chan struct{}), spawned: time.Now().UTC()}
	s.changes[c.id] = c
	return c
}

// newDoneChange registers a change that is already done. Call with s.mu held.
func (s *Server) newDoneChange(kind string, data map[string]any) string {
	c := s.newChange(kind)
	c.data = data
	close(c.ready)
	return c.id
}

// finish marks c done. Call with s.mu held.
func (c *change) finish(errText string, data map[string]any) {
	select {
	case <-c.ready:
		return
	default:
	}
	c.err, c.data = errText, data
	close(c.ready)
}

func (c *change) view() map[string]any {
	status, ready := "Doing", false
	select {
	case <-c.ready:
		ready = true
		status = "Done"
		if c.err != "" {
			status = "Error"
		}
	default:
	}
	task := map[string]any{"id": c.id, "kind": c.kind, "summary": c.kind, "status": status,
		"progress": map[string]any{"label": "", "done": 1, "total": 1}, "spawn-time": c.spawned}
	if c.data != nil {
		task["data"] = c.data
	}
	v := map[string]any{"id": c.id, "kind": c.kind, "summary": c.kind, "status": status, "ready": ready,
		"tasks": []any{task}, "spawn-time": c.spawned}
	if c.err != "" {
		v["err"] = c.err
	}
	return v
}

func (s *Server) lookupChange(w http.ResponseWriter, r *http.Request) *change {
	s.mu.Lock()
	c := s.changes[r.PathValue("id")]
	s.mu.Unlock()
	if c == nil {
		apiError(w, http.StatusNotFound, "not-found", "cannot find change with id %q", r.PathValue("id"))
	}
	return c
}

func (s *Server) getChange(w http.ResponseWriter, r *http.Request) {
	if c := s.lookupChange(w, r); c != nil {
		s.mu.Lock()
		defer s.mu.Unlock()
		sync200(w, c.view())
	}
}

// maxWait bounds a wait for a change, so a test with a stuck exec handler fails instead
// of hanging.
const maxWait = 30 * time.Second

func (s *Server) waitChange(w http.ResponseWriter, r *http.Request) {
	c := s.lookupChange(w, r)
	if c == nil {
		return
	}
	timeout := maxWait
	if t, err := time.ParseDuration(r.URL.Query().Get("timeout")); err == nil && t > 0 && t < timeout {
		timeout = t
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-c.ready:
	case <-timer.C:
		apiError(w, http.StatusGatewayTimeout, "", "timed out waiting for change after %s", timeout)
		return
	case <-r.Context().Done():
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sync200(w, c.view())
}
