package charmtest_test

import (
	"context"
	"fmt"

	"github.com/charmtrace/charmtrace/charmhooks"
	"github.com/charmtrace/charmtrace/charmtest"
	"github.com/charmtrace/charmtrace/tracing"
)

// A charm's setup function, the one its main passes to tracing.Main.
func exampleSetup(c *tracing.Charm) error {
	c.Router.Handle("start", func(ctx context.Context, e charmhooks.Event) error {
		return c.Tools.StatusSet(charmhooks.StatusActive, "ready")
	}, charmhooks.HandlerName("ready"))
	return nil
}

func Example() {
	ctx := charmtest.New(exampleSetup, charmtest.WithMetadata("name: demo\n"))
	out, err := ctx.Run(charmtest.Hook("start"), charmtest.State{Leader: true})
	if err != nil {
		panic(err)
	}
	fmt.Println(out.ExitCode, out.State.UnitStatus.Name, out.State.UnitStatus.Message)
	fmt.Print(out.TimelessTree())
	// Output:
	// 0 active ready
	// trace  3 spans  demo/0
	//   start
	//     start: ready
	//       status-set
}
