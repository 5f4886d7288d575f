package lease

import (
	"slices"
	"sync"

	quotav1 "github.com/tollgate/tollgate/gen/go/tollgate/quota/v1"
)

// allUsersGroup is the implicit group of every authenticated principal; a
// group limit on it counts every caller, so its key is always sent.
const allUsersGroup = "users"

// keySetID names the local lease of one request shape. Groups are not part of
// it: they follow from the principal and are compared on use instead.
type keySetID struct {
	endpoint  string
	principal string
}

// keySet is the locally held lease and cached answers for one request shape.
// Times are unix nanoseconds of the limiter's clock.
type keySet struct {
	mu sync.Mutex

	endpoint string
	groups   []string // the groups keys were built for
	keys     []*quotav1.LimitKey
	// generation changes with the keys, so an answer for old keys is not
	// applied to new ones.
	generation uint64

	leaseID     string
	permits     int64
	leaseExpiry int64
	// batch is how many calls the next Reserve asks for; it doubles with each
	// grant in a window so busy key sets need few round trips.
	batch int64

	unlimitedUntil   int64
	deniedUntil      int64
	deniedKey        *quotav1.LimitKey
	unreachableUntil int64

	// refill is non-nil while a Reserve is in flight and closed when its
	// answer has been applied; other callers wait on it instead of asking too.
	refill chan struct{}

	lastUsed int64
}

func newKeySet(endpoint, principal string, groups []string) *keySet {
	ks := &keySet{endpoint: endpoint, batch: 1}
	ks.rekey(principal, groups)
	return ks
}

// rekey rebuilds the keys for new group memberships; cached answers were for
// the old keys, so they are dropped (held permits lapse).
func (ks *keySet) rekey(principal string, groups []string) {
	ks.generation++
	ks.groups = slices.Clone(groups)
	// A fresh slice: a Reserve in flight may still be reading the old one.
	ks.keys = make([]*quotav1.LimitKey, 0, len(groups)+3)
	ks.keys = append(ks.keys, &quotav1.LimitKey{EndpointName: ks.endpoint, Scope: quotav1.Scope_SCOPE_ENDPOINT})
	if principal != "" {
		ks.keys = append(ks.keys, &quotav1.LimitKey{EndpointName: ks.endpoint, Scope: quotav1.Scope_SCOPE_USER, Subject: principal})
	}
	seen := map[string]bool{}
	for _, g := range append(slices.Clone(groups), allUsersGroup) {
		if g == "" || seen[g] {
			continue
		}
		seen[g] = true
		ks.keys = append(ks.keys, &quotav1.LimitKey{EndpointName: ks.endpoint, Scope: quotav1.Scope_SCOPE_GROUP, Subject: g})
	}
	ks.leaseID, ks.permits, ks.leaseExpiry, ks.batch = "", 0, 0, 1
	ks.unlimitedUntil, ks.deniedUntil, ks.deniedKey, ks.unreachableUntil = 0, 0, nil, 0
}

// idle reports whether the key set holds nothing worth keeping at now.
func (ks *keySet) idle(now, idleFor int64) bool {
	return ks.refill == nil && now-ks.lastUsed > idleFor &&
		now >= ks.leaseExpiry && now >= ks.deniedUntil && now >= ks.unlimitedUntil
}
