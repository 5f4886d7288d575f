package telemetry

import "github.com/tollgate/tollgate/services/telemetry/spool"

// Spool is the durable event log (see package spool).
type Spool = spool.Spool

// OpenSpool opens or creates the spool in dir.
func OpenSpool(dir string, opts ...spool.Option) (*Spool, error) { return spool.Open(dir, opts...) }
