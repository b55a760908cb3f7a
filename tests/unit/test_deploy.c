/*
 * test_deploy.c: the deploy use case (host/daemon/deploy.c) in a fresh
 * temporary DATADIR per test, on the bundle the real minisign signed
 * (tests/kat/bundle/): a good deploy and its record, the same bundle
 * twice, every refusal with its kind, the first reason kept, a plugin
 * whose descriptor (a fake probe's) is not what the signature says, and after
 * every refusal or abort nothing left in tmp/ (nor in bundles/ or
 * functions/).  Run from the top of the source tree.
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
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/err.h"
#include "daemon/deploy.h"
#include "daemon/store.h"
#include "formats/bundle.h"
#include "formats/minisign.h"

#define KAT_DIR "tests/kat/bundle/tiny"
#define KAT_PUB "tests/kat/bundle/minisign.pub"
#define KAT_SUM "tests/kat/bundle/tiny.sha256"

static const char *const kat_files[] = {
	"MANIFEST", "MANIFEST.minisig", "data.txt", "empty file", "tiny.so",
};
#define KAT_NFILES (sizeof(kat_files) / sizeof(kat_files[0]))

struct fixture {
	char root[PATH_MAX]; /* mkdtemp() dir, holds data/ */
	char data[PATH_MAX]; /* DATADIR */
	struct store *s;
	struct minisign_pubkey kat;
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

