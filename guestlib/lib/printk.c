/*
 * printk.c - formatted output to the console (console_write(), console.c).
 *
 * One formatter (format()) drives two sinks: the printk line buffers and
 * vsnprintf's caller buffer. printk keeps at most one line (PRINTK_LINE_MAX
 * bytes) per vCPU and writes it with one console_write() at '\n' or when
 * full, so a line costs one hypercall (CONSOLEIO_write, or the ring's
 * notification).
 *
 * Locking: each vCPU formats into its own line buffer with interrupts
 * disabled (an upcall handler that prints cannot tear a half-built line);
 * console_write() serialises the writes (console.c's console_lock), so
 * lines from different vCPUs never interleave within a line.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <xen/xen.h>
#include <xen/errno.h>

#include <arch.h>
#include <guestlib/console.h>
#include <guestlib/sched.h>
#include <guestlib/smp.h>
#include <guestlib/string.h>

#define PRINTK_LINE_MAX 256 /* bytes buffered before a forced write */

/* A character sink: called once per output character. */
typedef void (*emit_fn)(void *ctx, char c);

struct fmt_spec {
	unsigned int width;
	int precision; /* -1: none */
	int left;      /* '-' */
	int zero;      /* '0' */
	int alt;       /* '#' */
};

static int emit_pad(emit_fn emit, void *ctx, char c, int n)
{
	int i;

	for (i = 0; i < n; i++)
		emit(ctx, c);
	return n > 0 ? n : 0;
}

static int emit_str(emit_fn emit, void *ctx, const char *s,
		    const struct fmt_spec *sp)
{
	size_t len, i;
	int n = 0, pad;

	if (!s)
		s = "(null)";
	len = sp->precision >= 0 ? strnlen(s, sp->precision) : strlen(s);
	pad = (int)sp->width - (int)len;
	if (!sp->left)
		n += emit_pad(emit, ctx, ' ', pad);
	for (i = 0; i < len; i++)
		emit(ctx, s[i]);
	n += len;
	if (sp->left)
		n += emit_pad(emit, ctx, ' ', pad);
	return n;
}

/* Unsigned v in base 8, 10 or 16, with an optional sign and "0x" prefix. */
static int emit_num(emit_fn emit, void *ctx, uint64_t v, unsigned int base,
		    int upper, int negative, const char *prefix,
		    const struct fmt_spec *sp)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char buf[24];
	int len = 0, plen, pad, n = 0, i;

	do {
		buf[len++] = digits[v % base];
		v /= base;
	} while (v);

	plen = (negative ? 1 : 0) + (prefix ? (int)strlen(prefix) : 0);
	pad = (int)sp->width - len - plen;

	if (!sp->left && !sp->zero)
		n += emit_pad(emit, ctx, ' ', pad);
	if (negative) {
		emit(ctx, '-');
		n++;
	}
	for (; prefix && *prefix; prefix++, n++)
		emit(ctx, *prefix);
	if (!sp->left && sp->zero)
		n += emit_pad(emit, ctx, '0', pad);
	for (i = len - 1; i >= 0; i--)
		emit(ctx, buf[i]);
	n += len;
	if (sp->left)
		n += emit_pad(emit, ctx, ' ', pad);
	return n;
}

