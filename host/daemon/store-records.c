/*
 * store-records.c: function and token records (see store.h), one file
 * each, read, written, listed and deleted by a single record layer.
 *
 * A record kind is a small table: its directory, the exact form of its
 * id, its fields (JSON key, type, where in the struct) and the checks a
 * record must pass.  The one reader, writer, lister and deleter below
 * work on any kind; only what differs (a new function id, revoking a
 * token) is written for one kind.
 *
 * Reads are served from a cache per kind (struct record_cache) that
 * every put and delete here updates before it returns, so that a revoke
 * or a removed function is seen by the very next request.
 *
 * On disk, one line each (store-json.c), written atomically, 0600:
 *	functions/<id>.json	{"id","name","version","checksum","plugin",
 *				"plugin_sha256","created","number"} and "\n"
 *				(releases before versions had no "number":
 *				store_function_records_v1 reads those for
 *				the migration)
 *	aliases/<name>@<alias>.json	{"id","name","alias","number","set"}
 *	tokens/<jti>.json	{"jti","sub","fch","iat","exp","revoked"}
 *				and "\n"
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/stat.h>

#include "daemon/store-int.h"

/* Largest record file read; real ones are under 1 KiB. */
#define RECORD_MAX (16u << 10)

/* ---- the record layer ---------------------------------------------------- */

/* The listing's order: kind's time field, then the id. */
static int
record_cmp(const void *a, const void *b, void *arg)
{
	const struct record_kind *kind = arg;
	size_t at = kind->fields[kind->order].offset;
	int64_t x, y;

	memcpy(&x, (const char *)a + at, sizeof(x));
	memcpy(&y, (const char *)b + at, sizeof(y));
	if (x != y)
		return x < y ? -1 : 1;
	return strcmp((const char *)a + kind->fields[0].offset,
		      (const char *)b + kind->fields[0].offset);
}

static const char *
record_id(const struct record_kind *kind, const void *rec)
{
	return (const char *)rec + kind->fields[0].offset;
}

/* ---- the record caches (store-int.h) ------------------------------------ */

void
store_caches_init(struct store *s)
{
	for (int i = 0; i < DIR_COUNT; i++) {
		pthread_mutex_init(&s->cache[i].lock, NULL);
		pthread_mutex_init(&s->cache[i].write, NULL);
	}
}

void
store_caches_free(struct store *s)
{
	for (int i = 0; i < DIR_COUNT; i++) {
		free(s->cache[i].slots);
		pthread_mutex_destroy(&s->cache[i].lock);
		pthread_mutex_destroy(&s->cache[i].write);
	}
}

/* FNV-1a of the id: ids are random or host-made, and a crafted clash
 * costs only a file read. */
static unsigned
cache_slot(const char *id)
{
	uint32_t h = 2166136261u;

	for (; *id; id++)
		h = (h ^ (unsigned char)*id) * 16777619u;
	return h % RECORD_CACHE_SLOTS;
}

/* Copy the cached record of id to rec: true on a hit.  On a miss *gen
 * is what cache_put() is to be given. */
static bool
cache_get(struct store *s, const struct record_kind *kind, const char *id,
	  void *rec, unsigned long long *gen)
{
	struct record_cache *c = &s->cache[kind->dir];
	unsigned i = cache_slot(id);
	bool hit = false;

	pthread_mutex_lock(&c->lock);
	if (c->slots && c->used[i] &&
	    strcmp(record_id(kind, c->slots + i * kind->size), id) == 0) {
		memcpy(rec, c->slots + i * kind->size, kind->size);
		hit = true;
	}
	*gen = c->gen;
	pthread_mutex_unlock(&c->lock);
	return hit;
}

/* Put rec in its slot; unless no write came since gen was taken, when
 * gen is not NULL (a read's record may be older than the file now).
 * Out of memory leaves the cache empty: reads go to the files. */
