/*
 * test_base.c: the base layer against known answers: hex both ways and
 * its refusals, quoting of every kind of byte and truncation, bounded
 * file reads and their refusals (missing, too large, symlink, directory),
 * atomic replace (mode, no temporary left), the duration grammar and
 * formatter with overflow, capped buffers, the monotonic clock and the
 * error kinds.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/duration.h"
#include "base/err.h"
#include "base/fileio.h"
#include "base/hex.h"
#include "base/quote.h"
#include "base/utf8.h"

/* ---- hex ----------------------------------------------------------------- */

static void
test_hex(void **state)
{
	static const unsigned char bytes[] = { 0x00, 0x01, 0x7f,
					       0x80, 0xab, 0xff };
	unsigned char out[6];
	char text[13];

	(void)state;
	hex_encode(text, bytes, sizeof(bytes));
	assert_string_equal(text, "00017f80abff");
	hex_encode(text, bytes, 0);
	assert_string_equal(text, "");
	assert_int_equal(hex_decode(out, 6, "00017f80abff", 12), 0);
	assert_memory_equal(out, bytes, 6);
	assert_int_equal(hex_decode(out, 0, "", 0), 0);
	/* Wrong length either way, upper case, junk, sign, space, NUL. */
	assert_int_equal(hex_decode(out, 6, "00017f80abf", 11), -ERR_INVALID);
	assert_int_equal(hex_decode(out, 5, "00017f80abff", 12), -ERR_INVALID);
	assert_int_equal(hex_decode(out, 6, "00017F80abff", 12), -ERR_INVALID);
	assert_int_equal(hex_decode(out, 6, "00017g80abff", 12), -ERR_INVALID);
	assert_int_equal(hex_decode(out, 1, "+f", 2), -ERR_INVALID);
	assert_int_equal(hex_decode(out, 1, " f", 2), -ERR_INVALID);
	assert_int_equal(hex_decode(out, 1, "f\0", 2), -ERR_INVALID);
	assert_int_equal(hex_decode(out, SIZE_MAX / 2 + 1, "00", 2),
			 -ERR_INVALID);
}

static void
test_sha256(void **state)
{
	char hex[HEX_SHA256_LEN + 1];

	(void)state;
	assert_int_equal(hex_sha256(hex, "", 0), 0);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb924"
				 "27ae41e4649b934ca495991b7852b855");
	assert_int_equal(hex_sha256(hex, "abc", 3), 0);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223"
				 "b00361a396177a9cb410ff61f20015ad");
}

/* ---- quote --------------------------------------------------------------- */

static void
test_quote(void **state)
{
	char q[64], small[8];

	(void)state;
	assert_string_equal(quote_bytes(q, sizeof(q), "plain text", 10),
			    "plain text");
	assert_string_equal(quote_bytes(q, sizeof(q), "a\"b\\c'd", 7),
			    "a\\\"b\\\\c'd");
	assert_string_equal(quote_bytes(q, sizeof(q), "\n\r\t\x1b\x7f", 5),
			    "\\x0a\\x0d\\x09\\x1b\\x7f");
	assert_string_equal(quote_bytes(q, sizeof(q), "\x80\xc3\xa9\xff", 4),
			    "\\x80\\xc3\\xa9\\xff");
	assert_string_equal(quote_bytes(q, sizeof(q), "a\0b", 3), "a\\x00b");
	assert_string_equal(quote_bytes(q, sizeof(q), NULL, 0), "");
	assert_string_equal(quote_bytes(q, sizeof(q), "", 0), "");
	assert_string_equal(quote_str(q, sizeof(q), "a\nb"), "a\\x0ab");
	assert_string_equal(quote_str(q, sizeof(q), NULL), "");
	/* Exactly fits: 7 characters and the NUL. */
	assert_string_equal(quote_bytes(small, sizeof(small), "abcdefg", 7),
			    "abcdefg");
	/* One more: 4 kept, "...", never a cut escape. */
	assert_string_equal(quote_bytes(small, sizeof(small), "abcdefgh", 8),
			    "abcd...");
	assert_string_equal(quote_bytes(small, sizeof(small), "a\nbcdefgh", 9),
			    "a...");
	assert_string_equal(quote_bytes(small, sizeof(small), "\n\n", 2),
			    "\\x0a...");
	assert_string_equal(quote_bytes(small, 4, "abcd", 4), "...");
	assert_string_equal(quote_bytes(small, 4, "abc", 3), "abc");
	assert_string_equal(quote_bytes(small, 3, "ab", 2), "");
	small[0] = 'x';
	quote_bytes(small, 0, "ab", 2);
	assert_int_equal(small[0], 'x');
}

