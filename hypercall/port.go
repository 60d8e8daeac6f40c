package hypercall

// TrapPort is the I/O port the hypercall-page stubs write to.
//
// KVM on PVM hosts does not return VMCALL/VMMCALL to user space, so each
// 32-byte stub is "mov eax, nr; out TrapPort, eax; ret": the 8-bit immediate
// port form leaves rdi, rsi, rdx, r10 and r8 (the argument registers)
// untouched. The port is outside every legacy PC device range the
// full-virtualization devices will claim (PIC, PIT, PS/2, CMOS, UART, ATA).
const TrapPort = 0xF6
