package charmhooks

// Relations are named as hook tools name them: "endpoint:id" (or just
// the id). An empty rel means the relation of the current relation hook.

func relFlag(rel string) []string {
	if rel == "" {
		return nil
	}
	return []string{"-r", rel}
}

// RelationIDs lists the relations of an endpoint ("db:7", ...).
func (t *Tools) RelationIDs(endpoint string) ([]string, error) {
	var ids []string
	err := t.runJSON(&ids, "relation-ids", endpoint, "--format=json")
	return ids, err
}

// RelationUnits lists the remote units in a relation (relation-list).
func (t *Tools) RelationUnits(rel string) ([]string, error) {
	var units []string
	err := t.runJSON(&units, "relation-list", append([]string{"--format=json"}, relFlag(rel)...)...)
	return units, err
}

// RelationApp returns the remote application of a relation
// (relation-list --app).
func (t *Tools) RelationApp(rel string) (string, error) {
	var app string
	err := t.runJSON(&app, "relation-list", append([]string{"--format=json", "--app"}, relFlag(rel)...)...)
	return app, err
}

// RelationGet returns a unit's databag in a relation: a remote unit's, or
// this unit's own (which shows this hook's pending writes). An empty unit
// means the remote unit of the current relation hook.
func (t *Tools) RelationGet(rel, unit string) (map[string]string, error) {
	args := append([]string{"--format=json"}, relFlag(rel)...)
	args = append(args, "-")
	if unit != "" {
		args = append(args, unit)
	}
	return t.relationGet(args)
}

// RelationGetApp returns an application's databag in a relation: the
// remote application's (app empty or its name) or, as leader, this
// application's own.
func (t *Tools) RelationGetApp(rel, app string) (map[string]string, error) {
	args := append([]string{"--format=json"}, relFlag(rel)...)
	args = append(args, "--app", "-")
	if app != "" {
		args = append(args, app)
	}
	return t.relationGet(args)
}

func (t *Tools) relationGet(args []string) (map[string]string, error) {
	var bag map[string]string
	if err := t.runJSON(&bag, "relation-get", args...); err != nil {
		return nil, err
	}
	if bag == nil {
		bag = map[string]string{}
	}
	return bag, nil
}

// RelationSet writes keys into this unit's databag; an empty value
// deletes its key. The data goes to relation-set as JSON on standard
// input, never on the command line. Nothing is called for empty data.
func (t *Tools) RelationSet(rel string, data map[string]string) error {
	if len(data) == 0 {
		return nil
	}
	return t.runMapInput(data, "relation-set", relFlag(rel)...)
}

// RelationSetApp writes keys into this application's databag; only the
// leader may (Juju answers "cannot write relation settings" otherwise).
func (t *Tools) RelationSetApp(rel string, data map[string]string) error {
	if len(data) == 0 {
		return nil
	}
	return t.runMapInput(data, "relation-set", append(relFlag(rel), "--app")...)
}

// RelationModelUUID returns the UUID of the model the relation's remote application is
// in (relation-model-get): another model's for a cross-model relation, this one's
// otherwise.
func (t *Tools) RelationModelUUID(rel string) (string, error) {
	var out struct {
		UUID string `json:"uuid"`
	}
	err := t.runJSON(&out, "relation-model-get", append([]string{"--format=json"}, relFlag(rel)...)...)
	return out.UUID, err
}
