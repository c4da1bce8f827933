#!/usr/bin/env bash
# The Sessions window with 1,000 sessions across 40 named profiles (IAM users, chained
# roles, IAM Identity Center and SAML roles; a few active, one needing the user): time to
# the first frame, per keystroke of a search typed and erased, of updates (nothing
# changed, one session started or stopped, forty at once, a rename that moves a row, a
# session added and removed, an update under a search), and the memory the window adds.
#   benches/sessions_window.sh [SESSIONS] [PROFILES]       (default 1000 40)
# Builds and runs examples/sessions_window.rs --bench in release (PROFILE=dev for the debug
# build). Uses $DISPLAY when set (inside scripts/with-desktop.sh), else a private Xvfb.
#
# Measured (release, Xvfb, 2 cores shared with other builds, three runs): ~110-120 ms to
# the first frame (of which ~60-75 ms is GTK's first window, theme and icons); a keystroke
# filters in ~3 ms (median; worst ~12 ms) and shows at the next frame; an update costs
# ~5 ms when nothing or one session changed, ~7-9 ms when a session comes or goes; the
# window adds ~15 MiB. The same bench on a GtkListBox of widget rows (the first version):
# 1.1-1.5 s to open, 59 MiB, 0.6-0.8 s to show one added session.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
sessions=${1:-1000}
profiles=${2:-40}
profile=${PROFILE:-release}
case $profile in
  dev) dir=debug ;;
  *) dir=$profile ;;
esac
(cd "$repo" && cargo build --quiet --profile "$profile" --example sessions_window)
bin=${CARGO_TARGET_DIR:-$repo/target}/$dir/examples/sessions_window

xvfb=
cleanup() { [[ -n $xvfb ]] && kill "$xvfb" 2>/dev/null; true; }
trap cleanup EXIT
if [[ -z ${DISPLAY:-} ]]; then
  command -v Xvfb >/dev/null || { echo "Xvfb is missing: run scripts/install-deps.sh" >&2; exit 1; }
  fifo=$(mktemp -u)
  mkfifo "$fifo"
  Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp 3>"$fifo" 2>/dev/null &
  xvfb=$!
  read -r number <"$fifo"
  rm -f "$fifo"
  export DISPLAY=:$number
fi

# No accessibility bus, no dconf: the window needs neither.
NO_AT_BRIDGE=1 GDK_BACKEND=x11 GSETTINGS_BACKEND=memory CREDTRAY_LOG=warn \
  "$bin" --generate "$sessions" --profiles "$profiles" --bench
