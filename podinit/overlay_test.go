package podinit

import "testing"

func TestOverlayOptions(t *testing.T) {
	got, err := overlayOptions([]string{"/l/base", "/l/mid", "/l/top"}, "/c/upper", "/c/work")
	if err != nil {
		t.Fatal(err)
	}
	want := "lowerdir=/l/top:/l/mid:/l/base,upperdir=/c/upper,workdir=/c/work"
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}

	got, _ = overlayOptions([]string{`/l/a:b`, `/l/c,d`, `/l/e\f`}, "/u:1", "/w,2")
	want = `lowerdir=/l/e\\f:/l/c\,d:/l/a\:b,upperdir=/u\:1,workdir=/w\,2`
	if got != want {
		t.Errorf("escaping:\ngot  %s\nwant %s", got, want)
	}

	if _, err := overlayOptions(nil, "/u", "/w"); err == nil {
		t.Error("no layers must be an error")
	}
}
