#!/usr/bin/env bash
# The whole test suite, as the README gives it and as CI (.ci/run) runs it:
#   scripts/test.sh [extra cargo test args...]
# 1. the system packages (scripts/install-deps.sh), 2. the Python venv with moto and the AWS CLI
# (scripts/test-venv.sh), 3. cargo fmt --check and clippy with warnings denied (fail fast),
# 4. the macOS type-check (scripts/check-macos.sh) and cargo build --examples (the dialogs
# tests run one), 5. the Windows build under wine
# (tests/wine/run.sh), 6. cargo test --all-targets inside a private session bus with a real
# gnome-keyring (scripts/with-keyring.sh), then tests/tray.rs again with the tray's own
# StatusNotifierItem (CREDTRAY_TRAY=sni), 7. the Debian package: built (from the
# dev-profile binaries the tests ran) and tested
# (installers/deb/test.sh: lintian, then installed, used by a sandboxed user, removed; that
# part needs root or sudo and is skipped otherwise); CREDTRAY_SKIP_WINDOWS=1 leaves step 5
# out, CREDTRAY_SKIP_MACOS=1 the macOS check, CREDTRAY_TEST_DEB=0 step 7. Works unattended
# (CI=true, no standard input).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

step() { printf '\n==> %s\n' "$*" >&2; }

# A full run builds for Linux (dev profile), Windows (release) and macOS (check) and needs
# ~15 GB under target/; a disk that fills mid-build shows up as a linker's "Bus error".
mkdir -p target
free_kb=$(df -Pk target | awk 'NR == 2 { print $4 }')
if ((free_kb < 15 * 1024 * 1024)); then
  printf 'test.sh: warning: only %s GB free for %s/target; a full run needs ~15 GB\n' \
    "$((free_kb / 1024 / 1024))" "$repo" >&2
fi

step "system packages"
scripts/install-deps.sh

step "test venv (moto, AWS CLI)"
CREDTRAY_TEST_VENV=$(scripts/test-venv.sh)
export CREDTRAY_TEST_VENV

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy --all-targets -- -D warnings"
cargo clippy --all-targets -- -D warnings

# macOS: type-checked (clippy, warnings denied) from Linux without the SDK; nothing is
# linked or run (scripts/check-macos.sh). Not with a cargo test filter given, nor with
# CREDTRAY_SKIP_MACOS=1.
if [[ $# -eq 0 && -z ${CREDTRAY_SKIP_MACOS:-} ]]; then
  step "macOS: cargo clippy --target aarch64-apple-darwin (scripts/check-macos.sh)"
  rustup target list --installed | grep -qx aarch64-apple-darwin ||
    rustup target add aarch64-apple-darwin
  scripts/check-macos.sh
fi

# The dialogs tests (tests/dialogs.rs) drive examples/dialogs; `cargo test --all-targets`
# builds examples with the test harness only, without their `main`.
step "cargo build --examples"
cargo build --examples

# The Windows build, under wine: the release cross-build, the installer and the wine suite
# (tests/wine/run.sh, which skips with a message where the Windows tools cannot be had).
# Not with a cargo test filter given, nor with CREDTRAY_SKIP_WINDOWS=1.
if [[ $# -eq 0 && -z ${CREDTRAY_SKIP_WINDOWS:-} ]]; then
  step "Windows: cross-build, installer, wine suite"
  tests/wine/run.sh
fi

step "cargo test --all-targets $*"
scripts/with-keyring.sh scripts/with-desktop.sh cargo test --all-targets "$@" </dev/null

# The test desktop has no StatusNotifier host, so the tray above used libayatana-appindicator
# (which docks into trayer). Desktops with a host (KDE, XFCE, GNOME's AppIndicator
# extension, …) get credtray's own StatusNotifierItem: the tray suite again, with it.
if [[ $# -eq 0 ]]; then
  step "cargo test --test tray, with credtray's own StatusNotifierItem (CREDTRAY_TRAY=sni)"
  CREDTRAY_TRAY=sni scripts/with-keyring.sh scripts/with-desktop.sh cargo test --test tray </dev/null
fi

if [[ ${CREDTRAY_TEST_DEB:-1} == 0 ]]; then
  step "Debian package: left out (CREDTRAY_TEST_DEB=0)"
  exit 0
fi
# The package of the dev-profile binary the tests just ran (stripped when packaged): the
# same files, dependencies and behaviour as the release artifact of `installers/build.sh
# deb`, without a second build of every crate (~14 min from cold on 2 cores).
step "Debian package: installers/deb/build.sh --binary target/debug/credtray"
started=$SECONDS
cargo build --bin credtray --bin credtray-signin
deb=$(installers/deb/build.sh --binary target/debug/credtray </dev/null)
echo "test.sh: $deb built in $((SECONDS - started)) s" >&2

step "Debian package: installers/deb/test.sh"
exec installers/deb/test.sh "$deb" </dev/null
