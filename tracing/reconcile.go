package tracing

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/charmtrace/charmtrace/buffer"
	"github.com/charmtrace/charmtrace/charmhooks"
	"github.com/charmtrace/charmtrace/tracing/internal/relation"
)

// settingRelation records which tracing relation the stored destination was read from.
// While that relation stays, ordinary dispatches trust the stored destination and read no
// databag: a change of the remote data arrives as a relation-changed event of its own.
const settingRelation = "tracing.relation"

// reconciler derives the destination from the tracing and CA relations and stores it in
// the buffer. It is the requirer side of tracing v2 and certificate_transfer v1.
type reconciler struct {
	cfg   *config
	tools *charmhooks.Tools
	buf   *buffer.Buffer
	jc    *charmhooks.Context
	warn  func(string)
	// setDest stores a destination (the exporter's SetDestination: validated, and
	// the drainer follows it at once).
	setDest func(context.Context, buffer.Destination) (bool, error)
}

// full reports whether the event may have changed what the relations say, so that the
// databags are read again instead of trusting the stored destination.
func (r *reconciler) full(rel, stored string) bool {
	e := r.jc.Event
	if rel != stored {
		return true
	}
	if e.Relation != "" && (e.Relation == r.cfg.tracingEndpoint || e.Relation == r.cfg.caEndpoint) {
		return true
	}
	switch e.Name {
	case "install", "start", "upgrade-charm", "leader-elected":
		return true
	}
	return false
}

// leaderDuty reports whether this event is one on which the leader (re)writes what the
// requirer publishes in its app databag on endpoint.
func (r *reconciler) leaderDuty(endpoint string) bool {
	e := r.jc.Event
	if e.Relation == endpoint {
		return e.HookKind == charmhooks.RelationCreated || e.HookKind == "relation-joined" || e.HookKind == "relation-changed"
	}
	return e.Name == "leader-elected" || e.Name == "upgrade-charm" || e.Name == "start"
}

// relationIDs lists an endpoint's relations, less the one this very hook is breaking.
func (r *reconciler) relationIDs(endpoint string) ([]string, error) {
	ids, err := r.tools.RelationIDs(endpoint)
	if err != nil {
		return nil, err
	}
	e := r.jc.Event
	if e.Relation == endpoint && e.HookKind == "relation-broken" {
		ids = slices.DeleteFunc(ids, func(id string) bool { return id == e.RelationRef() })
	}
	return ids, nil
}

// run brings the stored destination in line with the relations. Errors are returned for
// the caller to log once; the stored destination is then left as it was.
func (r *reconciler) run(ctx context.Context) error {
	if r.cfg.caEndpoint != "" && r.leaderDuty(r.cfg.caEndpoint) && r.jc.Event.Relation == r.cfg.caEndpoint {
		// certificate_transfer: tell the provider we speak v1 as early as we can.
		if err := r.publish(r.jc.Event.RelationRef(), "version", `1`, func(cur string, ok bool) bool { return !ok || strings.TrimSpace(cur) != "1" }); err != nil {
			return err
		}
	}
	ids, err := r.relationIDs(r.cfg.tracingEndpoint)
	if err != nil {
		return fmt.Errorf("list %s relations: %w", r.cfg.tracingEndpoint, err)
	}
	stored, err := r.buf.Setting(ctx, settingRelation)
	if err != nil {
		return err
	}
	if len(ids) == 0 {
		if stored != "" {
			r.warn(fmt.Sprintf("tracing: the %s relation is gone; spans stay buffered on the unit", r.cfg.tracingEndpoint))
		}
		return r.store(ctx, buffer.Destination{}, "")
	}
	rel := ids[0]
	if len(ids) > 1 {
		r.warn(fmt.Sprintf("tracing: %d %s relations; using %s only", len(ids), r.cfg.tracingEndpoint, rel))
	}
	if !r.full(rel, stored) {
		return nil
	}
	if r.leaderDuty(r.cfg.tracingEndpoint) {
		want, _ := json.Marshal(relation.RequestedReceivers)
		if err := r.publish(rel, "receivers", string(want), relation.NeedsWrite); err != nil {
			return err
		}
	}
	dest, why, err := r.destination(rel)
	if err != nil {
		return err
	}
	if why != "" {
		r.warn("tracing: " + why + "; spans stay buffered on the unit")
	}
	return r.store(ctx, dest, rel)
}

