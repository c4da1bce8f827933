#!/usr/bin/env bash
# Tests the Debian package end to end:
#
#   installers/deb/test.sh [PATH/TO/credtray_<version>_<arch>.deb]
#
# (default: the one installers/build.sh deb makes). Part of scripts/test.sh, after the
# cargo tests.
#
# 1. The package as a file (no root needed): its control fields (the version is Cargo's;
#    Depends names the package of every library the binary needs, and libayatana-
#    appindicator, which it loads with dlopen), its files, owners and modes, the icons'
#    sizes against their hicolor folders, desktop-file-validate on the desktop entry, and
#    lintian (no error; its other tags are printed).
# 2. Installed (root, or sudo without a password; else this part is skipped, saying so):
#    `dpkg -i`, then `apt-get -f install` when dependencies are missing;
#    /usr/bin/credtray --version; the installed desktop entry and icons; then, with the
#    packaged binary and a sandboxed user (HOME, XDG_CONFIG_HOME, CREDTRAY_CONFIG_DIR, AWS
#    files; a private Secret Service from scripts/with-keyring.sh; moto's STS from the test
#    venv): a profile and an IAM user session added, the session started (credentials
#    written next to the user's own sections, read back by the AWS CLI), "start at login"
#    turned on (the entry under $XDG_CONFIG_HOME/autostart, with the icon, valid), the
#    headless agent run for a moment (`credtray agent`, and `credtray` with no display);
#    then `dpkg -r` and `dpkg -P`: the binary, the desktop entry and the icons are gone,
#    and every one of the user's files, byte for byte, and keychain items remains.
#    The machine is put back whatever happens: the package is purged and every process
#    started here stopped. A credtray package that was installed before is never touched:
#    this part is skipped instead (unless a killed run of this test left it: a marker in
#    /var/tmp says so, and it is purged). Runs of this part on one machine take turns (a lock).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo"
python=${PYTHON:-/usr/bin/python3}
[[ -x $python ]] || python=python3

# The private Secret Service the sandboxed user's keychain lives in.
if [[ ${CREDTRAY_DEB_TEST_INNER:-} != 1 ]]; then
  exec env CREDTRAY_DEB_TEST_INNER=1 scripts/with-keyring.sh "$0" "$@"
fi
unset CREDTRAY_DEB_TEST_INNER

