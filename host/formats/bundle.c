/* bundle.c: bundle MANIFEST, checksum and signature (see bundle.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "base/err.h"
#include "formats/bundle.h"
#include "formats/minisign.h"

#define HEX_LEN		64
/* A MANIFEST line: digest, two spaces, name, newline. */
#define LINE_MAX_LEN	(HEX_LEN + 2 + BUNDLE_NAME_MAX + 1)
/* Room for a file name quoted for a message. */
#define QUOTE_MAX	96

static void __attribute__((format(printf, 3, 4)))
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* A name fit for a one-line message: bytes outside printable ASCII, and
 * quote and backslash, as \xNN; cut with "..." when long. */
static const char *
quote(const char *s, size_t n, char out[QUOTE_MAX])
{
	size_t i, o = 0;
	unsigned char c;

	for (i = 0; i < n; i++) {
		if (o + 8 >= QUOTE_MAX) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		c = (unsigned char)s[i];
		if (c < 0x20 || c >= 0x7f || c == '\'' || c == '\\')
			o += (size_t)snprintf(out + o, QUOTE_MAX - o, "\\x%02x",
					      c);
		else
			out[o++] = (char)c;
	}
	out[o] = '\0';
	return out;
}

int
bundle_name_check(const char *name, size_t len, char *err, size_t errlen)
{
	char q[QUOTE_MAX];
	size_t i;

	if (len == 0 || len > BUNDLE_NAME_MAX || name[0] == '.')
		goto bad;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		/* sha256sum escapes names with '\\' or '\n' and marks the
		 * line, so neither could be in a plain MANIFEST line. */
		if (c < 0x20 || c == 0x7f || c == '/' || c == '\\')
			goto bad;
	}
	return 0;
bad:
	seterr(err, errlen, "bad file name '%s'", quote(name, len, q));
	return -1;
}

void
bundle_hex(const unsigned char sha256[32], char out[65])
{
	static const char digits[] = "0123456789abcdef";
	int i;

	for (i = 0; i < 32; i++) {
		out[2 * i] = digits[sha256[i] >> 4];
		out[2 * i + 1] = digits[sha256[i] & 15];
	}
	out[64] = '\0';
}

int
bundle_sha256_fd(int fd, uint64_t max, unsigned char out[32], uint64_t *size,
		 char *err, size_t errlen)
{
	unsigned char buf[65536];
	EVP_MD_CTX *ctx;
	uint64_t total = 0;
	unsigned int outlen = 32;
	ssize_t n;
	int ret = -1;

	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
		seterr(err, errlen, "cannot hash: OpenSSL failed");
		goto out;
	}
	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			seterr(err, errlen, "read: %s", strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		total += (uint64_t)n;
		if (total > max) {
			seterr(err, errlen, "more than %llu bytes",
			       (unsigned long long)max);
			goto out;
		}
		if (EVP_DigestUpdate(ctx, buf, (size_t)n) != 1) {
			seterr(err, errlen, "cannot hash: OpenSSL failed");
			goto out;
		}
	}
	if (EVP_DigestFinal_ex(ctx, out, &outlen) != 1) {
		seterr(err, errlen, "cannot hash: OpenSSL failed");
		goto out;
	}
	if (size != NULL)
		*size = total;
	ret = 0;
out:
	EVP_MD_CTX_free(ctx);
	return ret;
}

/*
 * Open name in dirfd for reading if, and only if, it is a regular file.
 * lstat-like first for a precise message, then open with O_NOFOLLOW (and
 * O_NONBLOCK, so a FIFO can not hang us) and check again with fstat(), as
 * the name may have been swapped in between.  Returns the fd or -1.
 */
