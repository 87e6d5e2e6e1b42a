#!/usr/bin/env bash
# fuzz/run.sh [SECONDS|-runs=N] [HARNESS...] — builds the libFuzzer harnesses with clang
# (Debian clang-14: libFuzzer, AddressSanitizer, UndefinedBehaviorSanitizer) into
# build-fuzz/ and runs each on its seed corpus in fuzz/corpus/<name>/ (new inputs go to
# build-fuzz/corpus-<name>/, so the committed seeds stay as they are).
#   fuzz/run.sh 30            each harness for 30 s (default 10)
#   fuzz/run.sh -runs=1000000 csv safetensors
# A crash leaves its input as build-fuzz/crash-*: add it to tests/data/malformed/ (the
# corpus test then keeps it fixed). Exits non-zero on a crash, a leak or UB.
set -euo pipefail
cd "$(dirname "$0")/.."
budget=${1:-10}
shift || true
harnesses=("$@")
[ ${#harnesses[@]} -gt 0 ] || harnesses=(csv safetensors checkpoint)
command -v clang > /dev/null || { echo "fuzz/run.sh: clang is not installed"; exit 2; }
out=build-fuzz
mkdir -p "$out"
srcs=$(ls tensor/*.c autograd/*.c layers/*.c layers/variants/*.c optim/*.c data/*.c \
          plot/*.c train/*.c dist/*.c)
# the library's own flags (meson.build), then the fuzzer's
flags=(-std=c11 -D_POSIX_C_SOURCE=200809L -ffp-contract=off $(pkg-config --cflags stb)
       -g -O1 -I. -fno-omit-frame-pointer -Wno-unknown-pragmas
       -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined)
libs=(-ljansson $(pkg-config --libs stb) -lm)
# The library once, as objects with fuzzer instrumentation (2 compilers at a time), then one
# link per harness.
mkdir -p "$out/obj"
echo "== compiling the library for fuzzing"
# an object is reused only when newer than its source and than every header
newest_h=$(ls -t $(find tensor autograd layers optim data plot train dist -name '*.h') | head -1)
printf '%s\n' $srcs | xargs -P 2 -I{} sh -c '
    o="$0/obj/$(echo "{}" | tr / _).o"
    [ -f "$o" ] && [ "$o" -nt "{}" ] && [ "$o" -nt "$1" ] ||
        { shift; clang "$@" -fsanitize=fuzzer-no-link -c "{}" -o "$o"; }
' "$out" "$newest_h" "${flags[@]/-fsanitize=fuzzer,address,undefined/-fsanitize=address,undefined}"
for h in "${harnesses[@]}"; do
    exe=$out/fuzz_$h
    echo "== building $exe"
    clang "${flags[@]}" "$out"/obj/*.o "fuzz/fuzz_$h.c" "${libs[@]}" -o "$exe"
    mkdir -p "$out/corpus-$h"
    case $budget in
        -runs=*) limit=$budget ;;
        *) limit=-max_total_time=$budget ;;
    esac
    echo "== fuzzing $h ($limit)"
    rc=0
    ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
        "$exe" "$limit" -max_len=4096 -artifact_prefix="$out/" -print_final_stats=1 \
        "$out/corpus-$h" "fuzz/corpus/$h" > "$out/$h.log" 2>&1 || rc=$?
    tail -n 12 "$out/$h.log"
    [ "$rc" = 0 ] || { echo "fuzz/run.sh: $h found a problem (log: $out/$h.log)"; exit 1; }
done
