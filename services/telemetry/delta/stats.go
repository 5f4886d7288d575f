package delta

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// Per-file statistics for add actions, taken from the column-chunk statistics
// the Parquet writer already computed, so no extra pass over the rows. Readers
// use them to skip files, so every bound written must really bound the data:
// long strings get a truncated minimum and no maximum, timestamps are widened
// to whole milliseconds (the protocol's stats precision), and types whose
// ordering is subtle (floats, booleans, binary, nested) get no bounds.

// maxStatString is the longest string bound kept in stats.
const maxStatString = 32

type fileStats struct {
	NumRecords int64            `json:"numRecords"`
	MinValues  map[string]any   `json:"minValues"`
	MaxValues  map[string]any   `json:"maxValues"`
	NullCount  map[string]int64 `json:"nullCount"`
}

// statColumn is a top-level primitive column of the data files.
type statColumn struct {
	name   string
	index  int // leaf column index in the Parquet file
	typ    parquet.Type
	bounds bool // whether min/max are recorded
}

// statColumnsOf lists the top-level primitive columns of ps.
func statColumnsOf(ps *parquet.Schema) []statColumn {
	leafIndex := map[string]int{}
	for i, path := range ps.Columns() {
		if len(path) == 1 {
			leafIndex[path[0]] = i
		}
	}
	var cols []statColumn
	for _, f := range ps.Fields() {
		idx, ok := leafIndex[f.Name()]
		if !ok || !f.Leaf() {
			continue
		}
		t := f.Type()
		bounds := false
		switch t.Kind() {
		case parquet.Int32, parquet.Int64:
			bounds = true
		case parquet.ByteArray:
			bounds = isString(t)
		}
		cols = append(cols, statColumn{name: f.Name(), index: idx, typ: t, bounds: bounds})
	}
	return cols
}

// encodeStats renders the stats JSON of a written file from its footer.
func encodeStats(meta *format.FileMetaData, cols []statColumn) (string, error) {
	st := fileStats{
		NumRecords: meta.NumRows,
		MinValues:  map[string]any{},
		MaxValues:  map[string]any{},
		NullCount:  map[string]int64{},
	}
	for _, c := range cols {
		var nulls int64
		var lo, hi []byte
		complete := true
		for i := range meta.RowGroups {
			rg := &meta.RowGroups[i]
			if c.index >= len(rg.Columns) {
				return "", fmt.Errorf("delta: stats: row group has %d columns, want %d", len(rg.Columns), c.index+1)
			}
			s := &rg.Columns[c.index].MetaData.Statistics
			nulls += s.NullCount
			if !c.bounds {
				continue
			}
			if s.MinValue == nil || s.MaxValue == nil {
				// A row group of only nulls has no bounds; the others still bound the file.
				if rg.NumRows > s.NullCount {
					complete = false
				}
				continue
			}
			if lo == nil || compareStat(c.typ, s.MinValue, lo) < 0 {
				lo = s.MinValue
			}
			if hi == nil || compareStat(c.typ, s.MaxValue, hi) > 0 {
				hi = s.MaxValue
			}
		}
		st.NullCount[c.name] = nulls
		if !c.bounds || !complete || lo == nil {
			continue
		}
		if v, ok := statValue(c.typ, lo, false); ok {
			st.MinValues[c.name] = v
		}
		if v, ok := statValue(c.typ, hi, true); ok {
			st.MaxValues[c.name] = v
		}
	}
	b, err := json.Marshal(&st)
	if err != nil {
		return "", fmt.Errorf("delta: encode stats: %w", err)
	}
	return string(b), nil
}

// compareStat orders two plain-encoded statistics values of type t.
func compareStat(t parquet.Type, a, b []byte) int {
	switch t.Kind() {
	case parquet.Int32:
		x, y := int32(binary.LittleEndian.Uint32(a)), int32(binary.LittleEndian.Uint32(b))
		return cmpInt(int64(x), int64(y))
	case parquet.Int64:
		x, y := int64(binary.LittleEndian.Uint64(a)), int64(binary.LittleEndian.Uint64(b))
		return cmpInt(x, y)
	default:
		return bytes.Compare(a, b)
	}
}

func cmpInt(x, y int64) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

// statValue turns a plain-encoded bound into its JSON stats form; ok is false
// when no safe bound can be written.
func statValue(t parquet.Type, raw []byte, isMax bool) (any, bool) {
	switch t.Kind() {
	case parquet.Int32:
		if len(raw) != 4 {
			return nil, false
		}
		v := int32(binary.LittleEndian.Uint32(raw))
		if isDate(t) {
			return time.Unix(int64(v)*86400, 0).UTC().Format(time.DateOnly), true
		}
		return v, true
	case parquet.Int64:
		if len(raw) != 8 {
			return nil, false
		}
		v := int64(binary.LittleEndian.Uint64(raw))
		if isTimestamp(t) {
			ms := floorDiv(v, 1000)
			if isMax && v%1000 != 0 {
				ms++
			}
			return time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000Z"), true
		}
		return v, true
	case parquet.ByteArray:
		if !utf8.Valid(raw) {
			return nil, false
		}
		if len(raw) <= maxStatString {
			return string(raw), true
		}
		if isMax {
			return nil, false // a cut maximum would no longer bound the values
		}
		cut := maxStatString
		for cut > 0 && !utf8.RuneStart(raw[cut]) {
			cut--
		}
		return string(raw[:cut]), true
	}
	return nil, false
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}
