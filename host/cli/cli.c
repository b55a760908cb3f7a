/* cli.c: helpers shared by the fnhost subcommands (see cli.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/duration.h"
#include "cli/cli.h"

int
cli_fail(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "fnhost %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return CLI_FAIL;
}

int
cli_usage(FILE *out, const char *usage)
{
	fprintf(out, "usage: fnhost %s\n", usage);
	return out == stdout ? CLI_OK : CLI_USAGE;
}

int
cli_duration(const char *s, uint64_t min_ms, uint64_t max_ms, bool whole,
	     uint64_t *ms)
{
	uint64_t v;

	if (duration_check(s, strlen(s), &v) != DURATION_OK || v < min_ms ||
	    v > max_ms || (whole && v % 1000))
		return -1;
	*ms = v;
	return 0;
}
