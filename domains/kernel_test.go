package domains

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A tiny ELF writer for building PVH kernel images in tests.

// testProg is one program header and the file bytes it points at.
type testProg struct {
	typ   elf.ProgType
	flags elf.ProgFlag
	paddr uint64
	memsz uint64 // 0 means len(data)
	align uint64
	data  []byte

	// Hostile overrides, applied after layout.
	setOff, setFilesz bool
	off, filesz       uint64
}

// testSection is one section; the writer adds the null section and
// .shstrtab itself.
type testSection struct {
	name  string
	typ   elf.SectionType
	flags elf.SectionFlag
	align uint64
	data  []byte
}

type testELF struct {
	class     elf.Class
	machine   elf.Machine
	typ       elf.Type
	bigEndian bool
	progs     []testProg
	sections  []testSection
}

func (e testELF) bytes() []byte {
	var bo binary.ByteOrder = binary.LittleEndian
	if e.bigEndian {
		bo = binary.BigEndian
	}
	is64 := e.class == elf.ELFCLASS64
	ehsize, phent, shent := 52, 32, 40
	if is64 {
		ehsize, phent, shent = 64, 56, 64
	}

	buf := make([]byte, ehsize+len(e.progs)*phent)
	pad8 := func() {
		for len(buf)%8 != 0 {
			buf = append(buf, 0)
		}
	}
	offs := make([]uint64, len(e.progs))
	for i, p := range e.progs {
		pad8()
		offs[i] = uint64(len(buf))
		buf = append(buf, p.data...)
	}

	var shoff, shnum, shstrndx int
	if len(e.sections) > 0 {
		strtab := []byte{0}
		nameOff := make([]int, len(e.sections)+1)
		secOff := make([]int, len(e.sections))
		for i, s := range e.sections {
			nameOff[i] = len(strtab)
			strtab = append(append(strtab, s.name...), 0)
			pad8()
			secOff[i] = len(buf)
			buf = append(buf, s.data...)
		}
		nameOff[len(e.sections)] = len(strtab)
		strtab = append(append(strtab, ".shstrtab"...), 0)
		strOff := len(buf)
		buf = append(buf, strtab...)
		pad8()
		shoff = len(buf)
		shnum = len(e.sections) + 2
		shstrndx = shnum - 1
		buf = append(buf, make([]byte, shnum*shent)...)
		put := func(idx, name int, typ elf.SectionType, flags elf.SectionFlag, off, size int, align uint64) {
			h := buf[shoff+idx*shent:]
			bo.PutUint32(h[0:], uint32(name))
			bo.PutUint32(h[4:], uint32(typ))
			if is64 {
				bo.PutUint64(h[8:], uint64(flags))
				bo.PutUint64(h[24:], uint64(off))
				bo.PutUint64(h[32:], uint64(size))
				bo.PutUint64(h[48:], align)
			} else {
				bo.PutUint32(h[8:], uint32(flags))
				bo.PutUint32(h[16:], uint32(off))
				bo.PutUint32(h[20:], uint32(size))
				bo.PutUint32(h[32:], uint32(align))
			}
		}
		for i, s := range e.sections {
			put(i+1, nameOff[i], s.typ, s.flags, secOff[i], len(s.data), s.align)
		}
		put(shstrndx, nameOff[len(e.sections)], elf.SHT_STRTAB, 0, strOff, len(strtab), 1)
	}

	copy(buf, elf.ELFMAG)
	buf[elf.EI_CLASS] = byte(e.class)
	buf[elf.EI_DATA] = byte(elf.ELFDATA2LSB)
	if e.bigEndian {
		buf[elf.EI_DATA] = byte(elf.ELFDATA2MSB)
	}
	buf[elf.EI_VERSION] = byte(elf.EV_CURRENT)
	bo.PutUint16(buf[16:], uint16(e.typ))
	bo.PutUint16(buf[18:], uint16(e.machine))
	bo.PutUint32(buf[20:], uint32(elf.EV_CURRENT))
	if is64 {
		bo.PutUint64(buf[32:], uint64(ehsize))
		bo.PutUint64(buf[40:], uint64(shoff))
		bo.PutUint16(buf[52:], uint16(ehsize))
		bo.PutUint16(buf[54:], uint16(phent))
		bo.PutUint16(buf[56:], uint16(len(e.progs)))
		bo.PutUint16(buf[58:], uint16(shent))
		bo.PutUint16(buf[60:], uint16(shnum))
		bo.PutUint16(buf[62:], uint16(shstrndx))
	} else {
		bo.PutUint32(buf[28:], uint32(ehsize))
		bo.PutUint32(buf[32:], uint32(shoff))
		bo.PutUint16(buf[40:], uint16(ehsize))
		bo.PutUint16(buf[42:], uint16(phent))
		bo.PutUint16(buf[44:], uint16(len(e.progs)))
		bo.PutUint16(buf[46:], uint16(shent))
		bo.PutUint16(buf[48:], uint16(shnum))
		bo.PutUint16(buf[50:], uint16(shstrndx))
	}

	for i, p := range e.progs {
		off, filesz, memsz := offs[i], uint64(len(p.data)), p.memsz
		if memsz == 0 {
			memsz = filesz
		}
		if p.setOff {
			off = p.off
		}
		if p.setFilesz {
			filesz = p.filesz
		}
		h := buf[ehsize+i*phent:]
		bo.PutUint32(h[0:], uint32(p.typ))
		if is64 {
			bo.PutUint32(h[4:], uint32(p.flags))
			bo.PutUint64(h[8:], off)
			bo.PutUint64(h[16:], p.paddr) // vaddr
			bo.PutUint64(h[24:], p.paddr)
			bo.PutUint64(h[32:], filesz)
			bo.PutUint64(h[40:], memsz)
			bo.PutUint64(h[48:], p.align)
		} else {
			bo.PutUint32(h[4:], uint32(off))
			bo.PutUint32(h[8:], uint32(p.paddr))
			bo.PutUint32(h[12:], uint32(p.paddr))
			bo.PutUint32(h[16:], uint32(filesz))
			bo.PutUint32(h[20:], uint32(memsz))
			bo.PutUint32(h[24:], uint32(p.flags))
			bo.PutUint32(h[28:], uint32(p.align))
		}
	}
	return buf
}

