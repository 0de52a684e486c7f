package faketools

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
)

// Result is the outcome of one hook-tool call.
type Result struct {
	Stdout   []byte
	Stderr   string // "ERROR <message>\n" on failure, as Juju writes it
	ExitCode int    // 0 ok, 1 runtime error, 2 usage error
	Changed  bool   // the call changed the state
}

// Exec runs one hook tool against st, the way Juju's tool of that name
// would in a hook whose environment getenv reads (JUJU_RELATION_ID,
// JUJU_REMOTE_UNIT, JUJU_REMOTE_APP, JUJU_ACTION_NAME). Both the
// in-process Runner and the fakejuju executable call it.
func Exec(st *State, getenv func(string) string, tool string, args []string, stdin []byte) Result {
	spec, ok := tools[tool]
	if !ok {
		return Result{Stderr: fmt.Sprintf("fakejuju: unknown hook tool %q\n", tool), ExitCode: 2}
	}
	if res, ok := st.fault(tool); ok {
		return res
	}
	c := &call{st: st, getenv: getenv, tool: tool, stdin: stdin, values: map[string]string{}, bools: map[string]bool{}}
	if err := c.parse(spec, args); err != nil {
		return usage(err.Error())
	}
	if spec.format {
		switch c.values["--format"] {
		case "", "smart", "json":
		default:
			return usage(fmt.Sprintf("invalid value %q for option --format: unknown format %q", c.values["--format"], c.values["--format"]))
		}
	}
	return spec.run(c)
}

// IsTool reports whether the fake implements a hook tool of this name.
func IsTool(name string) bool {
	_, ok := tools[name]
	return ok
}

// ToolNames lists the hook tools the fake implements, sorted.
func ToolNames() []string {
	names := make([]string, 0, len(tools))
	for n := range tools {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func usage(msg string) Result   { return Result{Stderr: "ERROR " + msg + "\n", ExitCode: 2} }
func failure(msg string) Result { return Result{Stderr: "ERROR " + msg + "\n", ExitCode: 1} }
func changed() Result           { return Result{Changed: true} }

type flagKind int

const (
	boolFlag flagKind = iota + 1
	valueFlag
)

type toolSpec struct {
	flags   map[string]flagKind // canonical name → kind
	aliases map[string]string   // e.g. -r → --relation
	format  bool                // accepts --format
	run     func(*call) Result
}

// call is one parsed invocation.
type call struct {
	st     *State
	getenv func(string) string
	tool   string
	stdin  []byte
	values map[string]string
	bools  map[string]bool
	pos    []string
}

// parse reads flags the way juju/gnuflag does for hook tools: flags may
// come before or after positional arguments, "--name=value" or
// "--name value", and "--" ends the flags.
func (c *call) parse(spec toolSpec, args []string) error {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			c.pos = append(c.pos, args[i+1:]...)
			return nil
		}
		if len(a) < 2 || a[0] != '-' {
			c.pos = append(c.pos, a)
			continue
		}
		name, value, hasValue := strings.Cut(a, "=")
		if canon, ok := spec.aliases[name]; ok {
			name = canon
		}
		kind := spec.flags[name]
		if name == "--format" && spec.format {
			kind = valueFlag
		}
		switch kind {
		case boolFlag:
			b := true
			if hasValue {
				var err error
				if b, err = strconv.ParseBool(value); err != nil {
					return fmt.Errorf("invalid value %q for flag %s: parse error", value, a)
				}
			}
			c.bools[name] = b
		case valueFlag:
			if !hasValue {
				if i+1 >= len(args) {
					return fmt.Errorf("flag needs an argument: %s", a)
				}
				i++
				value = args[i]
			}
			c.values[name] = value
		default:
			return fmt.Errorf("flag provided but not defined: %s", name)
		}
	}
	return nil
}

// maxArgs rejects positional arguments beyond n.
func (c *call) maxArgs(n int) *Result {
	if len(c.pos) > n {
		r := usage(fmt.Sprintf("unrecognized args: %q", c.pos[n:]))
		return &r
	}
	return nil
}

