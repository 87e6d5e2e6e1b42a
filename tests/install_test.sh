#!/usr/bin/env bash
# tests/install_test.sh SRC BUILD — installs the built library into a scratch DESTDIR, then
# compiles the program shown in README.md (between the "readme-example" markers) with
# `pkg-config --cflags --libs tapegrad` against that install, and runs it.
# Shows that the installed headers, the shared library and tapegrad.pc work for a user.
set -euo pipefail
src=$1 build=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

meson install -C "$build" --destdir "$tmp/root" --no-rebuild --quiet
pcdir=$(dirname "$(find "$tmp/root" -name tapegrad.pc | head -n 1)")
libdir=$(dirname "$(find "$tmp/root" -name 'libtapegrad.so' | head -n 1)")
export PKG_CONFIG_PATH=$pcdir PKG_CONFIG_SYSROOT_DIR=$tmp/root

sed -n '/<!-- readme-example:begin -->/,/<!-- readme-example:end -->/p' "$src/README.md" |
    sed '1,/^```c$/d; /^```$/,$d' > "$tmp/mlp.c"
lines=$(wc -l < "$tmp/mlp.c")
[ "$lines" -gt 10 ] || { echo "no README example found"; exit 1; }
echo "README example: $lines lines; pkg-config: $(pkg-config --cflags --libs tapegrad)"
cc -std=c11 -Wall -Wextra -Werror "$tmp/mlp.c" $(pkg-config --cflags --libs tapegrad) -lm \
    -o "$tmp/mlp"
LD_LIBRARY_PATH=$libdir "$tmp/mlp"
