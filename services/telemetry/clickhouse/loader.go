package clickhouse

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/protobuf/proto"

	telemetryv1 "github.com/tollgate/tollgate/gen/go/tollgate/telemetry/v1"
	"github.com/tollgate/tollgate/services/telemetry/spool"
)

// LoaderOptions tunes a Loader; zero fields take the defaults.
type LoaderOptions struct {
	// Name identifies the loader's progress in loader_state: one name per
	// spool (each telemetry replica has its own). Letters, digits, '_', '-'
	// and '.'; default "telemetry".
	Name string
	// BatchRows closes a batch at this many records (default 50000; at the
	// default BatchDelay a batch that fills on time alone is smaller).
	BatchRows int
	// BatchBytes closes a batch once its records' encoded size reaches this
	// (default 32 MiB), bounding memory when payloads are logged.
	BatchBytes int
	// BatchDelay closes a batch this long after its first record (default 500ms).
	BatchDelay time.Duration
	// MinBackoff and MaxBackoff bound the wait between retries of a failed
	// step (defaults 100ms and 10s; the wait doubles per failure, with jitter).
	MinBackoff time.Duration
	MaxBackoff time.Duration
	// BatchTimeout bounds one attempt at storing a batch (default 60s).
	BatchTimeout time.Duration
	// Log receives failures and recoveries (default: discarded).
	Log *slog.Logger
	// Registerer receives the loader's metrics (nil: not registered).
	Registerer prometheus.Registerer

	// faults lets tests stop the loader at chosen points (see faults.go).
	faults func(faultPoint) error
}

// Defaults.
const (
	DefaultLoaderName   = "telemetry"
	DefaultBatchRows    = 50000
	DefaultBatchBytes   = 32 << 20
	DefaultBatchDelay   = 500 * time.Millisecond
	DefaultMinBackoff   = 100 * time.Millisecond
	DefaultMaxBackoff   = 10 * time.Second
	DefaultBatchTimeout = 60 * time.Second
)

func (o LoaderOptions) withDefaults() LoaderOptions {
	if o.Name == "" {
		o.Name = DefaultLoaderName
	}
	if o.BatchRows <= 0 {
		o.BatchRows = DefaultBatchRows
	}
	if o.BatchBytes <= 0 {
		o.BatchBytes = DefaultBatchBytes
	}
	if o.BatchDelay <= 0 {
		o.BatchDelay = DefaultBatchDelay
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = DefaultMinBackoff
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = DefaultMaxBackoff
	}
	o.MaxBackoff = max(o.MaxBackoff, o.MinBackoff)
	if o.BatchTimeout <= 0 {
		o.BatchTimeout = DefaultBatchTimeout
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return o
}

// Loader drains a spool into ClickHouse, in order and exactly once per
// request id (see the package doc for how).
type Loader struct {
	sp      *spool.Spool
	store   *Store
	opts    LoaderOptions
	log     *slog.Logger
	metrics *loaderMetrics
	lag     *lagTracker

	// queryPrefix starts the query id of every insert the loader sends
	// (any process of this loader name); queryNonce tells this process's
	// apart.
	queryPrefix string
	queryNonce  string
	querySeq    atomic.Uint64

	// Owned by Run.
	loaded         spool.Position // every record before it is in ClickHouse
	last           spool.Position // start of the record ending at loaded
	lastID         string
	durable        loaderState    // the newest state row written or read
	seq            uint64         // last seq used for a state write
	reconcileUntil spool.Position // batches starting before it are reconciled
	payloadTables  map[string]struct{}

	durableLoaded atomic.Pointer[spool.Position]

	mu      sync.Mutex
	started bool
	closed  bool
	cancel  context.CancelFunc
	done    chan struct{}
}

// NewLoader prepares a loader of sp into store. It does not touch the
// network; Run connects, migrates and loads. The lead's wiring: start Run in
// a goroutine after the spool is open, and Close it before closing the spool.
func NewLoader(sp *spool.Spool, store *Store, opts LoaderOptions) (*Loader, error) {
	o := opts.withDefaults()
	if !validLoaderName(o.Name) {
		return nil, fmt.Errorf("clickhouse: loader name %q must be 1-100 letters, digits, '_', '-' or '.'", o.Name)
	}
	nonce := make([]byte, 6)
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("clickhouse: %w", err)
	}
	lag := newLagTracker(time.Now)
	m, err := newLoaderMetrics(o.Registerer, lag)
	if err != nil {
		return nil, fmt.Errorf("clickhouse: register metrics: %w", err)
	}
	l := &Loader{
		sp: sp, store: store, opts: o, log: o.Log, metrics: m, lag: lag,
		queryPrefix:   "tollgate-loader-" + o.Name + "-",
		queryNonce:    hex.EncodeToString(nonce),
		payloadTables: map[string]struct{}{},
		done:          make(chan struct{}),
	}
	l.durableLoaded.Store(&spool.Position{})
	return l, nil
}

