package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tollgate/tollgate/e2e/harness"
)

// geminiPath is Gemini CLI, pinned in e2e/node.
var geminiPath = filepath.Join(nodeDir, "node_modules", ".bin", "gemini")

// fakeReply is the fake upstream's plain answer (fakeupstream.Reply).
const fakeReply = "Hello from the fake upstream."

// TestGeminiClients runs Gemini CLI and the official @google/genai SDK,
// unchanged, against each topology: the CLI through a whole tool-using
// turn on a Gemini upstream (passthrough) and on an OpenAI-compatible one
// (translation), the SDK's generateContent, generateContentStream, a
// function-call round trip, countTokens and embedContent on both, and the
// wire itself (?key=, JSON-array streams, passthrough bytes, errors).
//
// Like TestCodingAgents it re-runs itself inside a private network
// namespace with only loopback when it can, so the clients cannot reach
// outside hosts.
func TestGeminiClients(t *testing.T) {
	if os.Getenv(inNetnsEnv) == "" {
		if cmd := geminiNetnsCommand(); cmd != nil {
			runInNetns(t, cmd)
			return
		}
		t.Log("no private network namespace (needs root, unshare and ip): the clients run in this one, with telemetry and update checks off")
	}
	for _, topo := range harness.Topologies {
		t.Run(string(topo), func(t *testing.T) {
			s := startGeminiSuite(t, topo)
			t.Run("Wire", s.testGeminiWire)
			t.Run("GeminiCLIToGemini", s.testGeminiCLIToGemini)
			t.Run("GeminiCLIToChat", s.testGeminiCLIToChat)
			t.Run("GenAISDK", s.testGenAISDK)
		})
	}
}

// geminiNetnsCommand is TestGeminiClients re-run inside `unshare -n` with
// loopback up, or nil when that is not possible here.
func geminiNetnsCommand() *exec.Cmd {
	if os.Geteuid() != 0 {
		return nil
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		return nil
	}
	ip, err := exec.LookPath("ip")
	if err != nil {
		return nil
	}
	if exec.Command(unshare, "-n", ip, "link", "set", "lo", "up").Run() != nil {
		return nil // namespaces are not permitted in this sandbox
	}
	cmd := exec.Command(unshare, "-n", "--", "sh", "-c", `"$0" link set lo up && exec "$@"`, ip,
		os.Args[0], "-test.run=^TestGeminiClients$", "-test.v", "-test.count=1", "-test.timeout=10m")
	cmd.Env = append(os.Environ(), inNetnsEnv+"=1", harness.BinEnv+"="+binDir)
	return cmd
}

// startGeminiSuite is startSuite over harness.GeminiConfig.
func startGeminiSuite(t *testing.T, topo harness.Topology) *suite {
	t.Helper()
	stack, err := harness.StartStack(harness.StackOptions{Bin: binDir, Dir: t.TempDir(), Topology: topo,
		Config: func(u string) string { return harness.GeminiConfig(harness.GeminiOptions{UpstreamURL: u}) }})
	if err != nil {
		t.Fatalf("start %s: %v", topo, err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("process logs (%s):\n%s", topo, stack.LogTails(60))
		}
	})
	t.Cleanup(func() {
		if err := stack.Stop(); err != nil {
			t.Errorf("graceful shutdown of %s: %v", topo, err)
		}
	})
	return &suite{topo: topo, stack: stack, http: &http.Client{Timeout: 60 * time.Second}}
}

// geminiPost posts body to path with the key as x-goog-api-key ("" for none).
func (s *suite) geminiPost(t *testing.T, path, key, body string) rawResponse {
	t.Helper()
	h := http.Header{}
	if key != "" {
		h.Set("X-Goog-Api-Key", key)
	}
	return s.do(t, http.MethodPost, path, "", strings.NewReader(body), h)
}

