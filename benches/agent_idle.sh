#!/usr/bin/env bash
# Idle cost of the release agent: resident memory and context switches (all threads) over
# an idle period, with no session and with one active session whose next deadline is far.
#   scripts/with-keyring.sh benches/agent_idle.sh [SECONDS]     (default 60)
# Needs the release binary (cargo build --release) and the test venv (scripts/test-venv.sh).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
secs=${1:-60}
bin=$repo/target/release/credtray
venv=${CREDTRAY_TEST_VENV:-$repo/.venv}
[[ -x $bin ]] || { echo "build first: cargo build --release" >&2; exit 1; }
tmp=$(mktemp -d)
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$venv/bin/moto_server" -H 127.0.0.1 -p "$port" >"$tmp/moto.log" 2>&1 &
moto=$!
agent=
trap 'kill $moto ${agent:-} 2>/dev/null || true; rm -rf "$tmp"' EXIT
for _ in $(seq 50); do curl -s "http://127.0.0.1:$port" >/dev/null 2>&1 && break; sleep 0.2; done
export CREDTRAY_CONFIG_DIR=$tmp/cfg AWS_SHARED_CREDENTIALS_FILE=$tmp/aws/credentials AWS_CONFIG_FILE=$tmp/aws/config
export AWS_ENDPOINT_URL_STS=http://127.0.0.1:$port CREDTRAY_LOG=warn

switches() { # voluntary + involuntary context switches of every thread of $1
  local total=0 f
  for f in /proc/"$1"/task/*/status; do
    total=$((total + $(awk '/^(voluntary|nonvoluntary)_ctxt_switches/ {s+=$2} END {print s}' "$f")))
  done
  echo "$total"
}
measure() { # label
  "$bin" agent 2>"$tmp/agent.log" &
  agent=$!
  sleep 2
  local before after rss
  before=$(switches "$agent")
  sleep "$secs"
  after=$(switches "$agent")
  rss=$(awk '/^VmRSS/ {print $2, $3}' /proc/"$agent"/status)
  printf '%-34s idle RSS %-10s context switches in %ss: %s\n' "$1" "$rss" "$secs" "$((after - before))"
  kill -TERM "$agent"; wait "$agent" || true; agent=
}
measure "agent, no session:"
printf 'AKIAIDLEBENCH\nidle-bench-secret\n' | "$bin" session add iam-user --alias idle >/dev/null 2>&1
"$bin" session start idle 2>/dev/null
measure "agent, one active session:"
"$bin" session stop idle 2>/dev/null
