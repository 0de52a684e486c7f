package main

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// unitRef is one unit of a model, and where its charm directory is.
type unitRef struct {
	name string // my-app/0
	app  string // my-app
	num  int    // 0
	k8s  bool   // the model is a Kubernetes (CAAS) model: the charm runs in the "charm" container
}

// charmDir is the unit's $JUJU_CHARM_DIR. On a machine it is on the machine; on
// Kubernetes it is the same path inside the unit pod's charm container, where the unit
// agent runs.
func (u unitRef) charmDir() string {
	return fmt.Sprintf("/var/lib/juju/agents/unit-%s-%d/charm", u.app, u.num)
}

// localName is a file name for the unit's copy of a database: my-app-0.tracing-data.db.
func (u unitRef) localName(file string) string {
	return fmt.Sprintf("%s-%d%s", u.app, u.num, file)
}

// Juju's own rules for names (names.IsValidApplication / IsValidUnit), checked before a
// name reaches the juju command line, where one starting with "-" would read as a flag.
var (
	appNameRE  = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]*[a-z][a-z0-9]*)*$`)
	unitNameRE = regexp.MustCompile(`^([a-z][a-z0-9]*(?:-[a-z0-9]*[a-z][a-z0-9]*)*)/(0|[1-9][0-9]*)$`)
)

// statusTimeout bounds juju status, which only asks the controller.
const statusTimeout = 2 * time.Minute

// jujuStatus is the part of "juju status --format json" that charmtrace reads.
type jujuStatus struct {
	Model struct {
		Name string `json:"name"`
		Type string `json:"type"` // "iaas" (machines) or "caas" (Kubernetes)
	} `json:"model"`
	Applications map[string]struct {
		Units map[string]jujuUnitStatus `json:"units"`
	} `json:"applications"`
}

type jujuUnitStatus struct {
	Subordinates map[string]jujuUnitStatus `json:"subordinates"`
}

// resolveUnits turns target, a unit (my-app/0) or an application (my-app), into the units
// to read, in unit-number order, asking "juju status" which exist and what kind of model
// they are in.
func resolveUnits(ctx context.Context, j *jujuCLI, target string) ([]unitRef, error) {
	isUnit := unitNameRE.MatchString(target)
	if !isUnit && !appNameRE.MatchString(target) {
		return nil, usagef("--unit %q is neither a unit (my-app/0) nor an application name (my-app)", target)
	}
	ctx, cancel := context.WithTimeout(ctx, statusTimeout)
	defer cancel()
	out, err := j.run(ctx, nil, "status", "--format", "json", target)
	if err != nil {
		return nil, err
	}
	var st jujuStatus
	if err := json.Unmarshal(out, &st); err != nil {
		return nil, fmt.Errorf("juju status --format json printed something that is not its JSON status: %v", err)
	}
	var k8s bool
	switch st.Model.Type {
	case "iaas", "":
		// Juju before 2.x's model type field, or a machine model.
	case "caas":
		k8s = true
	default:
		return nil, fmt.Errorf("model %s has type %q, neither a machine (iaas) nor a Kubernetes (caas) model", printable(st.Model.Name), printable(st.Model.Type))
	}
	var names []string
	var walk func(map[string]jujuUnitStatus)
	walk = func(units map[string]jujuUnitStatus) {
		for name, u := range units {
			names = append(names, name)
			walk(u.Subordinates)
		}
	}
	for _, a := range st.Applications {
		walk(a.Units)
	}
	var units []unitRef
	for _, name := range names {
		m := unitNameRE.FindStringSubmatch(name)
		if m == nil {
			continue // not a name charmtrace could put on a command line
		}
		n, err := strconv.Atoi(m[2])
		if err != nil {
			continue
		}
		if (isUnit && name == target) || (!isUnit && m[1] == target) {
			units = append(units, unitRef{name: name, app: m[1], num: n, k8s: k8s})
		}
	}
	if len(units) == 0 {
		model := "the current model"
		if j.model != "" {
			model = "model " + j.model
		}
		if isUnit {
			return nil, fmt.Errorf("unit %s not found in %s (juju status does not list it)", target, model)
		}
		return nil, fmt.Errorf("application %s has no units in %s (juju status does not list any)", target, model)
	}
	slices.SortFunc(units, func(a, b unitRef) int {
		if c := strings.Compare(a.app, b.app); c != 0 {
			return c
		}
		return a.num - b.num
	})
	return units, nil
}
