/*
 * store-versions.c: a function name's versions and aliases (see
 * store.h), and the migration of a data dir made by a release before
 * versions.
 *
 * A version is a function record (store-records.c) with a number; the
 * versions of a name are the records of that name.  An alias is a record
 * of its own, aliases/<name>@<alias>.json, holding a version number:
 * moving it is one atomic write, so a promotion or a rollback is seen
 * whole or not at all.  Every read-modify-write holds the store's lock.
 *
 * An operation of several writes (a deploy: "highest", the version,
 * "latest"; a version delete: the aliases it moves or removes, then the
 * version) goes through the store's journal (store-journal.c), so a
 * crash leaves it done or not done, never part done.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon/log.h"
#include "daemon/store-int.h"

/* The data dir's layout version, in DATADIR/format. */
#define FORMAT_FILE "format"
#define FORMAT_TEXT "2\n"
/* Digits of a version number in a target ("name@12"). */
#define NUMBER_DIGITS 12

/* ---- names --------------------------------------------------------------- */

static int
all_digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return n > 0;
}

int
store_alias_ok(const char *s)
{
	size_t n;

	if (!store_label_ok(s))
		return 0;
	n = strlen(s);
	return n <= STORE_ALIAS_MAX && !all_digits(s, n);
}

/* "<name>@<rest>" with a label for name: rest, or NULL. */
static const char *
split_target(const char *s, char name[BUNDLE_LABEL_MAX + 1])
{
	const char *at = s ? strchr(s, '@') : NULL;
	size_t n;

	if (at == NULL)
		return NULL;
	n = (size_t)(at - s);
	if (n == 0 || n > BUNDLE_LABEL_MAX)
		return NULL;
	memcpy(name, s, n);
	name[n] = '\0';
	return store_label_ok(name) ? at + 1 : NULL;
}

/* A version number's text: 1 to NUMBER_DIGITS digits, no leading 0. */
static int
number_of(const char *s, int64_t *out)
{
	size_t n = strlen(s);

	if (!all_digits(s, n) || n > NUMBER_DIGITS || s[0] == '0')
		return 0;
	*out = strtoll(s, NULL, 10);
	return 1;
}

int
store_alias_id_ok(const char *s)
{
	char name[BUNDLE_LABEL_MAX + 1];
	const char *rest = split_target(s, name);

	return rest != NULL && store_alias_ok(rest);
}

int
store_target_sub_ok(const char *s)
{
	char name[BUNDLE_LABEL_MAX + 1];
	const char *rest = split_target(s, name);
	int64_t n;

	return rest != NULL && (store_alias_ok(rest) || number_of(rest, &n));
}

static int
bad_name(char *err, size_t errlen, const char *what, const char *s)
{
	char q[QUOTE_MAX];

	return store_fail(err, errlen, ERR_INVALID, "bad %s '%s'", what,
			  quote_str(q, sizeof(q), s ? s : ""));
}

/* ---- versions ------------------------------------------------------------ */

static int
version_cmp(const void *a, const void *b)
{
	const struct store_function *x = a, *y = b;

	if (x->number != y->number)
		return x->number < y->number ? -1 : 1;
	return strcmp(x->id, y->id);
}

/* The versions of name, by number (none is no error here). */
static int
versions_of(struct store *s, const char *name, struct store_function **out,
	    size_t *n, char *err, size_t errlen)
{
	struct store_function *all = NULL;
	size_t i, k = 0, total = 0;
	int rc;

	rc = store_function_list(s, &all, &total, err, errlen);
	if (rc < 0)
		return rc;
	for (i = 0; i < total; i++)
		if (!strcmp(all[i].name, name))
			all[k++] = all[i];
	if (k > 1)
		qsort(all, k, sizeof(*all), version_cmp);
	*out = all;
	*n = k;
	return 0;
}

/* The record of alias of name pointing at number, set now. */
static void
alias_make(const char *name, const char *alias, int64_t number,
	   struct store_alias *rec)
{
	memset(rec, 0, sizeof(*rec));
	snprintf(rec->id, sizeof(rec->id), "%s@%s", name, alias);
	snprintf(rec->name, sizeof(rec->name), "%s", name);
	snprintf(rec->alias, sizeof(rec->alias), "%s", alias);
	rec->number = number;
	rec->set = time(NULL);
}

