package podinit

import (
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/podunit/podunit/contract"
)

func hostPort(t *testing.T, addr string) (string, int) {
	t.Helper()
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(p)
	return h, n
}

func TestCheckGRPC(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	hs := health.NewServer()
	healthpb.RegisterHealthServer(srv, hs)
	go srv.Serve(l)
	defer srv.Stop()
	hs.SetServingStatus("db", healthpb.HealthCheckResponse_NOT_SERVING)
	host, port := hostPort(t, l.Addr().String())

	check := func(service string) string {
		return checkNetwork(&contract.Action{GRPC: &contract.GRPC{Port: port, Service: service}}, host, 2*time.Second)
	}
	if msg := check(""); msg != "" {
		t.Errorf("overall health: %s", msg)
	}
	if msg := check("db"); !strings.Contains(msg, "NOT_SERVING") {
		t.Errorf("NOT_SERVING service passed: %q", msg)
	}
	if msg := check("nope"); msg == "" {
		t.Error("unknown service passed")
	}
	hs.SetServingStatus("db", healthpb.HealthCheckResponse_SERVING)
	if msg := check("db"); msg != "" {
		t.Errorf("SERVING service failed: %s", msg)
	}
}

func TestCheckHTTP(t *testing.T) {
	var gotHost, gotHeader, gotAgent string
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) {
		gotHost, gotHeader, gotAgent = r.Host, r.Header.Get("X-Probe"), r.UserAgent()
	})
	mux.HandleFunc("/bad", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "down", http.StatusServiceUnavailable) })
	mux.HandleFunc("/here", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/bad", http.StatusFound) })
	mux.HandleFunc("/away", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://elsewhere.invalid/", http.StatusFound)
	})
	for _, tls := range []bool{false, true} {
		var srv *httptest.Server
		if tls {
			srv = httptest.NewTLSServer(mux)
		} else {
			srv = httptest.NewServer(mux)
		}
		u, _ := url.Parse(srv.URL)
		host, port := hostPort(t, u.Host)
		scheme := "HTTP"
		if tls {
			scheme = "HTTPS" // self-signed: no certificate checks, like the kubelet
		}
		get := func(path string, headers ...contract.Header) string {
			return checkNetwork(&contract.Action{HTTPGet: &contract.HTTPGet{Scheme: scheme, Port: port, Path: path, Headers: headers}}, host, 2*time.Second)
		}
		if msg := get("/ok", contract.Header{Name: "X-Probe", Value: "1"}, contract.Header{Name: "Host", Value: "svc.local"}); msg != "" {
			t.Errorf("%s /ok: %s", scheme, msg)
		}
		if gotHost != "svc.local" || gotHeader != "1" || gotAgent != probeUserAgent {
			t.Errorf("%s: host %q header %q agent %q", scheme, gotHost, gotHeader, gotAgent)
		}
		// A hook has no timeout of its own.
		hook := &contract.Action{HTTPGet: &contract.HTTPGet{Scheme: scheme, Port: port, Path: "/ok"}}
		if msg := checkNetwork(hook, host, 0); msg != "" {
			t.Errorf("%s hook: %s", scheme, msg)
		}
		if msg := get("/bad"); !strings.Contains(msg, "statuscode: 503") {
			t.Errorf("%s /bad: %q", scheme, msg)
		}
		// A redirect on the same host is followed; one elsewhere passes.
		if msg := get("/here"); !strings.Contains(msg, "503") {
			t.Errorf("%s /here: %q", scheme, msg)
		}
		if msg := get("/away"); msg != "" {
			t.Errorf("%s /away: %q", scheme, msg)
		}
		srv.Close()
	}
}

func TestCheckTCP(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	host, port := hostPort(t, l.Addr().String())
	a := &contract.Action{TCPSocket: &contract.TCPSocket{Port: port}}
	if msg := checkNetwork(a, host, time.Second); msg != "" {
		t.Errorf("open port: %s", msg)
	}
	l.Close()
	if msg := checkNetwork(a, host, time.Second); msg == "" {
		t.Error("closed port passed")
	}
}
