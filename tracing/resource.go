package tracing

import (
	"strconv"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/resource"

	"github.com/charmtrace/charmtrace/charmhooks"
)

// newResource describes the unit with the attributes ops[tracing] sets, so that dashboards
// and queries written for Python charms work for Go charms too. It is schemaless: merging
// with the SDK's default resource then never conflicts over schema URLs.
func newResource(jc *charmhooks.Context, charmName, charmType, version string) (*resource.Resource, error) {
	attrs := []attribute.KeyValue{
		attribute.String("service.name", jc.AppName),
		attribute.String("service.namespace", jc.ModelUUID),
		attribute.String("service.namespace.name", jc.ModelName),
		attribute.String("service.instance.id", strconv.Itoa(jc.UnitNumber)),
		attribute.String("charm", charmName),
		attribute.String("charm_type", charmType),
		attribute.String("juju_model", jc.ModelName),
		attribute.String("juju_model_uuid", jc.ModelUUID),
		attribute.String("juju_application", jc.AppName),
		attribute.String("juju_unit", jc.UnitName),
	}
	if version != "" {
		attrs = append(attrs, attribute.String("service.version", version))
	}
	return resource.Merge(resource.Default(), resource.NewSchemaless(attrs...))
}