static int
open_regular(int dirfd, const char *name, char *err, size_t errlen)
{
	struct stat st;
	int fd;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1) {
		if (errno == ENOENT)
			seterr(err, errlen, "file '%s' is missing", name);
		else
			seterr(err, errlen, "file '%s': %s", name,
			       strerror(errno));
		return -1;
	}
	if (S_ISLNK(st.st_mode)) {
		seterr(err, errlen, "file '%s' is a symlink", name);
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		seterr(err, errlen, "file '%s' is a directory (bundles are "
		       "flat)", name);
		return -1;
	}
	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
		    O_NOCTTY | O_CLOEXEC);
	if (fd == -1) {
		seterr(err, errlen, "file '%s': %s", name,
		       errno == ELOOP ? "is a symlink" : strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		seterr(err, errlen, "file '%s' is not a regular file", name);
		close(fd);
		return -1;
	}
	return fd;
}

/* Read regular file name in dirfd, at most max bytes, into a malloc()ed,
 * NUL-terminated *buf. */
static int
read_small(int dirfd, const char *name, size_t max, char **buf, size_t *len,
	   char *err, size_t errlen)
{
	size_t got = 0;
	ssize_t n;
	int fd, ret = -1;

	*buf = NULL;
	if ((fd = open_regular(dirfd, name, err, errlen)) == -1)
		return -1;
	if ((*buf = malloc(max + 1)) == NULL) {
		seterr(err, errlen, "out of memory");
		goto out;
	}
	for (;;) {
		n = read(fd, *buf + got, max + 1 - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			seterr(err, errlen, "file '%s': %s", name,
			       strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
		if (got > max) {
			seterr(err, errlen, "file '%s' is larger than %zu "
			       "bytes", name, max);
			goto out;
		}
	}
	(*buf)[got] = '\0';
	*len = got;
	ret = 0;
out:
	if (ret == -1) {
		free(*buf);
		*buf = NULL;
	}
	close(fd);
	return ret;
}

static int
is_reserved(const char *name)
{
	return strcmp(name, BUNDLE_MANIFEST) == 0 ||
		strcmp(name, BUNDLE_SIGNATURE) == 0;
}

static int
is_plugin(const char *name)
{
	size_t n = strlen(name);

	return n > 3 && strcmp(name + n - 3, ".so") == 0;
}

static int
entry_cmp(const void *a, const void *b)
{
	const struct bundle_entry *x = a, *y = b;

	/* strcmp compares as unsigned char: byte order, as `LC_ALL=C sort`. */
	return strcmp(x->name, y->name);
}

void
bundle_manifest_free(struct bundle_manifest *m)
{
	free(m->entries);
	m->entries = NULL;
	m->n = 0;
}

/* Hash one regular file of the directory into e, charging *budget. */
static int
scan_file(int dirfd, const char *name, uint64_t *budget,
	  struct bundle_entry *e, char *err, size_t errlen)
{
	char why[160];
	uint64_t size;
	struct stat st;
	int fd, ret = -1;

	if ((fd = open_regular(dirfd, name, err, errlen)) == -1)
		return -1;
	/* The size check gives the clear message; the bound passed to the
	 * hash catches a file that grows meanwhile. */
	if (fstat(fd, &st) == -1 || (uint64_t)st.st_size > *budget) {
		seterr(err, errlen, "bundle holds more than %llu bytes",
		       (unsigned long long)BUNDLE_MAX_BYTES);
		goto out;
	}
	if (bundle_sha256_fd(fd, *budget, e->sha256, &size, why,
			     sizeof(why)) == -1) {
		seterr(err, errlen, "file '%s': %s", name, why);
		goto out;
	}
	*budget -= size;
	snprintf(e->name, sizeof(e->name), "%s", name);
	ret = 0;
out:
	close(fd);
	return ret;
}

/*
 * Every file of the directory but MANIFEST and MANIFEST.minisig, checked
 * and hashed, sorted by name into m.  The directory is read through a dup
 * of dirfd so the caller's fd (and its offset) stay untouched.
 */
static int
scan_dir(int dirfd, struct bundle_manifest *m, char *err, size_t errlen)
{
	uint64_t budget = BUNDLE_MAX_BYTES;
	struct dirent *de;
	DIR *dir = NULL;
	int fd, ret = -1;

	m->n = 0;
	m->entries = calloc(BUNDLE_MAX_FILES, sizeof(*m->entries));
	if (m->entries == NULL) {
		seterr(err, errlen, "out of memory");
		return -1;
	}
	if ((fd = dup(dirfd)) == -1 || (dir = fdopendir(fd)) == NULL) {
		seterr(err, errlen, "cannot read bundle directory: %s",
		       strerror(errno));
		if (fd != -1)
			close(fd);
		goto out;
	}
	rewinddir(dir);
	while (errno = 0, (de = readdir(dir)) != NULL) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    is_reserved(de->d_name))
			continue;
		if (bundle_name_check(de->d_name, strlen(de->d_name), err,
				      errlen) == -1)
			goto out;
		if (m->n == BUNDLE_MAX_FILES) {
			seterr(err, errlen, "bundle holds more than %d files",
			       BUNDLE_MAX_FILES);
			goto out;
		}
		if (scan_file(dirfd, de->d_name, &budget, &m->entries[m->n],
			      err, errlen) == -1)
			goto out;
		m->n++;
	}
	if (errno != 0) {
		seterr(err, errlen, "cannot read bundle directory: %s",
		       strerror(errno));
		goto out;
	}
	qsort(m->entries, m->n, sizeof(*m->entries), entry_cmp);
	ret = 0;
out:
	if (dir != NULL)
		closedir(dir);
	if (ret == -1)
		bundle_manifest_free(m);
	return ret;
}

