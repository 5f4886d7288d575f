package responses

import (
	"github.com/tollgate/tollgate/services/kit/wire/internal/jsonx"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
)

// toolIndex records the tool shapes the canonical model flattens, so that
// calls coming back from another dialect can be written in the shape the
// client declared.
type toolIndex struct {
	// namespaces maps a function declared inside a "namespace" tool to the
	// namespace's name.
	namespaces map[string]string
	// custom holds the names of custom (free-form input) tools.
	custom map[string]bool
	// clash is a function name declared more than once once namespaces are
	// flattened; calls to it cannot be told apart.
	clash string
}

func (x *toolIndex) namespaceOf(name string) string { return x.namespaces[name] }

func (x *toolIndex) isCustom(name string) bool { return x.custom[name] }

// customParameters is the schema of a custom tool's function form: the
// free-form input travels as one string.
const customParameters = `{"type":"object","properties":{"input":{"type":"string","description":"The raw input for the tool, in the format its description gives."}},"required":["input"],"additionalProperties":false}`

func decodeTools(v []byte) ([]*inferencev1.Tool, toolIndex, error) {
	var out []*inferencev1.Tool
	var idx toolIndex
	_, err := jsonx.ScanArray(v, 0, func(i, start, end int) error {
		var err error
		if out, err = decodeTool(v[start:end], out, &idx); err != nil {
			return jsonx.InIndex(i, err)
		}
		return nil
	})
	if err != nil {
		return nil, toolIndex{}, err
	}
	if len(idx.namespaces) > 0 {
		seen := make(map[string]bool, len(out))
		for _, t := range out {
			if t.GetName() == "" {
				continue
			}
			if seen[t.GetName()] && idx.clash == "" {
				idx.clash = t.GetName()
			}
			seen[t.GetName()] = true
		}
	}
	return out, idx, nil
}

var toolKeys = []string{"type", "name", "description", "parameters", "strict", "tools", "format"}

const (
	tType = iota
	tName
	tDescription
	tParameters
	tStrict
	tTools
	tFormat
)

// decodeTool appends the canonical form of one tool definition to out.
func decodeTool(v []byte, out []*inferencev1.Tool, idx *toolIndex) ([]*inferencev1.Tool, error) {
	var m [7][]byte
	if err := jsonx.ReadObjectMembers(v, toolKeys, m[:]); err != nil {
		return out, err
	}
	if !jsonx.Present(m[tType]) {
		return out, jsonx.InField("type", jsonx.ErrRequired)
	}
	typ, err := jsonx.ReadString(m[tType])
	if err != nil {
		return out, jsonx.InField("type", err)
	}
	switch typ {
	case "function":
		t, err := decodeFunctionTool(&m)
		if err != nil {
			return out, err
		}
		return append(out, t), nil
	case "custom":
		t, err := decodeCustomTool(&m)
		if err != nil {
			return out, err
		}
		if idx.custom == nil {
			idx.custom = make(map[string]bool, 2)
		}
		idx.custom[t.Name] = true
		return append(out, t), nil
	case "namespace":
		return decodeNamespace(&m, out, idx)
	}
	// Hosted tools (web_search, file_search, local_shell, mcp…) travel as the
	// client wrote them.
	return append(out, &inferencev1.Tool{Type: typ, RawJson: jsonx.ValidUTF8(v)}), nil
}

func decodeFunctionTool(m *[7][]byte) (*inferencev1.Tool, error) {
	t := &inferencev1.Tool{Type: "function"}
	var err error
	if t.Name, t.Description, err = readNameDescription(m); err != nil {
		return nil, err
	}
	if jsonx.Present(m[tParameters]) {
		if m[tParameters][0] != '{' {
			return nil, jsonx.InField("parameters", jsonx.ErrNotObject)
		}
		t.ParametersJson = jsonx.ValidUTF8(m[tParameters])
	}
	if jsonx.Present(m[tStrict]) {
		if t.Strict, err = jsonx.ReadBool(m[tStrict]); err != nil {
			return nil, jsonx.InField("strict", err)
		}
	}
	return t, nil
}

func readNameDescription(m *[7][]byte) (name, description string, err error) {
	if !jsonx.Present(m[tName]) {
		return "", "", jsonx.InField("name", jsonx.ErrRequired)
	}
	if name, err = jsonx.ReadString(m[tName]); err != nil {
		return "", "", jsonx.InField("name", err)
	}
	if name == "" {
		return "", "", jsonx.InField("name", jsonx.BadValue("must not be empty"))
	}
	if jsonx.Present(m[tDescription]) {
		if description, err = jsonx.ReadString(m[tDescription]); err != nil {
			return "", "", jsonx.InField("description", err)
		}
	}
	return name, description, nil
}