static void
test_quote_never_raw(void **state)
{
	unsigned char all[256];
	char q[1100];
	size_t i;

	(void)state;
	for (i = 0; i < 256; i++)
		all[i] = (unsigned char)i;
	quote_bytes(q, sizeof(q), all, sizeof(all));
	assert_int_equal(strlen(q), 4 * (256 - 95) + 93 + 2 * 2);
	for (i = 0; q[i] != '\0'; i++)
		assert_true(q[i] >= 0x20 && q[i] < 0x7f);
}

/* ---- fileio -------------------------------------------------------------- */

struct dir {
	char path[64];
	int fd;
};

static int
dir_setup(void **state)
{
	struct dir *d = calloc(1, sizeof(*d));

	assert_non_null(d);
	snprintf(d->path, sizeof(d->path), "/tmp/test_base.XXXXXX");
	assert_non_null(mkdtemp(d->path));
	d->fd = open(d->path, O_RDONLY | O_DIRECTORY);
	assert_true(d->fd >= 0);
	*state = d;
	return 0;
}

static int
dir_teardown(void **state)
{
	struct dir *d = *state;
	struct dirent *de;
	DIR *dir = fdopendir(d->fd);

	while ((de = readdir(dir)) != NULL)
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			unlinkat(d->fd, de->d_name,
				 de->d_type == DT_DIR ? AT_REMOVEDIR : 0);
	closedir(dir);
	rmdir(d->path);
	free(d);
	return 0;
}

static void
put(int dirfd, const char *name, const char *text)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(fileio_write_all(fd, text, strlen(text)), 0);
	close(fd);
}

static void
test_read(void **state)
{
	struct dir *d = *state;
	char err[256], *buf = (char *)1, path[128];
	size_t len = 0;

	put(d->fd, "f", "hello");
	assert_int_equal(fileio_read(d->fd, "f", 5, NULL, &buf, &len, err,
				     sizeof(err)),
			 0);
	assert_int_equal(len, 5);
	assert_string_equal(buf, "hello");
	free(buf);
	/* AT_FDCWD with a path. */
	snprintf(path, sizeof(path), "%s/f", d->path);
	assert_int_equal(fileio_read(AT_FDCWD, path, 5, NULL, &buf, &len, err,
				     sizeof(err)),
			 0);
	free(buf);
	put(d->fd, "empty", "");
	assert_int_equal(fileio_read(d->fd, "empty", 0, NULL, &buf, &len, err,
				     sizeof(err)),
			 0);
	assert_int_equal(len, 0);
	assert_string_equal(buf, "");
	free(buf);

	assert_int_equal(fileio_read(d->fd, "f", 4, NULL, &buf, &len, err,
				     sizeof(err)),
			 -ERR_TOO_LARGE);
	assert_null(buf);
	assert_string_equal(err, "f is over 4 bytes");
	assert_int_equal(fileio_read(d->fd, "none", 4, NULL, &buf, &len, err,
				     sizeof(err)),
			 -ERR_NOT_FOUND);
	assert_string_equal(err, "cannot open none: No such file or "
				 "directory");
	assert_int_equal(symlinkat("f", d->fd, "link"), 0);
	assert_int_equal(fileio_read(d->fd, "link", 64, NULL, &buf, &len, err,
				     sizeof(err)),
			 -ERR_IO);
	assert_int_equal(errno, ELOOP); /* the cause, for callers to report */
	assert_null(buf);
	assert_int_equal(mkdirat(d->fd, "sub", 0700), 0);
	assert_int_equal(fileio_read(d->fd, "sub", 64, NULL, &buf, &len, err,
				     sizeof(err)),
			 -ERR_IO);
	assert_string_equal(err, "sub is not a regular file");
	/* shown names the file in messages instead of its quoted name. */
	assert_int_equal(fileio_read(d->fd, "sub", 64, "DATA/sub", &buf, &len,
				     err, sizeof(err)),
			 -ERR_IO);
	assert_string_equal(err, "DATA/sub is not a regular file");
	assert_int_equal(fileio_read(d->fd, "f", 4, "DATA/f", &buf, &len, err,
				     sizeof(err)),
			 -ERR_TOO_LARGE);
	assert_string_equal(err, "DATA/f is over 4 bytes");
	assert_int_equal(mkfifoat(d->fd, "fifo", 0600), 0);
	assert_int_equal(fileio_read(d->fd, "fifo", 64, NULL, &buf, &len, err,
				     sizeof(err)),
			 -ERR_IO);
	assert_null(buf);
}

