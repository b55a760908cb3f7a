/*
 * api-deploy.c: POST /v1/functions, a bundle uploaded as
 * multipart/form-data, one part per file (see api.h).
 *
 * The admin alone reaches this (the route table says so before any body
 * byte is read).  The files are streamed into a staging dir of the store
 * as they arrive, then verified, installed and recorded; a refused
 * deploy leaves nothing behind, and the first reason is the one told.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon/api.h"
#include "daemon/log.h"
#include "sandbox/scratch.h"

struct deploy_upload {
	struct MHD_PostProcessor *pp;
	char staging[PATH_MAX];
	int staging_fd;
	int file_fd;
	char file_name[BUNDLE_NAME_MAX + 1];
	uint64_t total, limit;
	size_t nfiles;
	int fail_rc; /* the first refusal, or 0 */
	char fail_msg[512];
};

static void __attribute__((format(printf, 3, 4)))
upload_fail(struct deploy_upload *u, enum err_kind kind, const char *fmt,
	    ...)
{
	va_list ap;

	if (u->fail_rc)
		return; /* the first reason is the one to tell */
	u->fail_rc = -(int)kind;
	va_start(ap, fmt);
	vsnprintf(u->fail_msg, sizeof(u->fail_msg), fmt, ap);
	va_end(ap);
}

static void
close_part(struct deploy_upload *u)
{
	if (u->file_fd >= 0) {
		if (fsync(u->file_fd) < 0)
			upload_fail(u, ERR_IO, "cannot write '%s'",
				    u->file_name);
		close(u->file_fd);
	}
	u->file_fd = -1;
}

/* One piece of one uploaded file. */
static enum MHD_Result
upload_part(void *cls, enum MHD_ValueKind kind, const char *key,
	    const char *filename, const char *content_type,
	    const char *transfer_encoding, const char *data, uint64_t off,
	    size_t size)
{
	struct deploy_upload *u = cls;
	const char *name = filename && *filename ? filename : key;
	char err[512];

	(void)kind;
	(void)content_type;
	(void)transfer_encoding;
	if (u->fail_rc)
		return MHD_YES; /* keep reading; the answer is decided */
	if (!name ||
	    bundle_name_check(name, strlen(name), err, sizeof(err)) < 0) {
		upload_fail(u, ERR_BAD_BUNDLE, "%s",
			    name ? err : "a part has no file name");
		return MHD_YES;
	}
	if (off == 0 || strcmp(name, u->file_name) != 0) {
		close_part(u);
		if (++u->nfiles > BUNDLE_MAX_FILES + 2) {
			upload_fail(u, ERR_TOO_LARGE,
				    "a bundle holds at most %d files",
				    BUNDLE_MAX_FILES);
			return MHD_YES;
		}
		snprintf(u->file_name, sizeof(u->file_name), "%s", name);
		u->file_fd = openat(u->staging_fd, name,
				    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
					    O_CLOEXEC,
				    0644);
		if (u->file_fd < 0) {
			upload_fail(u, ERR_BAD_BUNDLE,
				    errno == EEXIST ? "file '%s' is sent twice"
						    : "cannot store '%s'",
				    name);
			return MHD_YES;
		}
	}
	u->total += size;
	if (u->total > u->limit) {
		upload_fail(u, ERR_TOO_LARGE,
			    "the bundle is over the limit of %llu bytes",
			    (unsigned long long)u->limit);
		return MHD_YES;
	}
	if (size && pwrite(u->file_fd, data, size, (off_t)off) != (ssize_t)size)
		upload_fail(u, ERR_IO, "cannot store '%s': %s", name,
			    strerror(errno));
	return MHD_YES;
}