static void
cache_put(struct store *s, const struct record_kind *kind, const void *rec,
	  const unsigned long long *gen)
{
	struct record_cache *c = &s->cache[kind->dir];
	unsigned i = cache_slot(record_id(kind, rec));

	pthread_mutex_lock(&c->lock);
	if (!c->slots)
		c->slots = calloc(RECORD_CACHE_SLOTS, kind->size);
	if (gen == NULL)
		c->gen++;
	if (c->slots && (gen == NULL || *gen == c->gen)) {
		memcpy(c->slots + i * kind->size, rec, kind->size);
		c->used[i] = true;
	}
	pthread_mutex_unlock(&c->lock);
}

/* Forget id after a write that failed or removed it: the file may be
 * either state now, or none. */
static void
cache_drop(struct store *s, const struct record_kind *kind, const char *id)
{
	struct record_cache *c = &s->cache[kind->dir];
	unsigned i = cache_slot(id);

	pthread_mutex_lock(&c->lock);
	c->gen++;
	if (c->slots && c->used[i] &&
	    strcmp(record_id(kind, c->slots + i * kind->size), id) == 0)
		c->used[i] = false;
	pthread_mutex_unlock(&c->lock);
}

/* Read <dir>/<file>, the record of id (the caller checked the name). */
static int
record_read(struct store *s, const struct record_kind *kind, const char *id,
	    const char *file, void *rec, char *err, size_t errlen)
{
	char shown[PATH_MAX], *buf = NULL;
	size_t len;
	int rc;

	store_shown(s, kind->dir, file, shown);
	rc = store_read_file(s->dirfd[kind->dir], file, RECORD_MAX, shown, &buf,
			     &len, err, errlen);
	if (rc == -ERR_NOT_FOUND)
		return store_fail(err, errlen, ERR_NOT_FOUND, "no %s '%s'",
				  kind->what, id);
	if (rc < 0)
		return rc;
	rc = store_record_decode(kind, buf, len, shown, rec, err, errlen);
	free(buf);
	if (rc == 0 && strcmp(record_id(kind, rec), id) != 0)
		rc = store_fail(err, errlen, ERR_IO, "%s: holds %s '%s'", shown,
				kind->fields[0].key, record_id(kind, rec));
	return rc;
}

/* The file name of id, or -ERR_INVALID when id is not of kind's form. */
static int
record_file(const struct record_kind *kind, const char *id,
	    char file[NAME_MAX + 1], char *err, size_t errlen)
{
	char q[QUOTE_MAX];

	if (!kind->id_ok(id))
		return store_fail(err, errlen, ERR_INVALID, "bad %s id '%s'",
				  kind->what, quote_str(q, sizeof(q), id));
	store_file_name(id, ".json", file);
	return 0;
}

/* From the cache, else from the file (and then into the cache).  A
 * missing record is not cached: it costs a failed open, and a put makes
 * it. */
int
store_record_get(struct store *s, const struct record_kind *kind,
		 const char *id, void *rec, char *err, size_t errlen)
{
	char file[NAME_MAX + 1];
	unsigned long long gen;
	int rc;

	rc = record_file(kind, id, file, err, errlen);
	if (rc < 0)
		return rc;
	if (cache_get(s, kind, id, rec, &gen))
		return 0;
	rc = record_read(s, kind, id, file, rec, err, errlen);
	if (rc == 0)
		cache_put(s, kind, rec, &gen);
	return rc;
}

/* A record that could not be read back is never written. */
int
store_record_put(struct store *s, const struct record_kind *kind,
		 const void *rec, char *err, size_t errlen)
{
	int rc = store_journal_settle(s, err, errlen);

	return rc < 0 ? rc : store_record_put_now(s, kind, rec, err, errlen);
}

