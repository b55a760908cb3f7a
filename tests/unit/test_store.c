/*
 * test_store.c: the daemon's store (host/daemon/store*.c) in a fresh temporary
 * DATADIR per test: its layout and modes, atomic writes, records and
 * their exact bytes on disk, hostile ids, corrupt records, trusted keys
 * (the known-answer key made by the real minisign, tests/kat/bundle/),
 * bundle installs, the error kind of every refusal (not found, I/O,
 * invalid), and what store_open() cleans after a simulated crash.
 * When run as root, the bundle life cycle is also run as 'nobody', where
 * read-only directories are not writable by privilege.  Run from the top
 * of the source tree.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/err.h"
#include "base/fileio.h"
#include "formats/bundle.h"
#include "formats/minisign.h"
#include "daemon/store.h"

#define KAT_PUB "tests/kat/bundle/minisign.pub"
#define KAT_KEYID "80B9BEDD8695DEF3"
#define SUM_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SUM_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define SUM_C "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
#define SUM_D "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
#define ID_1 "AAAAAAAAAAAAAAAAAAAAA1"
#define JTI_1 "0123456789abcdef0123456789abcdef"
#define JTI_2 "fedcba9876543210fedcba9876543210"
#define JTI_3 "00000000000000000000000000000003"

struct fixture {
	char root[PATH_MAX]; /* mkdtemp() dir, holds data/ */
	char data[PATH_MAX]; /* DATADIR */
	struct store *s;
	char err[1024];
};

/* ---- helpers ------------------------------------------------------------- */

static void __attribute__((format(printf, 2, 3)))
pathf(char out[PATH_MAX], const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(out, PATH_MAX, fmt, ap);
	va_end(ap);
	assert_true(n > 0 && n < PATH_MAX);
}

static void
file_put(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	size_t len = strlen(text);

	if (fd < 0)
		fail_msg("cannot create %s: %s", path, strerror(errno));
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

/* The file's bytes (NUL-terminated, malloc()ed) and length. */
static char *
file_get(const char *path, size_t *len)
{
	char *buf = malloc(65536);
	ssize_t n;
	int fd;

	assert_non_null(buf);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fail_msg("cannot open %s: %s", path, strerror(errno));
	n = read(fd, buf, 65535);
	assert_true(n >= 0);
	buf[n] = '\0';
	close(fd);
	if (len != NULL)
		*len = (size_t)n;
	return buf;
}

static int
exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static unsigned int
mode_of(const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		fail_msg("cannot stat %s: %s", path, strerror(errno));
	return st.st_mode & 07777;
}

/* Entries of dir (besides . and ..) whose name starts with prefix. */
static int
count_entries(const char *dir, const char *prefix)
{
	struct dirent *de;
	int n = 0;
	DIR *d = opendir(dir);

	if (d == NULL)
		fail_msg("cannot list %s: %s", dir, strerror(errno));
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
		    !strncmp(de->d_name, prefix, strlen(prefix)))
			n++;
	closedir(d);
	return n;
}

static void
assert_err(const char *err, const char *want)
{
	if (strstr(err, want) == NULL)
		fail_msg("error '%s' does not mention '%s'", err, want);
}

static void
store_reopen(struct fixture *t)
{
	store_close(t->s);
	t->s = NULL;
	if (store_open(t->data, &t->s, t->err, sizeof(t->err)) < 0)
		fail_msg("store_open: %s", t->err);
}

static void
fn_make(struct store_function *f, const char *name, const char *checksum,
	int64_t created)
{
	memset(f, 0, sizeof(*f));
	snprintf(f->name, sizeof(f->name), "%s", name);
	snprintf(f->version, sizeof(f->version), "1.0");
	snprintf(f->checksum, sizeof(f->checksum), "%s", checksum);
	snprintf(f->plugin, sizeof(f->plugin), "%s.so", name);
	memset(f->plugin_sha256, 0xab, sizeof(f->plugin_sha256));
	f->created = created;
	f->number = 1;
}

static void
fn_put(struct fixture *t, struct store_function *f)
{
	if (store_function_put(t->s, f, t->err, sizeof(t->err)) < 0)
		fail_msg("store_function_put: %s", t->err);
}

static void
tok_make(struct store_token *k, const char *jti, const char *fid,
	 const char *fch, int64_t iat, int64_t exp)
{
	memset(k, 0, sizeof(*k));
	snprintf(k->jti, sizeof(k->jti), "%s", jti);
	snprintf(k->function_id, sizeof(k->function_id), "%s", fid);
	snprintf(k->checksum, sizeof(k->checksum), "%s", fch);
	k->iat = iat;
	k->exp = exp;
}

/* A bundle dir under data/bundles as a finished install leaves it. */
static void
bundle_fake(struct fixture *t, const char *checksum, unsigned int mode)
{
	char p[PATH_MAX];

	pathf(p, "%s/bundles/%s", t->data, checksum);
	assert_int_equal(mkdir(p, 0700), 0);
	pathf(p, "%s/bundles/%s/x.so", t->data, checksum);
	file_put(p, "bytes", 0444);
	pathf(p, "%s/bundles/%s", t->data, checksum);
	assert_int_equal(chmod(p, mode), 0);
}

/* A staging dir with the given files (name, content pairs, NULL-ended). */
static void
staging_fill(struct fixture *t, char path[PATH_MAX], ...)
{
	const char *name, *text;
	va_list ap;
	int dfd, fd;

	if (store_staging_create(t->s, path, PATH_MAX, &dfd, t->err,
				 sizeof(t->err)) < 0)
		fail_msg("store_staging_create: %s", t->err);
	va_start(ap, path);
	while ((name = va_arg(ap, const char *)) != NULL) {
		text = va_arg(ap, const char *);
		fd = openat(dfd, name,
			    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
				    O_CLOEXEC,
			    0644);
		assert_true(fd >= 0);
		assert_int_equal(write(fd, text, strlen(text)),
				 (ssize_t)strlen(text));
		close(fd);
	}
	va_end(ap);
	close(dfd);
}

static void
info_make(struct bundle_info *info, const char *checksum)
{
	memset(info, 0, sizeof(*info));
	snprintf(info->checksum, sizeof(info->checksum), "%s", checksum);
	snprintf(info->name, sizeof(info->name), "fn");
	snprintf(info->version, sizeof(info->version), "1");
	snprintf(info->plugin, sizeof(info->plugin), "fn.so");
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

static int
chmod_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)ftw;
	if (flag == FTW_D && (st->st_mode & 0700) != 0700)
		chmod(path, 0700);
	return 0;
}

/* Remove a tree that holds read-only dirs, without following links. */
static void
rm_tree(const char *path)
{
	nftw(path, chmod_one, 16, FTW_PHYS);
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static int
setup(void **state)
{
	struct fixture *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	pathf(t->root, "/tmp/test_store.XXXXXX");
	assert_non_null(mkdtemp(t->root));
	pathf(t->data, "%s/data", t->root);
	if (store_open(t->data, &t->s, t->err, sizeof(t->err)) < 0)
		fail_msg("store_open: %s", t->err);
	*state = t;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *t = *state;

	store_close(t->s);
	rm_tree(t->root);
	free(t);
	return 0;
}

/* ---- layout and atomic writes -------------------------------------------- */

static void
test_layout(void **state)
{
	static const char *const dirs[] = {
		"keys", "trusted", "bundles", "functions", "tokens", "tmp",
	};
	struct fixture *t = *state;
	struct store *other;
	char p[PATH_MAX];
	size_t i;

	assert_string_equal(store_path(t->s), t->data);
	assert_int_equal(mode_of(t->data), 0700);
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		pathf(p, "%s/%s", t->data, dirs[i]);
		assert_int_equal(mode_of(p), 0700);
	}
	/* A second daemon on the same DATADIR is refused. */
	assert_int_equal(store_open(t->data, &other, t->err, sizeof(t->err)),
			 -ERR_IO);
	assert_err(t->err, "in use by another fnhostd");
	/* A loose subdirectory mode is tightened; a trailing '/' is the
	 * same store. */
	pathf(p, "%s/functions", t->data);
	assert_int_equal(chmod(p, 0755), 0);
	store_close(t->s);
	t->s = NULL;
	pathf(p, "%s/", t->data);
	assert_int_equal(store_open(p, &t->s, t->err, sizeof(t->err)), 0);
	assert_string_equal(store_path(t->s), t->data);
	pathf(p, "%s/functions", t->data);
	assert_int_equal(mode_of(p), 0700);
}