// Loaded is the spool position up to which loader_state records the spool
// as loaded: segments wholly before Loaded().Segment are no longer needed by
// this loader (a spool retention job may delete them). Zero until Run has
// read the state.
func (l *Loader) Loaded() spool.Position { return *l.durableLoaded.Load() }

// Run loads until ctx ends or Close is called, then records its position
// and returns nil. ClickHouse being down or failing never ends Run: every
// step is retried with capped backoff while the spool keeps the events. It
// returns an error only for a spool it cannot read at all. Run may be
// called once.
func (l *Loader) Run(ctx context.Context) error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	if l.started {
		l.mu.Unlock()
		return errors.New("clickhouse: Loader.Run called twice")
	}
	l.started = true
	ctx, l.cancel = context.WithCancel(ctx)
	l.mu.Unlock()
	defer close(l.done)
	defer l.cancel()

	// Count what arrives from now on at once, so the lag shows even while
	// ClickHouse is unreachable at start; the backlog before it is counted
	// once ClickHouse has said where loading resumes.
	l.lag.begin()
	startEnd := l.sp.Committed()
	var counting sync.WaitGroup
	countCtx, stopCounting := context.WithCancel(ctx)
	defer counting.Wait()
	defer stopCounting()
	counting.Go(func() { countFresh(countCtx, l.sp, startEnd, l.lag, l.opts.MaxBackoff) })

	if err := l.prepare(ctx); err != nil {
		return ignoreCanceled(ctx, err)
	}
	resumeAt := l.loaded
	counting.Go(func() { countBacklog(countCtx, l.sp, resumeAt, startEnd, l.lag) })
	br, err := newBatchReader(l.sp, l.loaded, batchLimits{rows: l.opts.BatchRows, bytes: l.opts.BatchBytes, delay: l.opts.BatchDelay})
	if err != nil {
		return fmt.Errorf("clickhouse: read spool: %w", err)
	}
	defer br.close()

	// The next batch is read and decoded while the current one is stored:
	// two batches take turns, so reading never runs ahead by more than one.
	readCtx, stopReading := context.WithCancel(ctx)
	filled := make(chan *batch)
	free := make(chan *batch, 2)
	free <- newBatch()
	free <- newBatch()
	var reading sync.WaitGroup
	reading.Go(func() { l.readBatches(readCtx, br, free, filled) })
	defer reading.Wait()
	defer stopReading()

	for b := range filled {
		if err := l.loadBatch(ctx, b); err != nil {
			if errors.Is(err, errSimulatedCrash) {
				return err
			}
			break // ctx ended
		}
		free <- b
	}
	l.saveOnExit()
	return nil
}

// readBatches fills free batches from the spool, in order, and hands them
// to the loader until ctx ends.
func (l *Loader) readBatches(ctx context.Context, br *batchReader, free <-chan *batch, filled chan<- *batch) {
	defer close(filled)
	for {
		var b *batch
		select {
		case b = <-free:
		case <-ctx.Done():
			return
		}
		for attempt := 0; ; attempt++ {
			err := br.fill(ctx, b)
			if err == nil {
				break
			}
			if ctx.Err() != nil {
				return
			}
			l.metrics.errors.WithLabelValues(opSpoolRead).Inc()
			l.log.Error("clickhouse loader: cannot read the spool; retrying", "at", br.r.Position().String(), "attempt", attempt+1, "err", err)
			if !sleep(ctx, l.backoff(attempt)) {
				return
			}
		}
		select {
		case filled <- b:
		case <-ctx.Done():
			return
		}
	}
}