int
store_record_put_now(struct store *s, const struct record_kind *kind,
		     const void *rec, char *err, size_t errlen)
{
	char file[NAME_MAX + 1], shown[64], *line = NULL;
	size_t len = 0;
	int rc;

	snprintf(shown, sizeof(shown), "%s record", kind->what);
	rc = store_record_check(kind, rec, shown, err, errlen);
	if (rc < 0)
		return rc;
	store_file_name(record_id(kind, rec), ".json", file);
	rc = store_record_encode(kind, rec, &line, &len, err, errlen);
	if (rc < 0)
		goto out;
	pthread_mutex_lock(&s->cache[kind->dir].write);
	rc = fileio_replace(s->dirfd[kind->dir], file, line, len, 0600, err,
			    errlen);
	if (rc == 0)
		cache_put(s, kind, rec, NULL);
	else
		cache_drop(s, kind, record_id(kind, rec));
	pthread_mutex_unlock(&s->cache[kind->dir].write);
out:
	free(line);
	return rc;
}

struct list_ctx {
	const struct record_kind *kind;
	struct store_vec vec;
};

static int
list_one(struct store *s, const char *file, const char *name, void *ctx,
	 char *err, size_t errlen)
{
	struct list_ctx *c = ctx;
	void *rec = store_vec_next(&c->vec);
	int rc;

	if (rec == NULL)
		return store_fail(err, errlen, ERR_INTERNAL, "out of memory");
	rc = record_read(s, c->kind, name, file, rec, err, errlen);
	if (rc == 0)
		c->vec.n++;
	return rc;
}

/* Every record of kind, sorted by kind->cmp, into *out (free it). */
int
store_record_list(struct store *s, const struct record_kind *kind, void **out,
		  size_t *n, char *err, size_t errlen)
{
	struct list_ctx c = { kind, { NULL, 0, 0, kind->size } };
	char bad[64];
	int rc;

	snprintf(bad, sizeof(bad), "not a %s record", kind->what);
	rc = store_dir_each(s, kind->dir, ".json", kind->id_ok, bad, list_one,
			    &c, err, errlen);
	if (rc < 0) {
		free(c.vec.v);
		return rc;
	}
	if (c.vec.n > 1)
		qsort_r(c.vec.v, c.vec.n, kind->size, record_cmp, (void *)kind);
	*out = c.vec.v;
	*n = c.vec.n;
	return 0;
}

int
store_record_delete(struct store *s, const struct record_kind *kind,
		    const char *id, char *err, size_t errlen)
{
	int rc = store_journal_settle(s, err, errlen);

	return rc < 0 ? rc : store_record_delete_now(s, kind, id, err, errlen);
}

int
store_record_delete_now(struct store *s, const struct record_kind *kind,
			const char *id, char *err, size_t errlen)
{
	char file[NAME_MAX + 1];
	int rc;

	rc = record_file(kind, id, file, err, errlen);
	if (rc < 0)
		return rc;
	pthread_mutex_lock(&s->cache[kind->dir].write);
	rc = store_remove_file(s, kind->dir, file, err, errlen);
	cache_drop(s, kind, id); /* gone, or of unknown state if it failed */
	pthread_mutex_unlock(&s->cache[kind->dir].write);
	if (rc == -ERR_NOT_FOUND)
		return store_fail(err, errlen, ERR_NOT_FOUND, "no %s '%s'",
				  kind->what, id);
	return rc;
}

/* ---- function records ---------------------------------------------------- */

static const char *
function_bad_field(const void *rec)
{
	const struct store_function *f = rec;
	const char *bad = NULL;
	char e2[8];

	if (!store_id_ok(f->id))
		bad = "id";
	else if (!store_label_ok(f->name))
		bad = "name";
	else if (!store_label_ok(f->version))
		bad = "version";
	else if (!store_checksum_ok(f->checksum))
		bad = "checksum";
	else if (memchr(f->plugin, '\0', sizeof(f->plugin)) == NULL ||
		 bundle_name_check(f->plugin, strlen(f->plugin), e2,
				   sizeof(e2)) < 0)
		bad = "plugin";
	else if (f->created < 0 || f->created > TIME_MAX)
		bad = "created";
	return bad;
}