/* The index of the one .so in m, or -1 with err set. */
static int
plugin_pick(const struct bundle_manifest *m, size_t *idx, char *err,
	    size_t errlen)
{
	size_t i, found = m->n;

	for (i = 0; i < m->n; i++) {
		if (!is_plugin(m->entries[i].name))
			continue;
		if (found != m->n) {
			seterr(err, errlen, "bundle holds two .so files, '%s' "
			       "and '%s'", m->entries[found].name,
			       m->entries[i].name);
			return -1;
		}
		found = i;
	}
	if (found == m->n) {
		seterr(err, errlen, "bundle holds no .so file");
		return -1;
	}
	*idx = found;
	return 0;
}

int
bundle_find_plugin(int dirfd, char *name, size_t len, char *err,
		   size_t errlen)
{
	struct dirent *de;
	DIR *dir = NULL;
	int fd, found = 0, ret = -1;

	if ((fd = dup(dirfd)) == -1 || (dir = fdopendir(fd)) == NULL) {
		seterr(err, errlen, "cannot read bundle directory: %s",
		       strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	rewinddir(dir);
	while (errno = 0, (de = readdir(dir)) != NULL) {
		if (!is_plugin(de->d_name))
			continue;
		if (found) {
			seterr(err, errlen, "bundle holds two .so files, '%s' "
			       "and '%s'", name, de->d_name);
			goto out;
		}
		if (bundle_name_check(de->d_name, strlen(de->d_name), err,
				      errlen) == -1)
			goto out;
		if ((fd = open_regular(dirfd, de->d_name, err, errlen)) == -1)
			goto out;
		close(fd);
		if ((size_t)snprintf(name, len, "%s", de->d_name) >= len) {
			seterr(err, errlen, "plugin name is too long");
			goto out;
		}
		found = 1;
	}
	if (errno != 0) {
		seterr(err, errlen, "cannot read bundle directory: %s",
		       strerror(errno));
		goto out;
	}
	if (!found) {
		seterr(err, errlen, "bundle holds no .so file");
		goto out;
	}
	ret = 0;
out:
	closedir(dir);
	return ret;
}

/* MANIFEST text of m into a malloc()ed, NUL-terminated *text. */
static int
manifest_format(const struct bundle_manifest *m, char **text, size_t *len,
		char *err, size_t errlen)
{
	size_t i, o = 0, cap = m->n * LINE_MAX_LEN + 1;
	char hex[65];

	if ((*text = malloc(cap)) == NULL) {
		seterr(err, errlen, "out of memory");
		return -1;
	}
	for (i = 0; i < m->n; i++) {
		bundle_hex(m->entries[i].sha256, hex);
		o += (size_t)snprintf(*text + o, cap - o, "%s  %s\n", hex,
				      m->entries[i].name);
	}
	(*text)[o] = '\0';
	*len = o;
	return 0;
}

int
bundle_manifest_build(int dirfd, char **text, size_t *len, char *err,
		      size_t errlen)
{
	struct bundle_manifest m;
	size_t idx;
	int ret = -1;

	*text = NULL;
	if (scan_dir(dirfd, &m, err, errlen) == -1)
		return -1;
	if (plugin_pick(&m, &idx, err, errlen) == -1)
		goto out;
	ret = manifest_format(&m, text, len, err, errlen);
out:
	bundle_manifest_free(&m);
	return ret;
}

static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;	/* sha256sum prints lower case only */
}

static int
hex_decode(const char *s, unsigned char out[32])
{
	int i, hi, lo;

	for (i = 0; i < 32; i++) {
		if ((hi = hex_value(s[2 * i])) < 0 ||
		    (lo = hex_value(s[2 * i + 1])) < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

/* Parse line number no (line[0..n-1], newline excluded) into e. */
static int
manifest_line(const char *line, size_t n, size_t no, struct bundle_entry *e,
	      char *err, size_t errlen)
{
	char why[160];

	if (n > 0 && line[n - 1] == '\r') {
		seterr(err, errlen, "MANIFEST line %zu: CRLF line ending", no);
		return -1;
	}
	if (n < HEX_LEN + 3) {
		seterr(err, errlen, "MANIFEST line %zu: too short", no);
		return -1;
	}
	if (hex_decode(line, e->sha256) == -1) {
		seterr(err, errlen, "MANIFEST line %zu: bad hex digest", no);
		return -1;
	}
	if (line[HEX_LEN] != ' ' || line[HEX_LEN + 1] != ' ') {
		seterr(err, errlen, "MANIFEST line %zu: expected two spaces "
		       "after the digest", no);
		return -1;
	}
	line += HEX_LEN + 2;
	n -= HEX_LEN + 2;
	if (bundle_name_check(line, n, why, sizeof(why)) == -1) {
		seterr(err, errlen, "MANIFEST line %zu: %s", no, why);
		return -1;
	}
	memcpy(e->name, line, n);
	e->name[n] = '\0';
	if (is_reserved(e->name)) {
		seterr(err, errlen, "MANIFEST line %zu: names '%s', which "
		       "can not be in MANIFEST", no, e->name);
		return -1;
	}
	return 0;
}

int
bundle_manifest_parse(const char *buf, size_t len, struct bundle_manifest *m,
		      char *err, size_t errlen)
{
	const char *p = buf, *nl;
	size_t left = len, n, no = 0;
	int c;

	m->n = 0;
	m->entries = NULL;
	if (len == 0) {
		seterr(err, errlen, "MANIFEST is empty");
		return -1;
	}
	if (len > BUNDLE_MANIFEST_MAX) {
		seterr(err, errlen, "MANIFEST is larger than %d bytes",
		       BUNDLE_MANIFEST_MAX);
		return -1;
	}
	m->entries = calloc(BUNDLE_MAX_FILES, sizeof(*m->entries));
	if (m->entries == NULL) {
		seterr(err, errlen, "out of memory");
		return -1;
	}
	while (left > 0) {
		no++;
		nl = memchr(p, '\n', left < LINE_MAX_LEN ? left : LINE_MAX_LEN);
		n = nl != NULL ? (size_t)(nl - p) : left;
		if (nl == NULL && left >= LINE_MAX_LEN) {
			seterr(err, errlen, "MANIFEST line %zu: too long", no);
			goto fail;
		}
		if (nl == NULL) {
			seterr(err, errlen, "MANIFEST line %zu: missing "
			       "newline", no);
			goto fail;
		}
		if (m->n == BUNDLE_MAX_FILES) {
			seterr(err, errlen, "MANIFEST names more than %d files",
			       BUNDLE_MAX_FILES);
			goto fail;
		}
		if (manifest_line(p, n, no, &m->entries[m->n], err,
				  errlen) == -1)
			goto fail;
		if (m->n > 0 && (c = strcmp(m->entries[m->n - 1].name,
					    m->entries[m->n].name)) >= 0) {
			seterr(err, errlen, "MANIFEST line %zu: %s '%s'", no,
			       c == 0 ? "duplicate name" : "not sorted:",
			       m->entries[m->n].name);
			goto fail;
		}
		m->n++;
		p += n + 1;
		left -= n + 1;
	}
	return 0;
fail:
	bundle_manifest_free(m);
	return -1;
}

/* A name or version: 1..BUNDLE_LABEL_MAX of [A-Za-z0-9._+-], starting
 * with a letter or digit. */
static int
label_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > BUNDLE_LABEL_MAX ||
	    !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') ||
	      (s[0] >= '0' && s[0] <= '9')))
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') ||
		      strchr("._+-", s[i]) != NULL))
			return 0;
	return 1;
}

