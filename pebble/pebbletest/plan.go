package pebbletest

import (
	"net/http"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Layer is a configuration layer as the charm added it.
type Layer struct {
	Label string
	YAML  string
}

// ServiceState is what the fake knows of a service of the plan.
type ServiceState struct {
	Startup string // enabled or disabled
	Current string // active or inactive
	Starts  int    // how many times it was started or restarted
}

// CheckState is what the fake knows of a health check of the plan.
type CheckState struct {
	Level   string // alive, ready or ""
	Startup string // enabled or disabled
	Status  string // up or inactive
}

type service struct {
	def     map[string]any
	started string // the definition it was last started with, as YAML
	ServiceState
}

type check struct {
	def map[string]any
	CheckState
}

type layerYAML struct {
	Services map[string]map[string]any `yaml:"services"`
	Checks   map[string]map[string]any `yaml:"checks"`
}

// Layers returns the layers added so far, in order.
func (s *Server) Layers() []Layer {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Layer(nil), s.layers...)
}

// Service returns the state of a service of the plan.
func (s *Server) Service(name string) (ServiceState, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	svc, ok := s.services[name]
	if !ok {
		return ServiceState{}, false
	}
	return svc.ServiceState, true
}

// Check returns the state of a check of the plan.
func (s *Server) Check(name string) (CheckState, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.checks[name]
	if !ok {
		return CheckState{}, false
	}
	return c.CheckState, true
}

func (s *Server) addLayer(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Action, Label, Format, Layer string
		Combine                      bool
	}
	if !decodeBody(w, r, &req) {
		return
	}
	if req.Action != "add" || (req.Format != "" && req.Format != "yaml") {
		apiError(w, http.StatusBadRequest, "", "invalid action %q or format %q", req.Action, req.Format)
		return
	}
	var l layerYAML
	if err := yaml.Unmarshal([]byte(req.Layer), &l); err != nil {
		apiError(w, http.StatusBadRequest, "", "cannot parse layer YAML: %v", err)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !req.Combine {
		for _, old := range s.layers {
			if old.Label == req.Label {
				apiError(w, http.StatusBadRequest, "", "layer %q already exists", req.Label)
				return
			}
		}
	}
	s.layers = append(s.layers, Layer{Label: req.Label, YAML: req.Layer})
	for name, def := range l.Services {
		svc := s.services[name]
		if svc == nil {
			svc = &service{ServiceState: ServiceState{Current: "inactive"}}
			s.services[name] = svc
		}
		svc.def = overlay(svc.def, def)
		svc.Startup = startup(svc.def)
	}
	for name, def := range l.Checks {
		c := s.checks[name]
		if c == nil {
			c = &check{}
			s.checks[name] = c
		}
		c.def = overlay(c.def, def)
		c.Startup = "enabled" // a check starts with the plan unless it says otherwise
		if c.def["startup"] == "disabled" {
			c.Startup = "disabled"
		}
		c.Level, _ = c.def["level"].(string)
		if c.Startup == "enabled" && c.Status == "" {
			c.Status = "up" // Pebble runs a new check at once
		} else if c.Status == "" {
			c.Status = "inactive"
		}
	}
	sync200(w, true)
}

// overlay applies a layer's definition of a service or check: override "merge" keeps the
// keys the new definition does not set, anything else replaces.
func overlay(old, def map[string]any) map[string]any {
	if def["override"] != "merge" || old == nil {
		return def
	}
	merged := map[string]any{}
	for k, v := range old {
		merged[k] = v
	}
	for k, v := range def {
		merged[k] = v
	}
	return merged
}

// startup is a service's startup: disabled unless the layer enables it.
func startup(def map[string]any) string {
	if def["startup"] == "enabled" {
		return "enabled"
	}
	return "disabled"
}

func (s *Server) plan(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	p := layerYAML{Services: map[string]map[string]any{}, Checks: map[string]map[string]any{}}
	for n, svc := range s.services {
		p.Services[n] = svc.def
	}
	for n, c := range s.checks {
		p.Checks[n] = c.def
	}
	s.mu.Unlock()
	b, err := yaml.Marshal(p)
	if err != nil {
		apiError(w, http.StatusInternalServerError, "", "cannot marshal plan: %v", err)
		return
	}
	sync200(w, string(b))
}

