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

// What the reconciler remembers in the buffer's settings between dispatches, so that it
// reads only the databag an event can have changed.
const (
	settingRelation = "tracing.relation" // the tracing relation ("charm-tracing:7"), "" for none
	settingProvider = "tracing.provider" // its remote application
	settingURL      = "tracing.url"      // the traces URL it publishes, even while unusable
	settingCA       = "tracing.ca"       // the CA bundle of the certificate_transfer relation
	settingConfig   = "tracing.config"   // the reconciler that wrote the above (see configKey)
	// settingChecked is the delivery failure (deliveryKey's value) the last re-check
	// followed: each failure noted makes one dispatch re-check, not every dispatch.
	settingChecked = "tracing.checked"
)

// reconcileVersion names how the reconciler reads and announces relation data. Bump it
// when that changes: every unit then reads both relations again on its next dispatch
// (after upgrade-charm, typically) instead of trusting what an older version remembered.
const reconcileVersion = 1

// reconciler derives the destination from the tracing and CA relations and stores it. It
// is the requirer side of tracing v2 and certificate_transfer v1.
//
// Juju tells a charm about every change of relation data with an event of that relation,
// so each event reads only what it can have changed: a tracing relation event the
// provider's receivers, a CA relation event the certificates. Other dispatches trust what
// is stored and make no hook-tool call (see onOtherEvent for why that is safe, and for
// when the unit agent is asked again).
type reconciler struct {
	cfg   *config
	tools *charmhooks.Tools
	buf   *buffer.Buffer
	jc    *charmhooks.Context
	warn  func(string)
	// setDest stores a destination (the exporter's SetDestination: validated, and the
	// drainer follows it at once).
	setDest func(context.Context, buffer.Destination) (bool, error)

	noted bool // a warning was given in this dispatch
}

// note gives a warning (at most once per text per dispatch, see dispatch.warn).
func (r *reconciler) note(msg string) {
	r.noted = true
	r.warn(msg)
}

// remembered is the reconciler's state from earlier dispatches.
type remembered struct {
	relation, provider, url, ca string
	config                      string // configKey of the reconciler that read them
	checked                     string // the delivery failure last re-checked (settingChecked)
	// delivery is deliveryKey's value, what the last drains said (delivery.go); the
	// reconciler reads it, reportDelivery writes it.
	delivery string
}

// configKey identifies the reconciler's way of reading and the endpoints it reads: a
// charm upgrade that changes neither keeps what was remembered.
func (r *reconciler) configKey() string {
	return fmt.Sprintf("v%d tracing=%s ca=%s", reconcileVersion, r.cfg.tracingEndpoint, r.cfg.caEndpoint)
}

func (r *reconciler) load(ctx context.Context) (remembered, error) {
	var m remembered
	for _, f := range []struct {
		key string
		dst *string
	}{{settingRelation, &m.relation}, {settingProvider, &m.provider}, {settingURL, &m.url}, {settingCA, &m.ca}, {settingConfig, &m.config},
		{settingChecked, &m.checked}, {deliveryKey, &m.delivery}} {
		v, err := r.buf.Setting(ctx, f.key)
		if err != nil {
			return m, err
		}
		*f.dst = v
	}
	return m, nil
}

func (r *reconciler) save(ctx context.Context, old, m remembered) error {
	for _, f := range []struct{ key, old, new string }{
		{settingRelation, old.relation, m.relation}, {settingProvider, old.provider, m.provider},
		{settingURL, old.url, m.url}, {settingCA, old.ca, m.ca}, {settingConfig, old.config, m.config},
		{settingChecked, old.checked, m.checked},
	} {
		if f.old != f.new {
			if err := r.buf.SetSetting(ctx, f.key, f.new); err != nil {
				return err
			}
		}
	}
	return nil
}

