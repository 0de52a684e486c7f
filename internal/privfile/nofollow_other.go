//go:build !unix

package privfile

// oNoFollow is zero where the system has no O_NOFOLLOW: the Lstat check before opening
// is all there is.
const oNoFollow = 0

func isLinkErr(error) bool { return false }
