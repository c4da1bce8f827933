#!/usr/bin/env bash
# One command per artifact; each lands in target/dist/ with the version in its name:
#
#   installers/build.sh deb       target/dist/credtray_<version>_<arch>.deb   (Debian, Ubuntu)
#   installers/build.sh windows   target/dist/credtray-<version>-setup.exe
#   installers/build.sh macos     target/dist/credtray.app (+ credtray-<version>.dmg on a Mac)
#
# Extra arguments go to the platform's script (installers/<platform>/build.sh), which says
# what it needs. The artifact's path is printed on stdout (the macOS script prints each).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

usage() {
  sed -n '2,/^set -e/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//' >&2
}

if [[ $# -eq 0 ]]; then
  usage
  exit 2
fi
platform=$1
shift
case $platform in
  deb | windows | macos) ;;
  -h | --help) usage; exit 0 ;;
  *)
    echo "installers/build.sh: unknown artifact '$platform' (deb, windows or macos)" >&2
    exit 2
    ;;
esac

script=$here/$platform/build.sh
if [[ ! -f $script ]]; then
  echo "installers/build.sh: $platform: installers/$platform/build.sh does not exist (yet)" >&2
  exit 2
fi
exec bash "$script" "$@"