// Close stops Run and waits for it to record its position. Safe to call
// whether or not Run was started, and more than once.
func (l *Loader) Close() error {
	l.mu.Lock()
	started, cancel := l.started, l.cancel
	l.closed = true // a Run after Close returns at once
	l.mu.Unlock()
	if !started {
		return nil
	}
	cancel()
	<-l.done
	return nil
}

// prepare migrates the schema and finds where to resume, retrying until
// ClickHouse answers.
func (l *Loader) prepare(ctx context.Context) error {
	for attempt := 0; ; attempt++ {
		op, err := l.tryPrepare(ctx)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		l.metrics.errors.WithLabelValues(op).Inc()
		l.log.Warn("clickhouse loader: cannot start loading yet; retrying", "op", op, "attempt", attempt+1, "err", err)
		if !sleep(ctx, l.backoff(attempt)) {
			return ctx.Err()
		}
	}
}

func (l *Loader) tryPrepare(ctx context.Context) (op string, err error) {
	if err := l.store.Migrate(ctx); err != nil {
		return opMigrate, err
	}
	st, found, err := l.store.readState(ctx, l.opts.Name)
	if err != nil {
		return opState, err
	}
	l.seq = st.seq
	resume := found
	if found {
		if problem := l.verifyResume(st); problem != "" {
			l.metrics.errors.WithLabelValues(opSpoolMismatch).Inc()
			l.log.Error("clickhouse loader: the spool is not the one loaded so far; reloading it from the start, skipping events already in ClickHouse",
				"problem", problem, "loaded", st.loaded.String(), "spool_end", l.sp.Committed().String())
			resume = false
		}
	}
	if resume {
		l.loaded, l.last, l.lastID = st.loaded, st.last, st.lastID
		l.durable, l.reconcileUntil = st, st.pending
		l.durableLoaded.Store(&st.loaded)
		l.log.Info("clickhouse loader: resuming", "loaded", st.loaded.String(), "reconcile_until", st.pending.String())
		return "", nil
	}
	// Nothing trustworthy says how far this spool was loaded. If the table
	// has rows, every record now in the spool may already be there: check
	// each one (and record that intent first, so a crash does not lose it).
	l.loaded, l.last, l.lastID = spool.Position{}, spool.Position{}, ""
	l.durable = loaderState{}
	n, err := l.store.countRows(ctx, tableUsage)
	if err != nil {
		return opState, err
	}
	until := spool.Position{}
	if n > 0 {
		until = l.sp.Committed()
	}
	l.seq++
	st = loaderState{seq: l.seq, pending: until}
	if err := l.store.writeState(ctx, l.nextQueryID(), l.opts.Name, st); err != nil {
		return opState, err
	}
	l.durable, l.reconcileUntil = st, until
	l.durableLoaded.Store(&spool.Position{})
	l.log.Info("clickhouse loader: starting from the beginning of the spool", "rows_in_clickhouse", n, "reconcile_until", until.String())
	return "", nil
}

// verifyResume checks that st describes this spool: the record it says was
// loaded last is there, ends at st.loaded and has the recorded request id.
// It returns what is wrong, or "".
func (l *Loader) verifyResume(st loaderState) string {
	if st.loaded == (spool.Position{}) {
		return ""
	}
	if end := l.sp.Committed(); end.Less(st.loaded) {
		return "loaded position " + st.loaded.String() + " is past the spool's end " + end.String()
	}
	r, err := l.sp.Reader(st.last)
	if err != nil {
		return err.Error()
	}
	defer r.Close()
	raw, err := r.NextRaw()
	if err != nil {
		return "cannot read the last loaded record: " + err.Error()
	}
	if r.Position() != st.loaded {
		return "the last loaded record ends at " + r.Position().String() + ", not " + st.loaded.String()
	}
	if st.lastID == "" {
		return ""
	}
	var e telemetryv1.UsageEvent
	if err := proto.Unmarshal(raw, &e); err != nil || e.GetDatabricksRequestId() != st.lastID {
		return "the last loaded record is not request " + st.lastID
	}
	return ""
}

