package telemetry

import (
	"hash/maphash"
	"sync"

	telemetryv1 "github.com/tollgate/tollgate/gen/go/tollgate/telemetry/v1"
)

// DefaultDedupWindow is how many recent request ids the server remembers.
const DefaultDedupWindow = 1 << 20

// idKey stands for a request id: two independent 64-bit hashes, so a million
// remembered ids cost 16 bytes each instead of a string each, and the chance
// that two different ids collide (and one event is wrongly taken for a
// repeat) is around 2^-87 over the whole window (127 bits: see key). The
// seeds are per process; the index is rebuilt from the spool on start.
type idKey [2]uint64

// pendingWrite is one batch's spool append in flight. A stream that sees an
// id another stream is storing waits for that write before acknowledging: if
// it fails, neither stream may say the event is stored.
type pendingWrite struct {
	done chan struct{}
	err  error       // set before done closes
	n    writeNumber // set by claim
}

func newPendingWrite() *pendingWrite { return &pendingWrite{done: make(chan struct{})} }

// writeNumber names a claim's write in the index, so that the index's big
// map holds no pointers: the garbage collector then never scans it, which
// for a million remembered ids would cost milliseconds per collection.
type writeNumber uint64

// rebuilt is the write number of ids read back from the spool on start.
const rebuilt writeNumber = 0

// dedupIndex remembers the request ids of the most recent durable events,
// plus the ids being written right now.
type dedupIndex struct {
	seeds    [2]maphash.Seed
	capacity int

	mu sync.Mutex
	// entries maps an id to the write that stored it (or is storing it);
	// the id is durable unless that write is in inflight. A failed write's
	// ids are removed.
	entries   idTable
	inflight  map[writeNumber]*pendingWrite
	lastWrite writeNumber
	// ring holds durable ids in the order they became durable; the oldest is
	// forgotten when the window is full.
	ring []idKey
	next int
}

func newDedupIndex(capacity int) *dedupIndex {
	if capacity < 1 {
		capacity = 1
	}
	return &dedupIndex{
		seeds:    [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()},
		capacity: capacity,
		inflight: make(map[writeNumber]*pendingWrite),
	}
}

// key hashes an id. The low bit of the second hash is always set, so no key
// is the zero idKey (an empty slot of idTable); that leaves 127 bits.
func (x *dedupIndex) key(id string) idKey {
	return idKey{maphash.String(x.seeds[0], id), maphash.String(x.seeds[1], id) | 1}
}

func (x *dedupIndex) keyBytes(id []byte) idKey {
	return idKey{maphash.Bytes(x.seeds[0], id), maphash.Bytes(x.seeds[1], id) | 1}
}

// claim is what one batch holds.
type claim struct {
	fresh      []*telemetryv1.UsageEvent // to store; marked in flight under the write
	keys       []idKey                   // fresh's ids, in the same order
	duplicates int                       // already durable, or repeated within the batch
	missingID  int                       // events without a request id (not stored)
	waitFor    []*pendingWrite           // other streams' writes holding some of the batch's ids
}

// claim sorts events into fresh and repeats, marking the fresh ones as being
// stored by w. The caller must settle w.
func (x *dedupIndex) claim(events []*telemetryv1.UsageEvent, w *pendingWrite) claim {
	c := claim{fresh: make([]*telemetryv1.UsageEvent, 0, len(events)), keys: make([]idKey, 0, len(events))}
	x.mu.Lock()
	defer x.mu.Unlock()
	x.lastWrite++
	w.n = x.lastWrite
	x.inflight[w.n] = w
	for _, e := range events {
		id := e.GetDatabricksRequestId()
		if id == "" {
			c.missingID++
			continue
		}
		k := x.key(id)
		owner, seen := x.entries.putIfAbsent(k, w.n)
		if !seen {
			c.fresh = append(c.fresh, e)
			c.keys = append(c.keys, k)
			continue
		}
		c.duplicates++
		if other, storing := x.inflight[owner]; storing && other != w {
			c.addWait(other)
		}
	}
	return c
}

func (c *claim) addWait(w *pendingWrite) {
	for _, have := range c.waitFor {
		if have == w {
			return
		}
	}
	c.waitFor = append(c.waitFor, w)
}

// settle records the outcome of w, which stored keys: on success they become
// durable; on failure they are forgotten so a retry stores them.
func (x *dedupIndex) settle(w *pendingWrite, keys []idKey, err error) {
	x.mu.Lock()
	delete(x.inflight, w.n) // so entries holding w.n now read as durable
	for _, k := range keys {
		if err != nil {
			x.entries.delete(k)
			continue
		}
		x.remember(k)
	}
	x.mu.Unlock()
	w.err = err
	close(w.done)
}

// addDurable records an id already in the spool (rebuilding after a restart).
func (x *dedupIndex) addDurable(k idKey) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if _, seen := x.entries.putIfAbsent(k, rebuilt); seen {
		return
	}
	x.remember(k)
}

// remember appends k to the ring, forgetting the oldest durable id when full.
// Callers hold mu.
func (x *dedupIndex) remember(k idKey) {
	if len(x.ring) < x.capacity {
		x.ring = append(x.ring, k)
		return
	}
	old := x.ring[x.next]
	if i, seen := x.entries.find(old); seen {
		if _, storing := x.inflight[x.entries.slots[i].write]; !storing {
			x.entries.deleteAt(i)
		}
	}
	x.ring[x.next] = k
	x.next = (x.next + 1) % x.capacity
}

// len counts remembered and in-flight ids.
func (x *dedupIndex) len() int {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.entries.len()
}