// run brings the stored destination in line with the relations. Errors are returned for
// the caller to log once; the stored destination is then left as it was.
func (r *reconciler) run(ctx context.Context) error {
	old, err := r.load(ctx)
	if err != nil {
		return err
	}
	m := old
	e := r.jc.Event
	switch {
	case e.Relation != "" && e.Relation == r.cfg.tracingEndpoint:
		err = r.onTracingEvent(&m)
	case e.Relation != "" && e.Relation == r.cfg.caEndpoint:
		err = r.onCAEvent(&m)
	default:
		err = r.onOtherEvent(&m)
	}
	if err == nil {
		if err = r.save(ctx, old, m); err == nil {
			err = r.store(ctx, r.compose(m))
		}
	}
	if err != nil && old.config != "" {
		// What is stored may now be behind the relations (a databag that could not be
		// read): forgetting which reconciler wrote it makes the next dispatch read the
		// relations again instead of trusting it. Best effort: if the buffer refuses
		// this write too, the error is still reported.
		r.buf.SetSetting(ctx, settingConfig, "")
	}
	return err
}

// reconcilesFirst reports whether this dispatch follows the relations before the charm
// runs, rather than after it. An event of the tracing or CA relation changes what the
// relations say, and leader-elected what this unit may publish: those are followed first,
// so that the drain while the charm runs already goes where they now point. Any other
// dispatch trusts what is stored (onOtherEvent), which the drain reads by itself; its
// reconciliation, usually no hook-tool call at all, waits until the charm is done, so the
// charm never waits for the buffer to open (store.go).
func (d *dispatch) reconcilesFirst() bool {
	e := d.jc.Event
	if e.Relation != "" && (e.Relation == d.cfg.tracingEndpoint || e.Relation == d.cfg.caEndpoint) {
		return true
	}
	return e.Kind != charmhooks.KindAction && e.Name == "leader-elected"
}

// onTracingEvent follows the tracing relation the event is about.
func (r *reconciler) onTracingEvent(m *remembered) error {
	e := r.jc.Event
	if e.HookKind == "relation-broken" {
		if m.relation != "" {
			r.note(fmt.Sprintf("tracing: the %s relation is gone; spans stay buffered on the unit", r.cfg.tracingEndpoint))
		}
		m.relation, m.provider, m.url = "", "", ""
		return nil
	}
	if m.relation != "" && m.relation != e.RelationRef() {
		// limit: 1 — a second tracing relation is ignored.
		r.note(fmt.Sprintf("tracing: already following %s; ignoring %s", m.relation, e.RelationRef()))
		return nil
	}
	first := m.relation == ""
	m.relation = e.RelationRef()
	if first || e.HookKind == charmhooks.RelationCreated || e.HookKind == "relation-joined" {
		if err := r.requestReceivers(m.relation); err != nil {
			return err
		}
	}
	m.provider = e.RemoteApp
	return r.readReceivers(m)
}

// onCAEvent follows the certificate_transfer relation the event is about.
func (r *reconciler) onCAEvent(m *remembered) error {
	e := r.jc.Event
	switch e.HookKind {
	case "relation-broken":
		m.ca = ""
		return nil
	case charmhooks.RelationCreated:
		// Tell the provider we speak v1 as early as we can; the databag is new, so
		// there is nothing to read first.
		if err := r.publish(e.RelationRef(), "version", "1", nil); err != nil {
			return err
		}
	}
	if m.relation == "" {
		// The CA can come first, or the tracing relation was never seen by this
		// charm version: look for it.
		if err := r.recheck(m, r.takeConfig(m), false); err != nil {
			return err
		}
	}
	ca, why, err := r.readCA(e.RelationRef(), e.RemoteApp)
	if err != nil {
		return err
	}
	if why != "" && strings.HasPrefix(m.url, "https://") {
		r.note("tracing: " + why + "; spans stay buffered on the unit")
	}
	m.ca = ca
	return nil
}

// onOtherEvent trusts the stored view of the relations on a dispatch that is not about
// them, and asks the unit agent again only when something says that view may be stale.
//
// Trusting it is safe because of Juju's hook ordering: a relation appears to a unit
// with relation-created (then -joined and -changed, also when this unit joins a relation
// that already exists), its data changes with -changed, and it goes with -departed and
// -broken before it leaves the model. Each of those is a relation event of the tracing or
// CA endpoint, which this reconciler reads; so between them, the stored relation, URL and
// CA are what the unit agent would say. The view can still fall behind when a relation
// event was handled without it being updated, and then one of these says so:
//   - the reconciler that stored it differs (configKey: a fresh buffer, another
//     charmtrace version or other endpoint names);
//   - the event is upgrade-charm: the charm changed under the stored view;
//   - the last drain to the stored destination failed (deliveryKey), once per failure
//     noted: a receiver that moved while the unit missed the event looks like that;
//   - an earlier reconciliation failed (run forgets configKey then).
//
// A dispatch with tracing off (CHARMTRACE_DISABLE=1, or a buffer that could not be
// opened) updates nothing; the README says how to catch up after it.
func (r *reconciler) onOtherEvent(m *remembered) error {
	renew := r.takeConfig(m)
	failed := r.failedSinceCheck(m)
	if failed {
		m.checked = m.delivery
	}
	if !renew && !failed && !r.isHook("upgrade-charm") {
		if r.isHook("leader-elected") && m.relation != "" {
			// A new leader checks what the application publishes on the relation it
			// knows; the provider's data has not changed.
			return r.requestReceivers(m.relation)
		}
		return nil
	}
	return r.recheck(m, renew, failed)
}

