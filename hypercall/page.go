package hypercall

// Page returns the contents of the hypercall page: slot nr (32 bytes at
// 32*nr) is "mov eax, nr; out TrapPort, eax; ret". Slot 23 (iret) starts
// with UD2, as Xen's HVM page does, because it must be jumped to rather
// than called. Unused bytes are INT3.
func Page() [4096]byte {
	var p [4096]byte
	for i := range p {
		p[i] = 0xCC
	}
	for nr := 0; nr < NumHypercalls; nr++ {
		s := p[nr*32 : nr*32+32]
		if nr == NrIret {
			s[0], s[1] = 0x0F, 0x0B
			continue
		}
		s[0] = 0xB8 // mov eax, imm32
		s[1], s[2], s[3], s[4] = byte(nr), byte(nr>>8), 0, 0
		s[5], s[6] = 0xE7, TrapPort // out imm8, eax
		s[7] = 0xC3                 // ret
	}
	return p
}
