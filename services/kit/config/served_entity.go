package config

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

// ServedEntityID names one version of a served entity's configuration: it
// changes whenever anything that decides where or how calls go changes. It
// is the served_entity_id of usage rows and of the served-entities table.
// Secrets are references, so hashing the configuration reveals nothing.
func ServedEntityID(endpoint string, se *ServedEntity) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\x00%s\x00%s\x00%d\x00%v\x00%v\x00%v\x00%v",
		endpoint, se.Name, se.Provider, se.API, se.Model, se.BaseURL, se.TrafficPercentage, se.APIKey, se.Headers, se.Timeout, se.Fake)
	// Added only when set, so the ids of entities without them stay as they were.
	if se.Project != "" || se.Location != "" {
		fmt.Fprintf(h, "\x00vertex%s\x00%s", se.Project, se.Location)
	}
	if se.Azure != nil {
		fmt.Fprintf(h, "\x00azure%v", *se.Azure)
	}
	if se.Bedrock != nil {
		fmt.Fprintf(h, "\x00bedrock%s\x00%v\x00%v\x00%v", se.Bedrock.Region, se.Bedrock.AccessKeyID, se.Bedrock.SecretAccessKey, se.Bedrock.SessionToken)
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}
