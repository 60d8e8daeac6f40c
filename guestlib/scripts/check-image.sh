#!/bin/sh
# check-image.sh IMAGE - check that a guestlib guest is a loadable Xen PVH image:
#   ELF64 x86-64 executable, a PT_LOAD at physical 0x100000, a "Xen" note of type
#   0x12 (XEN_ELFNOTE_PHYS32_ENTRY) whose value is pvh_start and the ELF entry, and
#   a page-aligned hypercall_page. Prints one line; exits 1 on the first failure.
set -eu
img=$1
fail() { echo "check-image: $img: $*" >&2; exit 1; }

[ -f "$img" ] || fail "no such file"
readelf -hW "$img" | grep -q 'Class:.*ELF64' || fail "not ELF64"
readelf -hW "$img" | grep -q 'Machine:.*X86-64' || fail "not x86-64"

readelf -lW "$img" | awk '$1 == "LOAD" && $4 == "0x0000000000100000" { ok = 1 } END { exit !ok }' ||
	fail "no PT_LOAD at physical 0x100000"
readelf -lW "$img" | grep -q '^ *NOTE ' || fail "no PT_NOTE"

sym() { nm "$img" | awk -v s="$1" '$3 == s { print "0x" $1 }'; }
entry_sym=$(sym pvh_start)
hcp=$(sym hypercall_page)
[ -n "$entry_sym" ] || fail "no pvh_start symbol"
[ -n "$hcp" ] || fail "no hypercall_page symbol"
[ $((hcp % 4096)) -eq 0 ] || fail "hypercall_page $hcp is not 4096-aligned"

elf_entry=$(readelf -hW "$img" | awk '/Entry point address:/ { print $4 }')

# The note's descriptor bytes are little endian: "00 00 10 00" -> 0x00100000.
note=$(readelf -nW "$img" | awk '
	/^ *Xen / && /0x00000012/ { want = 1; if ($2 != "0x00000004") { print "size" $2; exit } }
	want && /description data:/ {
		sub(/.*description data: */, ""); n = split($0, b, " ")
		v = ""; for (i = n; i >= 1; i--) v = v b[i]; print "0x" v; exit
	}')
case "$note" in
"") fail "no Xen note of type 0x12 (PHYS32_ENTRY)" ;;
size*) fail "PHYS32_ENTRY descriptor is not 4 bytes (${note#size})" ;;
esac
[ $((note)) -eq $((entry_sym)) ] || fail "PHYS32_ENTRY $note != pvh_start $entry_sym"
[ $((elf_entry)) -eq $((entry_sym)) ] || fail "ELF entry $elf_entry != pvh_start $entry_sym"

printf 'check-image: %s ok: PHYS32_ENTRY %s = pvh_start, hypercall_page %s\n' "$img" "$note" "$hcp"
