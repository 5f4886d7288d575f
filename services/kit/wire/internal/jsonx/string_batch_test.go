package jsonx

import (
	"errors"
	"testing"
)

func TestStringBatchReadsAsReadString(t *testing.T) {
	values := []string{`"chatcmpl-1"`, `""`, `"gpt-4o"`, `"esc\"aped\u00e9"`, "\"bad \xff utf8\"", `"stop"`,
		`"a"`, `"b"`, `"c"`, `"d"`, `"beyond the batch"`}
	got := make([]string, len(values))
	var b StringBatch
	for i, v := range values {
		if err := b.Add(&got[i], []byte(v)); err != nil {
			t.Fatalf("Add(%s): %v", v, err)
		}
	}
	b.Read()
	for i, v := range values {
		want, _ := ReadString([]byte(v))
		if got[i] != want {
			t.Errorf("value %d %s read as %q, ReadString gives %q", i, v, got[i], want)
		}
	}
	// The batch is empty again after Read.
	var again string
	if err := b.Add(&again, []byte(`"again"`)); err != nil {
		t.Fatal(err)
	}
	b.Read()
	if again != "again" || got[0] != "chatcmpl-1" {
		t.Fatalf("second batch %q, first kept %q", again, got[0])
	}
	var s string
	for _, v := range []string{`1`, `null`, `"`, `{}`} {
		if err := b.Add(&s, []byte(v)); !errors.Is(err, ErrNotString) {
			t.Errorf("Add(%s) = %v, want ErrNotString", v, err)
		}
	}
}

func BenchmarkStringBatch(b *testing.B) {
	id, model, reason := []byte(`"chatcmpl-fake"`), []byte(`"fake-gpt"`), []byte(`"stop"`)
	var out [3]string
	b.ReportAllocs()
	for b.Loop() {
		var batch StringBatch
		_ = batch.Add(&out[0], id)
		_ = batch.Add(&out[1], model)
		_ = batch.Add(&out[2], reason)
		batch.Read()
	}
}
