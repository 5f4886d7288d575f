package router

import "strings"

// clientKind recognises well-known clients from their User-Agent, ignoring
// case. An ASCII User-Agent (nearly all are) is matched in place; lowering
// it first would cost an allocation per request.
func clientKind(ua string) string {
	if ua == "" {
		return "unknown"
	}
	hasPrefix, contains := hasPrefixFoldASCII, containsFoldASCII
	if !isASCII(ua) {
		ua = strings.ToLower(ua) // Unicode case rules: the general way
		hasPrefix, contains = strings.HasPrefix, strings.Contains
	}
	switch {
	case hasPrefix(ua, "claude-cli/"):
		return "claude-code"
	case contains(ua, "codex"):
		return "codex"
	case contains(ua, "geminicli") || contains(ua, "gemini-cli"):
		return "gemini-cli"
	case contains(ua, "cursor"):
		return "cursor"
	case contains(ua, "opencode"):
		return "opencode"
	case contains(ua, "qwen-code"):
		return "qwen-code"
	case hasPrefix(ua, "openai/go"):
		return "openai-go-sdk"
	case hasPrefix(ua, "openai/"):
		return "openai-sdk"
	case hasPrefix(ua, "anthropic/"):
		return "anthropic-sdk"
	case contains(ua, "google-genai-sdk") || contains(ua, "genai"):
		return "genai-sdk"
	case hasPrefix(ua, "grpc-go/"):
		return "grpc"
	default:
		return "other"
	}
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// hasPrefixFoldASCII reports whether ASCII s starts with lower, a lower-case
// ASCII prefix, in any case.
func hasPrefixFoldASCII(s, lower string) bool {
	return len(s) >= len(lower) && equalFoldASCII(s[:len(lower)], lower)
}

// containsFoldASCII reports whether ASCII s contains lower, a lower-case
// ASCII string, in any case.
func containsFoldASCII(s, lower string) bool {
	for i := 0; i+len(lower) <= len(s); i++ {
		if equalFoldASCII(s[i:i+len(lower)], lower) {
			return true
		}
	}
	return false
}

// equalFoldASCII reports whether s, lowered, is lower; both have its length.
func equalFoldASCII(s, lower string) bool {
	for i := 0; i < len(lower); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}
