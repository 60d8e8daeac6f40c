/*
 * cmdline.h - key=value words of the kernel command line
 * (start_info_cmdline()), e.g. "remote_domid=1 count=1000".
 *
 * Words are separated by spaces; the first word "key=..." wins.
 */
#ifndef GUESTLIB_CMDLINE_H
#define GUESTLIB_CMDLINE_H

#include <stddef.h>

/*
 * Copy the value of key into buf (NUL terminated). Returns 0,
 * -XEN_ENOENT if there is no such word, -XEN_E2BIG if the value does not
 * fit (buf then holds a truncated copy).
 */
int cmdline_get(const char *cmdline, const char *key, char *buf, size_t size);

/*
 * Parse the value of key as an unsigned number (decimal, or hex with 0x).
 * Returns 0, -XEN_ENOENT if absent, -XEN_EINVAL if not a number (or it
 * overflows); *val is written only on success.
 */
int cmdline_get_ulong(const char *cmdline, const char *key, unsigned long *val);

#endif /* GUESTLIB_CMDLINE_H */
