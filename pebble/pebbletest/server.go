package pebbletest

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Server is a fake Pebble daemon for one container.
type Server struct {
	container string
	socket    string
	ln        net.Listener
	srv       *http.Server
	done      chan struct{}

	mu       sync.Mutex
	files    map[string]File
	dirs     map[string]bool
	layers   []Layer
	services map[string]*service
	checks   map[string]*check
	changes  map[string]*change
	tasks    map[string]*execTask
	handlers map[string]ExecFunc
	execs    []ExecRequest
	requests []Request
	nextID   int
}

// Request is one API call the server answered: method and path, never the body.
type Request struct {
	Method, Path string
}

// NewServer starts a fake Pebble for container, listening on
// <socketDir>/<container>/pebble.socket (pebble.SocketPath). Close stops it.
func NewServer(socketDir, container string) (*Server, error) {
	socket := filepath.Join(socketDir, container, "pebble.socket")
	if err := os.MkdirAll(filepath.Dir(socket), 0o700); err != nil {
		return nil, err
	}
	ln, err := net.Listen("unix", socket)
	if err != nil {
		return nil, fmt.Errorf("pebbletest: listen on %s: %w", socket, err)
	}
	s := &Server{
		container: container, socket: socket, ln: ln, done: make(chan struct{}),
		files: map[string]File{}, dirs: map[string]bool{"/": true},
		services: map[string]*service{}, checks: map[string]*check{},
		changes: map[string]*change{}, tasks: map[string]*execTask{}, handlers: map[string]ExecFunc{},
	}
	s.srv = &http.Server{Handler: s.routes(), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		defer close(s.done)
		s.srv.Serve(ln)
	}()
	return s, nil
}

// SocketPath returns the socket the server listens on.
func (s *Server) SocketPath() string { return s.socket }

// Close stops the server, ends running exec tasks and removes the socket.
func (s *Server) Close() error {
	err := s.srv.Close()
	<-s.done
	s.mu.Lock()
	for _, t := range s.tasks {
		t.abort()
	}
	s.mu.Unlock()
	os.Remove(s.socket)
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// Requests returns the API calls answered so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/system-info", s.sysInfo)
	mux.HandleFunc("GET /v1/health", s.health)
	mux.HandleFunc("GET /v1/services", s.listServices)
	mux.HandleFunc("POST /v1/services", s.serviceAction)
	mux.HandleFunc("POST /v1/signals", s.signals)
	mux.HandleFunc("POST /v1/layers", s.addLayer)
	mux.HandleFunc("GET /v1/plan", s.plan)
	mux.HandleFunc("GET /v1/checks", s.listChecks)
	mux.HandleFunc("POST /v1/checks", s.checkAction)
	mux.HandleFunc("GET /v1/files", s.getFiles)
	mux.HandleFunc("POST /v1/files", s.postFiles)
	mux.HandleFunc("GET /v1/changes/{id}", s.getChange)
	mux.HandleFunc("GET /v1/changes/{id}/wait", s.waitChange)
	mux.HandleFunc("POST /v1/exec", s.exec)
	mux.HandleFunc("GET /v1/tasks/{task}/websocket/{name}", s.websocket)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path})
		s.mu.Unlock()
		mux.ServeHTTP(w, r)
	})
}

// newID returns the next change or task id. Call with s.mu held.
func (s *Server) newID() string {
	s.nextID++
	return fmt.Sprint(s.nextID)
}

// The response envelopes of Pebble's API.

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func sync200(w http.ResponseWriter, result any) {
	writeJSON(w, http.StatusOK, map[string]any{"type": "sync", "status-code": 200, "status": "OK", "result": result})
}

func async202(w http.ResponseWriter, changeID string, result any) {
	writeJSON(w, http.StatusAccepted, map[string]any{"type": "async", "status-code": 202, "status": "Accepted",
		"change": changeID, "result": result})
}

func apiError(w http.ResponseWriter, status int, kind, format string, args ...any) {
	result := map[string]any{"message": fmt.Sprintf(format, args...)}
	if kind != "" {
		result["kind"] = kind
	}
	writeJSON(w, status, map[string]any{"type": "error", "status-code": status, "status": http.StatusText(status), "result": result})
}

// decodeBody reads a JSON request body of at most 1 MiB into v.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(v); err != nil {
		apiError(w, http.StatusBadRequest, "", "cannot decode request body: %v", err)
		return false
	}
	return true
}

func (s *Server) sysInfo(w http.ResponseWriter, _ *http.Request) {
	sync200(w, map[string]string{"version": "1.26.0-pebbletest", "boot-id": "pebbletest-" + s.container})
}
