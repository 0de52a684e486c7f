package buffer

import (
	"bytes"
	"context"
	"fmt"
	"testing"
)

func TestMarkFailedRaisesEveryRowOfTheProcessAndLaterPushes(t *testing.T) {
	ctx := context.Background()
	b, path := openTemp(t)
	a := mustPush(t, b, []byte("a")) // default when pushed
	if err := b.MarkObserved(ctx); err != nil {
		t.Fatal(err)
	}
	o := mustPush(t, b, []byte("o")) // observed when pushed
	if err := b.MarkFailed(ctx); err != nil {
		t.Fatal(err)
	}
	f := mustPush(t, b, []byte("f")) // pushed after MarkFailed: failed too
	// Observing after a failure lowers nothing.
	if err := b.MarkObserved(ctx); err != nil {
		t.Fatal(err)
	}
	g := mustPush(t, b, []byte("g"))
	// Another process's rows are not this dispatch's failure.
	other, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	x, _ := other.Push(ctx, []byte("x"), MimeProtobuf)

	var got []string
	for _, r := range collect(t, b) {
		got = append(got, fmt.Sprintf("%d:%d", r.ID, r.Priority))
	}
	want := []string{
		fmt.Sprintf("%d:%d", a, PriorityFailed), fmt.Sprintf("%d:%d", o, PriorityFailed),
		fmt.Sprintf("%d:%d", f, PriorityFailed), fmt.Sprintf("%d:%d", g, PriorityFailed),
		fmt.Sprintf("%d:%d", x, PriorityDefault),
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("rows\n got %v\nwant %v", got, want)
	}
}

func TestFailedRowsAreEvictedLast(t *testing.T) {
	ctx := context.Background()
	const capBytes = 1 << 20
	const chunk = 40 << 10
	b, path := openTemp(t, WithMaxBytes(capBytes))
	// A failed dispatch's five rows, then a flood of observed rows from later dispatches.
	for i := range 5 {
		mustPush(t, b, bytes.Repeat([]byte{byte(i)}, chunk))
	}
	if err := b.MarkFailed(ctx); err != nil {
		t.Fatal(err)
	}
	other, err := Open(path, WithMaxBytes(capBytes))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if err := other.MarkObserved(ctx); err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		if _, err := other.Push(ctx, bytes.Repeat([]byte{byte(100 + i)}, chunk), MimeProtobuf); err != nil {
			t.Fatal(err)
		}
	}
	s, err := b.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rows := map[int]int64{}
	for _, p := range s.Priorities {
		rows[p.Priority] = p.Rows
	}
	if rows[PriorityFailed] != 5 || rows[PriorityObserved] == 0 || s.Drops[DropEvicted] == 0 {
		t.Fatalf("rows by priority %v, drops %v: want the 5 failed rows kept while observed ones are evicted", rows, s.Drops)
	}
	// The failure is also sent first.
	if first := collect(t, b)[0]; first.Priority != PriorityFailed {
		t.Fatalf("first pending row has priority %d", first.Priority)
	}
}
