package fakeupstream

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// signedPost posts a Converse body signed (SigV4, service bedrock) with
// the given secret for BedrockAccessKeyID.
func signedPost(t *testing.T, url, body, secret string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	sum := sha256.Sum256([]byte(body))
	creds := aws.Credentials{AccessKeyID: BedrockAccessKeyID, SecretAccessKey: secret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "bedrock", "us-west-2", time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// converseReply is the part of a Converse answer these tests read.
type converseReply struct {
	Output struct {
		Message struct {
			Role    string `json:"role"`
			Content []struct {
				Text string `json:"text"`
			} `json:"content"`
		} `json:"message"`
	} `json:"output"`
	StopReason string `json:"stopReason"`
	Usage      struct {
		InputTokens, OutputTokens, TotalTokens int
	} `json:"usage"`
}

const converseHello = `{"messages":[{"role":"user","content":[{"text":"hello"}]}]}`

func TestBedrockConverse(t *testing.T) {
	_, root := start(t)
	resp := signedPost(t, root+"/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse", converseHello, BedrockSecretAccessKey)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("X-Amzn-Requestid") != BedrockRequestID {
		t.Fatalf("status %d", resp.StatusCode)
	}
	out := decode[converseReply](t, resp.Body)
	if out.Output.Message.Content[0].Text != Reply || out.StopReason != "end_turn" || out.Usage.TotalTokens != out.Usage.InputTokens+out.Usage.OutputTokens || out.Usage.OutputTokens == 0 {
		t.Fatalf("%+v", out)
	}
}

// readEventStream decodes an event-stream body with the AWS SDK's
// decoder, which checks the lengths and CRCs.
func readEventStream(t *testing.T, r io.Reader) []eventstream.Message {
	t.Helper()
	dec := eventstream.NewDecoder()
	br := bufio.NewReader(r)
	var out []eventstream.Message
	for {
		m, err := dec.Decode(br, nil)
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("message %d: %v", len(out), err)
		}
		out = append(out, m)
	}
}

func header(m eventstream.Message, name string) string {
	if v := m.Headers.Get(name); v != nil {
		return v.String()
	}
	return ""
}

func TestBedrockConverseStream(t *testing.T) {
	_, root := start(t)
	body := `{"messages":[{"role":"user","content":[{"text":"weather in Paris?"}]}],"toolConfig":{"tools":[{"toolSpec":{"name":"get_weather","inputSchema":{"json":{"type":"object"}}}}]}}`
	resp := signedPost(t, root+"/model/m/converse-stream", body, BedrockSecretAccessKey)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/vnd.amazon.eventstream" {
		t.Fatalf("status %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var events []string
	var input string
	for _, m := range readEventStream(t, resp.Body) {
		if header(m, ":message-type") != "event" || header(m, ":content-type") != "application/json" {
			t.Fatalf("headers %v", m.Headers)
		}
		typ := header(m, ":event-type")
		events = append(events, typ)
		var p struct {
			P     string `json:"p"`
			Delta struct {
				ToolUse struct{ Input string } `json:"toolUse"`
			} `json:"delta"`
		}
		if err := json.Unmarshal(m.Payload, &p); err != nil || p.P == "" {
			t.Fatalf("%s payload %s is not padded JSON", typ, m.Payload)
		}
		input += p.Delta.ToolUse.Input
	}
	if got := strings.Join(events, ","); got != "messageStart,contentBlockStart,contentBlockDelta,contentBlockDelta,contentBlockStop,messageStop,metadata" {
		t.Fatalf("events %s", got)
	}
	if input != ToolArguments {
		t.Fatalf("tool input %q", input)
	}

	broken := readEventStream(t, signedPost(t, root+"/model/"+ModelGeminiStreamBreak+"/converse-stream", converseHello, BedrockSecretAccessKey).Body)
	last := broken[len(broken)-1]
	if header(last, ":message-type") != "exception" || header(last, ":exception-type") != "throttlingException" {
		t.Fatalf("a broken stream ends with an exception: %v", last.Headers)
	}
}

func TestBedrockChecksCredentialsAndRules(t *testing.T) {
	_, root := start(t)
	url := root + "/model/m/converse"
	errorType := func(resp *http.Response) string {
		typ, _, _ := strings.Cut(resp.Header.Get("X-Amzn-Errortype"), ":")
		return typ
	}
	if resp := post(t, url, converseHello); resp.StatusCode != http.StatusForbidden || errorType(resp) != "MissingAuthenticationTokenException" {
		t.Errorf("unsigned: %d %s", resp.StatusCode, errorType(resp))
	}
	if resp := signedPost(t, url, converseHello, "wrong"); resp.StatusCode != http.StatusForbidden || errorType(resp) != "InvalidSignatureException" {
		t.Errorf("wrong secret: %d %s", resp.StatusCode, errorType(resp))
	}
	if resp := post(t, url, converseHello, "Authorization", "Bearer bedrock-api-key"); resp.StatusCode != http.StatusOK {
		t.Errorf("API key: %d", resp.StatusCode)
	}
	for _, body := range []string{
		`{"messages":[{"role":"assistant","content":[{"text":"hi"}]}]}`,
		`{"messages":[{"role":"user","content":[{"text":"a"}]},{"role":"user","content":[{"text":"b"}]}]}`,
		`{"messages":[{"role":"user","content":[{"text":"  "}]}]}`,
		`{"messages":[{"role":"user","content":[]}]}`,
		`{"messages":[{"role":"user","content":[{"text":"a"}]},{"role":"assistant","content":[{"toolUse":{"toolUseId":"t","name":"f","input":{}}}]}]}`,
		`{"messages":[{"role":"user","content":[{"text":"a"}]},{"role":"assistant","content":[{"toolUse":{"toolUseId":"t","name":"f","input":{}}}]},{"role":"user","content":[{"text":"no result"}]}],"toolConfig":{"tools":[{"toolSpec":{"name":"f"}}]}}`,
	} {
		if resp := signedPost(t, url, body, BedrockSecretAccessKey); resp.StatusCode != http.StatusBadRequest || errorType(resp) != "ValidationException" {
			t.Errorf("%s: %d %s", body, resp.StatusCode, errorType(resp))
		}
	}
	if resp := signedPost(t, root+"/model/"+ModelFail429+"/converse", converseHello, BedrockSecretAccessKey); resp.StatusCode != http.StatusTooManyRequests || errorType(resp) != "ThrottlingException" {
		t.Errorf("throttling: %d %s", resp.StatusCode, errorType(resp))
	}
}
