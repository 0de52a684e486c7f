//go:build !unix

package buffer

// processExists cannot tell here: a lease ends only when released or expired.
func processExists(int) bool { return true }
