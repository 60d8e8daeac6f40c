/*
 * entry.S - PVH entry for guestlib guests on x86_64.
 *
 * Contract (Xen docs/misc/pvh.pandoc; digest 2.2): the loader jumps to the
 * physical address in the XEN_ELFNOTE_PHYS32_ENTRY note below with the CPU in
 * 32-bit flat protected mode, paging off, interrupts off, ebx = guest-physical
 * address of struct hvm_start_info, and no usable stack.
 *
 * What pvh_start does, in order:
 *   1. keep ebx in esi (nothing else survives; BSS is not zeroed yet);
 *   2. zero BSS (__bss_start..__bss_end, 8-byte aligned by guestlib.ld), which
 *      also clears the page tables and the stack that live there;
 *   3. switch to boot_stack (16 KiB) and load boot_gdt;
 *   4. build an identity map of 0..4 GiB with 2 MiB pages: PML4[0] -> PDPT,
 *      PDPT[0..3] -> four page directories of 512 entries each. The map
 *      covers the image at 1 MiB and the special pages Xenolith places just
 *      below 4 GiB (hvm_start_info at 0xFEFF8000);
 *   5. CR4.PAE, CR3, EFER.LME (MSR 0xC0000080), CR0.PG|PE, far jump to 64-bit;
 *   6. reload data segments and call guest_start(start_info) in C.
 * The cost is about 20,000 instructions, most in the BSS clear and the
 * 2048-entry page directory fill.
 */
#include <xen/elfnote.h>

#define MSR_EFER	0xC0000080
#define EFER_LME	(1 << 8)
#define CR0_PE		(1 << 0)
#define CR0_PG		(1 << 31)
#define CR4_PAE		(1 << 5)
#define PTE_P		(1 << 0)	/* present */
#define PTE_RW		(1 << 1)	/* writable */
#define PTE_PS		(1 << 7)	/* 2 MiB page (in a page directory entry) */
#define PAGE_SIZE	4096
#define LARGE_PAGE_SIZE	0x200000
#define NR_PD		4		/* page directories: 4 x 1 GiB */
#define BOOT_STACK_SIZE	(16 * 1024)

#define GDT_CODE64	0x08		/* selectors into boot_gdt */
#define GDT_DATA	0x10

/*
 * The Xen ELF note, in the ELF note format: namesz, descsz, type, then the
 * name and the descriptor, each padded to 4 bytes. guestlib.ld puts
 * .note.Xen in the PT_NOTE segment (and in the loaded image).
 */
	.section .note.Xen, "a", @note
	.balign 4
	.long	2f - 1f			/* namesz: "Xen\0" */
	.long	4f - 3f			/* descsz: 4 */
	.long	XEN_ELFNOTE_PHYS32_ENTRY
1:	.asciz	"Xen"
2:	.balign	4
3:	.long	pvh_start		/* 32-bit physical entry address */
4:	.balign	4

	.section .text.pvh_entry, "ax", @progbits
	.code32
	.globl	pvh_start
	.type	pvh_start, @function
pvh_start:
	cld
	movl	%ebx, %esi		/* hvm_start_info paddr, until guest_start */

	/* 2. Zero BSS (tables and stack included). */
	movl	$__bss_start, %edi
	movl	$__bss_end, %ecx
	subl	%edi, %ecx
	shrl	$2, %ecx
	xorl	%eax, %eax
	rep stosl

	/* 3. Stack and GDT. */
	movl	$boot_stack_top, %esp
	lgdt	boot_gdt_desc

	/* 4. Page tables: PML4[0] -> PDPT. */
	movl	$boot_pdpt + (PTE_P | PTE_RW), boot_pml4

	/* PDPT[i] -> PD i, for i in 0..NR_PD-1. */
	movl	$boot_pdpt, %edi
	movl	$boot_pd + (PTE_P | PTE_RW), %eax
	movl	$NR_PD, %ecx
