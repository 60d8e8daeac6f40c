package domains

// PVH kernel images: the ELF parser that turns a kernel file into the
// segments the domain builder copies into guest RAM and the 32-bit entry
// point the boot vCPU starts at (xen-abi-digest 2.1, 2.2).
//
// A PVH kernel is an x86 ELF executable (ELFCLASS64 with EM_X86_64, or
// ELFCLASS32 with EM_386) carrying a Xen ELF note of type
// XEN_ELFNOTE_PHYS32_ENTRY. Segments load at their physical address
// (p_paddr); nothing is relocated.
//
// The image is untrusted input (a user hands us any file), so every size and
// offset is checked against the image before it is used, and debug/elf only
// ever sees input whose header tables have been bounds-checked first.

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
)

// Errors returned by ParseKernel and Kernel.CheckFits. Each is wrapped with
// the offsets, addresses or sizes involved; test with errors.Is.
var (
	// ErrNotELF: the image is not a well-formed ELF file (bad magic, class,
	// version, header tables outside the file, truncation).
	ErrNotELF = errors.New("not an ELF file")
	// ErrImageTooLarge: the image is larger than MaxKernelImageBytes.
	ErrImageTooLarge = errors.New("kernel image too large")
	// ErrNotExecutable: an ELF file that is not ET_EXEC (an object file,
	// a position-independent executable, a core dump).
	ErrNotExecutable = errors.New("not an executable ELF image")
	// ErrBadMachine: not x86 (EM_386 for ELF32, EM_X86_64 for ELF64,
	// little endian).
	ErrBadMachine = errors.New("not an x86 kernel")
	// ErrNoPVHNote: no Xen note of type XEN_ELFNOTE_PHYS32_ENTRY.
	ErrNoPVHNote = errors.New("no XEN_ELFNOTE_PHYS32_ENTRY note: the kernel was not built for PVH (Linux: CONFIG_PVH=y; guestlib guests carry it)")
	// ErrBadNote: a note area or a Xen note is malformed.
	ErrBadNote = errors.New("malformed ELF note")
	// ErrBadSegment: a PT_LOAD program header is malformed (file data
	// outside the image, p_filesz > p_memsz, address overflow, too many).
	ErrBadSegment = errors.New("malformed loadable segment")
	// ErrNoSegments: the kernel has nothing to load.
	ErrNoSegments = errors.New("kernel has no loadable segments")
	// ErrSegmentsOverlap: two segments claim the same guest-physical bytes.
	ErrSegmentsOverlap = errors.New("kernel segments overlap")
	// ErrEntryOutsideImage: the PVH entry point is not inside the file-backed
	// part of an executable segment.
	ErrEntryOutsideImage = errors.New("PVH entry point is outside the kernel's executable segments")
	// ErrSegmentOutsideRAM: a segment does not lie inside guest RAM.
	ErrSegmentOutsideRAM = errors.New("kernel segment outside guest RAM")
	// ErrKernelTooBig: the kernel would fit if the domain had more memory.
	// Returned together with ErrSegmentOutsideRAM (both match errors.Is).
	ErrKernelTooBig = errors.New("kernel too big")

	// errParserPanic marks an error made from a recovered panic (see
	// ParseKernel); the fuzz test treats it as a failure.
	errParserPanic = errors.New("parser panicked")
)

const (
	// MaxKernelImageBytes caps the kernel file ParseKernel accepts. Debian's
	// uncompressed 6.1 vmlinux is 66 MB (xen-abi-digest 10).
	MaxKernelImageBytes = 256 << 20

	// maxProgramHeaders caps e_phnum; real kernels have fewer than 10.
	// It also keeps PN_XNUM (0xffff, extended numbering) out.
	maxProgramHeaders = 256
	// maxLoadSegments caps the PT_LOAD segments; Linux has 4 or 5.
	maxLoadSegments = 64

	// Xen ELF note types (xen/include/public/elfnote.h).
	xenElfnoteGuestOS     = 6  // XEN_ELFNOTE_GUEST_OS: string
	xenElfnoteFeatures    = 10 // XEN_ELFNOTE_FEATURES: string, names joined by '|'
	xenElfnotePhys32Entry = 18 // XEN_ELFNOTE_PHYS32_ENTRY: 4- or 8-byte number

	// noteHeaderBytes is Elf32_Nhdr and Elf64_Nhdr alike: namesz, descsz,
	// type, each a 32-bit word.
	noteHeaderBytes = 12

	mibBytes = 1 << 20
)

