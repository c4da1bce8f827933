#!/usr/bin/env bash
# A SAML federated start against a loopback IdP and moto, under Xvfb: the time from
# `credtray session start` to the credentials written with a remembered sign-in (median of
# RUNS starts, default 10) and the extra memory while the sign-in window is open (peak RSS of
# the process, and summed RSS / PSS with WebKit's helper processes) against an iam-user start.
#   scripts/with-keyring.sh scripts/with-desktop.sh benches/saml.sh [RUNS]
# Needs the release binary (cargo build --release; CREDTRAY_BIN picks another) and the test
# venv's moto_server (CREDTRAY_TEST_VENV, default .venv).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
runs=${1:-10}
bin=${CREDTRAY_BIN:-$repo/target/release/credtray}
venv=${CREDTRAY_TEST_VENV:-$repo/.venv}
[[ -x $bin ]] || { echo "build first: cargo build --release" >&2; exit 1; }
[[ -x $venv/bin/moto_server ]] || { echo "no moto_server in $venv: run scripts/install-deps.sh" >&2; exit 1; }
[[ -n ${DISPLAY:-} ]] || { echo "run inside scripts/with-desktop.sh" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export NO_AT_BRIDGE=1
/usr/bin/python3 "$repo/benches/saml.py" "$bin" "$tmp" "$venv" "$runs"
