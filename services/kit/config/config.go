// Package config is Tollgate's declarative configuration: endpoints and their
// served entities, principals, groups, tokens and permissions. Every service
// reads the same file and uses the part it owns; secrets are references (env
// or file) resolved only by the provider adapter, at call time.
package config

import (
	"time"
)

// Config is the whole file.
type Config struct {
	Gateway    Gateway     `yaml:"gateway"`
	Endpoints  []Endpoint  `yaml:"endpoints"`
	Principals []Principal `yaml:"principals"`
	Groups     []Group     `yaml:"groups"`
	Tokens     []Token     `yaml:"tokens"`
}

// Gateway holds gateway-wide settings.
type Gateway struct {
	AccountID   string `yaml:"account_id"`
	WorkspaceID string `yaml:"workspace_id"`
	// MaxRequestBytes caps request bodies (413 beyond). Default 16 MiB.
	MaxRequestBytes int64 `yaml:"max_request_bytes"`
}

// Task is what an endpoint serves.
type Task string

// Tasks.
const (
	TaskChat       Task = "chat"
	TaskEmbeddings Task = "embeddings"
)

// Endpoint is a named, governed route to one or more served entities.
type Endpoint struct {
	Name           string          `yaml:"name"`
	Task           Task            `yaml:"task"`
	ServedEntities []ServedEntity  `yaml:"served_entities"`
	Fallback       Fallback        `yaml:"fallback"`
	RateLimits     []RateLimit     `yaml:"rate_limits"`
	UsageTracking  *bool           `yaml:"usage_tracking"` // default true
	InferenceTable *InferenceTable `yaml:"inference_table"`
	Permissions    []Permission    `yaml:"permissions"`
}

// UsageTrackingEnabled applies the default (on).
func (e *Endpoint) UsageTrackingEnabled() bool { return e.UsageTracking == nil || *e.UsageTracking }

// Provider kinds the adapter knows.
const (
	ProviderFake             = "fake"
	ProviderOpenAI           = "openai"
	ProviderOpenAICompatible = "openai_compatible"
	// ProviderAnthropic is Anthropic's Messages API: base_url defaults to
	// AnthropicBaseURL (the adapter appends /v1/messages), the api_key is
	// sent as x-api-key with an anthropic-version header.
	ProviderAnthropic = "anthropic"
	// ProviderGemini is Google's Gemini API: base_url defaults to
	// GeminiBaseURL (the adapter appends /v1beta/models/{model}:method),
	// the api_key is sent as x-goog-api-key.
	ProviderGemini = "gemini"
	// ProviderVertex is Gemini on Vertex AI: base_url, or else project and
	// location, name the Vertex AI location; the api_key (an OAuth access
	// token) is sent as a bearer token.
	ProviderVertex = "vertex"
	// ProviderAzureOpenAI is Azure OpenAI: base_url is the resource
	// endpoint (https://NAME.openai.azure.com); azure names the deployment,
	// api-version and how api_key is sent (see AzureOptions). Same wire as
	// OpenAI, so OpenAI clients are passed through.
	ProviderAzureOpenAI = "azure_openai"
	// ProviderBedrock is Amazon Bedrock's Converse API: requests are SigV4
	// signed with the credentials of bedrock (see BedrockOptions), or carry
	// api_key as a Bedrock API key (bearer token); model is a model or
	// inference profile id; base_url defaults to the region's
	// bedrock-runtime endpoint.
	ProviderBedrock = "bedrock"
	// ProviderCohere is Cohere's chat v2 API: base_url defaults to
	// CohereBaseURL (the adapter appends /v2/chat), api_key is sent as a
	// bearer token.
	ProviderCohere = "cohere"
)

// CohereBaseURL is the base_url of a cohere served entity that names none.
const CohereBaseURL = "https://api.cohere.com"

// AzureAPIVersion is the api-version an azure_openai served entity uses
// when it names none (the latest GA version of the deployments API).
const AzureAPIVersion = "2024-10-21"

// AzureAPIVersionV1 as azure.api_version selects Azure's v1 API
// (base_url/openai/v1/…, no api-version, the deployment named in the body).
const AzureAPIVersionV1 = "v1"

// Ways an azure_openai served entity sends its api_key (AzureOptions.Auth).
const (
	// AzureAuthAPIKey sends it as the api-key header (a resource key), the default.
	AzureAuthAPIKey = "api_key"
	// AzureAuthEntra sends it as a bearer token: a Microsoft Entra ID access
	// token, kept fresh in the env variable or file by whatever issues it.
	AzureAuthEntra = "entra"
)

// AzureOptions locate an azure_openai served entity's deployment.
type AzureOptions struct {
	// Deployment is the deployment name; default: the served entity's model.
	Deployment string `yaml:"deployment"`
	// APIVersion is the api-version query parameter (default
	// AzureAPIVersion), or AzureAPIVersionV1 for the v1 API.
	APIVersion string `yaml:"api_version"`
	// Auth is AzureAuthAPIKey (default) or AzureAuthEntra.
	Auth string `yaml:"auth"`
}

// BedrockOptions are an Amazon Bedrock served entity's AWS settings. The
// credentials are references, resolved at call time like api_key, so
// rotated (or STS-refreshed) keys are picked up without a restart.
type BedrockOptions struct {
	// Region is the AWS region (us-east-1…): it names the endpoint and is
	// part of the signature. Required.
	Region string `yaml:"region"`
	// AccessKeyID and SecretAccessKey sign requests (SigV4); give both, or
	// neither and an api_key (a Bedrock API key) instead.
	AccessKeyID     *SecretRef `yaml:"access_key_id"`
	SecretAccessKey *SecretRef `yaml:"secret_access_key"`
	// SessionToken is the session token of temporary credentials; optional.
	SessionToken *SecretRef `yaml:"session_token"`
}