static int
alias_write(struct store *s, const char *name, const char *alias,
	    int64_t number, struct store_alias *a, char *err, size_t errlen)
{
	struct store_alias rec;

	alias_make(name, alias, number, &rec);
	if (a != NULL)
		*a = rec;
	return store_record_put(s, &store_alias_records, &rec, err, errlen);
}

/* Add to j the put of alias of name at number. */
static int
journal_alias(struct store_journal *j, const char *name, const char *alias,
	      int64_t number, char *err, size_t errlen)
{
	struct store_alias rec;

	alias_make(name, alias, number, &rec);
	return store_journal_put(j, &store_alias_records, &rec, err, errlen);
}

/* The highest number name ever had (0: none, or a data dir from before
 * the host kept it). */
static int64_t
highest(struct store *s, const char *name)
{
	char id[STORE_TARGET_MAX], e[256];
	struct store_alias a;

	snprintf(id, sizeof(id), "%s@%s", name, STORE_ALIAS_HIGHEST);
	if (store_record_get(s, &store_alias_records, id, &a, e, sizeof(e)) < 0)
		return 0;
	return a.number;
}

int
store_version_add(struct store *s, struct store_function *f, bool *added,
		  char *err, size_t errlen)
{
	struct store_function *v = NULL;
	struct store_journal j;
	size_t i, n = 0;
	int rc;

	store_journal_init(&j);
	pthread_mutex_lock(&s->lock);
	rc = versions_of(s, f->name, &v, &n, err, errlen);
	if (rc < 0)
		goto out;
	*added = true;
	for (i = 0; i < n; i++)
		if (!strcmp(v[i].checksum, f->checksum)) {
			*f = v[i];
			*added = false;
			break;
		}
	if (*added) {
		/* One more than the highest the name ever had, deleted
		 * versions included: a number names one bundle for good. */
		f->number = highest(s, f->name) + 1;
		if (n > 0 && v[n - 1].number >= f->number)
			f->number = v[n - 1].number + 1;
		rc = store_function_new_id(s, f, err, errlen);
		if (rc == 0)
			rc = journal_alias(&j, f->name, STORE_ALIAS_HIGHEST,
					   f->number, err, errlen);
		if (rc == 0)
			rc = store_journal_put(&j, &store_function_records, f,
					       err, errlen);
	}
	if (rc == 0)
		rc = journal_alias(&j, f->name, STORE_ALIAS_LATEST, f->number,
				   err, errlen);
	if (rc == 0)
		rc = store_journal_run(s, &j, err, errlen);
out:
	pthread_mutex_unlock(&s->lock);
	store_journal_free(&j);
	free(v);
	return rc;
}

int
store_version_list(struct store *s, const char *name,
		   struct store_function **out, size_t *n, char *err,
		   size_t errlen)
{
	int rc;

	if (!store_label_ok(name))
		return bad_name(err, errlen, "function name", name);
	rc = versions_of(s, name, out, n, err, errlen);
	if (rc == 0 && *n == 0) {
		free(*out);
		*out = NULL;
		return store_fail(err, errlen, ERR_NOT_FOUND,
				  "no function '%s'", name);
	}
	return rc;
}

/* Version number of name into f. */
static int
version_get(struct store *s, const char *name, int64_t number,
	    struct store_function *f, char *err, size_t errlen)
{
	struct store_function *v = NULL;
	size_t i, n = 0;
	int rc;

	rc = versions_of(s, name, &v, &n, err, errlen);
	if (rc < 0)
		return rc;
	rc = store_fail(err, errlen, ERR_NOT_FOUND, "no version %lld of '%s'",
			(long long)number, name);
	for (i = 0; i < n; i++)
		if (v[i].number == number) {
			*f = v[i];
			rc = 0;
			break;
		}
	free(v);
	return rc;
}

int
store_function_resolve(struct store *s, const char *target,
		       struct store_function *f, char *err, size_t errlen)
{
	char name[BUNDLE_LABEL_MAX + 1], full[STORE_TARGET_MAX];
	struct store_alias a;
	const char *rest;
	int64_t number;
	int rc;