/* Take "key=value" at *p up to the next space (or the end if last) and
 * advance *p past it; the value goes to *v, *vn. */
static int
comment_field(const char **p, const char *key, int last, const char **v,
	      size_t *vn)
{
	size_t k = strlen(key);
	const char *end;

	if (strncmp(*p, key, k) != 0 || (*p)[k] != '=')
		return -1;
	*v = *p + k + 1;
	end = last ? *v + strlen(*v) : strchr(*v, ' ');
	if (end == NULL)
		return -1;
	*vn = (size_t)(end - *v);
	*p = last ? end : end + 1;
	return 0;
}

int
bundle_comment_parse(const char *tc, struct bundle_info *info, char *err,
		     size_t errlen)
{
	const char *p = tc, *name, *version, *abi, *sum;
	size_t nn, vn, an, sn;
	unsigned char digest[32];
	char q[QUOTE_MAX];

	if (comment_field(&p, "name", 0, &name, &nn) == -1 ||
	    comment_field(&p, "version", 0, &version, &vn) == -1 ||
	    comment_field(&p, "abi", 0, &abi, &an) == -1 ||
	    comment_field(&p, "sha256", 1, &sum, &sn) == -1) {
		seterr(err, errlen, "trusted comment '%s' is not 'name=... "
		       "version=... abi=... sha256=...'",
		       quote(tc, strlen(tc), q));
		return -1;
	}
	if (!label_ok(name, nn)) {
		seterr(err, errlen, "trusted comment: bad name '%s'",
		       quote(name, nn, q));
		return -1;
	}
	if (!label_ok(version, vn)) {
		seterr(err, errlen, "trusted comment: bad version '%s'",
		       quote(version, vn, q));
		return -1;
	}
	if (an != strlen(BUNDLE_ABI) || memcmp(abi, BUNDLE_ABI, an) != 0) {
		seterr(err, errlen, "trusted comment: abi=%s, but this host "
		       "runs abi=" BUNDLE_ABI, quote(abi, an, q));
		return -1;
	}
	if (sn != HEX_LEN || hex_decode(sum, digest) == -1) {
		seterr(err, errlen, "trusted comment: sha256 is not 64 "
		       "lower-case hex digits");
		return -1;
	}
	memcpy(info->name, name, nn);
	info->name[nn] = '\0';
	memcpy(info->version, version, vn);
	info->version[vn] = '\0';
	memcpy(info->checksum, sum, HEX_LEN);
	info->checksum[HEX_LEN] = '\0';
	return 0;
}

