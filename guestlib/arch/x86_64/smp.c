/*
 * smp.c (x86_64) - start a secondary vCPU with VCPUOP_initialise.
 *
 * The context is a struct vcpu_hvm_context (xen/hvm/hvm_vcpu.h) in
 * VCPU_HVM_MODE_64B: the vCPU starts in long mode with flat segments
 * (selectors 0), GDTR and IDTR zero, on the caller's page tables (same CR0,
 * CR3, CR4 and EFER), interrupts disabled, at arch_ap_entry (vectors.S) with
 * RSP just below the argument slot prepared here. smp_ap_start() then loads
 * the GDT and IDT (arch_load_traps()) before it enables interrupts.
 */
#include <stdint.h>
#include <xen/xen.h>
#include <xen/vcpu.h>
#include <xen/hvm/hvm_vcpu.h>

#include <arch.h>
#include <guestlib/hypervisor.h>
#include <guestlib/string.h>

#define MSR_EFER     0xC0000080
#define RFLAGS_FIXED 0x2 /* bit 1 always reads 1; IF clear */

extern char arch_ap_entry[]; /* vectors.S */

static inline uint64_t read_cr(int n)
{
	uint64_t v = 0;

	switch (n) {
	case 0:
		asm volatile("movq %%cr0, %0" : "=r"(v));
		break;
	case 3:
		asm volatile("movq %%cr3, %0" : "=r"(v));
		break;
	case 4:
		asm volatile("movq %%cr4, %0" : "=r"(v));
		break;
	}
	return v;
}

int arch_vcpu_initialise(unsigned int id, void *stack_top, void *arg)
{
	struct vcpu_hvm_context ctx;
	struct vcpu_hvm_x86_64 *r = &ctx.cpu_regs.x86_64;
	uint64_t *sp;

	/* [sp] = arg, [sp+8] = 0 (no return address); sp is 16-byte aligned. */
	sp = (uint64_t *)(((uintptr_t)stack_top & ~(uintptr_t)15) - 16);
	sp[0] = (uintptr_t)arg;
	sp[1] = 0;

	memset(&ctx, 0, sizeof(ctx));
	ctx.mode = VCPU_HVM_MODE_64B;
	r->rip = (uintptr_t)arch_ap_entry;
	r->rsp = (uintptr_t)sp;
	r->rflags = RFLAGS_FIXED;
	r->cr0 = read_cr(0);
	r->cr3 = read_cr(3);
	r->cr4 = read_cr(4);
	r->efer = rdmsr(MSR_EFER);
	return HYPERVISOR_vcpu_op(VCPUOP_initialise, id, &ctx);
}
