package policy

import (
	"crypto/sha256"
	"sync/atomic"
	"time"
	"unsafe"

	authzv1 "github.com/tollgate/tollgate/gen/go/tollgate/authz/v1"
	"github.com/tollgate/tollgate/services/kit/errs"
)

// Decider authenticates and authorizes against the latest policy snapshot.
// Readers do one atomic load; Set swaps in a precompiled snapshot, so requests
// in flight keep deciding against the snapshot they started with.
type Decider struct {
	current atomic.Pointer[compiled]
}

// NewDecider returns a Decider that is not ready until the first Set.
func NewDecider() *Decider { return &Decider{} }

// Set installs a snapshot; nil is ignored. The snapshot is compiled before it
// is published, so the cost is paid once per policy change, not per request.
func (d *Decider) Set(s *authzv1.PolicySnapshot) {
	if s == nil {
		return
	}
	d.current.Store(compile(s))
}

// Ready reports whether a snapshot has been set.
func (d *Decider) Ready() bool { return d.current.Load() != nil }

// Version is the current snapshot's version, 0 before the first.
func (d *Decider) Version() uint64 {
	if c := d.current.Load(); c != nil {
		return c.version
	}
	return 0
}

// Authenticate maps a bearer token to its identity. Errors never contain the
// token. The returned Identity is shared: do not modify it.
func (d *Decider) Authenticate(token string) (*Identity, error) {
	if token == "" {
		return nil, errs.Unauthenticated("missing API key: send it as 'Authorization: Bearer <key>'")
	}
	c := d.current.Load()
	if c == nil {
		return nil, errNotReady()
	}
	entry, ok := c.tokens[sha256.Sum256(readOnlyBytes(token))]
	if !ok || (entry.expireUnix != 0 && time.Now().Unix() >= entry.expireUnix) {
		// One message for unknown and expired: the answer must not confirm
		// that a guessed or leaked token was ever real.
		return nil, errs.Unauthenticated("invalid or expired API key")
	}
	return entry.id, nil
}

// Authorize decides whether id may query endpoint (CAN_MANAGE implies it).
// It assumes id came from Authenticate: an unknown endpoint is reported as
// not found only to authenticated callers.
func (d *Decider) Authorize(id *Identity, endpoint string) error {
	return d.Check(id, endpoint, authzv1.Permission_PERMISSION_CAN_QUERY)
}

// Check decides whether id holds the wanted permission on endpoint, through a
// grant to the principal, to any of its groups, or to the group "users".
func (d *Decider) Check(id *Identity, endpoint string, want authzv1.Permission) error {
	if id == nil {
		return errs.Unauthenticated("missing API key")
	}
	wantLevel := levelOf(want)
	if wantLevel == levelNone {
		return errs.Invalid("permission", "permission %s cannot be checked", want)
	}
	c := d.current.Load()
	if c == nil {
		return errNotReady()
	}
	acl := c.endpoints[endpoint]
	if acl == nil {
		return errs.NotFound("endpoint_not_found", "endpoint %q does not exist", endpoint)
	}
	if acl.levelFor(id) < wantLevel {
		return errs.Forbidden("principal %q lacks %s on endpoint %q", id.Principal, levelName(wantLevel), endpoint)
	}
	return nil
}

// Queryable lists, sorted, the endpoints id may query.
func (d *Decider) Queryable(id *Identity) []string {
	c := d.current.Load()
	if c == nil || id == nil {
		return nil
	}
	out := make([]string, 0, len(c.names))
	for _, name := range c.names {
		if c.endpoints[name].levelFor(id) >= levelQuery {
			out = append(out, name)
		}
	}
	return out
}

// readOnlyBytes views a string's bytes without copying them: []byte(token)
// would allocate for any token longer than 32 bytes, i.e. every real API key.
// Only for callees that neither modify nor retain the slice (SHA-256 does neither).
func readOnlyBytes(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

func errNotReady() error {
	return errs.New(errs.KindUnavailable, "policy_unavailable", "the access policy is not loaded yet; retry shortly")
}

func levelName(l level) string {
	if l == levelManage {
		return "CAN_MANAGE"
	}
	return "CAN_QUERY"
}
