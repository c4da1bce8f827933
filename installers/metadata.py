#!/usr/bin/env python3
"""The package's metadata from Cargo.toml, for the installer scripts:

    eval "$(python3 installers/metadata.py)"

sets PKG_NAME, PKG_VERSION, PKG_DESCRIPTION, PKG_LICENSE, and one variable per key of
[package.metadata.deb] (DEB_MAINTAINER, DEB_EXTENDED_DESCRIPTION, ...) and of
[package.metadata.bundle] (BUNDLE_IDENTIFIER, ...), each shell-quoted and exported. Reads
`cargo metadata --no-deps` (no network, no lock file change); Python 3.6+ and its standard
library only, so it runs with macOS's own python3 too.
"""

import json
import os
import re
import shlex
import subprocess
import sys


def main() -> int:
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = subprocess.run(
        [os.environ.get("CARGO", "cargo"), "metadata", "--no-deps", "--format-version", "1", "--offline",
         "--manifest-path", os.path.join(repo, "Cargo.toml")],
        check=True, stdout=subprocess.PIPE,
    ).stdout
    packages = [p for p in json.loads(out)["packages"] if p["name"] == "credtray"]
    if len(packages) != 1:
        print("metadata.py: no credtray package in Cargo.toml", file=sys.stderr)
        return 1
    pkg = packages[0]
    values = {
        "PKG_NAME": pkg["name"],
        "PKG_VERSION": pkg["version"],
        "PKG_DESCRIPTION": pkg.get("description") or "",
        "PKG_LICENSE": pkg.get("license") or "",
    }
    for table, prefix in (("deb", "DEB_"), ("bundle", "BUNDLE_")):
        for key, value in ((pkg.get("metadata") or {}).get(table) or {}).items():
            if not isinstance(value, str):
                continue
            values[prefix + re.sub(r"[^A-Za-z0-9]", "_", key).upper()] = value
    for name, value in values.items():
        print("export %s=%s" % (name, shlex.quote(value)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
