package buffer

import (
	"bytes"
	"os"
	"testing"
	"time"
)

// Pushes of more than checkpointEvery bytes get their log copied into the main file by
// the background checkpointer, long before the auto-checkpoint threshold; smaller ones
// start no goroutine at all.
func TestBackgroundCheckpointCopiesTheLogBetweenPushes(t *testing.T) {
	b, path := openTemp(t)
	every := checkpointEvery(b.opts.maxBytes)
	if every*4 > walPages(b.opts.maxBytes)*4096 {
		t.Fatalf("checkpointEvery %d is not well below the auto-checkpoint (%d pages)", every, walPages(b.opts.maxBytes))
	}
	chunk := bytes.Repeat([]byte("c"), 32<<10)
	mainSize := func() int64 {
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return st.Size()
	}
	before := mainSize()
	var pushed int64
	for pushed+int64(len(chunk)) < every {
		mustPush(t, b, chunk)
		pushed += int64(len(chunk))
	}
	b.mu.Lock()
	started := b.checkpointer != nil
	b.mu.Unlock()
	if started {
		t.Fatalf("the checkpointer started after %d bytes, below %d", pushed, every)
	}
	if grown := mainSize() - before; grown >= pushed {
		t.Fatalf("the main file grew by %d bytes before any checkpoint: the test cannot tell", grown)
	}
	mustPush(t, b, chunk)
	pushed += int64(len(chunk))
	deadline := time.Now().Add(10 * time.Second)
	for mainSize()-before < pushed {
		if time.Now().After(deadline) {
			t.Fatalf("after %d bytes pushed the main file grew by %d bytes only: the log was not checkpointed", pushed, mainSize()-before)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil { // a second Close is harmless
		t.Fatal(err)
	}
}
