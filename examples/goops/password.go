package charm

import (
	"crypto/rand"
	"encoding/base64"
)

// newPassword returns 24 random bytes, base64url-encoded.
func newPassword() string {
	b := make([]byte, 24)
	rand.Read(b) // never fails (crypto/rand documents it)
	return base64.RawURLEncoding.EncodeToString(b)
}