static int
sha256_hex(const void *buf, size_t len, char out[65])
{
	unsigned char d[32];
	unsigned int n = 32;

	if (EVP_Digest(buf, len, d, &n, EVP_sha256(), NULL) != 1)
		return -1;
	bundle_hex(d, out);
	return 0;
}

/* MANIFEST and its signature check out; fills info's comment fields. */
static int
verify_signature(int dirfd, const struct minisign_pubkey *keys, size_t nkeys,
		 const char *manifest, size_t mlen, struct bundle_info *info,
		 char *err, size_t errlen)
{
	struct minisign_sig *sig = NULL;
	char *text = NULL, sum[65];
	size_t tlen;
	int ret = -1;

	if (read_small(dirfd, BUNDLE_SIGNATURE, MINISIGN_FILE_MAX, &text,
		       &tlen, err, errlen) == -1)
		goto out;
	if ((sig = malloc(sizeof(*sig))) == NULL) {
		seterr(err, errlen, "out of memory");
		goto out;
	}
	if (minisign_sig_parse(text, tlen, sig, err, errlen) == -1)
		goto out;
	ret = minisign_verify(keys, nkeys, sig, manifest, mlen, NULL, err,
			      errlen);
	if (ret < 0)
		goto out; /* -ERR_UNTRUSTED is told apart */
	ret = -1;
	if (bundle_comment_parse(sig->trusted_comment, info, err, errlen) ==
	    -1)
		goto out;
	if (sha256_hex(manifest, mlen, sum) == -1) {
		seterr(err, errlen, "cannot hash: OpenSSL failed");
		goto out;
	}
	if (strcmp(sum, info->checksum) != 0) {
		seterr(err, errlen, "trusted comment sha256=%s, but MANIFEST "
		       "has sha256 %s", info->checksum, sum);
		goto out;
	}
	ret = 0;
out:
	free(sig);
	free(text);
	return ret;
}