// decodeCustomTool lists a custom tool as a function taking its input as
// one string. A grammar constraint cannot be enforced elsewhere, so it is
// handed to the model in the description instead.
func decodeCustomTool(m *[7][]byte) (*inferencev1.Tool, error) {
	t := &inferencev1.Tool{Type: "function", ParametersJson: customParameters}
	var err error
	if t.Name, t.Description, err = readNameDescription(m); err != nil {
		return nil, err
	}
	if !jsonx.Present(m[tFormat]) {
		return t, nil
	}
	var f [3][]byte
	if err := jsonx.ReadObjectMembers(m[tFormat], []string{"type", "syntax", "definition"}, f[:]); err != nil {
		return nil, jsonx.InField("format", err)
	}
	var vals [3]string
	for i, name := range []string{"type", "syntax", "definition"} {
		if jsonx.Present(f[i]) {
			if vals[i], err = jsonx.ReadString(f[i]); err != nil {
				return nil, jsonx.InField("format", jsonx.InField(name, err))
			}
		}
	}
	if vals[0] == "grammar" && vals[2] != "" {
		t.Description += "\n\nThe input must follow this " + vals[1] + " grammar:\n" + vals[2]
	}
	return t, nil
}

// decodeNamespace flattens a namespace's function tools into out.
func decodeNamespace(m *[7][]byte, out []*inferencev1.Tool, idx *toolIndex) ([]*inferencev1.Tool, error) {
	ns, _, err := readNameDescription(m)
	if err != nil {
		return out, err
	}
	if !jsonx.Present(m[tTools]) {
		return out, jsonx.InField("tools", jsonx.ErrRequired)
	}
	if idx.namespaces == nil {
		idx.namespaces = make(map[string]string, 8)
	}
	_, err = jsonx.ScanArray(m[tTools], 0, func(i, start, end int) error {
		before := len(out)
		var err error
		if out, err = decodeTool(m[tTools][start:end], out, idx); err != nil {
			return jsonx.InField("tools", jsonx.InIndex(i, err))
		}
		for _, t := range out[before:] {
			if t.GetName() != "" {
				idx.namespaces[t.GetName()] = ns
			}
		}
		return nil
	})
	return out, err
}

// indexTools reads only the tools of a Responses request body, for the
// encoders to restore namespaced and custom calls. Bodies that do not parse
// yield an empty index.
func indexTools(body []byte) toolIndex {
	var tools []byte
	if jsonx.ScanTopLevel(body, func(key, val []byte) {
		if string(key) == "tools" {
			tools = val
		}
	}) != nil || !jsonx.Present(tools) {
		return toolIndex{}
	}
	_, idx, err := decodeTools(tools)
	if err != nil {
		return toolIndex{}
	}
	return idx
}

func (d *decoder) decodeToolChoice(v []byte) (*inferencev1.ToolChoice, error) {
	if v[0] == '"' {
		s, err := jsonx.ReadString(v)
		if err != nil {
			return nil, err
		}
		switch s {
		case "auto":
			return &inferencev1.ToolChoice{Mode: inferencev1.ToolChoiceMode_TOOL_CHOICE_MODE_AUTO}, nil
		case "none":
			return &inferencev1.ToolChoice{Mode: inferencev1.ToolChoiceMode_TOOL_CHOICE_MODE_NONE}, nil
		case "required":
			return &inferencev1.ToolChoice{Mode: inferencev1.ToolChoiceMode_TOOL_CHOICE_MODE_REQUIRED}, nil
		}
		return nil, jsonx.BadValue("must be auto, none, required or an object naming a tool")
	}
	var m [2][]byte
	if err := jsonx.ReadObjectMembers(v, []string{"type", "name"}, m[:]); err != nil {
		if err == jsonx.ErrNotObject {
			return nil, &jsonx.TypeError{Want: "a string or an object"}
		}
		return nil, err
	}
	if !jsonx.Present(m[0]) {
		return nil, jsonx.InField("type", jsonx.ErrRequired)
	}
	typ, err := jsonx.ReadString(m[0])
	if err != nil {
		return nil, jsonx.InField("type", err)
	}
	switch typ {
	case "function", "custom":
		if !jsonx.Present(m[1]) {
			return nil, jsonx.InField("name", jsonx.ErrRequired)
		}
		name, err := jsonx.ReadString(m[1])
		if err != nil {
			return nil, jsonx.InField("name", err)
		}
		return &inferencev1.ToolChoice{Mode: inferencev1.ToolChoiceMode_TOOL_CHOICE_MODE_FUNCTION, FunctionName: name}, nil
	case "allowed_tools":
		d.untranslatable("tool_choice", "a restriction to allowed_tools")
	default:
		d.untranslatable("tool_choice", "forcing the hosted tool "+quote(typ))
	}
	return nil, nil
}
