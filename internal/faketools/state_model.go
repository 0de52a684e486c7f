package faketools

import "github.com/charmtrace/charmtrace/charmhooks"

// ModelState is what the fake knows besides relations, secrets and statuses: storage,
// resources, the goal state and the cloud credential. State embeds it, so its fields are
// State's own in Go and in the state file.
type ModelState struct {
	// Storage maps storage ids ("data/0") to what storage-get prints.
	Storage map[string]charmhooks.Storage `json:"storage,omitempty"`
	// StorageAdded counts the instances storage-add asked for, by storage name.
	StorageAdded map[string]int `json:"storage_added,omitempty"`
	// Resources maps resource names to the path resource-get prints; a missing name
	// fails as a resource with no file does.
	Resources map[string]string `json:"resources,omitempty"`
	// Goal is what goal-state prints; nil derives it from the unit and its relations.
	Goal *charmhooks.GoalState `json:"goal,omitempty"`
	// Credential is what credential-get prints; nil fails as an untrusted application
	// does.
	Credential *charmhooks.CloudSpec `json:"credential,omitempty"`
}
