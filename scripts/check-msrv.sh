#!/usr/bin/env bash
# MSRV guard, beside clippy's `incompatible_msrv` lint (which flags std APIs
# newer than `rust-version` in our own code, but not dependencies, not
# language features and not std items that only became safe or const later).
# Fails when
# - a published workspace crate has no `rust-version`, or they differ;
# - a package the libraries or the `gguf` binary build with (a normal or build
#   dependency, on any platform, as resolved in Cargo.lock) declares a newer
#   `rust-version`; dev-dependencies only matter for running the tests;
# - README.md's Install section states another version, or does not say what
#   the tests need when a dev-dependency needs more;
# - something switches the lint off: an `incompatible_msrv` allow in the
#   sources, or a clippy.toml `msrv` overriding `rust-version`.
# Needs only cargo and python3.
set -euo pipefail
cd "$(dirname "$0")/.."

bad=0
if hits="$(grep -rn --include='*.rs' --include='*.toml' incompatible_msrv \
    gguf-format gguf-llama gguf-quant gguf-import gguf-remote gguf-cli testdata fuzz/src fuzz/fuzz_targets Cargo.toml)"; then
    echo "error: clippy::incompatible_msrv must stay on:" >&2
    echo "$hits" >&2
    bad=1
fi
for f in clippy.toml .clippy.toml */clippy.toml */.clippy.toml; do
    if [ -f "$f" ] && grep -q msrv "$f"; then
        echo "error: $f sets an msrv for clippy; rust-version in Cargo.toml is the one place" >&2
        bad=1
    fi
done

meta="$(mktemp)"
trap 'rm -f "$meta"' EXIT
cargo metadata --format-version 1 >"$meta"
python3 - "$meta" README.md <<'EOF' || bad=1
import json, re, sys

meta = json.load(open(sys.argv[1]))
readme = open(sys.argv[2]).read()
pkgs = {p["id"]: p for p in meta["packages"]}
nodes = {n["id"]: n for n in meta["resolve"]["nodes"]}

def ver(s):
    """'1.85' and '1.85.0' alike."""
    v = [int(x) for x in s.split(".")]
    return tuple(v + [0] * (3 - len(v)))

def reach(roots, kinds):
    """Packages reachable from roots over dependency edges of these kinds
    (None is a normal dependency)."""
    seen, todo = set(), list(roots)
    while todo:
        for d in nodes[todo.pop()]["deps"]:
            if any(k["kind"] in kinds for k in d["dep_kinds"]) and d["pkg"] not in seen:
                seen.add(d["pkg"])
                todo.append(d["pkg"])
    return seen

members = meta["workspace_members"]
published = [m for m in members if pkgs[m]["publish"] != []]
errors = []
msrvs = {pkgs[m]["name"]: pkgs[m]["rust_version"] for m in published}
if None in msrvs.values() or len(set(msrvs.values())) != 1:
    sys.exit(f"error: published crates need one rust-version: {msrvs}")
msrv = next(iter(msrvs.values()))

def newest(ids):
    dated = [(ver(pkgs[i]["rust_version"]), i) for i in ids if pkgs[i]["rust_version"]]
    return max(dated, default=((0, 0, 0), None))

build = reach(published, {None, "build"}) - set(members)
for i in sorted(build, key=lambda i: pkgs[i]["name"]):
    p = pkgs[i]
    if p["rust_version"] and ver(p["rust_version"]) > ver(msrv):
        errors.append(f"{p['name']} {p['version']} needs Rust {p['rust_version']}, above our rust-version {msrv}")
top, who = newest(build)
if who:
    print(f"msrv: rust-version {msrv}; newest normal/build dependency: "
          f"{pkgs[who]['name']} {pkgs[who]['version']} ({pkgs[who]['rust_version']})")

install = readme.split("## Install", 1)[-1].split("\n## ", 1)[0]
m = re.search(r"Rust toolchain \((\d+\.\d+) or newer", install)
if not m or m.group(1) != msrv:
    errors.append(f"README.md Install section does not say 'Rust toolchain ({msrv} or newer'")

tests, who = newest(reach(members, {None, "build", "dev"}))
if tests > ver(msrv):
    need = pkgs[who]["rust_version"]
    print(f"msrv: the tests need Rust {need} ({pkgs[who]['name']} {pkgs[who]['version']}, a dev-dependency)")
    if need not in install:
        errors.append(f"README.md Install section does not say the tests need Rust {need}")

for e in errors:
    print("error:", e, file=sys.stderr)
sys.exit(1 if errors else 0)
EOF
exit "$bad"
