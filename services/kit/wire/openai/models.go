package openai

import "github.com/tollgate/tollgate/services/kit/wire/internal/jsonx"

import "strconv"

// EncodeModelList writes GET /v1/models: one "model" object per id, all with
// the same created time, owned by "tollgate".
func EncodeModelList(ids []string, created int64) []byte {
	b := make([]byte, 0, 32+len(ids)*80)
	b = append(b, `{"object":"list","data":[`...)
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"id":`...)
		b = jsonx.AppendString(b, id)
		b = append(b, `,"object":"model","created":`...)
		b = strconv.AppendInt(b, created, 10)
		b = append(b, `,"owned_by":"tollgate"}`...)
	}
	return append(b, `]}`...)
}