	if (store_id_ok(target)) {
		rc = store_function_get(s, target, f, err, errlen);
		if (rc != -ERR_NOT_FOUND)
			return rc;
	}
	rc = store_target_normal(s, target, full, err, errlen);
	if (rc < 0)
		return rc;
	rest = split_target(full, name);
	if (rest == NULL) /* an id, and no such record */
		return store_fail(err, errlen, ERR_NOT_FOUND,
				  "no function '%s'", target);
	if (number_of(rest, &number))
		return version_get(s, name, number, f, err, errlen);
	if (!strcmp(rest, STORE_ALIAS_HIGHEST))
		return store_fail(err, errlen, ERR_NOT_FOUND, "no alias '%s'",
				  full);
	rc = store_record_get(s, &store_alias_records, full, &a, err, errlen);
	if (rc == -ERR_NOT_FOUND)
		return store_fail(err, errlen, ERR_NOT_FOUND,
				  !strcmp(rest, STORE_ALIAS_LATEST)
					  ? "no function '%s'"
					  : "no alias '%s'",
				  !strcmp(rest, STORE_ALIAS_LATEST) ? name
								    : full);
	if (rc < 0)
		return rc;
	return version_get(s, name, a.number, f, err, errlen);
}

int
store_target_normal(struct store *s, const char *target,
		    char out[STORE_TARGET_MAX], char *err, size_t errlen)
{
	struct store_function f;
	char e2[256];

	if (target == NULL)
		return bad_name(err, errlen, "function", target);
	/* An id that names a record stays an id; otherwise an id-shaped
	 * word is a name, as it was deployed. */
	if (store_id_ok(target) &&
	    store_function_get(s, target, &f, e2, sizeof(e2)) == 0) {
		snprintf(out, STORE_TARGET_MAX, "%s", target);
		return 0;
	}
	if (store_label_ok(target)) {
		snprintf(out, STORE_TARGET_MAX, "%s@%s", target,
			 STORE_ALIAS_LATEST);
		return 0;
	}
	if (!store_target_sub_ok(target))
		return bad_name(err, errlen, "function", target);
	snprintf(out, STORE_TARGET_MAX, "%s", target);
	return 0;
}

/* ---- aliases ------------------------------------------------------------- */

static int
alias_cmp(const void *a, const void *b)
{
	return strcmp(((const struct store_alias *)a)->alias,
		      ((const struct store_alias *)b)->alias);
}

static int
aliases_of(struct store *s, const char *name, struct store_alias **out,
	   size_t *n, char *err, size_t errlen)
{
	struct store_alias *all = NULL;
	size_t i, k = 0, total = 0;
	int rc;

	rc = store_record_list(s, &store_alias_records, (void **)&all, &total,
			       err, errlen);
	if (rc < 0)
		return rc;
	for (i = 0; i < total; i++)
		if (!strcmp(all[i].name, name) &&
		    strcmp(all[i].alias, STORE_ALIAS_HIGHEST) != 0)
			all[k++] = all[i];
	if (k > 1)
		qsort(all, k, sizeof(*all), alias_cmp);
	*out = all;
	*n = k;
	return 0;
}

int
store_alias_list(struct store *s, const char *name, struct store_alias **out,
		 size_t *n, char *err, size_t errlen)
{
	if (!store_label_ok(name))
		return bad_name(err, errlen, "function name", name);
	return aliases_of(s, name, out, n, err, errlen);
}

static int
alias_id(const char *name, const char *alias, char id[STORE_TARGET_MAX],
	 char *err, size_t errlen)
{
	if (!store_label_ok(name))
		return bad_name(err, errlen, "function name", name);
	if (!store_alias_ok(alias))
		return bad_name(err, errlen, "alias", alias);
	if (!strcmp(alias, STORE_ALIAS_HIGHEST))
		return store_fail(err, errlen, ERR_INVALID,
				  "'%s' is kept by the host: it numbers new "
				  "versions",
				  STORE_ALIAS_HIGHEST);
	snprintf(id, STORE_TARGET_MAX, "%s@%s", name, alias);
	return 0;
}

