#!/usr/bin/env bash
# dev.sh — set up, build, run and test tapegrad on Debian 12.
#
#   ./dev.sh run     install missing packages, build, run the main job: the Bitcoin
#                    LSTM-vs-GRU study (examples/bitcoin.c; options pass through)
#   ./dev.sh test    install missing packages, build, run every test suite
#   ./dev.sh build   install missing packages and build only
#
# Missing Debian packages are installed with apt-get (through sudo when not root); nothing
# is installed when all are present. The build goes to ./build (Meson, release).
set -euo pipefail
cd "$(dirname "$0")"

PACKAGES=(gcc meson ninja-build pkg-config libcriterion-dev libstb-dev libjansson-dev
          fonts-dejavu-core libxml2-utils librsvg2-bin)
BUILD=${TAPEGRAD_BUILD:-build}

ensure_packages() {
    local missing=() p
    for p in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
            missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "dev.sh: installing missing Debian packages: ${missing[*]}"
    local sudo=()
    [ "$(id -u)" -eq 0 ] || sudo=(sudo)
    "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]}"
}

build() {
    ensure_packages
    [ -f "$BUILD/build.ninja" ] || meson setup "$BUILD" "$@"
    ninja -C "$BUILD"
}

# Runs every suite, then prints one plain closing line "tests: N passed, M failed":
# a Criterion suite counts its tests (its "Synthesis" line), any other test counts as one.
# meson (a Python program) guarantees python3 is here.
run_tests() {
    local status=0
    meson test -C "$BUILD" --print-errorlogs -v "$@" || status=$?
    python3 - "$BUILD/meson-logs/testlog.json" <<'PY' || status=1
import json, re, sys
passed = failed = 0
for line in open(sys.argv[1]):
    t = json.loads(line)
    m = re.search(r"Tested: \d+ \| Passing: (\d+) \| Failing: (\d+) \| Crashing: (\d+)",
                  t.get("stdout", "") + t.get("stderr", ""))
    ok = t["result"] in ("OK", "EXPECTEDFAIL", "SKIP")
    if m:
        passed += int(m.group(1))
        failed += int(m.group(2)) + int(m.group(3)) + (0 if ok or int(m.group(2)) + int(m.group(3)) else 1)
    else:
        passed, failed = passed + ok, failed + (not ok)
print(f"tests: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
PY
    return $status
}

cmd=${1:-}
shift || true
case "$cmd" in
    build) build "$@" ;;
    run)
        build
        echo "dev.sh: running the main job: build/examples/bitcoin $*"
        "$BUILD/examples/bitcoin" "$@"
        ;;
    test)
        build
        run_tests "$@"
        ;;
    *)
        sed -n '2,10p' "$0"
        exit 2
        ;;
esac
