#!/usr/bin/env bash
# The end-to-end run of licenseflow on a real Temporal dev server (see e2e_test.go):
#
#   examples/temporal/e2e/run.sh
#
# It builds the Temporal CLI (with its dev server) from the Go module github.com/temporalio/cli
# into $TEMPORAL_BIN_DIR (default ~/.cache/licenseplan/temporal; once, ~15 minutes on 2 cores),
# then runs the test with LICENSEPLAN_TEMPORAL_E2E=1. Everything listens on 127.0.0.1 only.
#
# The CLI version is v1.5.1: v1.9.1's go.mod replaces its cliext module by a local directory,
# which the module zip leaves out, so it cannot be built from the proxy (go install refuses
# modules with replace directives); v1.5.1 has none.
set -euo pipefail
cd "$(dirname "$0")/.."
TEMPORAL_CLI_VERSION=${TEMPORAL_CLI_VERSION:-v1.5.1}
bin_dir=${TEMPORAL_BIN_DIR:-$HOME/.cache/licenseplan/temporal-$TEMPORAL_CLI_VERSION}
if [ -z "${TEMPORAL_CLI:-}" ]; then
  if [ ! -x "$bin_dir/temporal" ]; then
    echo "== building the Temporal CLI $TEMPORAL_CLI_VERSION from its Go module into $bin_dir"
    mkdir -p "$bin_dir"
    GOBIN="$bin_dir" go install "github.com/temporalio/cli/cmd/temporal@$TEMPORAL_CLI_VERSION"
  fi
  export TEMPORAL_CLI="$bin_dir/temporal"
fi
"$TEMPORAL_CLI" --version
echo "== e2e: two workers, one killed mid-wave, against fakegraph --throttle graph --fail-rate 0.1"
LICENSEPLAN_TEMPORAL_E2E=1 go test -count=1 -timeout 15m -v -run TestWorkerKilledMidWaveAnotherFinishes ./e2e/ "$@"