// loadBatch stores b, retrying until it is stored or ctx ends.
func (l *Loader) loadBatch(ctx context.Context, b *batch) error {
	for attempt := 0; ; attempt++ {
		started := time.Now()
		op, err := l.load(ctx, b)
		if err == nil {
			l.metrics.insertTime.Observe(time.Since(started).Seconds())
			if attempt > 0 {
				l.log.Info("clickhouse loader: stored the batch after failures", "attempts", attempt+1, "records", b.records)
			}
			return nil
		}
		if errors.Is(err, errSimulatedCrash) || ctx.Err() != nil {
			return err
		}
		l.metrics.errors.WithLabelValues(op).Inc()
		l.log.Warn("clickhouse loader: storing a batch failed; retrying", "op", op, "attempt", attempt+1,
			"from", b.start.String(), "records", b.records, "err", err)
		if !sleep(ctx, l.backoff(attempt)) {
			return ctx.Err()
		}
	}
}

// load makes one attempt at storing b. Steps, in the order that keeps
// loading exactly-once across a crash at any point:
//  1. record in loader_state that records up to b.end may be inserted;
//  2. if the batch may already be partly stored, drop the rows ClickHouse has;
//  3. insert the usage rows, then each payload table's rows;
//  4. only then treat the batch as loaded (the next state write says so).
func (l *Loader) load(ctx context.Context, b *batch) (op string, err error) {
	ctx, cancel := context.WithTimeout(ctx, l.opts.BatchTimeout)
	defer cancel()
	if l.durable.pending.Less(b.end) {
		l.seq++
		st := loaderState{seq: l.seq, loaded: l.loaded, last: l.last, lastID: l.lastID, pending: maxPosition(l.durable.pending, b.end)}
		if err := l.store.writeState(ctx, l.nextQueryID(), l.opts.Name, st); err != nil {
			return opState, err
		}
		l.durable = st
		l.durableLoaded.Store(&st.loaded)
	}
	if err := l.fault(faultAfterState); err != nil {
		return "", err
	}
	if b.start.Less(l.reconcileUntil) {
		if err := l.reconcile(ctx, b); err != nil {
			return opReconcile, err
		}
	}
	if op, err := l.insertRows(ctx, b); err != nil {
		// The outcome of an insert that failed is unknown: whatever retries
		// this batch must look before inserting again.
		l.reconcileUntil = maxPosition(l.reconcileUntil, b.end)
		return op, err
	}
	if err := l.fault(faultAfterInsert); err != nil {
		return "", err
	}
	l.loaded, l.last, l.lastID = b.end, b.last, b.lastID
	l.lag.loadedMore(int64(b.records))
	for reason, n := range b.skipped {
		l.metrics.rowsSkipped.WithLabelValues(reason).Add(float64(n))
	}
	return "", nil
}

// reconcile drops from b the rows ClickHouse already has, after waiting for
// any insert of this loader's that may still be running on the server.
func (l *Loader) reconcile(ctx context.Context, b *batch) error {
	if b.usage.len() == 0 && !b.hasPayloadRows() {
		return nil
	}
	if err := l.store.waitQuiet(ctx, l.queryPrefix, l.opts.MinBackoff); err != nil {
		return err
	}
	var found int
	if n := b.usage.len(); n > 0 {
		have, err := l.store.existingIDs(ctx, tableUsage, b.usage.requestID, b.usage.requestTime, b.usage.endpoint)
		if err != nil {
			return err
		}
		if len(have) > 0 {
			b.usage.keep(keepMissing(b.usage.requestID, have))
			found += n - b.usage.len()
		}
	}
	for _, p := range b.payloads {
		if p.len() == 0 {
			continue
		}
		if _, err := l.ensurePayloadTable(ctx, p.table); err != nil {
			return err
		}
		have, err := l.store.existingIDs(ctx, p.table, p.requestID, p.requestTime, nil)
		if err != nil {
			return err
		}
		if len(have) > 0 {
			p.keep(keepMissing(p.requestID, have))
		}
	}
	if found > 0 {
		l.metrics.rowsSkipped.WithLabelValues(skipAlreadyLoaded).Add(float64(found))
		l.log.Info("clickhouse loader: skipped events already in ClickHouse", "from", b.start.String(), "events", found)
	}
	return nil
}