// upstreamAnswer sends a recorded upstream request straight to the fake
// upstream, with query, and returns its answer: what the gateway had to
// pass on.
func (s *suite) upstreamAnswer(t *testing.T, r harness.RecordedRequest, query string) []byte {
	t.Helper()
	req, err := http.NewRequestWithContext(testCtx(t), r.Method, s.stack.Upstream.URL+r.Path+query, strings.NewReader(r.Body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = http.Header(r.Headers).Clone()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	if _, err := b.ReadFrom(resp.Body); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// testGeminiWire checks the Gemini routes through the real binaries: a
// Gemini upstream gets the client's body unchanged and the client gets the
// upstream's bytes unchanged, unary and streamed; ?key= authenticates;
// without alt=sse a stream is one JSON array; errors are Google's.
func (s *suite) testGeminiWire(t *testing.T) {
	s.upstreamRequests(t)
	body := `{"contents":[{"role":"user","parts":[{"text":"hi"}]}],"generationConfig":{"temperature":0.5}}`

	r := s.geminiPost(t, "/v1beta/models/"+harness.EndpointGeminiNative+":generateContent?key="+harness.AliceToken, "", body)
	if r.Status != 200 {
		t.Fatalf("generateContent with ?key=: %d %s", r.Status, r.Body)
	}
	up := s.upstreamRequests(t)
	if len(up) != 1 || up[0].Body != body || up[0].Path != "/v1beta/models/"+harness.GeminiUpstreamModel+":generateContent" ||
		up[0].Header("X-Goog-Api-Key") != harness.UpstreamKey || strings.Contains(up[0].Path+up[0].Header("Authorization"), harness.AliceToken) {
		t.Fatalf("upstream got %+v", up)
	}
	if want := s.upstreamAnswer(t, up[0], ""); !bytes.Equal(r.Body, want) {
		t.Fatalf("the client got\n%s\nthe upstream answered\n%s", r.Body, want)
	}
	s.upstreamRequests(t) // forget the replay

	r = s.geminiPost(t, "/gemini/v1beta/models/"+harness.EndpointGeminiNative+":streamGenerateContent?alt=sse", harness.AliceToken, body)
	if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("streamGenerateContent: %d %s %s", r.Status, r.Header.Get("Content-Type"), r.Body)
	}
	up = s.upstreamRequests(t)
	if len(up) != 1 || up[0].Body != body || up[0].Path != "/v1beta/models/"+harness.GeminiUpstreamModel+":streamGenerateContent" {
		t.Fatalf("upstream got %+v", up)
	}
	if want := s.upstreamAnswer(t, up[0], "?alt=sse"); !bytes.Equal(r.Body, want) {
		t.Fatalf("the client got\n%q\nthe upstream streamed\n%q", r.Body, want)
	}
	s.upstreamRequests(t) // forget the replay

	// Without alt=sse: one JSON array of responses, also when translated.
	r = s.geminiPost(t, "/gemini/v1beta/models/"+harness.EndpointGeminiChat+":streamGenerateContent", harness.AliceToken, body)
	var elems []struct {
		Candidates []struct {
			Content struct {
				Parts []struct{ Text string } `json:"parts"`
			} `json:"content"`
			FinishReason string `json:"finishReason"`
		} `json:"candidates"`
	}
	if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") || json.Unmarshal(r.Body, &elems) != nil || len(elems) < 2 {
		t.Fatalf("JSON-array stream: %d %s %s", r.Status, r.Header.Get("Content-Type"), r.Body)
	}
	var text strings.Builder
	for _, e := range elems {
		for _, c := range e.Candidates {
			for _, p := range c.Content.Parts {
				text.WriteString(p.Text)
			}
		}
	}
	if text.String() != fakeReply || elems[len(elems)-1].Candidates[0].FinishReason != "STOP" {
		t.Fatalf("JSON-array stream said %q: %s", text.String(), r.Body)
	}
	if up := s.upstreamRequests(t); len(up) != 1 || up[0].Path != "/structured/v1/chat/completions" {
		t.Fatalf("upstream got %+v", up)
	}

	// An OpenAI Chat client reaches the Gemini upstream through the
	// translation, tool round trip included.
	const tools = `"tools":[{"type":"function","function":{"name":"read_file","parameters":{"type":"object","properties":{"file_path":{"type":"string"}},"required":["file_path"]}}}]`
	r = s.postJSON(t, "/v1/chat/completions", harness.AliceToken,
		`{"model":"`+harness.EndpointGeminiNative+`","messages":[{"role":"user","content":"read the file notes.txt"}],`+tools+`}`)
	var completion struct {
		Choices []struct {
			Message struct {
				ToolCalls []struct {
					ID       string `json:"id"`
					Function struct{ Name, Arguments string }
				} `json:"tool_calls"`
			} `json:"message"`
			FinishReason string `json:"finish_reason"`
		} `json:"choices"`
	}
	if r.Status != 200 || json.Unmarshal(r.Body, &completion) != nil || len(completion.Choices) != 1 ||
		len(completion.Choices[0].Message.ToolCalls) != 1 || completion.Choices[0].FinishReason != "tool_calls" {
		t.Fatalf("chat completion on a Gemini upstream: %d %s", r.Status, r.Body)
	}
	call := completion.Choices[0].Message.ToolCalls[0]
	r = s.postJSON(t, "/v1/chat/completions", harness.AliceToken, `{"model":"`+harness.EndpointGeminiNative+`","stream":true,"messages":[`+
		`{"role":"user","content":"read the file notes.txt"},`+
		`{"role":"assistant","content":null,"tool_calls":[{"id":"`+call.ID+`","type":"function","function":{"name":"read_file","arguments":`+mustJSON(t, call.Function.Arguments)+`}}]},`+
		`{"role":"tool","tool_call_id":"`+call.ID+`","content":"notes 9"}],`+tools+`}`)
	if r.Status != 200 || !strings.HasSuffix(string(r.Body), "data: [DONE]\n\n") {
		t.Fatalf("streamed tool result on a Gemini upstream: %d %s", r.Status, r.Body)
	}
	var streamed strings.Builder
	for _, line := range strings.Split(string(r.Body), "\n") {
		var chunk struct {
			Choices []struct {
				Delta struct{ Content string } `json:"delta"`
			} `json:"choices"`
		}
		if data, ok := strings.CutPrefix(line, "data: "); ok && json.Unmarshal([]byte(data), &chunk) == nil && len(chunk.Choices) > 0 {
			streamed.WriteString(chunk.Choices[0].Delta.Content)
		}
	}
	if streamed.String() != harness.ReadResultPrefix+"notes 9" {
		t.Fatalf("streamed answer %q", streamed.String())
	}
	if up := s.upstreamRequests(t); len(up) != 2 || up[1].Path != "/v1beta/models/"+harness.GeminiUpstreamModel+":streamGenerateContent" ||
		!strings.Contains(up[1].Body, `"id":"`+call.ID+`"`) {
		t.Fatalf("upstream got %+v", up)
	}

	for _, tc := range []struct {
		path, key string
		status    int
		name      string
	}{
		{"/gemini/v1beta/models/" + harness.EndpointGeminiNative + ":generateContent", "nope", 401, "UNAUTHENTICATED"},
		{"/v1beta/models/" + harness.EndpointGeminiNative + ":streamGenerateContent?alt=sse", "", 401, "UNAUTHENTICATED"},
		{"/gemini/v1beta/models/no-such-model:generateContent", harness.AliceToken, 404, "NOT_FOUND"},
		{"/gemini/v1beta/models/" + harness.EndpointPrivate + ":countTokens", harness.BobToken, 403, "PERMISSION_DENIED"},
	} {
		r := s.geminiPost(t, tc.path, tc.key, body)
		var e struct {
			Error struct {
				Code    int    `json:"code"`
				Message string `json:"message"`
				Status  string `json:"status"`
			} `json:"error"`
		}
		if r.Status != tc.status || json.Unmarshal(r.Body, &e) != nil || e.Error.Code != tc.status || e.Error.Status != tc.name || e.Error.Message == "" {
			t.Errorf("%s: %d %s", tc.path, r.Status, r.Body)
		}
	}
}

// runGeminiCLI runs `gemini -p prompt` in dir with a private HOME, the
// gateway as its base URL and alice's token as its key, extra arguments
// first (-m MODEL), and returns its stdout; it fails the test when the CLI
// fails.
func (s *suite) runGeminiCLI(t *testing.T, dir, prompt string, args ...string) string {
	t.Helper()
	home := t.TempDir()
	if err := os.MkdirAll(filepath.Join(home, ".gemini"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, ".gemini", "settings.json"), []byte(harness.GeminiCLISettings), 0o600); err != nil {
		t.Fatal(err)
	}
	abs, err := filepath.Abs(geminiPath)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, abs, append(args, "-p", prompt)...)
	cmd.Dir = dir
	cmd.Env = append(geminiCleanEnv(),
		"HOME="+home,
		"GOOGLE_GEMINI_BASE_URL="+s.baseURL()+"/gemini",
		"GEMINI_API_KEY="+harness.AliceToken,
		"GEMINI_CLI_TRUST_WORKSPACE=true",
		"NO_COLOR=1",
	)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("gemini %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(cmd.Args[1:], " "), err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

// geminiCleanEnv is the environment without credentials or endpoints of
// real providers, which must never be used here.
func geminiCleanEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(name, "GEMINI_"), strings.HasPrefix(name, "GOOGLE_"), strings.HasPrefix(name, "ANTHROPIC_"),
			strings.HasPrefix(name, "OPENAI_"), strings.HasPrefix(name, "CLOUDSDK_"), name == "HOME":
			continue
		}
		out = append(out, kv)
	}
	return out
}

