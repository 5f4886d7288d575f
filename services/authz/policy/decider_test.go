package policy

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"testing"
	"time"

	authzv1 "github.com/tollgate/tollgate/gen/go/tollgate/authz/v1"
	"github.com/tollgate/tollgate/services/kit/errs"
)

func hashOf(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

const (
	query  = authzv1.Permission_PERMISSION_CAN_QUERY
	manage = authzv1.Permission_PERMISSION_CAN_MANAGE
)

// testSnapshot: alice (groups backend, engineering), bob (sales), bot (service
// principal, no groups). Endpoints: open (users may query), team (engineering
// may query, bot may manage), admin (alice may manage), locked (no grants).
func testSnapshot(version uint64) *authzv1.PolicySnapshot {
	return &authzv1.PolicySnapshot{
		Version: version,
		Tokens: map[string]*authzv1.TokenGrant{
			hashOf("alice-token"):   {Principal: "alice", TokenName: "alice-laptop"},
			hashOf("bob-token"):     {Principal: "bob", TokenName: "bob-ci"},
			hashOf("bot-token"):     {Principal: "bot", TokenName: "bot-key"},
			hashOf("expired-token"): {Principal: "bob", TokenName: "bob-old", ExpireTimeUnix: time.Now().Add(-time.Second).Unix()},
			hashOf("future-token"):  {Principal: "bob", TokenName: "bob-new", ExpireTimeUnix: time.Now().Add(time.Hour).Unix()},
			hashOf("ghost-token"):   {Principal: "ghost", TokenName: "dangling"},
			"not-hex":               {Principal: "alice", TokenName: "broken"},
		},
		Principals: map[string]*authzv1.Principal{
			"alice": {Name: "alice", Type: authzv1.PrincipalType_PRINCIPAL_TYPE_USER, Groups: []string{"backend", "engineering"}},
			"bob":   {Name: "bob", Type: authzv1.PrincipalType_PRINCIPAL_TYPE_USER, Groups: []string{"sales"}},
			"bot":   {Name: "bot", Type: authzv1.PrincipalType_PRINCIPAL_TYPE_SERVICE_PRINCIPAL},
		},
		Endpoints: map[string]*authzv1.EndpointAcl{
			"open":   {Grants: []*authzv1.Grant{{Group: "users", Permission: query}}},
			"team":   {Grants: []*authzv1.Grant{{Group: "engineering", Permission: query}, {Principal: "bot", Permission: manage}}},
			"admin":  {Grants: []*authzv1.Grant{{Principal: "alice", Permission: manage}, {Group: "sales", Permission: authzv1.Permission_PERMISSION_UNSPECIFIED}}},
			"locked": {},
		},
	}
}

func readyDecider(t testing.TB) *Decider {
	t.Helper()
	d := NewDecider()
	d.Set(testSnapshot(3))
	return d
}

func kindOf(err error) errs.Kind {
	if err == nil {
		return -1
	}
	return errs.From(err).Kind
}

func TestAuthenticate(t *testing.T) {
	d := readyDecider(t)
	cases := []struct {
		token     string
		principal string
		typ       string
		tokenName string
		wantKind  errs.Kind
	}{
		{token: "alice-token", principal: "alice", typ: TypeUser, tokenName: "alice-laptop", wantKind: -1},
		{token: "bot-token", principal: "bot", typ: TypeServicePrincipal, tokenName: "bot-key", wantKind: -1},
		{token: "future-token", principal: "bob", typ: TypeUser, tokenName: "bob-new", wantKind: -1},
		{token: "", wantKind: errs.KindUnauthenticated},
		{token: "wrong-token", wantKind: errs.KindUnauthenticated},
		{token: "expired-token", wantKind: errs.KindUnauthenticated},
		{token: "ghost-token", wantKind: errs.KindUnauthenticated},
		{token: "not-hex", wantKind: errs.KindUnauthenticated},
	}
	for _, c := range cases {
		t.Run(c.token, func(t *testing.T) {
			id, err := d.Authenticate(c.token)
			if got := kindOf(err); got != c.wantKind {
				t.Fatalf("error kind %v (%v), want %v", got, err, c.wantKind)
			}
			if err != nil {
				if id != nil {
					t.Fatal("an identity came back with an error")
				}
				if c.token != "" && strings.Contains(err.Error(), c.token) {
					t.Fatalf("error echoes the token: %v", err)
				}
				return
			}
			if id.Principal != c.principal || id.Type != c.typ || id.TokenName != c.tokenName {
				t.Fatalf("identity %+v", id)
			}
		})
	}
	id, _ := d.Authenticate("alice-token")
	if !slices.Equal(id.Groups, []string{"backend", "engineering"}) {
		t.Errorf("groups %v", id.Groups)
	}
	if _, err := d.Authenticate(""); !strings.Contains(err.Error(), "missing API key") {
		t.Errorf("empty token should say the key is missing: %v", err)
	}
}

func TestAuthenticateBeforeFirstSnapshot(t *testing.T) {
	d := NewDecider()
	if d.Ready() || d.Version() != 0 {
		t.Fatal("a new decider must not be ready")
	}
	_, err := d.Authenticate("alice-token")
	if e := errs.From(err); e.Kind != errs.KindUnavailable || e.Code != "policy_unavailable" {
		t.Fatalf("got %+v, want policy_unavailable", e)
	}
	d.Set(nil)
	if d.Ready() {
		t.Fatal("a nil snapshot must not make the decider ready")
	}
	d.Set(testSnapshot(9))
	if !d.Ready() || d.Version() != 9 {
		t.Fatalf("ready=%v version=%d", d.Ready(), d.Version())
	}
}

func TestAuthorize(t *testing.T) {
	d := readyDecider(t)
	cases := []struct {
		token, endpoint string
		want            errs.Kind
	}{
		{"alice-token", "open", -1},                       // users group
		{"bob-token", "open", -1},                         // users group
		{"alice-token", "team", -1},                       // through group engineering
		{"bot-token", "team", -1},                         // CAN_MANAGE implies CAN_QUERY
		{"alice-token", "admin", -1},                      // direct principal grant
		{"bob-token", "team", errs.KindPermissionDenied},  // not in engineering
		{"bob-token", "admin", errs.KindPermissionDenied}, // an unspecified grant gives nothing
		{"alice-token", "locked", errs.KindPermissionDenied},
		{"alice-token", "nope", errs.KindNotFound},
	}
	for _, c := range cases {
		t.Run(c.token+"/"+c.endpoint, func(t *testing.T) {
			id, err := d.Authenticate(c.token)
			if err != nil {
				t.Fatal(err)
			}
			if got := kindOf(d.Authorize(id, c.endpoint)); got != c.want {
				t.Fatalf("kind %v, want %v", got, c.want)
			}
		})
	}
	id, _ := d.Authenticate("alice-token")
	if e := errs.From(d.Authorize(id, "nope")); e.Code != "endpoint_not_found" || !strings.Contains(e.Message, `"nope"`) {
		t.Errorf("unknown endpoint error %+v", e)
	}
	if kindOf(d.Authorize(nil, "open")) != errs.KindUnauthenticated {
		t.Error("no identity must be unauthenticated, never not-found")
	}
}

func TestCheckManage(t *testing.T) {
	d := readyDecider(t)
	alice, _ := d.Authenticate("alice-token")
	bot, _ := d.Authenticate("bot-token")
	if err := d.Check(alice, "admin", manage); err != nil {
		t.Errorf("alice manages admin: %v", err)
	}
	if kindOf(d.Check(alice, "team", manage)) != errs.KindPermissionDenied {
		t.Error("CAN_QUERY must not imply CAN_MANAGE")
	}
	if err := d.Check(bot, "team", manage); err != nil {
		t.Errorf("bot manages team: %v", err)
	}
	if kindOf(d.Check(alice, "open", authzv1.Permission_PERMISSION_UNSPECIFIED)) != errs.KindInvalidArgument {
		t.Error("an unspecified permission cannot be checked")
	}
}

func TestQueryable(t *testing.T) {
	d := readyDecider(t)
	for token, want := range map[string][]string{
		"alice-token": {"admin", "open", "team"},
		"bob-token":   {"open"},
		"bot-token":   {"open", "team"},
	} {
		id, _ := d.Authenticate(token)
		if got := d.Queryable(id); !slices.Equal(got, want) {
			t.Errorf("%s: %v, want %v", token, got, want)
		}
	}
	if NewDecider().Queryable(&Identity{Principal: "alice"}) != nil {
		t.Error("no snapshot, nothing queryable")
	}
}

func TestSetReplacesPolicy(t *testing.T) {
	d := readyDecider(t)
	next := testSnapshot(4)
	delete(next.Tokens, hashOf("alice-token"))
	next.Endpoints["open"] = &authzv1.EndpointAcl{}
	bob, _ := d.Authenticate("bob-token")
	d.Set(next)
	if _, err := d.Authenticate("alice-token"); kindOf(err) != errs.KindUnauthenticated {
		t.Fatal("a removed token must stop working")
	}
	if kindOf(d.Authorize(bob, "open")) != errs.KindPermissionDenied {
		t.Fatal("a revoked grant must stop working, even for an identity from the old snapshot")
	}
	if d.Version() != 4 {
		t.Fatalf("version %d", d.Version())
	}
}

// longToken has the length of real API keys, past the compiler's 32-byte
// stack buffer for string-to-bytes conversions.
const longToken = "tg-live-4f9c1e7a2b8d6035e1f4a9c7b2d80e6f3a5c9b1d7e2f4a6c8b0d3e5f"

func BenchmarkAuthenticateAuthorize(b *testing.B) {
	d := NewDecider()
	snap := testSnapshot(3)
	snap.Tokens[hashOf(longToken)] = &authzv1.TokenGrant{Principal: "alice", TokenName: "alice-long"}
	d.Set(snap)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			id, err := d.Authenticate(longToken)
			if err != nil {
				b.Fatal(err)
			}
			if err := d.Authorize(id, "team"); err != nil {
				b.Fatal(err)
			}
		}
	})
}