func (b *batch) hasPayloadRows() bool {
	for _, p := range b.payloads {
		if p.len() > 0 {
			return true
		}
	}
	return false
}

func keepMissing(ids []string, have map[string]struct{}) []bool {
	keep := make([]bool, len(ids))
	for i, id := range ids {
		_, found := have[id]
		keep[i] = !found
	}
	return keep
}

// insertRows sends the batch's usage rows, then its payload rows. A block
// that went in is emptied, so a retry of the batch resends only what did not.
func (l *Loader) insertRows(ctx context.Context, b *batch) (op string, err error) {
	if n := b.usage.len(); n > 0 {
		if err := l.fault(faultMidInsert); err != nil {
			_ = l.sendUsage(ctx, b, 0, n/2) // the half that made it before the "crash"
			return "", err
		}
		if err := l.sendUsage(ctx, b, 0, n); err != nil {
			return opInsert, err
		}
		l.metrics.rowsInserted.WithLabelValues(metricTableUsage).Add(float64(n))
		b.usage.reset()
	}
	if err := l.fault(faultAfterUsage); err != nil {
		return "", err
	}
	for _, p := range b.payloads {
		n := p.len()
		if n == 0 {
			continue
		}
		if _, err := l.ensurePayloadTable(ctx, p.table); err != nil {
			return opInsert, err
		}
		err := l.store.insert(ctx, l.nextQueryID(), p.table, payloadColumns, func(bb driver.Batch) error {
			return appendColumns(bb, p.columns(0, n))
		})
		if err != nil {
			return opInsert, fmt.Errorf("%s: %w", p.table, err)
		}
		l.metrics.rowsInserted.WithLabelValues(metricTablePayload).Add(float64(n))
		p.keep(make([]bool, n))
	}
	return "", nil
}

func (l *Loader) sendUsage(ctx context.Context, b *batch, from, to int) error {
	return l.store.insert(ctx, l.nextQueryID(), tableUsage, usageColumns, func(bb driver.Batch) error {
		return appendColumns(bb, b.usage.columns(from, to))
	})
}

// ensurePayloadTable creates a payload table from the template the first
// time this process meets it.
func (l *Loader) ensurePayloadTable(ctx context.Context, table string) (created bool, err error) {
	if _, ok := l.payloadTables[table]; ok {
		return false, nil
	}
	if err := l.store.createPayloadTable(ctx, table); err != nil {
		return false, err
	}
	l.payloadTables[table] = struct{}{}
	return true, nil
}

// saveOnExit records the loaded position on the way out, so the next start
// needs no reconciliation. Failing is harmless: the next start then checks
// the last batch against ClickHouse.
func (l *Loader) saveOnExit() {
	if l.durable.loaded == l.loaded {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	l.seq++
	st := loaderState{seq: l.seq, loaded: l.loaded, last: l.last, lastID: l.lastID, pending: maxPosition(l.durable.pending, l.loaded)}
	if err := l.store.writeState(ctx, l.nextQueryID(), l.opts.Name, st); err != nil {
		l.metrics.errors.WithLabelValues(opState).Inc()
		l.log.Warn("clickhouse loader: could not record the loaded position on shutdown", "err", err)
		return
	}
	l.durable = st
	l.durableLoaded.Store(&st.loaded)
}

func (l *Loader) nextQueryID() string {
	return l.queryPrefix + l.queryNonce + "-" + strconv.FormatUint(l.querySeq.Add(1), 10)
}

// backoff is the wait before retry attempt+1: doubling from MinBackoff,
// capped at MaxBackoff, with the upper half randomised so replicas that
// failed together do not retry in step.
func (l *Loader) backoff(attempt int) time.Duration {
	return backoff(attempt, l.opts.MinBackoff, l.opts.MaxBackoff, mrand.Int64N)
}

func backoff(attempt int, lo, hi time.Duration, rnd func(int64) int64) time.Duration {
	d := lo
	for i := 0; i < attempt && d < hi; i++ {
		d *= 2
	}
	d = min(d, hi)
	half := d / 2
	return half + time.Duration(rnd(int64(half)+1))
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

func ignoreCanceled(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return nil
	}
	return err
}

func validLoaderName(s string) bool {
	if s == "" || len(s) > 100 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c == '-' || c == '.' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}
