#!/usr/bin/env bash
# Wall time of the release binary's `session list --json` with 1,000 sessions (process
# start-up, state load, rendering), averaged over runs.
#   benches/list_cli.sh [RUNS]      (default 50; needs cargo build --release)
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
runs=${1:-50}
bin=$repo/target/release/credtray
[[ -x $bin ]] || { echo "build first: cargo build --release" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/cfg"
/usr/bin/python3 - "$tmp/cfg/state.json" <<'PY'
import json, sys, uuid
sessions, active, profiles, parent = [], {}, ["default"] + [f"profile-{p}" for p in range(50)], None
for i in range(1000):
    sid = str(uuid.uuid4())
    s = {"id": sid, "alias": f"session-{i}", "profile": f"profile-{i % 50}", "region": "eu-west-1"}
    if parent and i % 4:
        s.update(kind="iam-role-chained", parent=parent, role_arn=f"arn:aws:iam::123456789012:role/R{i}",
                 role_session_name="credtray", duration_secs=3600)
    else:
        s.update(kind="iam-user", mfa_serial=f"arn:aws:iam::123456789012:mfa/u{i}", duration_secs=36000)
        parent = sid
    sessions.append(s)
json.dump({"schema_version": 1, "profiles": profiles, "sessions": sessions, "active": active}, open(sys.argv[1], "w"))
PY
export CREDTRAY_CONFIG_DIR=$tmp/cfg
n=$("$bin" session list --json | /usr/bin/python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
[[ $n == 1000 ]] || { echo "expected 1000 sessions, got $n" >&2; exit 1; }
start=$(date +%s%N)
for _ in $(seq "$runs"); do "$bin" session list --json >/dev/null; done
end=$(date +%s%N)
echo "session list --json, 1,000 sessions: $(( (end - start) / runs / 1000 )) µs per run (mean of $runs, whole process)"