// Kernel is a PVH kernel image ready to load: ELF64 or ELF32 (x86) carrying
// XEN_ELFNOTE_PHYS32_ENTRY. A Kernel returned by ParseKernel has at least one
// segment, its segments are sorted by Paddr and do not overlap, and Entry32
// lies in the file-backed part of an executable segment.
type Kernel struct {
	// Class is elf.ELFCLASS32 or elf.ELFCLASS64.
	Class elf.Class
	// Entry32 is XEN_ELFNOTE_PHYS32_ENTRY: the guest-physical address the
	// boot vCPU starts at in 32-bit protected mode, paging off.
	Entry32 uint32
	// Segments are the PT_LOAD segments with a non-zero p_memsz, sorted by
	// physical address.
	Segments []Segment
	// GuestOS is XEN_ELFNOTE_GUEST_OS ("linux", ...), empty when absent.
	GuestOS string
	// Features is XEN_ELFNOTE_FEATURES, empty when absent.
	Features string
}

// Segment is one PT_LOAD segment.
type Segment struct {
	// Paddr is the guest-physical load address in bytes (p_paddr).
	Paddr uint64
	// Memsz is the size in guest memory in bytes (p_memsz); the bytes past
	// len(Data) are zero (.bss).
	Memsz uint64
	// Flags are the segment's p_flags (elf.PF_X, elf.PF_W, elf.PF_R).
	Flags elf.ProgFlag
	// Data is the segment's file contents (p_filesz bytes), a copy that does
	// not alias the image.
	Data []byte
}

// end returns one past the segment's last guest-physical byte and whether
// that sum did not overflow.
func (s Segment) end() (uint64, bool) {
	e := s.Paddr + s.Memsz
	return e, e >= s.Paddr
}

// ParseKernel parses a PVH kernel image. It checks everything that does not
// depend on the domain (see Kernel); CheckFits checks it against guest RAM.
func ParseKernel(image []byte) (k *Kernel, err error) {
	// debug/elf says of itself: "This package is not designed to be hardened
	// against adversarial inputs ... parsing malformed files may consume
	// significant resources, or cause panics", and it has panicked on crafted
	// files in past Go releases. checkELFHeader bounds every table debug/elf
	// reads before it reads it, so this recover is a last resort: a kernel
	// image is untrusted input, and a parser bug must fail this load, not
	// the daemon that runs every domain. It also covers this file's own code;
	// FuzzParseKernel fails on any error carrying errParserPanic.
	defer func() {
		if r := recover(); r != nil {
			k = nil
			err = fmt.Errorf("%w: %w: %v", ErrNotELF, errParserPanic, r)
		}
	}()
	return parseKernel(image)
}

func parseKernel(image []byte) (*Kernel, error) {
	if len(image) > MaxKernelImageBytes {
		return nil, fmt.Errorf("%w: %d bytes, limit %d MiB", ErrImageTooLarge, len(image), MaxKernelImageBytes/mibBytes)
	}
	if err := checkELFHeader(image); err != nil {
		return nil, err
	}
	f, err := elf.NewFile(bytes.NewReader(image))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotELF, err)
	}

	k := &Kernel{Class: f.Class}
	if err := k.loadSegments(f, image); err != nil {
		return nil, err
	}
	if err := k.loadNotes(f, image); err != nil {
		return nil, err
	}
	if err := k.validate(); err != nil {
		return nil, err
	}
	return k, nil
}