/* Names in the directory besides . and .., joined by spaces. */
static void
listing(int dirfd, char *out, size_t outlen)
{
	struct dirent *de;
	DIR *dir;
	int fd = dup(dirfd);

	assert_true(fd >= 0);
	dir = fdopendir(fd);
	assert_non_null(dir);
	rewinddir(dir);
	out[0] = '\0';
	while ((de = readdir(dir)) != NULL)
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			strncat(out, de->d_name, outlen - strlen(out) - 1);
			strncat(out, " ", outlen - strlen(out) - 1);
		}
	closedir(dir);
}

static void
test_replace(void **state)
{
	struct dir *d = *state;
	char err[256], names[256], *buf;
	struct stat st;
	size_t len;

	assert_int_equal(fileio_replace(d->fd, "out", "first", 5, 0640, err,
					sizeof(err)),
			 0);
	assert_int_equal(fstatat(d->fd, "out", &st, 0), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	listing(d->fd, names, sizeof(names));
	assert_string_equal(names, "out ");
	/* Replaced whole, with the new mode. */
	assert_int_equal(fileio_replace(d->fd, "out", "second", 6, 0600, err,
					sizeof(err)),
			 0);
	assert_int_equal(fileio_read(d->fd, "out", 64, NULL, &buf, &len, err,
				     sizeof(err)),
			 0);
	assert_string_equal(buf, "second");
	free(buf);
	assert_int_equal(fstatat(d->fd, "out", &st, 0), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	listing(d->fd, names, sizeof(names));
	assert_string_equal(names, "out ");

	assert_int_equal(fileio_replace(d->fd, "a/b", "x", 1, 0600, err,
					sizeof(err)),
			 -ERR_INVALID);
	assert_string_equal(err, "bad file name 'a/b'");
	assert_int_equal(fileio_replace(d->fd, "", "x", 1, 0600, err,
					sizeof(err)),
			 -ERR_INVALID);
	assert_int_equal(fileio_replace(d->fd, "..", "x", 1, 0600, err,
					sizeof(err)),
			 -ERR_INVALID);
	/* A failing write leaves no temporary: a directory is in the way. */
	assert_int_equal(mkdirat(d->fd, "dir", 0700), 0);
	assert_int_equal(fileio_replace(d->fd, "dir", "x", 1, 0600, err,
					sizeof(err)),
			 -ERR_IO);
	assert_non_null(strstr(err, "cannot write dir: "));
	listing(d->fd, names, sizeof(names));
	assert_true(strstr(names, FILEIO_TMP_PREFIX) == NULL);
	/* A directory fd that is not one. */
	assert_int_equal(fileio_replace(-1, "x", "x", 1, 0600, err,
					sizeof(err)),
			 -ERR_IO);
}

/* ---- duration ------------------------------------------------------------ */

static void
test_duration_parse(void **state)
{
	static const struct {
		const char *text;
		uint64_t ms;
	} good[] = {
		{ "0", 0 },
		{ "1", 1000 },
		{ "3600", 3600000 },
		{ "1ms", 1 },
		{ "1500ms", 1500 },
		{ "90s", 90000 },
		{ "3m", 180000 },
		{ "1h", 3600000 },
		{ "2d", 172800000 },
		{ "0010s", 10000 },
		{ "0ms", 0 },
		{ "53375995583d", 4611686018371200000ULL },
		{ "4611686018427387903ms", 4611686018427387903ULL },
	};
	static const char *const bad[] = {
		"",	"s",	"ms",  "10x", "10 s",
		" 10s", "10s ", "-1s", "+1s", "1.5s",
		"1S",	"1sec", "1hh", "1s1", "99999999999999999999x",
	};
	static const char *const big[] = {
		"4611686018427387904ms", "99999999999999999999",
		"18446744073709552s",	 "53375995584d",
		"99999999999999999999d",
	};
	char err[128];
	uint64_t ms;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ms = 12345;
		assert_int_equal(duration_parse(good[i].text,
						strlen(good[i].text), &ms, err,
						sizeof(err)),
				 0);
		assert_int_equal(ms, good[i].ms);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(duration_check(bad[i], strlen(bad[i]), &ms),
				 DURATION_SYNTAX);
		assert_int_equal(duration_parse(bad[i], strlen(bad[i]), &ms,
						err, sizeof(err)),
				 -ERR_INVALID);
	}
	for (i = 0; i < sizeof(big) / sizeof(big[0]); i++)
		assert_int_equal(duration_check(big[i], strlen(big[i]), &ms),
				 DURATION_OVERFLOW);
	assert_int_equal(duration_parse("10x", 3, &ms, err, sizeof(err)),
			 -ERR_INVALID);
	assert_string_equal(err, "bad duration '10x' (use ms, s, m, h, d)");
	assert_int_equal(duration_parse("", 0, &ms, err, sizeof(err)),
			 -ERR_INVALID);
	assert_string_equal(err, "bad duration '' (use ms, s, m, h, d)");
	assert_int_equal(duration_parse("1\n", 2, &ms, err, sizeof(err)),
			 -ERR_INVALID);
	assert_string_equal(err, "bad duration '1\\x0a' (use ms, s, m, h, d)");
	assert_int_equal(duration_parse("99999999999d", 12, &ms, err,
					sizeof(err)),
			 -ERR_INVALID);
	assert_string_equal(err, "duration '99999999999d' is too long");
	/* Only n bytes are read. */
	assert_int_equal(duration_parse("5sjunk", 2, &ms, err, sizeof(err)), 0);
	assert_int_equal(ms, 5000);
}

static void
test_duration_format(void **state)
{
	static const struct {
		uint64_t ms;
		const char *text;
	} table[] = {
		{ 0, "0s" },
		{ 1, "1ms" },
		{ 999, "999ms" },
		{ 1000, "1s" },
		{ 1500, "1500ms" },
		{ 90000, "90s" },
		{ 60000, "1m" },
		{ 3600000, "1h" },
		{ 5400000, "90m" },
		{ 86400000, "1d" },
		{ 90000000, "25h" },
		{ 7 * 86400000ULL, "7d" },
		{ 4611686018427387903ULL, "4611686018427387903ms" },
	};
	char out[DURATION_TEXT_MAX], tiny[3];
	uint64_t back;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		assert_int_equal(duration_format(out, sizeof(out), table[i].ms),
				 (int)strlen(table[i].text));
		assert_string_equal(out, table[i].text);
		assert_int_equal(duration_check(out, strlen(out), &back),
				 DURATION_OK);
		assert_int_equal(back, table[i].ms);
	}
	assert_int_equal(duration_format(out, sizeof(out), DURATION_MAX_MS + 1),
			 -1);
	memcpy(tiny, "xy", 3);
	assert_int_equal(duration_format(tiny, sizeof(tiny), 90000), -1);
	assert_string_equal(tiny, "xy");
	assert_int_equal(duration_format(tiny, sizeof(tiny), 1000), 2);
	assert_string_equal(tiny, "1s");
}