/* Walk the sorted MANIFEST and directory listings side by side. */
static int
compare_files(const struct bundle_manifest *want,
	      const struct bundle_manifest *have, char *err, size_t errlen)
{
	size_t i = 0, j = 0;
	int c;

	while (i < want->n || j < have->n) {
		if (i == want->n)
			c = 1;
		else if (j == have->n)
			c = -1;
		else
			c = strcmp(want->entries[i].name,
				   have->entries[j].name);
		if (c < 0) {
			seterr(err, errlen, "file '%s' named in MANIFEST is "
			       "missing", want->entries[i].name);
			return -1;
		}
		if (c > 0) {
			seterr(err, errlen, "file '%s' is not in MANIFEST",
			       have->entries[j].name);
			return -1;
		}
		if (CRYPTO_memcmp(want->entries[i].sha256,
				  have->entries[j].sha256, 32) != 0) {
			seterr(err, errlen, "file '%s' does not match "
			       "MANIFEST", want->entries[i].name);
			return -1;
		}
		i++;
		j++;
	}
	return 0;
}

int
bundle_verify(int dirfd, const struct minisign_pubkey *keys, size_t nkeys,
	      struct bundle_info *info, char *err, size_t errlen)
{
	struct bundle_manifest want = {0, NULL}, have = {0, NULL};
	char *manifest = NULL;
	size_t mlen, idx;
	int ret = -ERR_BAD_BUNDLE, rc;

	memset(info, 0, sizeof(*info));
	if (read_small(dirfd, BUNDLE_MANIFEST, BUNDLE_MANIFEST_MAX, &manifest,
		       &mlen, err, errlen) == -1)
		goto out;
	/* Authenticate MANIFEST before trusting anything it says. */
	rc = verify_signature(dirfd, keys, nkeys, manifest, mlen, info, err,
			      errlen);
	if (rc < 0) {
		if (rc == -ERR_UNTRUSTED)
			ret = rc;
		goto out;
	}
	if (bundle_manifest_parse(manifest, mlen, &want, err, errlen) == -1 ||
	    plugin_pick(&want, &idx, err, errlen) == -1 ||
	    scan_dir(dirfd, &have, err, errlen) == -1 ||
	    compare_files(&want, &have, err, errlen) == -1)
		goto out;
	snprintf(info->plugin, sizeof(info->plugin), "%s",
		 want.entries[idx].name);
	memcpy(info->plugin_sha256, want.entries[idx].sha256, 32);
	info->nfiles = want.n;
	ret = 0;
out:
	if (ret < 0)
		memset(info, 0, sizeof(*info));
	bundle_manifest_free(&want);
	bundle_manifest_free(&have);
	free(manifest);
	return ret;
}

