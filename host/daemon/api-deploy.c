/*
 * api-deploy.c: POST /v1/functions, a bundle uploaded as
 * multipart/form-data, one part per file (see api.h).
 *
 * The admin alone reaches this (the route table says so before any body
 * byte is read).  Each part goes to the deploy use case (deploy.h) as it
 * arrives; the bundle is verified against the trusted keys, installed
 * and recorded once the body is complete.  A refused deploy leaves
 * nothing behind, and the first reason is the one told.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "daemon/api.h"
#include "daemon/log.h"

struct deploy_upload {
	struct MHD_PostProcessor *pp;
	struct deploy *d; /* NULL once committed */
	int rc;		  /* the first refusal, or 0 */
	char why[512];
};

/* One piece of one uploaded file. */
static enum MHD_Result
upload_part(void *cls, enum MHD_ValueKind kind, const char *key,
	    const char *filename, const char *content_type,
	    const char *transfer_encoding, const char *data, uint64_t off,
	    size_t size)
{
	struct deploy_upload *u = cls;
	const char *name = filename && *filename ? filename : key;

	(void)kind;
	(void)content_type;
	(void)transfer_encoding;
	if (u->rc == 0)
		u->rc = deploy_put(u->d, name, off, data, size, u->why,
				   sizeof(u->why));
	return MHD_YES; /* keep reading: the answer waits for the body */
}

/*
 * Whether the body is declared multipart/form-data.  The post processor
 * takes application/x-www-form-urlencoded as well, whose names and
 * data are percent-decoded: a second way to spell a bundle, which the
 * route does not offer and no client sends, so only the one is let in.
 */
static bool
is_multipart(struct MHD_Connection *conn)
{
	const char *ct = MHD_lookup_connection_value(
		conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	size_t n = strlen(MHD_HTTP_POST_ENCODING_MULTIPART_FORMDATA);

	return ct &&
	       strncasecmp(ct, MHD_HTTP_POST_ENCODING_MULTIPART_FORMDATA, n) ==
		       0 &&
	       (ct[n] == ';' || ct[n] == ' ' || ct[n] == '\t');
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
	if (!is_multipart(rq->conn))
		return err_set(err, errlen, ERR_INVALID,
			       "a deploy is multipart/form-data, one part "
			       "per file");
	u = calloc(1, sizeof(*u));
	if (!u)
		return err_set(err, errlen, ERR_INTERNAL, "out of memory");
	rq->upload = u;
	u->pp = MHD_create_post_processor(rq->conn, 64 << 10, upload_part, u);
	if (!u->pp)
		return err_set(err, errlen, ERR_INVALID,
			       "a deploy is multipart/form-data, one part "
			       "per file");
	rc = deploy_begin(srv->store, srv->cfg->max_bundle, &u->d, err, errlen);
	if (rc == 0 && srv->registry) {
		struct deploy_recorder rec = { registry_deploy_record,
					       srv->registry };

		deploy_set_recorder(u->d, &rec);
	}
	return rc;
}

void
api_deploy_feed(struct request *rq, const char *data, size_t size)
{
	struct deploy_upload *u = rq->upload;

	if (u->rc == 0 && MHD_post_process(u->pp, data, size) != MHD_YES)
		u->rc = err_set(u->why, sizeof(u->why), ERR_INVALID,
				"the multipart body is malformed");
}

void
api_deploy_refuse(struct server *srv, struct reply *rep, int rc,
		  const char *why)
{
	atomic_fetch_add(&srv->metrics->deploys_refused, 1);
	log_msg(LOG_LEVEL_WARN, "event=deploy_refused reason=\"%s\"", why);
	reply_fail(rep, rc, why);
}

/* deploy_probe's descriptor(): a worker of the session table's. */
static int
probe_descriptor(void *ctx, const struct store_function *f, int bundle_fd,
		 const char *bundle_path, char name[101], char version[101],
		 char *err, size_t errlen)
{
	struct server *srv = ctx;

	return sessions_descriptor(srv->sessions, f, bundle_fd, bundle_path,
				   name, version, err, errlen);
}

void
api_deploy(struct request *rq, struct reply *rep)
{
	struct server *srv = rq->srv;
	struct deploy_upload *u = rq->upload;
	struct deploy_probe probe = { probe_descriptor, srv };
	struct store_function f;
	enum MHD_Result whole;
	int rc = u->rc;

	/* A body that stops before its closing boundary is not a bundle,
	 * whatever its parts hash to: the post processor holds back the
	 * last bytes it saw, which might begin a boundary, so the last
	 * file is short of them, and files never sent are missing; either
	 * would be told as the bundle's fault instead of the body's. */
	whole = MHD_destroy_post_processor(u->pp);
	u->pp = NULL;
	if (rc == 0 && whole != MHD_YES)
		rc = err_set(u->why, sizeof(u->why), ERR_INVALID,
			     "the multipart body ends before its closing "
			     "boundary");
	if (rc == 0) {
		rc = trust_commit(srv->trust, u->d, &probe, &f, u->why,
				  sizeof(u->why));
		u->d = NULL; /* consumed */
	}
	if (rc < 0) {
		api_deploy_refuse(srv, rep, rc, u->why);
		return;
	}
	/* Committed to the registry: this host's cache gets it before the
	 * answer, out of the trusted keys' lock the commit held. */
	if (srv->registry &&
	    registry_catch_up(srv->registry, u->why, sizeof(u->why)) < 0)
		log_msg(LOG_LEVEL_WARN,
			"event=registry_catch_up_failed msg=\"%s\"", u->why);
	atomic_fetch_add(&srv->metrics->deploys_ok, 1);
	log_msg(LOG_LEVEL_INFO,
		"event=deploy function=%s name=%s version=%s checksum=%s", f.id,
		f.name, f.version, f.checksum);
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
	deploy_abort(u->d); /* a refused or broken deploy */
	free(u);
	rq->upload = NULL;
}
