/* cli.c: helpers shared by the fnhost subcommands (see cli.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

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
cli_duration_parse(const char *s, unsigned flags, double max, double *secs)
{
	static const struct {
		char unit;
		double secs;
	} units[] = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}};
	char *end = (char *)s;
	double v = 0, mul = 0;
	size_t i;

	errno = 0;
	/* With units the number is whole digits: strtod() would also take
	 * "1e3", "0x10" or "inf". */
	if (!(flags & CLI_DURATION_UNITS))
		v = strtod(s, &end);
	else if (*s != '-' && *s != '+')
		v = (double)strtol(s, &end, 10);
	if (errno || end == s ||
	    !(v > 0 || (v == 0 && (flags & CLI_DURATION_ZERO))))
		return -1;
	if (*end == '\0')
		mul = 1;
	for (i = 0; *end && (flags & CLI_DURATION_UNITS) &&
		    i < sizeof(units) / sizeof(units[0]); i++)
		if (*end == units[i].unit && !end[1])
			mul = units[i].secs;
	if (mul == 0)
		return -1;
	v *= mul;
	if (v > max || ((flags & CLI_DURATION_WHOLE) && v != (double)(long)v))
		return -1;
	*secs = v;
	return 0;
}