/* ---- buf ----------------------------------------------------------------- */

static void
test_buf(void **state)
{
	struct buf b;
	char *p, big[1000];
	size_t len, i;

	(void)state;
	buf_init(&b, 10);
	assert_null(b.data);
	assert_int_equal(buf_append(&b, "hello", 5), 0);
	assert_int_equal(buf_append(&b, "", 0), 0);
	assert_int_equal(buf_append(&b, " you", 4), 0);
	assert_string_equal(b.data, "hello you");
	assert_int_equal(b.len, 9);
	/* Over the cap: refused whole, nothing changed. */
	assert_int_equal(buf_append(&b, "!!", 2), -ERR_TOO_LARGE);
	assert_int_equal(buf_append(&b, "x", SIZE_MAX), -ERR_TOO_LARGE);
	assert_string_equal(b.data, "hello you");
	assert_int_equal(b.len, 9);
	assert_int_equal(buf_append(&b, "!", 1), 0);
	assert_int_equal(b.len, 10);
	assert_int_equal(buf_append(&b, "", 0), 0);
	assert_int_equal(buf_append(&b, "?", 1), -ERR_TOO_LARGE);
	p = buf_steal(&b, &len);
	assert_string_equal(p, "hello you!");
	assert_int_equal(len, 10);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	free(p);
	/* Empty steal gives "", not NULL. */
	p = buf_steal(&b, &len);
	assert_non_null(p);
	assert_string_equal(p, "");
	assert_int_equal(len, 0);
	free(p);
	/* Growth past the first block keeps every byte. */
	buf_init(&b, 100000);
	for (i = 0; i < sizeof(big); i++)
		big[i] = (char)('a' + i % 26);
	for (i = 0; i < 50; i++)
		assert_int_equal(buf_append(&b, big, sizeof(big)), 0);
	assert_int_equal(b.len, 50000);
	assert_memory_equal(b.data + 49000, big, sizeof(big));
	assert_int_equal(b.data[50000], '\0');
	buf_free(&b, true);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	/* Usable again after free, same cap. */
	assert_int_equal(buf_append(&b, "x", 1), 0);
	buf_free(&b, false);
	buf_init(&b, 0);
	assert_int_equal(buf_append(&b, "x", 1), -ERR_TOO_LARGE);
	assert_int_equal(buf_append(&b, "", 0), 0);
	assert_string_equal(b.data, "");
	buf_free(&b, false);
}