static void
test_open_refuses(void **state)
{
	struct fixture *t = *state;
	struct store *s2;
	char p[PATH_MAX], q[PATH_MAX];

	/* DATADIR as a link, a subdirectory as a link, a DATADIR others
	 * may write to, and an empty path. */
	pathf(p, "%s/link", t->root);
	assert_int_equal(symlink(t->data, p), 0);
	assert_int_equal(store_open(p, &s2, t->err, sizeof(t->err)), -ERR_IO);
	assert_err(t->err, "not a link");

	store_close(t->s);
	t->s = NULL;
	pathf(p, "%s/keys", t->data);
	pathf(q, "%s/elsewhere", t->root);
	assert_int_equal(rename(p, q), 0);
	assert_int_equal(symlink(q, p), 0);
	assert_int_equal(store_open(t->data, &s2, t->err, sizeof(t->err)),
			 -ERR_IO);
	assert_err(t->err, "/keys");
	assert_err(t->err, "not a link");
	assert_int_equal(unlink(p), 0);
	assert_int_equal(rename(q, p), 0);

	assert_int_equal(chmod(t->data, 0777), 0);
	assert_int_equal(store_open(t->data, &s2, t->err, sizeof(t->err)),
			 -ERR_IO);
	assert_err(t->err, "writable by group or others");
	assert_int_equal(chmod(t->data, 0700), 0);

	assert_int_equal(store_open("", &s2, t->err, sizeof(t->err)),
			 -ERR_INVALID);
	store_reopen(t);
}

static void
test_write_atomic(void **state)
{
	struct fixture *t = *state;
	char p[PATH_MAX], *text;
	int fd;

	pathf(p, "%s/tmp", t->data);
	fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(fileio_replace(fd, "f", "one", 3, 0640, t->err,
					sizeof(t->err)),
			 0);
	assert_int_equal(fileio_replace(fd, "f", "second", 6, 0640, t->err,
					sizeof(t->err)),
			 0);
	pathf(p, "%s/tmp/f", t->data);
	text = file_get(p, NULL);
	assert_string_equal(text, "second");
	free(text);
	assert_int_equal(mode_of(p), 0640);
	pathf(p, "%s/tmp", t->data);
	assert_int_equal(count_entries(p, ".tmp-"), 0);

	/* A rename that fails (onto a non-empty directory) takes its
	 * temporary with it. */
	pathf(p, "%s/tmp/d", t->data);
	assert_int_equal(mkdir(p, 0700), 0);
	pathf(p, "%s/tmp/d/x", t->data);
	file_put(p, "x", 0600);
	assert_int_equal(fileio_replace(fd, "d", "x", 1, 0600, t->err,
					sizeof(t->err)),
			 -ERR_IO);
	assert_err(t->err, "cannot write d");
	pathf(p, "%s/tmp", t->data);
	assert_int_equal(count_entries(p, ".tmp-"), 0);

	/* Names that are not one plain file name. */
	assert_int_equal(fileio_replace(fd, "", "x", 1, 0600, t->err,
					sizeof(t->err)),
			 -ERR_INVALID);
	assert_int_equal(fileio_replace(fd, "../x", "x", 1, 0600, t->err,
					sizeof(t->err)),
			 -ERR_INVALID);
	assert_err(t->err, "bad file name '../x'");
	assert_int_equal(fileio_replace(fd, "..", "x", 1, 0600, t->err,
					sizeof(t->err)),
			 -ERR_INVALID);
	close(fd);
}

/* ---- keys ---------------------------------------------------------------- */

struct admin_race {
	struct store *s;
	char token[65];
	bool created;
	int rc;
};

static void *
admin_thread(void *arg)
{
	struct admin_race *r = arg;
	char err[256];

	r->rc = store_admin_token(r->s, r->token, &r->created, err,
				  sizeof(err));
	return NULL;
}

static void
test_keys(void **state)
{
	struct fixture *t = *state;
	struct admin_race r[8];
	pthread_t th[8];
	unsigned char sec[32], sec2[32];
	char p[PATH_MAX], tok[65], *text;
	size_t len;
	bool created;
	int i, made = 0;

	/* Threads racing for the first admin token agree on one. */
	for (i = 0; i < 8; i++) {
		r[i].s = t->s;
		assert_int_equal(pthread_create(&th[i], NULL, admin_thread,
						&r[i]),
				 0);
	}
	for (i = 0; i < 8; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(r[i].rc, 0);
		assert_string_equal(r[i].token, r[0].token);
		made += r[i].created;
	}
	assert_int_equal(made, 1);
	pathf(p, "%s/keys/admin.token", t->data);
	assert_int_equal(mode_of(p), 0600);
	text = file_get(p, &len);
	assert_int_equal(len, 65);
	assert_int_equal(strspn(text, "0123456789abcdef"), 64);
	assert_int_equal(text[64], '\n');
	assert_memory_equal(text, r[0].token, 64);
	free(text);
	assert_int_equal(store_admin_token(t->s, tok, &created, t->err,
					   sizeof(t->err)),
			 0);
	assert_false(created);
	assert_string_equal(tok, r[0].token);

	assert_int_equal(store_token_secret(t->s, sec, t->err, sizeof(t->err)),
			 0);
	pathf(p, "%s/keys/token.key", t->data);
	assert_int_equal(mode_of(p), 0600);
	text = file_get(p, &len);
	assert_int_equal(len, 32);
	assert_memory_equal(text, sec, 32);
	free(text);
	store_reopen(t);
	assert_int_equal(store_token_secret(t->s, sec2, t->err, sizeof(t->err)),
			 0);
	assert_memory_equal(sec, sec2, 32);

	/* A damaged key is an error naming it, never silently replaced. */
	file_put(p, "", 0600);
	assert_int_equal(store_token_secret(t->s, sec2, t->err, sizeof(t->err)),
			 -ERR_IO);
	assert_err(t->err, "keys/token.key is malformed");
	pathf(p, "%s/keys/admin.token", t->data);
	file_put(p, "0123", 0600);
	assert_int_equal(store_admin_token(t->s, tok, &created, t->err,
					   sizeof(t->err)),
			 -ERR_IO);
	assert_err(t->err, "keys/admin.token is malformed");
	text = file_get(p, NULL);
	assert_string_equal(text, "0123");
	free(text);
	/* The operator's own token, without a final newline, is taken. */
	file_put(p,
		 "00000000000000000000000000000000"
		 "000000000000000000000000000000ff",
		 0600);
	assert_int_equal(store_admin_token(t->s, tok, &created, t->err,
					   sizeof(t->err)),
			 0);
	assert_string_equal(tok, "00000000000000000000000000000000"
				 "000000000000000000000000000000ff");
}

/* A crash while making the first key leaves only a temporary: the next
 * start removes it and the next call makes a whole key. */
static void
test_keys_crash(void **state)
{
	struct fixture *t = *state;
	char p[PATH_MAX], tok[65], *text;
	size_t len;
	bool created;

	pathf(p, "%s/keys/.tmp-admin.token-AbCdEf123456", t->data);
	file_put(p, "", 0600);
	store_reopen(t);
	assert_false(exists(p));
	assert_int_equal(store_admin_token(t->s, tok, &created, t->err,
					   sizeof(t->err)),
			 0);
	assert_true(created);
	pathf(p, "%s/keys/admin.token", t->data);
	text = file_get(p, &len);
	assert_int_equal(len, 65);
	free(text);
}

/* ---- function records ---------------------------------------------------- */

