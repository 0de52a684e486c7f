package charm

import (
	"fmt"

	"github.com/gruyaume/goops"
)

// Config is the charm's configuration.
type Config struct {
	Port int `json:"port"`
}

// Configure is the charm: one idempotent reconciliation for every hook, as
// goops charms are written. The leader keeps an admin password in a
// secret and publishes it to every db relation (the example of sensitive
// relation data); every unit reports its status.
func Configure() error {
	leader, err := goops.IsLeader()
	if err != nil {
		return fmt.Errorf("check leadership: %w", err)
	}
	var cfg Config
	if err := goops.GetConfig(&cfg); err != nil {
		return fmt.Errorf("read config: %w", err)
	}
	if cfg.Port == 0 {
		return goops.SetUnitStatus(goops.StatusBlocked, "config option port is not set")
	}
	if leader {
		if err := publishPassword(); err != nil {
			return err
		}
	}
	goops.LogInfof("serving on port %d", cfg.Port)
	return goops.SetUnitStatus(goops.StatusActive, fmt.Sprintf("serving on :%d", cfg.Port))
}

const passwordLabel = "admin-password"

func publishPassword() error {
	content, err := goops.GetSecretByLabel(passwordLabel, false, true)
	if err != nil {
		// goops reports a missing secret as an error: create it.
		content = map[string]string{"password": newPassword()}
		if _, err := goops.AddSecret(&goops.AddSecretOptions{Content: content, Label: passwordLabel}); err != nil {
			return fmt.Errorf("add secret: %w", err)
		}
	}
	ids, err := goops.GetRelationIDs("db")
	if err != nil {
		return fmt.Errorf("list db relations: %w", err)
	}
	for _, id := range ids {
		if err := goops.SetAppRelationData(id, map[string]string{"password": content["password"]}); err != nil {
			return fmt.Errorf("publish to %s: %w", id, err)
		}
	}
	return nil
}
