/*
 * registry-pg.c: the shared registry in PostgreSQL (registry.h).  All
 * of the daemon's SQL is here; every value goes as a parameter
 * (PQexecParams), never into the text of a statement.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "base/clock.h"
#include "base/err.h"
#include "base/hex.h"
#include "daemon/log.h"
#include "daemon/registry.h"
#include "daemon/secrets.h"
#include "daemon/session.h"
#include "daemon/trust.h"
#include "formats/config.h"

/* One advisory lock key for the schema's migration: "fnhost" in ASCII. */
#define MIGRATE_LOCK "110442097094516"
#define BUNDLE_MAGIC "fnhost-bundle-1\n"
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000

/*
 * The schema, step by step: a step once released is never changed, a
 * change is a new step.  Each runs in the one transaction that records
 * it in schema_version.  Every registry row carries seq, the change
 * counter's value of the write that last touched it, and deleted rows
 * stay (deleted = true) so that a delete replicates like a put.
 */
static const char *const migrations[] = {
	/* 1: the registry */
	"CREATE TABLE fnhost_state (one boolean PRIMARY KEY DEFAULT true "
	"  CHECK (one), seq bigint NOT NULL);"
	"INSERT INTO fnhost_state (seq) VALUES (0);"
	"CREATE TABLE fnhost_bundles (checksum text PRIMARY KEY, "
	"  body bytea NOT NULL, created bigint NOT NULL);"
	"CREATE TABLE fnhost_functions (id text PRIMARY KEY, "
	"  name text NOT NULL, version text NOT NULL, checksum text NOT NULL,"
	"  plugin text NOT NULL, plugin_sha256 text NOT NULL, "
	"  created bigint NOT NULL, number bigint NOT NULL, "
	"  deleted boolean NOT NULL DEFAULT false, seq bigint NOT NULL, "
	"  UNIQUE (name, number));"
	"CREATE TABLE fnhost_aliases (name text NOT NULL, alias text NOT NULL,"
	"  number bigint NOT NULL, set_at bigint NOT NULL, "
	"  deleted boolean NOT NULL DEFAULT false, seq bigint NOT NULL, "
	"  PRIMARY KEY (name, alias));"
	"CREATE TABLE fnhost_tokens (jti text PRIMARY KEY, sub text NOT NULL,"
	"  checksum text NOT NULL, iat bigint NOT NULL, exp bigint NOT NULL,"
	"  revoked boolean NOT NULL, seq bigint NOT NULL);"
	"CREATE TABLE fnhost_trusted (keyid text PRIMARY KEY, "
	"  pubkey text NOT NULL, deleted boolean NOT NULL DEFAULT false, "
	"  seq bigint NOT NULL);"
	"CREATE TABLE fnhost_secrets (name text NOT NULL, key text NOT NULL,"
	"  sealed bytea NOT NULL, deleted boolean NOT NULL DEFAULT false, "
	"  seq bigint NOT NULL, PRIMARY KEY (name, key));",
	/* 2: what a catch-up reads, by sequence */
	"CREATE INDEX fnhost_functions_seq ON fnhost_functions (seq);"
	"CREATE INDEX fnhost_aliases_seq ON fnhost_aliases (seq);"
	"CREATE INDEX fnhost_tokens_seq ON fnhost_tokens (seq);"
	"CREATE INDEX fnhost_trusted_seq ON fnhost_trusted (seq);"
	"CREATE INDEX fnhost_secrets_seq ON fnhost_secrets (seq);",
};
#define NMIGRATIONS (sizeof(migrations) / sizeof(migrations[0]))

struct registry {
	struct registry_deps d;
	pthread_mutex_t wlock; /* w: one write transaction at a time */
	PGconn *w;
	pthread_mutex_t alock; /* a and applied: one catch-up at a time */
	PGconn *a;
	int64_t applied; /* the last sequence the cache holds */
	PGconn *l;	 /* the replication thread's, LISTENing */
	pthread_t thread;
	bool started;
	atomic_bool stop;
};

/* ---- connections and statements ------------------------------------------ */

/* libpq's message, its first line, as the reason. */
static int
unavailable(PGconn *c, char *err, size_t errlen, const char *what)
{
	const char *m = c ? PQerrorMessage(c) : "out of memory";
	size_t n = strcspn(m, "\n");

	return err_set(err, errlen, ERR_UNAVAILABLE,
		       "the registry is unavailable (%s): %.*s", what, (int)n,
		       m);
}

/* *c connected, (re)connecting a broken one; the dsn's own
 * connect_timeout wins over this default. */
static int
conn_ok(struct registry *r, PGconn **c, char *err, size_t errlen)
{
	const char *keys[] = { "connect_timeout", "dbname", NULL };
	const char *vals[] = { "3", r->d.cfg->postgres_dsn, NULL };
	int rc;

	if (*c && PQstatus(*c) == CONNECTION_OK)
		return 0;
	PQfinish(*c);
	*c = PQconnectdbParams(keys, vals, 1);
	if (*c && PQstatus(*c) == CONNECTION_OK)
		return 0;
	rc = unavailable(*c, err, errlen, "connect");
	PQfinish(*c);
	*c = NULL;
	return rc;
}

/* Run sql with n text parameters (a NULL lens: all text; fmts[i] 1 for
 * bytes); *res (NULL: not wanted) gets the result to PQclear(). */
static int
run(PGconn *c, const char *sql, int n, const char *const *vals, const int *lens,
    const int *fmts, PGresult **res, char *err, size_t errlen)
{
	PGresult *pr = PQexecParams(c, sql, n, NULL, vals, lens, fmts, 0);
	ExecStatusType st = pr ? PQresultStatus(pr) : PGRES_FATAL_ERROR;
	int rc = 0;

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		rc = unavailable(c, err, errlen, "query");
		PQclear(pr);
		pr = NULL;
	}
	if (res)
		*res = pr;
	else
		PQclear(pr);
	return rc;
}

static int
run0(PGconn *c, const char *sql, char *err, size_t errlen)
{
	return run(c, sql, 0, NULL, NULL, NULL, NULL, err, errlen);
}

static int64_t
int_at(const PGresult *res, int row, int col)
{
	return strtoll(PQgetvalue(res, row, col), NULL, 10);
}

static bool
bool_at(const PGresult *res, int row, int col)
{
	return PQgetvalue(res, row, col)[0] == 't';
}

/* A column into a fixed buffer: false when it does not fit, which a
 * row written by fnhost never does. */
static bool
text_at(const PGresult *res, int row, int col, char *out, size_t len)
{
	const char *v = PQgetvalue(res, row, col);
	size_t n = (size_t)PQgetlength(res, row, col);

	if (n >= len || memchr(v, '\0', n))
		return false;
	memcpy(out, v, n + 1);
	return true;
}

/* ---- schema --------------------------------------------------------------- */

static int
migrate(struct registry *r, char *err, size_t errlen)
{
	PGresult *res = NULL;
	char num[24];
	const char *v[1] = { num };
	int64_t have;
	size_t i;
	int rc;

	rc = run0(r->w, "BEGIN", err, errlen);
	if (rc == 0)
		rc = run0(r->w,
			  "SELECT pg_advisory_xact_lock(" MIGRATE_LOCK ")", err,
			  errlen);
	if (rc == 0)
		rc = run0(r->w,
			  "CREATE TABLE IF NOT EXISTS schema_version ("
			  "version integer PRIMARY KEY, "
			  "applied timestamptz NOT NULL DEFAULT now())",
			  err, errlen);
	if (rc == 0)
		rc = run(r->w,
			 "SELECT coalesce(max(version), 0) FROM schema_version",
			 0, NULL, NULL, NULL, &res, err, errlen);
	if (rc < 0)
		goto out;
	have = int_at(res, 0, 0);
	PQclear(res);
	if (have > (int64_t)NMIGRATIONS) {
		rc = err_set(err, errlen, ERR_UNAVAILABLE,
			     "the registry's schema is version %lld, newer "
			     "than this fnhostd's %zu: upgrade fnhostd",
			     (long long)have, NMIGRATIONS);
		goto out;
	}
	for (i = (size_t)have; rc == 0 && i < NMIGRATIONS; i++) {
		/* Several statements of fixed text: PQexec, no values. */
		res = PQexec(r->w, migrations[i]);
		if (PQresultStatus(res) != PGRES_COMMAND_OK)
			rc = unavailable(r->w, err, errlen, "schema migration");
		PQclear(res);
		snprintf(num, sizeof(num), "%zu", i + 1);
		if (rc == 0)
			rc = run(r->w,
				 "INSERT INTO schema_version (version) "
				 "VALUES ($1)",
				 1, v, NULL, NULL, NULL, err, errlen);
		if (rc == 0)
			log_msg(LOG_LEVEL_INFO,
				"event=schema_migrated version=%zu", i + 1);
	}
	if (rc == 0)
		rc = run0(r->w, "COMMIT", err, errlen);
out:
	if (rc < 0)
		PQclear(PQexec(r->w, "ROLLBACK"));
	return rc;
}

