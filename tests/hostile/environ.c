/*
 * environ: looks for the host's environment.  The test puts a secret
 * variable NAME=VALUE in fnhost's environment.  Input, one per session:
 *	getenv:NAME	getenv(NAME)
 *	dump		every name in environ (names only)
 *	stack:NAME	the environment strings the kernel put at the top of
 *			the original stack, which a forked worker still
 *			holds even after clearenv(): found by walking from
 *			program_invocation_name (argv[0]) up through argv
 *			and envp
 * "ESCAPED" means NAME= was found.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <fnhost/plugin.h>

/* Copy the input into buf as a C string, cut to fit. */
static void
arg_copy(char *buf, size_t n, const void *in, size_t len)
{
	if (len >= n)
		len = n - 1;
	if (len > 0)
		memcpy(buf, in, len);
	buf[len] = '\0';
}

/* Append one formatted line to the invoke's output.  Returns 0, or -1
 * when the host refused it. */
static int __attribute__((format(printf, 3, 4)))
say(const struct fnh_host *h, struct fnh_call *c, const char *fmt, ...)
{
	char line[2048];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	if ((size_t)n > sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	return h->output(c, line, (size_t)n);
}

extern char **environ;

static int
env_dump(const struct fnh_host *h, struct fnh_call *c)
{
	char names[1024] = "";
	size_t used = 0;
	int n = 0;
	char **e;

	for (e = environ; e != NULL && *e != NULL; e++, n++) {
		size_t len = strcspn(*e, "=");

		if (used + len + 2 < sizeof(names)) {
			memcpy(names + used, *e, len);
			used += len;
			names[used++] = ' ';
			names[used] = '\0';
		}
	}
	return say(h, c, "environ: %d entries: %s", n, names);
}

/* Whether addr is mapped (mincore fails with ENOMEM on a hole). */
static int
mapped(const void *addr)
{
	unsigned char vec;
	uintptr_t page = (uintptr_t)addr & ~(uintptr_t)4095;

	return mincore((void *)page, 4096, &vec) == 0;
}

/* Scan the NUL-separated strings from argv[0] to the end of their mapping
 * (the top of the original stack ends with the exec file name and a few
 * NUL bytes) for one starting with "NAME=".  Returns its value or NULL. */
static const char *
stack_find(const char *name)
{
	const char *p = program_invocation_name;
	size_t len = strlen(name);
	int strings;

	for (strings = 0; p != NULL && mapped(p) && strings < 100000;
	     strings++) {
		if (strncmp(p, name, len) == 0 && p[len] == '=')
			return p + len + 1;
		p += strlen(p) + 1;
	}
	return NULL;
}

static int
environ_handle(const struct fnh_host *h, struct fnh_call *c, const void *input,
	       size_t input_len)
{
	char arg[256], *name;
	const char *v;

	arg_copy(arg, sizeof(arg), input, input_len);
	if (strcmp(arg, "dump") == 0)
		return env_dump(h, c);
	name = strchr(arg, ':');
	if (name == NULL)
		return h->fail(c, "input is not HOW:NAME");
	*name++ = '\0';
	if (strcmp(arg, "getenv") == 0)
		v = getenv(name);
	else if (strcmp(arg, "stack") == 0)
		v = stack_find(name);
	else
		return h->fail(c, "unknown way %s", arg);
	if (v == NULL)
		return say(h, c, "blocked: %s: %s not found", arg, name);
	return say(h, c, "ESCAPED: %s found %s=%.64s", arg, name, v);
}

FNH_PLUGIN(.name = "environ", .version = "1", .handle = environ_handle)
