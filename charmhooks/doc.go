// Package charmhooks is the runtime a Go charm runs on: it reads the Juju
// hook environment into a Context, routes the event to the charm's
// handlers (deferring and re-running events on request), and wraps the
// hook tools (relation-get, secret-add, status-set, ...) with typed
// methods.
//
// It is built so that every dispatch, handler call and hook-tool call can
// become a span without this package depending on an OpenTelemetry SDK:
//
//   - Router.Use installs middleware around each handler call, and
//     Dispatch reports whether the Juju event itself had a handler.
//   - Runner is the seam for hook tools. Its method set is goops'
//     CommandRunner, so the same runners work under goops.
//   - NewTracedRunner decorates any Runner with one span per tool call,
//     recording names (tool, flags, relation id, the data keys written, and
//     the keys a reading tool such as relation-get printed) and never
//     values or output. Its parent comes from a context provider such as
//     Router.Current, because goops-style calls carry no context;
//     Tools.WithContext(ctx) makes a view whose calls are children of the
//     span in ctx instead.
//
// Hook-tool failures are *ToolError values; errors.Is classifies them as
// ErrRelationNotFound, ErrSecretNotFound or ErrUnauthorized with the
// rules of the Python framework. NewLogHandler adapts log/slog to
// juju-log.
//
// Secret content travels to Juju only in private temporary files, and
// relation and state data on standard input; action-set results are the
// one kind of data Juju accepts only as arguments.
package charmhooks