static const char *
function_bad_field_v2(const void *rec)
{
	const struct store_function *f = rec;
	const char *bad = function_bad_field(rec);

	if (bad == NULL && (f->number < 1 || f->number > TIME_MAX))
		bad = "number";
	return bad;
}

static const struct record_field function_fields[] = {
	FIELD("id", FIELD_STRING, struct store_function, id),
	FIELD("name", FIELD_STRING, struct store_function, name),
	FIELD("version", FIELD_STRING, struct store_function, version),
	FIELD("checksum", FIELD_STRING, struct store_function, checksum),
	FIELD("plugin", FIELD_STRING, struct store_function, plugin),
	FIELD("plugin_sha256", FIELD_HEX32, struct store_function,
	      plugin_sha256),
	FIELD("created", FIELD_TIME, struct store_function, created),
	FIELD("number", FIELD_TIME, struct store_function, number),
};

const struct record_kind store_function_records = {
	.dir = DIR_FUNCTIONS,
	.what = "function",
	.id_ok = store_id_ok,
	.size = sizeof(struct store_function),
	.fields = function_fields,
	.nfields = sizeof(function_fields) / sizeof(function_fields[0]),
	.bad_field = function_bad_field_v2,
	.order = 6, /* "created" */
};

/* The same record as the releases before versions wrote it: the table
 * without its last field, "number". */
const struct record_kind store_function_records_v1 = {
	.dir = DIR_FUNCTIONS,
	.what = "function",
	.id_ok = store_id_ok,
	.size = sizeof(struct store_function),
	.fields = function_fields,
	.nfields = sizeof(function_fields) / sizeof(function_fields[0]) - 1,
	.bad_field = function_bad_field,
	.order = 6, /* "created" */
};

/* ---- alias records ------------------------------------------------------- */

static const char *
alias_bad_field(const void *rec)
{
	const struct store_alias *a = rec;
	char id[STORE_TARGET_MAX];
	const char *bad = NULL;

	snprintf(id, sizeof(id), "%s@%s", a->name, a->alias);
	if (!store_alias_id_ok(a->id))
		bad = "id";
	else if (!store_label_ok(a->name))
		bad = "name";
	else if (!store_alias_ok(a->alias) || strcmp(id, a->id) != 0)
		bad = "alias";
	else if (a->number < 1 || a->number > TIME_MAX)
		bad = "number";
	else if (a->set < 0 || a->set > TIME_MAX)
		bad = "set";
	return bad;
}

static const struct record_field alias_fields[] = {
	FIELD("id", FIELD_STRING, struct store_alias, id),
	FIELD("name", FIELD_STRING, struct store_alias, name),
	FIELD("alias", FIELD_STRING, struct store_alias, alias),
	FIELD("number", FIELD_TIME, struct store_alias, number),
	FIELD("set", FIELD_TIME, struct store_alias, set),
};

const struct record_kind store_alias_records = {
	.dir = DIR_ALIASES,
	.what = "alias",
	.id_ok = store_alias_id_ok,
	.size = sizeof(struct store_alias),
	.fields = alias_fields,
	.nfields = sizeof(alias_fields) / sizeof(alias_fields[0]),
	.bad_field = alias_bad_field,
	.order = 4, /* "set" */
};

/* A fresh id into f->id: 131 bits, so a clash is for the check to
 * catch, not something that happens. */
int
store_function_new_id(struct store *s, struct store_function *f, char *err,
		      size_t errlen)
{
	char file[NAME_MAX + 1];
	struct stat st;
	int tries, rc;

	for (tries = 0; tries < 4; tries++) {
		rc = store_random_alnum(f->id, ID_LEN, err, errlen);
		if (rc < 0)
			return rc;
		store_file_name(f->id, ".json", file);
		if (fstatat(s->dirfd[DIR_FUNCTIONS], file, &st,
			    AT_SYMLINK_NOFOLLOW) < 0 &&
		    errno == ENOENT)
			return 0;
	}
	return store_fail(err, errlen, ERR_INTERNAL,
			  "cannot make a new function id");
}

