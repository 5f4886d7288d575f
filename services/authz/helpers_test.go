package authz

import (
	"strings"

	"github.com/tollgate/tollgate/services/kit/config"
)

// Bearer tokens of the test configs; the configs hold only their hashes.
const (
	aliceToken = "tg-alice-secret-0001"
	bobToken   = "tg-bob-secret-0002"
	botToken   = "tg-bot-secret-0003"
)

func fillTokens(yaml string) string {
	return strings.NewReplacer(
		"%ALICE%", config.HashToken(aliceToken),
		"%BOB%", config.HashToken(bobToken),
		"%BOT%", config.HashToken(botToken),
	).Replace(yaml)
}
