package provideradapter

import (
	"bytes"
	"errors"
	"os"
	"sync"
	"time"

	"github.com/tollgate/tollgate/services/kit/config"
	"github.com/tollgate/tollgate/services/kit/errs"
)

// secretFileTTL is how long a secret file's content is reused: rotation is
// picked up within this time without a file read on every request.
const secretFileTTL = time.Second

// secrets resolves SecretRefs at call time. Values never appear in errors or
// logs; errors name the reference (env:NAME, file:PATH) only in their cause,
// which is logged and never sent to clients.
type secrets struct {
	mu    sync.Mutex
	files map[string]cachedSecret
}

type cachedSecret struct {
	value  string
	readAt time.Time
}

func newSecrets() *secrets { return &secrets{files: map[string]cachedSecret{}} }

// resolve returns the secret, or "" for a nil reference (no key configured).
func (s *secrets) resolve(ref *config.SecretRef) (string, error) {
	if ref == nil {
		return "", nil
	}
	var v string
	switch {
	case ref.Env != "":
		v = os.Getenv(ref.Env)
	case ref.File != "":
		var err error
		if v, err = s.readFile(ref.File); err != nil {
			return "", missingCredentials(ref, err)
		}
	}
	if v == "" {
		return "", missingCredentials(ref, errors.New("empty"))
	}
	return v, nil
}

func (s *secrets) readFile(path string) (string, error) {
	now := time.Now()
	s.mu.Lock()
	c, ok := s.files[path]
	s.mu.Unlock()
	if ok && now.Sub(c.readAt) < secretFileTTL {
		return c.value, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the path is already in the reference
		}
		return "", err
	}
	v := string(bytes.TrimSpace(b))
	s.mu.Lock()
	s.files[path] = cachedSecret{value: v, readAt: now}
	s.mu.Unlock()
	return v, nil
}

func missingCredentials(ref *config.SecretRef, cause error) *errs.Error {
	e := errs.New(errs.KindInternal, "provider_credentials_unavailable",
		"the gateway's credentials for this model are not configured")
	e.Retryable = true // another served entity may have its own
	return e.Wrap(errors.New("api_key " + ref.String() + ": " + cause.Error()))
}