static void
test_functions(void **state)
{
	struct fixture *t = *state;
	struct store_function f, g, h, k, *v;
	char p[PATH_MAX], want[1024], *text;
	size_t n, i;

	fn_make(&f, "hello", SUM_A, 30);
	fn_put(t, &f);
	assert_int_equal(strlen(f.id), 22);
	for (i = 0; i < 22; i++)
		assert_non_null(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				       "abcdefghijklmnopqrstuvwxyz0123456789",
				       f.id[i]));
	/* The exact bytes on disk. */
	pathf(p, "%s/functions/%s.json", t->data, f.id);
	assert_int_equal(mode_of(p), 0600);
	text = file_get(p, NULL);
	snprintf(want, sizeof(want),
		 "{\"id\":\"%s\",\"name\":\"hello\",\"version\":\"1.0\","
		 "\"checksum\":\"" SUM_A "\",\"plugin\":\"hello.so\","
		 "\"plugin_sha256\":\"abababababababababababababababab"
		 "abababababababababababababababab\",\"created\":30,\"number\":1}\n",
		 f.id);
	assert_string_equal(text, want);
	free(text);

	assert_int_equal(store_function_get(t->s, f.id, &g, t->err,
					    sizeof(t->err)),
			 0);
	assert_memory_equal(&f, &g, sizeof(f));

	/* Listed by created, then id; an update keeps the id. */
	fn_make(&g, "b", SUM_B, 10);
	fn_put(t, &g);
	fn_make(&h, "c", SUM_B, 20);
	snprintf(h.id, sizeof(h.id), "zzzzzzzzzzzzzzzzzzzzzz");
	fn_put(t, &h);
	fn_make(&k, "d", SUM_B, 20);
	snprintf(k.id, sizeof(k.id), "0000000000000000000000");
	fn_put(t, &k);
	snprintf(k.version, sizeof(k.version), "2.0");
	fn_put(t, &k);
	assert_string_equal(k.id, "0000000000000000000000");
	assert_int_equal(store_function_list(t->s, &v, &n, t->err,
					     sizeof(t->err)),
			 0);
	assert_int_equal(n, 4);
	assert_string_equal(v[0].id, g.id);
	assert_string_equal(v[1].id, k.id);
	assert_string_equal(v[1].version, "2.0");
	assert_string_equal(v[2].id, h.id);
	assert_string_equal(v[3].id, f.id);
	free(v);

	assert_int_equal(store_function_delete(t->s, f.id, t->err,
					       sizeof(t->err)),
			 0);
	assert_int_equal(store_function_get(t->s, f.id, &g, t->err,
					    sizeof(t->err)),
			 -ERR_NOT_FOUND);
	assert_int_equal(errno, ENOENT);
	snprintf(want, sizeof(want), "no function '%s'", f.id);
	assert_string_equal(t->err, want);
	assert_int_equal(store_function_delete(t->s, f.id, t->err,
					       sizeof(t->err)),
			 -ERR_NOT_FOUND);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(store_function_list(t->s, &v, &n, t->err,
					     sizeof(t->err)),
			 0);
	assert_int_equal(n, 3);
	free(v);
}

static void
test_function_fields(void **state)
{
	struct fixture *t = *state;
	struct store_function f;
	char p[PATH_MAX];

	/* A record that could not be read back is never written. */
	fn_make(&f, "../x", SUM_A, 1);
	assert_int_equal(store_function_put(t->s, &f, t->err, sizeof(t->err)),
			 -ERR_INVALID);
	assert_err(t->err, "bad \"name\"");
	fn_make(&f, "ok", SUM_A, 1);
	f.checksum[0] = 'A';
	assert_int_equal(store_function_put(t->s, &f, t->err, sizeof(t->err)),
			 -ERR_INVALID);
	assert_err(t->err, "bad \"checksum\"");
	fn_make(&f, "ok", SUM_A, 1);
	snprintf(f.plugin, sizeof(f.plugin), "a/b.so");
	assert_int_equal(store_function_put(t->s, &f, t->err, sizeof(t->err)),
			 -ERR_INVALID);
	assert_err(t->err, "bad \"plugin\"");
	fn_make(&f, "ok", SUM_A, -1);
	assert_int_equal(store_function_put(t->s, &f, t->err, sizeof(t->err)),
			 -ERR_INVALID);
	assert_err(t->err, "bad \"created\"");
	fn_make(&f, "ok", SUM_A, 1);
	snprintf(f.id, sizeof(f.id), "../../../../etc/passwd");
	assert_int_equal(store_function_put(t->s, &f, t->err, sizeof(t->err)),
			 -ERR_INVALID);
	assert_err(t->err, "bad \"id\"");
	pathf(p, "%s/functions", t->data);
	assert_int_equal(count_entries(p, ""), 0);
}

/* ---- hostile ids --------------------------------------------------------- */

/* Each is refused by its form: none may reach a path. */
/* clang-format off */
static const char *const bad_ids[] = {
	"../x", "a/b", "", "AAAAAAAAAAAAAAAAAAAAAAA", /* 23 */
	"AAAAAAAAAAAAAAAAAAAAA!", "AAAAAAAAAAAAAAAAAAAA/.", "..",
	"AAAAAAAAAAAAAAAAAAAAA\n", "../../../../../../../../../etc/passwd",
	"0123456789abcdef0123456789abcdeF", "0123456789abcdef0123456789abcde",
	"80b9bedd8695def3", "80B9BEDD8695DEF3/", "../tokens/" JTI_1,
};
/* clang-format on */

static void
test_bad_ids(void **state)
{
	struct fixture *t = *state;
	struct store_function f;
	struct store_token k;
	char p[PATH_MAX], path[PATH_MAX];
	size_t i;
	int fd, rc;

	/* Files where "dir/<id>.<ext>" would lead for "../x". */
	pathf(p, "%s/x.json", t->data);
	file_put(p, "{}", 0600);
	pathf(p, "%s/x.pub", t->data);
	file_put(p, "x", 0600);
	for (i = 0; i < sizeof(bad_ids) / sizeof(bad_ids[0]); i++) {
		const char *id = bad_ids[i];

		rc = store_function_get(t->s, id, &f, t->err, sizeof(t->err));
		assert_int_equal(rc, -ERR_INVALID);
		assert_int_equal(errno, EINVAL);
		assert_err(t->err, "bad function id");
		rc = store_function_delete(t->s, id, t->err, sizeof(t->err));
		assert_int_equal(rc, -ERR_INVALID);
		assert_int_equal(errno, EINVAL);
		rc = store_token_get(t->s, id, &k, t->err, sizeof(t->err));
		assert_int_equal(rc, -ERR_INVALID);
		assert_int_equal(errno, EINVAL);
		assert_err(t->err, "bad token id");
		rc = store_token_revoke(t->s, id, t->err, sizeof(t->err));
		assert_int_equal(rc, -ERR_INVALID);
		assert_int_equal(errno, EINVAL);
		rc = store_trust_remove(t->s, id, t->err, sizeof(t->err));
		assert_int_equal(rc, -ERR_INVALID);
		assert_int_equal(errno, EINVAL);
		assert_err(t->err, "bad key id");
		rc = store_bundle_open(t->s, id, &fd, path, sizeof(path),
				       t->err, sizeof(t->err));
		assert_int_equal(rc, -ERR_INVALID);
		assert_int_equal(errno, EINVAL);
		assert_err(t->err, "bad bundle checksum");
	}
	/* The message quotes control bytes, never prints them. */
	assert_int_equal(store_function_get(t->s, "A\nB", &f, t->err,
					    sizeof(t->err)),
			 -ERR_INVALID);
	assert_string_equal(t->err, "bad function id 'A\\x0aB'");
	pathf(p, "%s/x.json", t->data);
	assert_true(exists(p));
	pathf(p, "%s/x.pub", t->data);
	assert_true(exists(p));
}

/* ---- corrupt records ----------------------------------------------------- */