// checkELFHeader reads the ELF header by hand and rejects, before debug/elf
// sees the image, anything that would make debug/elf read outside the image
// or decompress data: header tables past the end, extended numbering, a
// compressed section-name table. It also rejects non-x86 and non-ET_EXEC
// files early, with the precise error.
func checkELFHeader(image []byte) error {
	if len(image) < elf.EI_NIDENT || !bytes.Equal(image[:4], []byte(elf.ELFMAG)) {
		return fmt.Errorf("%w: no ELF magic (%d-byte file)", ErrNotELF, len(image))
	}
	class := elf.Class(image[elf.EI_CLASS])
	var ehdrBytes, phentMin, shentMin uint64
	switch class {
	case elf.ELFCLASS32:
		ehdrBytes, phentMin, shentMin = 52, 32, 40
	case elf.ELFCLASS64:
		ehdrBytes, phentMin, shentMin = 64, 56, 64
	default:
		return fmt.Errorf("%w: unknown ELF class %d", ErrNotELF, image[elf.EI_CLASS])
	}
	var bo binary.ByteOrder
	switch elf.Data(image[elf.EI_DATA]) {
	case elf.ELFDATA2LSB:
		bo = binary.LittleEndian
	case elf.ELFDATA2MSB:
		bo = binary.BigEndian
	default:
		return fmt.Errorf("%w: unknown ELF data encoding %d", ErrNotELF, image[elf.EI_DATA])
	}
	if v := elf.Version(image[elf.EI_VERSION]); v != elf.EV_CURRENT {
		return fmt.Errorf("%w: unknown ELF version %d", ErrNotELF, v)
	}
	size := uint64(len(image))
	if size < ehdrBytes {
		return fmt.Errorf("%w: truncated: %d-byte file, the %v header needs %d", ErrNotELF, size, class, ehdrBytes)
	}

	// Fields common to Elf32_Ehdr and Elf64_Ehdr.
	typ := elf.Type(bo.Uint16(image[16:]))
	machine := elf.Machine(bo.Uint16(image[18:]))
	wantMachine := elf.EM_X86_64
	if class == elf.ELFCLASS32 {
		wantMachine = elf.EM_386
	}
	if machine != wantMachine {
		return fmt.Errorf("%w: %v image for %v, want %v", ErrBadMachine, class, machine, wantMachine)
	}
	if bo != binary.LittleEndian {
		return fmt.Errorf("%w: big-endian %v image", ErrBadMachine, machine)
	}
	switch typ {
	case elf.ET_EXEC:
	case elf.ET_DYN:
		return fmt.Errorf("%w: type ET_DYN, want ET_EXEC (link the kernel with -no-pie: segments load at fixed physical addresses, nothing is relocated)", ErrNotExecutable)
	default:
		return fmt.Errorf("%w: type %v, want ET_EXEC", ErrNotExecutable, typ)
	}

	var phoff, shoff, phentsize, phnum, shentsize, shnum, shstrndx uint64
	if class == elf.ELFCLASS32 {
		phoff = uint64(bo.Uint32(image[28:]))
		shoff = uint64(bo.Uint32(image[32:]))
		phentsize = uint64(bo.Uint16(image[42:]))
		phnum = uint64(bo.Uint16(image[44:]))
		shentsize = uint64(bo.Uint16(image[46:]))
		shnum = uint64(bo.Uint16(image[48:]))
		shstrndx = uint64(bo.Uint16(image[50:]))
	} else {
		phoff = bo.Uint64(image[32:])
		shoff = bo.Uint64(image[40:])
		phentsize = uint64(bo.Uint16(image[54:]))
		phnum = uint64(bo.Uint16(image[56:]))
		shentsize = uint64(bo.Uint16(image[58:]))
		shnum = uint64(bo.Uint16(image[60:]))
		shstrndx = uint64(bo.Uint16(image[62:]))
	}

	if phnum > maxProgramHeaders {
		return fmt.Errorf("%w: %d program headers, limit %d", ErrNotELF, phnum, maxProgramHeaders)
	}
	if phnum > 0 {
		if phentsize < phentMin {
			return fmt.Errorf("%w: program header size %d, want at least %d", ErrNotELF, phentsize, phentMin)
		}
		// phnum*phentsize <= 256*65535: no overflow.
		if !rangeInFile(phoff, phnum*phentsize, size) {
			return fmt.Errorf("%w: truncated: %d program headers at offset %#x past the end of the %d-byte file", ErrNotELF, phnum, phoff, size)
		}
	}

	if shoff == 0 {
		return nil // no section headers: debug/elf reads none
	}
	if shnum == 0 || shstrndx == uint64(elf.SHN_XINDEX) {
		// shnum 0 with shoff set means the count is in section 0's sh_size;
		// only files with 0xff00 or more sections need that.
		return fmt.Errorf("%w: extended section numbering is not supported", ErrNotELF)
	}
	if shentsize < shentMin {
		return fmt.Errorf("%w: section header size %d, want at least %d", ErrNotELF, shentsize, shentMin)
	}
	if !rangeInFile(shoff, shnum*shentsize, size) {
		return fmt.Errorf("%w: truncated: %d section headers at offset %#x past the end of the %d-byte file", ErrNotELF, shnum, shoff, size)
	}
	if shstrndx == uint64(elf.SHN_UNDEF) {
		return nil
	}
	if shstrndx >= shnum {
		return fmt.Errorf("%w: section name table index %d, only %d sections", ErrNotELF, shstrndx, shnum)
	}
	// debug/elf reads the section-name table in NewFile; make sure that read
	// stays in the file and involves no decompression.
	sh := image[shoff+shstrndx*shentsize:]
	var flags, off, sz uint64
	if class == elf.ELFCLASS32 {
		flags = uint64(bo.Uint32(sh[8:]))
		off = uint64(bo.Uint32(sh[16:]))
		sz = uint64(bo.Uint32(sh[20:]))
	} else {
		flags = bo.Uint64(sh[8:])
		off = bo.Uint64(sh[24:])
		sz = bo.Uint64(sh[32:])
	}
	if flags&uint64(elf.SHF_COMPRESSED) != 0 {
		return fmt.Errorf("%w: compressed section name table", ErrNotELF)
	}
	if elf.SectionType(bo.Uint32(sh[4:])) == elf.SHT_STRTAB && !rangeInFile(off, sz, size) {
		return fmt.Errorf("%w: truncated: section name table [%#x, +%#x) past the end of the %d-byte file", ErrNotELF, off, sz, size)
	}
	return nil
}

