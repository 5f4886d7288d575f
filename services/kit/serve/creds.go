package serve

import (
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
)

// insecureCreds is used inside the mesh; production deployments put the mesh
// behind mTLS (service mesh sidecar) — see deploy/.
func insecureCreds() credentials.TransportCredentials { return insecure.NewCredentials() }
