package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/protodelim"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/charmtrace/charmtrace/buffer"
	"github.com/charmtrace/charmtrace/internal/otlpjson"
)

// storedTraces decodes every row of the buffer at path directly, without the CLI.
func storedTraces(t *testing.T, path string) ([]buffer.Row, []*tracepb.TracesData) {
	t.Helper()
	rows := rowsOf(t, path)
	var tds []*tracepb.TracesData
	for _, r := range rows {
		td := &tracepb.TracesData{}
		var err error
		if r.Mime == buffer.MimeJSON {
			err = otlpjson.Unmarshal(r.Data, td)
		} else {
			err = proto.Unmarshal(r.Data, td)
		}
		if err != nil {
			t.Fatal(err)
		}
		tds = append(tds, td)
	}
	return rows, tds
}

// jsonSpan is the part of an OTLP/JSON span the spec checks look at, decoded with
// encoding/json alone so that the check does not trust the package under test.
type jsonSpan struct {
	TraceID           string          `json:"traceId"`
	SpanID            string          `json:"spanId"`
	ParentSpanID      string          `json:"parentSpanId"`
	Name              string          `json:"name"`
	Kind              json.RawMessage `json:"kind"`
	StartTimeUnixNano json.RawMessage `json:"startTimeUnixNano"`
	EndTimeUnixNano   json.RawMessage `json:"endTimeUnixNano"`
	Status            struct {
		Code json.RawMessage `json:"code"`
	} `json:"status"`
}

type jsonDoc struct {
	ResourceSpans []struct {
		ScopeSpans []struct {
			Spans []jsonSpan `json:"spans"`
		} `json:"scopeSpans"`
	} `json:"resourceSpans"`
}

// checkExportedJSON checks that out holds one OTLP/JSON document per stored row, in order,
// that each decodes to exactly the spans of its row, and that the encoding follows the
// OTLP/JSON rules rather than plain protojson's.
func checkExportedJSON(t *testing.T, out string, tds []*tracepb.TracesData) {
	t.Helper()
	if !strings.HasSuffix(out, "\n") {
		t.Fatalf("output does not end with a newline: %q", out)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != len(tds) {
		t.Fatalf("%d lines for %d rows:\n%s", len(lines), len(tds), out)
	}
	number := regexp.MustCompile(`^[0-9]+$`)
	decimalString := regexp.MustCompile(`^"[0-9]+"$`)
	for i, line := range lines {
		got := &tracepb.TracesData{}
		if err := otlpjson.Unmarshal([]byte(line), got); err != nil {
			t.Fatalf("line %d: %v", i, err)
		}
		if !proto.Equal(got, tds[i]) {
			t.Fatalf("line %d decodes to other spans:\nwant %v\ngot  %v", i, tds[i], got)
		}
		var doc jsonDoc
		if err := json.Unmarshal([]byte(line), &doc); err != nil {
			t.Fatal(err)
		}
		var spans []*tracepb.Span
		for _, rs := range tds[i].ResourceSpans {
			for _, ss := range rs.ScopeSpans {
				spans = append(spans, ss.Spans...)
			}
		}
		var js []jsonSpan
		for _, rs := range doc.ResourceSpans {
			for _, ss := range rs.ScopeSpans {
				js = append(js, ss.Spans...)
			}
		}
		if len(js) != len(spans) || len(js) == 0 {
			t.Fatalf("line %d: %d JSON spans, %d stored", i, len(js), len(spans))
		}
		for j, s := range js {
			want := spans[j]
			if s.TraceID != hex.EncodeToString(want.TraceId) || s.SpanID != hex.EncodeToString(want.SpanId) ||
				s.ParentSpanID != hex.EncodeToString(want.ParentSpanId) {
				t.Errorf("line %d span %q: ids %s/%s/%s, want lower-case hex %x/%x/%x", i, s.Name,
					s.TraceID, s.SpanID, s.ParentSpanID, want.TraceId, want.SpanId, want.ParentSpanId)
			}
			if !number.Match(s.Kind) || (s.Status.Code != nil && !number.Match(s.Status.Code)) {
				t.Errorf("line %d span %q: kind %s, status code %s: want integers", i, s.Name, s.Kind, s.Status.Code)
			}
			if !decimalString.Match(s.StartTimeUnixNano) || !decimalString.Match(s.EndTimeUnixNano) {
				t.Errorf("line %d span %q: times %s %s, want decimal strings", i, s.Name, s.StartTimeUnixNano, s.EndTimeUnixNano)
			}
		}
		for _, m := range regexp.MustCompile(`"([A-Za-z_]+)":`).FindAllStringSubmatch(line, -1) {
			if strings.Contains(m[1], "_") {
				t.Errorf("line %d: key %q is not lowerCamelCase", i, m[1])
			}
		}
	}
}

func TestExportJSON(t *testing.T) {
	path := bufferPath(t)
	mustWriteDispatches(t, path, dispatch{event: "install"}, dispatch{event: "start", at: 1e9, failure: "denied"})
	_, tds := storedTraces(t, path)
	before := dirState(t, filepath.Dir(path))
	for _, args := range [][]string{{"export", path}, {"export", "--format", "otlp-json", path}} {
		code, out, errOut := runCLI(t, args...)
		if code != exitOK || errOut != "" {
			t.Fatalf("%v: exit %d, stderr %q", args, code, errOut)
		}
		checkExportedJSON(t, out, tds)
	}
	assertUnchanged(t, before, dirState(t, filepath.Dir(path)))
}

// Rows Python ops wrote come out as specification OTLP/JSON, their quirks gone.
func TestExportOpsRows(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".tracing-data.db")
	if err := writeOpsBuffer(path); err != nil {
		t.Fatal(err)
	}
	_, tds := storedTraces(t, path)
	code, out, errOut := runCLI(t, "export", path)
	if code != exitOK || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	checkExportedJSON(t, out, tds)
	if !strings.Contains(out, `"droppedAttributesCount":1`) || strings.Contains(out, "dropped_attributes_count") {
		t.Errorf("ops' snake_case key not converted:\n%s", out)
	}
}