// elfNote builds one note with name+NUL, its header and padding to align
// bytes (binutils layout: descriptor at alignUp(12+namesz)).
func elfNote(name string, typ uint32, desc []byte, align int) []byte {
	up := func(n int) int { return (n + align - 1) &^ (align - 1) }
	namesz := len(name) + 1
	b := make([]byte, 12)
	binary.LittleEndian.PutUint32(b[0:], uint32(namesz))
	binary.LittleEndian.PutUint32(b[4:], uint32(len(desc)))
	binary.LittleEndian.PutUint32(b[8:], typ)
	b = append(append(b, name...), 0)
	b = append(b, make([]byte, up(len(b))-len(b))...)
	b = append(b, desc...)
	return append(b, make([]byte, up(len(b))-len(b))...)
}

func xenNote(typ uint32, desc []byte) []byte { return elfNote("Xen", typ, desc, 4) }

func noteU32(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }
func noteU64(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }

const (
	testTextPaddr = 0x100000
	testDataPaddr = 0x200000
	testEntry     = 0x100010
)

// pvhKernel is a well-formed PVH kernel: a data segment listed before the
// text segment (ParseKernel must sort them), and a PT_NOTE with a GNU note
// ahead of the Xen notes.
func pvhKernel(class elf.Class) testELF {
	machine := elf.EM_X86_64
	if class == elf.ELFCLASS32 {
		machine = elf.EM_386
	}
	notes := elfNote("GNU", 3, bytes.Repeat([]byte{0xab}, 20), 4) // NT_GNU_BUILD_ID
	notes = append(notes, xenNote(xenElfnoteGuestOS, []byte("guestlib\x00"))...)
	notes = append(notes, elfNote("Linux", 0x100, []byte{1, 2, 3}, 4)...) // namesz 6
	notes = append(notes, xenNote(xenElfnotePhys32Entry, noteU32(testEntry))...)
	notes = append(notes, xenNote(xenElfnoteFeatures, []byte("!writable_page_tables\x00"))...)
	return testELF{
		class:   class,
		machine: machine,
		typ:     elf.ET_EXEC,
		progs: []testProg{
			{typ: elf.PT_LOAD, flags: elf.PF_R | elf.PF_W, paddr: testDataPaddr, memsz: 0x3000, align: 0x1000, data: bytes.Repeat([]byte{0xd0}, 0x40)},
			{typ: elf.PT_LOAD, flags: elf.PF_R | elf.PF_X, paddr: testTextPaddr, memsz: 0x1000, align: 0x1000, data: bytes.Repeat([]byte{0x90}, 0x100)},
			{typ: elf.PT_NOTE, flags: elf.PF_R, align: 4, data: notes},
		},
	}
}

