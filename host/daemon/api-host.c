/*
 * api-host.c: the routes about the host itself (see api.h): health,
 * metrics, its public keys and their rotation, and the publishers it
 * trusts.
 */
#include <stdlib.h>

#include "base/b64.h"
#include "daemon/api.h"
#include "daemon/log.h"

void
api_healthz(struct request *rq, struct reply *rep)
{
	const struct server *srv = rq->srv;
	const struct sandbox_features *f = srv->features;
	bool draining = atomic_load(&srv->draining);
	json_object *o = json_object_new_object(), *sb, *ns;

	sb = json_object_new_object();
	json_object_object_add(sb, "landlock_abi",
			       json_object_new_int(f->landlock_abi));
	json_object_object_add(sb, "seccomp",
			       json_object_new_boolean(f->seccomp));
	ns = json_object_new_object();
	json_object_object_add(ns, "user", json_object_new_boolean(f->userns));
	json_object_object_add(ns, "pid", json_object_new_boolean(f->pidns));
	json_object_object_add(ns, "mount",
			       json_object_new_boolean(f->mountns));
	json_object_object_add(ns, "net", json_object_new_boolean(f->netns));
	json_object_object_add(ns, "ipc", json_object_new_boolean(f->ipcns));
	json_object_object_add(ns, "uts", json_object_new_boolean(f->utsns));
	json_object_object_add(sb, "namespaces", ns);
	/* The per-session layers: the private root and the scratch tmpfs
	 * come with the mount namespace (root.h); freezing between invokes
	 * and the CPU budget need nothing of the kernel beyond SIGSTOP and
	 * a thread's CPU clock, so they are always on. */
	json_object_object_add(sb, "private_root",
			       json_object_new_boolean(f->mountns));
	json_object_object_add(sb, "scratch_tmpfs",
			       json_object_new_boolean(f->mountns));
	json_object_object_add(sb, "freeze", json_object_new_boolean(true));
	json_object_object_add(sb, "cpu_budget", json_object_new_boolean(true));
	json_object_object_add(sb, "relaxed",
			       json_object_new_boolean(
				       srv->cfg->sandbox_relaxed));
	json_object_object_add(o, "status",
			       json_object_new_string(draining ? "draining"
							       : "ok"));
	json_object_object_add(o, "sessions",
			       json_object_new_int64(
				       (int64_t)sessions_count(srv->sessions)));
	json_object_object_add(o, "sandbox", sb);
	/* Which host of a cluster answered (fnhost.conf node). */
	if (srv->cfg->node[0])
		json_object_object_add(o, "node",
				       json_object_new_string(srv->cfg->node));
	reply_json(rep, draining ? 503 : 200, o);
}

void
api_metrics(struct request *rq, struct reply *rep)
{
	size_t len = 0;
	char *text = metrics_render(rq->srv->metrics, &len);

	if (!text) {
		reply_error(rep, ERR_INTERNAL, "out of memory");
		return;
	}
	rep->status = 200;
	rep->resp = MHD_create_response_from_buffer(len, text,
						    MHD_RESPMEM_MUST_FREE);
	if (rep->resp)
		MHD_add_response_header(rep->resp, "Content-Type",
					"text/plain; version=0.0.4");
	else
		free(text);
}

static void
key_page(struct server *srv, struct reply *rep)
{
	unsigned char enc[HPKE_NPK], att[ATTEST_PK_BYTES];
	char enc_b64[64], att_b64[64];
	json_object *o, *e, *a;
	int64_t old_until;

	hostkeys_public(srv->keys, enc, att, &old_until);
	b64url_encode(enc_b64, sizeof(enc_b64), enc, sizeof(enc));
	b64url_encode(att_b64, sizeof(att_b64), att, sizeof(att));
	e = json_object_new_object();
	json_object_object_add(e, "kem",
			       json_object_new_string(
				       "DHKEM(X25519, HKDF-SHA256)"));
	json_object_object_add(e, "kdf", json_object_new_string("HKDF-SHA256"));
	json_object_object_add(e, "aead",
			       json_object_new_string("ChaCha20Poly1305"));
	json_object_object_add(e, "public_key",
			       json_object_new_string(enc_b64));
	a = json_object_new_object();
	json_object_object_add(a, "alg", json_object_new_string("Ed25519"));
	json_object_object_add(a, "public_key",
			       json_object_new_string(att_b64));
	o = json_object_new_object();
	json_object_object_add(o, "encryption", e);
	json_object_object_add(o, "attestation", a);
	reply_json(rep, 200, o);
}

