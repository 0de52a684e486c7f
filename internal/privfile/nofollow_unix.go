//go:build unix

package privfile

import (
	"errors"
	"syscall"
)

// oNoFollow makes an open fail on a symbolic link instead of following it.
const oNoFollow = syscall.O_NOFOLLOW

// isLinkErr reports the error an O_NOFOLLOW open gives on a link (ELOOP on Linux,
// EMLINK on some BSDs).
func isLinkErr(err error) bool {
	return errors.Is(err, syscall.ELOOP) || errors.Is(err, syscall.EMLINK)
}
