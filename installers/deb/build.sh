#!/usr/bin/env bash
# Builds the Debian package: target/dist/credtray_<version>_<arch>.deb.
#
#   installers/deb/build.sh [--no-build | --binary PATH]
#
# (or `installers/build.sh deb`). Builds the release binary (`cargo build --release
# --locked`, the same command as scripts/run.sh, so the two share target/release), unless
# --no-build or --binary PATH (package that binary instead: scripts/test.sh packages the
# dev-profile binary its tests just built, so CI does not build everything a second time;
# the artifact for users is the release build), then lays out the package with plain dpkg tools (dpkg-shlibdeps, dpkg-deb; no
# cargo-deb): /usr/bin/credtray, /usr/libexec/credtray/credtray-signin (the sign-in window
# of federated sessions, the only program linking WebKitGTK), the desktop entry (installers/linux/credtray.desktop) in
# /usr/share/applications, the icons of installers/linux/icons.list in the hicolor theme, a
# manual page made from `credtray --help`, the copyright (DEP-5, with the list of the Rust
# crates built in) and a changelog. The control file's fields come from Cargo.toml
# ([package] and [package.metadata.deb], read by installers/metadata.py); Depends is what
# dpkg-shlibdeps computes from the binary plus what it loads with dlopen.
# No maintainer scripts: dpkg's triggers refresh the icon cache and the desktop database,
# and removing or purging the package touches nothing in any home folder.
# Needs dpkg-dev (dpkg-shlibdeps) and python3. Files get the last commit's date (or
# SOURCE_DATE_EPOCH's), so building the same binary twice gives the same package.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo"
python=${PYTHON:-python3}

build=1
bin=target/release/credtray
while [[ $# -gt 0 ]]; do
  arg=$1
  shift
  case $arg in
    --no-build) build=0 ;;
    --binary)
      [[ $# -gt 0 ]] || { echo "deb/build.sh: --binary needs a path" >&2; exit 2; }
      bin=$1 build=0
      shift
      ;;
    -h | --help) sed -n '2,/^set -e/{/^set -e/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
    *) echo "deb/build.sh: unknown argument $arg" >&2; exit 2 ;;
  esac
done

for tool in dpkg-deb dpkg-shlibdeps dpkg-architecture strip "$python" gzip; do
  command -v "$tool" >/dev/null || {
    echo "deb/build.sh: $tool not found (Debian packages dpkg-dev, python3: scripts/install-deps.sh)" >&2
    exit 127
  }
done

eval "$("$python" installers/metadata.py)"
# Debian sorts "~" before anything: Cargo's 1.0.0-rc.1 becomes 1.0.0~rc.1.
version=${PKG_VERSION//-/\~}
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
triple=$(rustc -vV | sed -n 's/^host: //p')
dist=target/dist
out=$dist/${PKG_NAME}_${version}_${arch}.deb
stage=target/deb/${PKG_NAME}_${version}_${arch}
# Not exported: build scripts (ring's, through cc) rerun when SOURCE_DATE_EPOCH changes, and
# cargo would rebuild half the dependencies after each commit. dpkg-deb alone gets it.
epoch=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}

started=$SECONDS
if ((build)); then
  echo "deb/build.sh: cargo build --release --locked" >&2
  cargo build --release --locked
fi
[[ -x $bin ]] || { echo "deb/build.sh: no $bin (run without --no-build)" >&2; exit 1; }
# The sign-in window's program, built beside credtray (src/saml/helper.rs looks for it in
# ../libexec/credtray from /usr/bin).
helper=$(dirname "$bin")/credtray-signin
[[ -x $helper ]] || { echo "deb/build.sh: no $helper beside $bin (cargo builds both)" >&2; exit 1; }
bin_version=$("$bin" --version)
[[ $bin_version == "credtray $PKG_VERSION" ]] || {
  echo "deb/build.sh: $bin says '$bin_version', Cargo.toml says $PKG_VERSION: rebuild it" >&2
  exit 1
}

rm -rf "$stage"
mkdir -p "$stage/DEBIAN" "$dist"
doc=$stage/usr/share/doc/$PKG_NAME

# The binary, stripped as dh_strip does (the release profile strips it already; a dev-profile
# binary loses its debug information here).
install -D -m 0755 "$bin" "$stage/usr/bin/credtray"
install -D -m 0755 "$helper" "$stage/usr/libexec/credtray/credtray-signin"
for exe in "$stage/usr/bin/credtray" "$stage/usr/libexec/credtray/credtray-signin"; do
  strip --strip-unneeded --remove-section=.comment --remove-section=.note "$exe"
done

# The desktop entry, as for a per-user install but with Exec= on the PATH.
install -D -m 0644 installers/linux/credtray.desktop "$stage/usr/share/applications/credtray.desktop"

