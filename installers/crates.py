#!/usr/bin/env python3
"""Lists the Rust crates built into the credtray binary for one target, with their
licenses, one per line ("name version: license"), sorted:

    python3 installers/crates.py x86_64-unknown-linux-gnu

The crates are credtray's normal dependencies, transitively, on that target (build-time
only dependencies, proc-macros and dev-dependencies left out). Reads `cargo metadata --locked
--offline`: the registry's sources must be there (any build has fetched them).
"""

import json
import os
import subprocess
import sys


def main() -> int:
    if len(sys.argv) != 2:
        print("usage: crates.py TARGET-TRIPLE", file=sys.stderr)
        return 2
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    meta = json.loads(subprocess.run(
        [os.environ.get("CARGO", "cargo"), "metadata", "--format-version", "1", "--locked", "--offline",
         "--filter-platform", sys.argv[1], "--manifest-path", os.path.join(repo, "Cargo.toml")],
        check=True, stdout=subprocess.PIPE,
    ).stdout)
    packages = {p["id"]: p for p in meta["packages"]}
    nodes = {n["id"]: n for n in meta["resolve"]["nodes"]}
    root = meta["resolve"]["root"]
    seen, todo = set(), [root]
    while todo:
        node = nodes[todo.pop()]
        for dep in node["deps"]:
            # kind None: a normal dependency (the filtered platform's already applied).
            if not any(k["kind"] is None for k in dep["dep_kinds"]) or dep["pkg"] in seen:
                continue
            # A proc-macro runs in the compiler: neither it nor what only it uses is built in.
            if any("proc-macro" in t["kind"] for t in packages[dep["pkg"]]["targets"]):
                continue
            seen.add(dep["pkg"])
            todo.append(dep["pkg"])
    lines = sorted(
        "%s %s: %s" % (p["name"], p["version"], p.get("license") or "see the crate (license-file)")
        for p in (packages[i] for i in seen)
    )
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
