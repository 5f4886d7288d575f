package spool

import (
	"slices"
	"sync"

	telemetryv1 "github.com/tollgate/tollgate/gen/go/tollgate/telemetry/v1"
)

// Appended is one durable append as a tap sees it: the events and where
// their records lie in the log, From (the first record) up to To (just past
// the last). A Reader at From that is moved to To (Reader.Seek) has skipped
// exactly these events.
type Appended struct {
	Events   []*telemetryv1.UsageEvent
	From, To Position
}

// taps are the functions that see every append as it becomes durable.
type taps struct {
	mu   sync.Mutex
	list []*func(Appended)
}

// Tap makes fn see every append from now on, in log order, once it is
// durable and before its appender hears so, before Committed includes it
// and before Changed fires. It lets a
// stage that drains the log take the newest events as they are, instead of
// reading back and decoding what was just written; what it misses (before
// the tap, or when it cannot keep up) it reads from the log as before.
//
// fn runs on the spool's writer goroutine, so it must be quick and must not
// call the spool. The events belong to the appender: fn must copy what it
// keeps and not modify them. remove stops the calls.
func (s *Spool) Tap(fn func(Appended)) (remove func()) {
	p := &fn
	s.taps.mu.Lock()
	s.taps.list = append(slices.Clip(s.taps.list), p)
	s.taps.mu.Unlock()
	return func() {
		s.taps.mu.Lock()
		s.taps.list = slices.DeleteFunc(slices.Clone(s.taps.list), func(q *func(Appended)) bool { return q == p })
		s.taps.mu.Unlock()
	}
}

// tell passes a committed group to the taps; group[i] was written at
// offsets[i] of segment.
func (s *Spool) tell(segment uint64, group []*appendRequest, offsets []int64) {
	s.taps.mu.Lock()
	list := s.taps.list
	s.taps.mu.Unlock()
	if len(list) == 0 {
		return
	}
	for i, req := range group {
		a := Appended{
			Events: req.events,
			From:   Position{Segment: segment, Offset: offsets[i]},
			To:     Position{Segment: segment, Offset: offsets[i] + int64(len(req.data))},
		}
		for _, fn := range list {
			(*fn)(a)
		}
	}
}
