package faketools

// credentialGet prints the cloud spec of a trusted application; an untrusted one is
// refused.
func credentialGet(c *call) Result {
	if r := c.maxArgs(0); r != nil {
		return *r
	}
	if c.st.Credential == nil {
		return failure("cannot access cloud credentials: permission denied")
	}
	return c.print(c.st.Credential)
}
