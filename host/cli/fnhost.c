/*
 * fnhost: the admin and client command.  This file only dispatches; each
 * subcommand lives in the module that owns its concern (cli.h, remote.h).
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/remote.h"

/* A local subcommand has run(), a client one its remote spec. */
struct subcommand {
	const char *name;
	int (*run)(int argc, char **argv);
	const struct remote_spec *remote;
	const char *summary;
};

static const struct subcommand subcommands[] = {
	{ "keygen", cmd_keygen, NULL,
	  "make a publisher key pair (minisign format)" },
	{ "sign", cmd_sign, NULL,
	  "write MANIFEST and MANIFEST.minisig for a bundle" },
	{ "verify", cmd_verify, NULL, "check a bundle as the host would" },
	{ "test", cmd_test, NULL, "run one local session in the sandbox" },
	{ "deploy", NULL, &deploy_cmd, "upload a signed bundle to fnhostd" },
	{ "list", NULL, &list_cmd, "list the deployed functions" },
	{ "show", NULL, &show_cmd, "show one function" },
	{ "delete", NULL, &delete_cmd, "delete a function" },
	{ "versions", NULL, &versions_cmd,
	  "list a function name's versions and aliases" },
	{ "alias", NULL, &alias_cmd, "point an alias of a name at a version" },
	{ "rollback", NULL, &rollback_cmd,
	  "move an alias back to the version before" },
	{ "token", NULL, &token_cmd, "create, list or revoke function tokens" },
	{ "run", NULL, &run_cmd,
	  "run a function: one session, one or more inputs" },
	{ "trust", NULL, &trust_cmd,
	  "add, list or remove trusted publisher keys" },
	{ "key", NULL, &key_cmd, "print the host's public keys; rotate them" },
	{ "encrypt", NULL, &encrypt_cmd, "encrypt a text to the host (fnh1:)" },
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
			return subcommands[i].run
				       ? subcommands[i].run(argc - 1, argv + 1)
				       : remote_main(subcommands[i].remote,
						     argc - 1, argv + 1);
	fprintf(stderr, "fnhost: unknown command '%s' (try fnhost -h)\n",
		argv[1]);
	return CLI_USAGE;
}