static void
test_corrupt(void **state)
{
	static const char *const bad[] = {
		"{not json",
		"",
		"[]",
		"{\"id\":\"" ID_1 "\"}",
		"{\"id\":\"" ID_1 "\",\"name\":\"n\",\"version\":\"1\","
		"\"checksum\":\"" SUM_A "\",\"plugin\":\"n.so\","
		"\"plugin_sha256\":\"" SUM_A "\",\"created\":1,\"x\":1}",
		"{\"id\":\"" ID_1 "\",\"name\":\"n\",\"version\":\"1\","
		"\"checksum\":\"" SUM_A "\",\"plugin\":\"n.so\","
		"\"plugin_sha256\":\"" SUM_A "\",\"created\":\"1\"}",
		"{\"id\":\"" ID_1 "\",\"name\":\"n\",\"version\":\"1\","
		"\"checksum\":\"" SUM_A "\",\"plugin\":\"n.so\","
		"\"plugin_sha256\":\"" SUM_A "\",\"created\":1} x",
		"{\"id\":\"" ID_1 "\",\"name\":\"n\",\"version\":\"1\","
		"\"checksum\":\"" SUM_A "\",\"plugin\":\"n.so\","
		"\"plugin_sha256\":\"" SUM_A "\",\"created\":1e3}",
		"{\"id\":\"" ID_1 "\",\"name\":\"n\\u0000x\",\"version\":\"1\","
		"\"checksum\":\"" SUM_A "\",\"plugin\":\"n.so\","
		"\"plugin_sha256\":\"" SUM_A "\",\"created\":1}",
		"{\"id\":\"BBBBBBBBBBBBBBBBBBBBB1\",\"name\":\"n\","
		"\"version\":\"1\",\"checksum\":\"" SUM_A "\","
		"\"plugin\":\"n.so\",\"plugin_sha256\":\"" SUM_A "\","
		"\"created\":1}",
		"{\"id\":\"" ID_1 "\",\"name\":\"n\",\"version\":\"1\","
		"\"checksum\":\"" SUM_A "\",\"plugin\":\"n.so\","
		"\"plugin_sha256\":\"" SUM_A "\","
		"\"created\":99999999999999999999}",
	};
	struct fixture *t = *state;
	struct store_function f, *v;
	struct store *s2;
	char p[PATH_MAX];
	size_t i, n;

	pathf(p, "%s/functions/" ID_1 ".json", t->data);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		file_put(p, bad[i], 0600);
		assert_int_equal(store_function_get(t->s, ID_1, &f, t->err,
						    sizeof(t->err)),
				 -ERR_IO);
		assert_int_not_equal(errno, ENOENT);
		assert_err(t->err, p);
		assert_int_equal(store_function_list(t->s, &v, &n, t->err,
						     sizeof(t->err)),
				 -ERR_IO);
		assert_err(t->err, p);
	}
	/* The same record, well formed, reads back. */
	file_put(p,
		 "{\"id\":\"" ID_1 "\",\"name\":\"n\",\"version\":\"1\","
		 "\"checksum\":\"" SUM_A "\",\"plugin\":\"n.so\","
		 "\"plugin_sha256\":\"" SUM_A "\",\"created\":1,"
		 "\"number\":1}",
		 0600);
	assert_int_equal(store_function_get(t->s, ID_1, &f, t->err,
					    sizeof(t->err)),
			 0);
	assert_string_equal(f.name, "n");

	/* A file that is no record at all is reported, not skipped; a
	 * temporary (a write in progress) is skipped. */
	pathf(p, "%s/functions/.tmp-" ID_1 ".json-123456789012", t->data);
	file_put(p, "{", 0600);
	assert_int_equal(store_function_list(t->s, &v, &n, t->err,
					     sizeof(t->err)),
			 0);
	assert_int_equal(n, 1);
	free(v);
	pathf(p, "%s/functions/README", t->data);
	file_put(p, "hi", 0600);
	assert_int_equal(store_function_list(t->s, &v, &n, t->err,
					     sizeof(t->err)),
			 -ERR_IO);
	assert_err(t->err, p);
	assert_err(t->err, "not a function record");
	assert_int_equal(unlink(p), 0);

	/* A link in place of a record is not followed.  The record was
	 * just read, so this store serves it from memory: a change made
	 * behind an open store's back is seen by the next store_open(). */
	store_reopen(t);
	pathf(p, "%s/functions/" ID_1 ".json", t->data);
	assert_int_equal(unlink(p), 0);
	assert_int_equal(symlink("/etc/passwd", p), 0);
	assert_int_equal(store_function_get(t->s, ID_1, &f, t->err,
					    sizeof(t->err)),
			 -ERR_IO);
	assert_err(t->err, p);

	/* store_open() will not collect bundles when it cannot tell which
	 * are in use: it fails and names the record. */
	assert_int_equal(unlink(p), 0);
	file_put(p, "{", 0600);
	store_close(t->s);
	t->s = NULL;
	assert_int_equal(store_open(t->data, &s2, t->err, sizeof(t->err)),
			 -ERR_IO);
	assert_err(t->err, p);
	assert_int_equal(unlink(p), 0);
	store_reopen(t);

	/* A corrupt token record likewise. */
	pathf(p, "%s/tokens/" JTI_1 ".json", t->data);
	file_put(p, "{\"jti\":\"" JTI_1 "\"}", 0600);
	assert_int_equal(store_token_revoke(t->s, JTI_1, t->err,
					    sizeof(t->err)),
			 -ERR_IO);
	assert_err(t->err, p);
	assert_err(t->err, "no \"sub\"");
}

/* ---- token records ------------------------------------------------------- */

static void
test_tokens(void **state)
{
	struct fixture *t = *state;
	struct store_token k, g, *v;
	int64_t now = (int64_t)time(NULL);
	char p[PATH_MAX], want[512], *text;
	size_t n;

	tok_make(&k, JTI_1, ID_1, SUM_A, now, now + 3600);
	assert_int_equal(store_token_put(t->s, &k, t->err, sizeof(t->err)), 0);
	pathf(p, "%s/tokens/" JTI_1 ".json", t->data);
	assert_int_equal(mode_of(p), 0600);
	text = file_get(p, NULL);
	snprintf(want, sizeof(want),
		 "{\"jti\":\"" JTI_1 "\",\"sub\":\"" ID_1 "\",\"fch\":\"" SUM_A
		 "\",\"iat\":%lld,\"exp\":%lld,\"revoked\":false}\n",
		 (long long)now, (long long)now + 3600);
	assert_string_equal(text, want);
	free(text);

	tok_make(&k, JTI_2, ID_1, "", now - 5, now + 10);
	assert_int_equal(store_token_put(t->s, &k, t->err, sizeof(t->err)), 0);
	assert_int_equal(store_token_get(t->s, JTI_2, &g, t->err,
					 sizeof(t->err)),
			 0);
	assert_memory_equal(&k, &g, sizeof(k));
	assert_int_equal(store_token_list(t->s, &v, &n, t->err, sizeof(t->err)),
			 0);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].jti, JTI_2); /* by iat */
	assert_string_equal(v[1].jti, JTI_1);
	free(v);

	assert_int_equal(store_token_revoke(t->s, JTI_1, t->err,
					    sizeof(t->err)),
			 0);
	assert_int_equal(store_token_revoke(t->s, JTI_1, t->err,
					    sizeof(t->err)),
			 0);
	assert_int_equal(store_token_get(t->s, JTI_1, &g, t->err,
					 sizeof(t->err)),
			 0);
	assert_true(g.revoked);
	assert_int_equal(store_token_revoke(t->s, JTI_3, t->err,
					    sizeof(t->err)),
			 -ERR_NOT_FOUND);
	assert_int_equal(errno, ENOENT);
	assert_string_equal(t->err, "no token '" JTI_3 "'");

	/* Bad fields are never written. */
	tok_make(&k, JTI_3, "short", "", now, now);
	assert_int_equal(store_token_put(t->s, &k, t->err, sizeof(t->err)),
			 -ERR_INVALID);
	assert_err(t->err, "bad \"sub\"");
	tok_make(&k, JTI_3, ID_1, "xyz", now, now);
	assert_int_equal(store_token_put(t->s, &k, t->err, sizeof(t->err)),
			 -ERR_INVALID);
	assert_err(t->err, "bad \"fch\"");
	pathf(p, "%s/tokens/" JTI_3 ".json", t->data);
	assert_false(exists(p));
}

/* ---- error kinds --------------------------------------------------------- */

/* A record that is not there is told from one the store cannot read,
 * and both from an id that is no id: callers answer each differently. */
