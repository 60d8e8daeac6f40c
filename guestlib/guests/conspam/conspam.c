/*
 * conspam - console output throughput: n bytes of known text through the
 * primary console ring or through console_io.
 *
 * Command line: bytes=<n> (default 65536; rounded down to a multiple of
 * 64; at most 64 * 99999999) and via=ring|io (default ring).
 *
 * The n bytes are n / 64 lines of exactly 64 bytes. Line i (from 0) is
 *   "conspam "                                 8 bytes
 *   i in decimal, zero padded to 8 digits      8 bytes
 *   " "                                        1 byte
 *   46 letters, letter j (0..45) = 'a' + (i + j) % 26
 *                                             46 bytes
 *   "\n"                                       1 byte   = 64 bytes
 * so line 0 is "conspam 00000000 abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrst\n"
 * and line 27 is "conspam 00000027 bcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstu\n".
 * In Go: fmt.Sprintf("conspam %08d ", i) + the 46 letters + "\n".
 *
 * via=ring: init_console(), then the lines go out in batches of 32 (2048
 * bytes, the out ring's size) with console_ring_write(), and the clock
 * stops when the back end has read the last byte (console_drain()).
 * via=io: console_write() on console_io (CONSOLEIO_write, 1024 bytes per
 * hypercall), same batches, no init_console(). The time from before the
 * first write to the end is measured with pvclock (monotonic_ns()); then
 * it prints one more line, not part of the n bytes, the same way:
 *   conspam: wrote <n> bytes via <ring|io> in <ns> ns
 * and powers off. Failures print "conspam: FAIL ..." and crash.
 */
#include <guestlib/guestlib.h>

#define LINE_BYTES    64
#define LETTERS	      46
#define MAX_LINES     99999999UL /* 8 digits */
#define BATCH_LINES   32	 /* 2048 bytes per write */
#define DEFAULT_BYTES 65536UL
#define DRAIN_NS      (30 * NS_PER_SEC)

static char batch[BATCH_LINES * LINE_BYTES];
static char alphabet[26 + LETTERS]; /* "a..za..t": letters of line i start at i % 26 */

static void make_line(char *p, unsigned long i)
{
	unsigned long v = i;
	int d;

	/* __builtin_memcpy of a constant size is inlined as 8-byte moves. */
	__builtin_memcpy(p, "conspam ", 8);
	for (d = 7; d >= 0; d--) {
		p[8 + d] = (char)('0' + v % 10);
		v /= 10;
	}
	p[16] = ' ';
	__builtin_memcpy(p + 17, alphabet + i % 26, LETTERS);
	p[LINE_BYTES - 1] = '\n';
}

int main(const struct hvm_start_info *si)
{
	const char *cmdline = start_info_cmdline(si);
	unsigned long bytes = DEFAULT_BYTES, lines, i, n;
	uint64_t t0, t1;
	char via[8] = "ring";
	int ring, rc;

	rc = cmdline_get_ulong(cmdline, "bytes", &bytes);
	if (rc < 0 && rc != -XEN_ENOENT) {
		printk("conspam: FAIL bytes= is not a number (cmdline \"%s\")\n", cmdline);
		return 1;
	}
	rc = cmdline_get(cmdline, "via", via, sizeof(via));
	if ((rc < 0 && rc != -XEN_ENOENT) || (strcmp(via, "ring") && strcmp(via, "io"))) {
		printk("conspam: FAIL via= must be ring or io (cmdline \"%s\")\n", cmdline);
		return 1;
	}
	ring = !strcmp(via, "ring");
	lines = bytes / LINE_BYTES;
	if (lines > MAX_LINES) {
		printk("conspam: FAIL bytes=%lu: at most %lu\n", bytes, MAX_LINES * LINE_BYTES);
		return 1;
	}
	bytes = lines * LINE_BYTES;
	for (i = 0; i < sizeof(alphabet); i++)
		alphabet[i] = (char)('a' + i % 26);

	rc = init_events();
	if (rc < 0) {
		printk("conspam: FAIL init_events: %d\n", rc);
		return 1;
	}
	if (ring) {
		rc = init_console();
		if (rc < 0) {
			printk("conspam: FAIL init_console: %d\n", rc);
			return 1;
		}
	}

	t0 = monotonic_ns();
	for (i = 0; i < lines; i += n) {
		unsigned long k;

		n = lines - i < BATCH_LINES ? lines - i : BATCH_LINES;
		for (k = 0; k < n; k++)
			make_line(batch + k * LINE_BYTES, i + k);
		rc = ring ? console_ring_write(batch, n * LINE_BYTES)
			  : console_write(batch, n * LINE_BYTES);
		if (rc < 0) {
			printk("conspam: FAIL write at line %lu: %d\n", i, rc);
			return 1;
		}
	}
	if (ring) {
		rc = console_drain(monotonic_ns() + DRAIN_NS);
		if (rc < 0) {
			printk("conspam: FAIL the back end did not read the output: %d\n", rc);
			return 1;
		}
	}
	t1 = monotonic_ns();
	printk("conspam: wrote %lu bytes via %s in %lu ns\n", bytes, via,
	       (unsigned long)(t1 - t0));
	return 0;
}
