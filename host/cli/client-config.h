/*
 * client-config.h: where the client's URL and token come from when the
 * command line does not say (client_init() in client.h holds the order:
 * flags, then the environment, then this file, then the default).
 *
 * The config file is ${XDG_CONFIG_HOME:-~/.config}/fnhost/config: "url =
 * ..." and "token = ..." lines, each at most once, '#' comments, at most
 * 64 KiB.  A token "@FILE" names a file whose first line is the token.
 * Tokens are wiped from every buffer here once copied out.
 */
#ifndef FNHOST_CLIENT_CONFIG_H
#define FNHOST_CLIENT_CONFIG_H

#include <limits.h>
#include <stddef.h>

#include "cli/client.h"

/* Values found in the config file ("" when absent), and its directory. */
struct client_config {
	char url[CLIENT_MAX_URL + 1];
	char token[CLIENT_MAX_TOKEN + 1];
	char dir[PATH_MAX];
};

/* Read the config file into v if there is one.  Returns 0 (also when it
 * does not exist) or -1 with a reason naming the file and line. */
int client_config_read(struct client_config *v, char *err, size_t errlen);

/* A token given as text or as "@FILE" into out: checked to be visible
 * ASCII; a relative FILE is taken relative to reldir when reldir is not
 * NULL.  Returns 0, or -1 with a reason in err. */
int client_config_token(char *out, size_t outlen, const char *spec,
			const char *reldir, char *err, size_t errlen);

#endif
