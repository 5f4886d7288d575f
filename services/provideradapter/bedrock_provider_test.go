package provideradapter

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
	"github.com/tollgate/tollgate/services/kit/errs"
	"github.com/tollgate/tollgate/services/provideradapter/fakeupstream"
)

var bedrockCase = cloudProviders[1]

func TestBedrockSignsWithSigV4(t *testing.T) {
	fake, srv, _ := startCloud(t, bedrockCase, "anthropic.claude-3-5-haiku-20241022-v1:0")
	resp, err := cloudChat(srv, decodeChat(t, `{"model":"chat","max_tokens":100,"messages":[{"role":"system","content":"be brief"},{"role":"user","content":"What's the weather in Paris?"}],`+weatherTools+`}`))
	if err != nil {
		t.Fatal(err) // the fake verifies the signature with the secret it knows
	}
	if resp.GetResponse().GetId() != fakeupstream.BedrockRequestID || resp.GetResponse().GetModel() != "anthropic.claude-3-5-haiku-20241022-v1:0" {
		t.Errorf("id %q model %q", resp.GetResponse().GetId(), resp.GetResponse().GetModel())
	}
	sent := fake.Requests()[0]
	if sent.Path != "/model/anthropic.claude-3-5-haiku-20241022-v1:0/converse" {
		t.Errorf("path %q", sent.Path)
	}
	auth := sent.Header.Get("Authorization")
	if !regexp.MustCompile(`^AWS4-HMAC-SHA256 Credential=`+fakeupstream.BedrockAccessKeyID+`/\d{8}/us-east-1/bedrock/aws4_request, SignedHeaders=\S*content-type;host;x-amz-date\S*, Signature=[0-9a-f]{64}$`).MatchString(auth) ||
		sent.Header.Get("X-Amz-Date") == "" || sent.Header.Get("X-Amz-Security-Token") != "" {
		t.Errorf("signature headers %q, X-Amz-Date %q", auth, sent.Header.Get("X-Amz-Date"))
	}
	var body struct {
		System          []map[string]string `json:"system"`
		InferenceConfig map[string]int      `json:"inferenceConfig"`
		ToolConfig      struct {
			Tools []struct {
				ToolSpec struct{ Name string } `json:"toolSpec"`
			} `json:"tools"`
		} `json:"toolConfig"`
	}
	if err := json.Unmarshal(sent.Body, &body); err != nil || len(body.System) != 1 || body.System[0]["text"] != "be brief" ||
		body.InferenceConfig["maxTokens"] != 100 || len(body.ToolConfig.Tools) != 1 || body.ToolConfig.Tools[0].ToolSpec.Name != "get_weather" {
		t.Errorf("Converse body %s", sent.Body)
	}
}

func TestBedrockSessionTokenIsSigned(t *testing.T) {
	fake, base := startFakeUpstream(t)
	t.Setenv("TOLLGATE_TEST_AWS_SESSION", "session-token-value")
	entity := bedrockCase.entity(t, strings.TrimSuffix(base, "/v1"), "amazon.nova-lite-v1:0") + "\n          session_token: {env: TOLLGATE_TEST_AWS_SESSION}"
	srv, _ := newTestServer(t, cloudConfig(entity))
	if _, err := cloudChat(srv, decodeChat(t, `{"model":"chat","messages":[{"role":"user","content":"hi"}]}`)); err != nil {
		t.Fatal(err)
	}
	h := fake.Requests()[0].Header
	if h.Get("X-Amz-Security-Token") != "session-token-value" || !strings.Contains(h.Get("Authorization"), "x-amz-security-token") {
		t.Errorf("session token not sent or not signed: %v", h)
	}
}

func TestBedrockRejectedSignature(t *testing.T) {
	_, srv, _ := startCloud(t, bedrockCase, "amazon.nova-lite-v1:0")
	t.Setenv("TOLLGATE_TEST_AWS_SECRET", "not-the-secret")
	_, err := cloudChat(srv, decodeChat(t, `{"model":"chat","messages":[{"role":"user","content":"hi"}]}`))
	e := mustKind(t, err, errs.KindUpstream)
	if e.Code != "InvalidSignatureException" || e.UpstreamStatus != 403 || !e.Retryable || strings.Contains(e.Message, "Secret") {
		t.Fatalf("a rejected signature is the gateway's credentials failing: %+v", e)
	}
}

