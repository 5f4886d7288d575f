package clickhouse

import (
	"errors"
	"fmt"
)

// faultPoint names a moment in loading one batch where a crash is worth
// testing. Tests set LoaderOptions.faults; when it returns an error there,
// the loader stops at once, as if the process had died: no further
// statement, no state written on the way out.
type faultPoint int

const (
	// faultAfterState: the batch's range is recorded as pending, nothing
	// inserted yet.
	faultAfterState faultPoint = iota + 1
	// faultMidInsert: only the first half of the batch's usage rows reach
	// ClickHouse (as when a multi-partition insert dies part way).
	faultMidInsert
	// faultAfterUsage: usage rows inserted, payload rows not.
	faultAfterUsage
	// faultAfterInsert: every row inserted, the loaded position not yet
	// recorded.
	faultAfterInsert
)

// errSimulatedCrash wraps a fault hook's error; Run returns it at once.
var errSimulatedCrash = errors.New("clickhouse loader: simulated crash")

func (l *Loader) fault(p faultPoint) error {
	if l.opts.faults == nil {
		return nil
	}
	if err := l.opts.faults(p); err != nil {
		return fmt.Errorf("%w: %w", errSimulatedCrash, err)
	}
	return nil
}
