package charmhooks_test

import (
	"context"
	"fmt"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/charmtrace/charmtrace/charmhooks"
	"github.com/charmtrace/charmtrace/internal/fakejuju"
)

// A charm reads its context, registers handlers and dispatches. Hook
// tools go through a traced runner whose spans are children of the
// running handler. Here a fake Juju stands in for the unit agent; in a
// charm the runner is &charmhooks.ExecRunner{} and getenv is os.Getenv.
func Example() {
	env := map[string]string{
		"JUJU_UNIT_NAME": "myapp/0", "JUJU_MODEL_NAME": "dev", "JUJU_MODEL_UUID": "0b6c1c0e",
		"JUJU_CHARM_DIR": "/charm", "JUJU_DISPATCH_PATH": "hooks/db-relation-changed",
		"JUJU_RELATION": "db", "JUJU_RELATION_ID": "db:4", "JUJU_REMOTE_APP": "client", "JUJU_REMOTE_UNIT": "client/0",
	}
	jctx, err := charmhooks.ReadContext(func(k string) string { return env[k] })
	if err != nil {
		fmt.Println(err)
		return
	}

	agent := fakejuju.NewRunner(&fakejuju.State{
		Unit: "myapp/0", Leader: true,
		Relations: []*fakejuju.Relation{{ID: 4, Endpoint: "db", RemoteApp: "client",
			RemoteUnitsData: map[string]map[string]string{"client/0": {"database": "orders"}}}},
	}, env)
	spans := tracetest.NewSpanRecorder()
	tracer := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans)).Tracer("charm")

	router := charmhooks.NewRouter()
	tools := charmhooks.NewTools(charmhooks.NewTracedRunner(agent, tracer, charmhooks.WithContext(router.Current)))
	router.HandleRelation("db", charmhooks.RelationChanged, func(ctx context.Context, e charmhooks.Event) error {
		bag, err := tools.RelationGet(e.RelationRef(), e.RemoteUnit)
		if err != nil {
			return err
		}
		return tools.RelationSetApp(e.RelationRef(), map[string]string{"database": bag["database"], "password": "s3cret"})
	})

	res, err := router.Dispatch(context.Background(), jctx.Event)
	fmt.Println(jctx.Event.Kind, jctx.Event.Name, "handled:", res.Handled, err)
	fmt.Println("published:", agent.State().Relations[0].LocalAppData["database"])
	for _, s := range spans.Ended() {
		var keys []string
		for _, kv := range s.Attributes() {
			if kv.Key == charmhooks.AttrKeys {
				keys = kv.Value.AsStringSlice()
			}
		}
		fmt.Println("span:", s.Name(), "keys:", keys) // names only, never values
	}
	// Output:
	// relation db-relation-changed handled: true <nil>
	// published: orders
	// span: relation-get keys: [database]
	// span: relation-set keys: [database password]
}

// A call made through Tools.WithContext is a child of the span in the context (here a
// span the charm started itself), not of the handler's span.
func ExampleTools_WithContext() {
	spans := tracetest.NewSpanRecorder()
	tracer := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans)).Tracer("charm")
	agent := fakejuju.NewRunner(&fakejuju.State{Unit: "myapp/0", Leader: true}, nil)
	tools := charmhooks.NewTools(charmhooks.NewTracedRunner(agent, tracer))

	ctx, span := tracer.Start(context.Background(), "configure workload")
	if err := tools.WithContext(ctx).StatusSet(charmhooks.StatusActive, ""); err != nil {
		fmt.Println(err)
	}
	span.End()

	ended := spans.Ended()
	fmt.Println(ended[0].Name(), "is a child of", ended[1].Name()+":", ended[0].Parent().SpanID() == ended[1].SpanContext().SpanID())
	// Output:
	// status-set is a child of configure workload: true
}
