package config

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"strings"
	"time"
)

var errEOF = io.EOF

const defaultTimeout = 120 * time.Second

var (
	namePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)
	hexSHA256   = regexp.MustCompile(`^[0-9a-f]{64}$`)
	tablePrefix = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,100}$`)
)

// Validate checks the whole config and reports every problem found, joined.
func (c *Config) Validate() error {
	v := &validator{}
	groups := map[string]bool{AllUsersGroup: true}
	for i, g := range c.Groups {
		at := fmt.Sprintf("groups[%d]", i)
		v.name(at+".name", g.Name)
		if g.Name == AllUsersGroup {
			v.addf("%s.name: %q is the implicit group of all principals and cannot be declared", at, g.Name)
		}
		if groups[g.Name] {
			v.addf("%s.name: duplicate group %q", at, g.Name)
		}
		groups[g.Name] = true
	}
	for i, g := range c.Groups {
		for _, parent := range g.Groups {
			if !groups[parent] {
				v.addf("groups[%d].groups: unknown group %q", i, parent)
			}
		}
	}
	principals := map[string]bool{}
	for i, p := range c.Principals {
		at := fmt.Sprintf("principals[%d]", i)
		v.name(at+".name", p.Name)
		if principals[p.Name] {
			v.addf("%s.name: duplicate principal %q", at, p.Name)
		}
		principals[p.Name] = true
		if p.Type != PrincipalUser && p.Type != PrincipalServicePrincipal {
			v.addf("%s.type: %q is not user or service_principal", at, p.Type)
		}
		for _, g := range p.Groups {
			if !groups[g] {
				v.addf("%s.groups: unknown group %q", at, g)
			}
		}
	}
	tokenHashes := map[string]bool{}
	for i, t := range c.Tokens {
		at := fmt.Sprintf("tokens[%d]", i)
		if !principals[t.Principal] {
			v.addf("%s.principal: unknown principal %q", at, t.Principal)
		}
		if !hexSHA256.MatchString(t.SHA256) {
			v.addf("%s.sha256: must be the lower-case hex SHA-256 of the token (64 characters), not the token itself", at)
		}
		if tokenHashes[t.SHA256] {
			v.addf("%s.sha256: the same token is listed twice", at)
		}
		tokenHashes[t.SHA256] = true
	}
	endpoints := map[string]bool{}
	for i := range c.Endpoints {
		v.endpoint(fmt.Sprintf("endpoints[%d]", i), &c.Endpoints[i], endpoints, principals, groups)
	}
	if c.Gateway.MaxRequestBytes < 0 {
		v.addf("gateway.max_request_bytes: must be positive")
	}
	return v.err()
}

func (v *validator) endpoint(at string, ep *Endpoint, seen, principals, groups map[string]bool) {
	v.name(at+".name", ep.Name)
	if seen[ep.Name] {
		v.addf("%s.name: duplicate endpoint %q", at, ep.Name)
	}
	seen[ep.Name] = true
	if ep.Task != TaskChat && ep.Task != TaskEmbeddings {
		v.addf("%s.task: %q is not chat or embeddings", at, ep.Task)
	}
	if len(ep.ServedEntities) == 0 {
		v.addf("%s.served_entities: at least one served entity is required", at)
	}
	total := 0
	names := map[string]bool{}
	for j := range ep.ServedEntities {
		se := &ep.ServedEntities[j]
		sat := fmt.Sprintf("%s.served_entities[%d]", at, j)
		v.name(sat+".name", se.Name)
		if names[se.Name] {
			v.addf("%s.name: duplicate served entity %q", sat, se.Name)
		}
		names[se.Name] = true
		if se.Model == "" {
			v.addf("%s.model: required", sat)
		}
		if se.TrafficPercentage < 0 || se.TrafficPercentage > 100 {
			v.addf("%s.traffic_percentage: %d is outside 0..100", sat, se.TrafficPercentage)
		}
		total += se.TrafficPercentage
		switch se.Provider {
		case ProviderFake:
			if f := se.Fake; f != nil {
				if f.ErrorRate < 0 || f.ErrorRate > 1 {
					v.addf("%s.fake.error_rate: %v is outside 0..1", sat, f.ErrorRate)
				}
				if f.Chunks < 0 || f.Dimensions < 0 {
					v.addf("%s.fake: chunks and dimensions must not be negative", sat)
				}
			}
		case ProviderOpenAI, ProviderOpenAICompatible:
			if se.BaseURL == "" {
				v.addf("%s.base_url: required for provider %s", sat, se.Provider)
			} else if u, err := url.Parse(se.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				v.addf("%s.base_url: %q is not an http(s) URL", sat, se.BaseURL)
			}
			if se.API != "" && se.API != APIChat && se.API != APIResponses {
				v.addf("%s.api: %q is not %s or %s", sat, se.API, APIChat, APIResponses)
			}
		case ProviderAnthropic:
			if se.BaseURL != "" {
				if u, err := url.Parse(se.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
					v.addf("%s.base_url: %q is not an http(s) URL", sat, se.BaseURL)
				}
			}
		case ProviderGemini, ProviderVertex:
			if se.BaseURL != "" {
				if u, err := url.Parse(se.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
					v.addf("%s.base_url: %q is not an http(s) URL", sat, se.BaseURL)
				}
			} else if se.Provider == ProviderVertex && (se.Project == "" || se.Location == "") {
				v.addf("%s: provider vertex needs base_url, or project and location", sat)
			}
			// The location becomes part of a host name.
			if strings.Trim(se.Location, "abcdefghijklmnopqrstuvwxyz0123456789-") != "" {
				v.addf("%s.location: %q is not a Vertex AI location name", sat, se.Location)
			}
		case ProviderAzureOpenAI:
			v.azure(sat, se)
		case ProviderBedrock:
			v.bedrock(sat, se)
		case ProviderCohere:
			if se.BaseURL != "" {
				v.httpURL(sat+".base_url", se.BaseURL)
			}
		case "":
			v.addf("%s.provider: required", sat)
		default:
			v.addf("%s.provider: unknown provider %q (known: fake, openai, openai_compatible, anthropic, gemini, vertex, azure_openai, bedrock, cohere)", sat, se.Provider)
		}
		if se.Azure != nil && se.Provider != ProviderAzureOpenAI {
			v.addf("%s.azure: only provider azure_openai takes azure options", sat)
		}
		if se.Bedrock != nil && se.Provider != ProviderBedrock {
			v.addf("%s.bedrock: only provider bedrock takes bedrock options", sat)
		}
		if (se.Project != "" || se.Location != "") && se.Provider != ProviderVertex {
			v.addf("%s: only provider vertex takes project and location", sat)
		}
		if se.API != "" && se.Provider != ProviderOpenAI && se.Provider != ProviderOpenAICompatible && se.Provider != ProviderAzureOpenAI {
			v.addf("%s.api: only providers openai and openai_compatible choose an api (and azure_openai)", sat)
		}
		if k := se.APIKey; k != nil && (k.Env == "") == (k.File == "") {
			v.addf("%s.api_key: give exactly one of env or file (secrets are never written in the config itself)", sat)
		}
		if se.Timeout < 0 {
			v.addf("%s.timeout: must be positive", sat)
		}
	}
	if len(ep.ServedEntities) > 0 && total != 100 {
		v.addf("%s.served_entities: traffic percentages add up to %d, not 100", at, total)
	}
	for j, rl := range ep.RateLimits {
		rat := fmt.Sprintf("%s.rate_limits[%d]", at, j)
		switch rl.Scope {
		case ScopeEndpoint:
			if rl.Subject != "" {
				v.addf("%s.subject: endpoint scope takes no subject", rat)
			}
		case ScopeUser:
			if rl.Subject != "" && !principals[rl.Subject] {
				v.addf("%s.subject: unknown principal %q", rat, rl.Subject)
			}
		case ScopeGroup:
			if !groups[rl.Subject] {
				v.addf("%s.subject: group scope needs a known group, got %q", rat, rl.Subject)
			}
		default:
			v.addf("%s.scope: %q is not endpoint, user or group", rat, rl.Scope)
		}
		if rl.CallsPerMinute <= 0 {
			v.addf("%s.calls_per_minute: must be positive", rat)
		}
	}
	if it := ep.InferenceTable; it != nil {
		if it.SamplingFraction < 0 || it.SamplingFraction > 1 {
			v.addf("%s.inference_table.sampling_fraction: %v is outside 0..1", at, it.SamplingFraction)
		}
		if it.MaxPayloadBytes < 0 {
			v.addf("%s.inference_table.max_payload_bytes: must be positive", at)
		}
		if it.TableNamePrefix != "" && !tablePrefix.MatchString(it.TableNamePrefix) {
			v.addf("%s.inference_table.table_name_prefix: %q must be letters, digits and '_' (it names a table)", at, it.TableNamePrefix)
		}
	}
	for j, p := range ep.Permissions {
		pat := fmt.Sprintf("%s.permissions[%d]", at, j)
		if (p.Principal == "") == (p.Group == "") {
			v.addf("%s: give exactly one of principal or group", pat)
		}
		if p.Principal != "" && !principals[p.Principal] {
			v.addf("%s.principal: unknown principal %q", pat, p.Principal)
		}
		if p.Group != "" && !groups[p.Group] {
			v.addf("%s.group: unknown group %q", pat, p.Group)
		}
		if p.Level != LevelCanQuery && p.Level != LevelCanManage {
			v.addf("%s.level: %q is not CAN_QUERY or CAN_MANAGE", pat, p.Level)
		}
	}
}

type validator struct{ problems []string }

func (v *validator) addf(format string, args ...any) {
	v.problems = append(v.problems, fmt.Sprintf(format, args...))
}

func (v *validator) name(at, name string) {
	if !namePattern.MatchString(name) {
		v.addf("%s: %q must be 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit", at, name)
	}
}

func (v *validator) err() error {
	if len(v.problems) == 0 {
		return nil
	}
	return &ValidationError{Problems: v.problems}
}

// ValidationError lists every problem in a config.
type ValidationError struct{ Problems []string }

func (e *ValidationError) Error() string {
	return fmt.Sprintf("%d problem(s):\n  - %s", len(e.Problems), strings.Join(e.Problems, "\n  - "))
}

// IsValidation reports whether err is a ValidationError.
func IsValidation(err error) bool {
	var ve *ValidationError
	return errors.As(err, &ve)
}
