package provideradapter

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/tollgate/tollgate/services/kit/config"
	"github.com/tollgate/tollgate/services/kit/wire/openai"
)

// newAzureOpenAIProvider calls an Azure OpenAI deployment. Azure speaks
// OpenAI's wire, so this is the OpenAI provider (OpenAI clients passed
// through byte for byte, others translated; Chat Completions, or the
// Responses API with api: responses; embeddings) with Azure's URLs and
// key header:
//
//   - a dated api-version (default config.AzureAPIVersion) uses the
//     deployments API: {base_url}/openai/deployments/{deployment}/chat/completions
//     (…/embeddings) ?api-version=…, and {base_url}/openai/responses?api-version=…;
//   - api_version v1 uses {base_url}/openai/v1/chat/completions (…/embeddings,
//     …/responses), with no api-version.
//
// Either way the body names the deployment as its model (the v1 API reads
// it there; the deployments API ignores it). The api_key goes in the
// api-key header, or as a bearer token with auth: entra (a Microsoft
// Entra ID access token, which whatever issues it keeps fresh in the env
// variable or file the api_key names: it is read at every call).
func newAzureOpenAIProvider(se *config.ServedEntity, client *http.Client, sec *secrets) Provider {
	var opts config.AzureOptions
	if se.Azure != nil {
		opts = *se.Azure
	}
	deployment := firstNonEmpty(opts.Deployment, se.Model)
	version := firstNonEmpty(opts.APIVersion, config.AzureAPIVersion)
	// The portal shows the endpoint with or without /openai; accept both.
	base := strings.TrimRight(se.BaseURL, "/")
	base = strings.TrimSuffix(strings.TrimSuffix(base, "/v1"), "/openai")

	p := newOpenAIProvider(se, client, sec)
	p.model = deployment
	var responsesURL string
	if version == config.AzureAPIVersionV1 {
		p.chatURL = base + "/openai/v1/chat/completions"
		p.embeddingsURL = base + "/openai/v1/embeddings"
		responsesURL = base + "/openai/v1/responses"
	} else {
		query := "?api-version=" + url.QueryEscape(version)
		deploymentURL := base + "/openai/deployments/" + url.PathEscape(deployment)
		p.chatURL = deploymentURL + "/chat/completions" + query
		p.embeddingsURL = deploymentURL + "/embeddings" + query
		responsesURL = base + "/openai/responses" + query
	}
	// max_completion_tokens is what Azure's reasoning models require; it
	// is accepted by every model since api-version 2024-09-01-preview.
	p.build = openai.BuildOptions{MaxCompletionTokens: version == config.AzureAPIVersionV1 || version >= "2024-09-01"}
	if opts.Auth != config.AzureAuthEntra {
		p.keyHeader = "Api-Key"
	}
	if se.API == config.APIResponses {
		return &responsesProvider{openAIProvider: p, responsesURL: responsesURL}
	}
	return p
}
