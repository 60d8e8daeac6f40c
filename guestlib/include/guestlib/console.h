/*
 * console.h - the domain's console: printk, and the primary console ring.
 *
 * Output goes through console_io (CONSOLEIO_write, one hypercall per write)
 * until init_console() connects the primary console ring; from then on
 * printk, console_write and console_flush write to the ring instead, until
 * fini_console(). Guests that never call init_console() stay on
 * console_io.
 *
 * printk formats into the calling vCPU's line buffer (interrupts disabled
 * meanwhile) and writes it at '\n', or when the buffer fills.
 * console_flush writes a partial line. A spinlock serialises the writes,
 * so vCPUs may print concurrently and lines never interleave within a
 * line.
 *
 * Formats: %s %c %d %i %u %x %X %o %p %% with flags '-', '0', '#', a width
 * (digits or '*'), a precision for %s ('.N' or '.*'), and the length
 * modifiers hh h l ll z. %p prints 0x followed by the hex value.
 *
 * The primary console ring (digest 9.6, <xen/io/console.h>) is a struct
 * xencons_interface on the page HVM_PARAM_CONSOLE_PFN names (below 4 GiB,
 * identity mapped at boot like all of it, so nothing needs mapping), with
 * the event channel HVM_PARAM_CONSOLE_EVTCHN, both set up by the toolstack
 * before boot:
 *   out[2048]  guest -> back end; the guest produces (out_prod), the back
 *              end consumes (out_cons);
 *   in[1024]   back end -> guest (keyboard input); in_prod, in_cons.
 * Indexes are free-running u32, masked by the array size. Writing: read
 * out_cons, full barrier, copy at most 2048 - (out_prod - out_cons) bytes,
 * write barrier, advance out_prod, notify the port. Reading: read in_prod,
 * full barrier, copy, full barrier, advance in_cons, notify.
 *
 * Waiting for the back end: output waits (ring full, console_drain()) may
 * run with interrupts disabled (printk holds the console lock with
 * interrupts off), so they clear the port's pending bit, check the ring and
 * SCHEDOP_poll the console port with a timeout of at most
 * CONSOLE_POLL_NS, then check again: a back end that notifies after
 * consuming wakes them at once, one that does not is seen within 10 ms.
 * Input waits on vCPU 0 with interrupts enabled block with wait_until_ns(),
 * so any event (a timer, xenstore) also wakes them; elsewhere they poll
 * like output waits. The port's handler only counts events: the ring
 * indexes are the truth, never the event.
 *
 * A ring whose indexes are more than the array size apart is broken: the
 * ring functions then return -XEN_EIO, and printk and console_write go back
 * to console_io so output stays visible.
 */
#ifndef GUESTLIB_CONSOLE_H
#define GUESTLIB_CONSOLE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define GUESTLIB_PRINTF(a, b) __attribute__((format(printf, a, b)))

#define CONSOLE_POLL_NS	      10000000ULL   /* longest SCHEDOP_poll when waiting for the back end */
#define CONSOLE_CRASH_WAIT_NS 1000000000ULL /* console_write_nolock's wait on the ring */
#define CONSOLE_DRAIN_NS      1000000000ULL /* shutdown()'s wait for the back end to read output */
#define CONSOLE_LINE_MAX      256	    /* console_getline()'s longest line, with its NUL */

/*
 * Write len bytes to the console: console_io, or the ring after
 * init_console() (blocking while it is full). Returns 0 or a negative
 * errno.
 */
int console_write(const char *s, size_t len);

/*
 * console_write without the console lock, for crash paths (exception
 * handlers) that may interrupt a vCPU holding it. On the ring it waits at
 * most CONSOLE_CRASH_WAIT_NS for space and for the back end to read the
 * bytes (the domain is about to go); if the back end has not read them by
 * then, it writes them to console_io as well, so a crash report is never
 * lost to a dead back end.
 */
int console_write_nolock(const char *s, size_t len);

/* Write out a buffered partial line, if any. Returns 0 or a negative errno. */
int console_flush(void);

/* Format to the console; returns the number of characters formatted. */
int printk(const char *fmt, ...) GUESTLIB_PRINTF(1, 2);
int vprintk(const char *fmt, va_list ap);

