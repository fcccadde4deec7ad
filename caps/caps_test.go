package caps

import "testing"

func TestContainer(t *testing.T) {
	s, err := Container(false, []string{"NET_ADMIN"}, []string{"cap_chown", "KILL"})
	if err != nil {
		t.Fatal(err)
	}
	admin, _ := Number("NET_ADMIN")
	chown, _ := Number("CHOWN")
	if !s.Has(admin) || s.Has(chown) || s&^(Default|1<<admin) != 0 {
		t.Fatalf("set %v", s.Names())
	}
	if s, _ := Container(false, nil, []string{"ALL"}); s != 0 {
		t.Fatalf("drop ALL: %v", s.Names())
	}
	if s, _ := Container(true, nil, []string{"ALL"}); s != All {
		t.Fatalf("privileged: %v", s.Names())
	}
	if _, err := Container(false, []string{"NET_ADMINN"}, nil); err == nil {
		t.Fatal("unknown capability accepted")
	}
	if len(Default.Names()) != 14 {
		t.Fatalf("default set %v", Default.Names())
	}
}
