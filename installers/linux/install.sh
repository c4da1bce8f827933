#!/usr/bin/env bash
# Installs credtray for the current user, without root.
#
#   installers/linux/install.sh [PATH/TO/credtray]
#
# The binary defaults to target/release/credtray in the repository this script belongs to.
# It goes to ${XDG_BIN_HOME:-~/.local/bin}/credtray (the sign-in program beside it to
# ../libexec/credtray/credtray-signin), the desktop entry to
# ${XDG_DATA_HOME:-~/.local/share}/applications/credtray.desktop (Exec= pointing at the
# installed binary) and the icons to ${XDG_DATA_HOME:-~/.local/share}/icons/hicolor/NxN/apps/.
# Running it again overwrites the same files.
set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd "$script_dir/../.." && pwd)
icons_src="$repo_root/icons"
desktop_src="$script_dir/credtray.desktop"

bin_src=${1:-"$repo_root/target/release/credtray"}
if [[ ! -f "$bin_src" ]]; then
    echo "install.sh: no binary at $bin_src (build it with 'cargo build --release', or pass its path)" >&2
    exit 1
fi
bin_src=$(cd "$(dirname "$bin_src")" && pwd)/$(basename "$bin_src")

: "${HOME:?HOME is not set}"
bin_dir=${XDG_BIN_HOME:-"$HOME/.local/bin"}
data_dir=${XDG_DATA_HOME:-"$HOME/.local/share"}
apps_dir="$data_dir/applications"
hicolor_dir="$data_dir/icons/hicolor"
bin_dst="$bin_dir/credtray"
desktop_dst="$apps_dir/credtray.desktop"

for f in "$desktop_src" "$script_dir/icons.list"; do
    [[ -f "$f" ]] || { echo "install.sh: missing $f" >&2; exit 1; }
done

# Exec= value for the binary's path, quoted and escaped as the Desktop Entry spec asks
# when it holds anything but plain path characters.
exec_value() {
    local p=$1
    if [[ "$p" =~ ^[A-Za-z0-9/._+-]+$ ]]; then
        printf '%s' "$p"
        return
    fi
    p=${p//\\/\\\\}     # inside quotes: \ " ` $ take a backslash...
    p=${p//\"/\\\"}
    p=${p//\`/\\\`}
    p=${p//\$/\\\$}
    p=${p//\\/\\\\}     # ...and every backslash is doubled again at the string level
    p=${p//%/%%}
    printf '"%s"' "$p"
}

# 1. the binary
mkdir -p "$bin_dir"
if [[ "$bin_src" -ef "$bin_dst" ]]; then
    echo "binary:  $bin_dst (already in place)"
else
    tmp="$bin_dst.tmp.$$"
    install -m 0755 "$bin_src" "$tmp"
    mv -f "$tmp" "$bin_dst"    # atomic, also when the old binary is running
    echo "binary:  $bin_dst"
fi

# 1b. the sign-in window of federated sessions, built beside the binary; credtray looks for
# it in ../libexec/credtray from its own folder (as in the Debian package)
signin_src=$(dirname "$bin_src")/credtray-signin
signin_dir=$(dirname "$bin_dir")/libexec/credtray
if [[ -f "$signin_src" ]]; then
    mkdir -p "$signin_dir"
    if [[ ! "$signin_src" -ef "$signin_dir/credtray-signin" ]]; then
        tmp="$signin_dir/credtray-signin.tmp.$$"
        install -m 0755 "$signin_src" "$tmp"
        mv -f "$tmp" "$signin_dir/credtray-signin"
    fi
    echo "sign-in: $signin_dir/credtray-signin"
else
    echo "install.sh: no credtray-signin beside $bin_src: federated (SAML) sessions will not sign in" >&2
fi

# 2. the desktop entry, Exec= rewritten to the installed binary
mkdir -p "$apps_dir"
exec_line="Exec=$(exec_value "$bin_dst")"
tmp="$desktop_dst.tmp.$$"
while IFS= read -r line || [[ -n "$line" ]]; do
    if [[ "$line" == Exec=* ]]; then
        printf '%s\n' "$exec_line"
    else
        printf '%s\n' "$line"
    fi
done <"$desktop_src" >"$tmp"
chmod 0644 "$tmp"
mv -f "$tmp" "$desktop_dst"
echo "desktop: $desktop_dst ($exec_line)"

# 3. the icons, at the sizes of icons.list (also the .deb's)
installed_sizes=()
while read -r size file; do
    [[ -z "$size" || "$size" == \#* ]] && continue
    src="$icons_src/$file"
    [[ -f "$src" ]] || { echo "install.sh: missing $src" >&2; exit 1; }
    if [[ $size == scalable ]]; then dir=scalable; else dir="${size}x${size}"; fi
    install -D -m 0644 "$src" "$hicolor_dir/$dir/apps/credtray.${file##*.}"
    installed_sizes+=("$size")
done <"$script_dir/icons.list"
echo "icons:   $hicolor_dir/NxN/apps/credtray.png, N = ${installed_sizes[*]}"

# 4. caches, when the tools are there; their failure does not matter
if command -v gtk-update-icon-cache >/dev/null 2>&1; then
    gtk-update-icon-cache --force --quiet --ignore-theme-index "$hicolor_dir" >/dev/null 2>&1 || true
fi
if command -v update-desktop-database >/dev/null 2>&1; then
    update-desktop-database --quiet "$apps_dir" >/dev/null 2>&1 || true
fi

case ":$PATH:" in
    *":$bin_dir:"*) ;;
    *) echo "note:    $bin_dir is not on your PATH" ;;
esac
