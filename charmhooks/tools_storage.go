package charmhooks

import (
	"fmt"
	"strconv"
)

// Storage is what storage-get reports about a storage instance attached to the unit.
type Storage struct {
	Kind     string `json:"kind"`     // block or filesystem
	Location string `json:"location"` // where it is mounted (filesystem) or its device (block)
}

// StorageGet describes a storage instance ("data/0", as StorageList names them). An
// empty id means the storage of the running storage-attached or storage-detaching hook;
// Juju refuses it elsewhere ("no storage instance specified").
func (t *Tools) StorageGet(id string) (Storage, error) {
	var s Storage
	args := []string{"--format=json"}
	if id != "" {
		args = append(args, "-s", id)
	}
	err := t.runJSON(&s, "storage-get", args...)
	return s, err
}

// StorageList lists the storage instances attached to the unit ("data/0", ...), only
// those of the charm's storage name if name is not empty.
func (t *Tools) StorageList(name string) ([]string, error) {
	var ids []string
	args := []string{"--format=json"}
	if name != "" {
		args = append(args, name)
	}
	err := t.runJSON(&ids, "storage-list", args...)
	return ids, err
}

// StorageAdd asks Juju to add count instances of the charm's storage name to the unit;
// they arrive later, each with a storage-attached hook.
func (t *Tools) StorageAdd(name string, count int) error {
	if count < 1 {
		return fmt.Errorf("charmhooks: storage-add %s: count must be at least 1, not %d", name, count)
	}
	_, err := t.run.Run("storage-add", name+"="+strconv.Itoa(count))
	return err
}
