package network

import (
	"strings"
	"testing"
)

const saved = `*filter
:CNI-FORWARD - [0:0]
-A FORWARD -m comment --comment "CNI firewall plugin rules" -j CNI-FORWARD
-A CNI-FORWARD -m comment --comment "CNI firewall plugin admin overrides" -j CNI-ADMIN
-A CNI-FORWARD -d 10.213.0.2/32 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A CNI-FORWARD -s 10.213.0.2/32 -j ACCEPT
-A CNI-FORWARD -s 10.213.0.3/32 -j ACCEPT
COMMIT
*nat
:CNI-95f47fe8c48011bfc1e07f77 - [0:0]
:CNI-DN-95f47fe8c48011bfc1e07 - [0:0]
-A POSTROUTING -m comment --comment "CNI portfwd requiring masquerade" -j CNI-HOSTPORT-MASQ
-A POSTROUTING -s 10.213.0.2/32 -m comment --comment "name: \"podunit\" id: \"podunit-hp\"" -j CNI-95f47fe8c48011bfc1e07f77
-A POSTROUTING -s 10.213.0.3/32 -m comment --comment "name: \"podunit\" id: \"podunit-other\"" -j CNI-aaaa
-A CNI-95f47fe8c48011bfc1e07f77 -d 10.213.0.0/16 -m comment --comment "name: \"podunit\" id: \"podunit-hp\"" -j ACCEPT
-A CNI-DN-95f47fe8c48011bfc1e07 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 10.213.0.2:80
-A CNI-HOSTPORT-DNAT -p tcp -m comment --comment "dnat name: \"podunit\" id: \"podunit-hp\"" -m multiport --dports 8080 -j CNI-DN-95f47fe8c48011bfc1e07
-A CNI-HOSTPORT-SETMARK -m comment --comment "CNI portfwd masquerade mark" -j MARK --set-xmark 0x2000/0x2000
COMMIT
`

func TestOrphanRules(t *testing.T) {
	got := OrphanRules(saved, "hp")
	want := `*nat
-D POSTROUTING -s 10.213.0.2/32 -m comment --comment "name: \"podunit\" id: \"podunit-hp\"" -j CNI-95f47fe8c48011bfc1e07f77
-D CNI-HOSTPORT-DNAT -p tcp -m comment --comment "dnat name: \"podunit\" id: \"podunit-hp\"" -m multiport --dports 8080 -j CNI-DN-95f47fe8c48011bfc1e07
-F CNI-95f47fe8c48011bfc1e07f77
-X CNI-95f47fe8c48011bfc1e07f77
-F CNI-DN-95f47fe8c48011bfc1e07
-X CNI-DN-95f47fe8c48011bfc1e07
COMMIT
*filter
-D CNI-FORWARD -d 10.213.0.2/32 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-D CNI-FORWARD -s 10.213.0.2/32 -j ACCEPT
COMMIT
`
	if got != want {
		t.Fatalf("script:\n%s\nwant:\n%s", got, want)
	}
	if strings.Contains(got, "10.213.0.3") || strings.Contains(got, "podunit-other") {
		t.Fatal("another pod's rules would go too")
	}
	if OrphanRules(saved, "none") != "" {
		t.Fatal("rules for a pod without any")
	}
	if p := RulePods(saved); !p["hp"] || !p["other"] || len(p) != 2 {
		t.Fatalf("RulePods: %v", p)
	}
}
