package delta

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

type statRow struct {
	Name  string   `parquet:"name"`
	Long  string   `parquet:"long"`
	TSUs  int64    `parquet:"ts,timestamp(microsecond:utc)"`
	N     int32    `parquet:"n"`
	Opt   *int64   `parquet:"opt,optional"`
	F     float64  `parquet:"f"`
	B     bool     `parquet:"b"`
	Tags  []string `parquet:"tags,list"`
	Skipd string   `parquet:"skipped"`
}

func TestStatsBoundTheData(t *testing.T) {
	one, two := int64(-5), int64(9)
	long := strings.Repeat("é", 40) // 80 bytes: the cut must fall on a rune boundary
	rows := []statRow{
		{Name: "m", Long: long + "b", TSUs: 1_500, N: -3, Opt: &two, F: 1.5, B: true, Skipd: "zz"},
		{Name: "a", Long: long + "a", TSUs: 2_000_999, N: 7, Opt: nil, F: -2, Skipd: "aa"},
		{Name: "z", Long: long + "c", TSUs: 1_000_000, N: 0, Opt: &one},
	}
	enc := newFileEncoder[statRow]([]string{"skipped"})
	data, statsJSON, err := enc.encode(rows)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) == 0 {
		t.Fatal("empty file")
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(statsJSON), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"numRecords": 3.0,
		"minValues": map[string]any{
			"name": "a", "long": strings.Repeat("é", 16), "ts": "1970-01-01T00:00:00.001Z", "n": -3.0, "opt": -5.0,
		},
		"maxValues": map[string]any{
			"name": "z", "ts": "1970-01-01T00:00:02.001Z", "n": 7.0, "opt": 9.0,
		},
		"nullCount": map[string]any{
			"name": 0.0, "long": 0.0, "ts": 0.0, "n": 0.0, "opt": 1.0, "f": 0.0, "b": 0.0, "skipped": 0.0,
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("stats:\n got %v\nwant %v", got, want)
	}

	// The file holds the rows.
	back, err := parquet.Read[statRow](strings.NewReader(string(data)), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if len(back) != 3 || back[1].Name != "a" || *back[2].Opt != -5 {
		t.Errorf("read back %+v", back)
	}
}

func TestStatsOfAllNullColumnHaveNoBounds(t *testing.T) {
	enc := newFileEncoder[statRow](nil)
	_, statsJSON, err := enc.encode([]statRow{{Name: "x"}, {Name: "y"}})
	if err != nil {
		t.Fatal(err)
	}
	var st fileStats
	if err := json.Unmarshal([]byte(statsJSON), &st); err != nil {
		t.Fatal(err)
	}
	if _, ok := st.MinValues["opt"]; ok {
		t.Errorf("bounds for an all-null column: %v", st.MinValues["opt"])
	}
	if st.NullCount["opt"] != 2 {
		t.Errorf("nullCount = %d, want 2", st.NullCount["opt"])
	}
}
