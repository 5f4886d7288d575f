package config

import (
	"net/url"
	"regexp"
)

// Checks of the options of the azure_openai and bedrock providers, kept
// apart from the endpoint checks they are called from.

var (
	// awsRegionPattern is an AWS region name; it becomes part of a host
	// name and of the signature scope.
	awsRegionPattern = regexp.MustCompile(`^[a-z]{2}(-[a-z0-9]+)+-[0-9]+$`)
	// azureDeploymentPattern is what Azure accepts as a deployment name;
	// it becomes a URL path segment.
	azureDeploymentPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
	// azureAPIVersionPattern is a dated api-version (2024-10-21,
	// 2025-04-01-preview).
	azureAPIVersionPattern = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}(-preview)?$`)
)

func (v *validator) httpURL(at, raw string) {
	if u, err := url.Parse(raw); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		v.addf("%s: %q is not an http(s) URL", at, raw)
	}
}

func (v *validator) azure(at string, se *ServedEntity) {
	if se.BaseURL == "" {
		v.addf("%s.base_url: required for provider azure_openai (the resource endpoint, https://NAME.openai.azure.com)", at)
	} else {
		v.httpURL(at+".base_url", se.BaseURL)
	}
	if se.API != "" && se.API != APIChat && se.API != APIResponses {
		v.addf("%s.api: %q is not %s or %s", at, se.API, APIChat, APIResponses)
	}
	a := se.Azure
	if a == nil {
		return
	}
	if a.Deployment != "" && !azureDeploymentPattern.MatchString(a.Deployment) {
		v.addf("%s.azure.deployment: %q is not an Azure deployment name (letters, digits, '.', '_', '-')", at, a.Deployment)
	}
	if a.APIVersion != "" && a.APIVersion != AzureAPIVersionV1 && !azureAPIVersionPattern.MatchString(a.APIVersion) {
		v.addf("%s.azure.api_version: %q is not %s or a dated version like %s", at, a.APIVersion, AzureAPIVersionV1, AzureAPIVersion)
	}
	if a.Auth != "" && a.Auth != AzureAuthAPIKey && a.Auth != AzureAuthEntra {
		v.addf("%s.azure.auth: %q is not %s or %s", at, a.Auth, AzureAuthAPIKey, AzureAuthEntra)
	}
}

func (v *validator) bedrock(at string, se *ServedEntity) {
	if se.BaseURL != "" {
		v.httpURL(at+".base_url", se.BaseURL)
	}
	b := se.Bedrock
	if b == nil {
		v.addf("%s.bedrock: required for provider bedrock (region and credentials)", at)
		return
	}
	if !awsRegionPattern.MatchString(b.Region) {
		v.addf("%s.bedrock.region: %q is not an AWS region name like us-east-1", at, b.Region)
	}
	for _, ref := range [...]struct {
		name string
		ref  *SecretRef
	}{{"access_key_id", b.AccessKeyID}, {"secret_access_key", b.SecretAccessKey}, {"session_token", b.SessionToken}} {
		if k := ref.ref; k != nil && (k.Env == "") == (k.File == "") {
			v.addf("%s.bedrock.%s: give exactly one of env or file (secrets are never written in the config itself)", at, ref.name)
		}
	}
	keys := b.AccessKeyID != nil || b.SecretAccessKey != nil
	switch {
	case (b.AccessKeyID == nil) != (b.SecretAccessKey == nil):
		v.addf("%s.bedrock: give both access_key_id and secret_access_key", at)
	case keys && se.APIKey != nil:
		v.addf("%s: give AWS keys (bedrock.access_key_id, bedrock.secret_access_key) or an api_key (a Bedrock API key), not both", at)
	case !keys && se.APIKey == nil:
		v.addf("%s: provider bedrock needs AWS keys (bedrock.access_key_id, bedrock.secret_access_key) or an api_key (a Bedrock API key)", at)
	}
	if b.SessionToken != nil && !keys {
		v.addf("%s.bedrock.session_token: only goes with access_key_id and secret_access_key", at)
	}
}