// testGeminiCLIToGemini runs Gemini CLI with its default models: the
// routing call (JSON matching a schema) reaches the OpenAI-compatible
// upstream through the translation and is answered once, with valid JSON;
// the turn reaches the Gemini upstream, whose read_file call (id and
// thought signature) the CLI runs and echoes back unchanged, and the CLI
// prints the upstream's final answer quoting the file.
func (s *suite) testGeminiCLIToGemini(t *testing.T) {
	if !installed(geminiPath) {
		t.Skip("npm package @google/gemini-cli not installed: run make e2e-deps (npm ci in e2e/node)")
	}
	s.upstreamRequests(t)
	dir, file, marker := agentWorkspace(t)
	out := s.runGeminiCLI(t, dir, "Please read the file "+file+" and tell me what it says.")
	if !strings.Contains(out, harness.ReadResultPrefix+marker) {
		t.Fatalf("gemini printed %q; want the final answer quoting %q", out, marker)
	}
	var routing, turns []harness.RecordedRequest
	for _, r := range s.upstreamRequests(t) {
		switch r.Path {
		case "/structured/v1/chat/completions":
			routing = append(routing, r)
		case "/v1beta/models/" + harness.GeminiUpstreamModel + ":streamGenerateContent":
			turns = append(turns, r)
		default:
			t.Fatalf("unexpected upstream request %s", r.Path)
		}
	}
	if len(routing) != 1 || !strings.Contains(routing[0].Body, `"response_format":{"type":"json_schema"`) {
		t.Fatalf("routing calls %+v; want one, asking for a JSON schema", routing)
	}
	if len(turns) != 2 {
		t.Fatalf("%d turn requests; want the call and the result", len(turns))
	}
	result := turns[1]
	if !strings.Contains(result.Body, `"thoughtSignature":"`+harness.GeminiThoughtSignature+`"`) ||
		!strings.Contains(result.Body, `"id":"`+harness.GeminiReadCallMarker) || !strings.Contains(result.Body, marker) ||
		result.Header("X-Goog-Api-Key") != harness.UpstreamKey {
		t.Fatalf("the result request lost the call's id or signature, or the result: %s", result.Body)
	}
}