/* ---- bundles -------------------------------------------------------------- */

static void
put_be(unsigned char *p, uint64_t v, int n)
{
	while (n-- > 0) {
		p[n] = (unsigned char)v;
		v >>= 8;
	}
}

static uint64_t
get_be(const unsigned char *p, int n)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

static int
grow(unsigned char **b, size_t *len, size_t *cap, size_t more)
{
	unsigned char *nb;
	size_t want = *len + more;

	if (want <= *cap)
		return 0;
	while (*cap < want)
		*cap = *cap ? *cap * 2 : 65536;
	nb = realloc(*b, *cap);
	if (!nb)
		return -1;
	*b = nb;
	return 0;
}

/*
 * The files of bundles/<checksum> as one body: BUNDLE_MAGIC, then per
 * file a 2-byte name length, the name, an 8-byte length and the bytes
 * (big-endian).  These are the files the deploy uploaded and verified.
 */
static int
bundle_pack(struct store *s, const char *checksum, unsigned char **out,
	    size_t *outlen, char *err, size_t errlen)
{
	char path[PATH_MAX], e[512];
	unsigned char *b = NULL;
	size_t len = 0, cap = 0, nl;
	struct dirent *de;
	struct stat st;
	DIR *dir = NULL;
	int fd = -1, dfd, rc;
	ssize_t got;

	rc = store_bundle_open(s, checksum, &dfd, path, sizeof(path), e,
			       sizeof(e));
	if (rc < 0)
		return err_set(err, errlen, err_kind_of(rc), "%s", e);
	close(dfd);
	dir = opendir(path);
	if (!dir || grow(&b, &len, &cap, sizeof(BUNDLE_MAGIC) - 1) < 0) {
		rc = err_set(err, errlen, ERR_IO, "cannot read %s", path);
		goto out;
	}
	memcpy(b, BUNDLE_MAGIC, sizeof(BUNDLE_MAGIC) - 1);
	len = sizeof(BUNDLE_MAGIC) - 1;
	while ((de = readdir(dir)) != NULL) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		fd = openat(dirfd(dir), de->d_name,
			    O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
			rc = err_set(err, errlen, ERR_IO, "cannot read %s/%s",
				     path, de->d_name);
			goto out;
		}
		nl = strlen(de->d_name);
		if (grow(&b, &len, &cap, 10 + nl + (size_t)st.st_size) < 0) {
			rc = err_set(err, errlen, ERR_INTERNAL,
				     "out of memory");
			goto out;
		}
		put_be(b + len, nl, 2);
		memcpy(b + len + 2, de->d_name, nl);
		put_be(b + len + 2 + nl, (uint64_t)st.st_size, 8);
		len += 10 + nl;
		got = read(fd, b + len, (size_t)st.st_size);
		if (got != st.st_size) {
			rc = err_set(err, errlen, ERR_IO, "cannot read %s/%s",
				     path, de->d_name);
			goto out;
		}
		len += (size_t)got;
		close(fd);
		fd = -1;
	}
	*out = b;
	*outlen = len;
	b = NULL;
out:
	if (fd >= 0)
		close(fd);
	if (dir)
		closedir(dir);
	free(b);
	return rc;
}

/* Write b (a body from the database: hostile) into the staging dir. */
static int
bundle_unpack(int dirfd, const unsigned char *b, size_t len, char *err,
	      size_t errlen)
{
	size_t off = sizeof(BUNDLE_MAGIC) - 1, nl, files = 0;
	char name[BUNDLE_NAME_MAX + 1];
	uint64_t fl;
	ssize_t put;
	int fd;

	if (len < off || memcmp(b, BUNDLE_MAGIC, off))
		return err_set(err, errlen, ERR_BAD_BUNDLE,
			       "not a bundle body");
	while (off < len) {
		if (len - off < 2 || ++files > BUNDLE_MAX_FILES + 2)
			return err_set(err, errlen, ERR_BAD_BUNDLE,
				       "a truncated bundle body");
		nl = get_be(b + off, 2);
		off += 2;
		if (nl == 0 || nl > BUNDLE_NAME_MAX || len - off < nl + 8)
			return err_set(err, errlen, ERR_BAD_BUNDLE,
				       "a bad file name in the bundle body");
		memcpy(name, b + off, nl);
		name[nl] = '\0';
		if (bundle_name_check(name, nl, err, errlen) < 0)
			return -ERR_BAD_BUNDLE;
		off += nl;
		fl = get_be(b + off, 8);
		off += 8;
		if (fl > len - off)
			return err_set(err, errlen, ERR_BAD_BUNDLE,
				       "a truncated bundle body");
		fd = openat(dirfd, name,
			    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
				    O_CLOEXEC,
			    0644);
		if (fd < 0)
			return err_set(err, errlen, ERR_BAD_BUNDLE,
				       "cannot stage '%s': %s", name,
				       strerror(errno));
		put = write(fd, b + off, (size_t)fl);
		close(fd);
		if (put < 0 || (uint64_t)put != fl)
			return err_set(err, errlen, ERR_IO, "cannot stage '%s'",
				       name);
		off += (size_t)fl;
	}
	return 0;
}

/* Pull the bundle checksum from the database into bundles/, verified as
 * a deploy is: signed by a trusted key, every file as its MANIFEST says,
 * and the checksum the one asked for. */
static int
bundle_pull(struct registry *r, const char *checksum, char *err, size_t errlen)
{
	const char *v[1] = { checksum };
	char staging[PATH_MAX] = "", e[512];
	struct bundle_info info;
	unsigned char *body = NULL;
	PGresult *res = NULL;
	size_t blen = 0;
	int dfd = -1, rc;

	rc = run(r->a, "SELECT body FROM fnhost_bundles WHERE checksum = $1", 1,
		 v, NULL, NULL, &res, err, errlen);
	if (rc < 0)
		return rc;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return err_set(err, errlen, ERR_NOT_FOUND,
			       "the registry has no bundle %s", checksum);
	}
	body = PQunescapeBytea((const unsigned char *)PQgetvalue(res, 0, 0),
			       &blen);
	PQclear(res);
	if (!body)
		return err_set(err, errlen, ERR_INTERNAL, "out of memory");
	if (blen > r->d.cfg->max_bundle + (BUNDLE_MAX_FILES + 2) * 512) {
		rc = err_set(err, errlen, ERR_TOO_LARGE,
			     "bundle %s is over max_bundle", checksum);
		goto out;
	}
	rc = store_staging_create(r->d.store, staging, sizeof(staging), &dfd, e,
				  sizeof(e));
	if (rc < 0) {
		err_set(err, errlen, err_kind_of(rc), "%s", e);
		goto out;
	}
	rc = bundle_unpack(dfd, body, blen, e, sizeof(e));
	if (rc == 0)
		rc = trust_verify(r->d.trust, dfd, &info, e, sizeof(e));
	if (rc == 0 && strcmp(info.checksum, checksum) != 0)
		rc = err_set(e, sizeof(e), ERR_BAD_BUNDLE,
			     "its files have checksum %s", info.checksum);
	if (rc == 0) {
		rc = store_bundle_install(r->d.store, staging, &info, e,
					  sizeof(e));
		staging[0] = '\0';
	}
	if (rc < 0)
		err_set(err, errlen, err_kind_of(rc), "bundle %s: %s", checksum,
			e);