void
api_key(struct request *rq, struct reply *rep)
{
	key_page(rq->srv, rep);
}

/* dist/openapi.json, linked in by the Makefile (ld -r -b binary): the
 * description served is the one the tests checked against this build's
 * route table, and no file has to be found at run time. */
extern const char _binary_dist_openapi_json_start[];
extern const char _binary_dist_openapi_json_end[];

void
api_openapi(struct request *rq, struct reply *rep)
{
	size_t len = (size_t)(_binary_dist_openapi_json_end -
			      _binary_dist_openapi_json_start);

	(void)rq;
	rep->status = 200;
	rep->resp = MHD_create_response_from_buffer(
		len, (void *)_binary_dist_openapi_json_start,
		MHD_RESPMEM_PERSISTENT);
	if (rep->resp)
		MHD_add_response_header(rep->resp, "Content-Type",
					"application/json");
}

/* POST /v1/key/rotate {"keep": seconds}: a new encryption key; the old
 * one decrypts clients' texts for keep seconds more, and the stored
 * secrets are resealed to the new one. */
void
api_key_rotate(struct request *rq, struct reply *rep)
{
	struct server *srv = rq->srv;
	json_object *body, *v;
	int64_t keep = 0;
	size_t resealed = 0;
	char err[512];
	int rc;

	body = request_json(rq, rep);
	if (!body)
		return;
	if (json_object_object_get_ex(body, "keep", &v)) {
		keep = json_object_is_type(v, json_type_int)
			       ? json_object_get_int64(v)
			       : -1;
		if (keep < 0 || keep > 365 * 86400) {
			reply_error(rep, ERR_INVALID,
				    "keep must be a whole number of seconds "
				    "from 0 to 31536000");
			goto out;
		}
	}
	rc = secrets_rotate(srv->secrets, (uint32_t)keep, &resealed, err,
			    sizeof(err));
	if (rc < 0) {
		reply_fail(rep, rc, err);
		goto out;
	}
	log_msg(LOG_LEVEL_INFO, "event=key_rotate keep_s=%lld resealed=%zu",
		(long long)keep, resealed);
	key_page(srv, rep);
out:
	json_object_put(body);
}

/*
 * The common tail of a trust change: rc is the store's answer; on
 * success the trust set is reloaded (deploys see the change at once) and
 * the change logged.  Returns whether it went through; if not, rep holds
 * the error.
 */
static bool
trust_changed(struct server *srv, struct reply *rep, int rc, char *err,
	      size_t errlen, const char *event, const char *keyid)
{
	if (rc >= 0)
		rc = trust_reload(srv->trust, NULL, err, errlen);
	if (rc < 0) {
		reply_fail(rep, rc, err);
		return false;
	}
	log_msg(LOG_LEVEL_INFO, "event=%s key=%s", event, keyid);
	return true;
}

void
api_trust_add(struct request *rq, struct reply *rep)
{
	struct server *srv = rq->srv;
	json_object *o;
	char err[512], keyid[17] = "";
	int rc;

	if (srv->registry)
		rc = registry_trust_add(srv->registry, rq->body ? rq->body : "",
					rq->len, keyid, err, sizeof(err));
	else
		rc = store_trust_add(srv->store, rq->body ? rq->body : "",
				     rq->len, keyid, err, sizeof(err));
	if (!trust_changed(srv, rep, rc, err, sizeof(err), "trust_add", keyid))
		return;
	o = json_object_new_object();
	json_object_object_add(o, "key_id", json_object_new_string(keyid));
	reply_json(rep, 201, o);
}

void
api_trust_list(struct request *rq, struct reply *rep)
{
	json_object *arr = json_object_new_array(), *o;
	char(*ids)[17];
	size_t i, n;

	ids = trust_ids(rq->srv->trust, &n);
	for (i = 0; i < n; i++) {
		o = json_object_new_object();
		json_object_object_add(o, "key_id",
				       json_object_new_string(ids[i]));
		json_object_array_add(arr, o);
	}
	free(ids);
	reply_json(rep, 200, arr);
}

void
api_trust_remove(struct request *rq, struct reply *rep)
{
	struct server *srv = rq->srv;
	char err[512];
	int rc;

	rc = srv->registry ? registry_trust_remove(srv->registry, rq->arg, err,
						   sizeof(err))
			   : store_trust_remove(srv->store, rq->arg, err,
						sizeof(err));
	if (trust_changed(srv, rep, rc, err, sizeof(err), "trust_remove",
			  rq->arg))
		reply_empty(rep, 204);
}
