package fakeupstream

import (
	"encoding/json"
	"regexp"
	"strings"
)

// The fake scripts the tool turns of coding agents (Claude Code, Codex) the
// same way in every dialect, so one end-to-end test can drive a real client
// through a whole turn against any upstream:
//
//  1. a user turn that says "read the file PATH", with tools offered, gets a
//     call to the client's own file-reading tool on PATH (Claude Code's
//     Read, Codex's exec_command or shell running cat);
//  2. the next request, whose last message is that call's result, gets a
//     final text quoting the result: ReadResultPrefix + the result.
//
// The fake's read calls have ids containing ReadCallMarker, and only a
// result carrying such an id is quoted: a gateway that loses or rewrites
// tool-call ids gets the plain Reply instead, and the test sees it.

// ReadCallMarker is part of the id of every file-read call the fake makes.
const ReadCallMarker = "fake_read"

// ReadResultPrefix starts the final answer that quotes a file-read result.
const ReadResultPrefix = "The tool returned: "

// readRequest finds "read the file PATH" (or "read file PATH").
var readRequest = regexp.MustCompile(`(?i)\bread (?:the )?file (\S+)`)

// conversation is what the fake reads from a request of any dialect.
type conversation struct {
	tools []string // offered tool names, in order
	// lastUserText is the text of the last message when it is a user turn.
	lastUserText string
	// toolResultID and toolResult are set when the last message is a tool
	// result (tool message, tool_result block, function_call_output).
	toolResultID, toolResult string
	hasToolResult            bool
}

// answer is what the fake replies: text, or one tool call.
type answer struct {
	text           string
	toolName, args string
	readCall       bool // the call is a file read (its id carries ReadCallMarker)
}

func (a answer) isTool() bool { return a.toolName != "" }

// decide scripts the reply to c.
func (c *conversation) decide() answer {
	if c.hasToolResult {
		if strings.Contains(c.toolResultID, ReadCallMarker) {
			return answer{text: ReadResultPrefix + strings.TrimSpace(c.toolResult)}
		}
		return answer{text: Reply}
	}
	if len(c.tools) == 0 {
		return answer{text: Reply}
	}
	if m := readRequest.FindStringSubmatch(c.lastUserText); m != nil {
		path := strings.TrimRight(m[1], ".,;:!?'\"`)")
		if name, args := readCall(c.tools, path); name != "" {
			return answer{toolName: name, args: args, readCall: true}
		}
	}
	if strings.Contains(strings.ToLower(c.lastUserText), "weather") {
		return answer{toolName: c.tools[0], args: ToolArguments}
	}
	return answer{text: Reply}
}

// readCall picks the client's file-reading tool and its arguments for path.
func readCall(tools []string, path string) (string, string) {
	for _, want := range [...]string{"Read", "read_file", "exec_command", "shell_command", "shell"} {
		for _, t := range tools {
			if t != want {
				continue
			}
			var args any
			switch t {
			case "Read":
				args = map[string]string{"file_path": path}
			case "read_file":
				args = map[string]string{"file_path": path, "absolute_path": path}
			case "exec_command":
				args = map[string]string{"cmd": "cat " + path}
			case "shell_command":
				args = map[string]string{"command": "cat " + path}
			case "shell":
				args = map[string]any{"command": []string{"cat", path}}
			}
			b, _ := json.Marshal(args)
			return t, string(b)
		}
	}
	return "", ""
}

// textOf is the text of a content value: a string, or the text of an array
// of parts ({"text": …}, and nested "content" of tool results).
func textOf(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var parts []struct {
		Text    string          `json:"text"`
		Content json.RawMessage `json:"content"`
	}
	if json.Unmarshal(raw, &parts) != nil {
		return ""
	}
	var b strings.Builder
	for _, p := range parts {
		b.WriteString(p.Text)
		if len(p.Content) > 0 {
			b.WriteString(textOf(p.Content))
		}
	}
	return b.String()
}

// pieces splits text into a few stream deltas: ReplyPieces for Reply,
// otherwise about three parts cut at spaces.
func pieces(text string) []string {
	if text == Reply {
		return ReplyPieces
	}
	words := strings.SplitAfter(text, " ")
	if len(words) < 3 {
		return []string{text}
	}
	third := (len(words) + 2) / 3
	var out []string
	for i := 0; i < len(words); i += third {
		out = append(out, strings.Join(words[i:min(i+third, len(words))], ""))
	}
	return out
}
