package faketools

import (
	"encoding/base64"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// secretKey is Juju's rule for secret content keys.
var secretKey = regexp.MustCompile(`^([a-z](?:-?[a-z0-9]){2,})$`)

// xid returns the part of a secret URI after the scheme and model:
// secret:abc and secret://<model-uuid>/abc both give abc.
func xid(uri string) string {
	s := strings.TrimPrefix(uri, "secret:")
	s = strings.TrimPrefix(s, "//")
	if i := strings.LastIndexByte(s, '/'); i >= 0 {
		s = s[i+1:]
	}
	return s
}

func (st *State) secretByID(uri string) *Secret {
	want := xid(uri)
	for _, s := range st.Secrets {
		if xid(s.ID) == want {
			return s
		}
	}
	return nil
}

func (st *State) secretByLabel(label string) *Secret {
	for _, s := range st.Secrets {
		if s.Label == label {
			return s
		}
	}
	return nil
}

// newSecretID makes a 20-character id in the alphabet of Juju's xids.
func (st *State) newSecretID() string {
	st.NextSecret++
	id := strconv.FormatUint(uint64(st.NextSecret), 32)
	return "secret:d" + strings.Repeat("0", 19-len(id)) + id
}

// parseContent reads key=value, key#base64=value and key#file=path
// arguments. Files are read at once: the caller removes them right after.
func parseContent(args []string) (map[string]string, *Result) {
	content := map[string]string{}
	for _, a := range args {
		k, v, ok := strings.Cut(a, "=")
		if !ok {
			r := usage(fmt.Sprintf("invalid key value %q", a))
			return nil, &r
		}
		key, enc, _ := strings.Cut(k, "#")
		if !secretKey.MatchString(key) {
			r := usage(fmt.Sprintf("key %q not valid", key))
			return nil, &r
		}
		switch enc {
		case "":
			content[key] = v
		case "base64":
			b, err := base64.StdEncoding.DecodeString(v)
			if err != nil {
				r := usage(fmt.Sprintf("value of key %q is not valid base64", key))
				return nil, &r
			}
			content[key] = string(b)
		case "file":
			b, err := os.ReadFile(v)
			if err != nil {
				r := failure(fmt.Sprintf("cannot read content of key %q: %v", key, err))
				return nil, &r
			}
			content[key] = string(b)
		default:
			r := usage(fmt.Sprintf("key %q: unknown encoding %q", key, enc))
			return nil, &r
		}
	}
	return content, nil
}

// canManage applies Juju's ownership rule: only the owner manages a
// secret, and for an application-owned secret only the leader.
func (c *call) canManage(s *Secret) *Result {
	if s.Owner == "" || (s.Owner == "application" && !c.st.Leader) {
		r := failure("permission denied")
		return &r
	}
	return nil
}

func secretAdd(c *call) Result {
	owner := c.values["--owner"]
	if owner == "" {
		owner = "application"
	}
	if owner != "application" && owner != "unit" {
		return usage(fmt.Sprintf("invalid value %q for option --owner: secret owner %q not valid", owner, owner))
	}
	if len(c.pos) == 0 {
		return usage("missing secret value or filename")
	}
	content, res := parseContent(c.pos)
	if res != nil {
		return *res
	}
	if owner == "application" && !c.st.Leader {
		return failure("permission denied")
	}
	label := c.values["--label"]
	if label != "" && c.st.secretByLabel(label) != nil {
		return failure(fmt.Sprintf("secret with label %q already exists", label))
	}
	s := &Secret{
		ID: c.st.newSecretID(), Label: label, Description: c.values["--description"],
		Expire: c.values["--expire"], Rotate: c.values["--rotate"], Owner: owner,
		Revision: 1, Content: content,
	}
	c.st.Secrets = append(c.st.Secrets, s)
	return Result{Stdout: []byte(s.ID + "\n"), Changed: true}
}

func secretSet(c *call) Result {
	if len(c.pos) == 0 {
		return usage("missing secret URI")
	}
	content, res := parseContent(c.pos[1:])
	if res != nil {
		return *res
	}
	s := c.st.secretByID(c.pos[0])
	if s == nil {
		return failure(fmt.Sprintf("secret %q not found", c.pos[0]))
	}
	if r := c.canManage(s); r != nil {
		return *r
	}
	for flag, dst := range map[string]*string{"--label": &s.Label, "--description": &s.Description, "--expire": &s.Expire, "--rotate": &s.Rotate} {
		if v, ok := c.values[flag]; ok {
			*dst = v
		}
	}
	if len(content) > 0 {
		s.Content = content
		s.Revision++
	}
	return changed()
}

func secretGet(c *call) Result {
	if r := c.maxArgs(2); r != nil {
		return *r
	}
	label := c.values["--label"]
	if c.bools["--peek"] && c.bools["--refresh"] {
		return usage("specify one of --peek or --refresh but not both")
	}
	var s *Secret
	res := changed()
	switch {
	case len(c.pos) > 0:
		if s = c.st.secretByID(c.pos[0]); s == nil {
			return failure(fmt.Sprintf("secret %q not found", c.pos[0]))
		}
		if label != "" && s.Label != label {
			s.Label = label // a consumer may label a secret it reads by id
		} else {
			res.Changed = false
		}
	case label != "":
		if s = c.st.secretByLabel(label); s == nil {
			return failure(fmt.Sprintf("secret with label %q not found", label))
		}
		res.Changed = false
	default:
		return usage("require either a secret URI or label")
	}
	if s.NotGranted {
		return failure("permission denied")
	}
	content := s.Content
	if s.Owner == "" {
		var pinned bool
		content, pinned = c.consumerContent(s)
		res.Changed = res.Changed || pinned
	}
	var out Result
	if len(c.pos) == 2 {
		key, enc, _ := strings.Cut(c.pos[1], "#")
		v, ok := content[key]
		switch {
		case !ok:
			return failure(fmt.Sprintf("secret key %q not found", key))
		case enc == "base64":
			out = c.print(base64.StdEncoding.EncodeToString([]byte(v)))
		default:
			out = c.print(v)
		}
	} else {
		out = c.print(content)
	}
	out.Changed = res.Changed
	return out
}

// consumerContent is the revision a consumer reads, as Juju serves it: the first read
// pins the latest revision, later reads get the pinned one until --refresh moves the pin
// to the latest, and --peek reads the latest without moving it. It reports whether the
// pin moved.
func (c *call) consumerContent(s *Secret) (map[string]string, bool) {
	switch {
	case c.bools["--peek"]:
		return s.Content, false
	case c.bools["--refresh"] || s.Tracked == 0:
		moved := s.Tracked != s.Revision || s.TrackedContent != nil
		s.Tracked, s.TrackedContent = s.Revision, nil
		return s.Content, moved
	case s.Tracked < s.Revision && s.TrackedContent != nil:
		return s.TrackedContent, false
	}
	return s.Content, false
}

type secretInfo struct {
	Revision    int    `json:"revision"`
	Label       string `json:"label"`
	Owner       string `json:"owner"`
	Rotation    string `json:"rotation"`
	Expiry      string `json:"expiry,omitempty"`
	Description string `json:"description,omitempty"`
}

func secretInfoGet(c *call) Result {
	if r := c.maxArgs(1); r != nil {
		return *r
	}
	label, byLabel := c.values["--label"]
	var s *Secret
	switch {
	case len(c.pos) == 1 && byLabel:
		return usage("specify either a secret URI or label but not both")
	case len(c.pos) == 1:
		if s = c.st.secretByID(c.pos[0]); s == nil {
			return failure(fmt.Sprintf("secret %q not found", c.pos[0]))
		}
	case byLabel:
		if s = c.st.secretByLabel(label); s == nil {
			return failure(fmt.Sprintf("secret with label %q not found", label))
		}
	default:
		return usage("require either a secret URI or label")
	}
	if r := c.canManage(s); r != nil {
		return *r
	}
	rotation := s.Rotate
	if rotation == "" {
		rotation = "never"
	}
	return c.print(map[string]secretInfo{xid(s.ID): {
		Revision: s.Revision, Label: s.Label, Owner: s.Owner, Rotation: rotation,
		Expiry: s.Expire, Description: s.Description,
	}})
}

func secretIDs(c *call) Result {
	if r := c.maxArgs(0); r != nil {
		return *r
	}
	ids := []string{}
	for _, s := range c.st.Secrets {
		if s.Owner != "" {
			ids = append(ids, s.ID)
		}
	}
	sort.Strings(ids)
	return c.print(ids)
}

// managedSecret finds the secret named by the only positional argument
// and checks that this unit may manage it.
func (c *call) managedSecret() (*Secret, *Result) {
	if len(c.pos) == 0 {
		r := usage("missing secret URI")
		return nil, &r
	}
	if r := c.maxArgs(1); r != nil {
		return nil, r
	}
	s := c.st.secretByID(c.pos[0])
	if s == nil {
		r := failure(fmt.Sprintf("secret %q not found", c.pos[0]))
		return nil, &r
	}
	return s, c.canManage(s)
}

func secretGrant(c *call) Result {
	if _, ok := c.values["--relation"]; !ok {
		return usage("missing relation")
	}
	rel, res := c.relation()
	if res != nil {
		return *res
	}
	s, res := c.managedSecret()
	if res != nil {
		return *res
	}
	s.Grants = append(s.Grants, Grant{Relation: rel.ID, Unit: c.values["--unit"]})
	return changed()
}

func secretRevoke(c *call) Result {
	s, res := c.managedSecret()
	if res != nil {
		return *res
	}
	relID := -1
	if _, ok := c.values["--relation"]; ok {
		rel, res := c.relation()
		if res != nil {
			return *res
		}
		relID = rel.ID
	}
	app, unit := c.values["--app"], c.values["--unit"]
	kept := s.Grants[:0]
	for _, g := range s.Grants {
		match := (relID < 0 || g.Relation == relID) && (unit == "" || g.Unit == unit)
		if app != "" {
			rel := c.st.relation(g.Relation)
			match = match && rel != nil && rel.RemoteApp == app
		}
		if !match {
			kept = append(kept, g)
		}
	}
	s.Grants = kept
	return changed()
}

func secretRemove(c *call) Result {
	s, res := c.managedSecret()
	if res != nil {
		return *res
	}
	if v, ok := c.values["--revision"]; ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return usage(fmt.Sprintf("invalid value %q for option --revision", v))
		}
		if n != s.Revision {
			return changed() // only older revisions: nothing the fake keeps
		}
	}
	kept := c.st.Secrets[:0]
	for _, x := range c.st.Secrets {
		if x != s {
			kept = append(kept, x)
		}
	}
	c.st.Secrets = kept
	return changed()
}
