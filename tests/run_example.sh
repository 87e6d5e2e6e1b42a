#!/usr/bin/env bash
# tests/run_example.sh EXE OUTDIR FILES -- ARGS...
# Runs an example with ARGS (its --out pointing at OUTDIR), then checks that each of FILES
# (comma-separated, relative to OUTDIR) exists, is not empty, and, for .png, starts with
# the PNG signature and for .svg with "<svg".
set -euo pipefail
exe=$1 out=$2 files=$3
shift 3
[ "$1" = "--" ] && shift
rm -rf "$out"
"$exe" "$@" --out "$out"
IFS=, read -ra want <<< "$files"
for f in "${want[@]}"; do
    p="$out/$f"
    [ -s "$p" ] || { echo "missing or empty: $p"; exit 1; }
    case "$p" in
        *.png) [ "$(head -c 8 "$p" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] ||
                   { echo "not a PNG: $p"; exit 1; } ;;
        *.svg) head -c 200 "$p" | grep -q "<svg" || { echo "not an SVG: $p"; exit 1; } ;;
    esac
done
echo "ok: ${#want[@]} files in $out"
