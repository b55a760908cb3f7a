/*
 * test_bundle.c: MANIFEST building and parsing, trusted comments, and
 * bundle_sign()/bundle_verify() on the known-answer bundle made with
 * coreutils and minisign (tests/kat/bundle/README) and on temporary
 * bundles broken in every way the host must refuse.  Run from the top of
 * the source tree.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/hex.h"
#include "formats/bundle.h"
#include "formats/minisign.h"

#define KAT_DIR "tests/kat/bundle/"

static char *
kat_read(const char *name, size_t *len)
{
	char path[256], *buf;
	FILE *f;

	snprintf(path, sizeof(path), KAT_DIR "%s", name);
	f = fopen(path, "rb");
	if (f == NULL)
		fail_msg("cannot open %s (run from the source tree)", path);
	buf = malloc(65536);
	assert_non_null(buf);
	*len = fread(buf, 1, 65535, f);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

static void
assert_err(const char *err, const char *want)
{
	if (strstr(err, want) == NULL)
		fail_msg("error '%s' does not mention '%s'", err, want);
}

static int
kat_dir(void)
{
	int fd = open(KAT_DIR "tiny", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd == -1)
		fail_msg("cannot open " KAT_DIR "tiny: %s", strerror(errno));
	return fd;
}

static void
kat_pubkey(struct minisign_pubkey *pk)
{
	char err[256], *buf;
	size_t len;

	buf = kat_read("minisign.pub", &len);
	assert_int_equal(minisign_pubkey_parse(buf, len, pk, err, sizeof(err)),
			 0);
	free(buf);
}

/* ---- known answers ------------------------------------------------------- */

static void
test_build_kat(void **state)
{
	char err[256], *text, *want;
	size_t len, wlen;
	int fd = kat_dir();

	(void)state;
	want = kat_read("tiny/MANIFEST", &wlen);
	assert_int_equal(bundle_manifest_build(fd, &text, &len, err,
					       sizeof(err)),
			 0);
	assert_int_equal(len, wlen);
	assert_string_equal(text, want);
	free(text);
	free(want);
	close(fd);
}

