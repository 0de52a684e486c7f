package spantree

import (
	"encoding/hex"
	"strconv"
	"strings"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
)

// maxValueDepth bounds how deep FormatAttr follows arrays and maps inside a value: a
// crafted file can nest them thousands deep.
const maxValueDepth = 4

// FormatAttr shows one attribute as key=value, cut to width runes (with a "…") and with
// every text from the file made printable.
func FormatAttr(kv *commonpb.KeyValue, width int) string {
	var b strings.Builder
	b.WriteString(Printable(kv.GetKey()))
	b.WriteByte('=')
	writeValue(&b, kv.GetValue(), 0, width)
	return Truncate(b.String(), width)
}

// writeValue writes v in a short, Go-like form. It stops once b holds more than limit
// bytes: the line is cut anyway, and a huge array must not be walked for nothing.
func writeValue(b *strings.Builder, v *commonpb.AnyValue, depth, limit int) {
	if b.Len() > limit {
		return
	}
	switch x := v.GetValue().(type) {
	case *commonpb.AnyValue_StringValue:
		b.WriteString(`"` + Printable(x.StringValue) + `"`)
	case *commonpb.AnyValue_BoolValue:
		b.WriteString(strconv.FormatBool(x.BoolValue))
	case *commonpb.AnyValue_IntValue:
		b.WriteString(strconv.FormatInt(x.IntValue, 10))
	case *commonpb.AnyValue_DoubleValue:
		b.WriteString(strconv.FormatFloat(x.DoubleValue, 'g', -1, 64))
	case *commonpb.AnyValue_BytesValue:
		b.WriteString("0x" + hex.EncodeToString(x.BytesValue[:min(len(x.BytesValue), limit)]))
	case *commonpb.AnyValue_ArrayValue:
		if depth >= maxValueDepth {
			b.WriteString("[…]")
			return
		}
		b.WriteByte('[')
		for i, e := range x.ArrayValue.GetValues() {
			if i > 0 {
				b.WriteString(", ")
			}
			if b.Len() > limit {
				break
			}
			writeValue(b, e, depth+1, limit)
		}
		b.WriteByte(']')
	case *commonpb.AnyValue_KvlistValue:
		if depth >= maxValueDepth {
			b.WriteString("{…}")
			return
		}
		b.WriteByte('{')
		for i, kv := range x.KvlistValue.GetValues() {
			if i > 0 {
				b.WriteString(", ")
			}
			if b.Len() > limit {
				break
			}
			b.WriteString(Printable(kv.GetKey()) + "=")
			writeValue(b, kv.GetValue(), depth+1, limit)
		}
		b.WriteByte('}')
	default:
		b.WriteString("(empty)")
	}
}
