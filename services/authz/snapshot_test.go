package authz

import (
	"slices"
	"testing"
	"time"

	authzv1 "github.com/tollgate/tollgate/gen/go/tollgate/authz/v1"
	"github.com/tollgate/tollgate/services/kit/config"
)

const policyYAML = `
endpoints:
  - name: open-chat
    task: chat
    served_entities: [{name: f, provider: fake, model: m}]
    permissions:
      - {group: users, level: CAN_QUERY}
  - name: team-chat
    task: chat
    served_entities: [{name: f, provider: fake, model: m}]
    permissions:
      - {group: engineering, level: CAN_QUERY}
      - {principal: bot, level: CAN_MANAGE}
  - name: locked
    task: chat
    served_entities: [{name: f, provider: fake, model: m}]
principals:
  - {name: alice, type: user, groups: [backend]}
  - {name: bob, groups: [sales]}
  - {name: bot, type: service_principal}
groups:
  - {name: backend, groups: [engineering]}
  - {name: engineering, groups: [staff]}
  - {name: staff}
  - {name: sales, groups: [staff]}
  - {name: loop-a, groups: [loop-b]}
  - {name: loop-b, groups: [loop-a]}
tokens:
  - {name: alice-laptop, principal: alice, sha256: ` + "%ALICE%" + `}
  - {name: bob-old, principal: bob, sha256: ` + "%BOB%" + `, expires: 2001-02-03T04:05:06Z}
  - {principal: bot, sha256: ` + "%BOT%" + `}
`

func parsePolicy(t *testing.T, yaml string) *config.Config {
	t.Helper()
	cfg, err := config.Parse([]byte(fillTokens(yaml)))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestBuildSnapshotExpandsGroupsTransitively(t *testing.T) {
	snap := BuildSnapshot(parsePolicy(t, policyYAML), 7)
	if snap.GetVersion() != 7 {
		t.Fatalf("version %d, want 7", snap.GetVersion())
	}
	cases := map[string][]string{
		"alice": {"backend", "engineering", "staff"},
		"bob":   {"sales", "staff"},
		"bot":   {},
	}
	for name, want := range cases {
		got := snap.GetPrincipals()[name].GetGroups()
		if !slices.Equal(got, want) {
			t.Errorf("%s groups %v, want %v", name, got, want)
		}
	}
	if snap.GetPrincipals()["bot"].GetType() != authzv1.PrincipalType_PRINCIPAL_TYPE_SERVICE_PRINCIPAL {
		t.Error("bot should be a service principal")
	}
	if snap.GetPrincipals()["bob"].GetType() != authzv1.PrincipalType_PRINCIPAL_TYPE_USER {
		t.Error("principals default to user")
	}
}

func TestExpandGroupsSurvivesCycles(t *testing.T) {
	parents := map[string][]string{"loop-a": {"loop-b"}, "loop-b": {"loop-a", "users"}}
	got := expandGroups([]string{"loop-a"}, parents)
	if !slices.Equal(got, []string{"loop-a", "loop-b"}) {
		t.Fatalf("got %v", got)
	}
}

func TestBuildSnapshotTokens(t *testing.T) {
	snap := BuildSnapshot(parsePolicy(t, policyYAML), 1)
	if len(snap.GetTokens()) != 3 {
		t.Fatalf("%d tokens, want 3", len(snap.GetTokens()))
	}
	alice := snap.GetTokens()[config.HashToken(aliceToken)]
	if alice.GetPrincipal() != "alice" || alice.GetTokenName() != "alice-laptop" || alice.GetExpireTimeUnix() != 0 {
		t.Errorf("alice token %+v", alice)
	}
	bob := snap.GetTokens()[config.HashToken(bobToken)]
	if want := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC).Unix(); bob.GetExpireTimeUnix() != want {
		t.Errorf("bob expiry %d, want %d", bob.GetExpireTimeUnix(), want)
	}
	bot := snap.GetTokens()[config.HashToken(botToken)]
	if bot.GetTokenName() == "" {
		t.Error("an unnamed token still needs a label for logs")
	}
	for hash := range snap.GetTokens() {
		for _, secret := range []string{aliceToken, bobToken, botToken} {
			if hash == secret {
				t.Fatal("a token itself was put in the snapshot")
			}
		}
	}
}

func TestBuildSnapshotPermissions(t *testing.T) {
	snap := BuildSnapshot(parsePolicy(t, policyYAML), 1)
	grants := func(ep string) []*authzv1.Grant { return snap.GetEndpoints()[ep].GetGrants() }
	if g := grants("open-chat"); len(g) != 1 || g[0].GetGroup() != "users" || g[0].GetPermission() != authzv1.Permission_PERMISSION_CAN_QUERY {
		t.Errorf("open-chat grants %v", g)
	}
	g := grants("team-chat")
	if len(g) != 2 || g[0].GetGroup() != "engineering" || g[1].GetPrincipal() != "bot" ||
		g[1].GetPermission() != authzv1.Permission_PERMISSION_CAN_MANAGE {
		t.Errorf("team-chat grants %v", g)
	}
	if acl, ok := snap.GetEndpoints()["locked"]; !ok || len(acl.GetGrants()) != 0 {
		t.Error("an endpoint without grants must still be listed, with no grants")
	}
}
