package contract

import (
	"os"
	"path/filepath"
	"testing"
)

// The plan crosses from the host into the pod and status records cross
// back: podinit must refuse a bad plan without panicking, and host
// commands must read whatever a compromised pod wrote into its status
// directory without panicking.

func FuzzPlan(f *testing.F) {
	f.Add([]byte(`{"pod":"p","hostname":"p","restartPolicy":"Always","gracePeriodSeconds":30,"containers":[{"name":"c","layers":["/l"],"upper":"/u","work":"/w","rootfs":"/r","args":["sh"],"env":["A=b"],"workingDir":"/","mounts":[{"source":"/s","target":"/t","subPath":"x"}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "plan.json")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		LoadPlan(path)
	})
}

func FuzzStatus(f *testing.F) {
	f.Add([]byte(`{"name":"c","state":"Running","restartCount":2,"pid":7,"exitCode":1,"startedAt":"2026-12-03T17:00:00Z","uid":0,"gid":0,"env":["A=b"],"cwd":"/"}`))
	f.Add([]byte(`{"phase":"Running","startedAt":"2026-12-03T17:00:00Z","stopped":true}`))
	f.Add([]byte(`{"name":"c","state":"Waiting","reason":"CrashLoopBackOff","restartCount":1,"exitCode":3,"lastState":{"exitCode":1,"signal":"SIGKILL","reason":"Error","startedAt":"a","finishedAt":"b"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		for _, name := range []string{StatusFileName("c"), PodStatusFile} {
			if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if s, err := ReadStatus(dir, "c"); err == nil {
			s.Previous()
		}
		ReadPodStatus(dir)
	})
}
