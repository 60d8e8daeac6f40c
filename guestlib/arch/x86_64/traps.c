/*
 * traps.c (x86_64) - the IDT: exceptions 0-31 report and crash the domain,
 * ARCH_UPCALL_VECTOR runs the event-channel upcall (vectors.S).
 *
 * One IDT (256 gates of 16 bytes) is shared by every vCPU; each vCPU loads
 * it, and the boot GDT (entry.S: 0x08 64-bit code, 0x10 data), with
 * arch_load_traps(). Every gate is a 64-bit interrupt gate (IF cleared on
 * entry), DPL 0, IST 0 (no TSS is needed: nothing changes privilege or
 * stack). Vectors 32-255 other than the upcall are not present: a stray
 * vector there raises #NP with error code vector * 8 + 2, which is reported.
 *
 * Exception handlers never return, so the IRET that KVM's emulator cannot
 * execute (vectors.S) is never needed.
 */
#include <stdint.h>
#include <xen/xen.h>
#include <xen/sched.h>

#include <arch.h>
#include <guestlib/console.h>
#include <guestlib/hypervisor.h>
#include <guestlib/smp.h>

#define IDT_ENTRIES	   256
#define NR_EXCEPTIONS	   32
#define GDT_CODE64	   0x08	      /* entry.S boot_gdt */
#define GATE_INTERRUPT64   0x8E	      /* present, DPL 0, type 0xE */
#define VECTOR_PAGE_FAULT  14

/* What vectors.S pushed for an exception, lowest address first. */
struct arch_trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error_code;	/* error_code 0 when the CPU pushes none */
	uint64_t rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};

/* A 64-bit IDT gate (Intel SDM vol. 3, 6.14.1). */
struct idt_gate {
	uint16_t offset_lo;
	uint16_t selector;
	uint8_t ist;
	uint8_t type_attr;
	uint16_t offset_mid;
	uint32_t offset_hi;
	uint32_t reserved;
} __attribute__((packed));

/* Operand of LGDT/LIDT in 64-bit mode. */
struct desc_ptr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

_Static_assert(sizeof(struct idt_gate) == 16, "64-bit IDT gate is 16 bytes");
_Static_assert(sizeof(struct arch_trap_frame) == 22 * 8, "vectors.S frame layout");

extern const uint64_t arch_exception_stubs[NR_EXCEPTIONS]; /* vectors.S */
extern char arch_upcall_entry[];			  /* vectors.S */
extern const struct desc_ptr boot_gdt_desc;		  /* entry.S */

void arch_trap_handler(struct arch_trap_frame *f);

static struct idt_gate idt[IDT_ENTRIES] __attribute__((aligned(16)));
static struct desc_ptr idt_desc;
static volatile uint32_t in_trap; /* set by the first exception: a second one skips printing */

static const char *const exception_names[NR_EXCEPTIONS] = {
	"#DE divide error", "#DB debug", "NMI", "#BP breakpoint",
	"#OF overflow", "#BR bound range", "#UD invalid opcode", "#NM device not available",
	"#DF double fault", "coprocessor segment overrun", "#TS invalid TSS", "#NP segment not present",
	"#SS stack fault", "#GP general protection", "#PF page fault", "reserved 15",
	"#MF x87 error", "#AC alignment check", "#MC machine check", "#XM SIMD error",
	"#VE virtualisation", "#CP control protection", "reserved 22", "reserved 23",
	"reserved 24", "reserved 25", "reserved 26", "reserved 27",
	"#HV hypervisor injection", "#VC VMM communication", "#SX security", "reserved 31",
};

static void set_gate(unsigned int vec, uintptr_t handler)
{
	struct idt_gate *g = &idt[vec];

	g->offset_lo = handler & 0xffff;
	g->selector = GDT_CODE64;
	g->ist = 0;
	g->type_attr = GATE_INTERRUPT64;
	g->offset_mid = (handler >> 16) & 0xffff;
	g->offset_hi = handler >> 32;
	g->reserved = 0;
}

int arch_init_traps(void)
{
	unsigned int vec;

	if (idt_desc.base)
		return 0;
	for (vec = 0; vec < NR_EXCEPTIONS; vec++)
		set_gate(vec, arch_exception_stubs[vec]);
	set_gate(ARCH_UPCALL_VECTOR, (uintptr_t)arch_upcall_entry);
	idt_desc.limit = sizeof(idt) - 1;
	idt_desc.base = (uintptr_t)idt;
	return 0;
}

int arch_load_traps(void)
{
	if (!idt_desc.base)
		return -XEN_EINVAL;
	asm volatile("lgdt %0" : : "m"(boot_gdt_desc) : "memory");
	asm volatile("lidt %0" : : "m"(idt_desc) : "memory");
	return 0;
}

static inline uint64_t read_cr2(void)
{
	uint64_t v;

	asm volatile("movq %%cr2, %0" : "=r"(v));
	return v;
}

/*
 * Report the exception on the console and crash the domain. Does not use
 * printk or shutdown(), whose console lock this vCPU may hold already.
 */
void arch_trap_handler(struct arch_trap_frame *f)
{
	struct sched_shutdown op = { .reason = SHUTDOWN_crash };
	char buf[256];
	int n;

	if (arch_xchg32(&in_trap, 1) == 0) {
		n = snprintf(buf, sizeof(buf),
			     "guestlib: vcpu %u: exception %lu (%s) error 0x%lx at rip 0x%lx "
			     "rsp 0x%lx rflags 0x%lx",
			     smp_cpu_id(), (unsigned long)f->vector,
			     f->vector < NR_EXCEPTIONS ? exception_names[f->vector] : "?",
			     (unsigned long)f->error_code, (unsigned long)f->rip,
			     (unsigned long)f->rsp, (unsigned long)f->rflags);
		if (f->vector == VECTOR_PAGE_FAULT && n >= 0 && n < (int)sizeof(buf))
			n += snprintf(buf + n, sizeof(buf) - n, " cr2 0x%lx",
				      (unsigned long)read_cr2());
		if (n >= (int)sizeof(buf) - 1)
			n = sizeof(buf) - 2;
		buf[n++] = '\n';
		console_write_nolock(buf, n);
	}
	HYPERVISOR_sched_op(SCHEDOP_shutdown, &op);
	for (;;)
		arch_halt();
}
