package anthropic

import "github.com/tollgate/tollgate/services/kit/wire/internal/jsonx"

import "time"

// EncodeModelList writes GET /v1/models in Anthropic's shape: one "model"
// object per id (display_name is the id), all created at created (Unix
// seconds), in one page.
func EncodeModelList(ids []string, created int64) []byte {
	at := time.Unix(created, 0).UTC().Format(time.RFC3339)
	b := make([]byte, 0, 64+len(ids)*(96+len(at)))
	b = append(b, `{"data":[`...)
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"type":"model","id":`...)
		b = jsonx.AppendString(b, id)
		b = append(b, `,"display_name":`...)
		b = jsonx.AppendString(b, id)
		b = append(b, `,"created_at":`...)
		b = jsonx.AppendString(b, at)
		b = append(b, '}')
	}
	b = append(b, `],"has_more":false,"first_id":`...)
	if len(ids) > 0 {
		b = jsonx.AppendString(b, ids[0])
		b = append(b, `,"last_id":`...)
		b = jsonx.AppendString(b, ids[len(ids)-1])
	} else {
		b = append(b, `null,"last_id":null`...)
	}
	return append(b, '}')
}