static void
test_kinds(void **state)
{
	struct fixture *t = *state;
	struct store_token k;
	struct store_function f;
	unsigned char key[32];
	char p[PATH_MAX], path[PATH_MAX];
	int fd;

	/* Not found: the kind, errno ENOENT, and "no ..." text. */
	assert_int_equal(store_token_get(t->s, JTI_1, &k, t->err,
					 sizeof(t->err)),
			 -ERR_NOT_FOUND);
	assert_int_equal(errno, ENOENT);
	assert_string_equal(t->err, "no token '" JTI_1 "'");
	assert_int_equal(store_key_get(t->s, "nothing.key", key, sizeof(key),
				       t->err, sizeof(t->err)),
			 -ERR_NOT_FOUND);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(store_key_remove(t->s, "nothing.key", t->err,
					  sizeof(t->err)),
			 0);

	/* I/O: a record the store cannot read is no missing record. */
	pathf(p, "%s/tokens/" JTI_1 ".json", t->data);
	assert_int_equal(mkdir(p, 0700), 0);
	assert_int_equal(store_token_get(t->s, JTI_1, &k, t->err,
					 sizeof(t->err)),
			 -ERR_IO);
	assert_int_not_equal(errno, ENOENT);
	assert_err(t->err, "is not a regular file");
	assert_int_equal(rmdir(p), 0);
	assert_int_equal(mkfifo(p, 0600), 0);
	assert_int_equal(store_token_get(t->s, JTI_1, &k, t->err,
					 sizeof(t->err)),
			 -ERR_IO);
	assert_int_equal(store_token_revoke(t->s, JTI_1, t->err,
					    sizeof(t->err)),
			 -ERR_IO);
	assert_int_equal(unlink(p), 0);
	pathf(p, "%s/functions/" ID_1 ".json", t->data);
	assert_int_equal(symlink("/etc/passwd", p), 0);
	assert_int_equal(store_function_get(t->s, ID_1, &f, t->err,
					    sizeof(t->err)),
			 -ERR_IO);
	assert_int_equal(errno, ELOOP);
	assert_int_equal(unlink(p), 0);
	pathf(p, "%s/keys/short.key", t->data);
	file_put(p, "abc", 0600);
	assert_int_equal(store_key_get(t->s, "short.key", key, sizeof(key),
				       t->err, sizeof(t->err)),
			 -ERR_IO);
	assert_err(t->err, "keys/short.key is malformed");
	pathf(p, "%s/bundles/" SUM_A, t->data);
	file_put(p, "", 0600);
	assert_int_equal(store_bundle_open(t->s, SUM_A, &fd, path, sizeof(path),
					   t->err, sizeof(t->err)),
			 -ERR_IO);

	/* Invalid: a name that is no plain file name never reaches keys/. */
	assert_int_equal(store_key_get(t->s, "../tokens/x", key, sizeof(key),
				       t->err, sizeof(t->err)),
			 -ERR_INVALID);
	assert_int_equal(store_key_put(t->s, ".tmp-x", key, sizeof(key), t->err,
				       sizeof(t->err)),
			 -ERR_INVALID);
	assert_int_equal(store_key_remove(t->s, "", t->err, sizeof(t->err)),
			 -ERR_INVALID);
	assert_int_equal(store_staging_remove(t->s, "/etc", t->err,
					      sizeof(t->err)),
			 -ERR_INVALID);
}

/* A staging dir is removed with all it holds, once or twice. */
static void
test_staging_remove(void **state)
{
	struct fixture *t = *state;
	char stg[PATH_MAX], p[PATH_MAX];

	staging_fill(t, stg, "fn.so", "x", "data.txt", "d", NULL);
	assert_true(exists(stg));
	assert_int_equal(store_staging_remove(t->s, stg, t->err,
					      sizeof(t->err)),
			 0);
	assert_false(exists(stg));
	assert_int_equal(store_staging_remove(t->s, stg, t->err,
					      sizeof(t->err)),
			 0);
	pathf(p, "%s/tmp", t->data);
	assert_int_equal(count_entries(p, ""), 0);
}

/* ---- trusted keys -------------------------------------------------------- */

static void
test_trust(void **state)
{
	struct fixture *t = *state;
	struct minisign_pubkey kat, *keys, other;
	struct minisign_seckey sk;
	char p[PATH_MAX], keyid[17], id2[17], text[512], *kat_text, *on_disk;
	size_t len, n;
	int tl;

	kat_text = file_get(KAT_PUB, &len);
	assert_int_equal(minisign_pubkey_parse(kat_text, len, &kat, t->err,
					       sizeof(t->err)),
			 0);
	assert_int_equal(store_trust_add(t->s, kat_text, len, keyid, t->err,
					 sizeof(t->err)),
			 0);
	assert_string_equal(keyid, KAT_KEYID);
	/* Stored as minisign writes it: here the very bytes of the file
	 * the real minisign made. */
	pathf(p, "%s/trusted/" KAT_KEYID ".pub", t->data);
	on_disk = file_get(p, NULL);
	assert_string_equal(on_disk, kat_text);
	free(on_disk);
	assert_int_equal(mode_of(p), 0644);
	assert_int_equal(store_trust_add(t->s, kat_text, len, keyid, t->err,
					 sizeof(t->err)),
			 0);

	/* A fresh key from fnhost's own code, sent without its final
	 * newline. */
	assert_int_equal(minisign_keygen(&sk, t->err, sizeof(t->err)), 0);
	minisign_seckey_public(&sk, &other);
	minisign_seckey_clear(&sk);
	tl = minisign_pubkey_format(&other, text, sizeof(text));
	assert_true(tl > 0);
	assert_int_equal(store_trust_add(t->s, text, (size_t)tl - 1, id2,
					 t->err, sizeof(t->err)),
			 0);
	assert_int_equal(store_trust_load(t->s, &keys, &n, t->err,
					  sizeof(t->err)),
			 0);
	assert_int_equal(n, 2);
	if (memcmp(&keys[0], &kat, sizeof(kat)) != 0) {
		assert_memory_equal(&keys[1], &kat, sizeof(kat));
		assert_memory_equal(&keys[0], &other, sizeof(other));
	} else {
		assert_memory_equal(&keys[1], &other, sizeof(other));
	}
	free(keys);

	/* Another key under a trusted id is refused, not swapped in. */
	memcpy(other.key_id, kat.key_id, sizeof(kat.key_id));
	tl = minisign_pubkey_format(&other, text, sizeof(text));
	assert_int_equal(store_trust_add(t->s, text, (size_t)tl, keyid, t->err,
					 sizeof(t->err)),
			 -ERR_BAD_KEY);
	assert_err(t->err, "a different key with id " KAT_KEYID);
	assert_int_equal(store_trust_add(t->s, "garbage", 7, keyid, t->err,
					 sizeof(t->err)),
			 -ERR_BAD_KEY);
	assert_int_equal(errno, EINVAL);

	assert_int_equal(store_trust_remove(t->s, id2, t->err, sizeof(t->err)),
			 0);
	assert_int_equal(store_trust_remove(t->s, id2, t->err, sizeof(t->err)),
			 -ERR_NOT_FOUND);
	assert_int_equal(errno, ENOENT);

	/* A file whose key is not the one its name says, or whose name
	 * is not a key id, is refused by name. */
	pathf(p, "%s/trusted/0000000000000001.pub", t->data);
	file_put(p, kat_text, 0644);
	assert_int_equal(store_trust_load(t->s, &keys, &n, t->err,
					  sizeof(t->err)),
			 -ERR_BAD_KEY);
	assert_err(t->err, p);
	assert_err(t->err, "holds key " KAT_KEYID);
	assert_int_equal(unlink(p), 0);
	pathf(p, "%s/trusted/mykey.pub", t->data);
	file_put(p, kat_text, 0644);
	assert_int_equal(store_trust_load(t->s, &keys, &n, t->err,
					  sizeof(t->err)),
			 -ERR_IO);
	assert_err(t->err, p);
	assert_int_equal(unlink(p), 0);
	assert_int_equal(store_trust_load(t->s, &keys, &n, t->err,
					  sizeof(t->err)),
			 0);
	assert_int_equal(n, 1);
	free(keys);
	free(kat_text);
}

/* ---- bundles ------------------------------------------------------------- */