// testGeminiCLIToChat runs Gemini CLI on an endpoint served by an
// OpenAI-compatible upstream: the whole tool turn is translated both ways.
func (s *suite) testGeminiCLIToChat(t *testing.T) {
	if !installed(geminiPath) {
		t.Skip("npm package @google/gemini-cli not installed: run make e2e-deps (npm ci in e2e/node)")
	}
	s.upstreamRequests(t)
	dir, file, marker := agentWorkspace(t)
	out := s.runGeminiCLI(t, dir, "Please read the file "+file+" and tell me what it says.", "-m", harness.EndpointGeminiChat)
	if !strings.Contains(out, harness.ReadResultPrefix+marker) {
		t.Fatalf("gemini printed %q; want the final answer quoting %q", out, marker)
	}
	reqs := s.upstreamRequests(t)
	if len(reqs) < 2 {
		t.Fatalf("upstream saw %d requests; want the call and the result", len(reqs))
	}
	for _, r := range reqs {
		if r.Path != "/structured/v1/chat/completions" || r.Header("Authorization") != "Bearer "+harness.UpstreamKey {
			t.Fatalf("upstream request %s %v", r.Path, r.Headers)
		}
	}
	last := reqs[len(reqs)-1].Body
	if !strings.Contains(last, `"tool_call_id":"call_`+harness.GeminiReadCallMarker) || !strings.Contains(last, marker) {
		t.Fatalf("the result request: %s", last)
	}
}

// testGenAISDK runs node/gemini-genai.test.mjs with the official
// @google/genai SDK on both upstreams.
func (s *suite) testGenAISDK(t *testing.T) {
	s.upstreamRequests(t)
	s.runNodeTest(t, "@google/genai", "gemini-genai.test.mjs",
		"TOLLGATE_GEMINI_BASE_URL="+s.baseURL()+"/gemini",
		"TOLLGATE_TOKEN="+harness.AliceToken,
		"TOLLGATE_GEMINI_MODELS="+harness.EndpointGeminiNative+","+harness.EndpointGeminiChat,
		"TOLLGATE_GEMINI_EMBED_MODELS="+harness.EndpointGeminiEmbed+","+harness.EndpointGeminiEmbedChat,
		"TOLLGATE_REPLY="+fakeReply,
		"TOLLGATE_READ_PREFIX="+harness.ReadResultPrefix,
		"GEMINI_API_KEY=", "GOOGLE_API_KEY=", "GOOGLE_GEMINI_BASE_URL=",
	)
	// Two texts go as one batchEmbedContents, passed through to the Gemini
	// upstream and translated for the OpenAI one.
	var batch, openaiEmbed bool
	for _, r := range s.upstreamRequests(t) {
		switch r.Path {
		case "/v1beta/models/" + harness.GeminiEmbedUpstreamModel + ":batchEmbedContents":
			batch = strings.Count(r.Body, `"models/`+harness.GeminiEmbedUpstreamModel+`"`) == 2
		case "/v1/embeddings":
			openaiEmbed = strings.Contains(r.Body, `"input":["first text","second text"]`)
		}
	}
	if !batch || !openaiEmbed {
		t.Fatalf("embeddings upstream requests: batch %v, openai %v", batch, openaiEmbed)
	}
}
