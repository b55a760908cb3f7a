/*
 * bundle.h: plugin bundles, their MANIFEST, checksum and signature.
 *
 * A bundle is a flat directory: one plugin "<x>.so", resource files,
 * MANIFEST and MANIFEST.minisig.  MANIFEST is byte for byte what
 * `sha256sum` prints for every other regular file, sorted by name in byte
 * order: "<64 lower-case hex>  <name>\n" per file.  The function checksum
 * is SHA-256(MANIFEST) in lower-case hex, so coreutils alone recompute it.
 * MANIFEST.minisig is a prehashed minisign signature of MANIFEST whose
 * trusted comment is "name=<n> version=<v> abi=1 sha256=<checksum>".
 *
 * Every directory is reached through a dirfd and every file is opened
 * relative to it with O_NOFOLLOW and checked with fstat(), so symlinks,
 * subdirectories and special files are refused, never followed.  Every
 * function returns 0 on success or a negated kind (base/err.h) with a
 * one-line reason naming what was wrong in err (e.g. "file 'x.so' does
 * not match MANIFEST"): -ERR_INVALID for a malformed name, label, MANIFEST
 * or comment, -ERR_IO when a file or directory can not be read or
 * written, -ERR_INTERNAL out of memory or when OpenSSL fails, and for
 * bundle_verify() only -ERR_UNTRUSTED, -ERR_BAD_BUNDLE or -ERR_INTERNAL.
 */
#ifndef FNHOST_BUNDLE_H
#define FNHOST_BUNDLE_H

#include "base/err.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "formats/minisign.h"

#define BUNDLE_MANIFEST "MANIFEST"
#define BUNDLE_SIGNATURE "MANIFEST.minisig"
#define BUNDLE_ABI "1"

/* Limits on what a bundle may hold: files besides MANIFEST and its
 * signature, bytes in all those files, and bytes of one file name. */
#define BUNDLE_MAX_FILES 256
#define BUNDLE_MAX_BYTES (256ULL << 20)
#define BUNDLE_NAME_MAX 255
/* Longest MANIFEST there can be within those limits. */
#define BUNDLE_MANIFEST_MAX (BUNDLE_MAX_FILES * (64 + 2 + BUNDLE_NAME_MAX + 1))
/* Longest function name and version (63 bytes of [A-Za-z0-9._+-],
 * starting with a letter or digit). */
#define BUNDLE_LABEL_MAX 63

struct bundle_entry {
	unsigned char sha256[32];
	char name[BUNDLE_NAME_MAX + 1];
};

/* A parsed MANIFEST: n entries, sorted by name, names unique. */
struct bundle_manifest {
	size_t n;
	struct bundle_entry *entries;
};

struct bundle_info {
	char checksum[65]; /* SHA-256(MANIFEST), lower-case hex */
	char name[BUNDLE_LABEL_MAX + 1];
	char version[BUNDLE_LABEL_MAX + 1];
	char plugin[BUNDLE_NAME_MAX + 1]; /* the .so file's name */
	unsigned char plugin_sha256[32];  /* as MANIFEST states it */
	size_t nfiles;			  /* files MANIFEST names */
};

/* Whether a directory entry is left out of a bundle directory: "." and
 * "..", and every name starting with '.' (an editor's swap file, a
 * desktop's .directory).  The one rule for every reader of a bundle
 * directory: sign and verify (the manifest scan here), `fnhost test`'s
 * staging and `fnhost deploy`'s upload.  A name the host receives is
 * never skipped: bundle_name_check() refuses it. */
bool bundle_dir_skips(const char *name);

/* Check a file name of len bytes: not empty, at most BUNDLE_NAME_MAX
 * bytes, no '/', no leading '.', no control bytes (below 0x20, 0x7f) and
 * no '\\' (sha256sum would escape it).  Says "bad file name '<n>'". */
int bundle_name_check(const char *name, size_t len, char *err, size_t errlen);

/* SHA-256 of everything readable from fd (from its current offset to end
 * of file), refusing more than max bytes.  *size (if not NULL) gets the
 * number of bytes hashed.  (worker_seal_plugin() hashes the plugin as it
 * copies it into its memfd, and does not use this.) */
int bundle_sha256_fd(int fd, uint64_t max, unsigned char out[32],
		     uint64_t *size, char *err, size_t errlen);

/* The single regular file whose name ends in ".so" in the bundle at dirfd,
 * into name[len]; for unsigned test bundles.  None, two, or one that is
 * not a regular file is an error. */
int bundle_find_plugin(int dirfd, char *name, size_t len, char *err,
		       size_t errlen);

/* MANIFEST text for the bundle at dirfd as it is now (MANIFEST and
 * MANIFEST.minisig left out), into a malloc()ed, NUL-terminated *text the
 * caller frees.  Fails on a bad name, anything but a regular file, more
 * than BUNDLE_MAX_FILES files or BUNDLE_MAX_BYTES bytes, or a number of
 * .so files other than one. */
int bundle_manifest_build(int dirfd, char **text, size_t *len, char *err,
			  size_t errlen);

/* Parse MANIFEST text strictly (pure: no I/O, any bytes are safe): every
 * line "<64 lower-case hex>  <name>\n", names checked as above and not
 * MANIFEST or MANIFEST.minisig, sorted in byte order without duplicates,
 * at most BUNDLE_MAX_FILES lines, nothing after the last newline.  Fills
 * m (free it with bundle_manifest_free()); errors name the line. */
int bundle_manifest_parse(const char *buf, size_t len,
			  struct bundle_manifest *m, char *err, size_t errlen);
void bundle_manifest_free(struct bundle_manifest *m);

/* Parse a trusted comment "name=<n> version=<v> abi=<a> sha256=<hex>"
 * (fields in that order, single spaces).  abi must be BUNDLE_ABI.  Fills
 * info->name, info->version and info->checksum. */
int bundle_comment_parse(const char *tc, struct bundle_info *info, char *err,
			 size_t errlen);

/*
 * Everything the host checks before it deploys the bundle at dirfd: the
 * signature of MANIFEST verifies with one of keys[0..nkeys-1], its trusted
 * comment parses and its sha256 is SHA-256(MANIFEST), MANIFEST parses,
 * names exactly one .so, every file it names is a regular file that
 * matches its line, and no other file is there.  Fills info on success.
 * Returns -ERR_UNTRUSTED exactly when the signature's key id is none of
 * keys' (so also when nkeys is 0), -ERR_INTERNAL out of memory or when
 * OpenSSL fails, and -ERR_BAD_BUNDLE for every other problem.
 */
int bundle_verify(int dirfd, const struct minisign_pubkey *keys, size_t nkeys,
		  struct bundle_info *info, char *err, size_t errlen);

/*
 * Write MANIFEST and MANIFEST.minisig for the bundle at dirfd, signed with
 * key, trusted comment from name and version (checked as labels).  Each
 * file is replaced atomically: written to a temporary name, fsync()ed,
 * renamed, and the directory fsync()ed.  Fills checksum[65] if not NULL.
 */
int bundle_sign(int dirfd, const struct minisign_seckey *key, const char *name,
		const char *version, char checksum[65], char *err,
		size_t errlen);

#endif