// withNotes replaces the PT_NOTE contents of e.
func withNotes(e testELF, notes []byte, align uint64) testELF {
	e.progs = append([]testProg(nil), e.progs...)
	e.progs[2].data, e.progs[2].align = notes, align
	return e
}

// withoutPTNote drops the PT_NOTE program header.
func withoutPTNote(e testELF) testELF {
	e.progs = append([]testProg(nil), e.progs[:2]...)
	return e
}

// kernelErrors are the named errors ParseKernel and CheckFits return.
var kernelErrors = []error{
	ErrNotELF, ErrImageTooLarge, ErrNotExecutable, ErrBadMachine, ErrNoPVHNote,
	ErrBadNote, ErrBadSegment, ErrNoSegments, ErrSegmentsOverlap,
	ErrEntryOutsideImage, ErrSegmentOutsideRAM, ErrKernelTooBig,
}

func isKernelError(err error) bool {
	for _, e := range kernelErrors {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

func mustParseKernel(t *testing.T, image []byte) *Kernel {
	t.Helper()
	k, err := ParseKernel(image)
	if err != nil {
		t.Fatalf("ParseKernel: %v", err)
	}
	return k
}

func wantKernelErr(t *testing.T, err, want error) {
	t.Helper()
	t.Logf("error: %v", err)
	if !errors.Is(err, want) {
		t.Fatalf("got error %v, want %v", err, want)
	}
	if errors.Is(err, errParserPanic) {
		t.Fatalf("error came from a recovered panic: %v", err)
	}
}

func TestParseKernelELF64(t *testing.T) {
	image := pvhKernel(elf.ELFCLASS64).bytes()
	k := mustParseKernel(t, image)
	if k.Class != elf.ELFCLASS64 || k.Entry32 != testEntry {
		t.Fatalf("class %v entry %#x, want ELFCLASS64 %#x", k.Class, k.Entry32, testEntry)
	}
	if k.GuestOS != "guestlib" || k.Features != "!writable_page_tables" {
		t.Errorf("GuestOS %q Features %q", k.GuestOS, k.Features)
	}
	if len(k.Segments) != 2 {
		t.Fatalf("%d segments, want 2", len(k.Segments))
	}
	text, data := k.Segments[0], k.Segments[1]
	if text.Paddr != testTextPaddr || text.Memsz != 0x1000 || len(text.Data) != 0x100 || text.Flags&elf.PF_X == 0 {
		t.Errorf("text segment %#x+%#x (%d bytes, %v)", text.Paddr, text.Memsz, len(text.Data), text.Flags)
	}
	if data.Paddr != testDataPaddr || data.Memsz != 0x3000 || len(data.Data) != 0x40 {
		t.Errorf("data segment %#x+%#x (%d bytes)", data.Paddr, data.Memsz, len(data.Data))
	}
	// Data is a copy.
	for i := range image {
		image[i] = 0
	}
	if text.Data[0] != 0x90 || data.Data[0] != 0xd0 {
		t.Error("segment data aliases the image")
	}
	if lo, hi := k.Extent(); lo != testTextPaddr || hi != testDataPaddr+0x3000 {
		t.Errorf("Extent = %#x, %#x", lo, hi)
	}
	if err := k.CheckFits(64 << 20); err != nil {
		t.Errorf("CheckFits(64 MiB): %v", err)
	}
	if err := k.CheckFits(testDataPaddr + 0x3000); err != nil {
		t.Errorf("CheckFits(exact fit): %v", err)
	}
}

func TestParseKernelELF32(t *testing.T) {
	k := mustParseKernel(t, pvhKernel(elf.ELFCLASS32).bytes())
	if k.Class != elf.ELFCLASS32 || k.Entry32 != testEntry || len(k.Segments) != 2 || k.Segments[0].Paddr != testTextPaddr {
		t.Fatalf("got %+v", k)
	}
	if err := k.CheckFits(64 << 20); err != nil {
		t.Errorf("CheckFits: %v", err)
	}
}

func TestParseKernelNotes(t *testing.T) {
	entryNote8 := xenNote(xenElfnotePhys32Entry, noteU64(testEntry)) // Debian vmlinux style
	// 8-aligned area laid out the gABI way: a GNU property note, then the
	// Xen note, both padded to 8.
	aligned8 := append(elfNote("GNU", 5, make([]byte, 16), 8), elfNote("Xen", xenElfnotePhys32Entry, noteU32(testEntry), 8)...)
	// 4-padded notes in an area whose p_align says 8: the fallback.
	misaligned := append(elfNote("GNU", 3, make([]byte, 20), 4), xenNote(xenElfnotePhys32Entry, noteU32(testEntry))...)

	for _, class := range []elf.Class{elf.ELFCLASS32, elf.ELFCLASS64} {
		base := pvhKernel(class)
		sectionOnly := withoutPTNote(base)
		sectionOnly.sections = []testSection{
			{name: ".text", typ: elf.SHT_PROGBITS, flags: elf.SHF_ALLOC | elf.SHF_EXECINSTR, align: 16, data: []byte{0x90}},
			{name: ".note.Xen", typ: elf.SHT_NOTE, flags: elf.SHF_ALLOC, align: 4, data: entryNote8},
		}
		// A PT_NOTE with only non-Xen notes: fall back to the sections.
		sectionFallback := sectionOnly
		sectionFallback.progs = append(append([]testProg(nil), sectionOnly.progs...),
			testProg{typ: elf.PT_NOTE, flags: elf.PF_R, align: 4, data: elfNote("GNU", 3, make([]byte, 20), 4)})
		// Padding after the last note.
		trailing := append(xenNote(xenElfnotePhys32Entry, noteU32(testEntry)), 0, 0, 0, 0)

		ok := map[string]testELF{
			"4-byte descriptor":         base,
			"8-byte descriptor":         withNotes(base, entryNote8, 4),
			"8-aligned area":            withNotes(base, aligned8, 8),
			"4-padded in 8-aligned":     withNotes(base, misaligned, 8),
			"note only in a section":    sectionOnly,
			"PT_NOTE without Xen notes": sectionFallback,
			"zero padding at the end":   withNotes(base, trailing, 4),
		}
		for name, e := range ok {
			t.Run(class.String()+"/"+name, func(t *testing.T) {
				k := mustParseKernel(t, e.bytes())
				if k.Entry32 != testEntry {
					t.Fatalf("Entry32 = %#x, want %#x", k.Entry32, testEntry)
				}
			})
		}

		bad := map[string]struct {
			e    testELF
			want error
		}{
			"no notes":              {withoutPTNote(base), ErrNoPVHNote},
			"only other Xen notes":  {withNotes(base, xenNote(xenElfnoteGuestOS, []byte("linux\x00")), 4), ErrNoPVHNote},
			"name without NUL":      {withNotes(base, append([]byte{3, 0, 0, 0, 4, 0, 0, 0, 18, 0, 0, 0, 'X', 'e', 'n', 0}, noteU32(testEntry)...), 4), ErrNoPVHNote},
			"2-byte descriptor":     {withNotes(base, xenNote(xenElfnotePhys32Entry, []byte{1, 2}), 4), ErrBadNote},
			"entry above 4 GiB":     {withNotes(base, xenNote(xenElfnotePhys32Entry, noteU64(1<<32|testEntry)), 4), ErrBadNote},
			"conflicting entries":   {withNotes(base, append(xenNote(xenElfnotePhys32Entry, noteU32(testEntry)), xenNote(xenElfnotePhys32Entry, noteU32(testEntry+4))...), 4), ErrBadNote},
			"descsz past area":      {withNotes(base, xenNote(xenElfnotePhys32Entry, noteU32(testEntry))[:18], 4), ErrBadNote},
			"namesz past area":      {withNotes(base, []byte{0xff, 0xff, 0xff, 0xff, 4, 0, 0, 0, 18, 0, 0, 0}, 4), ErrBadNote},
			"stray trailing bytes":  {withNotes(base, append(xenNote(xenElfnotePhys32Entry, noteU32(testEntry)), 1, 2, 3), 4), ErrBadNote},
			"PT_NOTE past the file": {withPT(base, 2, func(p *testProg) { p.setOff, p.off = true, 0xfffff000 }), ErrBadNote},
		}
		for name, c := range bad {
			t.Run(class.String()+"/"+name, func(t *testing.T) {
				_, err := ParseKernel(c.e.bytes())
				wantKernelErr(t, err, c.want)
			})
		}
	}
}

// withPT returns e with program header i changed by f.
func withPT(e testELF, i int, f func(*testProg)) testELF {
	e.progs = append([]testProg(nil), e.progs...)
	f(&e.progs[i])
	return e
}

func TestParseKernelNoPVHNoteMessage(t *testing.T) {
	_, err := ParseKernel(withoutPTNote(pvhKernel(elf.ELFCLASS64)).bytes())
	if err == nil || !strings.Contains(err.Error(), "CONFIG_PVH=y") {
		t.Fatalf("error %v does not tell the user how to fix it", err)
	}
}

func TestParseKernelSegments(t *testing.T) {
	for _, class := range []elf.Class{elf.ELFCLASS32, elf.ELFCLASS64} {
		base := pvhKernel(class)
		maxPaddr := uint64(1<<64 - 0x100)
		if class == elf.ELFCLASS32 {
			maxPaddr = 0 // ELF32 fields cannot overflow 64-bit sums
		}
		cases := map[string]struct {
			e    testELF
			want error
		}{
			"filesz > memsz": {withPT(base, 0, func(p *testProg) { p.memsz = 0x10 }), ErrBadSegment},
			"data past file": {withPT(base, 0, func(p *testProg) { p.setOff, p.off = true, 0xfffff000 }), ErrBadSegment},
			"filesz past file": {withPT(base, 1, func(p *testProg) {
				p.setFilesz, p.filesz, p.memsz = true, 0x800, 0x1000
			}), ErrBadSegment},
			"overlapping segments": {withPT(base, 0, func(p *testProg) { p.paddr = testTextPaddr + 0xff0 }), ErrSegmentsOverlap},
			"same paddr":           {withPT(base, 0, func(p *testProg) { p.paddr = testTextPaddr }), ErrSegmentsOverlap},
			"entry outside":        {withNotes(base, xenNote(xenElfnotePhys32Entry, noteU32(0x300000)), 4), ErrEntryOutsideImage},
			"entry in .bss":        {withNotes(base, xenNote(xenElfnotePhys32Entry, noteU32(testTextPaddr+0x800)), 4), ErrEntryOutsideImage},
			"entry in data":        {withNotes(base, xenNote(xenElfnotePhys32Entry, noteU32(testDataPaddr)), 4), ErrEntryOutsideImage},
			"no PT_LOAD": {testELF{class: base.class, machine: base.machine, typ: elf.ET_EXEC,
				progs: base.progs[2:]}, ErrNoSegments},
			"only empty PT_LOAD": {testELF{class: base.class, machine: base.machine, typ: elf.ET_EXEC,
				progs: []testProg{{typ: elf.PT_LOAD, flags: elf.PF_X}, base.progs[2]}}, ErrNoSegments},
		}
		if maxPaddr != 0 {
			cases["paddr+memsz overflows"] = struct {
				e    testELF
				want error
			}{withPT(base, 0, func(p *testProg) { p.paddr = maxPaddr }), ErrBadSegment}
		}
		many := base
		many.progs = append([]testProg(nil), base.progs...)
		for n := 0; len(many.progs) <= maxLoadSegments+2; n++ { // 2 + 64 more PT_LOADs
			many.progs = append(many.progs, testProg{typ: elf.PT_LOAD, flags: elf.PF_R, paddr: 0x400000 + uint64(n)*0x1000, data: []byte{1}})
		}
		cases["too many segments"] = struct {
			e    testELF
			want error
		}{many, ErrBadSegment}

		for name, c := range cases {
			t.Run(class.String()+"/"+name, func(t *testing.T) {
				_, err := ParseKernel(c.e.bytes())
				wantKernelErr(t, err, c.want)
			})
		}
	}
}

func TestParseKernelNotKernel(t *testing.T) {
	image64 := pvhKernel(elf.ELFCLASS64).bytes()
	patch := func(off int, b ...byte) []byte {
		img := bytes.Clone(image64)
		copy(img[off:], b)
		return img
	}
	rel := pvhKernel(elf.ELFCLASS64)
	rel.typ = elf.ET_REL
	dyn := pvhKernel(elf.ELFCLASS64)
	dyn.typ = elf.ET_DYN
	arm := pvhKernel(elf.ELFCLASS64)
	arm.machine = elf.EM_AARCH64
	x32 := pvhKernel(elf.ELFCLASS32)
	x32.machine = elf.EM_X86_64
	i386in64 := pvhKernel(elf.ELFCLASS64)
	i386in64.machine = elf.EM_386
	big := pvhKernel(elf.ELFCLASS64)
	big.bigEndian = true
	withSections := pvhKernel(elf.ELFCLASS64)
	withSections.sections = []testSection{{name: ".text", typ: elf.SHT_PROGBITS, data: []byte{0x90}}}
	withSectionsImage := withSections.bytes()
	shoff := binary.LittleEndian.Uint64(withSectionsImage[40:])
	compressedNames := bytes.Clone(withSectionsImage)
	binary.LittleEndian.PutUint64(compressedNames[shoff+2*64+8:], uint64(elf.SHF_COMPRESSED))
	hugeNames := bytes.Clone(withSectionsImage)
	binary.LittleEndian.PutUint64(hugeNames[shoff+2*64+32:], 1<<40)
	shoffPast := bytes.Clone(withSectionsImage)
	binary.LittleEndian.PutUint64(shoffPast[40:], 1<<48)
	extended := bytes.Clone(withSectionsImage)
	binary.LittleEndian.PutUint16(extended[60:], 0)

	cases := map[string]struct {
		image []byte
		want  error
	}{
		"empty":                 {nil, ErrNotELF},
		"script":                {[]byte("#!/bin/sh\necho hello\n"), ErrNotELF},
		"bad class":             {patch(elf.EI_CLASS, 3), ErrNotELF},
		"bad data":              {patch(elf.EI_DATA, 0), ErrNotELF},
		"bad version":           {patch(elf.EI_VERSION, 2), ErrNotELF},
		"ET_REL":                {rel.bytes(), ErrNotExecutable},
		"ET_DYN":                {dyn.bytes(), ErrNotExecutable},
		"aarch64":               {arm.bytes(), ErrBadMachine},
		"x32 (ELF32 x86-64)":    {x32.bytes(), ErrBadMachine},
		"ELF64 EM_386":          {i386in64.bytes(), ErrBadMachine},
		"big endian":            {big.bytes(), ErrBadMachine},
		"phnum past file":       {patch(56, 0x80, 0), ErrNotELF},
		"phnum absurd":          {patch(56, 0xff, 0xff), ErrNotELF},
		"phentsize too small":   {patch(54, 8, 0), ErrNotELF},
		"phoff huge":            {patch(32, 0, 0, 0, 0, 0, 0, 0, 0x80), ErrNotELF},
		"shoff past file":       {shoffPast, ErrNotELF},
		"compressed shstrtab":   {compressedNames, ErrNotELF},
		"shstrtab past file":    {hugeNames, ErrNotELF},
		"extended numbering":    {extended, ErrNotELF},
		"larger than the limit": {make([]byte, MaxKernelImageBytes+1), ErrImageTooLarge},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			k, err := ParseKernel(c.image)
			if k != nil {
				t.Error("got a kernel along with the error")
			}
			wantKernelErr(t, err, c.want)
		})
	}
	if _, err := ParseKernel(withSectionsImage); err != nil {
		t.Fatalf("control image with sections: %v", err)
	}
}

