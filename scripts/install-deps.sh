#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages that building credtray and running its tests need.
# Idempotent: does nothing when every package is already installed. Runs as root, or as a
# user with sudo.
set -euo pipefail

packages=(
  # build
  build-essential pkg-config
  libdbus-1-dev # the keyring crate's Secret Service backend links libdbus
  # test tools: moto and the AWS CLI live in a venv (scripts/test-venv.sh)
  python3-venv python3-pip
  # a private session bus and a real Secret Service
  dbus dbus-x11 gnome-keyring libsecret-tools
  # the tray and its tests
  libgtk-3-dev libayatana-appindicator3-dev libxdo-dev
  libwebkit2gtk-4.1-dev # the SAML sign-in window (wry)
  xvfb xdotool imagemagick dunst libnotify-bin trayer
  python3-dbus # the tray tests read the menu over D-Bus with Debian's python3
  python3-gi # tests/tray/sni_watcher.py, a StatusNotifierWatcher (GLib main loop)
  clang # scripts/check-macos.sh compiles ring's C for the macOS target (type-check only)
  # the Debian package (installers/deb/build.sh and test.sh)
  dpkg-dev # dpkg-shlibdeps computes the package's Depends from the binary
  lintian # the package's policy check (no error allowed)
  desktop-file-utils # desktop-file-validate, for the menu and autostart entries
)

missing=()
for pkg in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
  if [[ "$status" != "installed" ]]; then
    missing+=("$pkg")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all ${#packages[@]} packages already installed" >&2
  exit 0
fi

if [[ $(id -u) -eq 0 ]]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo)
else
  echo "install-deps: missing packages (${missing[*]}) and neither root nor sudo" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