// print writes v in the requested format: json is json.Marshal plus a
// newline (compact, sorted keys, null for nil), as juju/cmd does; smart
// prints strings raw, lists one per line, booleans as True/False, and
// nothing for nil.
func (c *call) print(v any) Result {
	if c.values["--format"] == "json" {
		b, err := json.Marshal(v)
		if err != nil {
			return failure(err.Error())
		}
		return Result{Stdout: append(b, '\n')}
	}
	return Result{Stdout: smart(v)}
}

func smart(v any) []byte {
	switch v := v.(type) {
	case nil:
		return nil
	case string:
		return []byte(v + "\n")
	case *string:
		if v == nil {
			return nil
		}
		return []byte(*v + "\n")
	case bool:
		if v {
			return []byte("True\n")
		}
		return []byte("False\n")
	case []string:
		if len(v) == 0 {
			return nil
		}
		return []byte(strings.Join(v, "\n") + "\n")
	case map[string]string:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var b strings.Builder
		for _, k := range keys {
			q, _ := json.Marshal(v[k])
			fmt.Fprintf(&b, "%s: %s\n", k, q)
		}
		return []byte(b.String())
	}
	b, _ := json.Marshal(v)
	return append(b, '\n')
}

// relation resolves -r/--relation, or the hook's own relation. Juju keeps
// only what follows the last ':' of the reference.
func (c *call) relation() (*Relation, *Result) {
	ref, given := c.values["--relation"]
	if !given {
		ref = c.getenv("JUJU_RELATION_ID")
		if ref == "" {
			r := usage("no relation id specified")
			return nil, &r
		}
	}
	s := ref
	if i := strings.LastIndexByte(s, ':'); i >= 0 {
		s = s[i+1:]
	}
	id, err := strconv.Atoi(s)
	if err != nil {
		r := usage(fmt.Sprintf("invalid value %q for option -r: invalid relation id", ref))
		return nil, &r
	}
	rel := c.st.relation(id)
	if rel == nil {
		r := usage(fmt.Sprintf("invalid value %q for option -r: relation not found", ref))
		return nil, &r
	}
	return rel, nil
}

// inAction reports whether the hook is an action; action tools fail
// elsewhere.
func (c *call) inAction() *Result {
	if c.getenv("JUJU_ACTION_NAME") == "" {
		r := failure("not running an action")
		return &r
	}
	return nil
}

// readMapInput reads the --file map (a path, or "-" for standard input)
// and then key=value arguments, which override it. Juju reads YAML; the
// fake reads the JSON subset of YAML that charmhooks writes.
func (c *call) readMapInput() (map[string]string, *Result) {
	m := map[string]string{}
	if f, ok := c.values["--file"]; ok {
		var body []byte
		if f == "-" {
			body = c.stdin
		} else {
			var err error
			if body, err = os.ReadFile(f); err != nil {
				r := failure(err.Error())
				return nil, &r
			}
		}
		var raw map[string]any
		if len(strings.TrimSpace(string(body))) > 0 {
			if err := json.Unmarshal(body, &raw); err != nil {
				r := failure(fmt.Sprintf("cannot parse %s: %v", fileName(f), err))
				return nil, &r
			}
		}
		for k, v := range raw {
			s, ok := v.(string)
			if !ok {
				r := failure(fmt.Sprintf("value of %q in %s is not a string", k, fileName(f)))
				return nil, &r
			}
			m[k] = s
		}
	}
	seen := map[string]bool{}
	for _, a := range c.pos {
		k, v, ok := strings.Cut(a, "=")
		if !ok || k == "" {
			r := usage(fmt.Sprintf("expected \"key=value\", got %q", a))
			return nil, &r
		}
		if seen[k] {
			r := usage(fmt.Sprintf("duplicate key specified: %q", k))
			return nil, &r
		}
		seen[k] = true
		m[k] = v
	}
	return m, nil
}

func fileName(f string) string {
	if f == "-" {
		return "standard input"
	}
	return strconv.Quote(f)
}
