#!/usr/bin/env bash
# Builds and starts credtray, as the README gives it:
#   scripts/run.sh [credtray arguments...]
# Installs the system packages it needs (scripts/install-deps.sh), builds the release
# binary, and runs it (with no arguments: the tray applet, or the headless agent where
# there is no display; see `credtray --help`).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
scripts/install-deps.sh
cargo build --release --locked
exec target/release/credtray "$@"
