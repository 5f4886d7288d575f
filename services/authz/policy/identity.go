// Package policy is the router side of authz: it holds the policy snapshot the
// authz service streams and answers "who is this token" and "may they query
// this endpoint" locally, so the hot path costs one SHA-256 and a few map
// lookups and never an RPC.
package policy

// Principal types as Identity.Type reports them.
const (
	TypeUser             = "user"
	TypeServicePrincipal = "service_principal"
)

// Identity is an authenticated caller. Identities are built once per token
// when a snapshot arrives and shared by every request using that token, so
// callers must treat them (and the Groups slice) as read-only.
type Identity struct {
	// Principal is the principal's unique name.
	Principal string
	// Type is TypeUser or TypeServicePrincipal.
	Type string
	// Groups are every group the principal belongs to, parents included,
	// sorted. The implicit group "users" (every principal) is not listed.
	Groups []string
	// TokenName labels the token in logs and usage rows; it is never the secret.
	TokenName string
}