static void
test_bundle_install(void **state)
{
	struct fixture *t = *state;
	struct bundle_info info;
	char stg[PATH_MAX], stg2[PATH_MAX], p[PATH_MAX], path[PATH_MAX];
	char prefix[PATH_MAX], *text;
	int fd;

	staging_fill(t, stg, "fn.so", "one", "data.txt", "d", NULL);
	pathf(prefix, "%s/tmp/deploy-", t->data);
	assert_memory_equal(stg, prefix, strlen(prefix));
	assert_int_equal(strlen(stg), strlen(prefix) + 6);
	assert_int_equal(mode_of(stg), 0700);
	info_make(&info, SUM_A);
	assert_int_equal(store_bundle_install(t->s, stg, &info, t->err,
					      sizeof(t->err)),
			 0);
	assert_false(exists(stg));
	pathf(p, "%s/bundles/" SUM_A, t->data);
	assert_int_equal(mode_of(p), 0555);
	pathf(p, "%s/bundles/" SUM_A "/fn.so", t->data);
	assert_int_equal(mode_of(p), 0444);
	pathf(p, "%s/bundles/" SUM_A "/data.txt", t->data);
	assert_int_equal(mode_of(p), 0444);

	/* The same checksum again: the stored copy stays, this one goes. */
	staging_fill(t, stg2, "fn.so", "two", NULL);
	assert_int_equal(store_bundle_install(t->s, stg2, &info, t->err,
					      sizeof(t->err)),
			 0);
	assert_false(exists(stg2));
	pathf(p, "%s/bundles/" SUM_A "/fn.so", t->data);
	text = file_get(p, NULL);
	assert_string_equal(text, "one");
	free(text);
	pathf(p, "%s/tmp", t->data);
	assert_int_equal(count_entries(p, ""), 0);

	assert_int_equal(store_bundle_open(t->s, SUM_A, &fd, path, sizeof(path),
					   t->err, sizeof(t->err)),
			 0);
	pathf(p, "%s/bundles/" SUM_A, t->data);
	assert_string_equal(path, p);
	assert_true((fcntl(fd, F_GETFL) & O_PATH) != 0);
	assert_int_equal(faccessat(fd, "fn.so", R_OK, 0), 0);
	close(fd);
	assert_int_equal(store_bundle_open(t->s, SUM_B, &fd, path, sizeof(path),
					   t->err, sizeof(t->err)),
			 -ERR_NOT_FOUND);
	assert_int_equal(errno, ENOENT);
}

static void
test_bundle_refuse(void **state)
{
	struct fixture *t = *state;
	struct bundle_info info;
	char stg[PATH_MAX], p[PATH_MAX], bad[PATH_MAX];

	info_make(&info, SUM_A);
	/* Only a staging dir of this store is taken. */
	staging_fill(t, stg, "fn.so", "x", NULL);
	pathf(bad, "%s/tmp/../keys", t->data);
	assert_int_equal(store_bundle_install(t->s, bad, &info, t->err,
					      sizeof(t->err)),
			 -ERR_INVALID);
	assert_err(t->err, "is not a staging dir");
	pathf(bad, "%s/../deploy-abcdef", stg);
	assert_int_equal(store_bundle_install(t->s, bad, &info, t->err,
					      sizeof(t->err)),
			 -ERR_INVALID);
	assert_int_equal(store_bundle_install(t->s, "/etc", &info, t->err,
					      sizeof(t->err)),
			 -ERR_INVALID);
	info_make(&info, "../../keys");
	assert_int_equal(store_bundle_install(t->s, stg, &info, t->err,
					      sizeof(t->err)),
			 -ERR_INVALID);
	assert_err(t->err, "bad bundle checksum");
	assert_true(exists(stg));

	/* A link in the staging dir: refused, and the dir is gone. */
	info_make(&info, SUM_B);
	pathf(p, "%s/evil", stg);
	assert_int_equal(symlink("/etc/passwd", p), 0);
	assert_int_equal(store_bundle_install(t->s, stg, &info, t->err,
					      sizeof(t->err)),
			 -ERR_INVALID);
	assert_err(t->err, "'evil' is not a regular file");
	assert_false(exists(stg));
	pathf(p, "%s/bundles/" SUM_B, t->data);
	assert_false(exists(p));
	assert_int_equal(mode_of("/etc/passwd") & 0200, 0200);
}

/* The deploy path as fnhostd takes it, on the bundle the real minisign
 * signed: files written through the staging fd, bundle_verify() on that
 * fd, install, and the installed copy still verifies. */
static void
test_bundle_kat(void **state)
{
	static const char *const files[] = {
		"MANIFEST",   "MANIFEST.minisig", "data.txt",
		"empty file", "tiny.so",
	};
	struct fixture *t = *state;
	struct minisign_pubkey pk;
	struct bundle_info info, again;
	char stg[PATH_MAX], p[PATH_MAX], path[PATH_MAX], *text, *sum;
	size_t i, len;
	int dfd, fd;

	text = file_get(KAT_PUB, &len);
	assert_int_equal(minisign_pubkey_parse(text, len, &pk, t->err,
					       sizeof(t->err)),
			 0);
	free(text);
	assert_int_equal(store_staging_create(t->s, stg, sizeof(stg), &dfd,
					      t->err, sizeof(t->err)),
			 0);
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		pathf(p, "tests/kat/bundle/tiny/%s", files[i]);
		text = file_get(p, &len);
		fd = openat(dfd, files[i],
			    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
				    O_CLOEXEC,
			    0644);
		assert_true(fd >= 0);
		assert_int_equal(write(fd, text, len), (ssize_t)len);
		close(fd);
		free(text);
	}
	if (bundle_verify(dfd, &pk, 1, &info, t->err, sizeof(t->err)) < 0)
		fail_msg("bundle_verify on the staging fd: %s", t->err);
	close(dfd);
	sum = file_get("tests/kat/bundle/tiny.sha256", NULL);
	assert_memory_equal(info.checksum, sum, 64);
	free(sum);
	assert_int_equal(store_bundle_install(t->s, stg, &info, t->err,
					      sizeof(t->err)),
			 0);
	assert_int_equal(store_bundle_open(t->s, info.checksum, &fd, path,
					   sizeof(path), t->err,
					   sizeof(t->err)),
			 0);
	close(fd);
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	if (bundle_verify(fd, &pk, 1, &again, t->err, sizeof(t->err)) < 0)
		fail_msg("bundle_verify on the installed bundle: %s", t->err);
	close(fd);
	assert_memory_equal(&info, &again, sizeof(info));
	pathf(p, "%s/empty file", path);
	assert_int_equal(mode_of(p), 0444);
}

/* Two function records on one bundle: it stays until neither is left. */
static void
test_bundle_collect(void **state)
{
	struct fixture *t = *state;
	struct store_function f, g;
	char p[PATH_MAX];

	bundle_fake(t, SUM_A, 0555);
	fn_make(&f, "f", SUM_A, 1);
	fn_put(t, &f);
	fn_make(&g, "g", SUM_A, 2);
	fn_put(t, &g);
	pathf(p, "%s/bundles/" SUM_A, t->data);
	assert_int_equal(store_function_delete(t->s, f.id, t->err,
					       sizeof(t->err)),
			 0);
	store_reopen(t);
	assert_true(exists(p));
	assert_int_equal(store_function_delete(t->s, g.id, t->err,
					       sizeof(t->err)),
			 0);
	assert_true(exists(p)); /* only store_open() collects */
	store_reopen(t);
	assert_false(exists(p));
}

/* ---- what a crash leaves ------------------------------------------------- */