out:
	if (dfd >= 0)
		close(dfd);
	if (staging[0] && dfd >= 0)
		store_staging_remove(r->d.store, staging, e, sizeof(e));
	PQfreemem(body);
	return rc;
}

/* ---- catching up ---------------------------------------------------------- */

/* Ids the database holds live, for a full sync's pruning. */
struct idset {
	char (*v)[STORE_TARGET_MAX + STORE_SECRET_KEY_MAX + 2];
	size_t n, cap;
	bool short_of; /* an id could not be added: prune none by it */
};

static int
idset_add(struct idset *s, const char *a, const char *b)
{
	size_t cap = s->cap ? 2 * s->cap : 64;
	void *nv;

	if (s->n == s->cap) {
		/* cap only once it is true: a failed realloc() leaves it. */
		nv = realloc(s->v, cap * sizeof(*s->v));
		if (!nv) {
			s->short_of = true;
			return -1;
		}
		s->v = nv;
		s->cap = cap;
	}
	snprintf(s->v[s->n++], sizeof(*s->v), "%s%s%s", a, b ? "@" : "",
		 b ? b : "");
	return 0;
}

static int
idset_cmp(const void *x, const void *y)
{
	return strcmp(x, y);
}

/* Sort s for idset_has(): a full sync looks up every record the cache
 * holds, so a scan of the set each time is quadratic in the tokens. */
static void
idset_sort(struct idset *s)
{
	if (s->n > 1)
		qsort(s->v, s->n, sizeof(*s->v), idset_cmp);
}

/* Whether s, sorted (idset_sort()), holds a (with "@b" when b). */
static bool
idset_has(const struct idset *s, const char *a, const char *b)
{
	char id[sizeof(*s->v)];

	if (s->n == 0)
		return false;
	snprintf(id, sizeof(id), "%s%s%s", a, b ? "@" : "", b ? b : "");
	return bsearch(id, s->v, s->n, sizeof(*s->v), idset_cmp) != NULL;
}

struct live {
	struct idset functions, aliases, tokens, trusted, secrets;
};

static void
live_free(struct live *l)
{
	free(l->functions.v);
	free(l->aliases.v);
	free(l->tokens.v);
	free(l->trusted.v);
	free(l->secrets.v);
}

/* Log what could not be applied: the row stays in the database, and the
 * next full sync (a restart) tries it again. */
static void
apply_failed(const char *what, const char *id, const char *why)
{
	log_msg(LOG_LEVEL_ERROR, "event=registry_apply_failed %s=%s msg=\"%s\"",
		what, id, why);
}

static bool
apply_trusted(struct registry *r, const PGresult *res, struct live *l)
{
	char keyid[17], e[512];
	const char *text;
	bool changed = false;
	int i, rc;

	for (i = 0; i < PQntuples(res); i++) {
		if (!text_at(res, i, 0, keyid, sizeof(keyid)))
			continue;
		changed = true;
		if (bool_at(res, i, 2)) {
			rc = store_trust_remove(r->d.store, keyid, e,
						sizeof(e));
			if (rc < 0 && rc != -ERR_NOT_FOUND)
				apply_failed("key", keyid, e);
			continue;
		}
		if (l)
			idset_add(&l->trusted, keyid, NULL);
		text = PQgetvalue(res, i, 1);
		rc = store_trust_add(r->d.store, text,
				     (size_t)PQgetlength(res, i, 1), keyid, e,
				     sizeof(e));
		if (rc == -ERR_BAD_KEY) {
			/* Another key under that id: the registry's wins. */
			store_trust_remove(r->d.store, keyid, e, sizeof(e));
			rc = store_trust_add(r->d.store, text,
					     (size_t)PQgetlength(res, i, 1),
					     keyid, e, sizeof(e));
		}
		if (rc < 0)
			apply_failed("key", keyid, e);
	}
	return changed;
}

/* Returns whether a bundle could not be pulled for the database (an
 * error of its own, not of the bundle): the rows are then applied again
 * at the next catch-up rather than left out until a restart. */
static bool
apply_functions(struct registry *r, const PGresult *res, struct live *l)
{
	struct store_function f;
	char path[PATH_MAX], hex[65], e[512];
	bool again = false;
	int i, fd, rc;

	for (i = 0; i < PQntuples(res); i++) {
		memset(&f, 0, sizeof(f));
		if (!text_at(res, i, 0, f.id, sizeof(f.id)))
			continue;
		if (bool_at(res, i, 8)) {
			rc = store_replica_function_remove(r->d.store, f.id, e,
							   sizeof(e));
			if (rc < 0)
				apply_failed("function", f.id, e);
			if (r->d.sessions)
				sessions_forget(r->d.sessions, f.id);
			continue;
		}
		if (l)
			idset_add(&l->functions, f.id, NULL);
		if (!text_at(res, i, 1, f.name, sizeof(f.name)) ||
		    !text_at(res, i, 2, f.version, sizeof(f.version)) ||
		    !text_at(res, i, 3, f.checksum, sizeof(f.checksum)) ||
		    !text_at(res, i, 4, f.plugin, sizeof(f.plugin)) ||
		    !text_at(res, i, 5, hex, sizeof(hex)) ||
		    hex_decode(f.plugin_sha256, sizeof(f.plugin_sha256), hex,
			       strlen(hex)) < 0) {
			apply_failed("function", f.id, "a malformed row");
			continue;
		}
		f.created = int_at(res, i, 6);
		f.number = int_at(res, i, 7);
		rc = store_bundle_open(r->d.store, f.checksum, &fd, path,
				       sizeof(path), e, sizeof(e));
		if (rc == 0)
			close(fd);
		else if (rc == -ERR_NOT_FOUND)
			rc = bundle_pull(r, f.checksum, e, sizeof(e));
		if (rc == -ERR_UNAVAILABLE)
			again = true;
		if (rc == 0)
			rc = store_function_put(r->d.store, &f, e, sizeof(e));
		if (rc < 0) {
			log_msg(LOG_LEVEL_ERROR,
				"event=registry_bundle_refused function=%s "
				"name=%s checksum=%s msg=\"%s\"",
				f.id, f.name, f.checksum, e);
			/* A record kept from before names a bundle this
			 * host no longer has and will not take. */
			store_replica_function_remove(r->d.store, f.id, e,
						      sizeof(e));
		}
	}
	return again;
}

static void
apply_aliases(struct registry *r, const PGresult *res, struct live *l)
{
	struct store_alias a;
	char e[512];
	int i, rc;

	for (i = 0; i < PQntuples(res); i++) {
		memset(&a, 0, sizeof(a));
		if (!text_at(res, i, 0, a.name, sizeof(a.name)) ||
		    !text_at(res, i, 1, a.alias, sizeof(a.alias)))
			continue;
		snprintf(a.id, sizeof(a.id), "%s@%s", a.name, a.alias);
		if (bool_at(res, i, 4)) {
			rc = store_replica_alias_remove(r->d.store, a.name,
							a.alias, e, sizeof(e));
		} else {
			if (l)
				idset_add(&l->aliases, a.id, NULL);
			a.number = int_at(res, i, 2);
			a.set = int_at(res, i, 3);
			rc = store_replica_alias_put(r->d.store, &a, e,
						     sizeof(e));
		}
		if (rc < 0)
			apply_failed("alias", a.id, e);
	}
}