# The icons.
while read -r size file; do
  [[ -z $size || $size == \#* ]] && continue
  if [[ $size == scalable ]]; then dir=scalable; else dir=${size}x${size}; fi
  install -D -m 0644 "icons/$file" "$stage/usr/share/icons/hicolor/$dir/apps/credtray.${file##*.}"
done <installers/linux/icons.list

# The manual page: the description, `credtray --help`, the files and variables.
mkdir -p "$stage/usr/share/man/man1"
{
  # roff: a leading "." or "'" starts a request, "\" an escape.
  roff() { sed -e 's/\\/\\e/g' -e "s/^\([.']\)/\\\\\\&\1/"; }
  date=$(date -u -d "@$epoch" +%Y-%m-%d)
  echo ".TH CREDTRAY 1 \"$date\" \"credtray $PKG_VERSION\" \"User Commands\""
  echo ".SH NAME"
  echo "credtray \\- $DEB_SYNOPSIS"
  echo ".SH SYNOPSIS"
  echo ".B credtray"
  echo ".RI [ COMMAND ]"
  echo ".SH DESCRIPTION"
  printf '%s\n' "$DEB_EXTENDED_DESCRIPTION" | roff
  echo ".PP"
  echo "With no command, credtray is the tray applet (the headless agent where there is no display)."
  echo "Each command has its own help: \\fBcredtray\\fR \\fICOMMAND\\fR \\fB\\-\\-help\\fR."
  echo ".SH COMMANDS AND OPTIONS"
  echo ".nf"
  "$bin" --help | sed -n '/^Commands:/,$p' | roff
  echo ".fi"
  echo ".SH FILES"
  echo ".TP"
  echo ".I ~/.config/credtray/state.json"
  echo "Sessions, profiles and settings (no secret: those are in the keychain)."
  echo ".TP"
  echo ".I ~/.aws/credentials, ~/.aws/config"
  echo "Where active sessions write short-lived credentials and regions."
  echo ".TP"
  echo ".I \$XDG_CONFIG_HOME/autostart/credtray.desktop"
  echo "Start at login."
  echo ".SH ENVIRONMENT"
  echo ".TP"
  echo ".B CREDTRAY_CONFIG_DIR"
  echo "The folder of state.json instead of ~/.config/credtray."
  echo ".TP"
  echo ".B AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE"
  echo "The AWS files."
  echo ".TP"
  echo ".B CREDTRAY_LOG"
  echo "The log filter, e.g. credtray=debug."
} >"$stage/usr/share/man/man1/credtray.1"
gzip -9n "$stage/usr/share/man/man1/credtray.1"

# The copyright (machine-readable format), and the crates built into the binary.
mkdir -p "$doc"
"$python" installers/crates.py "$triple" >"$doc/crates.txt"
chmod 0644 "$doc/crates.txt"
{
  cat <<EOF
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: $PKG_NAME
Comment: /usr/bin/credtray is built with the Rust crates listed, with their licenses, in
 /usr/share/doc/$PKG_NAME/crates.txt.

Files: *
Copyright: $DEB_COPYRIGHT
License: Expat or Apache-2.0

License: Expat
EOF
  sed 's/^$/./; s/^/ /' installers/deb/LICENSE-MIT
  cat <<'EOF'

License: Apache-2.0
 Licensed under the Apache License, Version 2.0 (the "License"); you may not use
 this file except in compliance with the License. You may obtain a copy of the
 License at http://www.apache.org/licenses/LICENSE-2.0
 .
 On Debian systems, the complete text of the Apache License, Version 2.0 can be
 found in "/usr/share/common-licenses/Apache-2.0".
EOF
} >"$doc/copyright"
chmod 0644 "$doc/copyright"

# A native package's changelog.
commit=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
{
  echo "$PKG_NAME ($version) unstable; urgency=medium"
  echo
  echo "  * credtray $PKG_VERSION, built from commit $commit."
  echo
  echo " -- $DEB_MAINTAINER  $(date -u -R -d "@$epoch")"
} | gzip -9n >"$doc/changelog.gz"
chmod 0644 "$doc/changelog.gz"

# Depends: dpkg-shlibdeps reads the binary's NEEDED libraries (it wants a debian/control).
shlib_tmp=$(mktemp -d)
trap 'rm -rf "$shlib_tmp"' EXIT
mkdir "$shlib_tmp/debian"
printf 'Source: %s\n\nPackage: %s\nArchitecture: any\n' "$PKG_NAME" "$PKG_NAME" >"$shlib_tmp/debian/control"
shlib_depends=$(cd "$shlib_tmp" && dpkg-shlibdeps -O "$repo/$stage/usr/bin/credtray" "$repo/$stage/usr/libexec/credtray/credtray-signin" 2>"$shlib_tmp/err" |
  sed -n 's/^shlibs:Depends=//p') || {
  cat "$shlib_tmp/err" >&2
  exit 1
}
[[ -n $shlib_depends ]] || { echo "deb/build.sh: dpkg-shlibdeps found no dependency" >&2; cat "$shlib_tmp/err" >&2; exit 1; }
depends=${DEB_DEPENDS//\$auto/$shlib_depends}

# The control file.
installed_size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
{
  echo "Package: $PKG_NAME"
  echo "Version: $version"
  echo "Architecture: $arch"
  echo "Maintainer: $DEB_MAINTAINER"
  echo "Installed-Size: $installed_size"
  echo "Depends: $depends"
  [[ -z ${DEB_RECOMMENDS:-} ]] || echo "Recommends: $DEB_RECOMMENDS"
  echo "Section: $DEB_SECTION"
  echo "Priority: $DEB_PRIORITY"
  echo "Description: $DEB_SYNOPSIS"
  printf '%s\n' "$DEB_EXTENDED_DESCRIPTION" | fold -s -w 78 | sed 's/ *$//; s/^$/./; s/^/ /'
} >"$stage/DEBIAN/control"

(cd "$stage" && find usr -type f -print0 | LC_ALL=C sort -z | xargs -0 md5sum) >"$stage/DEBIAN/md5sums"
find "$stage" -type d -exec chmod 0755 {} +
chmod 0644 "$stage/DEBIAN/control" "$stage/DEBIAN/md5sums"
find "$stage" -exec touch -h -d "@$epoch" {} +

rm -f "$out"
SOURCE_DATE_EPOCH=$epoch dpkg-deb --root-owner-group -Zxz --build "$stage" "$out" >/dev/null
echo "deb/build.sh: $out ($(du -h "$out" | cut -f1), $((SECONDS - started)) s)" >&2
echo "$out"
