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

/* Client subcommands: they talk to fnhostd over HTTP (cmd-client.c). */
int cmd_deploy(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_delete(int argc, char **argv);
int cmd_token(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_trust(int argc, char **argv);
int cmd_key(int argc, char **argv);
int cmd_encrypt(int argc, char **argv);

/* Print "fnhost <cmd>: <message>" and a newline to stderr; returns
 * CLI_FAIL. */
int cli_fail(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Print "usage: fnhost <usage>" to out (stdout for -h, stderr for a usage
 * error) and return the matching status: CLI_OK for stdout, else
 * CLI_USAGE. */
int cli_usage(FILE *out, const char *usage);

#endif
