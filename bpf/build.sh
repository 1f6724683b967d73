#!/usr/bin/env bash
# Builds every bpf/*.c into OUTDIR/<name>.o with the flags libbpf-based
# projects use for BPF objects. Objects are never committed: tests build
# them into a temporary directory. Needs clang (Debian package: clang).
set -euo pipefail
out="${1:?usage: bpf/build.sh OUTDIR}"
here="$(cd "$(dirname "$0")" && pwd)"
if ! command -v clang >/dev/null 2>&1; then
  echo "bpf/build.sh: clang not found; the BPF ELF tests need it (Debian: apt-get install clang)" >&2
  exit 127
fi
mkdir -p "$out"
for src in "$here"/*.c; do
  name="$(basename "$src" .c)"
  clang -target bpf -O2 -Wall -Werror -c "$src" -o "$out/$name.o"
done
