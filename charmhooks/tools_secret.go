package charmhooks

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// SecretOptions are the metadata of secret-add and secret-set; empty
// fields are not passed.
type SecretOptions struct {
	Label       string
	Description string
	Expire      string // RFC 3339 time or Go-style duration
	Rotate      string // never, hourly, daily, weekly, monthly, quarterly, yearly
	Owner       string // application (Juju's default) or unit
}

func (o SecretOptions) args() []string {
	var a []string
	for _, f := range [...]struct{ flag, v string }{
		{"--label", o.Label}, {"--description", o.Description}, {"--expire", o.Expire},
		{"--rotate", o.Rotate}, {"--owner", o.Owner},
	} {
		if f.v != "" {
			a = append(a, f.flag, f.v)
		}
	}
	return a
}

// secretKey is Juju's rule for secret content keys. Keys also name the
// temporary files, so the rule keeps them plain path elements.
var secretKey = regexp.MustCompile(`^([a-z](?:-?[a-z0-9]){2,})$`)

// withSecretFiles writes the content as one 0600 file per key in a fresh
// 0700 directory, calls fn with the key#file=<path> arguments, and removes
// the files as soon as fn returns: the values never reach a command line.
func (t *Tools) withSecretFiles(content map[string]string, fn func(args []string) error) error {
	keys := make([]string, 0, len(content))
	files := make(map[string][]byte, len(content))
	for k, v := range content {
		if !secretKey.MatchString(k) {
			return fmt.Errorf("charmhooks: secret key %q is invalid: use at least 3 lowercase letters, digits and single hyphens, starting with a letter", k)
		}
		keys = append(keys, k)
		files[k] = []byte(v)
	}
	sort.Strings(keys)
	return t.withPrivateFiles(files, func(paths map[string]string) error {
		args := make([]string, len(keys))
		for i, k := range keys {
			args[i] = k + "#file=" + paths[k]
		}
		return fn(args)
	})
}

// SecretAdd creates a secret owned by the application (or the unit, with
// Owner "unit") and returns its id (secret:...).
func (t *Tools) SecretAdd(content map[string]string, opts SecretOptions) (string, error) {
	if len(content) == 0 {
		return "", fmt.Errorf("charmhooks: secret-add needs content")
	}
	var id string
	err := t.withSecretFiles(content, func(files []string) error {
		out, err := t.run.Run("secret-add", append(opts.args(), files...)...)
		id = strings.TrimSpace(string(out))
		return err
	})
	return id, err
}

// SecretSet updates a secret's metadata and, if content is not empty,
// creates a new revision with that content.
func (t *Tools) SecretSet(id string, content map[string]string, opts SecretOptions) error {
	return t.withSecretFiles(content, func(files []string) error {
		args := append(opts.args(), id)
		_, err := t.run.Run("secret-set", append(args, files...)...)
		return err
	})
}

// SecretGetOptions select which secret and revision secret-get reads.
type SecretGetOptions struct {
	Label   string // look up (or, with an id, set) the consumer label
	Peek    bool   // read the latest revision without tracking it
	Refresh bool   // read the latest revision and track it
}

// SecretGet returns a secret's content, by id or by label.
func (t *Tools) SecretGet(id string, opts SecretGetOptions) (map[string]string, error) {
	args := []string{"--format=json"}
	if id != "" {
		args = append(args, id)
	}
	if opts.Label != "" {
		args = append(args, "--label", opts.Label)
	}
	if opts.Peek {
		args = append(args, "--peek")
	}
	if opts.Refresh {
		args = append(args, "--refresh")
	}
	var content map[string]string
	err := t.runJSON(&content, "secret-get", args...)
	return content, err
}

// SecretInfo is a secret's metadata, as its owner sees it.
type SecretInfo struct {
	ID          string `json:"-"` // the secret's id without the secret: scheme
	Revision    int    `json:"revision"`
	Label       string `json:"label"`
	Owner       string `json:"owner"`
	Rotation    string `json:"rotation"`
	Expiry      string `json:"expiry"`
	Rotates     string `json:"rotates"`
	Description string `json:"description"`
}

// SecretInfoGet returns the metadata of a secret this unit or application
// owns, by id or (if id is empty) by label.
func (t *Tools) SecretInfoGet(id, label string) (SecretInfo, error) {
	args := []string{"--format=json"}
	if id != "" {
		args = append(args, id)
	} else {
		args = append(args, "--label", label)
	}
	var byID map[string]SecretInfo
	if err := t.runJSON(&byID, "secret-info-get", args...); err != nil {
		return SecretInfo{}, err
	}
	if len(byID) != 1 {
		return SecretInfo{}, fmt.Errorf("charmhooks: secret-info-get returned %d secrets, want 1", len(byID))
	}
	var info SecretInfo
	for k, v := range byID {
		info = v
		info.ID = k
	}
	return info, nil
}

// SecretIDs lists the secrets this unit or application owns.
func (t *Tools) SecretIDs() ([]string, error) {
	var ids []string
	err := t.runJSON(&ids, "secret-ids", "--format=json")
	return ids, err
}

// SecretGrant lets the remote application of rel (or only unit, if set)
// read the secret.
func (t *Tools) SecretGrant(id, rel, unit string) error {
	args := []string{"--relation", rel}
	if unit != "" {
		args = append(args, "--unit", unit)
	}
	_, err := t.run.Run("secret-grant", append(args, id)...)
	return err
}

// SecretRevoke withdraws access granted to a relation, an application or
// a unit; empty arguments are not passed.
func (t *Tools) SecretRevoke(id, rel, app, unit string) error {
	var args []string
	for _, f := range [...]struct{ flag, v string }{{"--relation", rel}, {"--app", app}, {"--unit", unit}} {
		if f.v != "" {
			args = append(args, f.flag, f.v)
		}
	}
	_, err := t.run.Run("secret-revoke", append(args, id)...)
	return err
}

// SecretRemove removes one revision of a secret, or every revision when
// revision is 0.
func (t *Tools) SecretRemove(id string, revision int) error {
	args := []string{id}
	if revision > 0 {
		args = append(args, "--revision", strconv.Itoa(revision))
	}
	_, err := t.run.Run("secret-remove", args...)
	return err
}