static void
apply_tokens(struct registry *r, const PGresult *res, struct live *l)
{
	struct store_token t;
	char e[512];
	int i;

	for (i = 0; i < PQntuples(res); i++) {
		memset(&t, 0, sizeof(t));
		if (!text_at(res, i, 0, t.jti, sizeof(t.jti)) ||
		    !text_at(res, i, 1, t.function_id, sizeof(t.function_id)) ||
		    !text_at(res, i, 2, t.checksum, sizeof(t.checksum)))
			continue;
		if (l)
			idset_add(&l->tokens, t.jti, NULL);
		t.iat = int_at(res, i, 3);
		t.exp = int_at(res, i, 4);
		t.revoked = bool_at(res, i, 5);
		if (store_token_put(r->d.store, &t, e, sizeof(e)) < 0)
			apply_failed("token", t.jti, e);
	}
}

/* A ready session of name was made with its secrets as they were. */
static void
forget_name(struct registry *r, const char *name)
{
	struct store_function *v = NULL;
	char e[512];
	size_t i, n = 0;

	if (!r->d.sessions ||
	    store_version_list(r->d.store, name, &v, &n, e, sizeof(e)) < 0)
		return;
	for (i = 0; i < n; i++)
		sessions_forget(r->d.sessions, v[i].id);
	free(v);
}

static void
apply_secrets(struct registry *r, const PGresult *res, struct live *l)
{
	char name[BUNDLE_LABEL_MAX + 1], key[STORE_SECRET_KEY_MAX + 1];
	char e[512];
	unsigned char *sealed;
	size_t slen;
	int i, rc;

	for (i = 0; i < PQntuples(res); i++) {
		if (!text_at(res, i, 0, name, sizeof(name)) ||
		    !text_at(res, i, 1, key, sizeof(key)))
			continue;
		if (bool_at(res, i, 3)) {
			rc = store_secret_delete(r->d.store, name, key, e,
						 sizeof(e));
			if (rc < 0 && rc != -ERR_NOT_FOUND)
				apply_failed("secret", name, e);
			forget_name(r, name);
			continue;
		}
		if (l)
			idset_add(&l->secrets, name, key);
		sealed = PQunescapeBytea((const unsigned char *)PQgetvalue(res,
									   i,
									   2),
					 &slen);
		if (!sealed) {
			apply_failed("secret", name, "out of memory");
			continue;
		}
		rc = secrets_cache_put(r->d.secrets, name, key, sealed, slen, e,
				       sizeof(e));
		PQfreemem(sealed);
		if (rc < 0)
			apply_failed("secret", name, e);
		forget_name(r, name);
	}
}

/* A full sync's second half: what the cache holds and the database no
 * longer does goes (a token is revoked rather than forgotten). */
static bool
prune(struct registry *r, struct live *l, bool keys_only)
{
	struct store_function *f = NULL;
	struct store_alias *a = NULL;
	struct store_token *t = NULL;
	struct store_secret_ref *sr = NULL;
	struct minisign_pubkey *k = NULL;
	char e[512], keyid[17];
	size_t i, n;
	bool trust_changed = false;

	if (keys_only)
		goto keys;
	idset_sort(&l->functions);
	idset_sort(&l->aliases);
	idset_sort(&l->tokens);
	idset_sort(&l->secrets);
	if (!l->functions.short_of &&
	    store_function_list(r->d.store, &f, &n, e, sizeof(e)) == 0)
		for (i = 0; i < n; i++)
			if (!idset_has(&l->functions, f[i].id, NULL))
				store_replica_function_remove(r->d.store,
							      f[i].id, e,
							      sizeof(e));
	if (!l->aliases.short_of &&
	    store_replica_alias_all(r->d.store, &a, &n, e, sizeof(e)) == 0)
		for (i = 0; i < n; i++)
			if (!idset_has(&l->aliases, a[i].id, NULL))
				store_replica_alias_remove(r->d.store,
							   a[i].name,
							   a[i].alias, e,
							   sizeof(e));
	if (!l->tokens.short_of &&
	    store_token_list(r->d.store, &t, &n, e, sizeof(e)) == 0)
		for (i = 0; i < n; i++)
			if (!t[i].revoked &&
			    !idset_has(&l->tokens, t[i].jti, NULL))
				store_token_revoke(r->d.store, t[i].jti, e,
						   sizeof(e));
	if (!l->secrets.short_of &&
	    store_secret_list_all(r->d.store, &sr, &n, e, sizeof(e)) == 0)
		for (i = 0; i < n; i++)
			if (!idset_has(&l->secrets, sr[i].name, sr[i].key))
				store_secret_delete(r->d.store, sr[i].name,
						    sr[i].key, e, sizeof(e));
	goto out;
keys:
	idset_sort(&l->trusted);
	if (!l->trusted.short_of &&
	    store_trust_load(r->d.store, &k, &n, e, sizeof(e)) == 0)
		for (i = 0; i < n; i++) {
			minisign_keyid_hex(k[i].key_id, keyid);
			if (!idset_has(&l->trusted, keyid, NULL)) {
				store_trust_remove(r->d.store, keyid, e,
						   sizeof(e));
				trust_changed = true;
			}
		}
out:
	free(f);
	free(a);
	free(t);
	free(sr);
	free(k);
	return trust_changed;
}

/* The rows changed after seq, up to the snapshot's counter, in the order
 * they apply: keys before the functions whose bundles they verify. */
static const char *const changes[] = {
	"SELECT keyid, pubkey, deleted FROM fnhost_trusted "
	"WHERE seq > $1 ORDER BY seq",
	"SELECT id, name, version, checksum, plugin, plugin_sha256, created, "
	"number, deleted FROM fnhost_functions WHERE seq > $1 ORDER BY seq",
	"SELECT name, alias, number, set_at, deleted FROM fnhost_aliases "
	"WHERE seq > $1 ORDER BY seq",
	"SELECT jti, sub, checksum, iat, exp, revoked FROM fnhost_tokens "
	"WHERE seq > $1 ORDER BY seq",
	"SELECT name, key, sealed, deleted FROM fnhost_secrets "
	"WHERE seq > $1 ORDER BY seq",
};
#define NCHANGES (sizeof(changes) / sizeof(changes[0]))

static int
catch_up(struct registry *r, bool full, char *err, size_t errlen)
{
	PGresult *res[NCHANGES] = { NULL }, *top = NULL;
	struct live live, *l = full ? &live : NULL;
	char since[24], e[512];
	const char *v[1] = { since };
	int64_t upto;
	bool trust_changed, again;
	size_t i;
	int rc;

	memset(&live, 0, sizeof(live));
	pthread_mutex_lock(&r->alock);
	rc = conn_ok(r, &r->a, err, errlen);
	if (rc == 0)
		rc = run0(r->a,
			  "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
			  err, errlen);
	if (rc == 0)
		rc = run(r->a, "SELECT seq FROM fnhost_state", 0, NULL, NULL,
			 NULL, &top, err, errlen);
	if (rc < 0)
		goto out;
	/* Nothing but a bad day leaves fnhost_state without its one row;
	 * PQgetvalue() of a row it lacks is NULL. */
	if (PQntuples(top) != 1) {
		PQclear(top);
		rc = err_set(err, errlen, ERR_UNAVAILABLE,
			     "the registry is unavailable: fnhost_state does "
			     "not hold the change counter");
		goto out;
	}
	upto = int_at(top, 0, 0);
	PQclear(top);
	/* A counter below what the cache holds is a database put back
	 * from a backup (or another one): rows it numbers again would be
	 * taken for applied, so the cache is made its copy afresh. */
	if (!full && upto < r->applied) {
		log_msg(LOG_LEVEL_WARN,
			"event=registry_counter_back seq=%lld applied=%lld "
			"msg=\"a full sync\"",
			(long long)upto, (long long)r->applied);
		full = true;
		l = &live;
	}
	snprintf(since, sizeof(since), "%lld",
		 full ? 0LL : (long long)r->applied);
	for (i = 0; rc == 0 && i < NCHANGES && (full || upto > r->applied); i++)
		rc = run(r->a, changes[i], 1, v, NULL, NULL, &res[i], err,
			 errlen);
	if (rc == 0)
		rc = run0(r->a, "COMMIT", err, errlen);
	if (rc < 0)
		goto out;
	if (!full && upto <= r->applied)
		goto out;
	trust_changed = apply_trusted(r, res[0], l);
	if (full)
		trust_changed |= prune(r, l, true);
	/* The keys a pulled bundle is verified with are the new ones. */
	if (trust_changed && trust_reload(r->d.trust, NULL, e, sizeof(e)) < 0)
		apply_failed("trusted", "*", e);
	again = apply_functions(r, res[1], l);
	apply_aliases(r, res[2], l);
	apply_tokens(r, res[3], l);
	apply_secrets(r, res[4], l);
	if (full)
		prune(r, l, false);
	/* Every row is applied again, which is applying it once. */
	if (!again)
		r->applied = upto;
out:
	if (rc < 0 && r->a && PQtransactionStatus(r->a) != PQTRANS_IDLE)
		PQclear(PQexec(r->a, "ROLLBACK"));
	pthread_mutex_unlock(&r->alock);
	for (i = 0; i < NCHANGES; i++)
		PQclear(res[i]);
	live_free(&live);
	return rc;
}