/* Entries of data/<sub>, besides . and .. */
static int
count(struct fixture *t, const char *sub)
{
	char p[PATH_MAX];
	struct dirent *de;
	int n = 0;
	DIR *d;

	pathf(p, "%s/%s", t->data, sub);
	if ((d = opendir(p)) == NULL)
		fail_msg("cannot list %s: %s", p, strerror(errno));
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

/* Nothing of a refused deploy is left anywhere. */
static void
assert_nothing_left(struct fixture *t)
{
	assert_int_equal(count(t, "tmp"), 0);
	assert_int_equal(count(t, "bundles"), 0);
	assert_int_equal(count(t, "functions"), 0);
}

static void
assert_err(const char *err, const char *want)
{
	if (strstr(err, want) == NULL)
		fail_msg("error '%s' does not mention '%s'", err, want);
}

static struct deploy *
begin(struct fixture *t, uint64_t max)
{
	struct deploy *d = NULL;

	if (deploy_begin(t->s, max, &d, t->err, sizeof(t->err)) < 0)
		fail_msg("deploy_begin: %s", t->err);
	assert_non_null(d);
	return d;
}

/* Put a file in two pieces, as a multipart parser hands them over (a
 * piece at offset 0 starts a file: a short one goes in one piece). */
static int
put(struct fixture *t, struct deploy *d, const char *name, const char *buf,
    size_t len)
{
	size_t half = len > 1 ? len / 2 : len;
	int rc;

	rc = deploy_put(d, name, 0, buf, half, t->err, sizeof(t->err));
	if (rc == 0 && half < len)
		rc = deploy_put(d, name, half, buf + half, len - half, t->err,
				sizeof(t->err));
	return rc;
}

/* Put every file of the KAT bundle; replace (if not NULL) takes the
 * place of data.txt's content. */
static void
put_kat(struct fixture *t, struct deploy *d, const char *replace)
{
	char p[PATH_MAX], *text;
	size_t i, len;

	for (i = 0; i < KAT_NFILES; i++) {
		pathf(p, KAT_DIR "/%s", kat_files[i]);
		text = file_get(p, &len);
		if (replace != NULL && !strcmp(kat_files[i], "data.txt"))
			assert_int_equal(put(t, d, kat_files[i], replace,
					     strlen(replace)),
					 0);
		else if (put(t, d, kat_files[i], text, len) < 0)
			fail_msg("deploy_put %s: %s", kat_files[i], t->err);
		free(text);
	}
}

static int
commit(struct fixture *t, struct deploy *d, struct store_function *f)
{
	return deploy_commit(d, &t->kat, 1, NULL, f, t->err, sizeof(t->err));
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)ftw;
	if (flag == FTW_D || flag == FTW_DP)
		chmod(path, (st->st_mode & 07777) | 0700);
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

static int
setup(void **state)
{
	struct fixture *t = calloc(1, sizeof(*t));
	char *text;
	size_t len;

	assert_non_null(t);
	pathf(t->root, "/tmp/test_deploy.XXXXXX");
	assert_non_null(mkdtemp(t->root));
	pathf(t->data, "%s/data", t->root);
	if (store_open(t->data, &t->s, t->err, sizeof(t->err)) < 0)
		fail_msg("store_open: %s", t->err);
	text = file_get(KAT_PUB, &len);
	assert_int_equal(minisign_pubkey_parse(text, len, &t->kat, t->err,
					       sizeof(t->err)),
			 0);
	free(text);
	*state = t;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *t = *state;

	store_close(t->s);
	nftw(t->root, chmod_one, 16, FTW_PHYS);
	nftw(t->root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(t);
	return 0;
}

/* ---- a good bundle ------------------------------------------------------- */

/* Staged, verified, installed, recorded; the same again is one bundle. */
static void
test_commit(void **state)
{
	struct fixture *t = *state;
	struct store_function f, g, again;
	struct stat st, st2;
	struct deploy *d;
	char p[PATH_MAX], *sum;
	int64_t now = (int64_t)time(NULL);

	d = begin(t, 1 << 20);
	assert_int_equal(count(t, "tmp"), 1);
	put_kat(t, d, NULL);
	if (commit(t, d, &f) < 0)
		fail_msg("deploy_commit: %s", t->err);
	sum = file_get(KAT_SUM, NULL);
	assert_memory_equal(f.checksum, sum, 64);
	free(sum);
	assert_int_equal(strlen(f.id), 22);
	assert_string_equal(f.plugin, "tiny.so");
	assert_true(f.created >= now && f.created <= now + 60);
	assert_int_equal(store_function_get(t->s, f.id, &g, t->err,
					    sizeof(t->err)),
			 0);
	assert_memory_equal(&f, &g, sizeof(f));
	pathf(p, "%s/bundles/%s", t->data, f.checksum);
	assert_int_equal(lstat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0555);
	assert_int_equal(count(t, "tmp"), 0);

	/* The same bundle again: the same version, nothing stored twice. */
	d = begin(t, 1 << 20);
	put_kat(t, d, NULL);
	if (commit(t, d, &again) < 0)
		fail_msg("deploy_commit again: %s", t->err);
	assert_string_equal(again.checksum, f.checksum);
	assert_memory_equal(&again, &f, sizeof(f));
	assert_int_equal(f.number, 1);
	assert_int_equal(lstat(p, &st2), 0);
	assert_int_equal(st2.st_ino, st.st_ino);
	assert_int_equal(count(t, "bundles"), 1);
	assert_int_equal(count(t, "functions"), 1);
	assert_int_equal(count(t, "tmp"), 0);
}

/* ---- refusals ------------------------------------------------------------ */

static void
test_untrusted(void **state)
{
	struct fixture *t = *state;
	struct minisign_pubkey other;
	struct minisign_seckey sk;
	struct store_function f;
	struct deploy *d;

	assert_int_equal(minisign_keygen(&sk, t->err, sizeof(t->err)), 0);
	minisign_seckey_public(&sk, &other);
	minisign_seckey_clear(&sk);
	d = begin(t, 1 << 20);
	put_kat(t, d, NULL);
	assert_int_equal(deploy_commit(d, &other, 1, NULL, &f, t->err,
				       sizeof(t->err)),
			 -ERR_UNTRUSTED);
	assert_err(t->err, "not a trusted key");
	assert_nothing_left(t);
	/* No key at all is no better. */
	d = begin(t, 1 << 20);
	put_kat(t, d, NULL);
	assert_int_equal(deploy_commit(d, NULL, 0, NULL, &f, t->err,
				       sizeof(t->err)),
			 -ERR_UNTRUSTED);
	assert_nothing_left(t);
}

static void
test_mismatch(void **state)
{
	struct fixture *t = *state;
	struct store_function f;
	struct deploy *d;

	/* A file that is not what MANIFEST says. */
	d = begin(t, 1 << 20);
	put_kat(t, d, "not the data\n");
	assert_int_equal(commit(t, d, &f), -ERR_BAD_BUNDLE);
	assert_err(t->err, "data.txt");
	assert_nothing_left(t);

	/* A file MANIFEST does not name. */
	d = begin(t, 1 << 20);
	put_kat(t, d, NULL);
	assert_int_equal(put(t, d, "extra.txt", "x", 1), 0);
	assert_int_equal(commit(t, d, &f), -ERR_BAD_BUNDLE);
	assert_nothing_left(t);

	/* No signature. */
	d = begin(t, 1 << 20);
	assert_int_equal(put(t, d, "tiny.so", "x", 1), 0);
	assert_int_equal(commit(t, d, &f), -ERR_BAD_BUNDLE);
	assert_nothing_left(t);
}

static void
test_bad_names(void **state)
{
	static const char *const bad[] = {
		".hidden", "a/b", "", "../x", "tab\there", "back\\slash",
	};
	struct fixture *t = *state;
	struct store_function f;
	struct deploy *d;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		d = begin(t, 1 << 20);
		assert_int_equal(deploy_put(d, bad[i], 0, "x", 1, t->err,
					    sizeof(t->err)),
				 -ERR_BAD_BUNDLE);
		assert_err(t->err, "bad file name");
		/* Refused at once: nothing waits for the end. */
		assert_int_equal(count(t, "tmp"), 0);
		deploy_abort(d);
	}
	d = begin(t, 1 << 20);
	assert_int_equal(deploy_put(d, NULL, 0, "x", 1, t->err, sizeof(t->err)),
			 -ERR_BAD_BUNDLE);
	assert_err(t->err, "a part has no file name");
	assert_int_equal(commit(t, d, &f), -ERR_BAD_BUNDLE);
	assert_nothing_left(t);
}

static void
test_sent_twice(void **state)
{
	struct fixture *t = *state;
	struct store_function f;
	struct deploy *d;

	d = begin(t, 1 << 20);
	assert_int_equal(put(t, d, "data.txt", "one", 3), 0);
	assert_int_equal(put(t, d, "tiny.so", "x", 1), 0);
	assert_int_equal(put(t, d, "data.txt", "two", 3), -ERR_BAD_BUNDLE);
	assert_string_equal(t->err, "file 'data.txt' is sent twice");
	assert_int_equal(commit(t, d, &f), -ERR_BAD_BUNDLE);
	assert_string_equal(t->err, "file 'data.txt' is sent twice");
	assert_nothing_left(t);
}

static void
test_too_large(void **state)
{
	struct fixture *t = *state;
	struct store_function f;
	struct deploy *d;
	char name[32];
	int i, rc = 0;

	/* Bytes: the limit is on all files together. */
	d = begin(t, 10);
	assert_int_equal(put(t, d, "a", "12345", 5), 0);
	assert_int_equal(put(t, d, "b", "12345", 5), 0);
	assert_int_equal(put(t, d, "c", "1", 1), -ERR_TOO_LARGE);
	assert_string_equal(t->err, "the bundle is over the limit of 10 bytes");
	assert_int_equal(count(t, "tmp"), 0);
	assert_int_equal(commit(t, d, &f), -ERR_TOO_LARGE);
	assert_nothing_left(t);

	/* Files: BUNDLE_MAX_FILES and MANIFEST and its signature. */
	d = begin(t, 1 << 20);
	for (i = 0; i < BUNDLE_MAX_FILES + 2 && rc == 0; i++) {
		snprintf(name, sizeof(name), "f%03d", i);
		rc = deploy_put(d, name, 0, "", 0, t->err, sizeof(t->err));
	}
	assert_int_equal(rc, 0);
	assert_int_equal(deploy_put(d, "one-more", 0, "", 0, t->err,
				    sizeof(t->err)),
			 -ERR_TOO_LARGE);
	assert_string_equal(t->err, "a bundle holds at most 256 files");
	deploy_abort(d);
	assert_nothing_left(t);
}

/* The first refusal is the one told, however many follow. */
static void
test_first_reason(void **state)
{
	struct fixture *t = *state;
	struct store_function f;
	struct deploy *d;

	d = begin(t, 4);
	assert_int_equal(put(t, d, ".x", "1", 1), -ERR_BAD_BUNDLE);
	assert_int_equal(put(t, d, "big", "123456789", 9), -ERR_BAD_BUNDLE);
	assert_err(t->err, "bad file name '.x'");
	assert_int_equal(commit(t, d, &f), -ERR_BAD_BUNDLE);
	assert_err(t->err, "bad file name '.x'");
	assert_nothing_left(t);
}

/* A write the file system refuses: past RLIMIT_FSIZE (EFBIG). */
static void
test_io(void **state)
{
	struct fixture *t = *state;
	struct store_function f;
	struct rlimit old, low;
	struct deploy *d;
	void (*was)(int);
	int rc;

	d = begin(t, 1 << 20);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	low = old;
	low.rlim_cur = 4096;
	was = signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &low), 0);
	rc = deploy_put(d, "tiny.so", 8192, "x", 1, t->err, sizeof(t->err));
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, was);
	assert_int_equal(rc, -ERR_IO);
	assert_err(t->err, "cannot store 'tiny.so'");
	assert_int_equal(commit(t, d, &f), -ERR_IO);
	assert_nothing_left(t);
}

