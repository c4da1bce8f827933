#!/usr/bin/env bash
# Runs a command inside a small desktop of its own, for the tray tests:
#   scripts/with-desktop.sh CMD [ARGS...]
# - Xvfb on a free display number (DISPLAY is exported);
# - dunst, a real notification daemon, on the current session bus (run this inside
#   scripts/with-keyring.sh, which makes a private bus). Every notification it shows is also
#   appended, one JSON object per line, to $CREDTRAY_TEST_NOTIFICATIONS by a dunst script rule;
# - trayer, an XEmbed system tray, where the applet's icon docks when no StatusNotifier host
#   runs (libayatana-appindicator falls back to a GtkStatusIcon).
# CMD gets this script's standard input and output and its exit status; everything started
# here is stopped afterwards.
set -euo pipefail

if [[ $# -eq 0 ]]; then
  echo "usage: $0 CMD [ARGS...]" >&2
  exit 2
fi
for tool in Xvfb dunst dunstctl trayer xdotool import; do
  command -v "$tool" >/dev/null || {
    echo "with-desktop: $tool not found: run scripts/install-deps.sh" >&2
    exit 127
  }
done
[[ -n ${DBUS_SESSION_BUS_ADDRESS:-} ]] || {
  echo "with-desktop: no session bus: run it inside scripts/with-keyring.sh" >&2
  exit 2
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/credtray-desktop.XXXXXX")
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

# Xvfb picks a free display itself and writes its number to the fd given.
exec {displayfd}<> <(:)
Xvfb -displayfd "$displayfd" -screen 0 1280x800x24 -nolisten tcp >"$tmp/xvfb.log" 2>&1 &
pids+=($!)
display=
for _ in $(seq 100); do
  if read -r -t 0.1 -u "$displayfd" display && [[ -n $display ]]; then break; fi
done
exec {displayfd}>&-
[[ -n $display ]] || { echo "with-desktop: Xvfb did not start:" >&2; cat "$tmp/xvfb.log" >&2; exit 1; }
export DISPLAY=":$display"

# dunst: notifications logged by a script rule (dunst runs it for every notification).
export CREDTRAY_TEST_NOTIFICATIONS=$tmp/notifications.jsonl
: >"$CREDTRAY_TEST_NOTIFICATIONS"
cat >"$tmp/log-notification.sh" <<'SH'
#!/bin/sh
# dunst passes: appname summary body icon urgency (and DUNST_* variables).
/usr/bin/python3 -c 'import json,sys,os; print(json.dumps({"appname":sys.argv[1],"summary":sys.argv[2],"body":sys.argv[3],"urgency":sys.argv[5],"id":os.environ.get("DUNST_ID","")}))' "$@" >>"$CREDTRAY_TEST_NOTIFICATIONS"
SH
chmod +x "$tmp/log-notification.sh"
cat >"$tmp/dunstrc" <<RC
[global]
    font = DejaVu Sans 10
    width = 420
    origin = top-right
    offset = 12x40
    notification_limit = 0
    history_length = 500
    sticky_history = yes
    # What most desktops do (and dunst's own shipped dunstrc): bodies are Pango markup,
    # and "body-markup" is among the capabilities credtray reads.
    markup = full
[log-everything]
    summary = "*"
    script = $tmp/log-notification.sh
RC
dunst -config "$tmp/dunstrc" >"$tmp/dunst.log" 2>&1 &
pids+=($!)
# Poll with NameHasOwner, which (unlike a call to the name) never makes the bus start
# another notification daemon through D-Bus activation.
has_dunst() {
  dbus-send --session --print-reply=literal --dest=org.freedesktop.DBus /org/freedesktop/DBus \
    org.freedesktop.DBus.NameHasOwner string:org.freedesktop.Notifications 2>/dev/null | grep -q true
}
for _ in $(seq 100); do
  has_dunst && break
  sleep 0.1
done
has_dunst || { echo "with-desktop: dunst did not start:" >&2; cat "$tmp/dunst.log" >&2; exit 1; }

# A system tray at the top right.
trayer --edge top --align right --widthtype percent --width 100 --height 28 --SetDockType true \
  --transparent true --alpha 0 --tint 0x2b2b2b >"$tmp/trayer.log" 2>&1 &
pids+=($!)

echo "with-desktop: DISPLAY=$DISPLAY, dunst and trayer running" >&2
status=0
"$@" || status=$?
exit "$status"