// TestParseKernelTruncated cuts a valid image at every length: each must
// fail with a named error, never panic or succeed.
func TestParseKernelTruncated(t *testing.T) {
	for _, class := range []elf.Class{elf.ELFCLASS32, elf.ELFCLASS64} {
		e := pvhKernel(class)
		withSections := e
		withSections.sections = []testSection{{name: ".note.Xen", typ: elf.SHT_NOTE, align: 4, data: xenNote(xenElfnotePhys32Entry, noteU32(testEntry))}}
		for _, image := range [][]byte{e.bytes(), withSections.bytes()} {
			if _, err := ParseKernel(image); err != nil {
				t.Fatalf("%v: full image: %v", class, err)
			}
			for n := 0; n < len(image); n++ {
				k, err := ParseKernel(image[:n])
				if err == nil || k != nil {
					t.Fatalf("%v: truncated to %d of %d bytes: parsed", class, n, len(image))
				}
				if !isKernelError(err) || errors.Is(err, errParserPanic) {
					t.Fatalf("%v: truncated to %d bytes: unnamed error %v", class, n, err)
				}
			}
		}
		// Cut inside the header, the program headers and the first segment
		// of the image without section headers.
		image := e.bytes()
		ehsize, phent := 52, 32
		if class == elf.ELFCLASS64 {
			ehsize, phent = 64, 56
		}
		for n, want := range map[int]error{
			10:                   ErrNotELF,
			ehsize - 1:           ErrNotELF,
			ehsize + phent + 3:   ErrNotELF,
			ehsize + 3*phent + 8: ErrBadSegment,
		} {
			_, err := ParseKernel(image[:n])
			if !errors.Is(err, want) {
				t.Errorf("%v: truncated to %d bytes: %v, want %v", class, n, err, want)
			}
		}
	}
}

