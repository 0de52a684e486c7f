package tracing

import (
	"context"
	"errors"
	"io/fs"
	"os"

	"github.com/charmtrace/charmtrace/state"
)

// lazyState is the router's deferral queue in the unit state database, opened only when
// needed: a charm that never deferred an event has no file, and its dispatches pay
// nothing for it.
type lazyState struct {
	path string
	db   *state.DB
	tx   *state.Dispatch
	err  error
}

func (s *lazyState) open(ctx context.Context, create bool) (*state.Dispatch, error) {
	if s.tx != nil || s.err != nil {
		return s.tx, s.err
	}
	if !create {
		if _, err := os.Stat(s.path); errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
	}
	s.db, s.err = state.Open(s.path)
	if s.err == nil {
		s.tx, s.err = s.db.Begin(ctx)
	}
	return s.tx, s.err
}

func (s *lazyState) AppendDeferred(ctx context.Context, event, handler string, snapshot []byte) error {
	tx, err := s.open(ctx, true)
	if err != nil {
		return err
	}
	return tx.AppendDeferred(ctx, event, handler, snapshot)
}

func (s *lazyState) ForEachDeferred(ctx context.Context, fn func(id int64, event, handler string, snapshot []byte) error) error {
	tx, err := s.open(ctx, false)
	if err != nil || tx == nil {
		return err
	}
	return tx.ForEachDeferred(ctx, fn)
}

func (s *lazyState) DeleteDeferred(ctx context.Context, id int64) error {
	tx, err := s.open(ctx, false)
	if err != nil || tx == nil {
		return err
	}
	return tx.DeleteDeferred(ctx, id)
}

func (s *lazyState) commit() error {
	if s.tx == nil {
		return s.close(nil)
	}
	return s.close(s.tx.Commit())
}

func (s *lazyState) rollback() {
	if s.tx != nil {
		s.tx.Rollback()
	}
	s.close(nil)
}

func (s *lazyState) close(err error) error {
	if s.db != nil {
		err = errors.Join(err, s.db.Close())
	}
	return err
}