/* ---- clock and err ------------------------------------------------------- */

static void
test_clock(void **state)
{
	int64_t ms, us;

	(void)state;
	ms = clock_now_ms();
	us = clock_now_us();
	assert_true(ms > 0);
	assert_true(us / 1000 >= ms);
	usleep(20000);
	assert_true(clock_now_ms() - ms >= 20);
	assert_true(clock_now_us() - us >= 20000);
}

static void
test_err(void **state)
{
	char err[8];

	(void)state;
	assert_int_equal(err_set(err, sizeof(err), ERR_IO, "%s", "too long"),
			 -ERR_IO);
	assert_string_equal(err, "too lon");
	assert_int_equal(err_set(NULL, 0, ERR_INTERNAL, "x"), -1);
	assert_int_equal(err_kind_of(-ERR_UNTRUSTED), ERR_UNTRUSTED);
	assert_int_equal(err_kind_of(0), ERR_OK);
	assert_int_equal(err_kind_of(-1000), ERR_INTERNAL);
	assert_string_equal(err_kind_name(ERR_TOO_LARGE), "too_large");
}

/* ---- utf8 ---------------------------------------------------------------- */

static void
test_utf8_clean(void **state)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "plain \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
		  "plain \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80" },
		{ "\xff", "\xef\xbf\xbd" },
		{ "\xc3(", "\xef\xbf\xbd(" },		    /* lead, no trail */
		{ "\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd" }, /* overlong */
		{ "\xe0\x80\xaf", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
		{ "\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
		{ "\xf4\x90\x80\x80", /* past U+10FFFF */
		  "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
		{ "\xe2\x82", "\xef\xbf\xbd\xef\xbf\xbd" }, /* cut short */
	};
	char out[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(utf8_clean(out, sizeof(out), cases[i].in,
					    strlen(cases[i].in)),
				 strlen(cases[i].want));
		assert_string_equal(out, cases[i].want);
	}
	/* A cut falls between characters, never inside one. */
	assert_int_equal(utf8_clean(out, 4, "ab\xc3\xa9", 4), 2);
	assert_string_equal(out, "ab");
	assert_int_equal(utf8_clean(out, 5, "ab\xc3\xa9", 4), 4);
	assert_int_equal(utf8_clean(out, 3, "\xff", 1), 0);
	/* The text ends at a NUL, like the C strings it becomes. */
	assert_int_equal(utf8_clean(out, sizeof(out), "a\0b", 3), 1);
	assert_int_equal(utf8_clean(out, 0, "a", 1), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_sha256),
		cmocka_unit_test(test_quote),
		cmocka_unit_test(test_quote_never_raw),
		cmocka_unit_test(test_utf8_clean),
		cmocka_unit_test_setup_teardown(test_read, dir_setup,
						dir_teardown),
		cmocka_unit_test_setup_teardown(test_replace, dir_setup,
						dir_teardown),
		cmocka_unit_test(test_duration_parse),
		cmocka_unit_test(test_duration_format),
		cmocka_unit_test(test_buf),
		cmocka_unit_test(test_clock),
		cmocka_unit_test(test_err),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
