package export

import "strings"

// arenaChunkBytes is the size of one chunk of kept records: a few thousand
// usage events.
const arenaChunkBytes = 1 << 20

// recordArena keeps copies of spool records as strings, so the rows decoded
// from a record can hold substrings of it instead of a copy of every field.
// The chunks are strings.Builders, which never change bytes already written:
// a chunk that is full is simply left behind, and the garbage collector frees
// it once no row points into it any more.
type recordArena struct {
	chunk strings.Builder
}

// keep returns a string holding a copy of rec.
func (a *recordArena) keep(rec []byte) string {
	if a.chunk.Cap()-a.chunk.Len() < len(rec) {
		a.chunk = strings.Builder{}
		a.chunk.Grow(max(arenaChunkBytes, len(rec)))
	}
	start := a.chunk.Len()
	a.chunk.Write(rec)
	return a.chunk.String()[start:]
}
