/*
 * fnhost: the admin and client command.  This file only dispatches; each
 * subcommand lives in the module that owns its concern (cli.h, remote.h).
 */
#include <stdio.h>
#include <stdlib.h>
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
	{ "logs", NULL, &logs_cmd, "print a function's last log lines" },
	{ "secret", NULL, &secret_cmd,
	  "set, list or delete a function name's secrets" },
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

	fprintf(out, "usage: fnhost [client options] <command> [options] "
		     "[args]\n\n");
	for (i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		fprintf(out, "  %-8s %s\n", subcommands[i].name,
			subcommands[i].summary);
	fprintf(out, "\n'fnhost <command> -h' for a command's options.\n");
	return out == stdout ? CLI_OK : CLI_USAGE;
}

/* How many of argv's words, from argv[0], are client options that every
 * client subcommand takes (remote.h): -u, -t, -o and --timeout with their
 * values, --insecure.  0 when argv[0] is none. */
static int
global_words(int argc, char **argv)
{
	static const char *const with_value[] = {
		"-u", "-t", "-o", "--url", "--token", "--output", "--timeout"
	};
	const char *a = argv[0];
	size_t i, n;

	if (!strcmp(a, "--insecure"))
		return 1;
	for (i = 0; i < sizeof(with_value) / sizeof(with_value[0]); i++) {
		n = strlen(with_value[i]);
		if (strncmp(a, with_value[i], n) != 0)
			continue;
		if (a[n] == '\0')
			return argc >= 2 ? 2 : 0;
		/* -tTOKEN, --token=TOKEN */
		if ((n == 2 || a[n] == '=') && a[n] != '\0')
			return 1;
	}
	return 0;
}

/*
 * Run a client subcommand whose client options came before its name
 * (`fnhost -t TOKEN list`): they move after the subcommand and its verb,
 * where its own getopt reads them, so that either place means the same.
 */
static int
run_remote(const struct remote_spec *sp, char **globals, int nglobals, int argc,
	   char **argv)
{
	int head = 1, i, n = 0, ret;
	char **v;
	size_t j;

	for (j = 0; argc >= 2 && j < sp->nverbs; j++) {
		const char *word = strrchr(sp->verbs[j].name, ' ');

		if (word && !strcmp(argv[1], word + 1))
			head = 2;
	}
	v = calloc((size_t)(argc + nglobals + 1), sizeof(*v));
	if (!v) {
		fprintf(stderr, "fnhost: out of memory\n");
		return CLI_FAIL;
	}
	for (i = 0; i < head; i++)
		v[n++] = argv[i];
	for (i = 0; i < nglobals; i++)
		v[n++] = globals[i];
	for (i = head; i < argc; i++)
		v[n++] = argv[i];
	ret = remote_main(sp, n, v);
	free(v);
	return ret;
}

int
main(int argc, char **argv)
{
	int first = 1, w;
	size_t i;

	while (first < argc && (w = global_words(argc - first, argv + first)))
		first += w;
	if (first > 1) {
		if (first >= argc)
			return usage(stderr);
		for (i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]);
		     i++) {
			if (strcmp(argv[first], subcommands[i].name) != 0)
				continue;
			if (subcommands[i].remote)
				return run_remote(subcommands[i].remote,
						  argv + 1, first - 1,
						  argc - first, argv + first);
			fprintf(stderr,
				"fnhost: '%s' talks to no host: its options "
				"go after it (fnhost %s -h)\n",
				argv[first], argv[first]);
			return CLI_USAGE;
		}
		fprintf(stderr,
			"fnhost: unknown command '%s' (try fnhost -h)\n",
			argv[first]);
		return CLI_USAGE;
	}
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
