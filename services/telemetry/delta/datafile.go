package delta

import (
	"bytes"
	"fmt"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/snappy"
)

// fileEncoder turns rows of one partition into a Parquet data file with its
// stats. It reuses its writer and buffer between files; not safe for
// concurrent use.
type fileEncoder[R any] struct {
	schema *parquet.Schema
	cols   []statColumn
	buf    bytes.Buffer
	w      *parquet.GenericWriter[R]
}

func newFileEncoder[R any](skipBounds []string) *fileEncoder[R] {
	e := &fileEncoder[R]{}
	opts := []parquet.WriterOption{parquet.Compression(&snappy.Codec{})}
	for _, col := range skipBounds {
		opts = append(opts, parquet.SkipPageBounds(col))
	}
	e.w = parquet.NewGenericWriter[R](&e.buf, opts...)
	e.schema = e.w.Schema()
	e.cols = statColumnsOf(e.schema)
	for i := range e.cols {
		for _, skip := range skipBounds {
			if e.cols[i].name == skip {
				e.cols[i].bounds = false
			}
		}
	}
	return e
}

// encode writes rows as one file; the returned bytes are valid until the next call.
func (e *fileEncoder[R]) encode(rows []R) (data []byte, stats string, err error) {
	e.buf.Reset()
	e.w.Reset(&e.buf)
	if _, err := e.w.Write(rows); err != nil {
		return nil, "", fmt.Errorf("delta: encode data file: %w", err)
	}
	if err := e.w.Close(); err != nil {
		return nil, "", fmt.Errorf("delta: encode data file: %w", err)
	}
	stats, err = encodeStats(e.w.File().Metadata(), e.cols)
	if err != nil {
		return nil, "", err
	}
	return e.buf.Bytes(), stats, nil
}

// dataFilePath names a new data file in its partition directory, the way
// Spark does (part-<n>-<uuid>.c000.snappy.parquet), so the name is unique
// across writers and attempts.
func dataFilePath(partitionColumn, date string, n int) string {
	return fmt.Sprintf("%s=%s/part-%05d-%s.c000.snappy.parquet", partitionColumn, date, n, newUUID())
}

// formatDay renders days since the Unix epoch as a partition value.
func formatDay(day int32) string {
	return time.Unix(int64(day)*86400, 0).UTC().Format(time.DateOnly)
}

// DayOfMicros is the UTC day (days since the Unix epoch) of a timestamp in
// microseconds, for TableSpec.PartitionDay.
func DayOfMicros(us int64) int32 {
	return int32(floorDiv(us, 86400*1_000_000))
}
