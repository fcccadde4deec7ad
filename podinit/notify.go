package podinit

import (
	"log"

	"github.com/coreos/go-systemd/v22/daemon"
)

// notify sends an sd_notify message to nspawn (which relays READY=1 to
// systemd with --notify-ready=yes). NOTIFY_SOCKET stays set: containers
// get their own env, so it cannot leak to them.
func notify(state string) {
	if _, err := daemon.SdNotify(false, state); err != nil {
		log.Printf("sd_notify %q: %v", state, err)
	}
}
