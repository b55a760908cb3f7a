/* bundle.c: bundle MANIFEST, checksum and signature (see bundle.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "base/fileio.h"
#include "base/hex.h"
#include "base/quote.h"
#include "formats/bundle.h"
#include "formats/minisign.h"

#define HEX_LEN 64
/* A MANIFEST line: digest, two spaces, name, newline. */
#define LINE_MAX_LEN (HEX_LEN + 2 + BUNDLE_NAME_MAX + 1)
/* Room for a file name quoted for a message. */
#define QUOTE_MAX 96

bool
bundle_dir_skips(const char *name)
{
	return name[0] == '.';
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
	return err_set(err, errlen, ERR_INVALID, "bad file name '%s'",
		       quote_bytes(q, sizeof(q), name, len));
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
		ret = err_set(err, errlen, ERR_INTERNAL,
			      "cannot hash: OpenSSL failed");
		goto out;
	}
	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			ret = err_set(err, errlen, ERR_IO, "read: %s",
				      strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		total += (uint64_t)n;
		if (total > max) {
			ret = err_set(err, errlen, ERR_INVALID,
				      "more than %llu bytes",
				      (unsigned long long)max);
			goto out;
		}
		if (EVP_DigestUpdate(ctx, buf, (size_t)n) != 1) {
			ret = err_set(err, errlen, ERR_INTERNAL,
				      "cannot hash: OpenSSL failed");
			goto out;
		}
	}
	if (EVP_DigestFinal_ex(ctx, out, &outlen) != 1) {
		ret = err_set(err, errlen, ERR_INTERNAL,
			      "cannot hash: OpenSSL failed");
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

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			return err_set(err, errlen, ERR_INVALID,
				       "file '%s' is missing", name);
		return err_set(err, errlen, ERR_IO, "file '%s': %s", name,
			       strerror(errno));
	}
	if (S_ISLNK(st.st_mode))
		return err_set(err, errlen, ERR_INVALID,
			       "file '%s' is a symlink", name);
	if (S_ISDIR(st.st_mode))
		return err_set(err, errlen, ERR_INVALID,
			       "file '%s' is a directory (bundles are "
			       "flat)",
			       name);
	fd = openat(dirfd, name,
		    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd == -1)
		return err_set(err, errlen, ERR_INVALID, "file '%s': %s", name,
			       errno == ELOOP ? "is a symlink"
					      : strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		err_set(err, errlen, ERR_INVALID,
			"file '%s' is not a regular file", name);
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Read regular file name in dirfd, at most max bytes, into a malloc()ed,
 * NUL-terminated *buf.  open_regular() first, for its precise messages
 * about what the name is instead; fileio_read() then opens it again with
 * the same refusals, so a name swapped in between is still refused.
 */
static int
read_small(int dirfd, const char *name, size_t max, char **buf, size_t *len,
	   char *err, size_t errlen)
{
	char why[160];
	int fd, rc;

	*buf = NULL;
	if ((fd = open_regular(dirfd, name, err, errlen)) < 0)
		return fd;
	close(fd);
	rc = fileio_read(dirfd, name, max, NULL, buf, len, why, sizeof(why));
	if (rc == -ERR_TOO_LARGE)
		return err_set(err, errlen, ERR_INVALID,
			       "file '%s' is larger than %zu bytes", name, max);
	if (rc < 0)
		return err_set(err, errlen, err_kind_of(rc), "file '%s': %s",
			       name, why);
	return 0;
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
scan_file(int dirfd, const char *name, uint64_t *budget, struct bundle_entry *e,
	  char *err, size_t errlen)
{
	char why[160];
	uint64_t size;
	struct stat st;
	int fd, ret = -1;

	if ((fd = open_regular(dirfd, name, err, errlen)) < 0)
		return -1;
	/* The size check gives the clear message; the bound passed to the
	 * hash catches a file that grows meanwhile. */
	if (fstat(fd, &st) < 0 || (uint64_t)st.st_size > *budget) {
		ret = err_set(err, errlen, ERR_INVALID,
			      "bundle holds more than %llu bytes",
			      (unsigned long long)BUNDLE_MAX_BYTES);
		goto out;
	}
	if (bundle_sha256_fd(fd, *budget, e->sha256, &size, why, sizeof(why)) <
	    0) {
		ret = err_set(err, errlen, ERR_INVALID, "file '%s': %s", name,
			      why);
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
	if (m->entries == NULL)
		return err_set(err, errlen, ERR_INTERNAL, "out of memory");
	if ((fd = dup(dirfd)) < 0 || (dir = fdopendir(fd)) == NULL) {
		err_set(err, errlen, ERR_IO, "cannot read bundle directory: %s",
			strerror(errno));
		if (fd != -1)
			close(fd);
		goto out;
	}
	rewinddir(dir);
	while (errno = 0, (de = readdir(dir)) != NULL) {
		if (bundle_dir_skips(de->d_name) || is_reserved(de->d_name))
			continue;
		if (bundle_name_check(de->d_name, strlen(de->d_name), err,
				      errlen) < 0)
			goto out;
		if (m->n == BUNDLE_MAX_FILES) {
			ret = err_set(err, errlen, ERR_INVALID,
				      "bundle holds more than %d files",
				      BUNDLE_MAX_FILES);
			goto out;
		}
		if (scan_file(dirfd, de->d_name, &budget, &m->entries[m->n],
			      err, errlen) < 0)
			goto out;
		m->n++;
	}
	if (errno != 0) {
		ret = err_set(err, errlen, ERR_IO,
			      "cannot read bundle directory: %s",
			      strerror(errno));
		goto out;
	}
	qsort(m->entries, m->n, sizeof(*m->entries), entry_cmp);
	ret = 0;
out:
	if (dir != NULL)
		closedir(dir);
	if (ret < 0)
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
		if (found != m->n)
			return err_set(err, errlen, ERR_INVALID,
				       "bundle holds two .so files, '%s' "
				       "and '%s'",
				       m->entries[found].name,
				       m->entries[i].name);
		found = i;
	}
	if (found == m->n)
		return err_set(err, errlen, ERR_INVALID,
			       "bundle holds no .so file");
	*idx = found;
	return 0;
}

int
bundle_find_plugin(int dirfd, char *name, size_t len, char *err, size_t errlen)
{
	struct dirent *de;
	DIR *dir = NULL;
	int fd, found = 0, ret = -1;

	if ((fd = dup(dirfd)) < 0 || (dir = fdopendir(fd)) == NULL) {
		err_set(err, errlen, ERR_IO, "cannot read bundle directory: %s",
			strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	rewinddir(dir);
	while (errno = 0, (de = readdir(dir)) != NULL) {
		if (bundle_dir_skips(de->d_name) || !is_plugin(de->d_name))
			continue;
		if (found) {
			ret = err_set(err, errlen, ERR_INVALID,
				      "bundle holds two .so files, '%s' "
				      "and '%s'",
				      name, de->d_name);
			goto out;
		}
		if (bundle_name_check(de->d_name, strlen(de->d_name), err,
				      errlen) < 0)
			goto out;
		if ((fd = open_regular(dirfd, de->d_name, err, errlen)) < 0)
			goto out;
		close(fd);
		if ((size_t)snprintf(name, len, "%s", de->d_name) >= len) {
			ret = err_set(err, errlen, ERR_INVALID,
				      "plugin name is too long");
			goto out;
		}
		found = 1;
	}
	if (errno != 0) {
		ret = err_set(err, errlen, ERR_IO,
			      "cannot read bundle directory: %s",
			      strerror(errno));
		goto out;
	}
	if (!found) {
		ret = err_set(err, errlen, ERR_INVALID,
			      "bundle holds no .so file");
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

	if ((*text = malloc(cap)) == NULL)
		return err_set(err, errlen, ERR_INTERNAL, "out of memory");
	for (i = 0; i < m->n; i++) {
		hex_encode(hex, m->entries[i].sha256, 32);
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
	if (scan_dir(dirfd, &m, err, errlen) < 0)
		return -1;
	if (plugin_pick(&m, &idx, err, errlen) < 0)
		goto out;
	ret = manifest_format(&m, text, len, err, errlen);
out:
	bundle_manifest_free(&m);
	return ret;
}

/* Parse line number no (line[0..n-1], newline excluded) into e. */
static int
manifest_line(const char *line, size_t n, size_t no, struct bundle_entry *e,
	      char *err, size_t errlen)
{
	char why[160];

	if (n > 0 && line[n - 1] == '\r')
		return err_set(err, errlen, ERR_INVALID,
			       "MANIFEST line %zu: CRLF line ending", no);
	if (n < HEX_LEN + 3)
		return err_set(err, errlen, ERR_INVALID,
			       "MANIFEST line %zu: too short", no);
	if (hex_decode(e->sha256, 32, line, HEX_LEN) < 0)
		return err_set(err, errlen, ERR_INVALID,
			       "MANIFEST line %zu: bad hex digest", no);
	if (line[HEX_LEN] != ' ' || line[HEX_LEN + 1] != ' ')
		return err_set(err, errlen, ERR_INVALID,
			       "MANIFEST line %zu: expected two spaces "
			       "after the digest",
			       no);
	line += HEX_LEN + 2;
	n -= HEX_LEN + 2;
	if (bundle_name_check(line, n, why, sizeof(why)) < 0)
		return err_set(err, errlen, ERR_INVALID,
			       "MANIFEST line %zu: %s", no, why);
	memcpy(e->name, line, n);
	e->name[n] = '\0';
	if (is_reserved(e->name))
		return err_set(err, errlen, ERR_INVALID,
			       "MANIFEST line %zu: names '%s', which "
			       "can not be in MANIFEST",
			       no, e->name);
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
	if (len == 0)
		return err_set(err, errlen, ERR_INVALID, "MANIFEST is empty");
	if (len > BUNDLE_MANIFEST_MAX)
		return err_set(err, errlen, ERR_INVALID,
			       "MANIFEST is larger than %d bytes",
			       BUNDLE_MANIFEST_MAX);
	m->entries = calloc(BUNDLE_MAX_FILES, sizeof(*m->entries));
	if (m->entries == NULL)
		return err_set(err, errlen, ERR_INTERNAL, "out of memory");
	while (left > 0) {
		no++;
		nl = memchr(p, '\n', left < LINE_MAX_LEN ? left : LINE_MAX_LEN);
		n = nl != NULL ? (size_t)(nl - p) : left;
		if (nl == NULL && left >= LINE_MAX_LEN) {
			err_set(err, errlen, ERR_INVALID,
				"MANIFEST line %zu: too long", no);
			goto fail;
		}
		if (nl == NULL) {
			err_set(err, errlen, ERR_INVALID,
				"MANIFEST line %zu: missing "
				"newline",
				no);
			goto fail;
		}
		if (m->n == BUNDLE_MAX_FILES) {
			err_set(err, errlen, ERR_INVALID,
				"MANIFEST names more than %d files",
				BUNDLE_MAX_FILES);
			goto fail;
		}
		if (manifest_line(p, n, no, &m->entries[m->n], err, errlen) < 0)
			goto fail;
		if (m->n > 0 && (c = strcmp(m->entries[m->n - 1].name,
					    m->entries[m->n].name)) >= 0) {
			err_set(err, errlen, ERR_INVALID,
				"MANIFEST line %zu: %s '%s'", no,
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

	if (comment_field(&p, "name", 0, &name, &nn) < 0 ||
	    comment_field(&p, "version", 0, &version, &vn) < 0 ||
	    comment_field(&p, "abi", 0, &abi, &an) < 0 ||
	    comment_field(&p, "sha256", 1, &sum, &sn) < 0)
		return err_set(err, errlen, ERR_INVALID,
			       "trusted comment '%s' is not 'name=... "
			       "version=... abi=... sha256=...'",
			       quote_bytes(q, sizeof(q), tc, strlen(tc)));
	if (!label_ok(name, nn))
		return err_set(err, errlen, ERR_INVALID,
			       "trusted comment: bad name '%s'",
			       quote_bytes(q, sizeof(q), name, nn));
	if (!label_ok(version, vn))
		return err_set(err, errlen, ERR_INVALID,
			       "trusted comment: bad version '%s'",
			       quote_bytes(q, sizeof(q), version, vn));
	if (an != strlen(BUNDLE_ABI) || memcmp(abi, BUNDLE_ABI, an) != 0)
		return err_set(err, errlen, ERR_INVALID,
			       "trusted comment: abi=%s, but this host "
			       "runs abi=" BUNDLE_ABI,
			       quote_bytes(q, sizeof(q), abi, an));
	if (hex_decode(digest, sizeof(digest), sum, sn) < 0)
		return err_set(err, errlen, ERR_INVALID,
			       "trusted comment: sha256 is not 64 "
			       "lower-case hex digits");
	memcpy(info->name, name, nn);
	info->name[nn] = '\0';
	memcpy(info->version, version, vn);
	info->version[vn] = '\0';
	memcpy(info->checksum, sum, HEX_LEN);
	info->checksum[HEX_LEN] = '\0';
	return 0;
}

/* MANIFEST and its signature check out; fills info's comment fields.
 * Passes on minisign_verify()'s -ERR_UNTRUSTED. */
static int
verify_signature(int dirfd, const struct minisign_pubkey *keys, size_t nkeys,
		 const char *manifest, size_t mlen, struct bundle_info *info,
		 char *err, size_t errlen)
{
	struct minisign_sig *sig = NULL;
	char *text = NULL, sum[65];
	size_t tlen;
	int ret;

	if ((ret = read_small(dirfd, BUNDLE_SIGNATURE, MINISIGN_FILE_MAX, &text,
			      &tlen, err, errlen)) < 0)
		goto out;
	if ((sig = malloc(sizeof(*sig))) == NULL) {
		ret = err_set(err, errlen, ERR_INTERNAL, "out of memory");
		goto out;
	}
	if ((ret = minisign_sig_parse(text, tlen, sig, err, errlen)) < 0 ||
	    (ret = minisign_verify(keys, nkeys, sig, manifest, mlen, NULL, err,
				   errlen)) < 0 ||
	    (ret = bundle_comment_parse(sig->trusted_comment, info, err,
					errlen)) < 0)
		goto out;
	if ((ret = hex_sha256(sum, manifest, mlen)) < 0) {
		err_set(err, errlen, ERR_INTERNAL,
			"cannot hash: OpenSSL failed");
		goto out;
	}
	if (strcmp(sum, info->checksum) != 0) {
		ret = err_set(err, errlen, ERR_BAD_BUNDLE,
			      "trusted comment sha256=%s, but MANIFEST "
			      "has sha256 %s",
			      info->checksum, sum);
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
		if (c < 0)
			return err_set(err, errlen, ERR_INVALID,
				       "file '%s' named in MANIFEST is "
				       "missing",
				       want->entries[i].name);
		if (c > 0)
			return err_set(err, errlen, ERR_INVALID,
				       "file '%s' is not in MANIFEST",
				       have->entries[j].name);
		if (CRYPTO_memcmp(want->entries[i].sha256,
				  have->entries[j].sha256, 32) != 0)
			return err_set(err, errlen, ERR_INVALID,
				       "file '%s' does not match "
				       "MANIFEST",
				       want->entries[i].name);
		i++;
		j++;
	}
	return 0;
}

int
bundle_verify(int dirfd, const struct minisign_pubkey *keys, size_t nkeys,
	      struct bundle_info *info, char *err, size_t errlen)
{
	struct bundle_manifest want = { 0, NULL }, have = { 0, NULL };
	char *manifest = NULL;
	size_t mlen, idx;
	int ret;

	memset(info, 0, sizeof(*info));
	if ((ret = read_small(dirfd, BUNDLE_MANIFEST, BUNDLE_MANIFEST_MAX,
			      &manifest, &mlen, err, errlen)) < 0)
		goto out;
	/* Authenticate MANIFEST before trusting anything it says. */
	if ((ret = verify_signature(dirfd, keys, nkeys, manifest, mlen, info,
				    err, errlen)) < 0 ||
	    (ret = bundle_manifest_parse(manifest, mlen, &want, err, errlen)) <
		    0 ||
	    (ret = plugin_pick(&want, &idx, err, errlen)) < 0 ||
	    (ret = scan_dir(dirfd, &have, err, errlen)) < 0 ||
	    (ret = compare_files(&want, &have, err, errlen)) < 0)
		goto out;
	snprintf(info->plugin, sizeof(info->plugin), "%s",
		 want.entries[idx].name);
	memcpy(info->plugin_sha256, want.entries[idx].sha256, 32);
	info->nfiles = want.n;
	ret = 0;
out:
	/* The HTTP layer answers from the kind: an untrusted signer and
	 * our own failure apart, every problem is the bundle's. */
	if (ret < 0 && ret != -ERR_UNTRUSTED && ret != -ERR_INTERNAL)
		ret = -ERR_BAD_BUNDLE;
	if (ret < 0)
		memset(info, 0, sizeof(*info));
	bundle_manifest_free(&want);
	bundle_manifest_free(&have);
	free(manifest);
	return ret;
}

int
bundle_sign(int dirfd, const struct minisign_seckey *key, const char *name,
	    const char *version, char checksum[65], char *err, size_t errlen)
{
	char *manifest = NULL, *sig = NULL, sum[65];
	char tc[MINISIGN_TRUSTED_COMMENT_MAX + 1], q[QUOTE_MAX];
	size_t mlen, slen;
	int ret = -1;

	if (!label_ok(name, strlen(name)))
		return err_set(err, errlen, ERR_INVALID,
			       "bad function name '%s' (1-%d of "
			       "A-Za-z0-9._+-)",
			       quote_bytes(q, sizeof(q), name, strlen(name)),
			       BUNDLE_LABEL_MAX);
	if (!label_ok(version, strlen(version)))
		return err_set(err, errlen, ERR_INVALID,
			       "bad version '%s' (1-%d of A-Za-z0-9._+-)",
			       quote_bytes(q, sizeof(q), version,
					   strlen(version)),
			       BUNDLE_LABEL_MAX);
	/* Temporaries a crashed run of an older fnhost left would fail the
	 * name check. */
	unlinkat(dirfd, "." BUNDLE_MANIFEST ".tmp", 0);
	unlinkat(dirfd, "." BUNDLE_SIGNATURE ".tmp", 0);
	if (bundle_manifest_build(dirfd, &manifest, &mlen, err, errlen) < 0)
		goto out;
	if (hex_sha256(sum, manifest, mlen) < 0) {
		ret = err_set(err, errlen, ERR_INTERNAL,
			      "cannot hash: OpenSSL failed");
		goto out;
	}
	snprintf(tc, sizeof(tc),
		 "name=%s version=%s abi=" BUNDLE_ABI " sha256=%s", name,
		 version, sum);
	if (minisign_sign(key, manifest, mlen, tc, &sig, &slen, err, errlen) <
		    0 ||
	    fileio_replace(dirfd, BUNDLE_MANIFEST, manifest, mlen, 0644, err,
			   errlen) < 0 ||
	    fileio_replace(dirfd, BUNDLE_SIGNATURE, sig, slen, 0644, err,
			   errlen) < 0)
		goto out;
	if (checksum != NULL)
		memcpy(checksum, sum, sizeof(sum));
	ret = 0;
out:
	free(sig);
	free(manifest);
	return ret;
}
