#!/usr/bin/env bash
# Builds the Windows installer: target/dist/credtray-<version>-setup.exe
#   installers/windows/build.sh          (or: installers/build.sh windows)
# 1. the Rust target, mingw-w64 and NSIS when missing (deps.sh; exit 3 when unavailable),
# 2. the release binary for x86_64-pc-windows-gnu, with its icon, version and manifest
#    (build.rs runs mingw's windres): target/x86_64-pc-windows-gnu/release/credtray.exe,
# 3. the installer, by Debian's makensis (installers/windows/credtray.nsi; nothing is
#    downloaded), with WebView2Loader.dll beside the binary.
# CARGO_TARGET_DIR is honoured. Prints the installer's path on standard output.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
cd "$repo"
target=x86_64-pc-windows-gnu
step() { printf '==> windows: %s\n' "$*" >&2; }

step "prerequisites"
"$here/deps.sh" build

version=$(cargo metadata --no-deps --format-version 1 |
  python3 -c 'import json,sys; print(next(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"] == "credtray"))')
target_dir=${CARGO_TARGET_DIR:-$repo/target}

step "cargo build --release --target $target (credtray $version)"
start=$(date +%s)
# CREDTRAY_WINDOWS_EXTRA_TARGETS: more cargo targets to build in the same run (the wine
# tests add their dialogs example).
read -r -a extra <<<"${CREDTRAY_WINDOWS_EXTRA_TARGETS:-}"
cargo build --release --locked --target "$target" --bin credtray --bin credtray-signin "${extra[@]}" >&2
exe=$target_dir/$target/release/credtray.exe
signin=$target_dir/$target/release/credtray-signin.exe
step "built $exe ($(($(date +%s) - start)) s, $(du -h "$exe" | cut -f1)) and credtray-signin.exe"

# wry's WebView2 (the SAML sign-in window, credtray-signin.exe) is linked through
# WebView2Loader.dll on the GNU target (MSVC links a static loader): it ships beside it, from the
# webview2-com-sys crate that has it (Microsoft's redistributable loader).
loader=$(cargo metadata --locked --format-version 1 --filter-platform "$target" |
  python3 -c 'import json,sys,os; m=json.load(sys.stdin); print(next(os.path.join(os.path.dirname(p["manifest_path"]), "x64", "WebView2Loader.dll") for p in m["packages"] if p["name"] == "webview2-com-sys"))')
[[ -f $loader ]] || { echo "windows: no WebView2Loader.dll at $loader" >&2; exit 1; }

step "makensis"
mkdir -p "$target_dir/dist"
out=$target_dir/dist/credtray-$version-setup.exe
makensis -V2 -INPUTCHARSET UTF8 -DVERSION="$version" -DEXE="$exe" -DSIGNIN="$signin" -DWEBVIEW2LOADER="$loader" \
  -DOUTFILE="$out" "$here/credtray.nsi" >&2
step "wrote $out ($(du -h "$out" | cut -f1))"
echo "$out"
