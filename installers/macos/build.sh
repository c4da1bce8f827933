#!/usr/bin/env bash
# Builds credtray.app, the macOS menu-bar applet, and its disk image:
#
#   installers/macos/build.sh [--universal] [--no-build] [--no-dmg] [--out DIR]
#   installers/macos/build.sh --layout-only [--out DIR]      (anywhere: no macOS binary)
#
# (or `installers/build.sh macos ...`). On a Mac (Xcode's command line tools, Rust):
# 1. `cargo build --release --locked` (MACOSX_DEPLOYMENT_TARGET from Cargo.toml);
#    --universal builds aarch64 and x86_64 and joins them with lipo (rustup target add
#    aarch64-apple-darwin x86_64-apple-darwin first);
# 2. DIR/credtray.app (default target/dist): Contents/MacOS/credtray, Contents/Info.plist
#    (installers/macos/make_plist.py: the bundle id and version of Cargo.toml, LSUIElement so
#    there is no Dock icon), Contents/Resources/credtray.icns (iconutil, from the PNGs of
#    icons/ rendered from its SVGs), Contents/PkgInfo;
# 3. a code signature: ad hoc, or CODESIGN_IDENTITY's ("Developer ID Application: ...",
#    with the hardened runtime and a timestamp; notarizing is a separate step);
# 4. the structural check (installers/macos/check_bundle.py);
# 5. DIR/credtray-<version>.dmg (hdiutil: the app and a link to /Applications), unless --no-dmg.
# Elsewhere only --layout-only runs: the same bundle with a placeholder executable (a shell
# script saying so) and the .icns written by make_icns.py, checked the same way; no signature,
# no disk image. The bundle's path is printed on stdout, then the disk image's.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo"
python=${PYTHON:-python3}
here=installers/macos

layout_only=0 universal=0 build=1 dmg=1 out=target/dist
while [[ $# -gt 0 ]]; do
  case $1 in
    --layout-only) layout_only=1 ;;
    --universal) universal=1 ;;
    --no-build) build=0 ;;
    --no-dmg) dmg=0 ;;
    --out) out=${2:?--out needs a folder}; shift ;;
    -h | --help) sed -n '2,/^set -e/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "macos/build.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

on_mac=0
[[ $(uname -s) == Darwin ]] && on_mac=1
if ((!on_mac && !layout_only)); then
  echo "macos/build.sh: credtray.app needs a Mac: the macOS binary cannot be built here." >&2
  echo "  --layout-only lays out the bundle (Info.plist, icon) with a placeholder executable," >&2
  echo "  to check its structure." >&2
  exit 2
fi

eval "$("$python" installers/metadata.py)"
app=$out/$PKG_NAME.app
mkdir -p "$out"

# 1. The binary.
bin=
if ((!layout_only)); then
  export MACOSX_DEPLOYMENT_TARGET=${MACOSX_DEPLOYMENT_TARGET:-$BUNDLE_MINIMUM_SYSTEM_VERSION}
  if ((universal)); then
    for t in aarch64-apple-darwin x86_64-apple-darwin; do
      if ((build)); then cargo build --release --locked --target "$t"; fi
    done
    bin=target/universal/credtray
    mkdir -p target/universal
    lipo -create -output "$bin" target/aarch64-apple-darwin/release/credtray \
      target/x86_64-apple-darwin/release/credtray
    lipo -create -output target/universal/credtray-signin \
      target/aarch64-apple-darwin/release/credtray-signin \
      target/x86_64-apple-darwin/release/credtray-signin
  else
    if ((build)); then cargo build --release --locked; fi
    bin=target/release/credtray
  fi
  [[ $("$bin" --version) == "credtray $PKG_VERSION" ]] || {
    echo "macos/build.sh: $bin is not credtray $PKG_VERSION: rebuild it" >&2
    exit 1
  }
fi

# 2. The bundle.
rm -rf "$app"
mkdir -p "$app/Contents/MacOS" "$app/Contents/Resources"
if [[ -n $bin ]]; then
  install -m 0755 "$bin" "$app/Contents/MacOS/$PKG_NAME"
  # The sign-in window of federated sessions (src/saml/helper.rs finds it beside credtray).
  install -m 0755 "$(dirname "$bin")/credtray-signin" "$app/Contents/MacOS/credtray-signin"