static void
test_open_cleans(void **state)
{
	static const char *const dirs[] = {
		"keys",
		"trusted",
		"functions",
		"tokens",
	};
	struct fixture *t = *state;
	struct store_function f, *fv;
	struct store_token k, *kv;
	int64_t now = (int64_t)time(NULL);
	char p[PATH_MAX];
	size_t i, n;

	/* Half-written temporaries in every directory. */
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		pathf(p, "%s/%s/.tmp-x-AbCdEf123456", t->data, dirs[i]);
		file_put(p, "half", 0600);
	}
	pathf(p, "%s/bundles/.tmp-y", t->data);
	assert_int_equal(mkdir(p, 0700), 0);
	/* Staging dirs: one being filled, one sealed (0555, 0444 files)
	 * by an install the crash stopped before its rename. */
	pathf(p, "%s/tmp/deploy-aaaaaa", t->data);
	assert_int_equal(mkdir(p, 0700), 0);
	pathf(p, "%s/tmp/deploy-aaaaaa/fn.so", t->data);
	file_put(p, "half", 0644);
	pathf(p, "%s/tmp/deploy-bbbbbb", t->data);
	assert_int_equal(mkdir(p, 0700), 0);
	pathf(p, "%s/tmp/deploy-bbbbbb/fn.so", t->data);
	file_put(p, "whole", 0444);
	pathf(p, "%s/tmp/deploy-bbbbbb", t->data);
	assert_int_equal(chmod(p, 0555), 0);
	pathf(p, "%s/tmp/stray", t->data);
	file_put(p, "", 0600);

	/* Bundles: A named by a record, B by none (a crash between install
	 * and record), C a file, D named but left 0700 by a crash between
	 * rename and chmod, and a name that is no checksum. */
	bundle_fake(t, SUM_A, 0555);
	bundle_fake(t, SUM_B, 0555);
	pathf(p, "%s/bundles/" SUM_C, t->data);
	file_put(p, "", 0600);
	bundle_fake(t, SUM_D, 0700);
	pathf(p, "%s/bundles/junk", t->data);
	assert_int_equal(mkdir(p, 0700), 0);
	fn_make(&f, "a", SUM_A, 1);
	fn_put(t, &f);
	fn_make(&f, "d", SUM_D, 2);
	fn_put(t, &f);

	/* Tokens: expired, about to expire (kept), and revoked but live
	 * (kept, so it stays refused). */
	tok_make(&k, JTI_1, ID_1, "", now - 100, now - 10);
	assert_int_equal(store_token_put(t->s, &k, t->err, sizeof(t->err)), 0);
	tok_make(&k, JTI_2, ID_1, "", now - 100, now + 100);
	assert_int_equal(store_token_put(t->s, &k, t->err, sizeof(t->err)), 0);
	tok_make(&k, JTI_3, ID_1, "", now - 100, now + 1000);
	k.revoked = true;
	assert_int_equal(store_token_put(t->s, &k, t->err, sizeof(t->err)), 0);

	store_reopen(t);

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		pathf(p, "%s/%s", t->data, dirs[i]);
		assert_int_equal(count_entries(p, ".tmp-"), 0);
	}
	pathf(p, "%s/tmp", t->data);
	assert_int_equal(count_entries(p, ""), 0);
	pathf(p, "%s/bundles", t->data);
	assert_int_equal(count_entries(p, ""), 2);
	pathf(p, "%s/bundles/" SUM_A "/x.so", t->data);
	assert_true(exists(p));
	pathf(p, "%s/bundles/" SUM_D, t->data);
	assert_int_equal(mode_of(p), 0555);

	assert_int_equal(store_function_list(t->s, &fv, &n, t->err,
					     sizeof(t->err)),
			 0);
	assert_int_equal(n, 2);
	free(fv);
	assert_int_equal(store_token_list(t->s, &kv, &n, t->err,
					  sizeof(t->err)),
			 0);
	assert_int_equal(n, 2);
	assert_string_equal(kv[0].jti, JTI_3);
	assert_true(kv[0].revoked);
	assert_string_equal(kv[1].jti, JTI_2);
	free(kv);
}

/*
 * The bundle life cycle without privilege: moving a staging dir to
 * bundles/ and removing read-only bundles must work for a daemon that
 * is not root.  As root, the steps run in a child that becomes nobody;
 * a cmocka failure there would unwind into the child's copy of the
 * runner, so these steps check with CHECK and return instead.
 */
