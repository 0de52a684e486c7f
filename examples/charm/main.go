// Command charm is an example Juju charm written in Go, with every dispatch traced by
// charmtrace. Built, it is the charm's dispatch executable: Juju runs it once per
// event, and tracing.Main turns that run into a trace kept on disk until a tracing
// receiver is related.
//
// The charm keeps an admin password in a Juju secret and hands it to db clients, so
// it also shows what tracing leaves out: spans name the hook tools and the data keys
// they touch, never the values.
package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"

	"github.com/charmtrace/charmtrace/charmhooks"
	"github.com/charmtrace/charmtrace/tracing"
)

// passwordLabel names the secret that holds the admin password.
const passwordLabel = "admin-password"

func main() { tracing.Main(setup) }

// setup registers the handlers. tracing calls it once per dispatch and routes the
// event; each handler call becomes a span, and so does each hook-tool call it makes.
func setup(c *tracing.Charm) error {
	ch := &charm{tools: c.Tools}
	c.Router.Handle("install", ch.install, charmhooks.HandlerName("install"))
	// Handler names name the spans and key the deferral queue: one per registration.
	for _, hook := range []string{"start", "config-changed", "update-status"} {
		c.Router.Handle(hook, ch.configure, charmhooks.HandlerName("configure/"+hook))
	}
	c.Router.HandleRelation("db", charmhooks.RelationChanged, ch.shareCredentials, charmhooks.HandlerName("share-credentials"))
	c.Router.HandleAction("get-admin-password", ch.getAdminPassword, charmhooks.HandlerName("get-admin-password"))
	return nil
}

type charm struct {
	tools *charmhooks.Tools
}

type config struct {
	LogLevel string `json:"log-level"`
}

// install creates the admin password. The secret belongs to the application, so only
// the leader creates it, and only once.
func (ch *charm) install(ctx context.Context, _ charmhooks.Event) error {
	if leader, err := ch.tools.IsLeader(); err != nil || !leader {
		return err
	}
	if _, err := ch.tools.SecretInfoGet("", passwordLabel); !errors.Is(err, charmhooks.ErrSecretNotFound) {
		return err // nil when the password exists already
	}
	password := rand.Text() // 128 random bits
	_, err := ch.tools.SecretAdd(map[string]string{"password": password}, charmhooks.SecretOptions{Label: passwordLabel})
	return err
}

// configure applies the configuration and reports the unit's status.
func (ch *charm) configure(ctx context.Context, _ charmhooks.Event) error {
	var cfg config
	if err := ch.tools.ConfigGet(&cfg); err != nil {
		return err
	}
	// The charm's own spans come from the global provider that tracing installs.
	_, span := otel.Tracer("charmtrace-example").Start(ctx, "render workload config")
	span.SetAttributes(attribute.String("workload.log_level", cfg.LogLevel))
	span.End()
	return ch.tools.StatusSet(charmhooks.StatusActive, "log level "+cfg.LogLevel)
}

// shareCredentials publishes the admin password to the db client in the application
// databag: sensitive relation data, which the relation-set span records by key only.
func (ch *charm) shareCredentials(ctx context.Context, e charmhooks.Event) error {
	if leader, err := ch.tools.IsLeader(); err != nil || !leader {
		return err
	}
	password, err := ch.password()
	if err != nil {
		return err
	}
	return ch.tools.RelationSetApp(e.RelationRef(), map[string]string{"password": password})
}

// getAdminPassword returns the admin password to the operator. Juju takes action
// results only as action-set arguments: this is the one place the value is on a
// command line.
func (ch *charm) getAdminPassword(ctx context.Context, _ charmhooks.Event) error {
	password, err := ch.password()
	if err != nil {
		return err
	}
	return ch.tools.ActionSet(map[string]string{"password": password})
}

func (ch *charm) password() (string, error) {
	content, err := ch.tools.SecretGet("", charmhooks.SecretGetOptions{Label: passwordLabel})
	if err != nil {
		return "", fmt.Errorf("read the admin password: %w", err)
	}
	return content["password"], nil
}