int
store_alias_get(struct store *s, const char *name, const char *alias,
		struct store_alias *a, char *err, size_t errlen)
{
	char id[STORE_TARGET_MAX];
	int rc = alias_id(name, alias, id, err, errlen);

	if (rc == 0)
		rc = store_record_get(s, &store_alias_records, id, a, err,
				      errlen);
	return rc;
}

int
store_alias_set(struct store *s, const char *name, const char *alias,
		int64_t number, struct store_alias *a, char *err, size_t errlen)
{
	struct store_function f;
	char id[STORE_TARGET_MAX];
	int rc = alias_id(name, alias, id, err, errlen);

	if (rc < 0)
		return rc;
	pthread_mutex_lock(&s->lock);
	rc = version_get(s, name, number, &f, err, errlen);
	if (rc == 0)
		rc = alias_write(s, name, alias, number, a, err, errlen);
	pthread_mutex_unlock(&s->lock);
	return rc;
}

int
store_alias_rollback(struct store *s, const char *name, const char *alias,
		     struct store_alias *a, char *err, size_t errlen)
{
	struct store_function *v = NULL;
	struct store_alias cur;
	int64_t to = 0;
	size_t i, n = 0;
	int rc;

	pthread_mutex_lock(&s->lock);
	rc = store_alias_get(s, name, alias, &cur, err, errlen);
	if (rc == 0)
		rc = versions_of(s, name, &v, &n, err, errlen);
	if (rc < 0)
		goto out;
	for (i = 0; i < n; i++)
		if (v[i].number < cur.number)
			to = v[i].number;
	if (to == 0)
		rc = store_fail(err, errlen, ERR_CONFLICT,
				"%s@%s points at version %lld: no older "
				"version to roll back to",
				name, alias, (long long)cur.number);
	else
		rc = alias_write(s, name, alias, to, a, err, errlen);
out:
	pthread_mutex_unlock(&s->lock);
	free(v);
	return rc;
}

int
store_alias_delete(struct store *s, const char *name, const char *alias,
		   char *err, size_t errlen)
{
	char id[STORE_TARGET_MAX];
	int rc = alias_id(name, alias, id, err, errlen);

	if (rc < 0)
		return rc;
	if (!strcmp(alias, STORE_ALIAS_LATEST))
		return store_fail(err, errlen, ERR_INVALID,
				  "'latest' is kept by the host: roll it "
				  "back or set it instead");
	return store_record_delete(s, &store_alias_records, id, err, errlen);
}

/* ---- delete -------------------------------------------------------------- */

int
store_version_delete(struct store *s, const char *id, char *err, size_t errlen)
{
	struct store_function f, *v = NULL;
	struct store_alias *al = NULL;
	struct store_journal j;
	int64_t newest = 0;
	size_t i, n = 0, na = 0;
	int rc;

	store_journal_init(&j);
	pthread_mutex_lock(&s->lock);
	rc = store_function_get(s, id, &f, err, errlen);
	if (rc == 0)
		rc = aliases_of(s, f.name, &al, &na, err, errlen);
	if (rc == 0)
		rc = versions_of(s, f.name, &v, &n, err, errlen);
	if (rc < 0)
		goto out;
	for (i = 0; i < na; i++)
		if (al[i].number == f.number &&
		    strcmp(al[i].alias, STORE_ALIAS_LATEST) != 0) {
			rc = store_fail(err, errlen, ERR_CONFLICT,
					"alias %s points at version %lld of "
					"'%s': move it first",
					al[i].alias, (long long)f.number,
					f.name);
			goto out;
		}
	for (i = 0; i < n; i++)
		if (v[i].number != f.number)
			newest = v[i].number;
	for (i = 0; rc == 0 && i < na; i++) {
		if (al[i].number != f.number)
			continue;
		if (newest > 0)
			rc = journal_alias(&j, f.name, al[i].alias, newest, err,
					   errlen);
		else
			rc = store_journal_delete(&j, &store_alias_records,
						  al[i].id, err, errlen);
	}
	if (rc == 0)
		rc = store_journal_delete(&j, &store_function_records, f.id,
					  err, errlen);
	if (rc == 0)
		rc = store_journal_run(s, &j, err, errlen);
out:
	pthread_mutex_unlock(&s->lock);
	store_journal_free(&j);
	free(v);
	free(al);
	return rc;
}