else
  cat >"$app/Contents/MacOS/$PKG_NAME" <<'EOF'
#!/bin/sh
# Placeholder: this credtray.app was laid out off a Mac (installers/macos/build.sh
# --layout-only) to check its structure. Build the real one on a Mac with
# `installers/build.sh macos`.
echo "credtray.app: placeholder executable, laid out off a Mac; build it on a Mac" >&2
exit 1
EOF
  chmod 0755 "$app/Contents/MacOS/$PKG_NAME"
fi
"$python" "$here/make_plist.py" "$app/Contents/Info.plist"
printf 'APPL????' >"$app/Contents/PkgInfo"

# The icon: the sizes of installers/linux/icons.list (the hicolor theme's), and 1024 px.
# (Bash 3.2, macOS's own: no associative arrays.)
png_for() {
  if [[ $1 == 1024 ]]; then echo icons/credtray-app-1024.png; return; fi
  local size file
  while read -r size file; do
    if [[ $size == "$1" ]]; then echo "icons/$file"; return; fi
  done <installers/linux/icons.list
}
for n in 16 32 64 128 256 512 1024; do
  [[ -f $(png_for $n) ]] || { echo "macos/build.sh: no $n px icon" >&2; exit 1; }
done
icns=$app/Contents/Resources/$PKG_NAME.icns
if command -v iconutil >/dev/null 2>&1; then
  iconset=$(mktemp -d)/$PKG_NAME.iconset
  mkdir -p "$iconset"
  for pt in 16 32 128 256 512; do
    cp "$(png_for $pt)" "$iconset/icon_${pt}x${pt}.png"
    cp "$(png_for $((pt * 2)))" "$iconset/icon_${pt}x${pt}@2x.png"
  done
  iconutil -c icns -o "$icns" "$iconset"
  rm -rf "$(dirname "$iconset")"
else
  args=()
  for n in 16 32 64 128 256 512 1024; do args+=("$n=$(png_for $n)"); done
  "$python" "$here/make_icns.py" "$icns" "${args[@]}"
fi

# 3. The signature (a Mac only).
if ((on_mac && !layout_only)); then
  plutil -lint "$app/Contents/Info.plist" >/dev/null
  # Inside out: the sign-in program in Contents/MacOS first (a nested executable the
  # bundle's signature does not cover; notarization refuses it unsigned), then the bundle.
  for target in "$app/Contents/MacOS/credtray-signin" "$app"; do
    if [[ -n ${CODESIGN_IDENTITY:-} ]]; then
      codesign --force --options runtime --timestamp --sign "$CODESIGN_IDENTITY" "$target"
    else
      codesign --force --sign - "$target"
    fi
  done
  codesign --verify --strict "$app/Contents/MacOS/credtray-signin"
  codesign --verify --strict "$app"
fi

# 4. The structural check.
check=("$python" "$here/check_bundle.py" "$app" --version "$PKG_VERSION" --identifier "$BUNDLE_IDENTIFIER")
if ((layout_only)); then check+=(--placeholder); fi
"${check[@]}" >&2
echo "$app"

# 5. The disk image.
if ((on_mac && !layout_only && dmg)); then
  dmg_file=$out/$PKG_NAME-$PKG_VERSION.dmg
  staging=$(mktemp -d)
  cp -R "$app" "$staging/"
  ln -s /Applications "$staging/Applications"
  rm -f "$dmg_file"
  hdiutil create -quiet -volname "$PKG_NAME $PKG_VERSION" -srcfolder "$staging" -fs HFS+ \
    -format UDZO -ov "$dmg_file"
  rm -rf "$staging"
  [[ -z ${CODESIGN_IDENTITY:-} ]] || codesign --force --timestamp --sign "$CODESIGN_IDENTITY" "$dmg_file"
  hdiutil verify -quiet "$dmg_file"
  echo "$dmg_file"
elif ((!layout_only && dmg)); then
  echo "macos/build.sh: no disk image off a Mac" >&2
fi
