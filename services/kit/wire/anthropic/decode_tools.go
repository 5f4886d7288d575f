package anthropic

import (
	"github.com/tollgate/tollgate/services/kit/wire/internal/jsonx"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
)

func decodeTools(v []byte) ([]*inferencev1.Tool, error) {
	var out []*inferencev1.Tool
	_, err := jsonx.ScanArray(v, 0, func(i, start, end int) error {
		t, err := decodeTool(v[start:end])
		if err != nil {
			return jsonx.InIndex(i, err)
		}
		out = append(out, t)
		return nil
	})
	return out, err
}

var toolKeys = []string{"type", "name", "description", "input_schema", "strict"}

// decodeTool reads a client tool (no type, or type "custom") as a function
// tool. Anthropic's server and versioned tools (web_search_20250305,
// bash_20250124, text_editor_…, mcp_toolset…) keep their type and travel
// as the client wrote them in RawJson; a provider of another dialect
// rejects them when it builds its request.
func decodeTool(v []byte) (*inferencev1.Tool, error) {
	var m [5][]byte
	if err := jsonx.ReadObjectMembers(v, toolKeys, m[:]); err != nil {
		return nil, err
	}
	typ := "custom"
	if jsonx.Present(m[0]) {
		var err error
		if typ, err = jsonx.ReadString(m[0]); err != nil {
			return nil, jsonx.InField("type", err)
		}
	}
	if typ != "custom" {
		t := &inferencev1.Tool{Type: typ, RawJson: jsonx.ValidUTF8(v)}
		if jsonx.Present(m[1]) {
			name, err := jsonx.ReadString(m[1])
			if err != nil {
				return nil, jsonx.InField("name", err)
			}
			t.Name = name
		}
		return t, nil
	}
	name, err := requiredString(m[1], "name")
	if err != nil {
		return nil, err
	}
	if name == "" {
		return nil, jsonx.InField("name", jsonx.BadValue("must not be empty"))
	}
	t := &inferencev1.Tool{Type: "function", Name: name}
	if jsonx.Present(m[2]) {
		if t.Description, err = jsonx.ReadString(m[2]); err != nil {
			return nil, jsonx.InField("description", err)
		}
	}
	if !jsonx.Present(m[3]) {
		return nil, jsonx.InField("input_schema", jsonx.ErrRequired)
	}
	if t.ParametersJson, err = readObjectJSON(m[3]); err != nil {
		return nil, jsonx.InField("input_schema", err)
	}
	if jsonx.Present(m[4]) {
		if t.Strict, err = jsonx.ReadBool(m[4]); err != nil {
			return nil, jsonx.InField("strict", err)
		}
	}
	return t, nil
}

// decodeToolChoice reads {"type": auto|any|tool|none, "name",
// "disable_parallel_tool_use"}; disabling parallel use sets
// ParallelToolCalls to false.
func decodeToolChoice(v []byte, r *inferencev1.ChatRequest) error {
	var m [3][]byte
	if err := jsonx.ReadObjectMembers(v, []string{"type", "name", "disable_parallel_tool_use"}, m[:]); err != nil {
		return err
	}
	typ, err := requiredString(m[0], "type")
	if err != nil {
		return err
	}
	tc := &inferencev1.ToolChoice{}
	switch typ {
	case "auto":
		tc.Mode = inferencev1.ToolChoiceMode_TOOL_CHOICE_MODE_AUTO
	case "any":
		tc.Mode = inferencev1.ToolChoiceMode_TOOL_CHOICE_MODE_REQUIRED
	case "none":
		tc.Mode = inferencev1.ToolChoiceMode_TOOL_CHOICE_MODE_NONE
	case "tool":
		tc.Mode = inferencev1.ToolChoiceMode_TOOL_CHOICE_MODE_FUNCTION
		if tc.FunctionName, err = requiredString(m[1], "name"); err != nil {
			return err
		}
	default:
		return jsonx.InField("type", jsonx.BadValue("must be auto, any, tool or none"))
	}
	if jsonx.Present(m[2]) {
		disable, err := jsonx.ReadBool(m[2])
		if err != nil {
			return jsonx.InField("disable_parallel_tool_use", err)
		}
		parallel := !disable
		r.ParallelToolCalls = &parallel
	}
	r.ToolChoice = tc
	return nil
}
