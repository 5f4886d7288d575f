package jsonx

import (
	"strings"
	"testing"
)

func TestOptionalsKeepTheFirstErrorAndWhetherAnyWasSet(t *testing.T) {
	var f *float64
	var n *int32
	var opt Optionals
	opt.Float("a", nil, &f)
	opt.Count("b", []byte("null"), &n)
	if opt.Set || opt.Err != nil || f != nil || n != nil {
		t.Fatalf("absent and null fields: %+v", opt)
	}
	opt.Float("a", []byte("0.5"), &f)
	if !opt.Set || f == nil || *f != 0.5 {
		t.Fatalf("present float: %+v %v", opt, f)
	}
	opt.Count("b", []byte("0"), &n)
	opt.Float("c", []byte(`"x"`), &f)
	if opt.Err == nil || !strings.Contains(opt.Err.Error(), "b") || n != nil || *f != 0.5 {
		t.Fatalf("the first error is kept and later reads skipped: %v", opt.Err)
	}
	var ok Optionals
	ok.Count("b", []byte("3"), &n)
	if !ok.Set || ok.Err != nil || *n != 3 {
		t.Fatalf("count: %+v", ok)
	}
}

func TestReadStringArray(t *testing.T) {
	got, err := ReadStringArray([]byte(`["a","b\u0063"]`))
	if err != nil || len(got) != 2 || got[1] != "bc" {
		t.Fatalf("%v %v", got, err)
	}
	if _, err := ReadStringArray([]byte(`["a",1]`)); err == nil {
		t.Fatal("a number accepted")
	}
	if _, err := ReadStringArray([]byte(`"a"`)); err != ErrNotArray {
		t.Fatalf("a string: %v", err)
	}
}