#define CHECK(c)                                                               \
	do {                                                                   \
		if (!(c)) {                                                    \
			fprintf(stderr, "test_store.c:%d: %s (%s)\n",          \
				__LINE__, #c, err);                            \
			return -1;                                             \
		}                                                              \
	} while (0)

static int __attribute__((format(printf, 2, 3)))
cpath(char out[PATH_MAX], const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(out, PATH_MAX, fmt, ap);
	va_end(ap);
	return n > 0 && n < PATH_MAX ? 0 : -1;
}

/* A staging dir holding fn.so, its path in stg. */
static int
cstaging(struct store *s, char stg[PATH_MAX], char *err, size_t errlen)
{
	int dfd, fd;

	if (store_staging_create(s, stg, PATH_MAX, &dfd, err, errlen) < 0)
		return -1;
	fd = openat(dfd, "fn.so", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
		    0644);
	close(dfd);
	if (fd < 0 || write(fd, "x", 1) != 1) {
		snprintf(err, errlen, "cannot write %s/fn.so", stg);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static int
unprivileged_steps(const char *root)
{
	struct store_function f;
	struct bundle_info info;
	struct stat st;
	struct store *s;
	char data[PATH_MAX], stg[PATH_MAX], p[PATH_MAX], err[512] = "";

	info_make(&info, SUM_A);
	CHECK(cpath(data, "%s/nobody", root) == 0);
	CHECK(cpath(p, "%s/bundles/" SUM_A, data) == 0);
	CHECK(store_open(data, &s, err, sizeof(err)) == 0);
	CHECK(cstaging(s, stg, err, sizeof(err)) == 0);
	CHECK(store_bundle_install(s, stg, &info, err, sizeof(err)) == 0);
	CHECK(lstat(p, &st) == 0 && (st.st_mode & 07777) == 0555);
	/* The same again removes a staging dir sealed by nobody. */
	CHECK(cstaging(s, stg, err, sizeof(err)) == 0);
	CHECK(store_bundle_install(s, stg, &info, err, sizeof(err)) == 0);
	CHECK(lstat(stg, &st) < 0 && errno == ENOENT);
	/* Named, it stays; unnamed, it is collected. */
	fn_make(&f, "f", SUM_A, 1);
	CHECK(store_function_put(s, &f, err, sizeof(err)) == 0);
	store_close(s);
	CHECK(store_open(data, &s, err, sizeof(err)) == 0);
	CHECK(lstat(p, &st) == 0);
	CHECK(store_function_delete(s, f.id, err, sizeof(err)) == 0);
	store_close(s);
	CHECK(store_open(data, &s, err, sizeof(err)) == 0);
	CHECK(lstat(p, &st) < 0 && errno == ENOENT);
	store_close(s);
	return 0;
}

static void
test_unprivileged(void **state)
{
	struct fixture *t = *state;
	pid_t pid;
	int status;

	if (geteuid() != 0) {
		assert_int_equal(unprivileged_steps(t->root), 0);
		return;
	}
	assert_int_equal(chown(t->root, 65534, 65534), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (setgroups(0, NULL) < 0 ||
		    setresgid(65534, 65534, 65534) < 0 ||
		    setresuid(65534, 65534, 65534) < 0)
			_exit(3);
		_exit(unprivileged_steps(t->root) == 0 ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(chown(t->root, 0, 0), 0);
}

/*
 * The records in memory are kept true by every write: a put, a delete
 * and a revoke are seen by the very next get, a record read before them
 * is never served after, and a missing record stays missing.
 */
static void
test_cache_writes(void **state)
{
	struct fixture *t = *state;
	int64_t now = (int64_t)time(NULL);
	struct store_function f, g;
	struct store_token k, h;

	fn_make(&f, "n", SUM_A, 1);
	fn_put(t, &f);
	assert_int_equal(store_function_get(t->s, f.id, &g, t->err,
					    sizeof(t->err)),
			 0);
	assert_string_equal(g.version, "1.0");
	/* changed: the next get has the change */
	snprintf(f.version, sizeof(f.version), "2.0");
	fn_put(t, &f);
	assert_int_equal(store_function_get(t->s, f.id, &g, t->err,
					    sizeof(t->err)),
			 0);
	assert_string_equal(g.version, "2.0");
	/* deleted: the next get does not find it */
	assert_int_equal(store_function_delete(t->s, f.id, t->err,
					       sizeof(t->err)),
			 0);
	assert_int_equal(store_function_get(t->s, f.id, &g, t->err,
					    sizeof(t->err)),
			 -ERR_NOT_FOUND);
	assert_int_equal(store_function_get(t->s, f.id, &g, t->err,
					    sizeof(t->err)),
			 -ERR_NOT_FOUND);

	tok_make(&k, JTI_1, ID_1, "", now, now + 3600);
	assert_int_equal(store_token_put(t->s, &k, t->err, sizeof(t->err)), 0);
	assert_int_equal(store_token_get(t->s, JTI_1, &h, t->err,
					 sizeof(t->err)),
			 0);
	assert_false(h.revoked);
	assert_int_equal(store_token_revoke(t->s, JTI_1, t->err,
					    sizeof(t->err)),
			 0);
	assert_int_equal(store_token_get(t->s, JTI_1, &h, t->err,
					 sizeof(t->err)),
			 0);
	assert_true(h.revoked);
	/* and what memory says is what the file says */
	store_reopen(t);
	assert_int_equal(store_token_get(t->s, JTI_1, &h, t->err,
					 sizeof(t->err)),
			 0);
	assert_true(h.revoked);
}

/* Records whose ids share a slot evict each other, and each get still
 * gives its own record. */
static void
test_cache_clash(void **state)
{
	struct fixture *t = *state;
	struct store_function f[64], g;
	int i, round;

	for (i = 0; i < 64; i++) {
		fn_make(&f[i], "n", SUM_A, i);
		fn_put(t, &f[i]);
	}
	for (round = 0; round < 3; round++)
		for (i = 0; i < 64; i++) {
			assert_int_equal(store_function_get(t->s, f[i].id, &g,
							    t->err,
							    sizeof(t->err)),
					 0);
			assert_memory_equal(&g, &f[i], sizeof(g));
		}
}

struct reader {
	struct store *s;
	atomic_bool *stop;
	bool saw_live_after; /* live seen after the revoke returned */
	atomic_bool *revoked;
};

static void *
reader_run(void *arg)
{
	struct reader *r = arg;
	struct store_token h;
	char err[256];

	while (!atomic_load(r->stop)) {
		bool after = atomic_load(r->revoked);

		if (store_token_get(r->s, JTI_1, &h, err, sizeof(err)) == 0 &&
		    after && !h.revoked)
			r->saw_live_after = true;
	}
	return NULL;
}

/* Readers racing a revoke: once store_token_revoke() has returned, no
 * get gives the token as live (a read that began before it must not
 * put the old record back in memory). */
static void
test_cache_race(void **state)
{
	struct fixture *t = *state;
	int64_t now = (int64_t)time(NULL);
	atomic_bool stop, revoked;
	struct reader r[3];
	pthread_t th[3];
	struct store_token k;
	int round, i;

	for (round = 0; round < 20; round++) {
		tok_make(&k, JTI_1, ID_1, "", now, now + 3600);
		assert_int_equal(store_token_put(t->s, &k, t->err,
						 sizeof(t->err)),
				 0);
		atomic_store(&stop, false);
		atomic_store(&revoked, false);
		for (i = 0; i < 3; i++) {
			r[i] = (struct reader){ t->s, &stop, false, &revoked };
			assert_int_equal(pthread_create(&th[i], NULL,
							reader_run, &r[i]),
					 0);
		}
		usleep(2000);
		assert_int_equal(store_token_revoke(t->s, JTI_1, t->err,
						    sizeof(t->err)),
				 0);
		atomic_store(&revoked, true);
		usleep(2000);
		atomic_store(&stop, true);
		for (i = 0; i < 3; i++) {
			pthread_join(th[i], NULL);
			assert_false(r[i].saw_live_after);
		}
	}
}

/* ---- the journal ---------------------------------------------------------- */

#define HEX_AB                                                                 \
	"abababababababababababababababababababababababababababababababab"
/* What a deploy of version 2 of "a" journals (store-journal.c's
 * format), and the same with its second step cut. */
#define JOURNAL_DEPLOY_HEAD                                                    \
	"fnhost-journal 1\n"                                                   \
	"put alias {\"id\":\"a@highest\",\"name\":\"a\",\"alias\":"            \
	"\"highest\",\"number\":2,\"set\":1700000000}\n"
#define JOURNAL_DEPLOY_FN                                                      \
	"put function {\"id\":\"" ID_1 "\",\"name\":\"a\",\"version\":"        \
	"\"1.0\",\"checksum\":\"" SUM_B "\",\"plugin\":\"a.so\","              \
	"\"plugin_sha256\":\"" HEX_AB "\",\"created\":1700000000,"             \
	"\"number\":2}\n"
#define JOURNAL_DEPLOY_TAIL                                                    \
	"put alias {\"id\":\"a@latest\",\"name\":\"a\",\"alias\":"             \
	"\"latest\",\"number\":2,\"set\":1700000000}\n"                        \
	"end\n"

/* A journal a crash left is done at open, from its first step, before
 * the bundle its version names could be collected; the journal and the
 * temporary a crash left of it are gone after. */
static void
test_journal_replay(void **state)
{
	struct fixture *t = *state;
	struct store_function f;
	char p[PATH_MAX];
	bool added;

	fn_make(&f, "a", SUM_A, 1);
	assert_int_equal(store_version_add(t->s, &f, &added, t->err,
					   sizeof(t->err)),
			 0);
	bundle_fake(t, SUM_A, 0555);
	bundle_fake(t, SUM_B, 0555);
	pathf(p, "%s/journal", t->data);
	file_put(p, JOURNAL_DEPLOY_HEAD JOURNAL_DEPLOY_FN JOURNAL_DEPLOY_TAIL,
		 0600);
	pathf(p, "%s/.tmp-journal-AbCdEf123456", t->data);
	file_put(p, "half", 0600);

	store_reopen(t);
	assert_int_equal(store_function_resolve(t->s, "a", &f, t->err,
						sizeof(t->err)),
			 0);
	assert_string_equal(f.id, ID_1);
	assert_int_equal(f.number, 2);
	pathf(p, "%s/bundles/" SUM_B "/x.so", t->data);
	assert_true(exists(p));
	pathf(p, "%s/journal", t->data);
	assert_false(exists(p));
	assert_int_equal(count_entries(t->data, ".tmp-"), 0);

	/* A delete whose first step the crash had done already. */
	file_put(p,
		 "fnhost-journal 1\n"
		 "delete alias a@stable\n"
		 "delete function " ID_1 "\n"
		 "put alias {\"id\":\"a@latest\",\"name\":\"a\",\"alias\":"
		 "\"latest\",\"number\":1,\"set\":1700000001}\n"
		 "end\n",
		 0600);
	store_reopen(t);
	assert_int_equal(store_function_resolve(t->s, "a", &f, t->err,
						sizeof(t->err)),
			 0);
	assert_int_equal(f.number, 1);
	assert_int_equal(store_function_get(t->s, ID_1, &f, t->err,
					    sizeof(t->err)),
			 -ERR_NOT_FOUND);
}

/* A damaged journal stops the open, naming it, with no step of it done:
 * half of an operation is worse than an error the operator reads. */
static void
test_journal_damaged(void **state)
{
	static const char *const damaged[] = {
		JOURNAL_DEPLOY_HEAD "put function {\"id\":\"" ID_1 "\"\n"
				    "end\n",
		JOURNAL_DEPLOY_HEAD JOURNAL_DEPLOY_FN, /* no end */
		JOURNAL_DEPLOY_HEAD "put token {}\nend\n",
		JOURNAL_DEPLOY_HEAD "delete alias ../x\nend\n",
		JOURNAL_DEPLOY_HEAD "rename alias a@x\nend\n",
		"fnhost-journal 2\nend\n",
	};
	struct fixture *t = *state;
	struct store *s = NULL;
	char p[PATH_MAX];
	size_t i;

	store_close(t->s);
	t->s = NULL;
	pathf(p, "%s/journal", t->data);
	for (i = 0; i < sizeof(damaged) / sizeof(damaged[0]); i++) {
		file_put(p, damaged[i], 0600);
		assert_int_equal(store_open(t->data, &s, t->err,
					    sizeof(t->err)),
				 -ERR_IO);
		assert_err(t->err, "journal");
		pathf(p, "%s/aliases/a@highest.json", t->data);
		assert_false(exists(p));
		pathf(p, "%s/journal", t->data);
	}
	assert_int_equal(unlink(p), 0);
	store_reopen(t);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_layout),		 T(test_open_refuses),
		T(test_write_atomic),	 T(test_keys),
		T(test_keys_crash),	 T(test_functions),
		T(test_function_fields), T(test_bad_ids),
		T(test_corrupt),	 T(test_tokens),
		T(test_kinds),		 T(test_trust),
		T(test_bundle_install),	 T(test_bundle_refuse),
		T(test_staging_remove),	 T(test_bundle_kat),
		T(test_bundle_collect),	 T(test_open_cleans),
		T(test_unprivileged),	 T(test_cache_writes),
		T(test_cache_clash),	 T(test_cache_race),
		T(test_journal_replay),	 T(test_journal_damaged),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