// takeConfig reports whether what is remembered was written by another reconciler (or by
// none: a fresh buffer), and marks it as this one's.
func (r *reconciler) takeConfig(m *remembered) (renew bool) {
	renew = m.config != r.configKey()
	m.config = r.configKey()
	return renew
}

// failedSinceCheck reports whether a drain to the stored destination failed after the
// last re-check. reportDelivery writes a new value when a failure is new and again
// hourly while it lasts, so a failure that persists is re-checked that often.
func (r *reconciler) failedSinceCheck(m *remembered) bool {
	if m.relation == "" || m.delivery == "" || m.delivery == m.checked {
		return false // (no relation: the failure was about one that is gone)
	}
	var st deliveryState
	if err := json.Unmarshal([]byte(m.delivery), &st); err != nil {
		return false // unreadable (an edited file): no evidence of anything
	}
	return st.Failure != ""
}

// isHook reports whether the dispatch is the hook name (and not an action so named).
func (r *reconciler) isHook(name string) bool {
	return r.jc.Event.Kind != charmhooks.KindAction && r.jc.Event.Name == name
}

// recheck asks the unit agent which tracing relation there is, and reads it (and the CA
// relation) again when it is new, or when renew or reread say that what is remembered
// may be behind. renew also announces again what this unit publishes.
func (r *reconciler) recheck(m *remembered, renew, reread bool) error {
	ids, err := r.tools.RelationIDs(r.cfg.tracingEndpoint)
	if err != nil {
		return fmt.Errorf("list %s relations: %w", r.cfg.tracingEndpoint, err)
	}
	if len(ids) == 0 {
		if m.relation != "" {
			r.note(fmt.Sprintf("tracing: the %s relation is gone; spans stay buffered on the unit", r.cfg.tracingEndpoint))
		}
		m.relation, m.provider, m.url = "", "", ""
		return nil
	}
	rel := ids[0]
	if len(ids) > 1 {
		r.note(fmt.Sprintf("tracing: %d %s relations; using %s only", len(ids), r.cfg.tracingEndpoint, rel))
	}
	announce := renew || r.isHook("leader-elected")
	if rel == m.relation && !renew && !reread {
		if announce {
			return r.requestReceivers(rel)
		}
		return nil
	}
	if rel != m.relation {
		m.relation, m.provider = rel, ""
	}
	if announce {
		if err := r.requestReceivers(rel); err != nil {
			return err
		}
	}
	if m.provider == "" {
		if m.provider, err = r.tools.RelationApp(rel); err != nil {
			return fmt.Errorf("read %s: %w", rel, err)
		}
	}
	if err := r.readReceivers(m); err != nil {
		return err
	}
	if r.cfg.caEndpoint == "" || !strings.HasPrefix(m.url, "https://") || r.jc.Event.Relation == r.cfg.caEndpoint {
		return nil // (a CA relation event reads its own relation)
	}
	caIDs, err := r.tools.RelationIDs(r.cfg.caEndpoint)
	if err != nil {
		return fmt.Errorf("list %s relations: %w", r.cfg.caEndpoint, err)
	}
	if len(caIDs) == 0 {
		m.ca = ""
		return nil
	}
	if renew {
		if err := r.publish(caIDs[0], "version", "1", func(cur string, ok bool) bool { return !ok || strings.TrimSpace(cur) != "1" }); err != nil {
			return err
		}
	}
	ca, _, err := r.readCA(caIDs[0], "")
	m.ca = ca
	return err
}