/* Like C's: returns the length the full output would have had. */
int snprintf(char *buf, size_t size, const char *fmt, ...) GUESTLIB_PRINTF(3, 4);
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);

/* Print "PANIC: <message>" and shut down with SHUTDOWN_crash. */
__attribute__((noreturn)) void panic(const char *fmt, ...) GUESTLIB_PRINTF(1, 2);

/* ---- the primary console ring ---- */

/*
 * Connect the primary console ring (see above); from now on console output
 * goes to it. Call on vCPU 0 after init_events(); writes the calling
 * vCPU's partial printk line (if any) to console_io first. Returns 0,
 * -XEN_ENODEV before init_events() or when the domain has no console
 * (HVM_PARAM_CONSOLE_PFN or _EVTCHN is 0, or the page is above 4 GiB),
 * -XEN_EINVAL on another vCPU, -XEN_EIO if the ring's indexes are
 * inconsistent, or the error of reading the params or binding the port.
 */
int init_console(void);

/*
 * Wait (up to CONSOLE_DRAIN_NS) for the back end to read what was
 * written, switch output back to console_io and stop handling the port
 * (masked; it stays open). Drops a partly edited console_getline() line.
 * Returns 0, -XEN_ETIMEDOUT if output was still unread (it stays in the
 * ring), or -XEN_EIO if the ring is broken. Not concurrently with other
 * console calls.
 */
int fini_console(void);

/* 1 while the ring is connected (after init_console(), before fini_console()). */
int console_ready(void);

/*
 * Write len bytes to the ring, blocking while it is full. Returns 0,
 * -XEN_ENODEV without init_console(), -XEN_EIO if the ring is broken.
 * Serialised with printk (the console lock), so a write is never split by
 * another vCPU's line.
 */
int console_ring_write(const char *buf, size_t len);

/*
 * Wait until the back end has read everything written so far (out_cons ==
 * out_prod) or system time reaches deadline_ns. Returns 0 (also when the
 * ring is not connected), -XEN_ETIMEDOUT, or -XEN_EIO. shutdown() calls it
 * with a deadline CONSOLE_DRAIN_NS ahead, so the last lines reach the back
 * end before the domain goes.
 */
int console_drain(uint64_t deadline_ns);

/*
 * Copy up to size bytes of console input into buf without blocking.
 * Returns the number of bytes copied (0 if none is available), -XEN_ENODEV
 * without init_console(), -XEN_EIO if the ring is broken. Bytes
 * console_getline() has read from the ring but not used yet come first.
 */
int console_read(char *buf, size_t size);

/*
 * Block until console input is available (returns 0) or system time
 * reaches deadline_ns (-XEN_ETIMEDOUT). deadline_ns may be TIME_FOREVER; a
 * finite deadline on vCPU 0 needs init_time(). -XEN_ENODEV without
 * init_console().
 */
int console_wait_input(uint64_t deadline_ns);

/*
 * Read one line in "cooked" mode, like a tty: printable characters
 * (0x20..0x7e) are added and echoed; backspace (0x08 or 0x7f) erases the
 * last one (echo "\b \b"); ^U (0x15) erases the line; other control
 * characters are ignored; CR or LF ends the line (echo "\r\n"; an LF
 * right after a CR is skipped, so CRLF is one line end). A line is at most
 * size - 1 and CONSOLE_LINE_MAX - 1 characters: more are ignored, not
 * echoed. The calling vCPU's partial printk line (a prompt) is written
 * first.
 *
 * Returns the line's length, with the line NUL terminated in buf (without
 * the CR or LF). If system time reaches deadline_ns first, returns
 * -XEN_ETIMEDOUT and keeps the partial line: the next call continues it
 * (so a caller can wait with a short deadline and do other work in
 * between). deadline_ns may be TIME_FOREVER. -XEN_EINVAL if size is 0,
 * -XEN_ENODEV without init_console(), -XEN_EIO if the ring is broken. One
 * reader at a time.
 */
int console_getline(char *buf, size_t size, uint64_t deadline_ns);

#endif /* GUESTLIB_CONSOLE_H */
