package gemini

import (
	"github.com/tollgate/tollgate/services/kit/wire/internal/jsonx"

	"strings"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
)

var generationConfigKeys = []string{
	"temperature", "topP", "topK", "candidateCount", "maxOutputTokens", "stopSequences", "seed",
	"presencePenalty", "frequencyPenalty", "responseMimeType", "responseSchema", "responseJsonSchema",
	"thinkingConfig", "responseModalities", "speechConfig",
}

const (
	gcTemperature = iota
	gcTopP
	gcTopK
	gcCandidateCount
	gcMaxOutputTokens
	gcStopSequences
	gcSeed
	gcPresencePenalty
	gcFrequencyPenalty
	gcResponseMimeType
	gcResponseSchema
	gcResponseJSONSchema
	gcThinkingConfig
	gcResponseModalities
	gcSpeechConfig
	gcCount
)

// decodeGenerationConfig reads sampling, structured output and thinking.
// Logprobs, media resolution and routing hints are left for a Gemini
// provider: they do not change what is asked.
func (d *decoder) decodeGenerationConfig(v []byte, r *inferencev1.ChatRequest) error {
	var m [gcCount][]byte
	if err := readFields(v, generationConfigKeys, m[:]); err != nil {
		return err
	}
	s := &inferencev1.Sampling{}
	used := false
	optFloat := func(i int, dst **float64) error {
		if !jsonx.Present(m[i]) {
			return nil
		}
		x, err := readFloatField(m[i])
		if err != nil {
			return jsonx.InField(generationConfigKeys[i], err)
		}
		*dst, used = &x, true
		return nil
	}
	optInt := func(i int, min int32, dst **int32) error {
		if !jsonx.Present(m[i]) {
			return nil
		}
		x, err := readInt32Field(m[i])
		if err != nil {
			return jsonx.InField(generationConfigKeys[i], err)
		}
		if x < min {
			return jsonx.InField(generationConfigKeys[i], jsonx.BadValue("is too small"))
		}
		*dst, used = &x, true
		return nil
	}
	for _, err := range [...]error{
		optFloat(gcTemperature, &s.Temperature),
		optFloat(gcTopP, &s.TopP),
		optInt(gcTopK, 0, &s.TopK),
		optInt(gcCandidateCount, 1, &s.N),
		optInt(gcMaxOutputTokens, 1, &s.MaxTokens),
		optFloat(gcPresencePenalty, &s.PresencePenalty),
		optFloat(gcFrequencyPenalty, &s.FrequencyPenalty),
	} {
		if err != nil {
			return err
		}
	}
	if jsonx.Present(m[gcSeed]) {
		seed, err := readIntField(m[gcSeed])
		if err != nil {
			return jsonx.InField("seed", err)
		}
		s.Seed, used = &seed, true
	}
	if jsonx.Present(m[gcStopSequences]) {
		stop, err := jsonx.ReadStringArray(m[gcStopSequences])
		if err != nil {
			return jsonx.InField("stopSequences", err)
		}
		s.Stop, used = stop, used || len(stop) > 0
	}
	if used {
		r.Sampling = s
	}
	if err := d.decodeResponseFormat(&m, r); err != nil {
		return err
	}
	if jsonx.Present(m[gcThinkingConfig]) {
		reasoning, err := decodeThinkingConfig(m[gcThinkingConfig])
		if err != nil {
			return jsonx.InField("thinkingConfig", err)
		}
		r.Reasoning = reasoning
	}
	if jsonx.Present(m[gcResponseModalities]) {
		modalities, err := jsonx.ReadStringArray(m[gcResponseModalities])
		if err != nil {
			return jsonx.InField("responseModalities", err)
		}
		for _, mod := range modalities {
			if !strings.EqualFold(mod, "TEXT") {
				d.untranslatable("generationConfig.responseModalities", "output modality "+mod)
			}
		}
	}
	if jsonx.Present(m[gcSpeechConfig]) {
		d.untranslatable("generationConfig.speechConfig", "speech output")
	}
	return nil
}

// decodeResponseFormat reads responseMimeType with responseSchema or
// responseJsonSchema: application/json is JSON mode, with a schema
// structured output.
func (d *decoder) decodeResponseFormat(m *[gcCount][]byte, r *inferencev1.ChatRequest) error {
	mime := ""
	if jsonx.Present(m[gcResponseMimeType]) {
		var err error
		if mime, err = jsonx.ReadString(m[gcResponseMimeType]); err != nil {
			return jsonx.InField("responseMimeType", err)
		}
	}
	schemaField, schemaRaw := "responseJsonSchema", m[gcResponseJSONSchema]
	if !jsonx.Present(schemaRaw) {
		schemaField, schemaRaw = "responseSchema", m[gcResponseSchema]
	}
	schema := ""
	if jsonx.Present(schemaRaw) {
		if schemaRaw[0] != '{' {
			return jsonx.InField(schemaField, jsonx.ErrNotObject)
		}
		var err error
		if schema, err = toJSONSchema(schemaRaw); err != nil {
			return jsonx.InField(schemaField, err)
		}
	}
	switch strings.ToLower(mime) {
	case "", "text/plain":
		if schema != "" {
			// Google requires a JSON MIME type with a schema; keep the
			// schema's meaning rather than drop it.
			r.ResponseFormat = &inferencev1.ResponseFormat{Type: "json_schema", Name: "response", SchemaJson: schema}
		}
	case "application/json":
		if schema == "" {
			r.ResponseFormat = &inferencev1.ResponseFormat{Type: "json_object"}
		} else {
			r.ResponseFormat = &inferencev1.ResponseFormat{Type: "json_schema", Name: "response", SchemaJson: schema}
		}
	default:
		d.untranslatable("generationConfig.responseMimeType", "response MIME type "+mime)
	}
	return nil
}

// decodeThinkingConfig reads thinkingBudget (-1 dynamic, 0 off, else a
// token budget), thinkingLevel (the effort, lower-cased) and
// includeThoughts (whether the answer shows thinking, which for other
// dialects turns thinking on).
func decodeThinkingConfig(v []byte) (*inferencev1.Reasoning, error) {
	var m [3][]byte
	if err := readFields(v, []string{"includeThoughts", "thinkingBudget", "thinkingLevel"}, m[:]); err != nil {
		return nil, err
	}
	out := &inferencev1.Reasoning{}
	include := false
	if jsonx.Present(m[0]) {
		var err error
		if include, err = jsonx.ReadBool(m[0]); err != nil {
			return nil, jsonx.InField("includeThoughts", err)
		}
	}
	out.Enabled = include
	if jsonx.Present(m[1]) {
		budget, err := readInt32Field(m[1])
		if err != nil {
			return nil, jsonx.InField("thinkingBudget", err)
		}
		switch {
		case budget == 0:
			out.Effort, out.Enabled = "none", false
		case budget > 0:
			out.BudgetTokens, out.Enabled = budget, true
		default: // dynamic: the model decides
			out.Enabled = true
		}
	}
	if jsonx.Present(m[2]) {
		level, err := jsonx.ReadString(m[2])
		if err != nil {
			return nil, jsonx.InField("thinkingLevel", err)
		}
		switch level = strings.ToLower(level); level {
		case "minimal", "low", "medium", "high":
			out.Effort, out.Enabled = level, true
		case "thinking_level_unspecified", "":
		default:
			// A level newer than this code: thinking is on, its depth is
			// the provider's default.
			out.Enabled = true
		}
	}
	if !out.Enabled && out.Effort == "" && out.BudgetTokens == 0 {
		return nil, nil
	}
	return out, nil
}
