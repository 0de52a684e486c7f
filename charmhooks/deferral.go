package charmhooks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
)

// ErrDefer is returned by a handler to defer its event: the router queues
// the (event, handler) pair and re-runs it, marked Deferred, at the start
// of the next dispatch, until the handler returns something else. Actions
// cannot be deferred.
var ErrDefer = errors.New("charmhooks: event deferred")

// DeferStore is the queue of deferred events. It uses only builtin types so
// that a store (the unit state database) need not import this package.
// Ids are assigned by the store and increase in queue order.
type DeferStore interface {
	AppendDeferred(ctx context.Context, event, handler string, snapshot []byte) error
	ForEachDeferred(ctx context.Context, fn func(id int64, event, handler string, snapshot []byte) error) error
	DeleteDeferred(ctx context.Context, id int64) error
}

// encodeSnapshot stores an event as JSON. The snapshot holds only what
// Juju put in the environment (names and ids), nothing sensitive.
func encodeSnapshot(e Event) ([]byte, error) {
	b, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("charmhooks: snapshot %s: %w", e.Name, err)
	}
	return b, nil
}

func decodeSnapshot(b []byte) (Event, error) {
	var e Event
	if err := json.Unmarshal(b, &e); err != nil {
		return e, err
	}
	if e.Name == "" || e.Kind == "" {
		return e, errors.New("charmhooks: snapshot has no event name or kind")
	}
	return e, nil
}

// MemoryDeferStore is a DeferStore kept in memory, for tests and for
// charms that do not need deferral to survive the process. The zero value
// is ready to use.
type MemoryDeferStore struct {
	mu     sync.Mutex
	nextID int64
	items  []deferred
}

type deferred struct {
	id             int64
	event, handler string
	snapshot       []byte
}

var _ DeferStore = (*MemoryDeferStore)(nil)

// AppendDeferred adds a pair at the end of the queue.
func (s *MemoryDeferStore) AppendDeferred(_ context.Context, event, handler string, snapshot []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	s.items = append(s.items, deferred{s.nextID, event, handler, append([]byte(nil), snapshot...)})
	return nil
}

// ForEachDeferred calls fn for each queued pair in order and stops at the
// first error.
func (s *MemoryDeferStore) ForEachDeferred(_ context.Context, fn func(id int64, event, handler string, snapshot []byte) error) error {
	s.mu.Lock()
	items := append([]deferred(nil), s.items...)
	s.mu.Unlock()
	for _, it := range items {
		if err := fn(it.id, it.event, it.handler, it.snapshot); err != nil {
			return err
		}
	}
	return nil
}

// DeleteDeferred removes a pair; removing an unknown id is not an error.
func (s *MemoryDeferStore) DeleteDeferred(_ context.Context, id int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, it := range s.items {
		if it.id == id {
			s.items = append(s.items[:i], s.items[i+1:]...)
			break
		}
	}
	return nil
}
