package charmhooks

// StateGet returns one value of the unit's Juju-side key-value state
// (state-get); ok is false when the key is not set.
func (t *Tools) StateGet(key string) (value string, ok bool, err error) {
	var v *string
	if err := t.runJSON(&v, "state-get", "--format=json", key); err != nil {
		return "", false, err
	}
	if v == nil {
		return "", false, nil
	}
	return *v, true, nil
}

// StateGetAll returns the whole unit state. Juju 4 prints null for an
// empty state; that is an empty map here.
func (t *Tools) StateGetAll() (map[string]string, error) {
	var m map[string]string
	if err := t.runJSON(&m, "state-get", "--format=json"); err != nil {
		return nil, err
	}
	if m == nil {
		m = map[string]string{}
	}
	return m, nil
}

// StateSet stores keys in the unit state. The data goes to state-set as
// JSON on standard input, never on the command line. Nothing is called
// for empty data.
func (t *Tools) StateSet(data map[string]string) error {
	if len(data) == 0 {
		return nil
	}
	return t.runMapInput(data, "state-set")
}

// StateDelete removes a key from the unit state.
func (t *Tools) StateDelete(key string) error {
	_, err := t.run.Run("state-delete", key)
	return err
}
