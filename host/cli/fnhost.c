/*
 * fnhost: the admin and client command.  This file only dispatches; each
 * subcommand lives in the module that owns its concern (cli.h).
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

struct subcommand {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct subcommand subcommands[] = {
	{"keygen", cmd_keygen, "make a publisher key pair (minisign format)"},
	{"sign", cmd_sign, "write MANIFEST and MANIFEST.minisig for a bundle"},
	{"verify", cmd_verify, "check a bundle as the host would"},
	{"test", cmd_test, "run one local session in the sandbox"},
	{"deploy", cmd_deploy, "upload a signed bundle to fnhostd"},
	{"list", cmd_list, "list the deployed functions"},
	{"show", cmd_show, "show one function"},
	{"delete", cmd_delete, "delete a function"},
	{"token", cmd_token, "create, list or revoke function tokens"},
	{"run", cmd_run, "run a function: one session, one or more inputs"},
	{"trust", cmd_trust, "add, list or remove trusted publisher keys"},
	{"key", cmd_key, "print the host's public keys; rotate them"},
	{"encrypt", cmd_encrypt, "encrypt a text to the host (fnh1:)"},
};

static int
usage(FILE *out)
{
	size_t i;

	fprintf(out, "usage: fnhost <command> [options] [args]\n\n");
	for (i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		fprintf(out, "  %-8s %s\n", subcommands[i].name,
			subcommands[i].summary);
	fprintf(out, "\n'fnhost <command> -h' for a command's options.\n");
	return out == stdout ? CLI_OK : CLI_USAGE;
}

int
main(int argc, char **argv)
{
	size_t i;

	if (argc < 2)
		return usage(stderr);
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "help"))
		return usage(stdout);
	if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version")) {
		printf("fnhost %s\n", FNHOST_VERSION);
		return CLI_OK;
	}
	for (i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		if (!strcmp(argv[1], subcommands[i].name))
			return subcommands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "fnhost: unknown command '%s' (try fnhost -h)\n",
		argv[1]);
	return CLI_USAGE;
}