1:	movl	%eax, (%edi)
	addl	$PAGE_SIZE, %eax
	addl	$8, %edi
	decl	%ecx
	jnz	1b

	/* PD entries 0..2047 map 2 MiB each: entry n = n * 2 MiB | PS | RW | P.
	 * The upper halves stay zero (cleared with BSS). */
	movl	$boot_pd, %edi
	movl	$(PTE_P | PTE_RW | PTE_PS), %eax
	movl	$(NR_PD * 512), %ecx
2:	movl	%eax, (%edi)
	addl	$LARGE_PAGE_SIZE, %eax
	addl	$8, %edi
	decl	%ecx
	jnz	2b

	/* 5. Long mode. */
	movl	%cr4, %eax
	orl	$CR4_PAE, %eax
	movl	%eax, %cr4

	movl	$boot_pml4, %eax
	movl	%eax, %cr3

	movl	$MSR_EFER, %ecx
	rdmsr
	orl	$EFER_LME, %eax
	wrmsr

	movl	%cr0, %eax
	orl	$(CR0_PG | CR0_PE), %eax
	movl	%eax, %cr0

	ljmp	$GDT_CODE64, $pvh_long_mode

	.code64
pvh_long_mode:
	/* 6. Flat data segments; fs and gs null (their bases are MSRs in long mode). */
	movl	$GDT_DATA, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	xorl	%eax, %eax
	movl	%eax, %fs
	movl	%eax, %gs

	movq	$boot_stack_top, %rsp	/* 16-byte aligned, as the SysV ABI wants at a call */
	xorl	%ebp, %ebp
	movl	%esi, %edi		/* zero-extends: rdi = hvm_start_info paddr */
	call	guest_start

	/* guest_start does not return; if it ever does, stop without a hypercall. */
3:	ud2
	jmp	3b
	.size	pvh_start, . - pvh_start

/*
 * Boot GDT: null, 64-bit code (L=1, DPL 0), flat data. Read by lgdt in
 * 32-bit mode (6-byte operand); the base is padded to 8 bytes so the same
 * descriptor also works for a 64-bit lgdt, which is how secondary vCPUs
 * load it (arch_load_traps(); IDT gates name the 0x08 code selector).
 */
	.section .rodata.pvh_entry, "a", @progbits
	.balign	16
boot_gdt:
	.quad	0x0000000000000000	/* 0x00: null */
	.quad	0x00af9a000000ffff	/* 0x08: code, 64-bit, present, exec/read */
	.quad	0x00cf92000000ffff	/* 0x10: data, present, read/write, 4 GiB */
boot_gdt_end:
	.balign	8
	.globl	boot_gdt_desc
boot_gdt_desc:
	.word	boot_gdt_end - boot_gdt - 1
	.quad	boot_gdt

/*
 * The hypercall page: 128 slots of 32 bytes, filled by the hypervisor when
 * init_xen() writes its address to the hypercall MSR. Until then it holds
 * INT3, so a premature hypercall traps at once (a triple fault without an
 * IDT) rather than executing whatever follows.
 */
	.section .hypercall_page, "ax", @progbits
	.balign	PAGE_SIZE
	.globl	hypercall_page
	.type	hypercall_page, @object
hypercall_page:
	.fill	PAGE_SIZE, 1, 0xcc
	.size	hypercall_page, PAGE_SIZE

/* Boot page tables and stack: page aligned, in BSS, zeroed by pvh_start. */
	.section .bss.pvh_entry, "aw", @nobits
	.balign	PAGE_SIZE
boot_pml4:
	.skip	PAGE_SIZE
boot_pdpt:
	.skip	PAGE_SIZE
boot_pd:
	.skip	NR_PD * PAGE_SIZE
boot_stack:
	.skip	BOOT_STACK_SIZE
boot_stack_top:

	.section .note.GNU-stack, "", @progbits
