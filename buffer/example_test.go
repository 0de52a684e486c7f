package buffer_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/charmtrace/charmtrace/buffer"
)

// A dispatch pushes its batches; a later one, once a destination is known, drains them
// oldest-first and removes what the receiver accepted.
func Example() {
	dir, _ := os.MkdirTemp("", "charm")
	defer os.RemoveAll(dir)
	ctx := context.Background()

	b, err := buffer.Open(filepath.Join(dir, ".tracing-data.db"))
	if err != nil {
		log.Fatal(err) // a real charm degrades to "tracing off" here
	}
	defer b.Close()

	b.Push(ctx, []byte("batch from install"), buffer.MimeProtobuf)
	b.Push(ctx, []byte("batch from start"), buffer.MimeProtobuf)
	b.MarkObserved(ctx) // the start event had a charm handler

	b.SetDestination(ctx, buffer.Destination{URL: "http://127.0.0.1:4318/v1/traces"})

	for row, err := range b.Pending(ctx) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("send %q (priority %d)\n", row.Data, row.Priority)
		b.Remove(ctx, row.ID) // accepted by the receiver
	}
	s, _ := b.Stats(ctx)
	fmt.Println("rows left:", s.Rows)
	// Output:
	// send "batch from install" (priority 50)
	// send "batch from start" (priority 50)
	// rows left: 0
}
