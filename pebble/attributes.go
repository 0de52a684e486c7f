package pebble

import "go.opentelemetry.io/otel/attribute"

// Span attributes of Pebble calls: names, paths and ids, never contents.
const (
	AttrContainer    = attribute.Key("pebble.container")       // the workload container
	AttrSocket       = attribute.Key("pebble.socket_path")     // as ops[tracing] records it
	AttrMethod       = attribute.Key("pebble.method")          // the client method, e.g. Push
	AttrServices     = attribute.Key("pebble.services")        // service names
	AttrChecks       = attribute.Key("pebble.checks")          // check names
	AttrPath         = attribute.Key("pebble.path")            // a file or directory path
	AttrLayer        = attribute.Key("pebble.layer.label")     // an added layer's label
	AttrCombine      = attribute.Key("pebble.layer.combine")   // whether AddLayer combined it with a layer of that label
	AttrSignal       = attribute.Key("pebble.signal")          // a signal's name, e.g. SIGHUP
	AttrChangeStatus = attribute.Key("pebble.change.status")   // the status WaitChange saw, e.g. Done
	AttrChange       = attribute.Key("pebble.change.id")       // the change a call started or waited for
	AttrExecutable   = attribute.Key("pebble.exec.executable") // base name of the command's first word
	AttrExecArgc     = attribute.Key("pebble.exec.argc")       // how many arguments followed it
	AttrExitCode     = attribute.Key("process.exit.code")      // an exec'd command's exit status
	AttrErrorType    = attribute.Key("error.type")             // the Go type of a failure
	AttrStatusCode   = attribute.Key("pebble.status_code")     // a Pebble API error's HTTP status
	AttrErrorKind    = attribute.Key("pebble.error.kind")      // a Pebble API error's kind, e.g. not-found
)
