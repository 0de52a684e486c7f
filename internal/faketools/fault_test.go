package faketools

import (
	"errors"
	"testing"

	"github.com/charmtrace/charmtrace/charmhooks"
)

// An injected fault answers with the chosen text and status, counts down its Times,
// and then the tool works again.
func TestFaultInjection(t *testing.T) {
	st := &State{Unit: "app/0", Secrets: []*Secret{{ID: "secret:a1", Owner: "application", Revision: 1, Content: map[string]string{"pass": "x"}}},
		Faults: []*Fault{{Tool: "secret-get", Stderr: "permission denied", Times: 1}}}
	r := NewRunner(st, nil)
	tools := charmhooks.NewTools(r)
	_, err := tools.SecretGet("secret:a1", charmhooks.SecretGetOptions{})
	if !errors.Is(err, charmhooks.ErrUnauthorized) {
		t.Fatalf("first secret-get: %v, want unauthorized", err)
	}
	if len(st.Faults) != 0 {
		t.Fatalf("faults left: %+v", st.Faults)
	}
	if got, err := tools.SecretGet("secret:a1", charmhooks.SecretGetOptions{}); err != nil || got["pass"] != "x" {
		t.Fatalf("second secret-get: %v %v", got, err)
	}
}

// Reading a secret this unit was never granted is refused as Juju refuses it.
func TestSecretNotGranted(t *testing.T) {
	st := &State{Unit: "app/0", Secrets: []*Secret{{ID: "secret:b2", Revision: 3, NotGranted: true, Content: map[string]string{"k": "v"}}}}
	_, err := charmhooks.NewTools(NewRunner(st, nil)).SecretGet("secret:b2", charmhooks.SecretGetOptions{})
	var te *charmhooks.ToolError
	if !errors.As(err, &te) || te.Stderr != "ERROR permission denied" || !errors.Is(err, charmhooks.ErrUnauthorized) || errors.Is(err, charmhooks.ErrSecretNotFound) {
		t.Fatalf("secret-get of an ungranted secret: %v", err)
	}
}

// A consumer reads the revision it tracks until it refreshes; a peek reads the latest
// without moving the pin.
func TestConsumerSecretRevisions(t *testing.T) {
	st := &State{Unit: "app/0", Secrets: []*Secret{{ID: "secret:s1", Revision: 2, Content: map[string]string{"v": "new"},
		Tracked: 1, TrackedContent: map[string]string{"v": "old"}}}}
	tools := charmhooks.NewTools(NewRunner(st, nil))
	for _, step := range []struct {
		opts charmhooks.SecretGetOptions
		want string
	}{
		{charmhooks.SecretGetOptions{}, "old"},
		{charmhooks.SecretGetOptions{Peek: true}, "new"},
		{charmhooks.SecretGetOptions{}, "old"},
		{charmhooks.SecretGetOptions{Refresh: true}, "new"},
		{charmhooks.SecretGetOptions{}, "new"},
	} {
		got, err := tools.SecretGet("secret:s1", step.opts)
		if err != nil || got["v"] != step.want {
			t.Fatalf("secret-get %+v: %v %v, want %s", step.opts, got, err, step.want)
		}
	}
	if s := st.Secrets[0]; s.Tracked != 2 || s.TrackedContent != nil {
		t.Fatalf("after refresh: tracked %d, content %v", s.Tracked, s.TrackedContent)
	}
}
