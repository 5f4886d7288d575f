package quota

import (
	quotav1 "github.com/tollgate/tollgate/gen/go/tollgate/quota/v1"
	"github.com/tollgate/tollgate/services/kit/config"
)

// limitIndex is the config's rate limits arranged for lookup by counter key.
type limitIndex struct {
	configVersion uint64
	endpoints     map[string]*endpointLimits
}

// endpointLimits holds one endpoint's calls-per-minute limits; 0 means none.
// When several limits cover the same counter the tightest wins.
type endpointLimits struct {
	endpoint int64
	// eachUser applies to every principal separately (user scope, no subject).
	eachUser int64
	users    map[string]int64
	groups   map[string]int64
}

func buildLimitIndex(snap *config.Snapshot) *limitIndex {
	ix := &limitIndex{configVersion: snap.Version, endpoints: map[string]*endpointLimits{}}
	for _, ep := range snap.Config.Endpoints {
		if len(ep.RateLimits) == 0 {
			continue
		}
		el := &endpointLimits{users: map[string]int64{}, groups: map[string]int64{}}
		for _, rl := range ep.RateLimits {
			switch rl.Scope {
			case config.ScopeEndpoint:
				el.endpoint = tightest(el.endpoint, rl.CallsPerMinute)
			case config.ScopeUser:
				if rl.Subject == "" {
					el.eachUser = tightest(el.eachUser, rl.CallsPerMinute)
				} else {
					el.users[rl.Subject] = tightest(el.users[rl.Subject], rl.CallsPerMinute)
				}
			case config.ScopeGroup:
				el.groups[rl.Subject] = tightest(el.groups[rl.Subject], rl.CallsPerMinute)
			}
		}
		ix.endpoints[ep.Name] = el
	}
	return ix
}

// limitFor is the calls-per-minute limit on one counter, 0 when unconstrained.
func (ix *limitIndex) limitFor(k counterKey) int64 {
	el := ix.endpoints[k.endpoint]
	if el == nil {
		return 0
	}
	switch k.scope {
	case quotav1.Scope_SCOPE_ENDPOINT:
		return el.endpoint
	case quotav1.Scope_SCOPE_USER:
		return tightest(el.eachUser, el.users[k.subject])
	case quotav1.Scope_SCOPE_GROUP:
		return el.groups[k.subject]
	default:
		return 0
	}
}

// tightest combines two limits where 0 means "no limit".
func tightest(a, b int64) int64 {
	switch {
	case a == 0:
		return b
	case b == 0:
		return a
	default:
		return min(a, b)
	}
}
