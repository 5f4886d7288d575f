package gemini

import "github.com/tollgate/tollgate/services/kit/wire/internal/jsonx"

import "strings"

// generationMethods are the methods Tollgate serves for every model.
const generationMethods = `["generateContent","streamGenerateContent","countTokens","embedContent","batchEmbedContents"]`

// EncodeModelList writes GET /v1beta/models: one Model per id, named
// "models/<id>" as Google names them, in one page.
func EncodeModelList(ids []string) []byte {
	b := make([]byte, 0, 16+len(ids)*(200+2*len(generationMethods)/3))
	b = append(b, `{"models":[`...)
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendModel(b, id)
	}
	return append(b, `]}`...)
}

// EncodeModel writes GET /v1beta/models/{model}.
func EncodeModel(id string) []byte {
	return appendModel(make([]byte, 0, 256), id)
}

func appendModel(b []byte, id string) []byte {
	id = strings.TrimPrefix(id, "models/")
	b = append(b, `{"name":`...)
	b = jsonx.AppendString(b, "models/"+id)
	b = append(b, `,"baseModelId":`...)
	b = jsonx.AppendString(b, id)
	b = append(b, `,"version":"001","displayName":`...)
	b = jsonx.AppendString(b, id)
	b = append(b, `,"supportedGenerationMethods":`...)
	b = append(b, generationMethods...)
	return append(b, '}')
}
