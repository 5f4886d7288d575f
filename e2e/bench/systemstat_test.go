package bench

import "testing"

func TestParseSystemBusy(t *testing.T) {
	stat := "cpu  100 5 40 9000 30 2 3 7 0 0\ncpu0 50 2 20 4500 15 1 1 3 0 0\nintr 12345\n"
	got, err := ParseSystemBusy([]byte(stat))
	if err != nil {
		t.Fatal(err)
	}
	if want := uint64(100 + 5 + 40 + 2 + 3 + 7); got != want {
		t.Errorf("busy = %d, want %d (idle and iowait excluded)", got, want)
	}
	for name, bad := range map[string]string{
		"no cpu line": "cpu0 1 2 3 4 5 6 7 8\n",
		"short line":  "cpu 1 2 3\n",
		"not numbers": "cpu a b c d e f g h\n",
	} {
		if _, err := ParseSystemBusy([]byte(bad)); err == nil {
			t.Errorf("%s: accepted %q", name, bad)
		}
	}
}
