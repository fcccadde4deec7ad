package guest

import (
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/podunit/podunit/kvm/wire"
)

// Guest-side sockets: the journal's at systemd's path, so that podinit's
// log sink (go-systemd's journal package) finds it as on a host with
// journald, and the notify socket podinit finds in NOTIFY_SOCKET.
const (
	journalSocket = "/run/systemd/journal/socket"
	notifySocket  = "/run/podunit/notify"
)

// findPorts waits for the virtio-serial ports and maps their names to
// their device nodes. The device announces its ports after the driver
// loaded, asynchronously, so they come one by one. There is no udev in
// the guest, so no /dev/virtio-ports/ links: the names are in sysfs and
// devtmpfs has the nodes.
func findPorts() (map[string]string, error) {
	deadline := time.Now().Add(10 * time.Second)
	for {
		ports, err := readPorts()
		if err == nil || time.Now().After(deadline) {
			return ports, err
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func readPorts() (map[string]string, error) {
	names, err := filepath.Glob("/sys/class/virtio-ports/*/name")
	if err != nil {
		return nil, err
	}
	ports := map[string]string{}
	for _, n := range names {
		data, err := os.ReadFile(n)
		if err != nil {
			return nil, err
		}
		ports[strings.TrimSpace(string(data))] = "/dev/" + filepath.Base(filepath.Dir(n))
	}
	for _, want := range wire.Ports {
		if ports[want] == "" {
			return nil, fmt.Errorf("virtio-serial port %s missing (found %v)", want, ports)
		}
	}
	return ports, nil
}

// control is the guest's end of PortControl.
type control struct {
	f  *os.File
	mu sync.Mutex
}

// openControl opens PortControl and turns the host's Stop into SIGTERM
// for podinit (this process), which is how nspawn stops a pod.
func openControl(ports map[string]string) (*control, error) {
	f, err := os.OpenFile(ports[wire.PortControl], os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	c := &control{f: f}
	go func() {
		for {
			p, err := wire.ReadFrame(f)
			if err != nil {
				log.Printf("control channel: %v", err)
				return
			}
			var m wire.Control
			if json.Unmarshal(p, &m) == nil && m.Stop {
				unix.Kill(os.Getpid(), unix.SIGTERM)
			}
		}
	}()
	return c, nil
}

func (c *control) sendExit(code int) error {
	p, _ := json.Marshal(wire.Control{Exit: &code})
	c.mu.Lock()
	defer c.mu.Unlock()
	// A blocking write to a virtio-serial port returns once the host
	// has taken the buffer, so the code is out before the power-off.
	return wire.WriteFrame(c.f, p)
}

// startRelays listens on the journal and notify sockets and forwards
// every datagram as one frame on its port.
func startRelays(ports map[string]string) error {
	for _, r := range []struct{ socket, port string }{
		{journalSocket, wire.PortJournal},
		{notifySocket, wire.PortNotify},
	} {
		out, err := os.OpenFile(ports[r.port], os.O_WRONLY, 0)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(r.socket), 0o755); err != nil {
			return err
		}
		conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: r.socket, Net: "unixgram"})
		if err != nil {
			return err
		}
		go relayDatagrams(conn, out)
	}
	return os.Setenv("NOTIFY_SOCKET", notifySocket)
}

// relayDatagrams forwards datagrams; an entry too large for a datagram
// comes as a memfd (journal native protocol), whose content is sent.
func relayDatagrams(conn *net.UnixConn, out io.Writer) {
	buf := make([]byte, wire.MaxFrame)
	oob := make([]byte, unix.CmsgSpace(4))
	for {
		n, oobn, _, _, err := conn.ReadMsgUnix(buf, oob)
		if err != nil {
			log.Printf("relay %s: %v", conn.LocalAddr(), err)
			return
		}
		p := buf[:n]
		if oobn > 0 {
			if data, ok := passedFile(oob[:oobn]); ok {
				p = data
			}
		}
		if err := wire.WriteFrame(out, p); err != nil {
			log.Printf("relay %s: %v", conn.LocalAddr(), err)
		}
	}
}

func passedFile(oob []byte) ([]byte, bool) {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil || len(msgs) == 0 {
		return nil, false
	}
	fds, err := unix.ParseUnixRights(&msgs[0])
	if err != nil || len(fds) == 0 {
		return nil, false
	}
	f := os.NewFile(uintptr(fds[0]), "journal-memfd")
	defer f.Close()
	for _, fd := range fds[1:] {
		syscall.Close(fd)
	}
	data, err := io.ReadAll(io.NewSectionReader(f, 0, wire.MaxFrame)) // the sender's offset is at the end
	return data, err == nil
}
