package gemini

import (
	"github.com/tollgate/tollgate/services/kit/wire/internal/jsonx"

	"strings"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
)

// decodeTools reads tools[]: each entry's functionDeclarations become
// function tools, and each other member (googleSearch, codeExecution,
// urlContext…) a provider-native tool whose Type is the member's snake_case
// name (google_search) and whose RawJson is {"<member>": <value>}, ready to
// send to a Gemini provider as is.
func decodeTools(v []byte) ([]*inferencev1.Tool, error) {
	var out []*inferencev1.Tool
	_, err := jsonx.ScanArray(v, 0, func(i, start, end int) error {
		tool := v[start:end]
		_, err := jsonx.ScanObject(tool, 0, func(m jsonx.Member) error {
			name := camelKey(jsonx.KeyOf(tool, &m))
			val := tool[m.ValStart:m.ValEnd]
			if !jsonx.Present(val) || len(name) == 0 {
				return nil
			}
			if string(name) == "functionDeclarations" {
				fns, err := decodeFunctionDeclarations(val)
				if err != nil {
					return jsonx.InField("functionDeclarations", err)
				}
				out = append(out, fns...)
				return nil
			}
			raw := make([]byte, 0, len(name)+len(val)+5)
			raw = append(raw, '{')
			raw = jsonx.AppendString(raw, jsonx.ValidUTF8(name))
			raw = append(raw, ':')
			raw = append(raw, val...)
			raw = append(raw, '}')
			out = append(out, &inferencev1.Tool{Type: snakeName(jsonx.ValidUTF8(name)), RawJson: jsonx.ValidUTF8(raw)})
			return nil
		})
		if err != nil {
			return jsonx.InIndex(i, err)
		}
		return nil
	})
	return out, err
}

func decodeFunctionDeclarations(v []byte) ([]*inferencev1.Tool, error) {
	var out []*inferencev1.Tool
	_, err := jsonx.ScanArray(v, 0, func(i, start, end int) error {
		t, err := decodeFunctionDeclaration(v[start:end])
		if err != nil {
			return jsonx.InIndex(i, err)
		}
		out = append(out, t)
		return nil
	})
	return out, err
}

func decodeFunctionDeclaration(v []byte) (*inferencev1.Tool, error) {
	var m [4][]byte
	if err := readFields(v, []string{"name", "description", "parameters", "parametersJsonSchema"}, m[:]); err != nil {
		return nil, err
	}
	t := &inferencev1.Tool{Type: "function"}
	var err error
	if !jsonx.Present(m[0]) {
		return nil, jsonx.InField("name", jsonx.ErrRequired)
	}
	if t.Name, err = jsonx.ReadString(m[0]); err != nil {
		return nil, jsonx.InField("name", err)
	}
	if t.Name == "" {
		return nil, jsonx.InField("name", jsonx.BadValue("must not be empty"))
	}
	if jsonx.Present(m[1]) {
		if t.Description, err = jsonx.ReadString(m[1]); err != nil {
			return nil, jsonx.InField("description", err)
		}
	}
	for k, field := range [...]string{"parameters", "parametersJsonSchema"} {
		raw := m[2+k]
		if !jsonx.Present(raw) {
			continue
		}
		if raw[0] != '{' {
			return nil, jsonx.InField(field, jsonx.ErrNotObject)
		}
		schema, err := toJSONSchema(raw)
		if err != nil {
			return nil, jsonx.InField(field, err)
		}
		t.ParametersJson = schema
	}
	return t, nil
}

// decodeToolConfig reads toolConfig.functionCallingConfig. Mode ANY is
// "required", or "function" when exactly one function is allowed; a list
// of allowed functions otherwise narrows the function tools to it, which
// is what it means to the model. VALIDATED (calls checked against the
// schema) is "auto".
func decodeToolConfig(v []byte, r *inferencev1.ChatRequest) error {
	var cfg [1][]byte
	if err := readFields(v, []string{"functionCallingConfig"}, cfg[:]); err != nil {
		return err
	}
	if !jsonx.Present(cfg[0]) {
		return nil
	}
	var m [2][]byte
	if err := readFields(cfg[0], []string{"mode", "allowedFunctionNames"}, m[:]); err != nil {
		return jsonx.InField("functionCallingConfig", err)
	}
	var allowed []string
	if jsonx.Present(m[1]) {
		var err error
		if allowed, err = jsonx.ReadStringArray(m[1]); err != nil {
			return jsonx.InField("functionCallingConfig", jsonx.InField("allowedFunctionNames", err))
		}
	}
	if !jsonx.Present(m[0]) {
		return nil
	}
	mode, err := readMode(m[0])
	if err != nil {
		return jsonx.InField("functionCallingConfig", jsonx.InField("mode", err))
	}
	tc := &inferencev1.ToolChoice{}
	switch mode {
	case "MODE_UNSPECIFIED":
		return nil
	case "AUTO", "VALIDATED":
		tc.Mode = inferencev1.ToolChoiceMode_TOOL_CHOICE_MODE_AUTO
	case "NONE":
		r.ToolChoice = &inferencev1.ToolChoice{Mode: inferencev1.ToolChoiceMode_TOOL_CHOICE_MODE_NONE}
		return nil
	case "ANY":
		tc.Mode = inferencev1.ToolChoiceMode_TOOL_CHOICE_MODE_REQUIRED
		if len(allowed) == 1 {
			tc.Mode, tc.FunctionName = inferencev1.ToolChoiceMode_TOOL_CHOICE_MODE_FUNCTION, allowed[0]
		}
	default:
		return jsonx.InField("functionCallingConfig", jsonx.InField("mode", jsonx.BadValue("must be AUTO, ANY, NONE or VALIDATED")))
	}
	r.ToolChoice = tc
	if len(allowed) > 0 && tc.FunctionName == "" {
		r.Tools = onlyFunctions(r.Tools, allowed)
	}
	return nil
}

// readMode reads a mode by name (any case) or by enum number.
func readMode(v []byte) (string, error) {
	if jsonx.IsNumber(v) {
		n, err := jsonx.ReadInt32(v)
		if err != nil {
			return "", err
		}
		names := [...]string{"MODE_UNSPECIFIED", "AUTO", "ANY", "NONE", "VALIDATED"}
		if n < 0 || int(n) >= len(names) {
			return "", jsonx.BadValue("is not a known mode")
		}
		return names[n], nil
	}
	s, err := jsonx.ReadString(v)
	return strings.ToUpper(s), err
}

// onlyFunctions keeps the function tools named in allowed, and every
// provider-native tool.
func onlyFunctions(tools []*inferencev1.Tool, allowed []string) []*inferencev1.Tool {
	out := tools[:0]
	for _, t := range tools {
		if t.GetType() != "function" {
			out = append(out, t)
			continue
		}
		for _, name := range allowed {
			if t.GetName() == name {
				out = append(out, t)
				break
			}
		}
	}
	return out
}