// requestReceivers makes the leader publish receivers=["otlp_http"] when the value
// differs, so that the relation does not flap.
func (r *reconciler) requestReceivers(rel string) error {
	want, _ := json.Marshal(relation.RequestedReceivers)
	return r.publish(rel, "receivers", string(want), relation.NeedsWrite)
}

// readReceivers reads the provider's receivers into m.url ("" when unusable, with one
// warning saying why).
func (r *reconciler) readReceivers(m *remembered) error {
	if m.provider == "" {
		app, err := r.tools.RelationApp(m.relation)
		if err != nil || app == "" {
			m.url = ""
			r.note("tracing: the tracing provider has not joined yet; spans stay buffered on the unit")
			return nil
		}
		m.provider = app
	}
	data, err := r.tools.RelationGetApp(m.relation, m.provider)
	if errors.Is(err, charmhooks.ErrRelationNotFound) {
		m.url = ""
		return nil
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", m.relation, err)
	}
	url, err := relation.TracesURL(data)
	if err != nil {
		m.url = ""
		r.note(fmt.Sprintf("tracing: no usable receiver on %s (%v); spans stay buffered on the unit", m.relation, err))
		return nil
	}
	m.url = url
	return nil
}

// readCA reads the CA bundle of a certificate_transfer relation: v1 app data, or else v0
// unit data. A non-empty why explains an empty bundle.
func (r *reconciler) readCA(rel, app string) (ca, why string, err error) {
	if app == "" {
		if app, err = r.tools.RelationApp(rel); err != nil || app == "" {
			return "", "the CA provider has not joined yet", nil
		}
	}
	appData, err := r.tools.RelationGetApp(rel, app)
	if errors.Is(err, charmhooks.ErrRelationNotFound) {
		return "", "the CA relation is gone", nil
	}
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

// compose turns what the relations say into the destination to use.
func (r *reconciler) compose(m remembered) buffer.Destination {
	switch {
	case m.url == "" || m.relation == "":
		return buffer.Destination{}
	case strings.HasPrefix(m.url, "http://"):
		return buffer.Destination{URL: m.url}
	case r.cfg.caEndpoint == "":
		return buffer.Destination{URL: m.url, CA: r.cfg.fixedCA}
	case m.ca == "":
		if !r.noted { // a more precise reason was given already
			r.note(fmt.Sprintf("tracing: the receiver is https and no CA has arrived on %s yet; spans stay buffered on the unit", r.cfg.caEndpoint))
		}
		return buffer.Destination{}
	}
	return buffer.Destination{URL: m.url, CA: m.ca}
}

func (r *reconciler) store(ctx context.Context, d buffer.Destination) error {
	// Most dispatches derive the destination already stored: then there is nothing to
	// validate (parsing the CA bundle) or hand to the exporter.
	if cur, err := r.buf.Destination(ctx); err == nil && cur == d {
		return nil
	}
	if _, err := r.setDest(ctx, d); err != nil {
		if d.URL == "" {
			return err
		}
		// A destination the exporter refuses (a CA bundle with no certificate in it)
		// must not leave an older one in place: buffer only until the relation is fixed.
		if _, cerr := r.setDest(ctx, buffer.Destination{}); cerr != nil {
			return errors.Join(err, cerr)
		}
		r.note(fmt.Sprintf("tracing: %v; spans stay buffered on the unit", err))
	}
	return nil
}

// publish writes key=value into this application's databag of rel when this unit is the
// leader and needsWrite (given the current value) says so; a nil needsWrite writes
// without reading first.
func (r *reconciler) publish(rel, key, value string, needsWrite func(string, bool) bool) error {
	leader, err := r.tools.IsLeader()
	if err != nil || !leader {
		return err
	}
	if needsWrite != nil {
		own, err := r.tools.RelationGetApp(rel, r.jc.AppName)
		if errors.Is(err, charmhooks.ErrRelationNotFound) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read own data on %s: %w", rel, err)
		}
		if cur, ok := own[key]; !needsWrite(cur, ok) {
			return nil
		}
	}
	if err := r.tools.RelationSetApp(rel, map[string]string{key: value}); err != nil {
		return fmt.Errorf("publish %s on %s: %w", key, rel, err)
	}
	return nil
}
