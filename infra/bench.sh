#!/usr/bin/env bash
# The benchmark: builds the function binaries (for the cold-start proxy)
# and the load generator in release mode, then runs it. Options go to the
# load generator, e.g. `infra/bench.sh --users 2000 --hot-seats 10`.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build -q --release -p functions -p bench
exec target/release/bench "$@"