int
registry_catch_up(struct registry *r, char *err, size_t errlen)
{
	return catch_up(r, false, err, errlen);
}

/* ---- the replication thread ---------------------------------------------- */

static void
nap_ms(struct registry *r, int ms)
{
	struct timespec t = { .tv_nsec = 50 * 1000 * 1000 };

	for (; ms > 0 && !atomic_load(&r->stop); ms -= 50)
		nanosleep(&t, NULL);
}

static void *
replicate_main(void *arg)
{
	struct registry *r = arg;
	char err[512];
	int backoff = BACKOFF_MIN_MS, since_ms = 0;
	bool due = true, down = false;
	struct pollfd p;
	PGnotify *nt;

	while (!atomic_load(&r->stop)) {
		if (!r->l || PQstatus(r->l) != CONNECTION_OK) {
			if (conn_ok(r, &r->l, err, sizeof(err)) < 0 ||
			    run0(r->l, "LISTEN fnhost_changes", err,
				 sizeof(err)) < 0) {
				if (!down)
					log_msg(LOG_LEVEL_WARN,
						"event=registry_down msg=\"%s\"",
						err);
				down = true;
				nap_ms(r, backoff);
				backoff = backoff * 2 > BACKOFF_MAX_MS
						  ? BACKOFF_MAX_MS
						  : backoff * 2;
				continue;
			}
			if (down)
				log_msg(LOG_LEVEL_INFO, "event=registry_up");
			down = false;
			backoff = BACKOFF_MIN_MS;
			due = true; /* what was missed while away */
		}
		if (due || since_ms >= REGISTRY_POLL_MS) {
			if (catch_up(r, false, err, sizeof(err)) < 0)
				log_msg(LOG_LEVEL_WARN,
					"event=registry_catch_up_failed "
					"msg=\"%s\"",
					err);
			due = false;
			since_ms = 0;
		}
		p.fd = PQsocket(r->l);
		p.events = POLLIN;
		p.revents = 0;
		if (p.fd < 0 || poll(&p, 1, 100) < 0) {
			PQfinish(r->l);
			r->l = NULL;
			continue;
		}
		since_ms += 100;
		if (!p.revents)
			continue;
		if (!PQconsumeInput(r->l)) {
			PQfinish(r->l);
			r->l = NULL;
			continue;
		}
		while ((nt = PQnotifies(r->l)) != NULL) {
			PQfreemem(nt);
			due = true;
		}
	}
	return NULL;
}

/* ---- open and close ------------------------------------------------------- */

/* The secrets' part (struct secrets_shared), with the writes below. */
static int shared_put(void *ctx, const char *name, const char *key,
		      const void *sealed, size_t len, char *err, size_t errlen);
static void shared_catch_up(void *ctx);
static int shared_reseal(void *ctx, struct hostkeys *k, struct store *cache,
			 size_t *resealed, char *err, size_t errlen);

int
registry_open(const struct registry_deps *deps, struct registry **out,
	      char *err, size_t errlen)
{
	struct registry *r = calloc(1, sizeof(*r));
	int rc;

	if (!r)
		return err_set(err, errlen, ERR_INTERNAL, "out of memory");
	r->d = *deps;
	pthread_mutex_init(&r->wlock, NULL);
	pthread_mutex_init(&r->alock, NULL);
	rc = conn_ok(r, &r->w, err, errlen);
	if (rc == 0)
		rc = migrate(r, err, errlen);
	if (rc == 0)
		rc = catch_up(r, true, err, errlen);
	if (rc < 0) {
		registry_close(r);
		return rc;
	}
	log_msg(LOG_LEVEL_INFO, "event=registry_synced seq=%lld",
		(long long)r->applied);
	secrets_share(r->d.secrets, &(struct secrets_shared){
					    .put = shared_put,
					    .catch_up = shared_catch_up,
					    .reseal = shared_reseal,
					    .ctx = r,
				    });
	*out = r;
	return 0;
}

int
registry_start(struct registry *r, char *err, size_t errlen)
{
	if (pthread_create(&r->thread, NULL, replicate_main, r) != 0)
		return err_set(err, errlen, ERR_INTERNAL,
			       "cannot start the replication thread");
	r->started = true;
	return 0;
}

void
registry_close(struct registry *r)
{
	if (!r)
		return;
	atomic_store(&r->stop, true);
	if (r->started)
		pthread_join(r->thread, NULL);
	if (r->d.secrets)
		secrets_share(r->d.secrets, &(struct secrets_shared){ 0 });
	PQfinish(r->l);
	PQfinish(r->a);
	PQfinish(r->w);
	pthread_mutex_destroy(&r->wlock);
	pthread_mutex_destroy(&r->alock);
	free(r);
}

/* ---- writes --------------------------------------------------------------- */

/* Begin a write: the counter's row lock, held to the commit, orders
 * every write, and *seq (as text) marks the rows this one changes. */
static int
tx_begin(struct registry *r, char seq[24], char *err, size_t errlen)
{
	PGresult *res = NULL;
	int rc;

	pthread_mutex_lock(&r->wlock);
	rc = conn_ok(r, &r->w, err, errlen);
	if (rc == 0)
		rc = run0(r->w, "BEGIN", err, errlen);
	if (rc == 0)
		rc = run(r->w,
			 "UPDATE fnhost_state SET seq = seq + 1 RETURNING seq",
			 0, NULL, NULL, NULL, &res, err, errlen);
	if (rc == 0 && PQntuples(res) != 1)
		rc = err_set(err, errlen, ERR_UNAVAILABLE,
			     "the registry is unavailable: fnhost_state does "
			     "not hold the change counter");
	if (rc == 0) {
		snprintf(seq, 24, "%s", PQgetvalue(res, 0, 0));
		PQclear(res);
		return 0;
	}
	PQclear(res);
	if (r->w && PQtransactionStatus(r->w) != PQTRANS_IDLE)
		PQclear(PQexec(r->w, "ROLLBACK"));
	pthread_mutex_unlock(&r->wlock);
	return rc;
}

/* End a write begun with tx_begin(): commit (with the NOTIFY) when rc is
 * 0, else roll back; then, committed, catch the cache up. */
static int
tx_end(struct registry *r, int rc, bool catch, char *err, size_t errlen)
{
	char e[512];

	if (rc == 0)
		rc = run0(r->w, "NOTIFY fnhost_changes", err, errlen);
	if (rc == 0)
		rc = run0(r->w, "COMMIT", err, errlen);
	if (rc < 0 && r->w && PQtransactionStatus(r->w) != PQTRANS_IDLE)
		PQclear(PQexec(r->w, "ROLLBACK"));
	pthread_mutex_unlock(&r->wlock);
	/* Committed: the write stands even if this host's copy of it must
	 * wait for the replication thread. */
	if (rc == 0 && catch && catch_up(r, false, e, sizeof(e)) < 0)
		log_msg(LOG_LEVEL_WARN,
			"event=registry_catch_up_failed msg=\"%s\"", e);
	return rc;
}

