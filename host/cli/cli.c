/* cli.c: helpers shared by the fnhost subcommands (see cli.h). */
#include <stdarg.h>
#include <stdio.h>

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
