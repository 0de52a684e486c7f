package main

import (
	"context"
	"fmt"

	"github.com/charmtrace/charmtrace/internal/fakejuju"
)

// runSecret adds a secret: one the charm owns, or one another application granted it.
func runSecret(ctx context.Context, s *streams, args []string) error {
	fs := newFlagSet(s, "run secret", runUsage)
	label := fs.String("label", "", "the secret's `LABEL`")
	owner := fs.String("owner", "granted", "application, unit, or granted (another application's, shared with this one)")
	pos, err := fs.parse(args, -1, "DIR and key=value content")
	if err != nil {
		return err
	}
	if len(pos) < 2 {
		return usagef("want DIR and key=value content")
	}
	switch *owner {
	case "application", "unit":
	case "granted":
		*owner = ""
	default:
		return usagef("--owner %q: want application, unit or granted", *owner)
	}
	content, err := keyValues(pos[1:])
	if err != nil {
		return err
	}
	w, err := openWorkspace(pos[0])
	if err != nil {
		return err
	}
	var id string
	err = w.update(func(st *fakejuju.State) error {
		st.NextSecret++
		id = fmt.Sprintf("secret:r%019d", st.NextSecret)
		st.Secrets = append(st.Secrets, &fakejuju.Secret{ID: id, Label: *label, Owner: *owner, Revision: 1, Content: content})
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Fprintln(s.stdout, id)
	return nil
}
