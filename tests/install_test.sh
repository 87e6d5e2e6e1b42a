#!/usr/bin/env bash
# tests/install_test.sh SRC BUILD — installs the built library into a scratch DESTDIR, then
# compiles every program shown in README.md (each between "readme-example:begin NAME" and
# "readme-example:end NAME" markers) with `pkg-config --cflags --libs tapegrad` against
# that install, and runs it: the installed headers, shared library and tapegrad.pc work
# for a user, and the README's programs compile and do what it says.
set -euo pipefail
src=$1 build=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

meson install -C "$build" --destdir "$tmp/root" --no-rebuild --quiet
pcdir=$(dirname "$(find "$tmp/root" -name tapegrad.pc | head -n 1)")
libdir=$(dirname "$(find "$tmp/root" -name 'libtapegrad.so' | head -n 1)")
export PKG_CONFIG_PATH=$pcdir PKG_CONFIG_SYSROOT_DIR=$tmp/root
echo "pkg-config: $(pkg-config --cflags --libs tapegrad)"

names=$(sed -n 's/^<!-- readme-example:begin \([a-z_]*\) -->$/\1/p' "$src/README.md")
[ -n "$names" ] || { echo "no README examples found"; exit 1; }
for name in $names; do
    sed -n "/<!-- readme-example:begin $name -->/,/<!-- readme-example:end $name -->/p" \
        "$src/README.md" | sed '1,/^```c$/d; /^```$/,$d' > "$tmp/$name.c"
    echo "== README example '$name': $(wc -l < "$tmp/$name.c") lines"
    cc -std=c11 -Wall -Wextra -Werror "$tmp/$name.c" $(pkg-config --cflags --libs tapegrad) \
        -lm -o "$tmp/$name"
    LD_LIBRARY_PATH=$libdir "$tmp/$name"
done
