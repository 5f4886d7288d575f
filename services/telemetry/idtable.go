package telemetry

// idTable maps request-id keys to the write that stored them: an
// open-addressing hash table with linear probing, built for the dedup
// window's traffic. Once the window is full every stored event adds one id
// and forgets the oldest, and most lookups are for ids not there (fresh
// events). Go's map handles that churn poorly: deletions leave tombstones
// that lengthen every probe for a missing key until the next rehash, and in
// a table of a million ids each probe is a cache miss. Here a deletion
// shifts the following entries back instead (no tombstones), so a lookup
// stops at the first empty slot, normally within the cache line it starts
// in; and the slots hold no pointers, so the garbage collector skips them.
//
// Keys are never the zero idKey (dedupIndex.key sets a bit), which marks an
// empty slot. Not safe for concurrent use.
type idTable struct {
	slots []idSlot // a power of two long
	n     int
}

type idSlot struct {
	key   idKey
	write writeNumber
}

// idTableMinSlots is the size of a new table; it doubles as it fills.
const idTableMinSlots = 1024

// idTableMaxLoad is the fill (in quarters) past which the table doubles:
// at 3/4 a probe for a missing key still reads only a few slots on average,
// and a full million-id window sits at 1/2 of 2^21 slots.
const idTableMaxLoad = 3

func (t *idTable) len() int { return t.n }

func (t *idTable) home(k idKey) int { return int(k[0] & uint64(len(t.slots)-1)) }

// find returns the slot holding k, or the empty slot where it would go (or
// not found in a table never grown).
func (t *idTable) find(k idKey) (i int, found bool) {
	if len(t.slots) == 0 {
		return 0, false
	}
	mask := len(t.slots) - 1
	for i = t.home(k); ; i = (i + 1) & mask {
		switch t.slots[i].key {
		case k:
			return i, true
		case idKey{}:
			return i, false
		}
	}
}

// get returns the write stored for k.
func (t *idTable) get(k idKey) (writeNumber, bool) {
	i, found := t.find(k)
	if !found {
		return 0, false
	}
	return t.slots[i].write, true
}

// putIfAbsent stores w for k unless k is there; it returns the write k
// already had and whether it had one.
func (t *idTable) putIfAbsent(k idKey, w writeNumber) (had writeNumber, found bool) {
	if 4*(t.n+1) > idTableMaxLoad*len(t.slots) {
		t.grow()
	}
	i, found := t.find(k)
	if found {
		return t.slots[i].write, true
	}
	t.slots[i] = idSlot{key: k, write: w}
	t.n++
	return 0, false
}

// delete removes k (if there), moving back the entries after it that would
// otherwise be cut off from their home slot.
func (t *idTable) delete(k idKey) {
	i, found := t.find(k)
	if found {
		t.deleteAt(i)
	}
}

func (t *idTable) deleteAt(hole int) {
	mask := len(t.slots) - 1
	for j := (hole + 1) & mask; t.slots[j].key != (idKey{}); j = (j + 1) & mask {
		// The entry at j may fill the hole unless its home lies cyclically
		// in (hole, j]: then it would move before its home and be lost.
		h := t.home(t.slots[j].key)
		if (j > hole && h > hole && h <= j) || (j < hole && (h > hole || h <= j)) {
			continue
		}
		t.slots[hole] = t.slots[j]
		hole = j
	}
	t.slots[hole] = idSlot{}
	t.n--
}

// grow doubles the table (or makes the first one) and re-inserts the entries.
func (t *idTable) grow() {
	old := t.slots
	t.slots = make([]idSlot, max(idTableMinSlots, 2*len(old)))
	for _, s := range old {
		if s.key != (idKey{}) {
			i, _ := t.find(s.key)
			t.slots[i] = s
		}
	}
}
