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

int
store_record_get(struct store *s, const struct record_kind *kind,
		 const char *id, void *rec, char *err, size_t errlen)
{
	char file[NAME_MAX + 1];
	int rc;

	rc = record_file(kind, id, file, err, errlen);
	if (rc < 0)
		return rc;
	return record_read(s, kind, id, file, rec, err, errlen);
}

/* A record that could not be read back is never written. */
int
store_record_put(struct store *s, const struct record_kind *kind,
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
	if (rc == 0)
		rc = fileio_replace(s->dirfd[kind->dir], file, line, len, 0600,
				    err, errlen);
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
	char file[NAME_MAX + 1];
	int rc;

	rc = record_file(kind, id, file, err, errlen);
	if (rc == 0)
		rc = store_remove_file(s, kind->dir, file, err, errlen);
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
