/*
 * console.h - early console output through console_io (CONSOLEIO_write).
 *
 * printk formats into the calling vCPU's line buffer (interrupts disabled
 * meanwhile) and writes it with one hypercall per line (at '\n', or when
 * the buffer fills). console_flush writes a partial line. A spinlock
 * serialises the writes, so vCPUs may print concurrently and lines never
 * interleave within a line.
 *
 * Formats: %s %c %d %i %u %x %X %o %p %% with flags '-', '0', '#', a width
 * (digits or '*'), a precision for %s ('.N' or '.*'), and the length
 * modifiers hh h l ll z. %p prints 0x followed by the hex value.
 */
#ifndef GUESTLIB_CONSOLE_H
#define GUESTLIB_CONSOLE_H

#include <stdarg.h>
#include <stddef.h>

#define GUESTLIB_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* Write len bytes to the hypervisor console. Returns 0 or a negative errno. */
int console_write(const char *s, size_t len);

/*
 * console_write without the console lock, for crash paths (exception
 * handlers) that may interrupt a vCPU holding it.
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

#endif /* GUESTLIB_CONSOLE_H */