// rangeInFile reports whether the byte range [off, off+n) lies inside a file of
// size bytes, without overflowing.
func rangeInFile(off, n, size uint64) bool {
	return off <= size && n <= size-off
}

// loadSegments copies the PT_LOAD segments out of the image, sorted by
// physical address.
func (k *Kernel) loadSegments(f *elf.File, image []byte) error {
	size := uint64(len(image))
	var loads int
	var copied uint64
	for i, p := range f.Progs {
		if p.Type != elf.PT_LOAD {
			continue
		}
		loads++
		if loads > maxLoadSegments {
			return fmt.Errorf("%w: more than %d PT_LOAD segments", ErrBadSegment, maxLoadSegments)
		}
		if p.Filesz > p.Memsz {
			return fmt.Errorf("%w: program header %d: p_filesz %#x > p_memsz %#x", ErrBadSegment, i, p.Filesz, p.Memsz)
		}
		if !rangeInFile(p.Off, p.Filesz, size) {
			return fmt.Errorf("%w: program header %d: file data [%#x, +%#x) past the end of the %d-byte image", ErrBadSegment, i, p.Off, p.Filesz, size)
		}
		if p.Paddr+p.Memsz < p.Paddr {
			return fmt.Errorf("%w: program header %d: p_paddr %#x + p_memsz %#x overflows", ErrBadSegment, i, p.Paddr, p.Memsz)
		}
		if p.Memsz == 0 {
			continue // nothing to load
		}
		// Each segment's data is inside the image, but segments may share
		// file bytes; cap the total copied so overlapping headers cannot make
		// us allocate many times the image size.
		copied += p.Filesz
		if copied > MaxKernelImageBytes {
			return fmt.Errorf("%w: segments hold more than %d MiB of file data", ErrBadSegment, MaxKernelImageBytes/mibBytes)
		}
		k.Segments = append(k.Segments, Segment{
			Paddr: p.Paddr,
			Memsz: p.Memsz,
			Flags: p.Flags,
			Data:  bytes.Clone(image[p.Off : p.Off+p.Filesz]),
		})
	}
	if len(k.Segments) == 0 {
		return fmt.Errorf("%w: %d program headers, none a non-empty PT_LOAD", ErrNoSegments, len(f.Progs))
	}
	slices.SortStableFunc(k.Segments, func(a, b Segment) int {
		switch {
		case a.Paddr < b.Paddr:
			return -1
		case a.Paddr > b.Paddr:
			return 1
		}
		return 0
	})
	return nil
}

