#!/usr/bin/env bash
# Boots a test host with the freshly built podunit bound in and runs a list
# of commands in it, showing each and its output.
#
#   hack/demo.sh                       # the default tour below
#   hack/demo.sh 'podunit --help' 'machinectl list'
#   hack/demo.sh -f my-demo.cmds       # one command per line
#   hack/demo.sh -hold                 # then keep the host up until ^C
#
# When e2e/cmd/demo exists (the scripted product demo), it runs instead of
# the default tour.
set -euo pipefail
cd "$(dirname "$0")/.."

make --no-print-directory build
export PODUNIT_BIN="$PWD/bin/podunit"

if [[ $# -eq 0 && -d e2e/cmd/demo ]]; then
	exec go run ./e2e/cmd/demo
fi

if [[ $# -eq 0 ]]; then
	set -- \
		'systemctl is-system-running' \
		'podunit --help || true' \
		'systemctl start systemd-machined && machinectl list' \
		'echo hello from the demo | systemd-cat -t demo && journalctl -t demo -o cat --no-pager'
fi
exec go run ./e2e/testhost/testhostctl -bin "$PODUNIT_BIN" "$@"
