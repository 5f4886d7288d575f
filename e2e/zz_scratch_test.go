package e2e

import (
	"fmt"
	"testing"

	"github.com/tollgate/tollgate/e2e/harness"
)

func TestScratch(t *testing.T) {
	for _, topo := range harness.Topologies {
		s := startSuite(t, topo)
		body := `{"model":"chat","messages":[{"role":"system","content":"sys ✓"},{"role":"user","content":[{"type":"text","text":"héllo 👋 \"q\" \\ \u0001 fid-` + string(topo) + `"},{"type":"image_url","image_url":{"url":"data:image/png;base64,AAAA","detail":"low"}}],"name":"u1"}],
"temperature":0.3,"top_p":0.9,"n":1,"stop":["END"],"seed":7,"presence_penalty":0.1,"frequency_penalty":0.2,"logit_bias":{"50256":-100},"user":"end-user-1","response_format":{"type":"json_object"},"logprobs":true,"top_logprobs":2,"max_completion_tokens":33,"tool_choice":"auto","parallel_tool_calls":false,"metadata":{"k":"v"},"store":false,"reasoning_effort":"low","service_tier":"auto","prediction":{"type":"content","content":"x"},"modalities":["text"],"some_future_param":{"a":1}}`
		r := s.postJSON(t, "/v1/chat/completions", harness.AliceToken, body)
		fmt.Println(topo, r.Status, truncate(r.Body))
		req := s.findUpstreamRequest(t, "fid-"+string(topo))
		fmt.Println("UPSTREAM:", req.Body)
		big := bigChatBody(15 << 20)
		r = s.postJSON(t, "/v1/chat/completions", harness.AliceToken, big)
		fmt.Println(topo, "15MiB:", r.Status, truncate(r.Body))
		emb := `{"model":"embeddings","input":"` + string(make([]byte, 0)) + `x","dimensions":16,"user":"u","encoding_format":"base64"}`
		r = s.postJSON(t, "/v1/embeddings", harness.AliceToken, emb)
		fmt.Println(topo, "emb:", r.Status, truncate(r.Body))
		reqs, _ := s.stack.Upstream.Requests(testCtx(t))
		fmt.Println("UPSTREAM emb:", reqs[len(reqs)-1].Body)
	}
}
