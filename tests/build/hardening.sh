#!/bin/sh
# Checks with readelf that a binary was built hardened (CMakeLists.txt, every build but the
# sanitizer one): position-independent (ELF type DYN), full RELRO (a GNU_RELRO segment and
# BIND_NOW, so the GOT is read-only after start), the stack protector (__stack_chk_fail
# referenced) and, unless the build type is Debug (FORTIFY needs optimisation), FORTIFY_SOURCE
# (some __*_chk function referenced).
#
# usage: hardening.sh BINARY [BUILD_TYPE]
set -eu
bin=${1:?usage: hardening.sh BINARY [BUILD_TYPE]}
build_type=${2:-}
command -v readelf >/dev/null 2>&1 || { echo "hardening: readelf not found (Debian package binutils)" >&2; exit 1; }
[ -f "$bin" ] || { echo "hardening: $bin: no such file" >&2; exit 1; }

fail=0
bad() {
	echo "hardening: $bin: $*" >&2
	fail=1
}
header=$(readelf -W -h "$bin")
segments=$(readelf -W -l "$bin")
dynamic=$(readelf -W -d "$bin")
symbols=$(readelf -W --dyn-syms "$bin")

echo "$header" | grep -Eq 'Type:[[:space:]]+DYN' || bad "not position-independent (ELF type is not DYN; want -fPIE -pie)"
echo "$segments" | grep -q 'GNU_RELRO' || bad "no GNU_RELRO segment (want -Wl,-z,relro)"
echo "$dynamic" | grep -Eq '\(FLAGS\).*BIND_NOW|\(FLAGS_1\).*NOW' || bad "no BIND_NOW (want -Wl,-z,now)"
echo "$symbols" | grep -q '__stack_chk_fail' || bad "__stack_chk_fail not referenced (want -fstack-protector-strong)"
if [ "$build_type" != Debug ]; then
	echo "$symbols" | grep -Eq '__[a-z0-9_]+_chk(@|$| )' || bad "no fortified __*_chk function referenced (want -D_FORTIFY_SOURCE=2 with optimisation)"
fi
[ "$fail" = 0 ] || exit 1
echo "hardening: $bin: PIE, full RELRO (BIND_NOW), stack protector${build_type:+ ($build_type)}$([ "$build_type" != Debug ] && echo ', FORTIFY_SOURCE')"