// xenNotes collects the Xen notes found in one note area.
type xenNotes struct {
	count     int // Xen notes seen, of any type
	haveEntry bool
	entry     uint32
	guestOS   string
	features  string
}

// loadNotes finds the Xen notes: in the PT_NOTE segments, or, when those
// carry no Xen note, in the SHT_NOTE sections (the same fallback as Xen's
// libelf elf_xen_parse).
func (k *Kernel) loadNotes(f *elf.File, image []byte) error {
	size := uint64(len(image))
	var all xenNotes
	for i, p := range f.Progs {
		if p.Type != elf.PT_NOTE {
			continue
		}
		if !rangeInFile(p.Off, p.Filesz, size) {
			return fmt.Errorf("%w: PT_NOTE program header %d: [%#x, +%#x) past the end of the %d-byte image", ErrBadNote, i, p.Off, p.Filesz, size)
		}
		n, err := parseNoteArea(image[p.Off:p.Off+p.Filesz], f.ByteOrder, p.Align)
		if err != nil {
			return fmt.Errorf("%w (PT_NOTE program header %d at offset %#x)", err, i, p.Off)
		}
		if err := all.merge(n); err != nil {
			return err
		}
	}
	if all.count == 0 {
		for i, s := range f.Sections {
			if s.Type != elf.SHT_NOTE || s.Flags&elf.SHF_COMPRESSED != 0 {
				continue
			}
			if !rangeInFile(s.Offset, s.FileSize, size) {
				return fmt.Errorf("%w: section %d %q: [%#x, +%#x) past the end of the %d-byte image", ErrBadNote, i, s.Name, s.Offset, s.FileSize, size)
			}
			n, err := parseNoteArea(image[s.Offset:s.Offset+s.FileSize], f.ByteOrder, s.Addralign)
			if err != nil {
				return fmt.Errorf("%w (section %d %q)", err, i, s.Name)
			}
			if err := all.merge(n); err != nil {
				return err
			}
		}
	}
	if !all.haveEntry {
		if all.count > 0 {
			return fmt.Errorf("%w; it has %d other Xen notes, so it may be a PV-only kernel", ErrNoPVHNote, all.count)
		}
		return ErrNoPVHNote
	}
	k.Entry32 = all.entry
	k.GuestOS = all.guestOS
	k.Features = all.features
	return nil
}

// merge adds the notes of another area; the entry point must not disagree.
func (n *xenNotes) merge(o xenNotes) error {
	if o.haveEntry {
		if n.haveEntry && n.entry != o.entry {
			return fmt.Errorf("%w: two XEN_ELFNOTE_PHYS32_ENTRY notes disagree: %#x and %#x", ErrBadNote, n.entry, o.entry)
		}
		n.haveEntry, n.entry = true, o.entry
	}
	n.count += o.count
	if n.guestOS == "" {
		n.guestOS = o.guestOS
	}
	if n.features == "" {
		n.features = o.features
	}
	return nil
}