/* Replace name in dirfd with buf[len] atomically and durably. */
static int
write_atomic(int dirfd, const char *name, const char *buf, size_t len,
	     char *err, size_t errlen)
{
	char tmp[64];
	size_t done = 0;
	ssize_t n;
	int fd, saved;

	snprintf(tmp, sizeof(tmp), ".%s.tmp", name);
	/* A temporary left by a crash is ours to replace. */
	if (unlinkat(dirfd, tmp, 0) == -1 && errno != ENOENT)
		goto fail;
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, 0644);
	if (fd == -1)
		goto fail;
	while (done < len) {
		n = write(fd, buf + done, len - done);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			break;
		done += (size_t)n;
	}
	if (done < len || fsync(fd) == -1) {
		close(fd);
		goto fail_unlink;
	}
	if (close(fd) == -1 || renameat(dirfd, tmp, dirfd, name) == -1)
		goto fail_unlink;
	if (fsync(dirfd) == -1)
		goto fail;
	return 0;
fail_unlink:
	saved = errno;
	unlinkat(dirfd, tmp, 0);
	errno = saved;
fail:
	seterr(err, errlen, "cannot write %s: %s", name, strerror(errno));
	return -1;
}

int
bundle_sign(int dirfd, const struct minisign_seckey *key, const char *name,
	    const char *version, char checksum[65], char *err, size_t errlen)
{
	char *manifest = NULL, *sig = NULL, sum[65];
	char tc[MINISIGN_TRUSTED_COMMENT_MAX + 1], q[QUOTE_MAX];
	size_t mlen, slen;
	int ret = -1;

	if (!label_ok(name, strlen(name))) {
		seterr(err, errlen, "bad function name '%s' (1-%d of "
		       "A-Za-z0-9._+-)", quote(name, strlen(name), q),
		       BUNDLE_LABEL_MAX);
		return -1;
	}
	if (!label_ok(version, strlen(version))) {
		seterr(err, errlen, "bad version '%s' (1-%d of A-Za-z0-9._+-)",
		       quote(version, strlen(version), q), BUNDLE_LABEL_MAX);
		return -1;
	}
	/* Temporaries a crashed run left would fail the name check. */
	unlinkat(dirfd, "." BUNDLE_MANIFEST ".tmp", 0);
	unlinkat(dirfd, "." BUNDLE_SIGNATURE ".tmp", 0);
	if (bundle_manifest_build(dirfd, &manifest, &mlen, err, errlen) == -1)
		goto out;
	if (sha256_hex(manifest, mlen, sum) == -1) {
		seterr(err, errlen, "cannot hash: OpenSSL failed");
		goto out;
	}
	snprintf(tc, sizeof(tc), "name=%s version=%s abi=" BUNDLE_ABI
		 " sha256=%s", name, version, sum);
	if (minisign_sign(key, manifest, mlen, tc, &sig, &slen, err,
			  errlen) == -1 ||
	    write_atomic(dirfd, BUNDLE_MANIFEST, manifest, mlen, err,
			 errlen) == -1 ||
	    write_atomic(dirfd, BUNDLE_SIGNATURE, sig, slen, err,
			 errlen) == -1)
		goto out;
	if (checksum != NULL)
		memcpy(checksum, sum, sizeof(sum));
	ret = 0;
out:
	free(sig);
	free(manifest);
	return ret;
}