int
api_deploy_begin(struct request *rq, char *err, size_t errlen)
{
	struct server *srv = rq->srv;
	struct deploy_upload *u;
	int rc;

	if (atomic_load(&srv->draining))
		return err_set(err, errlen, ERR_DRAINING,
			       "the host is shutting down");
	u = calloc(1, sizeof(*u));
	if (!u)
		return err_set(err, errlen, ERR_INTERNAL, "out of memory");
	u->staging_fd = u->file_fd = -1;
	u->limit = srv->cfg->max_bundle;
	rq->upload = u;
	u->pp = MHD_create_post_processor(rq->conn, 64 << 10, upload_part, u);
	if (!u->pp)
		return err_set(err, errlen, ERR_INVALID,
			       "a deploy is multipart/form-data, one part "
			       "per file");
	rc = store_staging_create(srv->store, u->staging, sizeof(u->staging),
				  &u->staging_fd, err, errlen);
	if (rc < 0)
		u->staging[0] = '\0';
	return rc;
}

void
api_deploy_feed(struct request *rq, const char *data, size_t size)
{
	struct deploy_upload *u = rq->upload;

	if (u && u->pp && MHD_post_process(u->pp, data, size) != MHD_YES)
		upload_fail(u, ERR_INVALID, "the multipart body is malformed");
}

void
api_deploy_refuse(struct server *srv, struct reply *rep, int rc,
		  const char *why)
{
	atomic_fetch_add(&srv->metrics->deploys_refused, 1);
	log_msg(LOG_LEVEL_WARN, "event=deploy_refused reason=\"%s\"", why);
	reply_fail(rep, rc, why);
}

/* Install and record the verified staging dir of u as a function. */
static int
record(struct server *srv, struct deploy_upload *u,
       const struct bundle_info *info, struct store_function *f, char *err,
       size_t errlen)
{
	int rc;

	rc = store_bundle_install(srv->store, u->staging, info, err, errlen);
	if (rc < 0)
		return rc;
	u->staging[0] = '\0'; /* the store owns it now */
	memset(f, 0, sizeof(*f));
	snprintf(f->name, sizeof(f->name), "%s", info->name);
	snprintf(f->version, sizeof(f->version), "%s", info->version);
	memcpy(f->checksum, info->checksum, sizeof(f->checksum));
	snprintf(f->plugin, sizeof(f->plugin), "%s", info->plugin);
	memcpy(f->plugin_sha256, info->plugin_sha256, 32);
	f->created = time(NULL);
	return store_function_put(srv->store, f, err, errlen);
}

void
api_deploy(struct request *rq, struct reply *rep)
{
	struct server *srv = rq->srv;
	struct deploy_upload *u = rq->upload;
	struct store_function f;
	struct bundle_info info;
	char err[1024];
	int rc;

	close_part(u);
	if (u->fail_rc) {
		api_deploy_refuse(srv, rep, u->fail_rc, u->fail_msg);
		return;
	}
	rc = trust_verify(srv->trust, u->staging_fd, &info, err, sizeof(err));
	if (rc < 0 && err_kind_of(rc) != ERR_UNTRUSTED)
		rc = -ERR_BAD_BUNDLE;
	if (rc == 0)
		rc = record(srv, u, &info, &f, err, sizeof(err));
	if (rc < 0) {
		api_deploy_refuse(srv, rep, rc, err);
		return;
	}
	atomic_fetch_add(&srv->metrics->deploys_ok, 1);
	log_msg(LOG_LEVEL_INFO,
		"event=deploy function=%s name=%s version=%s checksum=%s",
		f.id, f.name, f.version, f.checksum);
	reply_json(rep, 201, api_function_json(&f));
}

void
api_deploy_end(struct request *rq)
{
	struct deploy_upload *u = rq->upload;

	if (!u)
		return;
	if (u->pp)
		MHD_destroy_post_processor(u->pp);
	if (u->file_fd >= 0)
		close(u->file_fd);
	if (u->staging_fd >= 0)
		close(u->staging_fd);
	if (u->staging[0])
		scratch_remove(u->staging); /* a refused or broken deploy */
	free(u);
	rq->upload = NULL;
}