// parseNoteArea parses one PT_NOTE segment or SHT_NOTE section. Notes are
// padded to 4 bytes (Linux's ELFNOTE macro, and what Xen's libelf assumes),
// or to 8 in an 8-aligned area (gABI; binutils readelf decides the same
// way). Linkers can also put 4-padded notes into an 8-aligned output
// section, so an 8-aligned area whose notes do not parse, or carry no entry
// point, is read again with 4-byte padding.
func parseNoteArea(area []byte, bo binary.ByteOrder, align uint64) (xenNotes, error) {
	if align != 8 {
		return parseNotes(area, bo, 4)
	}
	a, errA := parseNotes(area, bo, 8)
	if errA == nil && a.haveEntry {
		return a, nil
	}
	b, errB := parseNotes(area, bo, 4)
	switch {
	case errB == nil && b.haveEntry:
		return b, nil
	case errA == nil:
		return a, nil
	case errB == nil:
		return b, nil
	}
	return xenNotes{}, errA
}

// parseNotes walks the notes of one area padded to align (4 or 8) bytes.
func parseNotes(area []byte, bo binary.ByteOrder, align uint64) (xenNotes, error) {
	var n xenNotes
	size := uint64(len(area))
	// Offsets are relative to the area, which starts aligned: the
	// descriptor starts at alignUp(note+12+namesz) and the next note at
	// alignUp(desc+descsz) (binutils ELF_NOTE_DESC_OFFSET/NEXT_OFFSET).
	alignUp := func(x uint64) uint64 { return (x + align - 1) &^ (align - 1) }
	for off := uint64(0); off < size; {
		if size-off < noteHeaderBytes {
			// Padding at the end of the area is fine, anything else is not.
			if len(bytes.Trim(area[off:], "\x00")) != 0 {
				return xenNotes{}, fmt.Errorf("%w: %d stray bytes at offset %#x", ErrBadNote, size-off, off)
			}
			break
		}
		namesz := uint64(bo.Uint32(area[off:]))
		descsz := uint64(bo.Uint32(area[off+4:]))
		typ := bo.Uint32(area[off+8:])
		nameOff := off + noteHeaderBytes
		if namesz > size-nameOff {
			return xenNotes{}, fmt.Errorf("%w: note at offset %#x (namesz %d, type %d) runs past the end of its %d-byte area", ErrBadNote, off, namesz, typ, size)
		}
		descOff := alignUp(nameOff + namesz) // <= size+7: no overflow
		if descOff > size || descsz > size-descOff {
			return xenNotes{}, fmt.Errorf("%w: note at offset %#x (namesz %d, descsz %d, type %d) runs past the end of its %d-byte area", ErrBadNote, off, namesz, descsz, typ, size)
		}
		next := alignUp(descOff + descsz) // the last note's padding may be missing
		name := area[nameOff : nameOff+namesz]
		desc := area[descOff : descOff+descsz]
		off = next

		if string(name) != "Xen\x00" {
			continue
		}
		n.count++
		switch typ {
		case xenElfnotePhys32Entry:
			var v uint64
			switch descsz {
			case 4:
				v = uint64(bo.Uint32(desc))
			case 8:
				v = bo.Uint64(desc)
			default:
				return xenNotes{}, fmt.Errorf("%w: XEN_ELFNOTE_PHYS32_ENTRY has a %d-byte descriptor, want 4 or 8", ErrBadNote, descsz)
			}
			if v > 0xFFFFFFFF {
				return xenNotes{}, fmt.Errorf("%w: XEN_ELFNOTE_PHYS32_ENTRY %#x is not a 32-bit address", ErrBadNote, v)
			}
			if n.haveEntry && uint64(n.entry) != v {
				return xenNotes{}, fmt.Errorf("%w: two XEN_ELFNOTE_PHYS32_ENTRY notes disagree: %#x and %#x", ErrBadNote, n.entry, v)
			}
			n.haveEntry, n.entry = true, uint32(v)
		case xenElfnoteGuestOS:
			n.guestOS = noteString(desc)
		case xenElfnoteFeatures:
			n.features = noteString(desc)
		}
	}
	return n, nil
}

// noteString returns a string note's text up to its NUL terminator.
func noteString(desc []byte) string {
	if i := bytes.IndexByte(desc, 0); i >= 0 {
		desc = desc[:i]
	}
	return string(desc)
}

