package pebbletest

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"os"
	"path"
	"strings"
	"time"
)

// File is a file in the fake container.
type File struct {
	Content     []byte
	Permissions os.FileMode
	User, Group string
}

// maxFile bounds a pushed file, so a test cannot exhaust memory by mistake.
const maxFile = 16 << 20

// File returns the file at path, if there is one.
func (s *Server) File(p string) (File, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.files[p]
	if ok {
		f.Content = append([]byte(nil), f.Content...)
	}
	return f, ok
}

// SetFile puts a file into the container (mode 0644), creating its directories.
func (s *Server) SetFile(p string, content []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mkdirAll(path.Dir(p))
	s.files[p] = File{Content: append([]byte(nil), content...), Permissions: 0o644}
}

// mkdirAll records dir and its parents. Call with s.mu held.
func (s *Server) mkdirAll(dir string) {
	for d := path.Clean(dir); !s.dirs[d]; d = path.Dir(d) {
		s.dirs[d] = true
	}
}

type fileResult struct {
	Path  string         `json:"path"`
	Error map[string]any `json:"error,omitempty"`
}

func fileError(p, kind, format string, args ...any) fileResult {
	return fileResult{Path: p, Error: map[string]any{"kind": kind, "message": fmt.Sprintf(format, args...)}}
}

func (s *Server) postFiles(w http.ResponseWriter, r *http.Request) {
	mediaType, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		apiError(w, http.StatusBadRequest, "", "invalid Content-Type %q", r.Header.Get("Content-Type"))
		return
	}
	if mediaType == "multipart/form-data" {
		s.writeFiles(w, multipart.NewReader(http.MaxBytesReader(w, r.Body, maxFile+1<<20), params["boundary"]))
		return
	}
	var req struct {
		Action string `json:"action"`
		Dirs   []struct {
			Path        string `json:"path"`
			MakeParents bool   `json:"make-parents"`
		} `json:"dirs"`
		Paths []struct {
			Path      string `json:"path"`
			Recursive bool   `json:"recursive"`
		} `json:"paths"`
	}
	if !decodeBody(w, r, &req) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var results []fileResult
	switch req.Action {
	case "make-dirs":
		for _, d := range req.Dirs {
			switch {
			case !path.IsAbs(d.Path):
				results = append(results, fileError(d.Path, "generic-file-error", "paths must be absolute, got %q", d.Path))
			case !d.MakeParents && !s.dirs[path.Dir(d.Path)]:
				results = append(results, fileError(d.Path, "not-found", "mkdir %s: no such file or directory", d.Path))
			default:
				s.mkdirAll(d.Path)
				results = append(results, fileResult{Path: d.Path})
			}
		}
	case "remove":
		for _, p := range req.Paths {
			results = append(results, s.remove(p.Path, p.Recursive))
		}
	default:
		apiError(w, http.StatusBadRequest, "", "invalid action %q", req.Action)
		return
	}
	sync200(w, results)
}

// remove deletes a file or directory. Call with s.mu held.
func (s *Server) remove(p string, recursive bool) fileResult {
	if _, ok := s.files[p]; ok {
		delete(s.files, p)
		return fileResult{Path: p}
	}
	if !s.dirs[p] {
		return fileError(p, "not-found", "remove %s: no such file or directory", p)
	}
	prefix := strings.TrimSuffix(p, "/") + "/"
	var inside []string
	for f := range s.files {
		if strings.HasPrefix(f, prefix) {
			inside = append(inside, f)
		}
	}
	for d := range s.dirs {
		if strings.HasPrefix(d, prefix) {
			inside = append(inside, d)
		}
	}
	if len(inside) > 0 && !recursive {
		return fileError(p, "generic-file-error", "remove %s: directory not empty", p)
	}
	for _, f := range inside {
		delete(s.files, f)
		delete(s.dirs, f)
	}
	delete(s.dirs, p)
	return fileResult{Path: p}
}