static int format(emit_fn emit, void *ctx, const char *fmt, va_list ap)
{
	int n = 0;

	for (; *fmt; fmt++) {
		struct fmt_spec sp = { .precision = -1 };
		int lng = 0; /* -2 hh, -1 h, 0 int, 1 l, 2 ll, 3 z */
		uint64_t u;
		int64_t s;

		if (*fmt != '%') {
			emit(ctx, *fmt);
			n++;
			continue;
		}
		fmt++;

		/* Flags. */
		for (;; fmt++) {
			if (*fmt == '-')
				sp.left = 1;
			else if (*fmt == '0')
				sp.zero = 1;
			else if (*fmt == '#')
				sp.alt = 1;
			else
				break;
		}
		/* Width. */
		if (*fmt == '*') {
			int w = va_arg(ap, int);

			if (w < 0) {
				sp.left = 1;
				w = -w;
			}
			sp.width = w;
			fmt++;
		} else {
			while (*fmt >= '0' && *fmt <= '9')
				sp.width = sp.width * 10 + (*fmt++ - '0');
		}
		/* Precision (used by %s). */
		if (*fmt == '.') {
			fmt++;
			sp.precision = 0;
			if (*fmt == '*') {
				sp.precision = va_arg(ap, int);
				if (sp.precision < 0)
					sp.precision = -1;
				fmt++;
			} else {
				while (*fmt >= '0' && *fmt <= '9')
					sp.precision = sp.precision * 10 +
						       (*fmt++ - '0');
			}
		}
		/* Length. */
		if (*fmt == 'h') {
			lng = -1;
			if (*++fmt == 'h') {
				lng = -2;
				fmt++;
			}
		} else if (*fmt == 'l') {
			lng = 1;
			if (*++fmt == 'l') {
				lng = 2;
				fmt++;
			}
		} else if (*fmt == 'z') {
			lng = 3;
			fmt++;
		}

		switch (*fmt) {
		case 's':
			n += emit_str(emit, ctx, va_arg(ap, const char *), &sp);
			break;
		case 'c':
			if (!sp.left)
				n += emit_pad(emit, ctx, ' ', (int)sp.width - 1);
			emit(ctx, (char)va_arg(ap, int));
			n++;
			if (sp.left)
				n += emit_pad(emit, ctx, ' ', (int)sp.width - 1);
			break;
		case 'd':
		case 'i':
			if (lng >= 2)
				s = va_arg(ap, long long);
			else if (lng == 1 || lng == 3)
				s = va_arg(ap, long);
			else
				s = va_arg(ap, int);
			if (lng == -1)
				s = (short)s;
			else if (lng == -2)
				s = (signed char)s;
			u = s < 0 ? -(uint64_t)s : (uint64_t)s;
			n += emit_num(emit, ctx, u, 10, 0, s < 0, NULL, &sp);
			break;
		case 'u':
		case 'x':
		case 'X':
		case 'o':
			if (lng == 2)
				u = va_arg(ap, unsigned long long);
			else if (lng == 1 || lng == 3)
				u = va_arg(ap, unsigned long);
			else
				u = va_arg(ap, unsigned int);
			if (lng == -1)
				u = (unsigned short)u;
			else if (lng == -2)
				u = (unsigned char)u;
			if (*fmt == 'u')
				n += emit_num(emit, ctx, u, 10, 0, 0, NULL, &sp);
			else if (*fmt == 'o')
				n += emit_num(emit, ctx, u, 8, 0, 0,
					      sp.alt && u ? "0" : NULL, &sp);
			else
				n += emit_num(emit, ctx, u, 16, *fmt == 'X', 0,
					      sp.alt && u ? (*fmt == 'X' ? "0X" : "0x")
							  : NULL,
					      &sp);
			break;
		case 'p':
			u = (uintptr_t)va_arg(ap, void *);
			n += emit_num(emit, ctx, u, 16, 0, 0, "0x", &sp);
			break;
		case '%':
			emit(ctx, '%');
			n++;
			break;
		case '\0':
			/* A lone '%' at the end: print it and stop. */
			emit(ctx, '%');
			return n + 1;
		default:
			/* Unknown conversion: print it as written. */
			emit(ctx, '%');
			emit(ctx, *fmt);
			n += 2;
			break;
		}
	}
	return n;
}

/* ---- console ---- */

struct line {
	char buf[PRINTK_LINE_MAX];
	size_t len;
};

static struct line lines[GUESTLIB_MAX_VCPUS]; /* lines[v]: vCPU v only */

/* Write out l; interrupts are disabled. */
static int flush_line(struct line *l)
{
	int rc = 0;

	if (l->len) {
		rc = console_write(l->buf, l->len);
		l->len = 0;
	}
	return rc;
}

int console_flush(void)
{
	unsigned long flags = arch_irq_save();
	int rc = flush_line(&lines[smp_cpu_id()]);

	arch_irq_restore(flags);
	return rc;
}

static void emit_console(void *ctx, char c)
{
	struct line *l = ctx;

	l->buf[l->len++] = c;
	if (c == '\n' || l->len == sizeof(l->buf))
		flush_line(l);
}

int vprintk(const char *fmt, va_list ap)
{
	unsigned long flags = arch_irq_save();
	int n = format(emit_console, &lines[smp_cpu_id()], fmt, ap);

	arch_irq_restore(flags);
	return n;
}

int printk(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vprintk(fmt, ap);
	va_end(ap);
	return n;
}

/* ---- strings ---- */

struct str_sink {
	char *buf;
	size_t size;
	size_t len;
};

static void emit_buf(void *ctx, char c)
{
	struct str_sink *sink = ctx;

	if (sink->len + 1 < sink->size)
		sink->buf[sink->len] = c;
	sink->len++;
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct str_sink sink = { .buf = buf, .size = size };
	int n = format(emit_buf, &sink, fmt, ap);

	if (size)
		buf[sink.len < size ? sink.len : size - 1] = '\0';
	return n;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

/* ---- panic ---- */

void panic(const char *fmt, ...)
{
	va_list ap;

	console_flush(); /* finish whatever partial line came before */
	printk("PANIC: ");
	va_start(ap, fmt);
	vprintk(fmt, ap);
	va_end(ap);
	if (lines[smp_cpu_id()].len)
		printk("\n");
	shutdown(SHUTDOWN_crash);
}
