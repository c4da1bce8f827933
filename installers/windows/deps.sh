#!/usr/bin/env bash
# What the Windows build (and its wine tests) need, installed when missing:
#   installers/windows/deps.sh build   the Rust target x86_64-pc-windows-gnu (rustup),
#                                      mingw-w64 (linker, windres) and NSIS (makensis)
#   installers/windows/deps.sh test    the above, and wine (64-bit), Xvfb, xdotool, trayer
# Debian packages need root or sudo. Exits 3, saying why, when something cannot be had
# (no rustup, the target cannot be downloaded, apt cannot install): callers skip the
# Windows step with that message instead of failing.
set -euo pipefail

what=${1:-build}
target=x86_64-pc-windows-gnu
unavailable() { echo "windows: unavailable: $*" >&2; exit 3; }

packages=(gcc-mingw-w64-x86-64 binutils-mingw-w64-x86-64 nsis)
if [[ $what == test ]]; then
  packages+=(wine wine64 xvfb xdotool x11-utils trayer)
fi

missing=()
for pkg in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
  [[ $status == installed ]] || missing+=("$pkg")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  if [[ $(id -u) -eq 0 ]]; then
    as_root=()
  elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
  else
    unavailable "missing Debian packages (${missing[*]}) and neither root nor sudo"
  fi
  echo "windows: installing ${missing[*]}" >&2
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2 ||
    unavailable "apt-get update failed"
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends "${missing[@]}" >&2 ||
    unavailable "cannot install ${missing[*]}"
fi

# The Rust standard library for the target: a rustup component of the active toolchain.
sysroot=$(rustc --print sysroot)
if [[ ! -d $sysroot/lib/rustlib/$target/lib ]]; then
  command -v rustup >/dev/null 2>&1 ||
    unavailable "the Rust target $target is not installed, and there is no rustup to add it"
  echo "windows: rustup target add $target" >&2
  rustup target add "$target" >&2 ||
    unavailable "rustup cannot add the target $target (offline?)"
fi
