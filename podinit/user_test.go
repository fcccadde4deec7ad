package podinit

import (
	"reflect"
	"strings"
	"testing"
)

const testPasswd = `root:x:0:0:root:/root:/bin/bash
# a comment
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
broken line
app:x:1000:1000:App:/home/app:/bin/sh
bad:x:notanumber:1::/:
nohome:x:1001:1001
`

const testGroup = `root:x:0:
wheel:x:10:root,app
app:x:1000:
extra:x:2000:app, nohome
other:x:3000:daemon
`

func TestResolveUser(t *testing.T) {
	for _, tc := range []struct {
		spec string
		want identity
		err  string
	}{
		{"", identity{UID: 0, GID: 0, Groups: []uint32{10}, Home: "/root"}, ""},
		{"root", identity{UID: 0, GID: 0, Groups: []uint32{10}, Home: "/root"}, ""},
		{"app", identity{UID: 1000, GID: 1000, Groups: []uint32{10, 2000}, Home: "/home/app"}, ""},
		{"1000", identity{UID: 1000, GID: 1000, Groups: []uint32{10, 2000}, Home: "/home/app"}, ""},
		{"nohome", identity{UID: 1001, GID: 1001, Groups: []uint32{2000}, Home: "/"}, ""},
		// Explicit group: no supplementary groups, as in runc.
		{"app:extra", identity{UID: 1000, GID: 2000, Home: "/home/app"}, ""},
		{"app:4242", identity{UID: 1000, GID: 4242, Home: "/home/app"}, ""},
		{"1000:0", identity{UID: 1000, GID: 0, Home: "/home/app"}, ""},
		// Unknown numeric uid: gid 0, home /.
		{"4242", identity{UID: 4242, GID: 0, Home: "/"}, ""},
		{"4242:4343", identity{UID: 4242, GID: 4343, Home: "/"}, ""},
		{"nobody", identity{}, "no matching entry in /etc/passwd"},
		{"app:nogroup", identity{}, "no matching entry in /etc/group"},
		{"app:", identity{}, "empty group"},
		{":app", identity{}, "empty user"},
		{"bad", identity{}, "no matching entry"},
	} {
		got, err := resolveUser(tc.spec, testPasswd, testGroup)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: error %v, want %q", tc.spec, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.spec, err)
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q: %+v, want %+v", tc.spec, got, tc.want)
		}
	}
}

func TestResolveUserWithoutFiles(t *testing.T) {
	got, err := resolveUser("", "", "")
	if err != nil || got.UID != 0 || got.GID != 0 || got.Home != "/" || got.Groups != nil {
		t.Errorf("empty image: %+v, %v", got, err)
	}
	got, err = resolveUser("65534:65534", "", "")
	if err != nil || got.UID != 65534 || got.GID != 65534 {
		t.Errorf("numeric without files: %+v, %v", got, err)
	}
	if _, err := resolveUser("app", "", ""); err == nil {
		t.Error("a user name without /etc/passwd must fail")
	}
}