// validate checks what makes a Kernel loadable regardless of the domain:
// segments present, well formed, not overlapping, entry in executable data.
// It accepts segments in any order, so it also serves hand-built Kernels.
func (k *Kernel) validate() error {
	if len(k.Segments) == 0 {
		return ErrNoSegments
	}
	order := make([]int, len(k.Segments))
	for i, s := range k.Segments {
		order[i] = i
		if s.Memsz == 0 {
			return fmt.Errorf("%w: segment %d at %#x is empty", ErrBadSegment, i, s.Paddr)
		}
		if uint64(len(s.Data)) > s.Memsz {
			return fmt.Errorf("%w: segment %d at %#x: %d data bytes > memsz %#x", ErrBadSegment, i, s.Paddr, len(s.Data), s.Memsz)
		}
		if _, ok := s.end(); !ok {
			return fmt.Errorf("%w: segment %d: paddr %#x + memsz %#x overflows", ErrBadSegment, i, s.Paddr, s.Memsz)
		}
	}
	slices.SortFunc(order, func(a, b int) int {
		pa, pb := k.Segments[a].Paddr, k.Segments[b].Paddr
		switch {
		case pa < pb:
			return -1
		case pa > pb:
			return 1
		}
		return 0
	})
	for j := 1; j < len(order); j++ {
		prev, cur := k.Segments[order[j-1]], k.Segments[order[j]]
		if prevEnd, _ := prev.end(); cur.Paddr < prevEnd {
			curEnd, _ := cur.end()
			return fmt.Errorf("%w: [%#x, %#x) and [%#x, %#x)", ErrSegmentsOverlap, prev.Paddr, prevEnd, cur.Paddr, curEnd)
		}
	}
	entry := uint64(k.Entry32)
	for _, s := range k.Segments {
		if s.Flags&elf.PF_X != 0 && entry >= s.Paddr && entry-s.Paddr < uint64(len(s.Data)) {
			return nil
		}
	}
	return fmt.Errorf("%w: entry %#x is not in the file-backed part of any executable (PF_X) segment", ErrEntryOutsideImage, entry)
}

// CheckFits checks the kernel against guest RAM [0, ramBytes): every segment
// inside RAM, no overlaps, entry inside a loaded executable segment, and
// total size <= ramBytes (implied: segments that do not overlap and end at or
// below ramBytes cannot add up to more). A kernel that would fit in more
// memory, up to MaxMemoryMiB, fails with ErrKernelTooBig and
// ErrSegmentOutsideRAM together, and the message says how much it needs.
func (k *Kernel) CheckFits(ramBytes uint64) error {
	if err := k.validate(); err != nil {
		return err
	}
	const ramLimit = MaxMemoryMiB * mibBytes
	for i, s := range k.Segments {
		end, _ := s.end() // validate checked the overflow
		if end <= ramBytes {
			continue
		}
		if end > ramLimit {
			return fmt.Errorf("%w: segment %d [%#x, %#x) ends above %d MiB, the most RAM a domain can have", ErrSegmentOutsideRAM, i, s.Paddr, end, MaxMemoryMiB)
		}
		_, hi := k.Extent()
		return fmt.Errorf("%w: kernel needs %d MiB but memory is %d MiB: raise memory (%w: segment %d [%#x, %#x))",
			ErrKernelTooBig, (hi+mibBytes-1)/mibBytes, ramBytes/mibBytes, ErrSegmentOutsideRAM, i, s.Paddr, end)
	}
	return nil
}

// Extent returns the lowest and one-past-highest physical address the
// segments cover; (0, 0) when there are none. hi saturates at the top of the
// address space for a hand-built segment that would overflow.
func (k *Kernel) Extent() (lo, hi uint64) {
	for i, s := range k.Segments {
		end, ok := s.end()
		if !ok {
			end = ^uint64(0)
		}
		if i == 0 || s.Paddr < lo {
			lo = s.Paddr
		}
		if end > hi {
			hi = end
		}
	}
	return lo, hi
}