static void
test_abort(void **state)
{
	struct fixture *t = *state;
	struct deploy *d;

	deploy_abort(NULL);
	d = begin(t, 1 << 20);
	put_kat(t, d, NULL);
	assert_int_equal(count(t, "tmp"), 1);
	deploy_abort(d);
	assert_nothing_left(t);
	/* Aborted before any file. */
	deploy_abort(begin(t, 1 << 20));
	assert_nothing_left(t);
}

/* ---- the plugin's descriptor --------------------------------------------- */

/* A probe that answers what its context says, and records what it saw. */
struct fake_probe {
	const char *name, *version; /* NULL: it fails with kind fail */
	int fail;
	int calls;
	char checksum[65];
	int bundle_fd_ok; /* the fd is the installed bundle's directory */
};

static int
fake_descriptor(void *ctx, const struct store_function *f, int bundle_fd,
		const char *bundle_path, char name[101], char version[101],
		char *err, size_t errlen)
{
	struct fake_probe *fp = ctx;
	struct stat st;

	fp->calls++;
	memcpy(fp->checksum, f->checksum, sizeof(fp->checksum));
	fp->bundle_fd_ok = fstatat(bundle_fd, "tiny.so", &st, 0) == 0 &&
			   strstr(bundle_path, f->checksum) != NULL;
	if (!fp->name)
		return err_set(err, errlen, fp->fail, "%s",
			       fp->fail == ERR_REFUSED
				       ? "the plugin's init failed: no licence"
				       : "no worker");
	snprintf(name, 101, "%s", fp->name);
	snprintf(version, 101, "%s", fp->version);
	return 0;
}