static int
one_row(PGresult *res)
{
	int n = PQntuples(res);

	PQclear(res);
	return n;
}

int
registry_deploy_record(void *ctx, struct store *s, struct store_function *f,
		       char *err, size_t errlen)
{
	struct registry *r = ctx;
	char seq[24], now[24], created[24], number[24], hex[65];
	unsigned char *body = NULL;
	size_t blen = 0;
	PGresult *res = NULL;
	int rc;

	rc = bundle_pack(s, f->checksum, &body, &blen, err, errlen);
	if (rc == 0)
		rc = store_replica_new_id(s, f->id, err, errlen);
	if (rc < 0)
		goto done;
	hex_encode(hex, f->plugin_sha256, sizeof(f->plugin_sha256));
	snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
	snprintf(created, sizeof(created), "%lld", (long long)f->created);
	rc = tx_begin(r, seq, err, errlen);
	if (rc < 0)
		goto done;
	{
		const char *v[] = { f->name, f->checksum };

		rc = run(r->w,
			 "SELECT id, number, version, plugin, created "
			 "FROM fnhost_functions WHERE name = $1 AND "
			 "checksum = $2 AND NOT deleted",
			 2, v, NULL, NULL, &res, err, errlen);
	}
	if (rc == 0 && PQntuples(res) == 1) {
		/* A redeploy: that version, and "latest" at it. */
		text_at(res, 0, 0, f->id, sizeof(f->id));
		f->number = int_at(res, 0, 1);
		text_at(res, 0, 2, f->version, sizeof(f->version));
		text_at(res, 0, 3, f->plugin, sizeof(f->plugin));
		f->created = int_at(res, 0, 4);
	} else if (rc == 0) {
		const char *bv[] = { f->checksum, (const char *)body, now };
		const int bl[] = { 0, (int)blen, 0 }, bf[] = { 0, 1, 0 };
		const char *hv[] = { f->name, now, seq };

		if (blen > INT32_MAX)
			rc = err_set(err, errlen, ERR_TOO_LARGE,
				     "the bundle is too large for the "
				     "registry");
		if (rc == 0)
			rc = run(r->w,
				 "INSERT INTO fnhost_bundles (checksum, body, "
				 "created) VALUES ($1, $2, $3) "
				 "ON CONFLICT (checksum) DO NOTHING",
				 3, bv, bl, bf, NULL, err, errlen);
		if (rc == 0)
			rc = run(r->w,
				 "INSERT INTO fnhost_aliases (name, alias, "
				 "number, set_at, seq) VALUES ($1, 'highest', "
				 "0, $2, $3) ON CONFLICT (name, alias) DO "
				 "NOTHING",
				 3, hv, NULL, NULL, NULL, err, errlen);
		PQclear(res);
		res = NULL;
		/* One more than the highest the name ever had. */
		if (rc == 0)
			rc = run(r->w,
				 "UPDATE fnhost_aliases SET number = "
				 "greatest(number, (SELECT coalesce(max(number),"
				 " 0) FROM fnhost_functions WHERE name = $1)) "
				 "+ 1, set_at = $2, seq = $3, deleted = false "
				 "WHERE name = $1 AND alias = 'highest' "
				 "RETURNING number",
				 3, hv, NULL, NULL, &res, err, errlen);
		if (rc == 0) {
			f->number = int_at(res, 0, 0);
			snprintf(number, sizeof(number), "%lld",
				 (long long)f->number);
		}
		if (rc == 0) {
			const char *fv[] = { f->id,	  f->name,   f->version,
					     f->checksum, f->plugin, hex,
					     created,	  number,    seq };

			rc = run(r->w,
				 "INSERT INTO fnhost_functions (id, name, "
				 "version, checksum, plugin, plugin_sha256, "
				 "created, number, seq) VALUES ($1, $2, $3, "
				 "$4, $5, $6, $7, $8, $9)",
				 9, fv, NULL, NULL, NULL, err, errlen);
		}
	}
	PQclear(res);
	snprintf(number, sizeof(number), "%lld", (long long)f->number);
	if (rc == 0) {
		const char *lv[] = { f->name, number, now, seq };

		rc = run(r->w,
			 "INSERT INTO fnhost_aliases (name, alias, number, "
			 "set_at, seq) VALUES ($1, 'latest', $2, $3, $4) "
			 "ON CONFLICT (name, alias) DO UPDATE SET number = $2,"
			 " set_at = $3, seq = $4, deleted = false",
			 4, lv, NULL, NULL, NULL, err, errlen);
	}
	/* The trusted keys' lock is held here: the caller catches up. */
	rc = tx_end(r, rc, false, err, errlen);
done:
	free(body);
	return rc;
}

int
registry_version_delete(struct registry *r, const char *id, char *err,
			size_t errlen)
{
	char seq[24], name[BUNDLE_LABEL_MAX + 1], number[24], alias[64];
	PGresult *res = NULL;
	int rc = tx_begin(r, seq, err, errlen);

	if (rc < 0)
		return rc;
	{
		const char *v[] = { id };

		rc = run(r->w,
			 "SELECT name, number FROM fnhost_functions "
			 "WHERE id = $1 AND NOT deleted FOR UPDATE",
			 1, v, NULL, NULL, &res, err, errlen);
	}
	if (rc == 0 && PQntuples(res) != 1)
		rc = err_set(err, errlen, ERR_NOT_FOUND, "no function '%s'",
			     id);
	if (rc == 0) {
		text_at(res, 0, 0, name, sizeof(name));
		text_at(res, 0, 1, number, sizeof(number));
	}
	PQclear(res);
	res = NULL;
	if (rc == 0) {
		const char *v[] = { name, number };

		rc = run(r->w,
			 "SELECT alias FROM fnhost_aliases WHERE name = $1 "
			 "AND number = $2 AND NOT deleted AND alias NOT IN "
			 "('latest', 'highest') ORDER BY alias LIMIT 1",
			 2, v, NULL, NULL, &res, err, errlen);
	}
	if (rc == 0 && PQntuples(res) == 1) {
		text_at(res, 0, 0, alias, sizeof(alias));
		rc = err_set(err, errlen, ERR_CONFLICT,
			     "alias %s points at version %s of '%s': move it "
			     "first",
			     alias, number, name);
	}
	PQclear(res);
	if (rc == 0) {
		const char *v[] = { id, seq };

		rc = run(r->w,
			 "UPDATE fnhost_functions SET deleted = true, "
			 "seq = $2 WHERE id = $1",
			 2, v, NULL, NULL, NULL, err, errlen);
	}
	/* "latest" to the newest left, or gone with the last one. */
	if (rc == 0) {
		const char *v[] = { name, number, seq };

		rc = run(r->w,
			 "UPDATE fnhost_aliases SET seq = $3, "
			 "number = coalesce((SELECT max(number) FROM "
			 "fnhost_functions WHERE name = $1 AND NOT deleted), "
			 "number), deleted = NOT EXISTS (SELECT 1 FROM "
			 "fnhost_functions WHERE name = $1 AND NOT deleted) "
			 "WHERE name = $1 AND alias = 'latest' AND "
			 "number = $2 AND NOT deleted",
			 3, v, NULL, NULL, NULL, err, errlen);
	}
	return tx_end(r, rc, true, err, errlen);
}

/* The alias as written, into *a (NULL: not wanted): the answer does not
 * wait on this host's copy of it. */
static void
alias_answer(const char *name, const char *alias, int64_t number,
	     const char *now, struct store_alias *a)
{
	if (!a)
		return;
	memset(a, 0, sizeof(*a));
	snprintf(a->id, sizeof(a->id), "%s@%s", name, alias);
	snprintf(a->name, sizeof(a->name), "%s", name);
	snprintf(a->alias, sizeof(a->alias), "%s", alias);
	a->number = number;
	a->set = strtoll(now, NULL, 10);
}

