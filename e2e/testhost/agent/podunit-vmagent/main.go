// Command podunit-vmagent runs in the VM test host's guest, started by its
// own systemd unit, and runs the harness's commands (package agent) over
// the virtio-serial port podunit.agent. It has no network listener.
package main

import (
	"log"
	"time"

	"github.com/podunit/podunit/e2e/testhost/agent"
)

func main() {
	log.SetFlags(0)
	for {
		f, err := agent.OpenPort(agent.PortName)
		if err != nil {
			log.Print(err)
			time.Sleep(200 * time.Millisecond)
			continue
		}
		// A session ends when the harness disconnects (reads see EOF);
		// it may connect again, so open the port afresh.
		if err := agent.Serve(f); err != nil {
			log.Printf("session ended: %v", err)
		}
		f.Close()
		time.Sleep(100 * time.Millisecond)
	}
}
