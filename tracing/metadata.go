package tracing

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"gopkg.in/yaml.v3"
)

// Interfaces the two relations must declare.
const (
	tracingInterface = "tracing"
	caInterface      = "certificate_transfer"
)

type charmMetadata struct {
	Name     string                  `yaml:"name"`
	Requires map[string]endpointMeta `yaml:"requires"`
	Provides map[string]endpointMeta `yaml:"provides"`
	Peers    map[string]endpointMeta `yaml:"peers"`
}

type endpointMeta struct {
	Interface string `yaml:"interface"`
	Limit     int    `yaml:"limit"`
}

// readMetadata reads the charm's metadata from its directory: metadata.yaml as Juju
// unpacks it, or charmcraft.yaml for an unpacked charm (tests, the demo).
func readMetadata(charmDir string) (*charmMetadata, error) {
	for _, name := range []string{"metadata.yaml", "charmcraft.yaml"} {
		raw, err := os.ReadFile(filepath.Join(charmDir, name))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		var m charmMetadata
		if err := yaml.Unmarshal(raw, &m); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		return &m, nil
	}
	return nil, fmt.Errorf("no metadata.yaml or charmcraft.yaml in %s", charmDir)
}

// CheckMetadata verifies that the charm in charmDir declares the relations the options
// name: the tracing endpoint (default "charm-tracing") as requires/tracing, and the CA
// endpoint (default "receive-ca-cert", unless WithoutCARelation) as
// requires/certificate_transfer. Call it in the charm's unit tests so that a misnamed or
// mis-declared endpoint fails there; at run time the same check turns relation handling
// off with one warning instead of failing the hook.
func CheckMetadata(charmDir string, opts ...Option) error {
	cfg := newConfig(opts)
	m, err := readMetadata(charmDir)
	if err != nil {
		return fmt.Errorf("tracing: %w", err)
	}
	return cfg.checkEndpoints(m)
}

func (c *config) checkEndpoints(m *charmMetadata) error {
	if err := checkEndpoint(m, c.tracingEndpoint, tracingInterface); err != nil {
		return err
	}
	if c.caEndpoint != "" {
		return checkEndpoint(m, c.caEndpoint, caInterface)
	}
	return nil
}

func checkEndpoint(m *charmMetadata, name, iface string) error {
	if ep, ok := m.Requires[name]; ok {
		if ep.Interface != iface {
			return fmt.Errorf("tracing: endpoint %q has interface %q, want %q", name, ep.Interface, iface)
		}
		return nil
	}
	for role, eps := range map[string]map[string]endpointMeta{"provides": m.Provides, "peers": m.Peers} {
		if _, ok := eps[name]; ok {
			return fmt.Errorf("tracing: endpoint %q is declared under %s, want requires", name, role)
		}
	}
	return fmt.Errorf("tracing: the charm's metadata declares no endpoint %q (requires, interface %q)", name, iface)
}
