// Package promreg registers collectors without panicking: when a collector
// with the same description is already registered (two components of the
// all-in-one binary sharing a registry), the existing one is used.
package promreg

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// Register registers c on reg and returns the collector to use: c, or the one
// already registered under the same name and labels. A nil reg registers nothing.
// Any other registration error (a programming mistake, such as a name clash
// with different labels) leaves c unregistered and is returned.
func Register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	if reg == nil {
		return c, nil
	}
	err := reg.Register(c)
	if err == nil {
		return c, nil
	}
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if existing, ok := are.ExistingCollector.(C); ok {
			return existing, nil
		}
	}
	return c, err
}
