#!/usr/bin/env bash
# The Windows build under wine (tests/wine/suite.py says what is tested):
#   tests/wine/run.sh [INSTALLER]
# Builds what it needs: the installer (installers/windows/build.sh) with the dialogs
# example (release, in the same cargo run), and the test helpers (mingw-w64):
# bcryptprimitives.dll, the ProcessPrng stand-in wine 8.0 lacks; credcheck.exe, which
# compares Credential Manager items without printing them; trayrect.exe, which tells
# whether wine can report a click on a notification-area icon; listrows.exe, which reads
# the rows the Sessions window shows from its list view. The moto venv is
# CREDTRAY_TEST_VENV, else scripts/test-venv.sh makes it.
# When the Windows tools cannot be had (installers/windows/deps.sh exits 3) it says so and
# exits 0: the step is skipped, not failed. WINE_SUITE_ONLY=step,step runs some steps.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo"
target=x86_64-pc-windows-gnu
target_dir=${CARGO_TARGET_DIR:-$repo/target}
step() { printf '==> wine: %s\n' "$*" >&2; }

set +e
installers/windows/deps.sh test
rc=$?
set -e
if [[ $rc -eq 3 ]]; then
  echo "wine: SKIPPED: the Windows build or wine cannot be had on this machine (see above)" >&2
  exit 0
elif [[ $rc -ne 0 ]]; then
  exit "$rc"
fi

# The dialogs example is built in the same cargo run as the binary: an example brings the
# dev-dependencies, whose features (serde's alloc…) change the build of credtray's
# dependencies, so built apart the two would compile most of the tree twice.
dialogs=$target_dir/$target/release/examples/dialogs_windows.exe
installer=${1:-}
if [[ -z $installer ]]; then
  step "the installer (with the dialogs example)"
  installer=$(CREDTRAY_WINDOWS_EXTRA_TARGETS="--example dialogs_windows" installers/windows/build.sh)
else
  step "the dialogs example (release, $target)"
  cargo build --release --locked --target "$target" --example dialogs_windows >&2
fi

step "test helpers (mingw-w64)"
helpers=$target_dir/wine/helpers
mkdir -p "$helpers"
x86_64-w64-mingw32-gcc -O2 -shared -o "$helpers/bcryptprimitives.dll" \
  tests/wine/bcryptprimitives.c tests/wine/bcryptprimitives.def -lbcrypt
x86_64-w64-mingw32-gcc -O2 -municode -o "$helpers/credcheck.exe" tests/wine/credcheck.c -ladvapi32
x86_64-w64-mingw32-gcc -O2 -o "$helpers/trayrect.exe" tests/wine/trayrect.c -lshell32
x86_64-w64-mingw32-gcc -O2 -o "$helpers/listrows.exe" tests/wine/listrows.c

venv=${CREDTRAY_TEST_VENV:-}
if [[ -z $venv ]]; then
  step "test venv (moto, AWS CLI)"
  venv=$(scripts/test-venv.sh)
fi

version=$(cargo metadata --no-deps --format-version 1 |
  python3 -c 'import json,sys; print(next(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"] == "credtray"))')

step "suite"
only=()
if [[ -n ${WINE_SUITE_ONLY:-} ]]; then only=(--only "$WINE_SUITE_ONLY"); fi
exec "$venv/bin/python" tests/wine/suite.py --repo "$repo" --installer "$installer" \
  --dialogs "$dialogs" --helpers "$helpers" --venv "$venv" --version "$version" \
  --work "$target_dir/wine" --artifacts "$target_dir/artifacts/wine" "${only[@]}"