int
registry_alias_set(struct registry *r, const char *name, const char *alias,
		   int64_t number, struct store_alias *a, char *err,
		   size_t errlen)
{
	char seq[24], num[24], now[24];
	PGresult *res = NULL;
	int rc;

	if (!store_replica_alias_ok(alias) ||
	    !strcmp(alias, STORE_ALIAS_HIGHEST))
		return err_set(err, errlen, ERR_INVALID, "bad alias '%.40s'",
			       alias);
	snprintf(num, sizeof(num), "%lld", (long long)number);
	snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
	rc = tx_begin(r, seq, err, errlen);
	if (rc < 0)
		return rc;
	{
		const char *v[] = { name, num };

		rc = run(r->w,
			 "SELECT 1 FROM fnhost_functions WHERE name = $1 AND "
			 "number = $2 AND NOT deleted",
			 2, v, NULL, NULL, &res, err, errlen);
	}
	if (rc == 0 && one_row(res) != 1)
		rc = err_set(err, errlen, ERR_NOT_FOUND,
			     "no version %s of '%s'", num, name);
	if (rc == 0) {
		const char *v[] = { name, alias, num, now, seq };

		rc = run(r->w,
			 "INSERT INTO fnhost_aliases (name, alias, number, "
			 "set_at, seq) VALUES ($1, $2, $3, $4, $5) "
			 "ON CONFLICT (name, alias) DO UPDATE SET number = $3,"
			 " set_at = $4, seq = $5, deleted = false",
			 5, v, NULL, NULL, NULL, err, errlen);
	}
	rc = tx_end(r, rc, true, err, errlen);
	if (rc == 0)
		alias_answer(name, alias, number, now, a);
	return rc;
}

int
registry_alias_rollback(struct registry *r, const char *name, const char *alias,
			struct store_alias *a, char *err, size_t errlen)
{
	char seq[24], now[24], cur[24] = "", to[24] = "";
	PGresult *res = NULL;
	int rc;

	snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
	rc = tx_begin(r, seq, err, errlen);
	if (rc < 0)
		return rc;
	{
		const char *v[] = { name, alias };

		rc = run(r->w,
			 "SELECT a.number, (SELECT max(f.number) FROM "
			 "fnhost_functions f WHERE f.name = $1 AND NOT "
			 "f.deleted AND f.number < a.number) FROM "
			 "fnhost_aliases a WHERE a.name = $1 AND a.alias = $2 "
			 "AND NOT a.deleted",
			 2, v, NULL, NULL, &res, err, errlen);
	}
	if (rc == 0 && PQntuples(res) != 1)
		rc = err_set(err, errlen, ERR_NOT_FOUND, "no alias '%s@%s'",
			     name, alias);
	if (rc == 0) {
		text_at(res, 0, 0, cur, sizeof(cur));
		text_at(res, 0, 1, to, sizeof(to));
		if (to[0] == '\0')
			rc = err_set(err, errlen, ERR_CONFLICT,
				     "%s@%s points at version %s: no older "
				     "version to roll back to",
				     name, alias, cur);
	}
	PQclear(res);
	if (rc == 0) {
		const char *v[] = { name, alias, to, now, seq };

		rc = run(r->w,
			 "UPDATE fnhost_aliases SET number = $3, set_at = $4,"
			 " seq = $5 WHERE name = $1 AND alias = $2",
			 5, v, NULL, NULL, NULL, err, errlen);
	}
	rc = tx_end(r, rc, true, err, errlen);
	if (rc == 0)
		alias_answer(name, alias, strtoll(to, NULL, 10), now, a);
	return rc;
}

int
registry_alias_delete(struct registry *r, const char *name, const char *alias,
		      char *err, size_t errlen)
{
	char seq[24];
	PGresult *res = NULL;
	int rc;

	if (!strcmp(alias, STORE_ALIAS_LATEST) ||
	    !strcmp(alias, STORE_ALIAS_HIGHEST))
		return err_set(err, errlen, ERR_INVALID,
			       "'%s' is kept by the host: roll it back or set "
			       "it instead",
			       alias);
	rc = tx_begin(r, seq, err, errlen);
	if (rc < 0)
		return rc;
	{
		const char *v[] = { name, alias, seq };

		rc = run(r->w,
			 "UPDATE fnhost_aliases SET deleted = true, seq = $3 "
			 "WHERE name = $1 AND alias = $2 AND NOT deleted "
			 "RETURNING 1",
			 3, v, NULL, NULL, &res, err, errlen);
	}
	if (rc == 0 && one_row(res) != 1)
		rc = err_set(err, errlen, ERR_NOT_FOUND, "no alias '%s@%s'",
			     name, alias);
	return tx_end(r, rc, true, err, errlen);
}

int
registry_token_put(struct registry *r, const struct store_token *t, char *err,
		   size_t errlen)
{
	char seq[24], iat[24], exp[24];
	int rc;

	snprintf(iat, sizeof(iat), "%lld", (long long)t->iat);
	snprintf(exp, sizeof(exp), "%lld", (long long)t->exp);
	rc = tx_begin(r, seq, err, errlen);
	if (rc < 0)
		return rc;
	{
		const char *v[] = { t->jti,	 t->function_id,
				    t->checksum, iat,
				    exp,	 t->revoked ? "t" : "f",
				    seq };

		rc = run(r->w,
			 "INSERT INTO fnhost_tokens (jti, sub, checksum, iat,"
			 " exp, revoked, seq) VALUES ($1, $2, $3, $4, $5, $6,"
			 " $7)",
			 7, v, NULL, NULL, NULL, err, errlen);
	}
	return tx_end(r, rc, true, err, errlen);
}

int
registry_token_revoke(struct registry *r, const char *jti, char *err,
		      size_t errlen)
{
	char seq[24];
	PGresult *res = NULL;
	int rc = tx_begin(r, seq, err, errlen);

	if (rc < 0)
		return rc;
	{
		const char *v[] = { jti, seq };

		rc = run(r->w,
			 "UPDATE fnhost_tokens SET revoked = true, seq = $2 "
			 "WHERE jti = $1 RETURNING 1",
			 2, v, NULL, NULL, &res, err, errlen);
	}
	if (rc == 0 && one_row(res) != 1)
		rc = err_set(err, errlen, ERR_NOT_FOUND, "no token '%.40s'",
			     jti);
	return tx_end(r, rc, true, err, errlen);
}

int
registry_trust_add(struct registry *r, const char *text, size_t len,
		   char keyid[17], char *err, size_t errlen)
{
	struct minisign_pubkey pk;
	char canon[MINISIGN_FILE_MAX], seq[24], e[256];
	PGresult *res = NULL;
	int n, rc;

	if (len > MINISIGN_FILE_MAX)
		return err_set(err, errlen, ERR_BAD_KEY,
			       "a public key file is at most %d bytes",
			       MINISIGN_FILE_MAX);
	if (minisign_pubkey_parse(text, len, &pk, e, sizeof(e)) < 0)
		return err_set(err, errlen, ERR_BAD_KEY, "%s", e);
	n = minisign_pubkey_format(&pk, canon, sizeof(canon));
	if (n < 0)
		return err_set(err, errlen, ERR_BAD_KEY,
			       "cannot format the key");
	minisign_keyid_hex(pk.key_id, keyid);
	rc = tx_begin(r, seq, err, errlen);
	if (rc < 0)
		return rc;
	{
		const char *v[] = { keyid };

		rc = run(r->w,
			 "SELECT pubkey FROM fnhost_trusted WHERE keyid = $1 "
			 "AND NOT deleted",
			 1, v, NULL, NULL, &res, err, errlen);
	}
	if (rc == 0 && PQntuples(res) == 1 &&
	    strcmp(PQgetvalue(res, 0, 0), canon) != 0)
		rc = err_set(err, errlen, ERR_BAD_KEY,
			     "a different key with id %s is already trusted",
			     keyid);
	PQclear(res);
	if (rc == 0) {
		const char *v[] = { keyid, canon, seq };

		rc = run(r->w,
			 "INSERT INTO fnhost_trusted (keyid, pubkey, seq) "
			 "VALUES ($1, $2, $3) ON CONFLICT (keyid) DO UPDATE "
			 "SET pubkey = $2, seq = $3, deleted = false",
			 3, v, NULL, NULL, NULL, err, errlen);
	}
	return tx_end(r, rc, true, err, errlen);
}

