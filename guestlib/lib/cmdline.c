/*
 * cmdline.c - key=value words of the command line (<guestlib/cmdline.h>).
 */
#include <stddef.h>
#include <stdint.h>
#include <xen/xen.h>
#include <xen/errno.h>

#include <guestlib/cmdline.h>
#include <guestlib/string.h>

/* Start of the value of the first word "key=...", or NULL. */
static const char *find_value(const char *cmdline, const char *key)
{
	size_t n = strlen(key);
	const char *p;

	for (p = cmdline; *p; p++) {
		if ((p == cmdline || p[-1] == ' ') && !strncmp(p, key, n) && p[n] == '=')
			return p + n + 1;
	}
	return NULL;
}

int cmdline_get(const char *cmdline, const char *key, char *buf, size_t size)
{
	const char *v = find_value(cmdline, key);
	size_t i;

	if (!v)
		return -XEN_ENOENT;
	for (i = 0; v[i] && v[i] != ' '; i++) {
		if (i + 1 >= size) {
			if (size)
				buf[i] = '\0';
			return -XEN_E2BIG;
		}
		buf[i] = v[i];
	}
	if (size)
		buf[i] = '\0';
	return 0;
}

int cmdline_get_ulong(const char *cmdline, const char *key, unsigned long *val)
{
	const char *v = find_value(cmdline, key);
	unsigned long x = 0, base = 10, d;
	int digits = 0;

	if (!v)
		return -XEN_ENOENT;
	if (v[0] == '0' && (v[1] == 'x' || v[1] == 'X')) {
		base = 16;
		v += 2;
	}
	for (; *v && *v != ' '; v++, digits++) {
		if (*v >= '0' && *v <= '9')
			d = *v - '0';
		else if (base == 16 && *v >= 'a' && *v <= 'f')
			d = *v - 'a' + 10;
		else if (base == 16 && *v >= 'A' && *v <= 'F')
			d = *v - 'A' + 10;
		else
			return -XEN_EINVAL;
		if (x > (~0UL - d) / base)
			return -XEN_EINVAL;
		x = x * base + d;
	}
	if (!digits)
		return -XEN_EINVAL;
	*val = x;
	return 0;
}
