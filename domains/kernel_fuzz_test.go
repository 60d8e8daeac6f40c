package domains

import (
	"debug/elf"
	"errors"
	"testing"
)

// fuzzRAMBytes is the guest RAM FuzzParseKernel checks kernels against.
const fuzzRAMBytes = 64 << 20

// kernelSeeds are images from the test ELF writer: valid kernels of both
// classes and each kind of defect the unit tests cover.
func kernelSeeds() [][]byte {
	var seeds [][]byte
	for _, class := range []elf.Class{elf.ELFCLASS32, elf.ELFCLASS64} {
		base := pvhKernel(class)
		sectionOnly := withoutPTNote(base)
		sectionOnly.sections = []testSection{{name: ".note.Xen", typ: elf.SHT_NOTE, align: 4,
			data: xenNote(xenElfnotePhys32Entry, noteU64(testEntry))}}
		aligned8 := withNotes(base, append(elfNote("GNU", 5, make([]byte, 16), 8),
			elfNote("Xen", xenElfnotePhys32Entry, noteU32(testEntry), 8)...), 8)
		misaligned := withNotes(base, append(elfNote("GNU", 3, make([]byte, 20), 4),
			xenNote(xenElfnotePhys32Entry, noteU32(testEntry))...), 8)
		for _, e := range []testELF{
			base,
			withNotes(base, xenNote(xenElfnotePhys32Entry, noteU64(testEntry)), 4),
			sectionOnly,
			aligned8,
			misaligned,
			withoutPTNote(base),
			withPT(base, 0, func(p *testProg) { p.paddr = testTextPaddr + 0x800 }),
			withPT(base, 0, func(p *testProg) { p.paddr = 80 << 20 }),
			withPT(base, 0, func(p *testProg) { p.memsz = 0x10 }),
			withNotes(base, xenNote(xenElfnotePhys32Entry, noteU32(0x300000)), 4),
		} {
			seeds = append(seeds, e.bytes())
		}
	}
	return seeds
}

// FuzzParseKernel feeds arbitrary images to ParseKernel and CheckFits. They
// must never panic (a recovered panic counts as one), must return only named
// errors, and a kernel they accept must really be what they promise.
func FuzzParseKernel(f *testing.F) {
	for _, seed := range kernelSeeds() {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, image []byte) {
		k, err := ParseKernel(image)
		if errors.Is(err, errParserPanic) {
			t.Logf("ParseKernel recovered a panic: %v; rerunning without recover:", err)
			parseKernel(image) // panics with the stack trace
			t.Fatal("parser panicked")
		}
		if err != nil {
			if k != nil {
				t.Fatalf("kernel returned with error %v", err)
			}
			if !isKernelError(err) {
				t.Fatalf("unnamed error: %v", err)
			}
			return
		}

		// What ParseKernel promises regardless of RAM.
		if k.Class != elf.ELFCLASS32 && k.Class != elf.ELFCLASS64 {
			t.Fatalf("class %v", k.Class)
		}
		if len(k.Segments) == 0 || len(k.Segments) > maxLoadSegments {
			t.Fatalf("%d segments", len(k.Segments))
		}
		entryOK := false
		for i, s := range k.Segments {
			end := s.Paddr + s.Memsz
			if s.Memsz == 0 || end < s.Paddr || uint64(len(s.Data)) > s.Memsz {
				t.Fatalf("segment %d: paddr %#x memsz %#x data %d", i, s.Paddr, s.Memsz, len(s.Data))
			}
			if len(s.Data) > len(image) {
				t.Fatalf("segment %d: %d data bytes from a %d-byte image", i, len(s.Data), len(image))
			}
			if i > 0 {
				prev := k.Segments[i-1]
				if s.Paddr < prev.Paddr+prev.Memsz {
					t.Fatalf("segments %d and %d unsorted or overlapping: %#x+%#x, %#x", i-1, i, prev.Paddr, prev.Memsz, s.Paddr)
				}
			}
			e := uint64(k.Entry32)
			if s.Flags&elf.PF_X != 0 && e >= s.Paddr && e < s.Paddr+uint64(len(s.Data)) {
				entryOK = true
			}
		}
		if !entryOK {
			t.Fatalf("entry %#x outside the executable data", k.Entry32)
		}
		lo, hi := k.Extent()
		if lo != k.Segments[0].Paddr || hi != k.Segments[len(k.Segments)-1].Paddr+k.Segments[len(k.Segments)-1].Memsz {
			t.Fatalf("Extent %#x, %#x disagrees with the segments", lo, hi)
		}

		err = k.CheckFits(fuzzRAMBytes)
		if err != nil {
			if !isKernelError(err) {
				t.Fatalf("CheckFits: unnamed error: %v", err)
			}
			if hi <= fuzzRAMBytes {
				t.Fatalf("CheckFits refused a kernel inside RAM [%#x, %#x): %v", lo, hi, err)
			}
			return
		}
		// Accepted: everything lies in RAM.
		var total uint64
		for i, s := range k.Segments {
			if s.Paddr >= fuzzRAMBytes || s.Memsz > fuzzRAMBytes-s.Paddr {
				t.Fatalf("CheckFits accepted segment %d [%#x, +%#x) outside %d-byte RAM", i, s.Paddr, s.Memsz, fuzzRAMBytes)
			}
			total += s.Memsz
		}
		if hi > fuzzRAMBytes || total > fuzzRAMBytes {
			t.Fatalf("CheckFits accepted extent hi %#x, total %#x", hi, total)
		}
	})
}