func TestBedrockAPIKey(t *testing.T) {
	fake, base := startFakeUpstream(t)
	entity := fmt.Sprintf("provider: bedrock\n        model: amazon.nova-lite-v1:0\n        base_url: %s\n        api_key: %s\n        bedrock: {region: eu-west-1}",
		strings.TrimSuffix(base, "/v1"), envKey(t))
	srv, _ := newTestServer(t, cloudConfig(entity))
	if _, err := cloudChat(srv, decodeChat(t, `{"model":"chat","messages":[{"role":"user","content":"hi"}]}`)); err != nil {
		t.Fatal(err)
	}
	if h := fake.Requests()[0].Header; h.Get("Authorization") != "Bearer "+testKey || h.Get("X-Amz-Date") != "" {
		t.Errorf("a Bedrock API key is a bearer token, unsigned: %v", h)
	}
}

func TestBedrockMissingCredentials(t *testing.T) {
	_, srv, _ := startCloud(t, bedrockCase, "amazon.nova-lite-v1:0")
	t.Setenv("TOLLGATE_TEST_AWS_SECRET", "")
	_, err := cloudChat(srv, decodeChat(t, `{"model":"chat","messages":[{"role":"user","content":"hi"}]}`))
	if e := mustKind(t, err, errs.KindInternal); e.Code != "provider_credentials_unavailable" || !e.Retryable {
		t.Fatalf("%+v", e)
	}
}

func TestBedrockInferenceProfileARN(t *testing.T) {
	arn := "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-5-haiku-20241022-v1:0"
	fake, srv, _ := startCloud(t, bedrockCase, arn)
	if _, err := cloudChat(srv, decodeChat(t, `{"model":"chat","messages":[{"role":"user","content":"hi"}]}`)); err != nil {
		t.Fatal(err) // signed over the escaped path, as sent
	}
	if p := fake.Requests()[0].Path; p != "/model/"+arn+"/converse" {
		t.Errorf("path %q", p)
	}
}

func TestBedrockUntranslatableIsRefusedBeforeTheCall(t *testing.T) {
	fake, srv, _ := startCloud(t, bedrockCase, "amazon.nova-lite-v1:0")
	_, err := cloudChat(srv, decodeChat(t, `{"model":"chat","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://example.com/cat.png"}}]}]}`))
	if e := mustKind(t, err, errs.KindInvalidArgument); e.Param != "messages[0].content[0]" {
		t.Fatalf("%+v", e)
	}
	if n := len(fake.Requests()); n != 0 {
		t.Fatalf("%d requests reached the provider", n)
	}
}

// eventStreamUpstream answers every request with body, as an event stream.
func eventStreamUpstream(t *testing.T, body []byte) *Server {
	t.Helper()
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/vnd.amazon.eventstream")
		_, _ = w.Write(body)
	}))
	t.Cleanup(hs.Close)
	entity := fmt.Sprintf("provider: bedrock\n        model: m\n        base_url: %s\n        api_key: %s\n        bedrock: {region: us-east-1}", hs.URL, envKey(t))
	srv, _ := newTestServer(t, cloudConfig(entity))
	return srv
}

