package bedrock

import "strings"

// RuntimeURL is the bedrock-runtime endpoint of an AWS region.
func RuntimeURL(region string) string {
	if strings.HasPrefix(region, "cn-") {
		return "https://bedrock-runtime." + region + ".amazonaws.com.cn"
	}
	return "https://bedrock-runtime." + region + ".amazonaws.com"
}

// ConverseURL is the Converse (or, with stream, ConverseStream) URL of
// model under base: base/model/{modelId}/converse[-stream]. The model id
// is escaped as one path segment, every byte outside [A-Za-z0-9-_.~]
// (the ':' of versioned ids, the '/' of inference profile ARNs) written
// %XX, as the AWS SDKs send it: the SigV4 signature covers the path as
// sent.
func ConverseURL(base, model string, stream bool) string {
	op := "/converse"
	if stream {
		op = "/converse-stream"
	}
	return strings.TrimRight(base, "/") + "/model/" + escapeSegment(model) + op
}

func escapeSegment(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&0xf])
	}
	return b.String()
}
