package network

import (
	"os"
	"path/filepath"
	"testing"
)

// The host's resolv.conf, iptables-save's output and the attachment
// record (which holds the CNI plugins' result) are read by every
// prepare and gc; none may panic them.

func FuzzResolv(f *testing.F) {
	f.Add([]byte("nameserver 127.0.0.53\nnameserver 1.1.1.1\nsearch a.example b\noptions ndots:2 edns0\n"))
	f.Add([]byte("# comment\ndomain x\nnameserver ::1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		parseResolv(data)
	})
}

func FuzzIptablesSave(f *testing.F) {
	f.Add("*nat\n:CNI-abc - [0:0]\n-A POSTROUTING -s 10.213.0.5/32 -m comment --comment \"name: \\\"podunit\\\" id: \\\"podunit-web\\\"\" -j CNI-abc\nCOMMIT\n*filter\n-A CNI-FORWARD -d 10.213.0.5/32 -j ACCEPT\nCOMMIT\n")
	f.Fuzz(func(t *testing.T, save string) {
		parseSave(save)
	})
}

func FuzzRecord(f *testing.F) {
	f.Add([]byte(`{"pod":"web","namespace":"default","containerID":"podunit-web","network":"podunit","netns":"/run/podunit/netns/web","conflist":{"cniVersion":"1.0.0","name":"podunit","plugins":[{"type":"bridge"}]},"ips":["10.213.0.5/16"],"result":{"cniVersion":"1.0.0","ips":[{"address":"10.213.0.5/16","gateway":"10.213.0.1"}]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "network.json")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		a, err := LoadRecord(path)
		if err != nil || a == nil {
			return
		}
		a.Addresses()
	})
}
