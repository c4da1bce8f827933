#!/usr/bin/env bash
# Regenerates every PNG in icons/ from the SVG sources.
#   16, 22 px : small/credtray-<state>-<N>.svg (hand-pixelled, grid-aligned)
#   24 px     : the 22 px design centred on a 24 px canvas (1 px transparent border)
#   32..64 px : credtray-<state>.svg (vector master, 32-unit grid)
#   credtray.png (256 px app icon): credtray-app.svg (the idle glyph, finished for large sizes)
#   credtray-app-<N>.png, N = 128, 512, 1024: the same at the other sizes the packages
#   need (the hicolor theme of the .deb, the .icns of credtray.app)
# Needs rsvg-convert (Debian/Ubuntu package: librsvg2-bin). The PNGs are committed,
# so building credtray never needs this script.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"

if ! command -v rsvg-convert >/dev/null 2>&1; then
    echo "render.sh: rsvg-convert not found; install it with: sudo apt-get install librsvg2-bin" >&2
    exit 1
fi

render() { # render SVG SIZE OUT [PAGE]: SVG drawn at SIZE px, on a PAGE px canvas (default SIZE)
    local svg=$1 size=$2 out=$3 page=${4:-$2}
    local off=$(( (page - size) / 2 ))
    rsvg-convert --width "$size" --height "$size" \
        --page-width "$page" --page-height "$page" --left "$off" --top "$off" \
        --output "$out.tmp" "$svg"
    mv "$out.tmp" "$out"
    echo "  $out"
}

echo "render.sh: writing PNGs in $(pwd)"
for state in idle active attention; do
    render "small/credtray-$state-16.svg" 16 "credtray-$state-16.png"
    render "small/credtray-$state-22.svg" 22 "credtray-$state-22.png"
    render "small/credtray-$state-22.svg" 22 "credtray-$state-24.png" 24
    for size in 32 48 64; do
        render "credtray-$state.svg" "$size" "credtray-$state-$size.png"
    done
done
render credtray-app.svg 256 credtray.png
for size in 128 512 1024; do
    render credtray-app.svg "$size" "credtray-app-$size.png"
done
