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

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum cli_status { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

int cmd_keygen(int argc, char **argv);
int cmd_sign(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_test(int argc, char **argv);

/* The name and version of the plugin in bundle directory dir, from its
 * descriptor, read the way `fnhost test` runs it: staged, in a sandboxed
 * worker of fnhost.conf's defaults (loading runs the plugin's code, so
 * never in fnhost itself).  Returns 0, or -1 with a reason in err. */
int cli_plugin_descriptor(const char *dir, char name[101], char version[101],
			  char *err, size_t errlen);

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

/*
 * A duration option of any command (--timeout, --ttl, --keep) into *ms:
 * base/duration.h's grammar, the one fnhost.conf takes too (90, 90s,
 * 500ms, 15m, 12h, 7d; bare digits are seconds), from min_ms to max_ms,
 * and a whole number of seconds when whole is set.  Returns 0, or -1 when
 * s is malformed or out of range.
 */
int cli_duration(const char *s, uint64_t min_ms, uint64_t max_ms, bool whole,
		 uint64_t *ms);

#endif