func TestExportProtobuf(t *testing.T) {
	dir := t.TempDir()
	charmtrace := filepath.Join(dir, "charmtrace.db")
	mustWriteDispatches(t, charmtrace, dispatch{event: "install"}, dispatch{event: "start", at: 1e9})
	ops := filepath.Join(dir, "ops.db")
	if err := writeOpsBuffer(ops); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{charmtrace, ops} {
		rows, tds := storedTraces(t, path)
		outPath := filepath.Join(dir, filepath.Base(path)+".pb")
		code, out, errOut := runCLI(t, "export", "--format", "protobuf", "-o", outPath, path)
		if code != exitOK || out != "" || errOut != "" {
			t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
		}
		fi, err := os.Stat(outPath)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("output mode %v, want 0600", fi.Mode().Perm())
		}
		data, err := os.ReadFile(outPath)
		if err != nil {
			t.Fatal(err)
		}
		// Framing by hand: varint length, then the message.
		rest := data
		for i, r := range rows {
			n, l := protowire.ConsumeVarint(rest)
			if l < 0 || uint64(len(rest)-l) < n {
				t.Fatalf("%s: record %d: bad length prefix", path, i)
			}
			msg := rest[l : l+int(n)]
			rest = rest[l+int(n):]
			if r.Mime == buffer.MimeProtobuf && !bytes.Equal(msg, r.Data) {
				t.Errorf("%s: record %d is not the stored row byte for byte", path, i)
			}
		}
		if len(rest) != 0 {
			t.Errorf("%s: %d bytes after the last record", path, len(rest))
		}
		// And as a consumer would read it, with protodelim.
		rd := bufio.NewReader(bytes.NewReader(data))
		for i := 0; ; i++ {
			got := &tracepb.TracesData{}
			err := protodelim.UnmarshalFrom(rd, got)
			if errors.Is(err, io.EOF) {
				if i != len(tds) {
					t.Fatalf("%s: %d records, want %d", path, i, len(tds))
				}
				break
			}
			if err != nil {
				t.Fatalf("%s: record %d: %v", path, i, err)
			}
			if !proto.Equal(got, tds[i]) {
				t.Fatalf("%s: record %d differs:\nwant %v\ngot  %v", path, i, tds[i], got)
			}
		}
	}
}

func TestExportEmptyBuffer(t *testing.T) {
	path := bufferPath(t)
	b, err := buffer.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	b.Close()
	for _, format := range []string{"otlp-json", "protobuf"} {
		if code, out, errOut := runCLI(t, "export", "--format", format, path); code != exitOK || out != "" || errOut != "" {
			t.Errorf("%s: exit %d, stdout %q, stderr %q", format, code, out, errOut)
		}
	}
}

func TestExportToUnwritableFile(t *testing.T) {
	path := bufferPath(t)
	mustWriteDispatches(t, path, dispatch{event: "install"})
	code, _, errOut := runCLI(t, "export", "-o", filepath.Join(t.TempDir(), "no", "such", "dir.json"), path)
	if code != exitFailure || !strings.Contains(errOut, "no such file or directory") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
}

// Exporting a buffer as OTLP/JSON: one document per row. This dispatch was exported span by
// span, so each row holds one span; here is the first, the hook-tool call.
func Example_export() {
	dir, err := os.MkdirTemp("", "charmtrace-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, ".tracing-data.db")
	if err := writeDispatches(path, dispatch{event: "install"}); err != nil {
		panic(err)
	}

	var out bytes.Buffer
	Run(context.Background(), []string{"export", "--format", "otlp-json", path}, &out, os.Stderr)
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	fmt.Println(len(lines), "rows")
	fmt.Println(lines[0])
	// Output:
	// 3 rows
	// {"resourceSpans":[{"resource":{"attributes":[{"key":"juju_unit","value":{"stringValue":"example/0"}},{"key":"service.name","value":{"stringValue":"example"}}]},"scopeSpans":[{"scope":{"name":"github.com/charmtrace/charmtrace/tracing"},"spans":[{"traceId":"4b000000000000000000000000000001","spanId":"5a00000000000003","parentSpanId":"5a00000000000002","flags":257,"name":"secret-get","kind":1,"startTimeUnixNano":"1772366400020000000","endTimeUnixNano":"1772366400040000000","attributes":[{"key":"juju.tool","value":{"stringValue":"secret-get"}}],"status":{}}]}]}]}
}
