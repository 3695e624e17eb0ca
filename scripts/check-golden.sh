#!/usr/bin/env bash
# testdata/golden is a copy of ../shared/golden (llama.cpp's ground truth):
# inputs in full, outputs as digests (testdata/golden/README.md). Checks that
# the two have not drifted:
#   1. every file of ../shared/golden is listed in testdata/golden/SHA256SUMS
#      and still has that digest;
#   2. every file kept in testdata/golden (but README.md and SHA256SUMS) is
#      listed there too, with the same digest: a byte-for-byte copy.
# Fails loudly when ../shared/golden is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
ours="$PWD/testdata/golden"
src="${GOLDEN_SOURCE:-$PWD/../shared/golden}"
if [ ! -d "$src" ]; then
    echo "error: $src is missing: cannot check testdata/golden against its source" >&2
    exit 1
fi
sums="$ours/SHA256SUMS"
fail=0
# 1. The source: complete list, same digests.
listed="$(cut -c67- "$sums" | LC_ALL=C sort)"
present="$(cd "$src" && find . -type f | sed 's|^\./||' | LC_ALL=C sort)"
if [ "$listed" != "$present" ]; then
    echo "error: the files of $src are not those listed in testdata/golden/SHA256SUMS:" >&2
    diff <(echo "$listed") <(echo "$present") >&2 || true
    fail=1
fi
if ! (cd "$src" && sha256sum --quiet -c "$sums"); then
    echo "error: a file of $src no longer has its digest in testdata/golden/SHA256SUMS" >&2
    fail=1
fi
# 2. The copies: each one listed, each one identical (README.md is ours).
kept=0
while IFS= read -r f; do
    case "$f" in README.md|SHA256SUMS) continue ;; esac
    want="$(awk -v f="$f" 'substr($0, 67) == f { print substr($0, 1, 64) }' "$sums")"
    if [ -z "$want" ]; then
        echo "error: testdata/golden/$f is not a file of $src" >&2
        fail=1
        continue
    fi
    got="$(sha256sum "$ours/$f" | cut -c1-64)"
    if [ "$got" != "$want" ]; then
        echo "error: testdata/golden/$f differs from $src/$f" >&2
        fail=1
    fi
    kept=$((kept + 1))
done < <(cd "$ours" && find . -type f | sed 's|^\./||' | LC_ALL=C sort)
[ "$fail" = 0 ] || exit 1
echo "golden: $(echo "$present" | wc -l) source files match SHA256SUMS; $kept copies in testdata/golden are identical"
