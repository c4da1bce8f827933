#!/usr/bin/env bash
# Type-checks credtray for macOS from Linux, with no macOS SDK (nothing is linked):
#   scripts/check-macos.sh [check|clippy] [extra cargo args...]
# (default: clippy --all-targets -- -D warnings). Needs `rustup target add
# aarch64-apple-darwin` and clang (Debian: apt-get install clang).
#
# Two C build scripts are the obstacle, and both are passed without touching them:
# - ring compiles C for the target: it gets clang with ring's own no-sysroot mode
#   (-nostdlibinc, RING_CORE_NOSTDLIBINC, as ring's build.rs uses for wasm32 and musl) and a
#   stand-in for the SDK's TargetConditionals.h, the one SDK header it includes;
# - mac-notification-sys (through notify-rust) and objc2-exception-helper compile
#   Objective-C against Cocoa, which only the SDK has: DOCS_RS=1, the switch both build
#   scripts honour (docs.rs checks them on Linux), skips that. No other build script in the
#   macOS dependency tree reads DOCS_RS.
# The objects are never linked: this is a check, not a build (a Mac builds credtray.app,
# installers/macos/build.sh).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

target=aarch64-apple-darwin
stub="${CARGO_TARGET_DIR:-$repo/target}/macos-check-include"
mkdir -p "$stub"
cat >"$stub/TargetConditionals.h" <<'EOF'
/* Check-only stand-in for the macOS SDK's header (scripts/check-macos.sh). */
#pragma once
#define TARGET_OS_MAC 1
#define TARGET_OS_OSX 1
#define TARGET_OS_IPHONE 0
#define TARGET_OS_IOS 0
#define TARGET_OS_TV 0
#define TARGET_OS_WATCH 0
#define TARGET_OS_SIMULATOR 0
EOF

export DOCS_RS=1
export CC_aarch64_apple_darwin=${CC_aarch64_apple_darwin:-clang}
export CFLAGS_aarch64_apple_darwin="--target=arm64-apple-macos11 -nostdlibinc -DRING_CORE_NOSTDLIBINC=1 -I$stub"

mode=${1:-clippy}
shift || true
case $mode in
  check) exec cargo check --target "$target" --all-targets "$@" ;;
  clippy)
    if (($#)); then
      exec cargo clippy --target "$target" "$@"
    fi
    exec cargo clippy --target "$target" --all-targets -- -D warnings
    ;;
  *)
    echo "usage: scripts/check-macos.sh [check|clippy] [extra cargo args...]" >&2
    exit 2
    ;;
esac
