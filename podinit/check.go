package podinit

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/podunit/podunit/contract"
)

// The network checks run in their own goroutines (they block) and return
// a message that says why they failed, "" on success. They run in
// podinit's network namespace, which is the pod's, so the target needs
// nothing of the image: no curl, wget or nc.

// probeUserAgent is the kubelet's, so servers that treat probes apart
// recognise them.
const probeUserAgent = "kube-probe/1.33"

// maxProbeBody is how much of a response the kubelet reads.
const maxProbeBody = 10 << 10

// probeTransport is shared by every HTTP probe and hook: without
// keep-alives it holds no connections between runs, and one transport
// allocates less than one per run.
var probeTransport = &http.Transport{
	TLSClientConfig:   &tls.Config{InsecureSkipVerify: true},
	DisableKeepAlives: true,
}

// checkHTTP is the kubelet's HTTP probe: no certificate checks, no
// keep-alive, success for 200-399; redirects are followed on the same
// host (at most 10), and a redirect elsewhere counts as success.
func checkHTTP(ctx context.Context, h *contract.HTTPGet, host string) string {
	if h.Host != "" {
		host = h.Host
	}
	scheme := "http"
	if h.Scheme == "HTTPS" {
		scheme = "https"
	}
	url := scheme + "://" + net.JoinHostPort(host, strconv.Itoa(h.Port)) + h.Path
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err.Error()
	}
	req.Header.Set("User-Agent", probeUserAgent)
	req.Header.Set("Accept", "*/*")
	for _, hd := range h.Headers {
		if http.CanonicalHeaderKey(hd.Name) == "Host" {
			req.Host = hd.Value
			continue
		}
		req.Header.Add(hd.Name, hd.Value)
	}
	client := &http.Client{
		Transport: probeTransport,
		CheckRedirect: func(r *http.Request, via []*http.Request) error {
			if r.URL.Hostname() != via[0].URL.Hostname() {
				return http.ErrUseLastResponse
			}
			if len(via) >= 10 {
				return errors.New("stopped after 10 redirects")
			}
			return nil
		},
	}
	resp, err := client.Do(req)
	if err != nil {
		return err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxProbeBody))
	if resp.StatusCode >= 200 && resp.StatusCode < 400 {
		return ""
	}
	return fmt.Sprintf("HTTP probe failed with statuscode: %d: %.200s", resp.StatusCode, body)
}

func checkTCP(ctx context.Context, t *contract.TCPSocket, host string) string {
	if t.Host != "" {
		host = t.Host
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", net.JoinHostPort(host, strconv.Itoa(t.Port)))
	if err != nil {
		return err.Error()
	}
	conn.Close()
	return ""
}

// checkGRPC asks grpc.health.v1.Health/Check, without TLS, as the
// kubelet does; only SERVING passes.
func checkGRPC(ctx context.Context, g *contract.GRPC, host string) string {
	conn, err := grpc.NewClient(net.JoinHostPort(host, strconv.Itoa(g.Port)),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithUserAgent(probeUserAgent))
	if err != nil {
		return err.Error()
	}
	defer conn.Close()
	resp, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{Service: g.Service})
	if err != nil {
		return fmt.Sprintf("gRPC probe failed: %v", err)
	}
	if s := resp.GetStatus(); s != healthpb.HealthCheckResponse_SERVING {
		return fmt.Sprintf("service unhealthy (responded with %q)", s)
	}
	return ""
}

// checkNetwork runs a network action with its timeout; 0 (a hook) means
// none: a preStop hook may take the whole grace period, after which the
// container is killed anyway.
func checkNetwork(a *contract.Action, host string, timeout time.Duration) string {
	ctx := context.Background()
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	switch {
	case a.HTTPGet != nil:
		return checkHTTP(ctx, a.HTTPGet, host)
	case a.TCPSocket != nil:
		return checkTCP(ctx, a.TCPSocket, host)
	case a.GRPC != nil:
		return checkGRPC(ctx, a.GRPC, host)
	}
	return "no action"
}

// podIP is the pod's address as the kubelet would probe it: the first
// global address of an interface that is up, IPv4 first; loopback when
// the pod has none (no network).
func podIP() string {
	ifs, err := net.Interfaces()
	if err != nil {
		return "127.0.0.1"
	}
	var v6 string
	for _, i := range ifs {
		if i.Flags&net.FlagUp == 0 || i.Flags&net.FlagLoopback != 0 {
			continue
		}
		addrs, _ := i.Addrs()
		for _, a := range addrs {
			n, ok := a.(*net.IPNet)
			if !ok || !n.IP.IsGlobalUnicast() {
				continue
			}
			if n.IP.To4() != nil {
				return n.IP.String()
			}
			if v6 == "" {
				v6 = n.IP.String()
			}
		}
	}
	if v6 != "" {
		return v6
	}
	return "127.0.0.1"
}
