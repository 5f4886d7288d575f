package policy

import (
	"encoding/hex"
	"sort"

	authzv1 "github.com/tollgate/tollgate/gen/go/tollgate/authz/v1"
)

// allUsersGroup is the implicit group of every authenticated principal; a
// grant to it opens an endpoint to everyone with a valid token.
const allUsersGroup = "users"

// compiled is a snapshot rearranged for lookups: tokens keyed by their raw
// digest so Authenticate never hex-encodes, and grants as per-name levels.
type compiled struct {
	version   uint64
	tokens    map[[32]byte]tokenEntry
	endpoints map[string]*endpointACL
	// names are the endpoint names, sorted, for Queryable.
	names []string
}

type tokenEntry struct {
	id *Identity
	// expireUnix is when the token stops working; 0 means never.
	expireUnix int64
}

// level is a permission as an ordered number: a higher level implies the lower.
type level uint8

const (
	levelNone level = iota
	levelQuery
	levelManage
)

func levelOf(p authzv1.Permission) level {
	switch p {
	case authzv1.Permission_PERMISSION_CAN_QUERY:
		return levelQuery
	case authzv1.Permission_PERMISSION_CAN_MANAGE:
		return levelManage
	default:
		return levelNone
	}
}

// endpointACL holds the highest level granted to each name on one endpoint.
type endpointACL struct {
	everyone   level
	principals map[string]level
	groups     map[string]level
}

// levelFor is the highest level id holds on the endpoint, through any grant.
func (a *endpointACL) levelFor(id *Identity) level {
	best := a.everyone
	if l := a.principals[id.Principal]; l > best {
		best = l
	}
	for _, g := range id.Groups {
		if l := a.groups[g]; l > best {
			best = l
		}
	}
	return best
}

func compile(s *authzv1.PolicySnapshot) *compiled {
	c := &compiled{
		version:   s.GetVersion(),
		tokens:    make(map[[32]byte]tokenEntry, len(s.GetTokens())),
		endpoints: make(map[string]*endpointACL, len(s.GetEndpoints())),
	}
	for hash, grant := range s.GetTokens() {
		var digest [32]byte
		if n, err := hex.Decode(digest[:], []byte(hash)); err != nil || n != len(digest) {
			// The authz service validates hashes; a malformed one can match no token.
			continue
		}
		p := s.GetPrincipals()[grant.GetPrincipal()]
		if p == nil {
			continue
		}
		c.tokens[digest] = tokenEntry{
			id: &Identity{
				Principal: p.GetName(),
				Type:      typeName(p.GetType()),
				Groups:    p.GetGroups(),
				TokenName: grant.GetTokenName(),
			},
			expireUnix: grant.GetExpireTimeUnix(),
		}
	}
	for name, acl := range s.GetEndpoints() {
		ea := &endpointACL{principals: map[string]level{}, groups: map[string]level{}}
		for _, g := range acl.GetGrants() {
			l := levelOf(g.GetPermission())
			switch {
			case g.GetPrincipal() != "":
				ea.principals[g.GetPrincipal()] = max(ea.principals[g.GetPrincipal()], l)
			case g.GetGroup() == allUsersGroup:
				ea.everyone = max(ea.everyone, l)
			case g.GetGroup() != "":
				ea.groups[g.GetGroup()] = max(ea.groups[g.GetGroup()], l)
			}
		}
		c.endpoints[name] = ea
		c.names = append(c.names, name)
	}
	sort.Strings(c.names)
	return c
}

func typeName(t authzv1.PrincipalType) string {
	if t == authzv1.PrincipalType_PRINCIPAL_TYPE_SERVICE_PRINCIPAL {
		return TypeServicePrincipal
	}
	return TypeUser
}