int
store_function_put(struct store *s, struct store_function *f, char *err,
		   size_t errlen)
{
	int rc;

	if (f->id[0] == '\0') {
		rc = store_function_new_id(s, f, err, errlen);
		if (rc < 0)
			return rc;
	}
	return store_record_put(s, &store_function_records, f, err, errlen);
}

int
store_function_get(struct store *s, const char *id, struct store_function *f,
		   char *err, size_t errlen)
{
	return store_record_get(s, &store_function_records, id, f, err, errlen);
}

bool
store_function_cached(struct store *s, const char *id, struct store_function *f)
{
	unsigned long long gen;

	return store_id_ok(id) &&
	       cache_get(s, &store_function_records, id, f, &gen);
}

int
store_function_list(struct store *s, struct store_function **out, size_t *n,
		    char *err, size_t errlen)
{
	return store_record_list(s, &store_function_records, (void **)out, n,
				 err, errlen);
}

int
store_function_delete(struct store *s, const char *id, char *err, size_t errlen)
{
	return store_record_delete(s, &store_function_records, id, err, errlen);
}

/* ---- token records ------------------------------------------------------- */

static const char *
token_bad_field(const void *rec)
{
	const struct store_token *t = rec;
	const char *bad = NULL;

	if (!store_jti_ok(t->jti))
		bad = "jti";
	else if (!store_id_ok(t->function_id) &&
		 !store_target_sub_ok(t->function_id))
		bad = "sub";
	else if (t->checksum[0] != '\0' && !store_checksum_ok(t->checksum))
		bad = "fch";
	else if (t->iat < 0 || t->iat > TIME_MAX)
		bad = "iat";
	else if (t->exp < 0 || t->exp > TIME_MAX)
		bad = "exp";
	return bad;
}

static const struct record_field token_fields[] = {
	FIELD("jti", FIELD_STRING, struct store_token, jti),
	FIELD("sub", FIELD_STRING, struct store_token, function_id),
	FIELD("fch", FIELD_STRING, struct store_token, checksum),
	FIELD("iat", FIELD_TIME, struct store_token, iat),
	FIELD("exp", FIELD_TIME, struct store_token, exp),
	FIELD("revoked", FIELD_BOOL, struct store_token, revoked),
};

static const struct record_kind token_records = {
	.dir = DIR_TOKENS,
	.what = "token",
	.id_ok = store_jti_ok,
	.size = sizeof(struct store_token),
	.fields = token_fields,
	.nfields = sizeof(token_fields) / sizeof(token_fields[0]),
	.bad_field = token_bad_field,
	.order = 3, /* "iat" */
};

int
store_token_put(struct store *s, const struct store_token *t, char *err,
		size_t errlen)
{
	return store_record_put(s, &token_records, t, err, errlen);
}

int
store_token_get(struct store *s, const char *jti, struct store_token *t,
		char *err, size_t errlen)
{
	return store_record_get(s, &token_records, jti, t, err, errlen);
}

int
store_token_list(struct store *s, struct store_token **out, size_t *n,
		 char *err, size_t errlen)
{
	return store_record_list(s, &token_records, (void **)out, n, err,
				 errlen);
}

int
store_token_revoke(struct store *s, const char *jti, char *err, size_t errlen)
{
	struct store_token t;
	int rc;

	pthread_mutex_lock(&s->lock);
	rc = store_token_get(s, jti, &t, err, errlen);
	if (rc == 0 && !t.revoked) {
		t.revoked = true;
		rc = store_token_put(s, &t, err, errlen);
	}
	pthread_mutex_unlock(&s->lock);
	return rc;
}
