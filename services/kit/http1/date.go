package http1

import (
	"net/http"
	"sync/atomic"
	"time"
)

// dateLine caches the "Date: …\r\n" header line of the current second:
// formatting a date on every answer is measurable at the front door's rate.
type dateLine struct {
	unix int64
	line []byte
}

var currentDate atomic.Pointer[dateLine]

// appendDate appends the Date header line for now.
func appendDate(b []byte, now time.Time) []byte {
	sec := now.Unix()
	d := currentDate.Load()
	if d == nil || d.unix != sec {
		line := make([]byte, 0, 40)
		line = append(line, "Date: "...)
		line = now.UTC().AppendFormat(line, http.TimeFormat)
		line = append(line, "\r\n"...)
		d = &dateLine{unix: sec, line: line}
		currentDate.Store(d)
	}
	return append(b, d.line...)
}