func TestCheckFits(t *testing.T) {
	k := mustParseKernel(t, pvhKernel(elf.ELFCLASS64).bytes()) // [1 MiB, 2 MiB+12 KiB)

	err := k.CheckFits(2 << 20)
	wantKernelErr(t, err, ErrKernelTooBig)
	wantKernelErr(t, err, ErrSegmentOutsideRAM)
	if !strings.Contains(err.Error(), "kernel needs 3 MiB but memory is 2 MiB: raise memory") {
		t.Errorf("message %q does not say how much memory is needed", err)
	}

	high := *k
	high.Segments = append([]Segment(nil), k.Segments...)
	high.Segments[1].Paddr = MaxMemoryMiB << 20 // above any domain's RAM
	err = high.CheckFits(64 << 20)
	wantKernelErr(t, err, ErrSegmentOutsideRAM)
	if errors.Is(err, ErrKernelTooBig) {
		t.Errorf("more memory cannot help, but the error says so: %v", err)
	}

	// Hand-built kernels get the same checks as parsed ones.
	text := Segment{Paddr: 0x1000, Memsz: 0x1000, Flags: elf.PF_X, Data: make([]byte, 0x100)}
	cases := map[string]struct {
		k    Kernel
		want error
	}{
		"no segments": {Kernel{Entry32: 0x1000}, ErrNoSegments},
		"unsorted overlap": {Kernel{Entry32: 0x1000, Segments: []Segment{
			{Paddr: 0x5000, Memsz: 0x1000}, text, {Paddr: 0x1800, Memsz: 0x10}}}, ErrSegmentsOverlap},
		"data longer than memsz": {Kernel{Entry32: 0x1000, Segments: []Segment{
			{Paddr: 0x1000, Memsz: 0x10, Flags: elf.PF_X, Data: make([]byte, 0x11)}}}, ErrBadSegment},
		"empty segment": {Kernel{Entry32: 0x1000, Segments: []Segment{text, {Paddr: 0x8000}}}, ErrBadSegment},
		"overflow":      {Kernel{Entry32: 0x1000, Segments: []Segment{text, {Paddr: 1<<64 - 0x10, Memsz: 0x20}}}, ErrBadSegment},
		"entry not executable": {Kernel{Entry32: 0x1000, Segments: []Segment{
			{Paddr: 0x1000, Memsz: 0x1000, Flags: elf.PF_R, Data: make([]byte, 0x100)}}}, ErrEntryOutsideImage},
		"entry past data": {Kernel{Entry32: 0x1100, Segments: []Segment{text}}, ErrEntryOutsideImage},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			wantKernelErr(t, c.k.CheckFits(64<<20), c.want)
		})
	}
	ok := Kernel{Entry32: 0x10ff, Segments: []Segment{text}}
	if err := ok.CheckFits(0x2000); err != nil {
		t.Errorf("exact fit: %v", err)
	}
	wantKernelErr(t, ok.CheckFits(0x1fff), ErrKernelTooBig)
}

