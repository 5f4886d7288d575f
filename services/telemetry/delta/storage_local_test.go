package delta

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
)

func TestLocalStoragePutIfAbsentIsExclusive(t *testing.T) {
	ctx := context.Background()
	s, err := NewLocalStorage(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	const writers = 8
	var wg sync.WaitGroup
	results := make([]error, writers)
	for i := range writers {
		wg.Go(func() {
			results[i] = s.PutIfAbsent(ctx, "_delta_log/00000000000000000001.json", fmt.Appendf(nil, "writer %d\n", i))
		})
	}
	wg.Wait()
	winner := -1
	for i, err := range results {
		switch {
		case err == nil && winner >= 0:
			t.Fatalf("writers %d and %d both created the file", winner, i)
		case err == nil:
			winner = i
		case !errors.Is(err, ErrExist):
			t.Fatalf("writer %d: %v", i, err)
		}
	}
	if winner < 0 {
		t.Fatal("no writer created the file")
	}
	got, err := s.Get(ctx, "_delta_log/00000000000000000001.json")
	if err != nil || string(got) != fmt.Sprintf("writer %d\n", winner) {
		t.Fatalf("content = %q, %v; want the winner's", got, err)
	}
	// No temporary files are left behind or listed.
	entries, _ := os.ReadDir(filepath.Join(s.Root(), "_delta_log"))
	if len(entries) != 1 {
		t.Errorf("log directory holds %d entries, want 1", len(entries))
	}
}

func TestLocalStorageGetListPutDelete(t *testing.T) {
	ctx := context.Background()
	s, err := NewLocalStorage(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "_delta_log/_last_checkpoint"); !errors.Is(err, ErrNotExist) {
		t.Fatalf("Get of a missing object: %v, want ErrNotExist", err)
	}
	if names, err := s.List(ctx, "_delta_log", ""); err != nil || len(names) != 0 {
		t.Fatalf("List of a missing dir = %v, %v", names, err)
	}
	for _, name := range []string{"00000000000000000002.json", "00000000000000000000.json", "00000000000000000001.checkpoint.parquet", "00000000000000000001.json"} {
		if err := s.Put(ctx, "_delta_log/"+name, []byte(name)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Put(ctx, "_delta_log/00000000000000000002.json", []byte("replaced")); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Get(ctx, "_delta_log/00000000000000000002.json"); string(got) != "replaced" {
		t.Errorf("Put did not replace: %q", got)
	}
	if err := os.WriteFile(filepath.Join(s.Root(), "_delta_log", ".00000000000000000003.json.x.tmp"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	names, err := s.List(ctx, "_delta_log", "00000000000000000001")
	want := []string{"00000000000000000001.checkpoint.parquet", "00000000000000000001.json", "00000000000000000002.json"}
	if err != nil || !slices.Equal(names, want) {
		t.Errorf("List = %v, %v; want %v", names, err, want)
	}
	if err := s.Delete(ctx, "_delta_log/00000000000000000000.json"); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "_delta_log/00000000000000000000.json"); err != nil {
		t.Errorf("Delete of a missing object: %v", err)
	}
	for _, bad := range []string{"../escape", "/abs", "a/../../b", ""} {
		if err := s.Put(ctx, bad, nil); err == nil {
			t.Errorf("Put(%q) succeeded outside the table", bad)
		}
	}
}
