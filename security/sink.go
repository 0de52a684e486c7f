package security

import "context"

// jujuLogLevel is the Juju log level of every security event. The framework
// uses TRACE so the events never clutter a default-level debug-log.
const jujuLogLevel = "TRACE"

// Sink writes one message to the unit log at a Juju log level (always
// "TRACE" for security events). It must not itself emit security events
// through the same Logger; the Logger guards against it anyway.
type Sink func(ctx context.Context, level, message string) error

// Runner runs a hook tool. Its method set is goops' command runner, so the
// charm runtime's runner (traced or not) fits as is.
type Runner interface {
	Run(name string, args ...string) ([]byte, error)
}

// JujuLog returns a Sink that runs
//
//	juju-log --log-level <level> -- <message>
//
// through r. The "--" keeps a message that starts with "-" from being read
// as a flag.
func JujuLog(r Runner) Sink {
	return func(_ context.Context, level, message string) error {
		_, err := r.Run("juju-log", "--log-level", level, "--", message)
		return err
	}
}
