package config

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"

	"gopkg.in/yaml.v3"
)

//go:embed default.yaml
var defaultYAML []byte

// DevToken is the token of the embedded default config. The default binds
// loopback only, so this well-known value cannot reach a network.
const DevToken = "tollgate-dev-token"

// DefaultYAML is the embedded development config text.
func DefaultYAML() []byte { return bytes.Clone(defaultYAML) }

// Load reads and validates a file; "" means the embedded default.
func Load(path string) (*Config, error) {
	if path == "" {
		return Parse(defaultYAML)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	c, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	return c, nil
}

// Parse decodes YAML strictly (unknown keys are errors: a typo must not
// silently disable a limit) and validates, reporting every problem at once.
func Parse(b []byte) (*Config, error) {
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, errors.New("parse: the config is empty")
	}
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, errEOF) {
		return nil, fmt.Errorf("parse: %w", err)
	}
	c.applyDefaults()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// tableRune keeps a rune that may stand in a table name, else '_'.
func tableRune(r rune) rune {
	if r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
		return r
	}
	return '_'
}

// HashToken is how tokens are stored: hex SHA-256.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

func (c *Config) applyDefaults() {
	if c.Gateway.MaxRequestBytes == 0 {
		c.Gateway.MaxRequestBytes = 16 << 20
	}
	for i := range c.Endpoints {
		ep := &c.Endpoints[i]
		if it := ep.InferenceTable; it != nil {
			if it.SamplingFraction == 0 {
				it.SamplingFraction = 1
			}
			if it.MaxPayloadBytes == 0 {
				it.MaxPayloadBytes = 1 << 20
			}
			if it.TableNamePrefix == "" {
				it.TableNamePrefix = strings.Map(tableRune, ep.Name)
			}
		}
		if len(ep.ServedEntities) == 1 && ep.ServedEntities[0].TrafficPercentage == 0 {
			ep.ServedEntities[0].TrafficPercentage = 100
		}
		for j := range ep.ServedEntities {
			se := &ep.ServedEntities[j]
			if se.Name == "" {
				se.Name = se.Model
			}
			if se.Timeout == 0 {
				se.Timeout = Duration(defaultTimeout)
			}
			if se.Provider == ProviderOpenAI && se.BaseURL == "" {
				se.BaseURL = "https://api.openai.com/v1"
			}
		}
	}
	for i := range c.Principals {
		if c.Principals[i].Type == "" {
			c.Principals[i].Type = PrincipalUser
		}
	}
}