eval "$("$python" installers/metadata.py)"
version=${PKG_VERSION//-/\~}
arch=$(dpkg --print-architecture)
deb=${1:-target/dist/${PKG_NAME}_${version}_${arch}.deb}
[[ -f $deb ]] || { echo "deb/test.sh: no $deb: run installers/build.sh deb" >&2; exit 1; }
deb=$(cd "$(dirname "$deb")" && pwd)/$(basename "$deb")

for tool in dpkg-deb lintian desktop-file-validate objdump secret-tool; do
  command -v "$tool" >/dev/null || {
    echo "deb/test.sh: $tool not found: run scripts/install-deps.sh" >&2
    exit 127
  }
done

passed=0 failed=0
ok() { passed=$((passed + 1)); printf 'deb/test.sh: ok: %s\n' "$*" >&2; }
fail() { failed=$((failed + 1)); printf 'deb/test.sh: FAILED: %s\n' "$*" >&2; }
check() { # check DESCRIPTION COMMAND...: ok when the command succeeds
  local what=$1
  shift
  if "$@"; then ok "$what"; else fail "$what"; fi
}
test_started=$SECONDS
summary() {
  echo "deb/test.sh: $passed passed, $failed failed in $((SECONDS - test_started)) s" >&2
  # The line test runners count.
  echo "deb: $passed passed, $failed failed"
}

work=$(mktemp -d "${TMPDIR:-/tmp}/credtray-deb-test.XXXXXX")
chmod 0755 "$work"
pids=()
installed_here=0
as_root=()
marker=/var/tmp/credtray-deb-test.installed
# Whether the package is there in any state but "not installed" (half-configured too).
is_installed() {
  [[ $(dpkg-query -W -f='${db:Status-Abbrev}' "$PKG_NAME" 2>/dev/null || true) == [a-z][^n]* ]]
}
cleanup() {
  local status=$?
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if ((installed_here)); then
    if is_installed; then
      echo "deb/test.sh: putting the machine back: dpkg --purge $PKG_NAME" >&2
      dpkg_locked --purge "$PKG_NAME" 2>/dev/null || echo "deb/test.sh: could not purge $PKG_NAME" >&2
    fi
    is_installed || "${as_root[@]}" rm -f "$marker"
  fi
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
# Stopped by a signal: the same clean-up (bash runs the EXIT trap on exit, not on a signal).
trap 'exit 143' TERM
trap 'exit 130' INT
trap 'exit 129' HUP

# dpkg refuses at once when another dpkg or apt holds its lock: wait for it, 10 min at most.
# Its output goes to stderr.
dpkg_locked() {
  local i out
  for i in $(seq 120); do
    if out=$("${as_root[@]}" dpkg "$@" 2>&1); then
      printf '%s\n' "$out" | sed 's/^/  dpkg: /' >&2
      return 0
    fi
    if [[ $out != *"lock"* ]]; then
      printf '%s\n' "$out" >&2
      return 1
    fi
    sleep 5
  done
  printf '%s\n' "$out" >&2
  return 1
}

################################################################################
# 1. The package as a file.
echo "deb/test.sh: $deb" >&2
field() { dpkg-deb -f "$deb" "$1"; }
check "Package is $PKG_NAME" test "$(field Package)" = "$PKG_NAME"
check "Version is Cargo's ($version)" test "$(field Version)" = "$version"
check "Architecture is $arch" test "$(field Architecture)" = "$arch"
check "the file is named ${PKG_NAME}_${version}_${arch}.deb" test "$(basename "$deb")" = "${PKG_NAME}_${version}_${arch}.deb"
check "a short description" test -n "$(field Description | head -1)"
check "a Maintainer" test -n "$(field Maintainer)"
depends=$(field Depends)
echo "deb/test.sh: Depends: $depends" >&2

# Every library the binary needs, by the package that has it here, is in Depends.
mkdir -p "$work/root"
dpkg-deb -x "$deb" "$work/root"
needed=$(for exe in usr/bin/credtray usr/libexec/credtray/credtray-signin; do
  objdump -p "$work/root/$exe" | awk '$1 == "NEEDED" { print $2 }'
done | sort -u)
check "the binary needs shared libraries" test -n "$needed"
dep_names=" $(tr ',|' '\n\n' <<<"$depends" | sed 's/(.*//; s/:.*//; s/ //g' | tr '\n' ' ') "
ldconfig=$(command -v ldconfig || echo /sbin/ldconfig)
ld_cache=$("$ldconfig" -p)
for lib in $needed; do
  path=$(awk -v l="$lib" '$1 == l { print $NF; exit }' <<<"$ld_cache")
  owner=
  # dpkg knows a library by the path its package ships (/lib or /usr/lib, the link or the file).
  for p in "$path" "$(readlink -f "$path")" "${path/#\/usr\/lib\//\/lib\/}" "${path/#\/lib\//\/usr\/lib\/}"; do
    [[ -n $p ]] || continue
    owner=$(dpkg -S "$p" 2>/dev/null | head -1) && break
  done
  owner=${owner%%:*}
  if [[ -z $owner ]]; then
    fail "$lib: no package has it"
  elif [[ $dep_names == *" $owner "* ]]; then
    ok "$lib: $owner is in Depends"
  else
    fail "$lib: $owner is not in Depends"
  fi
done
check "Depends names libayatana-appindicator3-1 (dlopen)" grep -q 'libayatana-appindicator3-1' <<<"$depends"

# The files.
contents=$(dpkg-deb -c "$deb")
has() { # has MODE PATH: the package holds PATH, owned by root, with that mode
  awk -v m="$1" -v p="./$2" '$1 == m && $2 == "root/root" && $6 == p { f = 1 } END { exit !f }' <<<"$contents"
}
check "/usr/bin/credtray, 0755 root" has -rwxr-xr-x usr/bin/credtray
check "the sign-in window's program, /usr/libexec/credtray/credtray-signin, 0755 root" has -rwxr-xr-x usr/libexec/credtray/credtray-signin
check "the tray does not link the web view (WebKitGTK is the sign-in program's)" \
  sh -c "! objdump -p '$work/root/usr/bin/credtray' | grep -q 'NEEDED.*webkit'"
check "the desktop entry in /usr/share/applications" has -rw-r--r-- usr/share/applications/credtray.desktop
check "the copyright" has -rw-r--r-- usr/share/doc/credtray/copyright
check "the changelog" has -rw-r--r-- usr/share/doc/credtray/changelog.gz
check "the manual page" has -rw-r--r-- usr/share/man/man1/credtray.1.gz
check "nothing outside /usr" test -z "$(awk '{ print $6 }' <<<"$contents" | grep -v '^\./$' | grep -v '^\./usr/' || true)"
dpkg-deb -e "$deb" "$work/control"
check "no maintainer scripts (nothing done to home folders)" \
  test -z "$(cd "$work/control" && ls preinst postinst prerm postrm config 2>/dev/null || true)"
check "the packaged binary says its version" test "$("$work/root/usr/bin/credtray" --version)" = "credtray $PKG_VERSION"

# The icons: each size of icons.list, a PNG of that size (the SVG as scalable).
png_size() { "$python" -c 'import struct,sys; d=open(sys.argv[1],"rb").read(24); assert d[:8]==b"\x89PNG\r\n\x1a\n"; print("%dx%d" % struct.unpack(">II", d[16:24]))' "$1"; }
while read -r size file; do
  [[ -z $size || $size == \#* ]] && continue
  if [[ $size == scalable ]]; then
    check "icon scalable/apps/credtray.svg" has -rw-r--r-- usr/share/icons/hicolor/scalable/apps/credtray.svg
    continue
  fi
  icon=usr/share/icons/hicolor/${size}x${size}/apps/credtray.png
  if has -rw-r--r-- "$icon" && [[ $(png_size "$work/root/$icon") == "${size}x${size}" ]]; then
    ok "icon ${size}x${size}/apps/credtray.png is ${size}x${size}"
  else
    fail "icon ${size}x${size}/apps/credtray.png (missing, or not ${size}x${size})"
  fi
done <installers/linux/icons.list

out=$(desktop-file-validate "$work/root/usr/share/applications/credtray.desktop" 2>&1) && [[ -z $out ]] &&
  ok "desktop-file-validate: no error, no warning, no hint" || fail "desktop-file-validate: $out"
check "the desktop entry's icon is credtray" grep -qx 'Icon=credtray' "$work/root/usr/share/applications/credtray.desktop"

# lintian: no error. (As root it warns that it should not run as root: it does no harm here.)
lintian_out=$(lintian --info --display-info --fail-on none "$deb" 2>"$work/lintian.err" || true)
mkdir -p target/artifacts
printf '%s\n' "$lintian_out" >target/artifacts/lintian.txt
count() { grep -c "^$1: " <<<"$lintian_out" || true; }
echo "deb/test.sh: lintian: $(count E) errors, $(count W) warnings, $(count I) info," \
  "$(count P) pedantic (target/artifacts/lintian.txt)" >&2
grep -E '^[EWIP]: ' <<<"$lintian_out" | sed 's/^/  /' >&2 || true
if grep -q '^E: ' <<<"$lintian_out"; then fail "lintian: errors"; else ok "lintian: no error"; fi
if grep -qv '^$' "$work/lintian.err" && grep -qv 'root privileges' "$work/lintian.err"; then
  sed 's/^/  lintian: /' "$work/lintian.err" >&2
fi

################################################################################
# 2. Installed.
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    as_root=(sudo -n)
  else
    echo "deb/test.sh: SKIPPED installing the package: needs root or sudo without a password" >&2
    summary
    ((failed == 0))
    exit
  fi
fi
# One run at a time on this machine: the package is system-wide.
exec {lock}>"/tmp/credtray-deb-test.lock"
if ! flock -w 900 "$lock"; then
  fail "another deb/test.sh held /tmp/credtray-deb-test.lock for 15 minutes"
  summary
  exit 1
fi
if is_installed; then
  if [[ -f $marker ]]; then
    # A run of this test was killed before it could purge what it installed.
    echo "deb/test.sh: purging the $PKG_NAME package an interrupted run of this test left" >&2
    dpkg_locked --purge "$PKG_NAME"
  else
    echo "deb/test.sh: SKIPPED installing the package: $PKG_NAME is already installed here" \
      "($(dpkg-query -W -f='${Version}' "$PKG_NAME")); it is not replaced nor removed" >&2
    summary
    ((failed == 0))
    exit
  fi
fi

# The marker says the package installed from here on is this test's.
"${as_root[@]}" touch "$marker"
installed_here=1
started=$SECONDS
if dpkg_locked -i "$deb" >"$work/dpkg.log" 2>&1; then
  ok "dpkg -i $(basename "$deb")"
else
  echo "deb/test.sh: dpkg -i left dependencies to install: apt-get -f install" >&2
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 -f install -y -q \
    >>"$work/dpkg.log" 2>&1 || true
fi
if [[ $(dpkg-query -W -f='${db:Status-Abbrev}' "$PKG_NAME" 2>/dev/null) == ii* ]]; then
  ok "installed ($((SECONDS - started)) s)"
else
  fail "the package is not installed:"
  cat "$work/dpkg.log" >&2
  summary
  exit 1
fi

check "/usr/bin/credtray --version says credtray $PKG_VERSION" test "$(/usr/bin/credtray --version)" = "credtray $PKG_VERSION"
check "the installed desktop entry is valid" desktop-file-validate /usr/share/applications/credtray.desktop
while read -r size file; do
  [[ -z $size || $size == \#* ]] && continue
  if [[ $size == scalable ]]; then f=scalable/apps/credtray.svg; else f=${size}x${size}/apps/credtray.png; fi
  check "installed icon $f" test -f "/usr/share/icons/hicolor/$f"
done <installers/linux/icons.list
if [[ -f /usr/share/icons/hicolor/icon-theme.cache ]]; then
  check "the hicolor icon cache knows credtray (dpkg trigger)" grep -q credtray /usr/share/icons/hicolor/icon-theme.cache
fi

# A sandboxed user of the packaged binary.
home=$work/home
mkdir -p "$home/.aws" "$home/xdg-config"
chmod 0700 "$home" "$home/.aws"
run_env=(env -i PATH=/usr/bin:/bin HOME="$home" XDG_CONFIG_HOME="$home/xdg-config"
  CREDTRAY_CONFIG_DIR="$home/credtray-config"
  AWS_SHARED_CREDENTIALS_FILE="$home/.aws/credentials" AWS_CONFIG_FILE="$home/.aws/config"
  DBUS_SESSION_BUS_ADDRESS="$DBUS_SESSION_BUS_ADDRESS" AWS_EC2_METADATA_DISABLED=true)
[[ -z ${XDG_RUNTIME_DIR:-} ]] || run_env+=(XDG_RUNTIME_DIR="$XDG_RUNTIME_DIR")
# The user's own files, which credtray must leave as they are around its own section.
printf '# my own keys\n[personal]\naws_access_key_id = AKIAUSEROWNKEY000000\naws_secret_access_key = not-a-real-secret\n' \
  >"$home/.aws/credentials"
printf '[default]\nregion = eu-west-1\noutput = json\n' >"$home/.aws/config"
chmod 0600 "$home/.aws/credentials" "$home/.aws/config"

# moto's STS, from the test venv.
venv=${CREDTRAY_TEST_VENV:-$(scripts/test-venv.sh)}
port=$("$python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$venv/bin/moto_server" -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
  "$python" -c 'import socket,sys; socket.create_connection(("127.0.0.1",int(sys.argv[1])),0.2)' "$port" 2>/dev/null && break
  sleep 0.1
done
sts=http://127.0.0.1:$port
run=("${run_env[@]}" AWS_ENDPOINT_URL_STS="$sts" /usr/bin/credtray)

check "credtray profile add work" "${run[@]}" profile add work
secret=$("$python" -c 'import secrets; print(secrets.token_urlsafe(30))')
if printf 'AKIAIOSFODNN7EXAMPLE\n%s\n' "$secret" |
  "${run[@]}" session add iam-user --alias deb-test --profile work --region us-east-1 >"$work/add.log" 2>&1; then
  ok "credtray session add iam-user (the keys on stdin)"
else
  fail "credtray session add iam-user: $(<"$work/add.log")"
fi
check "credtray session start deb-test" "${run[@]}" session start deb-test
check "the credentials file has the user's section and credtray's" \
  grep -q '^\[personal\]' "$home/.aws/credentials"
check "… and [work]" grep -q '^\[work\]' "$home/.aws/credentials"
if "${run_env[@]}" "$venv/bin/aws" sts get-caller-identity --profile work --endpoint-url "$sts" \
  --region us-east-1 >"$work/aws.log" 2>&1; then
  ok "the AWS CLI signs with the written credentials"
else
  fail "aws sts get-caller-identity --profile work: $(<"$work/aws.log")"
fi
# (The pattern from a file: the secret is never a command-line argument.)
printf '%s\n' "$secret" >"$work/secret.pattern"
check "the secret access key is in no file of the sandbox" bash -c '! grep -rqFf "$1" "$2"' _ "$work/secret.pattern" "$home"
rm -f "$work/secret.pattern"

# The installed credtray finds its sign-in window's program (/usr/libexec/credtray): with a
# display that cannot be opened, the program is started and says so (a missing one would
# say "reinstall credtray").
check "credtray session add iam-role-federated" "${run[@]}" session add iam-role-federated \
  --alias deb-fed --profile fed --role-arn arn:aws:iam::123456789012:role/deb \
  --idp-arn arn:aws:iam::123456789012:saml-provider/deb --saml-url https://idp.invalid/saml
fed_out=$("${run_env[@]}" DISPLAY=:77 /usr/bin/credtray session start deb-fed 2>&1 || true)
check "a federated start runs the packaged sign-in program (it names the display it cannot open)" \
  grep -q "cannot open the display ':77'" <<<"$fed_out"
check "credtray session remove deb-fed" "${run[@]}" session remove deb-fed

# Start at login, from the packaged binary.
check "credtray autostart on" "${run[@]}" autostart on
entry=$home/xdg-config/autostart/credtray.desktop
check "the autostart entry is under \$XDG_CONFIG_HOME/autostart" test -f "$entry"
check "… not under ~/.config" test ! -e "$home/.config/autostart/credtray.desktop"
check "… starts /usr/bin/credtray" grep -qx 'Exec=/usr/bin/credtray' "$entry"
check "… has the icon" grep -qx 'Icon=credtray' "$entry"
check "… is skipped once the binary is gone (TryExec)" grep -qx 'TryExec=/usr/bin/credtray' "$entry"
check "… is valid (desktop-file-validate)" desktop-file-validate "$entry"
check "credtray autostart status says on" test "$("${run[@]}" autostart status)" = on

# The headless agent, for a moment: it keeps running until SIGTERM, then exits cleanly.
agent_moment() { # agent_moment LOG NAME COMMAND...
  local log=$work/$1.log name=$2 pid code
  shift 2
  "$@" >"$log" 2>&1 &
  pid=$!
  pids+=("$pid")
  sleep 3
  if ! kill -0 "$pid" 2>/dev/null; then
    wait "$pid" || true
    fail "$name stopped by itself: $(<"$log")"
    return
  fi
  kill -TERM "$pid"
  code=0
  wait "$pid" || code=$?
  if ((code == 0)); then
    ok "$name ran, then left at SIGTERM"
  else
    fail "$name: exit $code after SIGTERM: $(<"$log")"
  fi
}
agent_moment agent "credtray agent" "${run[@]}" agent
agent_moment nodisplay "credtray with no display (the headless agent)" "${run[@]}"
check "… which says so" grep -q 'no display' "$work/nodisplay.log"

# What the user has now: their files, byte for byte, and their keychain items (attributes
# only: secret-tool's secret lines are never kept nor printed).
keychain() {
  "${run_env[@]}" secret-tool search --all service credtray 2>&1 | grep -v '^secret = ' | grep -E '^(\[|attribute)' | sort
}
snapshot() {
  (cd "$home" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
  (cd "$home" && find . -printf '%y %m %p\n' | LC_ALL=C sort)
  keychain
}
before=$(snapshot)
items=$(keychain | grep -c '^\[' || true)
check "the keychain holds the session's items ($items)" test "$items" -ge 2
check "state.json exists" test -f "$home/credtray-config/state.json"

check "dpkg -r credtray" dpkg_locked -r "$PKG_NAME"
check "/usr/bin/credtray is gone" test ! -e /usr/bin/credtray
check "the desktop entry is gone" test ! -e /usr/share/applications/credtray.desktop
check "the icons are gone" test -z "$(find /usr/share/icons/hicolor -name 'credtray.*' -print -quit)"
after=$(snapshot)
check "after dpkg -r the user's files and keychain items are all there, unchanged" test "$before" = "$after"
check "dpkg -P credtray" dpkg_locked -P "$PKG_NAME"
after=$(snapshot)
check "after dpkg -P the user's files and keychain items are all there, unchanged" test "$before" = "$after"
not_installed() { ! is_installed; }
check "the package is gone" not_installed
if [[ $before != "$after" ]]; then
  diff <(printf '%s\n' "$before") <(printf '%s\n' "$after") >&2 || true
fi

summary
((failed == 0))