/* ---- migration ----------------------------------------------------------- */

static int
by_name_created(const void *a, const void *b)
{
	const struct store_function *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c != 0)
		return c;
	if (x->created != y->created)
		return x->created < y->created ? -1 : 1;
	return strcmp(x->id, y->id);
}

struct migrate_ctx {
	struct store_vec vec;
};

/* Read one record in either form; number is 0 in an old one. */
static int
migrate_read(struct store *s, const char *file, const char *name, void *ctx,
	     char *err, size_t errlen)
{
	struct migrate_ctx *c = ctx;
	struct store_function *f = store_vec_next(&c->vec);
	int rc;

	(void)file;
	if (f == NULL)
		return store_fail(err, errlen, ERR_INTERNAL, "out of memory");
	memset(f, 0, sizeof(*f));
	rc = store_record_get(s, &store_function_records_v1, name, f, err,
			      errlen);
	if (rc == -ERR_IO)
		rc = store_record_get(s, &store_function_records, name, f, err,
				      errlen);
	if (rc == 0)
		c->vec.n++;
	return rc;
}

/*
 * A data dir without DATADIR/format is of a release before versions:
 * each of its function records becomes a version of its name, numbered
 * in the order they were deployed (created, then id), and "latest" names
 * the newest.  Ids stay, so the tokens issued for them keep working;
 * two old records of one name and checksum stay two versions, since a
 * token may name either.  A crash part way is harmless: a second run
 * numbers the same records the same way, and "format" is written last.
 */
int
store_migrate(struct store *s, char *err, size_t errlen)
{
	struct migrate_ctx c = { { NULL, 0, 0,
				   sizeof(struct store_function) } };
	struct store_function *v;
	char *buf = NULL;
	size_t i, len;
	int64_t number = 0;
	int rc;

	rc = store_read_file(s->rootfd, FORMAT_FILE, 64, FORMAT_FILE, &buf,
			     &len, err, errlen);
	if (rc == 0) {
		rc = len == strlen(FORMAT_TEXT) &&
				     !memcmp(buf, FORMAT_TEXT, len)
			     ? 0
			     : store_fail(err, errlen, ERR_IO,
					  "%s/%s: not a format this fnhostd "
					  "reads",
					  s->path, FORMAT_FILE);
		free(buf);
		return rc;
	}
	if (rc != -ERR_NOT_FOUND)
		return rc;
	rc = store_dir_each(s, DIR_FUNCTIONS, ".json", store_id_ok,
			    "not a function record", migrate_read, &c, err,
			    errlen);
	v = c.vec.v;
	if (rc == 0 && c.vec.n > 1)
		qsort(v, c.vec.n, sizeof(*v), by_name_created);
	for (i = 0; rc == 0 && i < c.vec.n; i++) {
		if (i == 0 || strcmp(v[i].name, v[i - 1].name) != 0)
			number = 0;
		v[i].number = ++number;
		rc = store_function_put(s, &v[i], err, errlen);
		if (rc == 0 &&
		    (i + 1 == c.vec.n || strcmp(v[i + 1].name, v[i].name) != 0))
			rc = alias_write(s, v[i].name, STORE_ALIAS_LATEST,
					 number, NULL, err, errlen);
		if (rc == 0 &&
		    (i + 1 == c.vec.n || strcmp(v[i + 1].name, v[i].name) != 0))
			rc = alias_write(s, v[i].name, STORE_ALIAS_HIGHEST,
					 number, NULL, err, errlen);
		if (rc == 0 && i + 1 == c.vec.n)
			log_msg(LOG_LEVEL_INFO,
				"event=store_migrate records=%zu", c.vec.n);
	}
	if (rc == 0)
		rc = fileio_replace(s->rootfd, FORMAT_FILE, FORMAT_TEXT,
				    strlen(FORMAT_TEXT), 0600, err, errlen);
	free(v);
	return rc;
}