int
registry_trust_remove(struct registry *r, const char *keyid, char *err,
		      size_t errlen)
{
	char seq[24];
	PGresult *res = NULL;
	int rc = tx_begin(r, seq, err, errlen);

	if (rc < 0)
		return rc;
	{
		const char *v[] = { keyid, seq };

		rc = run(r->w,
			 "UPDATE fnhost_trusted SET deleted = true, seq = $2 "
			 "WHERE keyid = $1 AND NOT deleted RETURNING 1",
			 2, v, NULL, NULL, &res, err, errlen);
	}
	if (rc == 0 && one_row(res) != 1)
		rc = err_set(err, errlen, ERR_NOT_FOUND,
			     "no trusted key '%.20s'", keyid);
	return tx_end(r, rc, true, err, errlen);
}

/* secrets_shared's put(): sealed as secrets_put() checked and resealed
 * it, not caught up (the caller holds keys_lock). */
static int
shared_put(void *ctx, const char *name, const char *key, const void *sealed,
	   size_t len, char *err, size_t errlen)
{
	struct registry *r = ctx;
	char seq[24], max[24];
	PGresult *res = NULL;
	int rc;

	if (!store_secret_name_ok(name) || !store_secret_key_ok(key))
		return err_set(err, errlen, ERR_INVALID,
			       "bad secret name or key");
	snprintf(max, sizeof(max), "%d", STORE_SECRETS_PER_NAME);
	rc = tx_begin(r, seq, err, errlen);
	if (rc < 0)
		return rc;
	{
		const char *v[] = { name, key, max };

		rc = run(r->w,
			 "SELECT count(*) >= $3::int AND NOT bool_or(key = $2)"
			 " FROM fnhost_secrets WHERE name = $1 AND NOT deleted",
			 3, v, NULL, NULL, &res, err, errlen);
	}
	if (rc == 0 && bool_at(res, 0, 0))
		rc = err_set(err, errlen, ERR_LIMIT,
			     "'%s' holds %d secrets already", name,
			     STORE_SECRETS_PER_NAME);
	PQclear(res);
	if (rc == 0) {
		const char *v[] = { name, key, sealed, seq };
		const int l[] = { 0, 0, (int)len, 0 }, f[] = { 0, 0, 1, 0 };

		rc = run(r->w,
			 "INSERT INTO fnhost_secrets (name, key, sealed, seq) "
			 "VALUES ($1, $2, $3, $4) ON CONFLICT (name, key) DO "
			 "UPDATE SET sealed = $3, seq = $4, deleted = false",
			 4, v, l, f, NULL, err, errlen);
	}
	return tx_end(r, rc, false, err, errlen);
}

/* secrets_shared's catch_up(). */
static void
shared_catch_up(void *ctx)
{
	char e[512];

	if (catch_up(ctx, false, e, sizeof(e)) < 0)
		log_msg(LOG_LEVEL_WARN,
			"event=registry_catch_up_failed msg=\"%s\"", e);
}

/* The cache holds sealed as name's key, written only when it holds
 * another text. */
static int
cache_hold(struct store *cache, const char *name, const char *key,
	   const unsigned char *sealed, size_t len, char *err, size_t errlen)
{
	unsigned char *held = NULL;
	size_t hlen = 0;
	bool same;

	same = store_secret_get(cache, name, key, &held, &hlen, err, errlen) ==
		       0 &&
	       hlen == len && !memcmp(held, sealed, len);
	free(held);
	if (same)
		return 0;
	return store_secret_put(cache, name, key, sealed, len, err, errlen);
}

/* One row (name, key, sealed) of shared_reseal()'s listing. */
static int
reseal_row(struct registry *r, struct hostkeys *k, struct store *cache,
	   const PGresult *res, int row, const char *seq, size_t *resealed,
	   char *err, size_t errlen)
{
	char name[BUNDLE_LABEL_MAX + 1], key[STORE_SECRET_KEY_MAX + 1];
	unsigned char *sealed, *now = NULL;
	size_t slen, nlen = 0;
	char e[256];
	int rc = 0;

	if (!text_at(res, row, 0, name, sizeof(name)) ||
	    !text_at(res, row, 1, key, sizeof(key)))
		return 0; /* not a row fnhost wrote */
	sealed = PQunescapeBytea((const unsigned char *)PQgetvalue(res, row, 2),
				 &slen);
	if (!sealed)
		return err_set(err, errlen, ERR_INTERNAL, "out of memory");
	if (hostkeys_reseal_secret(k, name, key, sealed, slen, &now, &nlen, e,
				   sizeof(e)) < 0) {
		log_msg(LOG_LEVEL_WARN,
			"event=secret_unopenable function=%s key=%s "
			"msg=\"%s; set it again\"",
			name, key, e);
		goto out;
	}
	if (now) {
		const char *v[] = { name, key, (const char *)now, seq };
		const int l[] = { 0, 0, (int)nlen, 0 }, f[] = { 0, 0, 1, 0 };

		rc = run(r->w,
			 "UPDATE fnhost_secrets SET sealed = $3, seq = $4 "
			 "WHERE name = $1 AND key = $2",
			 4, v, l, f, NULL, err, errlen);
		if (rc == 0)
			(*resealed)++;
	}
	if (rc == 0)
		rc = cache_hold(cache, name, key, now ? now : sealed,
				now ? nlen : slen, err, errlen);
out:
	PQfreemem(sealed);
	free(now); /* sealed: nothing to wipe */
	return rc;
}

/*
 * secrets_shared's reseal(), as one write: the change counter's lock,
 * held to the commit, keeps every other write out meanwhile.  Not caught
 * up (the caller holds keys_lock); the other hosts reseal nothing, they
 * take the new texts as they replicate, or at their own pass once they
 * have the new key.  A commit that fails leaves the cache holding texts
 * that open as the registry's still do.
 */
static int
shared_reseal(void *ctx, struct hostkeys *k, struct store *cache,
	      size_t *resealed, char *err, size_t errlen)
{
	struct registry *r = ctx;
	PGresult *res = NULL;
	char seq[24];
	int i, rc;

	rc = tx_begin(r, seq, err, errlen);
	if (rc < 0)
		return rc;
	rc = run(r->w,
		 "SELECT name, key, sealed FROM fnhost_secrets "
		 "WHERE NOT deleted ORDER BY name, key",
		 0, NULL, NULL, NULL, &res, err, errlen);
	for (i = 0; rc == 0 && i < PQntuples(res); i++)
		rc = reseal_row(r, k, cache, res, i, seq, resealed, err,
				errlen);
	PQclear(res);
	return tx_end(r, rc, false, err, errlen);
}

int
registry_secret_delete(struct registry *r, const char *name, const char *key,
		       char *err, size_t errlen)
{
	char seq[24];
	PGresult *res = NULL;
	int rc = tx_begin(r, seq, err, errlen);

	if (rc < 0)
		return rc;
	{
		const char *v[] = { name, key, seq };

		rc = run(r->w,
			 "UPDATE fnhost_secrets SET deleted = true, seq = $3 "
			 "WHERE name = $1 AND key = $2 AND NOT deleted "
			 "RETURNING 1",
			 3, v, NULL, NULL, &res, err, errlen);
	}
	if (rc == 0 && one_row(res) != 1)
		rc = err_set(err, errlen, ERR_NOT_FOUND, "no secret %s of '%s'",
			     key, name);
	return tx_end(r, rc, true, err, errlen);
}