func (r *reconciler) store(ctx context.Context, d buffer.Destination, rel string) error {
	if _, err := r.setDest(ctx, d); err != nil {
		if d.URL == "" {
			return err
		}
		// A destination the exporter refuses (a CA bundle with no certificate in it)
		// must not leave an older one in place: buffer only until the relation is fixed.
		if _, cerr := r.setDest(ctx, buffer.Destination{}); cerr != nil {
			return errors.Join(err, cerr)
		}
		r.warn(fmt.Sprintf("tracing: %v; spans stay buffered on the unit", err))
	}
	cur, err := r.buf.Setting(ctx, settingRelation)
	if err != nil || cur == rel {
		return err
	}
	return r.buf.SetSetting(ctx, settingRelation, rel)
}

// destination reads the provider's receivers and, for https, the CA. A non-empty why
// explains an empty destination.
func (r *reconciler) destination(rel string) (d buffer.Destination, why string, err error) {
	app, err := r.remoteApp(r.cfg.tracingEndpoint, rel)
	if err != nil || app == "" {
		return d, "the tracing provider has not joined yet", nil
	}
	data, err := r.tools.RelationGetApp(rel, app)
	if err != nil {
		if errors.Is(err, charmhooks.ErrRelationNotFound) {
			return d, "the tracing relation is gone", nil
		}
		return d, "", fmt.Errorf("read %s: %w", rel, err)
	}
	url, err := relation.TracesURL(data)
	if err != nil {
		return d, fmt.Sprintf("no usable receiver on %s (%v)", rel, err), nil
	}
	if strings.HasPrefix(url, "http://") {
		return buffer.Destination{URL: url}, "", nil
	}
	if r.cfg.caEndpoint == "" {
		return buffer.Destination{URL: url, CA: r.cfg.fixedCA}, "", nil
	}
	ca, why, err := r.caBundle()
	if err != nil || why != "" {
		return d, why, err
	}
	return buffer.Destination{URL: url, CA: ca}, "", nil
}

func (r *reconciler) caBundle() (ca, why string, err error) {
	ids, err := r.relationIDs(r.cfg.caEndpoint)
	if err != nil {
		return "", "", fmt.Errorf("list %s relations: %w", r.cfg.caEndpoint, err)
	}
	if len(ids) == 0 {
		return "", fmt.Sprintf("the receiver is https and no CA is related on %s yet", r.cfg.caEndpoint), nil
	}
	rel := ids[0]
	app, err := r.remoteApp(r.cfg.caEndpoint, rel)
	if err != nil || app == "" {
		return "", "the CA provider has not joined yet", nil
	}
	appData, err := r.tools.RelationGetApp(rel, app)
	if err != nil {
		return "", "", fmt.Errorf("read %s: %w", rel, err)
	}
	var units []map[string]string
	if raw := appData["certificates"]; raw == "" || raw == "[]" {
		// v0 providers put the CA in their unit databags.
		names, err := r.tools.RelationUnits(rel)
		if err != nil {
			return "", "", fmt.Errorf("list units of %s: %w", rel, err)
		}
		slices.Sort(names)
		for _, u := range names {
			data, err := r.tools.RelationGet(rel, u)
			if err != nil {
				return "", "", fmt.Errorf("read %s of %s: %w", rel, u, err)
			}
			units = append(units, data)
		}
	}
	ca, err = relation.CABundle(appData, units)
	if err != nil {
		return "", fmt.Sprintf("no usable CA on %s (%v)", rel, err), nil
	}
	return ca, "", nil
}

// remoteApp names the application at the other end of rel, from the hook environment
// when the event is about rel (saving a hook-tool call), else with relation-list --app.
func (r *reconciler) remoteApp(endpoint, rel string) (string, error) {
	if e := r.jc.Event; e.Relation == endpoint && e.RelationRef() == rel && e.RemoteApp != "" {
		return e.RemoteApp, nil
	}
	return r.tools.RelationApp(rel)
}

// publish writes key=value into this application's databag of rel when this unit is the
// leader and needsWrite says the current value differs.
func (r *reconciler) publish(rel, key, value string, needsWrite func(string, bool) bool) error {
	leader, err := r.tools.IsLeader()
	if err != nil || !leader {
		return err
	}
	own, err := r.tools.RelationGetApp(rel, r.jc.AppName)
	if err != nil {
		if errors.Is(err, charmhooks.ErrRelationNotFound) {
			return nil
		}
		return fmt.Errorf("read own data on %s: %w", rel, err)
	}
	cur, ok := own[key]
	if !needsWrite(cur, ok) {
		return nil
	}
	if err := r.tools.RelationSetApp(rel, map[string]string{key: value}); err != nil {
		return fmt.Errorf("publish %s on %s: %w", key, rel, err)
	}
	return nil
}
