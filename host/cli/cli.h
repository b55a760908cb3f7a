/*
 * cli.h: the fnhost subcommands and the conventions they share.
 *
 * Each cmd_*() gets the subcommand's own argv (argv[0] is its name, e.g.
 * "sign"), parses it with getopt(3), accepts -h for its usage, and returns
 * the process exit status: 0 on success, 1 on failure after printing one
 * line "fnhost <cmd>: <reason>" to stderr, 2 on a usage error.
 */
#ifndef FNHOST_CLI_H
#define FNHOST_CLI_H

#include <stdio.h>

enum cli_status { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

int cmd_keygen(int argc, char **argv);
int cmd_sign(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_test(int argc, char **argv);

/* The client subcommands, which talk to fnhostd over HTTP, are struct
 * remote_spec values (remote.h). */

/* Print "fnhost <cmd>: <message>" and a newline to stderr; returns
 * CLI_FAIL. */
int cli_fail(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Print "usage: fnhost <usage>" to out (stdout for -h, stderr for a usage
 * error) and return the matching status: CLI_OK for stdout, else
 * CLI_USAGE. */
int cli_usage(FILE *out, const char *usage);

/* Flags of cli_duration_parse(). */
#define CLI_DURATION_WHOLE 1u /* whole seconds only */
#define CLI_DURATION_UNITS 2u /* digits, then nothing or one of s, m, h, d */
#define CLI_DURATION_ZERO 4u  /* 0 is allowed */

/*
 * A duration from the command line into *secs, at most max seconds: a
 * number of seconds, more than 0 unless CLI_DURATION_ZERO, with a fraction
 * unless CLI_DURATION_WHOLE; with CLI_DURATION_UNITS, whole digits and an
 * optional unit instead (90, 90s, 15m, 12h, 7d).  Every duration option of
 * the client commands (--timeout, --ttl, --keep) is read here, so that the
 * base layer's duration grammar can replace this one in one place.
 * Returns 0, or -1 when s is malformed or out of range.
 */
int cli_duration_parse(const char *s, unsigned flags, double max,
		       double *secs);

#endif
