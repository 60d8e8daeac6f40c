/*
 * vectors.S - x86_64 interrupt and exception entry points, and the entry of
 * secondary vCPUs.
 *
 * No IRET anywhere. KVM's instruction emulator, which runs all guest code
 * on hosts without VT-x/AMD-V (PVM), cannot execute IRET/IRETQ in protected
 * or long mode (the vCPU stops with "KVM internal error 1, emulation
 * failure"). Exception handlers therefore never return (they report and
 * crash the domain), and the upcall handler returns with POPFQ + RET on the
 * interrupted stack, which is equivalent here: same privilege level (CPL 0),
 * same stack (no IST), and CS and SS never change in this guest.
 *
 * Interrupt frame (64-bit mode, CPL 0 to CPL 0, no error code): the CPU
 * aligns RSP down to 16 bytes, then pushes SS, RSP, RFLAGS, CS, RIP. With an
 * error code (exceptions 8, 10-14, 17, 21, 29, 30) it pushes that as well.
 * The interrupted code keeps nothing below its RSP (guestlib builds with
 * -mno-red-zone), so the bytes just below the interrupted RSP are free.
 *
 * Saved registers (struct arch_trap_frame in traps.c), lowest address first:
 *   r15 r14 r13 r12 r11 r10 r9 r8 rbp rdi rsi rdx rcx rbx rax
 * then, for exceptions, vector and error code, then the CPU's frame.
 */
#define NR_SAVED	15		/* general-purpose registers pushed */
#define SAVED_RAX	((NR_SAVED - 1) * 8)	/* offset of rax in the save area */

/* Frame offsets from the saved area (upcall: no vector, no error code). */
#define UP_RIP		(NR_SAVED * 8 + 0)
#define UP_RFLAGS	(NR_SAVED * 8 + 16)
#define UP_RSP		(NR_SAVED * 8 + 24)

.macro SAVE_REGS
	pushq	%rax
	pushq	%rbx
	pushq	%rcx
	pushq	%rdx
	pushq	%rsi
	pushq	%rdi
	pushq	%rbp
	pushq	%r8
	pushq	%r9
	pushq	%r10
	pushq	%r11
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
.endm

	.text

/*
 * Upcall (ARCH_UPCALL_VECTOR): save every GPR, call evtchn_do_upcall() on a
 * 16-byte aligned stack, and return to the interrupted code without IRET.
 *
 * Return: let S be the interrupted RSP. Read the interrupted RIP, RFLAGS
 * and S, and the saved RAX, into registers first, because the slots
 * written next can overlap the CPU's frame (which lies in
 * [align16(S) - 40, align16(S))). Then store, just below S:
 *   S-8: RIP    S-16: RFLAGS    S-24: saved RAX
 * These slots start at or above align16(S) - 24, so they never touch the
 * register save area below the frame. Restore every other register from
 * the save area, switch to S-24, POP RAX, POPFQ (restores IF, so a new
 * upcall may arrive here; it nests on the stack below and returns to the
 * RET), and RET to RIP, which leaves RSP = S.
 */
	.globl	arch_upcall_entry
	.type	arch_upcall_entry, @function
	.balign	16
arch_upcall_entry:
	SAVE_REGS
	cld
	movq	%rsp, %rbx		/* callee-saved: survives the C call */
	andq	$-16, %rsp
	call	evtchn_do_upcall
	movq	%rbx, %rsp

	movq	UP_RSP(%rsp), %rax	/* S */
	movq	UP_RIP(%rsp), %rbx
	movq	UP_RFLAGS(%rsp), %rcx
	movq	SAVED_RAX(%rsp), %rdx
	movq	%rbx, -8(%rax)
	movq	%rcx, -16(%rax)
	movq	%rdx, -24(%rax)
	subq	$24, %rax

	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%r11
	popq	%r10
	popq	%r9
	popq	%r8
	popq	%rbp
	popq	%rdi
	popq	%rsi
	popq	%rdx
	popq	%rcx
	popq	%rbx
	movq	%rax, %rsp		/* S - 24 */
	popq	%rax
	popfq
	ret
	.size	arch_upcall_entry, . - arch_upcall_entry

/*
 * Exceptions 0-31: one stub per vector pushes a zero error code where the
 * CPU pushes none, then the vector, so every frame has the same shape.
 * arch_trap_handler() reports and crashes the domain; it never returns.
 */
.macro EXCEPTION vec
	.balign	16
exception_\vec:
	.if (\vec == 8) || (\vec >= 10 && \vec <= 14) || (\vec == 17) || (\vec == 21) || (\vec == 29) || (\vec == 30)
	.else
	pushq	$0
	.endif
	pushq	$\vec
	jmp	exception_common
.endm

	.irp	vec, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	EXCEPTION \vec
	.endr

	.balign	16
exception_common:
	SAVE_REGS
	cld
	movq	%rsp, %rdi		/* struct arch_trap_frame * */
	andq	$-16, %rsp
	call	arch_trap_handler
1:	ud2				/* not reached */
	jmp	1b

/* Stub addresses for arch_init_traps(), indexed by vector. */
	.section .rodata.traps, "a", @progbits
	.balign	8
	.globl	arch_exception_stubs
	.type	arch_exception_stubs, @object
arch_exception_stubs:
	.irp	vec, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.quad	exception_\vec
	.endr
	.size	arch_exception_stubs, . - arch_exception_stubs

/*
 * First instruction of a secondary vCPU (VCPUOP_initialise, 64-bit mode).
 * The hypervisor loads RSP from the context; arch_vcpu_initialise() left
 * the argument at [RSP] and RSP 16-byte aligned, as a call expects.
 */
	.text
	.globl	arch_ap_entry
	.type	arch_ap_entry, @function
	.balign	16
arch_ap_entry:
	cld
	movq	(%rsp), %rdi
	xorl	%ebp, %ebp
	call	smp_ap_start
2:	ud2				/* smp_ap_start does not return */
	jmp	2b
	.size	arch_ap_entry, . - arch_ap_entry

	.section .note.GNU-stack, "", @progbits