func TestKernelExtent(t *testing.T) {
	var k Kernel
	if lo, hi := k.Extent(); lo != 0 || hi != 0 {
		t.Errorf("empty Extent = %#x, %#x", lo, hi)
	}
	k.Segments = []Segment{{Paddr: 0x9000, Memsz: 0x100}, {Paddr: 0x2000, Memsz: 0x10}}
	if lo, hi := k.Extent(); lo != 0x2000 || hi != 0x9100 {
		t.Errorf("Extent = %#x, %#x", lo, hi)
	}
	k.Segments = append(k.Segments, Segment{Paddr: 1<<64 - 1, Memsz: 2})
	if _, hi := k.Extent(); hi != 1<<64-1 {
		t.Errorf("overflowing Extent hi = %#x, want saturation", hi)
	}
}

// TestParseKernelGuestlibHello parses the real example guest when it has been
// built (gcc, guestlib); it is the only test allowed to skip.
func TestParseKernelGuestlibHello(t *testing.T) {
	path := filepath.Join("..", "build", "guests", "hello")
	image, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		t.Skipf("%s not built", path)
	}
	if err != nil {
		t.Fatal(err)
	}
	k := mustParseKernel(t, image)
	_, hi := k.Extent()
	t.Logf("%s: %v, entry %#x, %d segments, extent hi %#x, guest OS %q", path, k.Class, k.Entry32, len(k.Segments), hi, k.GuestOS)
	if err := k.CheckFits(64 << 20); err != nil {
		t.Errorf("CheckFits(64 MiB): %v", err)
	}
}