static int
commit_probed(struct fixture *t, struct fake_probe *fp,
	      struct store_function *f)
{
	struct deploy_probe probe = { fake_descriptor, fp };
	struct deploy *d = begin(t, 1 << 20);

	put_kat(t, d, NULL);
	return deploy_commit(d, &t->kat, 1, &probe, f, t->err, sizeof(t->err));
}

/* The signature says name=tiny version=1.0: a descriptor that says
 * otherwise, or no worker to load it, writes no record (the installed
 * bundle, unreferenced, goes at the next store_open()); the same name
 * and version, or a plugin that does not load (whose sessions fail as
 * its probe did), deploy. */
static void
test_descriptor(void **state)
{
	struct fixture *t = *state;
	struct fake_probe other = { "echo", "1.0", 0, 0, "", 0 };
	struct fake_probe older = { "tiny", "0.9", 0, 0, "", 0 };
	struct fake_probe noworker = { NULL, NULL, ERR_IO, 0, "", 0 };
	struct fake_probe broken = { NULL, NULL, ERR_REFUSED, 0, "", 0 };
	struct fake_probe same = { "tiny", "1.0", 0, 0, "", 0 };
	struct store_function f;
	char *sum = file_get(KAT_SUM, NULL);

	assert_int_equal(commit_probed(t, &other, &f), -ERR_BAD_BUNDLE);
	assert_int_equal(other.calls, 1);
	assert_true(other.bundle_fd_ok);
	assert_memory_equal(other.checksum, sum, 64);
	assert_err(t->err, "the signature names tiny version 1.0 but the "
			   "plugin's descriptor echo version 1.0");
	assert_int_equal(count(t, "functions"), 0);
	assert_int_equal(count(t, "tmp"), 0);

	assert_int_equal(commit_probed(t, &older, &f), -ERR_BAD_BUNDLE);
	assert_err(t->err, "descriptor tiny version 0.9");
	assert_int_equal(count(t, "functions"), 0);

	assert_int_equal(commit_probed(t, &noworker, &f), -ERR_IO);
	assert_err(t->err, "no worker");
	assert_int_equal(count(t, "functions"), 0);

	store_close(t->s);
	if (store_open(t->data, &t->s, t->err, sizeof(t->err)) < 0)
		fail_msg("store_open: %s", t->err);
	assert_nothing_left(t);

	if (commit_probed(t, &same, &f) < 0)
		fail_msg("deploy_commit: %s", t->err);
	assert_int_equal(same.calls, 1);
	assert_string_equal(f.name, "tiny");
	assert_string_equal(f.version, "1.0");
	assert_int_equal(count(t, "functions"), 1);

	if (commit_probed(t, &broken, &f) < 0)
		fail_msg("deploy_commit of a plugin that does not load: %s",
			 t->err);
	assert_int_equal(broken.calls, 1);
	assert_string_equal(f.name, "tiny");
	free(sum);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_commit),	      T(test_untrusted),  T(test_mismatch),
		T(test_bad_names),    T(test_sent_twice), T(test_too_large),
		T(test_first_reason), T(test_io),	  T(test_abort),
		T(test_descriptor),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
