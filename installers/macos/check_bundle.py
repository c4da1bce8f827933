#!/usr/bin/env python3
"""Checks the structure of credtray.app, anywhere (Python's standard library only):

    python3 installers/macos/check_bundle.py PATH/credtray.app --version V --identifier ID
        [--placeholder]

Info.plist is an XML property list that plistlib reads; CFBundleIdentifier is ID (a
reverse-DNS name), CFBundleShortVersionString is V (Cargo's version) and CFBundleVersion
its numeric part; CFBundlePackageType APPL; CFBundleExecutable names an executable file
in Contents/MacOS that is a Mach-O binary (or, with --placeholder, the shell script that
--layout-only puts there); LSUIElement is true (no Dock icon); LSMinimumSystemVersion is
set; CFBundleIconFile names an .icns in Contents/Resources whose PNG entries have their
types' sizes, from 16 to 1024 px; PkgInfo says APPL????. Prints what it checked; exits 1
naming the first thing that is wrong.
"""

import argparse
import os
import plistlib
import re
import stat
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_icns  # noqa: E402

MACHO_MAGICS = {
    b"\xfe\xed\xfa\xce", b"\xce\xfa\xed\xfe",  # 32-bit
    b"\xfe\xed\xfa\xcf", b"\xcf\xfa\xed\xfe",  # 64-bit
    b"\xca\xfe\xba\xbe",                      # universal (fat)
}


class Bad(Exception):
    pass


def need(cond, what):
    if not cond:
        raise Bad(what)


def check(app, version, identifier, placeholder):
    said = []
    contents = os.path.join(app, "Contents")
    need(app.rstrip("/").endswith(".app") and os.path.isdir(contents),
         "%s is not an .app bundle (no Contents folder)" % app)
    plist_path = os.path.join(contents, "Info.plist")
    need(os.path.isfile(plist_path), "no Contents/Info.plist")
    with open(plist_path, "rb") as f:
        raw = f.read()
    need(raw.startswith(b"<?xml"), "Info.plist is not an XML property list")
    try:
        info = plistlib.loads(raw)
    except Exception as e:  # plistlib raises several kinds
        raise Bad("Info.plist does not parse: %s" % e)
    need(isinstance(info, dict), "Info.plist's root is not a dictionary")
    said.append("Info.plist: an XML property list of %d keys" % len(info))

    def key(name, kind=str):
        need(name in info, "Info.plist has no %s" % name)
        need(isinstance(info[name], kind), "%s is not a %s" % (name, kind.__name__))
        return info[name]

    need(key("CFBundleIdentifier") == identifier,
         "CFBundleIdentifier is %r, not %r" % (info["CFBundleIdentifier"], identifier))
    need(re.fullmatch(r"[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+", identifier),
         "CFBundleIdentifier %r is not a reverse-DNS name" % identifier)
    said.append("CFBundleIdentifier = %s" % identifier)
    need(key("CFBundleShortVersionString") == version,
         "CFBundleShortVersionString is %r, Cargo's version is %r"
         % (info["CFBundleShortVersionString"], version))
    build = key("CFBundleVersion")
    need(re.fullmatch(r"\d+(\.\d+){0,2}", build) and version.startswith(build),
         "CFBundleVersion %r is not the numeric part of %r" % (build, version))
    said.append("version = %s (CFBundleVersion %s)" % (version, build))
    need(key("CFBundlePackageType") == "APPL", "CFBundlePackageType is not APPL")
    need(key("CFBundleInfoDictionaryVersion") == "6.0", "CFBundleInfoDictionaryVersion is not 6.0")
    key("CFBundleName")
    need(key("LSUIElement", bool) is True, "LSUIElement is not true: a Dock icon would show")
    said.append("LSUIElement = true")
    need(re.fullmatch(r"\d+\.\d+(\.\d+)?", key("LSMinimumSystemVersion")),
         "LSMinimumSystemVersion is not a version")

    exe_name = key("CFBundleExecutable")
    need("/" not in exe_name, "CFBundleExecutable %r is a path, not a name" % exe_name)
    exe = os.path.join(contents, "MacOS", exe_name)
    need(os.path.isfile(exe), "CFBundleExecutable %r: no Contents/MacOS/%s" % (exe_name, exe_name))
    need(os.stat(exe).st_mode & stat.S_IXUSR, "Contents/MacOS/%s is not executable" % exe_name)
    with open(exe, "rb") as f:
        head = f.read(4)
    if placeholder:
        need(head.startswith(b"#!"), "the placeholder executable is not a script")
        said.append("CFBundleExecutable = %s (the placeholder laid out off a Mac)" % exe_name)
    else:
        need(head in MACHO_MAGICS, "Contents/MacOS/%s is not a Mach-O binary" % exe_name)
        said.append("CFBundleExecutable = %s (Mach-O)" % exe_name)
        # The sign-in window of federated sessions, found beside the executable.
        signin = os.path.join(contents, "MacOS", "credtray-signin")
        need(os.path.isfile(signin), "no Contents/MacOS/credtray-signin (the sign-in window)")
        with open(signin, "rb") as f:
            need(f.read(4) in MACHO_MAGICS, "Contents/MacOS/credtray-signin is not a Mach-O binary")
        said.append("credtray-signin beside it (Mach-O)")

    icon = key("CFBundleIconFile")
    if not icon.endswith(".icns"):
        icon += ".icns"
    icns = os.path.join(contents, "Resources", icon)
    need(os.path.isfile(icns), "CFBundleIconFile: no Contents/Resources/%s" % icon)
    try:
        entries = make_icns.check(icns)
    except ValueError as e:
        raise Bad(str(e))
    sizes = {int(line.split()[-1].split("x")[0]) for line in entries if "x" in line.split()[-1]}
    missing = {16, 32, 64, 128, 256, 512, 1024} - sizes
    need(not missing, "%s lacks the sizes %s" % (icon, sorted(missing)))
    said.append("%s: %d PNG entries, 16-1024 px" % (icon, len(entries)))

    pkginfo = os.path.join(contents, "PkgInfo")
    need(os.path.isfile(pkginfo), "no Contents/PkgInfo")
    with open(pkginfo, "rb") as f:
        need(f.read() == b"APPL????", "PkgInfo is not APPL????")
    return said


def main(argv):
    p = argparse.ArgumentParser(description="Checks the structure of credtray.app.")
    p.add_argument("app")
    p.add_argument("--version", required=True)
    p.add_argument("--identifier", required=True)
    p.add_argument("--placeholder", action="store_true",
                   help="the executable is --layout-only's placeholder script")
    args = p.parse_args(argv[1:])
    try:
        said = check(args.app, args.version, args.identifier, args.placeholder)
    except Bad as e:
        print("check_bundle.py: %s: %s" % (args.app, e), file=sys.stderr)
        return 1
    for line in said:
        print("check_bundle.py: ok: " + line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