// AnthropicBaseURL is the base_url of an anthropic served entity that names none.
const AnthropicBaseURL = "https://api.anthropic.com"

// GeminiBaseURL is the base_url of a gemini served entity that names none.
const GeminiBaseURL = "https://generativelanguage.googleapis.com"

// APIs an openai or openai_compatible served entity can be reached through
// (ServedEntity.API).
const (
	// APIChat is Chat Completions (base_url + /chat/completions), the default.
	APIChat = "chat"
	// APIResponses is the Responses API (base_url + /responses): Responses
	// clients (Codex) are passed through byte for byte, other dialects are
	// translated to it.
	APIResponses = "responses"
)

// ServedEntity is one provider model behind an endpoint.
type ServedEntity struct {
	Name              string            `yaml:"name"`
	Provider          string            `yaml:"provider"`
	Model             string            `yaml:"model"`
	TrafficPercentage int               `yaml:"traffic_percentage"`
	BaseURL           string            `yaml:"base_url"`
	APIKey            *SecretRef        `yaml:"api_key"`
	Headers           map[string]string `yaml:"headers"`
	Timeout           Duration          `yaml:"timeout"`
	// API picks the wire API of an openai, openai_compatible or
	// azure_openai provider: APIChat (default when empty) or APIResponses.
	API string `yaml:"api"`
	// Project and Location name the Google Cloud project and Vertex AI
	// location (us-central1, global…) of a vertex provider without a
	// base_url.
	Project  string       `yaml:"project"`
	Location string       `yaml:"location"`
	Fake     *FakeOptions `yaml:"fake"`
	// Azure tunes an azure_openai provider (optional).
	Azure *AzureOptions `yaml:"azure"`
	// Bedrock holds a bedrock provider's region and AWS credentials.
	Bedrock *BedrockOptions `yaml:"bedrock"`
}

// FakeOptions tune the built-in deterministic fake provider.
type FakeOptions struct {
	Latency     Duration `yaml:"latency"`      // before the first byte
	ChunkDelay  Duration `yaml:"chunk_delay"`  // between streamed chunks
	Chunks      int      `yaml:"chunks"`       // streamed chunks (default 4)
	ErrorRate   float64  `yaml:"error_rate"`   // 0..1, fraction of calls that fail
	ErrorStatus int      `yaml:"error_status"` // HTTP-like status of injected failures (default 503)
	Dimensions  int      `yaml:"dimensions"`   // embedding size (default 8)
	Reply       string   `yaml:"reply"`        // fixed reply text; default echoes the last user message
}

// SecretRef points at a secret without holding it.
type SecretRef struct {
	Env  string `yaml:"env"`
	File string `yaml:"file"`
}

// String never reveals the secret.
func (s *SecretRef) String() string {
	switch {
	case s == nil:
		return "<none>"
	case s.Env != "":
		return "env:" + s.Env
	default:
		return "file:" + s.File
	}
}

// Fallback controls failover between served entities.
type Fallback struct {
	Enabled bool `yaml:"enabled"`
}

// Scopes of rate limits.
const (
	ScopeEndpoint = "endpoint"
	ScopeUser     = "user"
	ScopeGroup    = "group"
)

// RateLimit caps calls (and, later, tokens) per minute.
type RateLimit struct {
	// Scope is endpoint (all callers together), user (each principal) or group.
	Scope string `yaml:"scope"`
	// Subject narrows user or group scope to one name; for group scope it is required.
	Subject        string `yaml:"subject"`
	CallsPerMinute int64  `yaml:"calls_per_minute"`
}

// InferenceTable configures payload logging.
type InferenceTable struct {
	Enabled         bool   `yaml:"enabled"`
	TableNamePrefix string `yaml:"table_name_prefix"`
	// SamplingFraction of requests logged, 0..1 (default 1).
	SamplingFraction float64 `yaml:"sampling_fraction"`
	// MaxPayloadBytes caps the request and the response each (default 1 MiB);
	// larger ones are left out and named in logging_error_codes.
	MaxPayloadBytes int64 `yaml:"max_payload_bytes"`
}

// Permission levels.
const (
	LevelCanQuery  = "CAN_QUERY"
	LevelCanManage = "CAN_MANAGE"
)

// AllUsersGroup is the implicit group of every authenticated principal.
const AllUsersGroup = "users"

// Permission grants a principal or group a level on an endpoint.
type Permission struct {
	Principal string `yaml:"principal"`
	Group     string `yaml:"group"`
	Level     string `yaml:"level"`
}

// Principal types.
const (
	PrincipalUser             = "user"
	PrincipalServicePrincipal = "service_principal"
)

// Principal is a user or a service principal.
type Principal struct {
	Name   string   `yaml:"name"`
	Type   string   `yaml:"type"`
	Groups []string `yaml:"groups"`
}

// Group may contain other groups.
type Group struct {
	Name   string   `yaml:"name"`
	Groups []string `yaml:"groups"` // parent groups this group belongs to
}

// Token is a bearer token, stored only as the hex SHA-256 of its value.
type Token struct {
	Name      string    `yaml:"name"`
	Principal string    `yaml:"principal"`
	SHA256    string    `yaml:"sha256"`
	Expires   time.Time `yaml:"expires"`
}

// Duration reads "1.5s", "250ms" from YAML.
type Duration time.Duration

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// MarshalText implements encoding.TextMarshaler.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// Std converts to time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

// Endpoint returns the named endpoint or nil.
func (c *Config) Endpoint(name string) *Endpoint {
	for i := range c.Endpoints {
		if c.Endpoints[i].Name == name {
			return &c.Endpoints[i]
		}
	}
	return nil
}
