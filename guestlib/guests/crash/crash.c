/*
 * crash - checks that the hypervisor turns a triple fault into a crashed
 * domain: with no IDT loaded, UD2 raises #UD, which escalates to #DF and
 * then a triple fault. Nothing after the UD2 may run.
 */
#include <guestlib/guestlib.h>

int main(const struct hvm_start_info *si)
{
	(void)si;
	printk("crash: faulting with no IDT installed\n");
	asm volatile("ud2" ::: "memory");
	/* Reached only if the fault was swallowed: make that visible. */
	printk("crash: ERROR: still running after ud2\n");
	return 2;
}
