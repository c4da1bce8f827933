#!/usr/bin/env bash
# Creates, or reuses when already complete, the Python venv that holds the test tools:
# moto_server (STS) and the AWS CLI v1, at the exact versions of scripts/test-requirements.txt.
# Location: $CREDTRAY_TEST_VENV, default <repo>/.venv. Prints the venv's path on stdout.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv=${CREDTRAY_TEST_VENV:-$repo/.venv}
requirements=$repo/scripts/test-requirements.txt
marker=$venv/.credtray-requirements

# Debian's python3 (with python3-venv) first: pyenv's or another one may lack ensurepip.
python=/usr/bin/python3
[[ -x $python ]] || python=$(command -v python3)

complete() {
  [[ -x $venv/bin/python && -x $venv/bin/moto_server && -x $venv/bin/aws && -f $marker ]] &&
    cmp -s "$marker" "$requirements" &&
    "$venv/bin/python" -c 'import moto, awscli' >/dev/null 2>&1
}

if complete; then
  echo "test-venv: reusing $venv" >&2
else
  echo "test-venv: creating $venv" >&2
  rm -rf "$venv"
  "$python" -m venv "$venv"
  # Installs without consulting a pip version check; quiet unless it fails.
  "$venv/bin/pip" install --disable-pip-version-check -q -r "$requirements"
  cp "$requirements" "$marker"
  complete || { echo "test-venv: $venv is incomplete after install" >&2; exit 1; }
fi

echo "$venv"
