package e2e

import (
	"encoding/json"
	"net/http"
	"reflect"
	"testing"

	"github.com/tollgate/tollgate/e2e/harness"
)

// testParameterFidelity sends a body using most of Chat Completions'
// parameters, multi-part content, non-ASCII and escaped text, and a field no
// gateway knows yet: the upstream must receive every field with the same
// value, except model (the served entity's) and Tollgate's own extras.
func (s *suite) testParameterFidelity(t *testing.T) {
	marker := "fidelity-" + string(s.topo)
	body := `{"model":"chat","messages":[
 {"role":"system","content":"sys ✓ ünïcödé"},
 {"role":"user","name":"u1","content":[
   {"type":"text","text":"héllo 👋 \"quoted\" back\\slash \u0001 \ud83d\ude00 ` + marker + `"},
   {"type":"image_url","image_url":{"url":"data:image/png;base64,AAAA","detail":"low"}}]}],
 "temperature":0.3,"top_p":0.9,"n":1,"stop":["END","\n\n"],"seed":7,
 "presence_penalty":0.1,"frequency_penalty":0.2,"logit_bias":{"50256":-100},
 "user":"end-user-1","response_format":{"type":"json_object"},"logprobs":true,"top_logprobs":2,
 "max_completion_tokens":33,"tool_choice":"auto","parallel_tool_calls":false,
 "metadata":{"k":"v"},"store":false,"reasoning_effort":"low","service_tier":"auto",
 "prediction":{"type":"content","content":"x"},"modalities":["text"],
 "some_future_param":{"nested":[1,2.5,"three",null,true]},
 "client_request_id":"crid-1","usage_context":{"team":"e2e"}}`
	r := s.postJSON(t, "/v1/chat/completions", harness.AliceToken, body)
	requireStatus(t, r, http.StatusOK)

	var sent map[string]any
	if err := json.Unmarshal([]byte(body), &sent); err != nil {
		t.Fatal(err)
	}
	got, err := s.findUpstreamRequest(t, marker).JSONBody()
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range sent {
		switch k {
		case "model", "client_request_id", "usage_context":
			continue
		}
		if !reflect.DeepEqual(got[k], v) {
			t.Errorf("field %q: upstream got %s, client sent %s", k, jsonOf(got[k]), jsonOf(v))
		}
	}
	for k := range got {
		if _, ok := sent[k]; !ok && k != "stream_options" {
			t.Errorf("upstream got field %q = %s that the client did not send", k, jsonOf(got[k]))
		}
	}
	if got["model"] != harness.UpstreamModel {
		t.Errorf("upstream model = %v, want %q", got["model"], harness.UpstreamModel)
	}

	// Embeddings parameters likewise.
	r = s.postJSON(t, "/v1/embeddings", harness.AliceToken,
		`{"model":"embeddings","input":["`+marker+`-emb"],"dimensions":16,"user":"u","encoding_format":"float"}`)
	requireStatus(t, r, http.StatusOK)
	got, err = s.findUpstreamRequest(t, marker+"-emb").JSONBody()
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]any{"dimensions": 16.0, "user": "u", "encoding_format": "float", "input": []any{marker + "-emb"}} {
		if !reflect.DeepEqual(got[k], v) {
			t.Errorf("embeddings field %q: upstream got %s, want %s", k, jsonOf(got[k]), jsonOf(v))
		}
	}
	var e struct {
		Data []struct {
			Embedding []float64 `json:"embedding"`
		} `json:"data"`
	}
	if err := json.Unmarshal(r.Body, &e); err != nil || len(e.Data) != 1 || len(e.Data[0].Embedding) != 16 {
		t.Errorf("embeddings with dimensions 16: %s", truncate(r.Body))
	}
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
