#!/usr/bin/env python3
"""Writes credtray.app's Contents/Info.plist (XML) with Python's plistlib:

    python3 installers/macos/make_plist.py OUT.plist

from the variables installers/metadata.py sets (PKG_NAME, PKG_VERSION, BUNDLE_IDENTIFIER,
BUNDLE_NAME, BUNDLE_CATEGORY, BUNDLE_MINIMUM_SYSTEM_VERSION, BUNDLE_COPYRIGHT), read from
the environment. LSUIElement: a menu-bar applet, no Dock icon and no menu bar of its own.
"""

import os
import plistlib
import re
import sys


def info(env):
    version = env["PKG_VERSION"]
    # CFBundleVersion is at most three dot-separated integers; "0.2.0-rc.1" -> "0.2.0".
    build = re.match(r"\d+(\.\d+){0,2}", version).group(0)
    name = env.get("BUNDLE_NAME") or env["PKG_NAME"]
    return {
        "CFBundleDevelopmentRegion": "en",
        "CFBundleDisplayName": name,
        "CFBundleExecutable": env["PKG_NAME"],
        "CFBundleIconFile": env["PKG_NAME"] + ".icns",
        "CFBundleIdentifier": env["BUNDLE_IDENTIFIER"],
        "CFBundleInfoDictionaryVersion": "6.0",
        "CFBundleName": name,
        "CFBundlePackageType": "APPL",
        "CFBundleShortVersionString": version,
        "CFBundleVersion": build,
        "LSApplicationCategoryType": env.get("BUNDLE_CATEGORY", "public.app-category.developer-tools"),
        "LSMinimumSystemVersion": env.get("BUNDLE_MINIMUM_SYSTEM_VERSION", "10.15"),
        # A menu-bar applet: no Dock icon, no application menu.
        "LSUIElement": True,
        "NSHighResolutionCapable": True,
        "NSHumanReadableCopyright": env.get("BUNDLE_COPYRIGHT", ""),
        # The dialogs are AppleScript run by osascript, a child process: should a script ever
        # address another application, macOS asks the user with this text.
        "NSAppleEventsUsageDescription":
            "credtray asks for MFA codes and session details in standard dialogs.",
    }


def main(argv):
    if len(argv) != 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    with open(argv[1], "wb") as f:
        plistlib.dump(info(os.environ), f, fmt=plistlib.FMT_XML, sort_keys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
