package config

import (
	"strings"
	"testing"
)

func TestAzureBedrockCohereConfigsAreValid(t *testing.T) {
	c, err := Parse([]byte(`
endpoints:
  - name: azure
    task: chat
    served_entities:
      - name: a
        provider: azure_openai
        model: gpt-4o
        base_url: https://res.openai.azure.com
        api_key: {env: AZURE_KEY}
        azure: {deployment: gpt-4o-prod, api_version: 2025-04-01-preview, auth: entra}
  - name: azure-v1
    task: chat
    served_entities:
      - name: a
        provider: azure_openai
        api: responses
        model: gpt-4o
        base_url: https://res.openai.azure.com
        api_key: {file: /run/azure}
        azure: {api_version: v1}
  - name: bedrock
    task: chat
    served_entities:
      - name: b
        provider: bedrock
        model: anthropic.claude-3-5-sonnet-20240620-v1:0
        bedrock:
          region: eu-central-1
          access_key_id: {env: AWS_ACCESS_KEY_ID}
          secret_access_key: {env: AWS_SECRET_ACCESS_KEY}
          session_token: {env: AWS_SESSION_TOKEN}
  - name: bedrock-key
    task: chat
    served_entities:
      - name: b
        provider: bedrock
        model: us.amazon.nova-pro-v1:0
        api_key: {env: AWS_BEARER_TOKEN_BEDROCK}
        bedrock: {region: us-gov-west-1}
  - name: cohere
    task: chat
    served_entities:
      - name: c
        provider: cohere
        model: command-a-03-2025
        api_key: {env: CO_API_KEY}
`))
	if err != nil {
		t.Fatal(err)
	}
	a := c.Endpoint("azure").ServedEntities[0]
	if a.Azure == nil || a.Azure.Deployment != "gpt-4o-prod" || a.Azure.Auth != AzureAuthEntra {
		t.Fatalf("azure options not read: %+v", a.Azure)
	}
	b := c.Endpoint("bedrock").ServedEntities[0]
	if b.Bedrock == nil || b.Bedrock.Region != "eu-central-1" || b.Bedrock.SessionToken.Env != "AWS_SESSION_TOKEN" {
		t.Fatalf("bedrock options not read: %+v", b.Bedrock)
	}
	if ServedEntityID("e", &b) == ServedEntityID("e", &ServedEntity{Name: b.Name, Provider: b.Provider, Model: b.Model,
		TrafficPercentage: b.TrafficPercentage, Timeout: b.Timeout}) {
		t.Fatal("the served entity id ignores the bedrock options")
	}
}

func TestAzureBedrockCohereProblemsAreReportedAtOnce(t *testing.T) {
	_, err := Parse([]byte(`
endpoints:
  - name: e
    task: chat
    served_entities:
      - name: a
        provider: azure_openai
        model: m
        traffic_percentage: 20
        api: batch
        azure: {deployment: "bad/name", api_version: latest, auth: password}
      - name: b
        provider: bedrock
        model: m
        traffic_percentage: 20
        bedrock:
          region: "us-east-1.evil.com"
          access_key_id: {env: A}
          session_token: {env: T, file: /t}
      - name: b2
        provider: bedrock
        model: m
        traffic_percentage: 20
      - name: b3
        provider: bedrock
        model: m
        traffic_percentage: 20
        api_key: {env: K}
        bedrock:
          region: us-east-1
          access_key_id: {env: A}
          secret_access_key: {env: S}
      - name: c
        provider: cohere
        model: m
        traffic_percentage: 20
        base_url: "ftp://x"
        bedrock: {region: us-east-1}
`))
	if err == nil {
		t.Fatal("expected validation errors")
	}
	for _, w := range []string{
		`served_entities[0].base_url: required for provider azure_openai`,
		`served_entities[0].api: "batch"`,
		`azure.deployment: "bad/name"`,
		`azure.api_version: "latest"`,
		`azure.auth: "password"`,
		`bedrock.region: "us-east-1.evil.com"`,
		`bedrock.session_token: give exactly one of env or file`,
		`give both access_key_id and secret_access_key`,
		`served_entities[2].bedrock: required for provider bedrock`,
		`served_entities[3]: give AWS keys`,
		`served_entities[4].base_url: "ftp://x" is not an http(s) URL`,
		`served_entities[4].bedrock: only provider bedrock takes bedrock options`,
	} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error does not mention %q:\n%v", w, err)
		}
	}
}