func eventMessage(t *testing.T, event, payload string) []byte {
	t.Helper()
	var b bytes.Buffer
	var h eventstream.Headers
	h.Set(":message-type", eventstream.StringValue("event"))
	h.Set(":event-type", eventstream.StringValue(event))
	if err := eventstream.NewEncoder().Encode(&b, eventstream.Message{Headers: h, Payload: []byte(payload)}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestBedrockBrokenEventStreams(t *testing.T) {
	start := eventMessage(t, "messageStart", `{"role":"assistant"}`)
	delta := eventMessage(t, "contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":"Hel"}}`)
	corrupt := bytes.Clone(delta)
	corrupt[len(corrupt)-1] ^= 0xff // the message CRC
	huge := binary.BigEndian.AppendUint32(nil, 64<<20)
	huge = append(huge, make([]byte, 12)...)
	req := func() *inferencev1.ChatRequest {
		return decodeChat(t, `{"model":"chat","stream":true,"messages":[{"role":"user","content":"hi"}]}`)
	}
	for name, body := range map[string][]byte{
		"bad checksum":      corrupt,
		"oversized message": huge,
		"no messageStop":    nil,
	} {
		t.Run(name+" before anything was sent", func(t *testing.T) {
			_, err := cloudStream(t, eventStreamUpstream(t, body), req())
			if e := errs.From(err); e == nil || !Retryable(e) {
				t.Fatalf("want a retryable error, got %v", err)
			}
		})
	}
	for name, body := range map[string][]byte{
		"bad checksum":   append(append(bytes.Clone(start), delta...), corrupt...),
		"no messageStop": append(bytes.Clone(start), delta...),
	} {
		t.Run(name+" after the first chunk", func(t *testing.T) {
			chunks, err := cloudStream(t, eventStreamUpstream(t, body), req())
			if err != nil || len(chunks) == 0 {
				t.Fatalf("%v, %d chunks", err, len(chunks))
			}
			if last := chunks[len(chunks)-1]; last.GetError() == nil || !last.GetError().GetRetryable() {
				t.Fatalf("the stream must end with a retryable error chunk: %v", last)
			}
		})
	}
	// An exception before anything was sent is an error a fallback can act on.
	var b bytes.Buffer
	var h eventstream.Headers
	h.Set(":message-type", eventstream.StringValue("exception"))
	h.Set(":exception-type", eventstream.StringValue("throttlingException"))
	if err := eventstream.NewEncoder().Encode(&b, eventstream.Message{Headers: h, Payload: []byte(`{"message":"slow down"}`)}); err != nil {
		t.Fatal(err)
	}
	_, err := cloudStream(t, eventStreamUpstream(t, b.Bytes()), req())
	if e := mustKind(t, err, errs.KindRateLimited); e.Code != "throttlingException" || !strings.Contains(e.Message, "slow down") {
		t.Fatalf("%+v", e)
	}
	b.Reset()
	h = nil
	h.Set(":message-type", eventstream.StringValue("error"))
	h.Set(":error-code", eventstream.StringValue("InternalFailure"))
	h.Set(":error-message", eventstream.StringValue("boom"))
	if err := eventstream.NewEncoder().Encode(&b, eventstream.Message{Headers: h}); err != nil {
		t.Fatal(err)
	}
	failed, err := cloudStream(t, eventStreamUpstream(t, append(bytes.Clone(start), b.Bytes()...)), req())
	if err != nil || len(failed) != 2 {
		t.Fatalf("%v, %d chunks", err, len(failed))
	}
	if e := failed[1].GetError(); e.GetCode() != "InternalFailure" || !strings.Contains(e.GetMessage(), "boom") || !e.GetRetryable() {
		t.Fatalf("an error message ends the stream with its code and message: %v", e)
	}
	// A complete stream ends at its metadata, usage included.
	complete := bytes.Join([][]byte{start, delta, eventMessage(t, "messageStop", `{"stopReason":"max_tokens"}`),
		eventMessage(t, "metadata", `{"usage":{"inputTokens":3,"outputTokens":1,"totalTokens":4}}`)}, nil)
	chunks, err := cloudStream(t, eventStreamUpstream(t, complete), req())
	a := assemble(chunks)
	if err != nil || a.text != "Hel" || a.finish != inferencev1.FinishReason_FINISH_REASON_LENGTH || a.usage.GetTotalTokens() != 4 {
		t.Fatalf("%+v %v", a, err)
	}
}

// A message reported buffered must decode without another read, however
// the bytes were split: that is what lets the relay batch it.
func TestEventMessageBufferedNeedsNoRead(t *testing.T) {
	stream := bytes.Join([][]byte{
		eventMessage(t, "messageStart", `{"role":"assistant"}`),
		eventMessage(t, "contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":"Hel"}}`),
		eventMessage(t, "messageStop", `{"stopReason":"end_turn"}`),
	}, nil)
	for split := range len(stream) + 1 {
		body := &scriptedBody{pieces: []string{string(stream[:split]), string(stream[split:])}}
		frames := bufio.NewReaderSize(body, 16<<10)
		decoder := eventstream.NewDecoder()
		messages := 0
		for {
			buffered := eventMessageBuffered(frames)
			readsBefore := body.reads
			if _, err := decoder.Decode(frames, nil); err != nil {
				break
			}
			messages++
			if buffered && body.reads != readsBefore {
				t.Fatalf("split at %d: message %d was reported buffered but decoding read again", split, messages)
			}
		}
		if messages != 3 {
			t.Fatalf("split at %d: %d messages, want 3", split, messages)
		}
	}
	// Messages that arrived together are reported buffered, up to the last.
	frames := bufio.NewReaderSize(&scriptedBody{pieces: []string{string(stream)}}, 16<<10)
	decoder := eventstream.NewDecoder()
	for i := range 3 {
		if _, err := decoder.Decode(frames, nil); err != nil {
			t.Fatal(err)
		}
		if got, want := eventMessageBuffered(frames), i < 2; got != want {
			t.Fatalf("after message %d: buffered %v, want %v", i+1, got, want)
		}
	}
}
