//go:build unix

package buffer

import (
	"errors"
	"syscall"
)

// processExists reports whether pid names a live process. The buffer lives in one
// unit's charm directory, so its drains run on one machine and share a PID namespace.
// EPERM means the process exists but belongs to someone else.
func processExists(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