static void
test_verify_kat(void **state)
{
	struct minisign_pubkey pk;
	struct bundle_info info;
	char err[256], *sum, hex[65];
	size_t len;
	int fd = kat_dir();

	(void)state;
	kat_pubkey(&pk);
	sum = kat_read("tiny.sha256", &len);
	sum[64] = '\0';
	if (bundle_verify(fd, &pk, 1, &info, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	assert_string_equal(info.checksum, sum);
	assert_string_equal(info.name, "tiny");
	assert_string_equal(info.version, "1.0");
	assert_string_equal(info.plugin, "tiny.so");
	assert_int_equal(info.nfiles, 3);
	hex_encode(hex, info.plugin_sha256, 32);
	assert_string_equal(hex, "b9f356fb71bd995931ac0845317f92623de5b343"
				 "77e56d693c3a8f4fd41e2a68");
	free(sum);
	close(fd);
}

static void
test_sha256_fd(void **state)
{
	unsigned char d[32];
	char err[256], hex[65];
	uint64_t size;
	int fd;

	(void)state;
	fd = open(KAT_DIR "tiny/data.txt", O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(bundle_sha256_fd(fd, 1 << 20, d, &size, err,
					  sizeof(err)),
			 0);
	assert_int_equal(size, 14);
	hex_encode(hex, d, 32);
	assert_string_equal(hex, "ceadc1c73f5f75139450ee95a5248d1e1fa62a94"
				 "062874e37d979ddbbb85b287");
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(bundle_sha256_fd(fd, 13, d, NULL, err, sizeof(err)),
			 -ERR_INVALID);
	assert_err(err, "more than 13 bytes");
	close(fd);
}

/* ---- names, MANIFEST text, trusted comments ------------------------------ */

static void
test_name_check(void **state)
{
	char err[256], name[300];
	static const char *bad[] = {
		"",	".x",	 "..",	 "a/b",	 "a\nb",
		"a\tb", "a\x7f", "a\\b", "\x01", "x\r",
	};
	size_t i;

	(void)state;
	assert_int_equal(bundle_name_check("a b.so", 6, err, sizeof(err)), 0);
	assert_int_equal(bundle_name_check("x.", 2, err, sizeof(err)), 0);
	assert_int_equal(bundle_name_check("\xc3\xa9", 2, err, sizeof(err)), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(bundle_name_check(bad[i], strlen(bad[i]), err,
						   sizeof(err)),
				 -ERR_INVALID);
		assert_err(err, "bad file name '");
	}
	assert_int_equal(bundle_name_check(".hidden", 7, err, sizeof(err)),
			 -ERR_INVALID);
	assert_string_equal(err, "bad file name '.hidden'");
	assert_int_equal(bundle_name_check("a\nb", 3, err, sizeof(err)),
			 -ERR_INVALID);
	assert_string_equal(err, "bad file name 'a\\x0ab'");
	memset(name, 'n', sizeof(name));
	assert_int_equal(bundle_name_check(name, BUNDLE_NAME_MAX, err,
					   sizeof(err)),
			 0);
	assert_int_equal(bundle_name_check(name, BUNDLE_NAME_MAX + 1, err,
					   sizeof(err)),
			 -ERR_INVALID);
}

#define D64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void
manifest_ok(const char *text, size_t n)
{
	struct bundle_manifest m;
	char err[256];

	if (bundle_manifest_parse(text, strlen(text), &m, err, sizeof(err)) < 0)
		fail_msg("'%s': %s", text, err);
	assert_int_equal(m.n, n);
	bundle_manifest_free(&m);
}

static void
manifest_bad(const char *text, size_t len, const char *want)
{
	struct bundle_manifest m;
	char err[256];

	if (bundle_manifest_parse(text, len, &m, err, sizeof(err)) >= 0)
		fail_msg("'%s' parsed, should fail with '%s'", text, want);
	assert_err(err, want);
	assert_null(m.entries);
	assert_int_equal(m.n, 0);
}
#define BAD(text, want) manifest_bad(text, sizeof(text) - 1, want)

static void
test_manifest_parse(void **state)
{
	struct bundle_manifest m;
	char err[256], *big, *kat;
	size_t len, i;

	(void)state;
	kat = kat_read("tiny/MANIFEST", &len);
	assert_int_equal(bundle_manifest_parse(kat, len, &m, err, sizeof(err)),
			 0);
	assert_int_equal(m.n, 3);
	assert_string_equal(m.entries[1].name, "empty file");
	assert_int_equal(m.entries[2].sha256[0], 0xb9);
	bundle_manifest_free(&m);
	free(kat);

	manifest_ok(D64 "  a.so\n", 1);
	/* sha256sum's line for a file named " a.so". */
	manifest_ok(D64 "   a.so\n", 1);
	/* Byte order: upper case sorts before lower case, '.' before 'a'. */
	manifest_ok(D64 "  B\n" D64 "  a.so\n" D64 "  a.so.1\n", 3);

	BAD("", "MANIFEST is empty");
	BAD(D64 "  a.so", "MANIFEST line 1: missing newline");
	BAD(D64 "  a.so\r\n", "MANIFEST line 1: CRLF line ending");
	BAD(D64 "  a\n" D64 "  a.so\r\n", "MANIFEST line 2: CRLF");
	BAD("0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef"
	    "  a.so\n",
	    "MANIFEST line 1: bad hex digest");
	BAD("g123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	    "  a.so\n",
	    "MANIFEST line 1: bad hex digest");
	BAD("0123456789abcdef  a.so\n", "MANIFEST line 1: too short");
	BAD(D64 " *a.so\n", "expected two spaces after the digest");
	BAD(D64 "  .x\n", "MANIFEST line 1: bad file name '.x'");
	BAD(D64 "  a/b\n", "bad file name 'a/b'");
	BAD(D64 "  a\x01\n", "bad file name 'a\\x01'");
	BAD(D64 "  a\\b\n", "bad file name");
	BAD(D64 "  a\0b\n", "bad file name 'a\\x00b'");
	BAD(D64 "  \n", "MANIFEST line 1: too short");
	BAD(D64 "  b\n" D64 "  a\n", "MANIFEST line 2: not sorted: 'a'");
	BAD(D64 "  a\n" D64 "  a\n", "MANIFEST line 2: duplicate name 'a'");
	BAD(D64 "  MANIFEST\n", "names 'MANIFEST'");
	BAD(D64 "  MANIFEST.minisig\n", "names 'MANIFEST.minisig'");
	BAD(D64 "  a\n\n", "MANIFEST line 2: too short");

	/* An overlong line, and more lines than files allowed. */
	big = malloc(BUNDLE_MANIFEST_MAX + 2);
	assert_non_null(big);
	memcpy(big, D64 "  ", 66);
	memset(big + 66, 'x', 400);
	big[466] = '\n';
	manifest_bad(big, 467, "MANIFEST line 1: too long");
	memset(big + 66, 'x', BUNDLE_NAME_MAX + 1);
	big[66 + BUNDLE_NAME_MAX + 1] = '\n';
	manifest_bad(big, 66 + BUNDLE_NAME_MAX + 2, "line 1: too long");
	big[66 + BUNDLE_NAME_MAX] = '\n'; /* the longest name there is */
	assert_int_equal(bundle_manifest_parse(big, 66 + BUNDLE_NAME_MAX + 1,
					       &m, err, sizeof(err)),
			 0);
	bundle_manifest_free(&m);
	for (i = 0, len = 0; i <= BUNDLE_MAX_FILES; i++)
		len += (size_t)sprintf(big + len, D64 "  f%04zu\n", i);
	manifest_bad(big, len, "MANIFEST names more than 256 files");
	memset(big, '\n', BUNDLE_MANIFEST_MAX + 1);
	manifest_bad(big, BUNDLE_MANIFEST_MAX + 1, "MANIFEST is larger than");
	free(big);
}

static void
comment_bad(const char *tc, const char *want)
{
	struct bundle_info info;
	char err[256];

	if (bundle_comment_parse(tc, &info, err, sizeof(err)) >= 0)
		fail_msg("'%s' parsed, should fail with '%s'", tc, want);
	assert_err(err, want);
}

static void
test_comment_parse(void **state)
{
	struct bundle_info info;
	char err[256];

	(void)state;
	assert_int_equal(bundle_comment_parse("name=hide_and_seek "
					      "version=1.0.0-rc1+b abi=1 "
					      "sha256=" D64,
					      &info, err, sizeof(err)),
			 0);
	assert_string_equal(info.name, "hide_and_seek");
	assert_string_equal(info.version, "1.0.0-rc1+b");
	assert_string_equal(info.checksum, D64);

	comment_bad("name=a version=1 abi=2 sha256=" D64,
		    "abi=2, but this host runs abi=1");
	comment_bad("name=a version=1 abi= sha256=" D64, "abi=, but");
	comment_bad("name=a version=1 abi=1 sha256=" D64 "0",
		    "sha256 is not 64 lower-case hex digits");
	comment_bad("name=a version=1 abi=1 sha256=ABCDEF", "sha256 is not");
	comment_bad("version=1 name=a abi=1 sha256=" D64, "is not 'name=");
	comment_bad("name=a version=1 abi=1", "is not 'name=");
	comment_bad("name=a  version=1 abi=1 sha256=" D64, "is not 'name=");
	comment_bad("name=a version=1 abi=1 sha256=" D64 " x=y",
		    "sha256 is not");
	comment_bad("name=.a version=1 abi=1 sha256=" D64, "bad name '.a'");
	comment_bad("name= version=1 abi=1 sha256=" D64, "bad name ''");
	comment_bad("name=a version=1/2 abi=1 sha256=" D64,
		    "bad version '1/2'");
	comment_bad("timestamp:1\tfile:MANIFEST", "is not 'name=");
}

/* ---- temporary bundles --------------------------------------------------- */

struct tmp {
	char path[64];
	int fd;
	struct minisign_seckey sk;
	struct minisign_pubkey pk;
};

static void
put(int dirfd, const char *name, const char *text)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static int
tmp_setup(void **state)
{
	struct tmp *t = calloc(1, sizeof(*t));
	char err[256];

	assert_non_null(t);
	snprintf(t->path, sizeof(t->path), "/tmp/fnhost-test-bundle.XXXXXX");
	assert_non_null(mkdtemp(t->path));
	t->fd = open(t->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(t->fd >= 0);
	assert_int_equal(minisign_keygen(&t->sk, err, sizeof(err)), 0);
	minisign_seckey_public(&t->sk, &t->pk);
	put(t->fd, "fn.so", "\177ELF plugin bytes");
	put(t->fd, "private.pem", "resource");
	*state = t;
	return 0;
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int
tmp_teardown(void **state)
{
	struct tmp *t = *state;

	close(t->fd);
	nftw(t->path, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	minisign_seckey_clear(&t->sk);
	free(t);
	return 0;
}

static void
sign_ok(struct tmp *t)
{
	char err[256];

	if (bundle_sign(t->fd, &t->sk, "fn", "2", NULL, err, sizeof(err)) < 0)
		fail_msg("sign: %s", err);
}

/* bundle_verify() must fail on the temporary bundle with exactly want. */
static void
verify_fails(struct tmp *t, const char *want)
{
	struct bundle_info info;
	char err[256];

	if (bundle_verify(t->fd, &t->pk, 1, &info, err, sizeof(err)) >= 0)
		fail_msg("verified, should fail with '%s'", want);
	assert_string_equal(err, want);
	assert_string_equal(info.checksum, "");
}

static void
test_sign_verify(void **state)
{
	struct tmp *t = *state;
	struct bundle_info info;
	char err[256], sum[65], *text;
	size_t len;
	struct stat st;

	/* A stale temporary from a crashed signer is cleaned up. */
	put(t->fd, ".MANIFEST.tmp", "stale");
	assert_int_equal(bundle_sign(t->fd, &t->sk, "fn", "2", sum, err,
				     sizeof(err)),
			 0);
	assert_int_equal(fstatat(t->fd, ".MANIFEST.tmp", &st, 0), -1);
	assert_int_equal(bundle_verify(t->fd, &t->pk, 1, &info, err,
				       sizeof(err)),
			 0);
	assert_string_equal(info.checksum, sum);
	assert_string_equal(info.name, "fn");
	assert_string_equal(info.version, "2");
	assert_string_equal(info.plugin, "fn.so");
	assert_int_equal(info.nfiles, 2);
	/* Re-signing sees the same files, so the same MANIFEST. */
	assert_int_equal(bundle_manifest_build(t->fd, &text, &len, err,
					       sizeof(err)),
			 0);
	free(text);
	sign_ok(t);
	assert_int_equal(bundle_verify(t->fd, &t->pk, 1, &info, err,
				       sizeof(err)),
			 0);
	assert_string_equal(info.checksum, sum);

	assert_int_equal(bundle_sign(t->fd, &t->sk, "f n", "2", sum, err,
				     sizeof(err)),
			 -ERR_INVALID);
	assert_err(err, "bad function name 'f n'");
	assert_int_equal(bundle_sign(t->fd, &t->sk, "fn", "", sum, err,
				     sizeof(err)),
			 -ERR_INVALID);
	assert_err(err, "bad version ''");
}

static void
test_refuse_changed(void **state)
{
	struct tmp *t = *state;

	sign_ok(t);
	put(t->fd, "private.pem", "resourcE");
	verify_fails(t, "file 'private.pem' does not match MANIFEST");
}

static void
test_refuse_missing(void **state)
{
	struct tmp *t = *state;

	sign_ok(t);
	assert_int_equal(unlinkat(t->fd, "private.pem", 0), 0);
	verify_fails(t, "file 'private.pem' named in MANIFEST is missing");
	assert_int_equal(unlinkat(t->fd, "MANIFEST.minisig", 0), 0);
	verify_fails(t, "file 'MANIFEST.minisig' is missing");
	assert_int_equal(unlinkat(t->fd, "MANIFEST", 0), 0);
	verify_fails(t, "file 'MANIFEST' is missing");
}

/* A file MANIFEST does not name is refused, but a dotfile: it is no part
 * of a bundle directory (bundle_dir_skips()), for verify as for deploy's
 * upload and test's staging, so one made after signing changes nothing. */
static void
test_refuse_extra(void **state)
{
	struct tmp *t = *state;
	struct bundle_info info;
	char err[256];

	sign_ok(t);
	put(t->fd, "zzz", "x");
	verify_fails(t, "file 'zzz' is not in MANIFEST");
	assert_int_equal(unlinkat(t->fd, "zzz", 0), 0);
	put(t->fd, ".x", "x");
	assert_int_equal(bundle_verify(t->fd, &t->pk, 1, &info, err,
				       sizeof(err)),
			 0);
	assert_int_equal(info.nfiles, 2);
	assert_true(bundle_dir_skips(".x"));
	assert_false(bundle_dir_skips("x.so"));
}

static void
test_refuse_types(void **state)
{
	struct tmp *t = *state;
	char err[256], *text;
	size_t len;

	sign_ok(t);
	assert_int_equal(symlinkat("/etc/passwd", t->fd, "link"), 0);
	verify_fails(t, "file 'link' is a symlink");
	assert_int_equal(unlinkat(t->fd, "link", 0), 0);

	assert_int_equal(mkdirat(t->fd, "sub", 0755), 0);
	verify_fails(t, "file 'sub' is a directory (bundles are flat)");
	assert_int_equal(bundle_manifest_build(t->fd, &text, &len, err,
					       sizeof(err)),
			 -1);
	assert_string_equal(err, "file 'sub' is a directory (bundles are "
				 "flat)");
	assert_int_equal(unlinkat(t->fd, "sub", AT_REMOVEDIR), 0);

	assert_int_equal(mkfifoat(t->fd, "fifo", 0644), 0);
	verify_fails(t, "file 'fifo' is not a regular file");
	assert_int_equal(unlinkat(t->fd, "fifo", 0), 0);

	/* MANIFEST itself must not be a symlink either. */
	assert_int_equal(renameat(t->fd, "MANIFEST", t->fd, "M"), 0);
	assert_int_equal(symlinkat("M", t->fd, "MANIFEST"), 0);
	verify_fails(t, "file 'MANIFEST' is a symlink");
}

static void
test_refuse_signature(void **state)
{
	struct tmp *t = *state;
	struct minisign_seckey other;
	struct minisign_pubkey keys[2];
	struct bundle_info info;
	char err[256], id[MINISIGN_KEYID_HEX], want[128], *sig;
	size_t len;

	sign_ok(t);
	/* A key we do not trust. */
	assert_int_equal(minisign_keygen(&other, err, sizeof(err)), 0);
	minisign_seckey_public(&other, &keys[0]);
	minisign_keyid_hex(t->sk.key_id, id);
	snprintf(want, sizeof(want),
		 "signature was made by key %s, not a "
		 "trusted key",
		 id);
	assert_int_equal(bundle_verify(t->fd, keys, 1, &info, err, sizeof(err)),
			 -ERR_UNTRUSTED);
	assert_string_equal(err, want);
	/* ... but among several trusted keys, the right one is found. */
	keys[1] = t->pk;
	assert_int_equal(bundle_verify(t->fd, keys, 2, &info, err, sizeof(err)),
			 0);

	/* A MANIFEST changed after signing. */
	put(t->fd, "MANIFEST", D64 "  fn.so\n");
	verify_fails(t, "signature verification failed");

	/* A good signature whose trusted comment names another MANIFEST. */
	assert_int_equal(minisign_sign(&t->sk, D64 "  fn.so\n", 72,
				       "name=fn version=2 abi=1 sha256=" D64,
				       &sig, &len, err, sizeof(err)),
			 0);
	put(t->fd, "MANIFEST.minisig", sig);
	free(sig);
	verify_fails(t,
		     "trusted comment sha256=" D64 ", but MANIFEST has "
		     "sha256 45d8a2577cc5693dccdd47bcd37ff3f10423435167cc9134"
		     "e961b0d71146dd93");
	minisign_seckey_clear(&other);
}

static void
test_refuse_plugins(void **state)
{
	struct tmp *t = *state;
	char err[256], name[BUNDLE_NAME_MAX + 1], *text;
	size_t len;

	assert_int_equal(bundle_find_plugin(t->fd, name, sizeof(name), err,
					    sizeof(err)),
			 0);
	assert_string_equal(name, "fn.so");
	put(t->fd, "gn.so", "second");
	assert_int_equal(bundle_find_plugin(t->fd, name, sizeof(name), err,
					    sizeof(err)),
			 -ERR_INVALID);
	assert_err(err, "bundle holds two .so files");
	assert_int_equal(bundle_manifest_build(t->fd, &text, &len, err,
					       sizeof(err)),
			 -1);
	assert_string_equal(err, "bundle holds two .so files, 'fn.so' and "
				 "'gn.so'");
	assert_int_equal(unlinkat(t->fd, "gn.so", 0), 0);
	assert_int_equal(unlinkat(t->fd, "fn.so", 0), 0);
	assert_int_equal(bundle_find_plugin(t->fd, name, sizeof(name), err,
					    sizeof(err)),
			 -ERR_INVALID);
	assert_string_equal(err, "bundle holds no .so file");
	assert_int_equal(bundle_manifest_build(t->fd, &text, &len, err,
					       sizeof(err)),
			 -1);
	assert_string_equal(err, "bundle holds no .so file");
	assert_int_equal(symlinkat("private.pem", t->fd, "fn.so"), 0);
	assert_int_equal(bundle_find_plugin(t->fd, name, sizeof(name), err,
					    sizeof(err)),
			 -1);
	assert_string_equal(err, "file 'fn.so' is a symlink");
}

static void
test_limits(void **state)
{
	struct tmp *t = *state;
	char err[256], name[32], *text;
	size_t len;
	int i, fd;

	/* A sparse file just past the byte limit: refused before reading. */
	fd = openat(t->fd, "big", O_WRONLY | O_CREAT, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)BUNDLE_MAX_BYTES + 1), 0);
	close(fd);
	assert_int_equal(bundle_manifest_build(t->fd, &text, &len, err,
					       sizeof(err)),
			 -1);
	assert_string_equal(err, "bundle holds more than 268435456 bytes");
	assert_int_equal(unlinkat(t->fd, "big", 0), 0);
	/* Two files that fit alone but not together. */
	for (i = 0; i < 2; i++) {
		snprintf(name, sizeof(name), "half%d", i);
		fd = openat(t->fd, name, O_WRONLY | O_CREAT, 0644);
		assert_true(fd >= 0);
		assert_int_equal(ftruncate(fd, (off_t)BUNDLE_MAX_BYTES / 2 + 1),
				 0);
		close(fd);
	}
	assert_int_equal(bundle_manifest_build(t->fd, &text, &len, err,
					       sizeof(err)),
			 -1);
	assert_string_equal(err, "bundle holds more than 268435456 bytes");
	assert_int_equal(unlinkat(t->fd, "half0", 0), 0);
	assert_int_equal(unlinkat(t->fd, "half1", 0), 0);

	/* fn.so and private.pem, and as many more as allowed. */
	for (i = 0; i < BUNDLE_MAX_FILES - 2; i++) {
		snprintf(name, sizeof(name), "f%03d", i);
		put(t->fd, name, "");
	}
	assert_int_equal(bundle_manifest_build(t->fd, &text, &len, err,
					       sizeof(err)),
			 0);
	free(text);
	put(t->fd, "one-too-many", "");
	assert_int_equal(bundle_manifest_build(t->fd, &text, &len, err,
					       sizeof(err)),
			 -1);
	assert_string_equal(err, "bundle holds more than 256 files");
}

#define TMP_TEST(f) cmocka_unit_test_setup_teardown(f, tmp_setup, tmp_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_kat),
		cmocka_unit_test(test_verify_kat),
		cmocka_unit_test(test_sha256_fd),
		cmocka_unit_test(test_name_check),
		cmocka_unit_test(test_manifest_parse),
		cmocka_unit_test(test_comment_parse),
		TMP_TEST(test_sign_verify),
		TMP_TEST(test_refuse_changed),
		TMP_TEST(test_refuse_missing),
		TMP_TEST(test_refuse_extra),
		TMP_TEST(test_refuse_types),
		TMP_TEST(test_refuse_signature),
		TMP_TEST(test_refuse_plugins),
		TMP_TEST(test_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
