/*
 * rlimit: lifts its own resource limits or priority.  Input, one per
 * session: nofile, as, cpu, fsize, core, nproc (raise the hard limit to
 * infinity), nice (setpriority to -10).  seccomp lets prlimit64 only read,
 * and without CAP_SYS_RESOURCE / CAP_SYS_NICE the kernel says no as well.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
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

/* Report a failed step with its errno, as "blocked: what: reason". */
static int
blocked(const struct fnh_host *h, struct fnh_call *c, const char *what, int err)
{
	return say(h, c, "blocked: %s: %s", what, strerror(err));
}

static int
limit_of(const char *name)
{
	static const struct {
		const char *name;
		int res;
	} map[] = {
		{ "nofile", RLIMIT_NOFILE }, { "as", RLIMIT_AS },
		{ "cpu", RLIMIT_CPU },	     { "fsize", RLIMIT_FSIZE },
		{ "core", RLIMIT_CORE },     { "nproc", RLIMIT_NPROC },
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(name, map[i].name) == 0)
			return map[i].res;
	return -1;
}

/* Try to lift res's hard limit to infinity.  getrlimit() may itself be
 * refused; the raise is tried regardless, and only an accepted raise from
 * a known, lower limit counts as ESCAPED. */
static int
raise_limit(const struct fnh_host *h, struct fnh_call *c, const char *name,
	    int res)
{
	struct rlimit old, want = { RLIM_INFINITY, RLIM_INFINITY };
	int known = getrlimit(res, &old) == 0;

	if (known && old.rlim_max == RLIM_INFINITY)
		return say(h, c, "unlimited: %s has no hard limit to raise",
			   name);
	if (setrlimit(res, &want) < 0) {
		int err = errno;

		/* glibc's setrlimit is prlimit64; try the old call too. */
		if (syscall(SYS_setrlimit, res, &want) < 0)
			return blocked(h, c, name, err);
	}
	if (!known)
		return say(h, c, "ESCAPED: %s hard limit set to infinity",
			   name);
	return say(h, c, "ESCAPED: %s hard limit %llu -> infinity", name,
		   (unsigned long long)old.rlim_max);
}

static int
rlimit_handle(const struct fnh_host *h, struct fnh_call *c, const void *input,
	      size_t input_len)
{
	char name[64];
	int res;

	arg_copy(name, sizeof(name), input, input_len);
	if (strcmp(name, "nice") == 0) {
		if (setpriority(PRIO_PROCESS, 0, -10) < 0)
			return blocked(h, c, "setpriority", errno);
		errno = 0;
		return say(h, c, "ESCAPED: priority now %d",
			   getpriority(PRIO_PROCESS, 0));
	}
	res = limit_of(name);
	if (res < 0)
		return h->fail(c, "unknown limit %s", name);
	return raise_limit(h, c, name, res);
}

FNH_PLUGIN(.name = "rlimit", .version = "1", .handle = rlimit_handle)
