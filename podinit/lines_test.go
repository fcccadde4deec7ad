package podinit

import (
	"reflect"
	"strings"
	"testing"
)

func TestSplitLines(t *testing.T) {
	var got []string
	emit := func(b []byte) { got = append(got, string(b)) }
	splitLines(strings.NewReader("a\n\nbb\nccccccccccc\ntail"), 16, emit)
	want := []string{"a", "", "bb", "ccccccccccc", "tail"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%q, want %q", got, want)
	}

	got = nil
	long := strings.Repeat("x", 40)
	splitLines(strings.NewReader(long+"\nend\n"), 16, emit)
	want = []string{strings.Repeat("x", 16), strings.Repeat("x", 16), strings.Repeat("x", 8), "end"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%q, want %q", got, want)
	}
}
