package authz

import (
	"sort"

	authzv1 "github.com/tollgate/tollgate/gen/go/tollgate/authz/v1"
	"github.com/tollgate/tollgate/services/kit/config"
)

// BuildSnapshot turns the identity and permission part of a config into the
// policy snapshot routers decide on. Each principal's groups are expanded
// through parent groups so routers never walk the hierarchy per request.
func BuildSnapshot(cfg *config.Config, version uint64) *authzv1.PolicySnapshot {
	snap := &authzv1.PolicySnapshot{
		Version:    version,
		Tokens:     make(map[string]*authzv1.TokenGrant, len(cfg.Tokens)),
		Principals: make(map[string]*authzv1.Principal, len(cfg.Principals)),
		Endpoints:  make(map[string]*authzv1.EndpointAcl, len(cfg.Endpoints)),
	}
	parents := make(map[string][]string, len(cfg.Groups))
	for _, g := range cfg.Groups {
		parents[g.Name] = g.Groups
	}
	for _, p := range cfg.Principals {
		snap.Principals[p.Name] = &authzv1.Principal{
			Name:   p.Name,
			Type:   principalType(p.Type),
			Groups: expandGroups(p.Groups, parents),
		}
	}
	for _, t := range cfg.Tokens {
		grant := &authzv1.TokenGrant{Principal: t.Principal, TokenName: t.Name}
		if grant.TokenName == "" {
			// A digest prefix still tells tokens apart in logs and reveals nothing usable.
			grant.TokenName = "token-" + t.SHA256[:min(8, len(t.SHA256))]
		}
		if !t.Expires.IsZero() {
			grant.ExpireTimeUnix = t.Expires.Unix()
		}
		snap.Tokens[t.SHA256] = grant
	}
	for _, ep := range cfg.Endpoints {
		// Every endpoint gets an entry, even without grants, so routers answer
		// "forbidden" rather than "not found" for endpoints that exist.
		acl := &authzv1.EndpointAcl{}
		for _, perm := range ep.Permissions {
			acl.Grants = append(acl.Grants, &authzv1.Grant{
				Principal:  perm.Principal,
				Group:      perm.Group,
				Permission: permission(perm.Level),
			})
		}
		snap.Endpoints[ep.Name] = acl
	}
	return snap
}

// expandGroups returns direct groups and all their ancestors, sorted and
// without duplicates. Cycles in the config end the walk instead of looping.
// The implicit group "users" is left out: everyone is in it.
func expandGroups(direct []string, parents map[string][]string) []string {
	seen := map[string]bool{}
	var walk func(string)
	walk = func(g string) {
		if seen[g] {
			return
		}
		seen[g] = true
		for _, p := range parents[g] {
			walk(p)
		}
	}
	for _, g := range direct {
		walk(g)
	}
	delete(seen, config.AllUsersGroup)
	out := make([]string, 0, len(seen))
	for g := range seen {
		out = append(out, g)
	}
	sort.Strings(out)
	return out
}

func principalType(t string) authzv1.PrincipalType {
	if t == config.PrincipalServicePrincipal {
		return authzv1.PrincipalType_PRINCIPAL_TYPE_SERVICE_PRINCIPAL
	}
	return authzv1.PrincipalType_PRINCIPAL_TYPE_USER
}

func permission(level string) authzv1.Permission {
	switch level {
	case config.LevelCanManage:
		return authzv1.Permission_PERMISSION_CAN_MANAGE
	case config.LevelCanQuery:
		return authzv1.Permission_PERMISSION_CAN_QUERY
	default:
		return authzv1.Permission_PERMISSION_UNSPECIFIED
	}
}
