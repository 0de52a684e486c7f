package security

import (
	"errors"
	"fmt"
)

// errorType names err's Go type for sys_crash, the Go counterpart of the
// exception class name the Python framework records. The wrapper that
// fmt.Errorf builds around a single %w says nothing about the failure, so it
// is looked through to the error it wraps; any other type, including the
// charm's or a library's own error types, is named as is.
func errorType(err error) string {
	for {
		inner := errors.Unwrap(err)
		if inner == nil || fmt.Sprintf("%T", err) != "*fmt.wrapError" {
			return fmt.Sprintf("%T", err)
		}
		err = inner
	}
}
