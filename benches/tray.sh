#!/usr/bin/env bash
# The release tray with 1,000 sessions across 40 named profiles (39 of 20, one of 220 that
# pages into "More…" submenus): launch → menu exported on D-Bus (every session in it),
# idle RSS, context switches over an idle period, menu update times and how fast the
# exported menu follows the CLI, for each tray front (credtray's own StatusNotifierItem and
# libayatana-appindicator's GTK menu). The accessibility bridge is off (NO_AT_BRIDGE=1).
#   scripts/with-keyring.sh scripts/with-desktop.sh benches/tray.sh [IDLE_SECONDS]  (default 60)
# Needs the release binary (cargo build --release). No network: no session is started.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
idle=${1:-60}
bin=$repo/target/release/credtray
[[ -x $bin ]] || { echo "build first: cargo build --release" >&2; exit 1; }
[[ -n ${DISPLAY:-} ]] || { echo "run inside scripts/with-desktop.sh" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export HOME=$tmp/home CREDTRAY_CONFIG_DIR=$tmp/cfg NO_AT_BRIDGE=1
export AWS_SHARED_CREDENTIALS_FILE=$tmp/aws/credentials AWS_CONFIG_FILE=$tmp/aws/config
export AWS_ENDPOINT_URL_STS=http://127.0.0.1:9 CREDTRAY_LOG=credtray=debug,warn
mkdir -p "$HOME"

# One real iam-user and one chained role through the CLI, then 998 clones of the latter.
printf 'AKIABENCHEXAMPLE0001\nbenchSecret000000000000000000000000000001\n' |
  "$bin" session add iam-user --alias root-user --profile p00 >/dev/null 2>&1
"$bin" session add iam-role-chained --alias s0001 --parent root-user \
  --role-arn arn:aws:iam::123456789012:role/bench --profile p00 >/dev/null 2>&1
/usr/bin/python3 - "$CREDTRAY_CONFIG_DIR/state.json" <<'PY'
import copy, json, os, sys, uuid
path = sys.argv[1]
state = json.load(open(path))
template = state["sessions"][1]
profiles = [f"p{n:02d}" for n in range(39)] + ["big"]
for n in range(2, 1000):
    s = copy.deepcopy(template)
    s["id"] = str(uuid.uuid4())
    s["alias"] = f"s{n:04d}"
    s["profile"] = "big" if n >= 780 else profiles[n % 39]
    state["sessions"].append(s)
state["profiles"] = ["default"] + profiles
tmp = path + ".tmp"
with open(tmp, "w") as f:
    json.dump(state, f)
os.chmod(tmp, 0o600)
os.replace(tmp, path)
print(f"state: {len(state['sessions'])} sessions, {len(state['profiles'])} profiles")
PY
# Each tray front (src/tray/front.rs): credtray's own StatusNotifierItem, what desktops with
# a StatusNotifier host get, and libayatana-appindicator's GTK menu, the fallback without
# one (CREDTRAY_BENCH_FRONTS picks; each starts from the same state).
cp -p "$CREDTRAY_CONFIG_DIR/state.json" "$tmp/state.pristine"
for front in ${CREDTRAY_BENCH_FRONTS:-sni appindicator}; do
  echo "== tray front: $front (CREDTRAY_TRAY=$front)"
  # The same state for each (a run adds a profile and renames a session).
  cp -p "$tmp/state.pristine" "$CREDTRAY_CONFIG_DIR/state.json"
  CREDTRAY_TRAY=$front /usr/bin/python3 "$repo/benches/tray.py" "$bin" "$tmp" "$idle"
done