func (s *Server) listServices(w http.ResponseWriter, r *http.Request) {
	names := splitNames(r.URL.Query()["names"])
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []map[string]any{}
	for _, name := range sortedKeys(s.services) {
		if len(names) > 0 && !names[name] {
			continue
		}
		svc := s.services[name]
		out = append(out, map[string]any{"name": name, "startup": svc.Startup, "current": svc.Current,
			"current-since": time.Now().UTC().Format(time.RFC3339)})
	}
	sync200(w, out)
}

func (s *Server) serviceAction(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Action   string   `json:"action"`
		Services []string `json:"services"`
	}
	if !decodeBody(w, r, &req) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, name := range req.Services {
		if _, ok := s.services[name]; !ok {
			apiError(w, http.StatusBadRequest, "", "service %q does not exist", name)
			return
		}
	}
	switch req.Action {
	case "start":
		for _, n := range req.Services {
			if svc := s.services[n]; svc.Current != "active" {
				svc.start()
			}
		}
	case "stop":
		for _, n := range req.Services {
			s.services[n].Current = "inactive"
		}
	case "restart":
		for _, n := range req.Services {
			s.services[n].start()
		}
	case "autostart", "replan":
		for _, n := range sortedKeys(s.services) {
			svc := s.services[n]
			if svc.Startup != "enabled" {
				continue
			}
			if svc.Current != "active" || (req.Action == "replan" && svc.started != defYAML(svc.def)) {
				svc.start()
			}
		}
	default:
		apiError(w, http.StatusBadRequest, "", "invalid action %q", req.Action)
		return
	}
	id := s.newDoneChange(req.Action, nil)
	async202(w, id, nil)
}

func (svc *service) start() {
	svc.Current = "active"
	svc.Starts++
	svc.started = defYAML(svc.def)
}

func defYAML(def map[string]any) string {
	b, _ := yaml.Marshal(def)
	return string(b)
}

func (s *Server) signals(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Signal   string   `json:"signal"`
		Services []string `json:"services"`
	}
	if !decodeBody(w, r, &req) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, n := range req.Services {
		if svc, ok := s.services[n]; !ok || svc.Current != "active" {
			apiError(w, http.StatusBadRequest, "", "cannot send signal to %q: service is not running", n)
			return
		}
	}
	sync200(w, true)
}

func (s *Server) listChecks(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	names := splitNames(q["names"])
	level := q.Get("level")
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []map[string]any{}
	for _, name := range sortedKeys(s.checks) {
		c := s.checks[name]
		if (len(names) > 0 && !names[name]) || (level != "" && c.Level != level) {
			continue
		}
		out = append(out, map[string]any{"name": name, "level": c.Level, "startup": c.Startup, "status": c.Status, "threshold": 3})
	}
	sync200(w, out)
}

func (s *Server) checkAction(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Action string   `json:"action"`
		Checks []string `json:"checks"`
	}
	if !decodeBody(w, r, &req) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var missing []string
	for _, n := range req.Checks {
		if _, ok := s.checks[n]; !ok {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		apiError(w, http.StatusBadRequest, "", "cannot find checks: %s", strings.Join(missing, ", "))
		return
	}
	want := map[string]string{"start": "up", "stop": "inactive"}[req.Action]
	if want == "" {
		apiError(w, http.StatusBadRequest, "", "invalid action %q", req.Action)
		return
	}
	changed := []string{}
	for _, n := range req.Checks {
		if c := s.checks[n]; c.Status != want {
			c.Status = want
			changed = append(changed, n)
		}
	}
	sync200(w, map[string]any{"changed": changed})
}

func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	names := splitNames(r.URL.Query()["names"])
	s.mu.Lock()
	defer s.mu.Unlock()
	healthy := true
	for n, c := range s.checks {
		if (len(names) == 0 || names[n]) && c.Status != "up" && c.Startup == "enabled" {
			healthy = false
		}
	}
	sync200(w, map[string]bool{"healthy": healthy})
}

// splitNames reads a names query: repeated, comma-separated or both.
func splitNames(vals []string) map[string]bool {
	m := map[string]bool{}
	for _, v := range vals {
		for _, n := range strings.Split(v, ",") {
			if n = strings.TrimSpace(n); n != "" {
				m[n] = true
			}
		}
	}
	return m
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
