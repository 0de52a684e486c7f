package charmhooks

import (
	"bytes"
)

// GoalState is what goal-state reports: the units of this application and of each
// relation's remote side, with the status Juju is driving them towards.
type GoalState struct {
	Units     map[string]GoalStatus            `json:"units"`
	Relations map[string]map[string]GoalStatus `json:"relations"` // endpoint → unit or app → status
}

// GoalStatus is one unit's (or remote application's) goal status: "active", "waiting",
// "joining", "joined", "dying" or "dead", and since when (RFC 3339, may be empty).
type GoalStatus struct {
	Status string `json:"status"`
	Since  string `json:"since,omitempty"`
}

// GoalState returns the application's goal state (goal-state --format=json).
func (t *Tools) GoalState() (GoalState, error) {
	var g GoalState
	err := t.runJSON(&g, "goal-state", "--format=json")
	return g, err
}

// ResourceGet returns the local path of the charm resource name, downloading it from the
// controller first if needed (resource-get, which has no --format). Juju fails with
// "could not download resource" when the resource has no file yet.
func (t *Tools) ResourceGet(name string) (string, error) {
	out, err := t.run.Run("resource-get", name)
	if err != nil {
		return "", err
	}
	return string(bytes.TrimSpace(out)), nil
}

// CloudSpec is what credential-get reports: the cloud the model runs on and its
// credential. The credential's attributes are secrets: they are returned to the caller
// and never recorded (a span of credential-get records only the top-level field names).
type CloudSpec struct {
	Type              string           `json:"type"`
	Name              string           `json:"name"`
	Region            string           `json:"region,omitempty"`
	Endpoint          string           `json:"endpoint,omitempty"`
	IdentityEndpoint  string           `json:"identity-endpoint,omitempty"`
	StorageEndpoint   string           `json:"storage-endpoint,omitempty"`
	Credential        *CloudCredential `json:"credential,omitempty"`
	CACertificates    []string         `json:"cacertificates,omitempty"`
	SkipTLSVerify     bool             `json:"skip-tls-verify,omitempty"`
	IsControllerCloud bool             `json:"is-controller-cloud,omitempty"`
}

// CloudCredential is the model's cloud credential.
type CloudCredential struct {
	AuthType   string            `json:"auth-type"`
	Attributes map[string]string `json:"attrs,omitempty"`
	Redacted   []string          `json:"redacted,omitempty"`
}

// CredentialGet returns the model's cloud spec and credential (credential-get
// --format=json). Juju gives it only to trusted applications (juju trust); otherwise it
// fails with "cannot access cloud credentials".
func (t *Tools) CredentialGet() (CloudSpec, error) {
	var s CloudSpec
	err := t.runJSON(&s, "credential-get", "--format=json")
	return s, err
}
