package charmtest

import (
	"fmt"
	"maps"

	"github.com/charmtrace/charmtrace/internal/faketools"
)

// Defaults of the state a run fills in.
const (
	DefaultModelName   = "test-model"
	DefaultModelUUID   = "5f3c1b2a-9d8e-4f70-8a6b-2c4d6e8f0a1b"
	DefaultJujuVersion = "3.6.4"
)

// withDefaults returns a copy of st with the model, Juju version, relation ids and
// secret ids filled in.
func withDefaults(st State) State {
	if st.Model.Name == "" {
		st.Model.Name = DefaultModelName
	}
	if st.Model.UUID == "" {
		st.Model.UUID = DefaultModelUUID
	}
	if st.JujuVersion == "" {
		st.JujuVersion = DefaultJujuVersion
	}
	st.Relations = append([]Relation(nil), st.Relations...)
	next := 0
	for _, r := range st.Relations {
		next = max(next, r.ID)
	}
	for i := range st.Relations {
		if st.Relations[i].ID == 0 {
			next++
			st.Relations[i].ID = next
		}
	}
	st.Secrets = append([]Secret(nil), st.Secrets...)
	for i := range st.Secrets {
		if st.Secrets[i].ID == "" {
			st.Secrets[i].ID = fmt.Sprintf("secret:c%019d", i+1)
		}
		if st.Secrets[i].Revision == 0 {
			st.Secrets[i].Revision = 1
		}
	}
	return st
}

// toFake builds the fake tools' state; nothing of st is shared with it.
func toFake(unit string, st State) *faketools.State {
	f := &faketools.State{
		Unit: unit, Leader: st.Leader, ModelUUID: st.Model.UUID,
		Config:     maps.Clone(st.Config),
		UnitState:  maps.Clone(st.UnitState),
		UnitStatus: faketools.Status{Status: st.UnitStatus.Name, Message: st.UnitStatus.Message},
		AppStatus:  faketools.Status{Status: st.AppStatus.Name, Message: st.AppStatus.Message},
		AppVersion: st.AppVersion,
		// Secret ids the fake makes must not collide with the ones assigned above.
		NextSecret: len(st.Secrets) + 1000,
	}
	for _, r := range st.Relations {
		fr := &faketools.Relation{ID: r.ID, Endpoint: r.Endpoint, RemoteApp: r.RemoteApp, Peer: r.Peer,
			RemoteModelUUID: r.RemoteModelUUID, LocalAppData: maps.Clone(r.LocalAppData),
			LocalUnitData: maps.Clone(r.LocalUnitData), RemoteAppData: maps.Clone(r.RemoteAppData),
			RemoteUnitsData: map[string]map[string]string{}}
		for u, bag := range r.RemoteUnitsData {
			fr.RemoteUnitsData[u] = maps.Clone(bag)
		}
		f.Relations = append(f.Relations, fr)
	}
	for _, s := range st.Secrets {
		fs := &faketools.Secret{ID: s.ID, Label: s.Label, Description: s.Description, Expire: s.Expire,
			Rotate: s.Rotate, Owner: s.Owner, NotGranted: s.NotGranted, Revision: s.Revision,
			Content: maps.Clone(s.Content), Tracked: s.TrackedRevision, TrackedContent: maps.Clone(s.TrackedContent)}
		for _, g := range s.Grants {
			fs.Grants = append(fs.Grants, faketools.Grant{Relation: g.RelationID, Unit: g.Unit})
		}
		f.Secrets = append(f.Secrets, fs)
	}
	f.Networks = maps.Clone(st.Networks)
	f.Storage = maps.Clone(st.Storage)
	f.StorageAdded = maps.Clone(st.StorageAdded)
	f.Resources = maps.Clone(st.Resources)
	if st.Goal != nil {
		g := *st.Goal
		f.Goal = &g
	}
	if st.Credential != nil {
		c := *st.Credential
		f.Credential = &c
	}
	for _, p := range st.Ports {
		f.Ports = append(f.Ports, faketools.Port{Spec: p.Spec, Endpoints: append([]string(nil), p.Endpoints...)})
	}
	for _, flt := range st.Faults {
		f.Faults = append(f.Faults, &faketools.Fault{Tool: flt.Tool, Stderr: flt.Stderr, ExitCode: flt.ExitCode,
			Delay: flt.Delay, Times: flt.Times})
	}
	return f
}

// fromFake copies what the hook tools changed into out, which holds the input state.
func fromFake(f *faketools.State, out *State) {
	out.Leader = f.Leader
	out.Config = f.Config
	out.UnitState = f.UnitState
	out.UnitStatus = Status{Name: f.UnitStatus.Status, Message: f.UnitStatus.Message}
	out.AppStatus = Status{Name: f.AppStatus.Status, Message: f.AppStatus.Message}
	out.AppVersion = f.AppVersion
	out.Relations = nil
	for _, r := range f.Relations {
		out.Relations = append(out.Relations, Relation{ID: r.ID, Endpoint: r.Endpoint, RemoteApp: r.RemoteApp,
			Peer: r.Peer, RemoteModelUUID: r.RemoteModelUUID, LocalAppData: r.LocalAppData,
			LocalUnitData: r.LocalUnitData, RemoteAppData: r.RemoteAppData, RemoteUnitsData: r.RemoteUnitsData})
	}
	out.Secrets = nil
	for _, s := range f.Secrets {
		os := Secret{ID: s.ID, Owner: s.Owner, NotGranted: s.NotGranted, Label: s.Label, Description: s.Description,
			Expire: s.Expire, Rotate: s.Rotate, Revision: s.Revision, Content: s.Content,
			TrackedRevision: s.Tracked, TrackedContent: s.TrackedContent}
		for _, g := range s.Grants {
			os.Grants = append(os.Grants, Grant{RelationID: g.Relation, Unit: g.Unit})
		}
		out.Secrets = append(out.Secrets, os)
	}
	out.Ports = nil
	for _, p := range f.Ports {
		out.Ports = append(out.Ports, Port{Spec: p.Spec, Endpoints: p.Endpoints})
	}
	out.Storage = f.Storage
	out.StorageAdded = f.StorageAdded
	out.Faults = nil
}
