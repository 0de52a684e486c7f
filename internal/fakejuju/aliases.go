package fakejuju

import "github.com/charmtrace/charmtrace/internal/faketools"

// The fake's state and in-process runner, from the one implementation.
type (
	State    = faketools.State
	Relation = faketools.Relation
	Secret   = faketools.Secret
	Grant    = faketools.Grant
	Status   = faketools.Status
	Port     = faketools.Port
	LogLine  = faketools.LogLine
	Call     = faketools.Call
	Fault    = faketools.Fault
	Result   = faketools.Result
	Runner   = faketools.Runner
)

// Functions of the one implementation.
var (
	Exec       = faketools.Exec
	NewRunner  = faketools.NewRunner
	IsTool     = faketools.IsTool
	ToolNames  = faketools.ToolNames
	ReadState  = faketools.ReadState
	WriteState = faketools.WriteState
)
