/*
 * memscan: looks for the host's secrets in its own memory.  A worker is a
 * fork of the zygote: whatever the zygote holds (what fnhostd sent it,
 * or, were it a fork of fnhostd, whatever fnhostd held then), every
 * plugin can read without a single system call.  The input is the secret to look for, in hex; the plugin
 * scans every writable segment of every loaded object, the heap and the
 * stack, and answers "ESCAPED: ..." if it finds those bytes anywhere but
 * in its own copy of the pattern.
 */
#define _GNU_SOURCE
#include <link.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fnhost/plugin.h>

#define PAGE 4096u

struct scan {
	unsigned char pat[128];
	size_t patlen;
	size_t scanned;
	char found[256];
};

static sigjmp_buf probe_env;

static void
on_fault(int sig)
{
	(void)sig;
	siglongjmp(probe_env, 1);
}

/* Whether the page at p can be read. */
__attribute__((no_sanitize("address"))) static int
readable(const volatile unsigned char *p)
{
	if (sigsetjmp(probe_env, 1))
		return 0;
	(void)*p;
	return 1;
}

/* Plain loads, not memchr() and memcmp(): a sanitizer build would
 * otherwise stop the scan at its first redzone. */
__attribute__((no_sanitize("address"))) static const unsigned char *
find(const unsigned char *lo, const unsigned char *hi, const unsigned char *pat,
     size_t patlen)
{
	const unsigned char *p;
	size_t i;

	for (p = lo; p + patlen <= hi; p++) {
		if (*p != pat[0] || p == pat)
			continue; /* p == pat: our own copy */
		for (i = 1; i < patlen && p[i] == pat[i]; i++)
			;
		if (i == patlen)
			return p;
	}
	return NULL;
}

static void
scan_range(struct scan *s, const unsigned char *lo, const unsigned char *hi,
	   const char *what)
{
	const unsigned char *p;

	if (s->found[0] || hi <= lo || (size_t)(hi - lo) < s->patlen)
		return;
	s->scanned += (size_t)(hi - lo);
	p = find(lo, hi, s->pat, s->patlen);
	if (p)
		snprintf(s->found, sizeof(s->found),
			 "ESCAPED: the secret is in %s at %p", what,
			 (const void *)p);
}

/* Scan the readable pages around p, down and up, until unmapped ones. */
static void
scan_around(struct scan *s, const void *p, const char *what)
{
	uintptr_t lo = (uintptr_t)p & ~(uintptr_t)(PAGE - 1), hi = lo;

	while (lo >= PAGE && readable((const unsigned char *)(lo - PAGE)))
		lo -= PAGE;
	while (readable((const unsigned char *)hi))
		hi += PAGE;
	scan_range(s, (const unsigned char *)lo, (const unsigned char *)hi,
		   what);
}

static int
scan_object(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct scan *s = arg;
	const unsigned char *lo;
	int i;

	(void)size;
	for (i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];

		if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_W))
			continue;
		lo = (const unsigned char *)(info->dlpi_addr + ph->p_vaddr);
		scan_around(s, lo,
			    info->dlpi_name[0] ? info->dlpi_name
					       : "the executable");
	}
	return s->found[0] != 0;
}

static int
unhex(struct scan *s, const char *in, size_t len)
{
	size_t i;
	unsigned int b;

	if (len % 2 || len / 2 > sizeof(s->pat) || len == 0)
		return -1;
	for (i = 0; i < len / 2; i++) {
		char two[3] = { in[2 * i], in[2 * i + 1], 0 };

		if (sscanf(two, "%2x", &b) != 1)
			return -1;
		s->pat[i] = (unsigned char)b;
	}
	s->patlen = len / 2;
	return 0;
}

static int
memscan_handle(const struct fnh_host *h, struct fnh_call *c, const void *input,
	       size_t len)
{
	static struct scan s; /* its pat is skipped: not on the stack twice */
	struct sigaction sa = { .sa_handler = on_fault };
	char out[300], local;
	void *heap;
	int n;

	memset(&s, 0, sizeof(s));
	if (unhex(&s, input, len) < 0)
		return h->fail(c,
			       "input: the secret in hex, at most 128 bytes");
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_NODEFER;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	dl_iterate_phdr(scan_object, &s);
	heap = malloc(16);
	if (!s.found[0] && heap)
		scan_around(&s, heap, "the heap");
	free(heap);
	if (!s.found[0])
		scan_around(&s, &local, "the stack");
	n = snprintf(out, sizeof(out), "%s\n", s.found[0] ? s.found : "clean");
	if (!s.found[0])
		n = snprintf(out, sizeof(out), "clean: %zu bytes scanned\n",
			     s.scanned);
	return h->output(c, out, (size_t)n);
}

FNH_PLUGIN(.name = "memscan", .version = "1.0",
	   .description = "looks for the host's secrets in its own memory",
	   .handle = memscan_handle)
