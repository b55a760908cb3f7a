/*
 * cmd-functions.c: fnhost deploy, list, show and delete: the functions a
 * host holds.  deploy uploads a signed bundle and checks that the host
 * hashed the MANIFEST it was sent.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/hex.h"
#include "formats/bundle.h"
#include "cli/cli.h"
#include "cli/client.h"
#include "cli/output.h"
#include "cli/remote.h"

/* ---- deploy -------------------------------------------------------------- */

struct upload {
	int dirfd;
	size_t n;
	struct client_part parts[BUNDLE_MAX_FILES + 2];
	char manifest_sha256[65];
};

static void
upload_free(struct upload *u)
{
	size_t i;

	for (i = 0; i < u->n; i++) {
		close(u->parts[i].fd);
		free((char *)u->parts[i].name);
	}
	u->n = 0;
	if (u->dirfd >= 0)
		close(u->dirfd);
	u->dirfd = -1;
}

static int
part_cmp(const void *a, const void *b)
{
	return strcmp(((const struct client_part *)a)->name,
		      ((const struct client_part *)b)->name);
}

/* Open one file of the bundle as the next part. */
static int
upload_add(struct remote *x, struct upload *u, const char *dir,
	   const char *name, uint64_t *total)
{
	struct client_part *p = &u->parts[u->n];
	struct stat st;
	int fd;

	if (u->n == sizeof(u->parts) / sizeof(u->parts[0]))
		return remote_fail(x, "%s holds more than %d files", dir,
				   BUNDLE_MAX_FILES);
	if (bundle_name_check(name, strlen(name), x->err, sizeof(x->err)) < 0)
		return remote_fail(x, "%s: %s", dir, x->err);
	fd = openat(u->dirfd, name,
		    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		if (fd >= 0 || errno == ELOOP)
			remote_fail(x,
				    "%s/%s is not a regular file "
				    "(a bundle is flat)",
				    dir, name);
		else
			remote_fail(x, "%s/%s: %s", dir, name, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*total += (uint64_t)st.st_size;
	if (*total > BUNDLE_MAX_BYTES) {
		close(fd);
		return remote_fail(x, "%s is larger than %llu MiB", dir,
				   BUNDLE_MAX_BYTES >> 20);
	}
	if ((p->name = strdup(name)) == NULL) {
		close(fd);
		return remote_fail(x, "out of memory");
	}
	p->fd = fd;
	p->size = (uint64_t)st.st_size;
	u->n++;
	return 0;
}

/* The hash of MANIFEST: what the host must report as the checksum. */
static int
upload_checksum(struct remote *x, struct upload *u, const char *dir)
{
	int have_sig = 0, idx = -1;
	unsigned char d[32];
	size_t i;

	for (i = 0; i < u->n; i++) {
		if (!strcmp(u->parts[i].name, BUNDLE_MANIFEST))
			idx = (int)i;
		if (!strcmp(u->parts[i].name, BUNDLE_SIGNATURE))
			have_sig = 1;
	}
	if (idx < 0 || !have_sig)
		return remote_fail(x,
				   "%s is not signed (no %s): run fnhost "
				   "sign first",
				   dir,
				   idx < 0 ? BUNDLE_MANIFEST
					   : BUNDLE_SIGNATURE);
	if (lseek(u->parts[idx].fd, 0, SEEK_SET) < 0 ||
	    bundle_sha256_fd(u->parts[idx].fd, BUNDLE_MANIFEST_MAX, d, NULL,
			     x->err, sizeof(x->err)) < 0)
		return remote_fail(x, "%s/%s: %s", dir, BUNDLE_MANIFEST,
				   x->err);
	hex_encode(u->manifest_sha256, d, 32);
	return 0;
}

/* Open every file of dir, sorted by name, but those bundle_dir_skips()
 * leaves out, as sign, verify and test leave them out. */
static int
upload_prepare(struct remote *x, struct upload *u, const char *dir)
{
	uint64_t total = 0;
	struct dirent *de;
	DIR *d = NULL;
	int fd, ret = -1;

	u->n = 0;
	u->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	fd = u->dirfd >= 0 ? dup(u->dirfd) : -1;
	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		remote_fail(x, "%s: %s", dir, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while ((de = readdir(d)) != NULL)
		if (!bundle_dir_skips(de->d_name) &&
		    upload_add(x, u, dir, de->d_name, &total) < 0)
			goto out;
	qsort(u->parts, u->n, sizeof(u->parts[0]), part_cmp);
	ret = upload_checksum(x, u, dir);
out:
	closedir(d);
	return ret;
}

static int
deploy_run(struct remote *x)
{
	struct client_request rq = { .method = "POST",
				     .path = "/v1/functions",
				     .auth = 1 };
	struct upload *u = NULL;
	json_object *obj = NULL;
	const char *id, *sum;
	char shown[80];
	int ret = CLI_FAIL;

	if ((u = calloc(1, sizeof(*u))) == NULL) {
		remote_fail(x, "out of memory");
		goto out;
	}
	u->dirfd = -1;
	if (upload_prepare(x, u, x->args[0]) < 0)
		goto out;
	rq.parts = u->parts;
	rq.nparts = u->n;
	if (remote_call(x, &rq, 201, 200, &obj) < 0)
		goto out;
	id = remote_string(obj, "id");
	sum = remote_string(obj, "checksum");
	if (!id || !sum) {
		remote_fail(x, "the host's answer has no id or checksum");
		goto out;
	}
	/* The host hashed what it received: it must be what we hold. */
	if (strcmp(sum, u->manifest_sha256)) {
		snprintf(shown, sizeof(shown), "%s", sum);
		remote_fail(x,
			    "the host reports checksum %s, but %s/%s "
			    "hashes to %s",
			    client_sanitize(shown), x->args[0], BUNDLE_MANIFEST,
			    u->manifest_sha256);
		goto out;
	}
	if (x->json) {
		output_json(obj);
	} else {
		output_line("id", id);
		output_line("checksum", sum);
		output_line("name", remote_string(obj, "name"));
		output_line("version", remote_string(obj, "version"));
	}
	ret = CLI_OK;
out:
	json_object_put(obj);
	if (u)
		upload_free(u);
	free(u);
	return ret;
}

const struct remote_spec deploy_cmd = { .name = "deploy",
					.usage = "deploy [options] DIR",
					.min_args = 1,
					.max_args = 1,
					.timeout_ms = REMOTE_TIMEOUT_DEPLOY_MS,
					.run = deploy_run };

/* ---- list, show, delete -------------------------------------------------- */

static void
function_row(json_object *item)
{
	static const char *const c_id[] = { "id", NULL };
	static const char *const c_name[] = { "name", NULL };
	static const char *const c_version[] = { "version", NULL };
	static const char *const c_sum[] = { "checksum", NULL };
	static const char *const c_created[] = { "created", NULL };
	static const char *const *const cols[] = { c_id, c_name, c_version,
						   c_sum, c_created };

	remote_row(item, cols, sizeof(cols) / sizeof(cols[0]));
}

static int
list_run(struct remote *x)
{
	return remote_list(x, "/v1/functions", "functions", function_row);
}

const struct remote_spec list_cmd = { .name = "list",
				      .usage = "list [options]",
				      .timeout_ms = REMOTE_TIMEOUT_MS,
				      .run = list_run };

static int
show_run(struct remote *x)
{
	struct client_request rq = { .method = "GET", .auth = 1 };
	char path[256];

	if (remote_id_check(x, "function id", x->args[0]) < 0)
		return CLI_FAIL;
	snprintf(path, sizeof(path), "/v1/functions/%s", x->args[0]);
	rq.path = path;
	return remote_show(x, &rq, 0);
}

const struct remote_spec show_cmd = { .name = "show",
				      .usage = "show [options] ID",
				      .min_args = 1,
				      .max_args = 1,
				      .timeout_ms = REMOTE_TIMEOUT_MS,
				      .run = show_run };

static int
delete_run(struct remote *x)
{
	if (remote_id_check(x, "function id", x->args[0]) < 0)
		return CLI_FAIL;
	return remote_delete(x, "/v1/functions/", x->args[0], "id", "deleted");
}

const struct remote_spec delete_cmd = { .name = "delete",
					.usage = "delete [options] ID",
					.min_args = 1,
					.max_args = 1,
					.timeout_ms = REMOTE_TIMEOUT_MS,
					.run = delete_run };
