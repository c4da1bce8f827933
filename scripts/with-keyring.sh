#!/usr/bin/env bash
# Runs a command with a real Secret Service of its own:
#   scripts/with-keyring.sh CMD [ARGS...]
# A private session bus (dbus-run-session) and a gnome-keyring-daemon (secrets component only)
# that unlocks a brand-new login keyring with a password fed on its standard input. XDG_DATA_HOME
# and XDG_RUNTIME_DIR are fresh temporary folders: a login keyring left by an earlier run with
# another password would stay locked. CMD gets this script's standard input, output and exit
# status; the temporary folders are removed afterwards.
set -euo pipefail

if [[ ${1:-} != --inside-session ]]; then
  if [[ $# -eq 0 ]]; then
    echo "usage: $0 CMD [ARGS...]" >&2
    exit 2
  fi
  for tool in dbus-run-session dbus-send gnome-keyring-daemon; do
    command -v "$tool" >/dev/null || {
      echo "with-keyring: $tool not found: run scripts/install-deps.sh" >&2
      exit 127
    }
  done
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/credtray-keyring.XXXXXX")
  cleanup() {
    # The daemon leaves when its bus goes away; make sure before removing its folders.
    if [[ -s $tmp/keyring.pid ]]; then
      pid=$(<"$tmp/keyring.pid")
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill "$pid" 2>/dev/null || true
    fi
    rm -rf "$tmp"
  }
  trap cleanup EXIT
  mkdir -m 0700 "$tmp/data" "$tmp/runtime"
  status=0
  XDG_DATA_HOME=$tmp/data XDG_RUNTIME_DIR=$tmp/runtime CREDTRAY_KEYRING_TMP=$tmp \
    dbus-run-session -- "$0" --inside-session "$@" || status=$?
  exit "$status"
fi

# Inside the private session bus.
shift
tmp=$CREDTRAY_KEYRING_TMP
unset CREDTRAY_KEYRING_TMP
password="credtray-test-$$-$RANDOM$RANDOM"
printf '%s' "$password" |
  gnome-keyring-daemon --foreground --unlock --components=secrets \
    >"$tmp/keyring.log" 2>&1 &
echo $! >"$tmp/keyring.pid"

owned() {
  dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
    org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null |
    grep -q 'boolean true'
}
for _ in $(seq 100); do
  owned && break
  if ! kill -0 "$(<"$tmp/keyring.pid")" 2>/dev/null; then
    echo "with-keyring: gnome-keyring-daemon exited:" >&2
    cat "$tmp/keyring.log" >&2
    exit 1
  fi
  sleep 0.1
done
if ! owned; then
  echo "with-keyring: org.freedesktop.secrets did not appear on the session bus within 10 s:" >&2
  cat "$tmp/keyring.log" >&2
  exit 1
fi
exec "$@"
