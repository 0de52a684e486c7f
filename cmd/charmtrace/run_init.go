package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"gopkg.in/yaml.v3"

	"github.com/charmtrace/charmtrace/internal/e2e"
	"github.com/charmtrace/charmtrace/internal/fakejuju"
)

// runInit lays out a unit of the charm binary in a new work directory, with the
// charmtrace executable itself as every fake hook tool.
func runInit(ctx context.Context, s *streams, args []string) error {
	fs := newFlagSet(s, "run init", runUsage)
	charm := fs.String("charm", "", "the built charm `BINARY` (Juju runs it as ./dispatch)")
	metadata := fs.String("metadata", "charmcraft.yaml", "the charm's metadata `FILE` (charmcraft.yaml or metadata.yaml)")
	unit := fs.String("unit", "", "the unit's `NAME` (default: <charm name>/0)")
	leader := fs.Bool("leader", false, "the unit is its application's leader")
	toolsBin := fs.String("tools", "", "the fake hook tools' `BINARY` (default: this charmtrace executable, which is them too)")
	pos, err := fs.parse(args, -1, "DIR and config key=value pairs")
	if err != nil {
		return err
	}
	if len(pos) == 0 || *charm == "" {
		return usagef("want DIR and --charm BINARY")
	}
	config, err := configValues(pos[1:])
	if err != nil {
		return err
	}
	bin, err := filepath.Abs(*charm)
	if err != nil {
		return err
	}
	if _, err := os.Stat(bin); err != nil {
		return err
	}
	meta, err := os.ReadFile(*metadata)
	if err != nil {
		return err
	}
	if *unit == "" {
		var m struct {
			Name string `yaml:"name"`
		}
		if err := yaml.Unmarshal(meta, &m); err != nil || m.Name == "" {
			return fmt.Errorf("%s names no charm (give --unit)", *metadata)
		}
		*unit = m.Name + "/0"
	}
	tools := *toolsBin
	if tools == "" {
		if tools, err = os.Executable(); err != nil {
			return err
		}
	}
	if tools, err = filepath.Abs(tools); err != nil {
		return err
	}
	if _, err := os.Stat(pos[0]); err == nil {
		return fmt.Errorf("%s exists already: give a new directory", pos[0])
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	u, err := e2e.NewUnit(pos[0], e2e.Binaries{Charm: bin, Metadata: *metadata, FakeJuju: tools},
		&fakejuju.State{Unit: *unit, Leader: *leader, Config: config})
	if err != nil {
		return err
	}
	fmt.Fprintf(s.stdout, "Unit %s of %s in %s (charm directory %s).\n", *unit, filepath.Base(bin), pos[0], u.CharmDir)
	return nil
}

// configValues reads config key=value pairs; a value that is a JSON number or boolean
// is one, as Juju types int, float and boolean options.
func configValues(args []string) (map[string]any, error) {
	kv, err := keyValues(args)
	if err != nil {
		return nil, err
	}
	config := make(map[string]any, len(kv))
	for k, v := range kv {
		var typed any
		switch err := json.Unmarshal([]byte(v), &typed); {
		case err == nil && typed != nil:
			if _, isString := typed.(string); !isString {
				if _, isNumber := typed.(float64); isNumber || typed == true || typed == false {
					config[k] = typed
					continue
				}
			}
		}
		config[k] = v
	}
	return config, nil
}