// writeFiles handles a push: a "request" part with the metadata, then one "files" part
// per file, named by its path.
func (s *Server) writeFiles(w http.ResponseWriter, mr *multipart.Reader) {
	var meta struct {
		Action string `json:"action"`
		Files  []struct {
			Path        string `json:"path"`
			MakeDirs    bool   `json:"make-dirs"`
			Permissions string `json:"permissions"`
			User        string `json:"user"`
			Group       string `json:"group"`
		} `json:"files"`
	}
	part, err := mr.NextPart()
	if err != nil || part.FormName() != "request" {
		apiError(w, http.StatusBadRequest, "", `cannot read "request" part`)
		return
	}
	if err := json.NewDecoder(part).Decode(&meta); err != nil || meta.Action != "write" {
		apiError(w, http.StatusBadRequest, "", "cannot decode write request")
		return
	}
	var results []fileResult
	for _, f := range meta.Files {
		part, err := mr.NextPart()
		if err != nil || part.FormName() != "files" || partFileName(part) != f.Path {
			apiError(w, http.StatusBadRequest, "", "missing file part for %q", f.Path)
			return
		}
		content, err := io.ReadAll(io.LimitReader(part, maxFile+1))
		if err != nil || len(content) > maxFile {
			apiError(w, http.StatusBadRequest, "", "cannot read file part for %q", f.Path)
			return
		}
		perm := os.FileMode(0o644)
		if f.Permissions != "" {
			var p uint32
			if _, err := fmt.Sscanf(f.Permissions, "%o", &p); err == nil {
				perm = os.FileMode(p)
			}
		}
		s.mu.Lock()
		switch {
		case !path.IsAbs(f.Path):
			results = append(results, fileError(f.Path, "generic-file-error", "paths must be absolute, got %q", f.Path))
		case !f.MakeDirs && !s.dirs[path.Dir(f.Path)]:
			results = append(results, fileError(f.Path, "not-found", "open %s: no such file or directory", f.Path))
		default:
			s.mkdirAll(path.Dir(f.Path))
			s.files[f.Path] = File{Content: content, Permissions: perm, User: f.User, Group: f.Group}
			results = append(results, fileResult{Path: f.Path})
		}
		s.mu.Unlock()
	}
	sync200(w, results)
}

func (s *Server) getFiles(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	switch q.Get("action") {
	case "read":
		s.readFile(w, q.Get("path"))
	case "list":
		s.listFiles(w, q.Get("path"), q.Get("pattern"), q.Get("itself") == "true")
	default:
		apiError(w, http.StatusBadRequest, "", "invalid action %q", q.Get("action"))
	}
}

// readFile answers a pull as Pebble does: a multipart body with the file, then the
// response envelope.
func (s *Server) readFile(w http.ResponseWriter, p string) {
	s.mu.Lock()
	f, ok := s.files[p]
	s.mu.Unlock()
	mw := multipart.NewWriter(w)
	w.Header().Set("Content-Type", mw.FormDataContentType())
	w.WriteHeader(http.StatusOK)
	fw, _ := mw.CreatePart(textproto.MIMEHeader{
		"Content-Type":        {"application/octet-stream"},
		"Content-Disposition": {fmt.Sprintf(`form-data; name="files"; filename=%q`, p)},
	})
	result := fileResult{Path: p}
	if ok {
		fw.Write(f.Content)
	} else {
		result = fileError(p, "not-found", "stat %s: no such file or directory", p)
	}
	rw, _ := mw.CreatePart(textproto.MIMEHeader{
		"Content-Type":        {"application/json"},
		"Content-Disposition": {`form-data; name="response"`},
	})
	json.NewEncoder(rw).Encode(map[string]any{"type": "sync", "status-code": 200, "status": "OK", "result": []fileResult{result}})
	mw.Close()
}

func (s *Server) listFiles(w http.ResponseWriter, dir, pattern string, itself bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	info := func(p string, f *File) map[string]any {
		m := map[string]any{"path": p, "name": path.Base(p), "type": "directory", "permissions": "755",
			"last-modified": time.Now().UTC().Format(time.RFC3339)}
		if f != nil {
			m["type"], m["permissions"], m["size"] = "file", fmt.Sprintf("%03o", f.Permissions.Perm()), len(f.Content)
		}
		return m
	}
	if f, ok := s.files[dir]; ok {
		sync200(w, []any{info(dir, &f)})
		return
	}
	if !s.dirs[dir] {
		apiError(w, http.StatusNotFound, "not-found", "stat %s: no such file or directory", dir)
		return
	}
	if itself {
		sync200(w, []any{info(dir, nil)})
		return
	}
	out := []any{}
	match := func(p string) bool {
		if path.Dir(p) != path.Clean(dir) || p == path.Clean(dir) {
			return false
		}
		ok, _ := path.Match(pattern, path.Base(p))
		return pattern == "" || ok
	}
	for _, d := range sortedKeys(s.dirs) {
		if match(d) {
			out = append(out, info(d, nil))
		}
	}
	for _, p := range sortedKeys(s.files) {
		if match(p) {
			f := s.files[p]
			out = append(out, info(p, &f))
		}
	}
	sync200(w, out)
}

// partFileName is the filename parameter as sent: Part.FileName keeps only the base name.
func partFileName(p *multipart.Part) string {
	_, params, err := mime.ParseMediaType(p.Header.Get("Content-Disposition"))
	if err != nil {
		return ""
	}
	return params["filename"]
}
