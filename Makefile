# podunit build, test and CI entry points. `make test` is what CI runs
# (.ci/run); it installs its own dependencies first, so it works on a fresh
# Debian machine as root.

GO                 ?= go
BIN                := bin/podunit
PREFIX             ?= /usr/local
# make fuzz-long runs every target this many times longer than make fuzz.
FUZZ_LONG_FACTOR   ?= 50
E2E_TIMEOUT        ?= 40m
# The VM test host's tests alone: a cold image build (about 2 minutes), a
# TCG boot (20-60 s on a loaded 2-core machine) and a few pods.
VM_TIMEOUT         ?= 12m
# The newest staticcheck the Go proxy serves; it understands go 1.26.
STATICCHECK_VERSION := v0.8.2

# Fuzz targets, as Name:package:executions: every parser of outside input
# (manifests and the objects beside them, image layers, the host's registry
# and policy files, seccomp profiles, resolv.conf, iptables-save, the
# network record with its CNI result, the plan and status records that
# cross between host and pod, $(VAR) expansion). A target a package does
# not define yet is reported and skipped, not failed. The budgets are
# execution counts, each about 5-20 s here: a -fuzztime duration races the
# fuzzing coordinator's own deadline (go.dev/issue/75804, unfixed in Go
# 1.26) and fails a target now and then with "context deadline exceeded".
FUZZ_TARGETS := FuzzDecode:./pod/:150000 FuzzDecodeManifests:./objects/:150000 \
	FuzzUnpack:./images/:2500 FuzzPolicy:./images/:40000 FuzzRegistriesConf:./images/:5000 \
	FuzzRegistriesD:./images/:3000 FuzzAuthFile:./images/:4000 FuzzSignaturePayload:./images/:40000 \
	FuzzProfile:./seccomp/:300000 FuzzResolv:./network/:150000 FuzzIptablesSave:./network/:300000 \
	FuzzRecord:./network/:10000 FuzzPlan:./contract/:5000 FuzzStatus:./contract/:5000 \
	FuzzExpand:./internal/expansion/:300000

.PHONY: all build deps test test-unit test-e2e test-vm fuzz fuzz-long lint demo bench install clean clean-testhost

all: build

# The version stamp `podunit version` prints; outside a git checkout the
# binary falls back to the build info Go records.
VERSION    ?= $(shell git describe --tags --always --dirty 2>/dev/null)
COMMIT     ?= $(shell git rev-parse HEAD 2>/dev/null)
BUILD_DATE ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
LDFLAGS    := -X main.version=$(VERSION) -X main.commit=$(COMMIT) -X main.buildDate=$(BUILD_DATE)

# Static: the same binary is the pod's PID 1 inside image rootfs trees that
# have no libc.
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/podunit

deps:
	hack/deps.sh

# No root, no test host: -short makes e2e tests skip themselves.
test-unit:
	$(GO) vet ./...
	$(GO) test ./... -short

# -p 1: every e2e package boots test hosts, and two packages booting
# several at once on 2 cores only make each other time out.
# podinit's own integration tests run it as PID 1 under a real
# systemd-nspawn on this machine (static test binary, no -short); the kvm
# stage's boot pods under qemu (TCG) with bin/podunit as the guest's init.
# The VM test host's tests run last, on their own time bound.
test-e2e: deps build
	CGO_ENABLED=0 $(GO) test -count=1 ./podinit/
	PODUNIT_BIN=$(abspath $(BIN)) $(GO) test -count=1 ./kvm/...
	PODUNIT_E2E=1 PODUNIT_BIN=$(abspath $(BIN)) $(GO) test -count=1 -p 1 -timeout $(E2E_TIMEOUT) -skip '^TestVM' ./e2e/...
	$(MAKE) --no-print-directory test-vm

# What only the VM test host (e2e/testhost, qemu under TCG with Debian's
# kernel) can show: limits enforced on cgroup v2, SELinux enforcing.
test-vm: deps build
	PODUNIT_E2E=1 PODUNIT_BIN=$(abspath $(BIN)) $(GO) test -count=1 -timeout $(VM_TIMEOUT) -run '^TestVM' ./e2e/

# fuzz-run runs every target of $(1) for its executions times $(2).
define fuzz-run
	@set -e; for t in $(1); do \
		name=$${t%%:*}; rest=$${t#*:}; pkg=$${rest%%:*}; n=$$(( $${rest#*:} * $(2) )); \
		if grep -qs "^func $$name(" $$pkg*_test.go; then \
			echo "fuzz: $$name in $$pkg, $$n executions"; \
			$(GO) test -run=NONE -fuzz="^$${name}\$$" -fuzztime=$${n}x -fuzzminimizetime=200x $$pkg; \
		else \
			echo "fuzz: $$name not defined in $$pkg yet, skipped"; \
		fi; \
	done
endef

fuzz:
	$(call fuzz-run,$(FUZZ_TARGETS),1)

fuzz-long:
	$(call fuzz-run,$(FUZZ_TARGETS),$(FUZZ_LONG_FACTOR))

test: deps lint test-unit fuzz test-e2e

lint:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...

demo: deps
	hack/demo.sh

bench: deps build
	PODUNIT_BIN=$(abspath $(BIN)) $(GO) run ./e2e/cmd/bench

# The generator is the same binary under another name; systemd searches
# $(PREFIX)/lib/systemd/system-generators and .../system for /usr/local.
install: build
	install -D -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/podunit
	install -d $(DESTDIR)$(PREFIX)/lib/systemd/system-generators $(DESTDIR)$(PREFIX)/lib/systemd/system $(DESTDIR)/etc/podunit/pods
	ln -sf $(PREFIX)/bin/podunit $(DESTDIR)$(PREFIX)/lib/systemd/system-generators/podunit-generator
	sed 's|/usr/local/bin/podunit|$(PREFIX)/bin/podunit|' dist/podunit-sync.service > $(DESTDIR)$(PREFIX)/lib/systemd/system/podunit-sync.service
	sed 's|/usr/local/bin/podunit|$(PREFIX)/bin/podunit|' dist/podunit-restore.service > $(DESTDIR)$(PREFIX)/lib/systemd/system/podunit-restore.service
	install -m 0644 dist/podunit-sync.path $(DESTDIR)$(PREFIX)/lib/systemd/system/podunit-sync.path
	if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then systemctl daemon-reload && systemctl enable --now podunit-sync.path && systemctl enable podunit-restore.service; fi

clean:
	rm -rf bin/

# The cached test host rootfs and VM image; the next e2e run rebuilds them
# (about 75 s and 2 minutes).
clean-testhost:
	rm -rf $${PODUNIT_TESTHOST_CACHE:-/var/cache/podunit/testhost}
