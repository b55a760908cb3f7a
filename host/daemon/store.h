/*
 * store.h: the daemon's persistent state under DATADIR.
 *
 *	keys/		admin.token (hex text), token.key (32 random bytes), and
 *			later the host's encryption and attestation keys; 0600
 *	trusted/	publisher public keys, <KEYID>.pub (minisign format)
 *	bundles/<checksum>/	deployed bundles, read-only, content-addressed
 *	functions/<id>.json	function records: one a version of a name
 *	aliases/<name>@<alias>.json	an alias of a name: a version number
 *	tokens/<jti>.json	issued tokens (for list and revoke)
 *	format		"2\n" once the data dir is migrated (store_open())
 *	journal		an operation of several record writes while it runs
 *	tmp/		deploy staging; emptied at start
 *
 * Every write is atomic: a temporary name in the same directory, fsync,
 * rename, fsync of the directory.  An operation of several writes (a
 * deploy of a new version, a version delete) writes its steps to the
 * journal first and removes it after.  A crash at any point leaves the
 * old state or the new one: store_open() finishes a journal it finds,
 * and removes what a crash left behind (temporaries, staging dirs).  Functions are safe to call from
 * several threads at once; each call is one file operation or guarded.
 *
 * Every function returns 0, or a negated enum err_kind (base/err.h) with
 * a one-line reason in err:
 *	-ERR_NOT_FOUND	no such record, key or bundle ("no function 'x'")
 *	-ERR_INVALID	a malformed id, name or record given by the caller
 *	-ERR_BAD_KEY	a publisher key that does not parse (trust only)
 *	-ERR_IO		the file system failed, or what is on disk is
 *			damaged (a malformed record or key file names it)
 *	-ERR_INTERNAL	out of memory
 * so that "not found" is told from a store that cannot be read.  errno
 * is set too (ENOENT for -ERR_NOT_FOUND, EINVAL for -ERR_INVALID and
 * -ERR_BAD_KEY, a system call's errno or EIO for -ERR_IO) for callers
 * that still test errno; they are to move to the kinds.
 */
#ifndef FNHOST_STORE_H
#define FNHOST_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "formats/bundle.h"
#include "formats/minisign.h"

struct store;

/*
 * A function is a name (the signed trusted comment's) with an ordered
 * list of versions; each version is one record, with an id of its own
 * (what the id routes and older tokens name), the bundle's checksum,
 * and its number: 1 for the first version of the name, then one more
 * than the highest ever given, so a number never names two bundles.
 */
struct store_function {
	char id[32]; /* 22 characters of [A-Za-z0-9] */
	char name[BUNDLE_LABEL_MAX + 1];
	char version[BUNDLE_LABEL_MAX + 1]; /* the publisher's label */
	char checksum[65];
	char plugin[BUNDLE_NAME_MAX + 1];
	unsigned char plugin_sha256[32];
	int64_t created; /* Unix seconds */
	int64_t number;	 /* 1, 2, ... within name */
};
/* The highest version number a target ("name@N", 12 digits at most) or
 * a request body can name. */
#define STORE_NUMBER_MAX 999999999999LL

/* An alias: a label of [A-Za-z0-9._+-], at most STORE_ALIAS_MAX
 * characters, not all digits (those are version numbers), pointing at a
 * version of name.  "latest" is kept by the store: every deploy points
 * it at the version deployed, and it always names a version that is
 * there while the name has one. */
#define STORE_ALIAS_MAX 31
#define STORE_ALIAS_LATEST "latest"
/* The highest version number a name ever had, kept by the host so that a
 * number is never given twice (a token naming name@2 must never reach
 * another bundle after version 2 is deleted); no caller sets, deletes or
 * resolves it. */
#define STORE_ALIAS_HIGHEST "highest"
/* What a token or a path names: a function id, or "<name>@<alias>", or
 * "<name>@<number>"; the longest is this, with its NUL. */
#define STORE_TARGET_MAX (BUNDLE_LABEL_MAX + 1 + STORE_ALIAS_MAX + 1)

struct store_alias {
	char id[STORE_TARGET_MAX]; /* "<name>@<alias>" */
	char name[BUNDLE_LABEL_MAX + 1];
	char alias[STORE_ALIAS_MAX + 1];
	int64_t number; /* the version it points at */
	int64_t set;	/* Unix seconds it was last moved */
};

struct store_token {
	char jti[33]; /* 32 lower-case hex characters */
	/* sub: a function id (the version it was issued for), or
	 * "<name>@<alias>" (the version the alias points at when used) */
	char function_id[STORE_TARGET_MAX];
	char checksum[65]; /* the fch pin, or "" */
	int64_t iat, exp;  /* Unix seconds */
	bool revoked;
};

/* Open (creating as needed, 0700) DATADIR and its layout, and clean what
 * a crash left behind.  *out is freed with store_close(). */
int store_open(const char *datadir, struct store **out, char *err,
	       size_t errlen);
void store_close(struct store *s);
const char *store_path(const struct store *s);

/* keys/admin.token: made on first call (32 random bytes as 64 hex
 * characters + newline); *created says whether it was made now. */
int store_admin_token(struct store *s, char token[65], bool *created, char *err,
		      size_t errlen);
/* keys/token.key: the JWT HMAC secret, made on first call. */
int store_token_secret(struct store *s, unsigned char secret[32], char *err,
		       size_t errlen);
/* keys/<name>: a raw secret of exactly len bytes (at most 64).  get fails
 * with -ERR_NOT_FOUND when it is missing, -ERR_IO when it is another
 * length; put writes it atomically, 0600; remove of a missing one
 * succeeds.  A name that is not one plain file name is -ERR_INVALID. */
int store_key_get(struct store *s, const char *name, void *out, size_t len,
		  char *err, size_t errlen);
int store_key_put(struct store *s, const char *name, const void *buf,
		  size_t len, char *err, size_t errlen);
int store_key_remove(struct store *s, const char *name, char *err,
		     size_t errlen);

/* Trusted publisher keys.  load returns a malloc()ed array (free()); a
 * file in trusted/ that does not parse, or holds a key of another id, is
 * -ERR_BAD_KEY naming it. */
int store_trust_load(struct store *s, struct minisign_pubkey **keys, size_t *n,
		     char *err, size_t errlen);
/* Add a key given as the text of a .pub file; writes its key id (16 hex
 * upper-case) to keyid.  Adding a key already there succeeds; text that
 * does not parse, or another key under a trusted id, is -ERR_BAD_KEY. */
int store_trust_add(struct store *s, const char *text, size_t len,
		    char keyid[17], char *err, size_t errlen);
int store_trust_remove(struct store *s, const char *keyid, char *err,
		       size_t errlen);

/* A fresh, empty staging directory for a deploy (tmp/deploy-XXXXXX):
 * its path and an O_RDONLY dirfd the caller closes.  daemon/deploy.h is
 * the deploy use case built on these. */
int store_staging_create(struct store *s, char *path, size_t len, int *dirfd,
			 char *err, size_t errlen);
/* Remove a staging dir store_staging_create() made and all it holds;
 * one already gone is no error. */
int store_staging_remove(struct store *s, const char *path, char *err,
			 size_t errlen);
/* Move a verified staging dir to bundles/<info->checksum> (files made
 * 0444, the dir 0555, all fsynced); when that bundle is already stored
 * the staging dir is removed instead.  Either way the staging dir is
 * gone afterwards. */
int store_bundle_install(struct store *s, const char *staging_path,
			 const struct bundle_info *info, char *err,
			 size_t errlen);
/* Open bundles/<checksum> as an O_PATH dirfd and give its path. */
int store_bundle_open(struct store *s, const char *checksum, int *dirfd,
		      char *path, size_t len, char *err, size_t errlen);

/* Function records.  put makes a new id when f->id is empty. */
int store_function_put(struct store *s, struct store_function *f, char *err,
		       size_t errlen);
int store_function_get(struct store *s, const char *id,
		       struct store_function *f, char *err, size_t errlen);
/* store_function_get() of an id whose record is in memory, touching no
 * disk and holding no lock taken across I/O: true and f filled, or
 * false (not an id, or not cached) for the caller to read it the way
 * that may block.  A record deleted or rewritten is never served stale:
 * every write updates the cache before it returns. */
bool store_function_cached(struct store *s, const char *id,
			   struct store_function *f);
/* All records, sorted by created then id; free(*out). */
int store_function_list(struct store *s, struct store_function **out, size_t *n,
			char *err, size_t errlen);
/* Remove the record; the bundle stays while other records name it and is
 * collected by store_open() when none does. */
int store_function_delete(struct store *s, const char *id, char *err,
			  size_t errlen);

/*
 * Versions and aliases (store-versions.c).  Each holds the store's lock
 * across its read-modify-write, so two deploys of one name never get one
 * number.
 */

/* Add f (its id and number are made here) as the newest version of
 * f->name, or, when a version of that name has f->checksum already,
 * fill f with that one and store nothing: *added says which.  Either
 * way "latest" is then pointed at f (a deploy says "this is latest";
 * a retry after a crash between the two writes completes it). */
int store_version_add(struct store *s, struct store_function *f, bool *added,
		      char *err, size_t errlen);
/* The versions of name by number, in *out (free it); -ERR_NOT_FOUND for
 * a name without any. */
int store_version_list(struct store *s, const char *name,
		       struct store_function **out, size_t *n, char *err,
		       size_t errlen);
/* The version target names: a function id, "<name>" (its latest),
 * "<name>@<alias>" or "<name>@<number>".  An id-shaped target that is a
 * record's id is that record, otherwise it is read as a name. */
int store_function_resolve(struct store *s, const char *target,
			   struct store_function *f, char *err, size_t errlen);
/* target written in the one form a token keeps: an id stays as it is
 * when it names a record, "<name>" becomes "<name>@latest"; -ERR_INVALID
 * when it is none of the forms. */
int store_target_normal(struct store *s, const char *target,
			char out[STORE_TARGET_MAX], char *err, size_t errlen);
/* Remove version f->id.  Aliases of other names than "latest" pointing
 * at it refuse (-ERR_CONFLICT naming one: move it first); "latest" moves
 * to the newest version left, or goes with the last one.  Live sessions
 * keep their bundle (bundles/ is collected at the next start). */
int store_version_delete(struct store *s, const char *id, char *err,
			 size_t errlen);

/* The aliases of name, sorted by alias; free(*out). */
int store_alias_list(struct store *s, const char *name,
		     struct store_alias **out, size_t *n, char *err,
		     size_t errlen);
int store_alias_get(struct store *s, const char *name, const char *alias,
		    struct store_alias *a, char *err, size_t errlen);
/* Point alias of name at version number (which must exist). */
int store_alias_set(struct store *s, const char *name, const char *alias,
		    int64_t number, struct store_alias *a, char *err,
		    size_t errlen);
/* Move alias back to the newest version older than the one it points
 * at: -ERR_CONFLICT when there is none. */
int store_alias_rollback(struct store *s, const char *name, const char *alias,
			 struct store_alias *a, char *err, size_t errlen);
/* Remove an alias; "latest" cannot be removed (-ERR_INVALID). */
int store_alias_delete(struct store *s, const char *name, const char *alias,
		       char *err, size_t errlen);

/* Token records. */
int store_token_put(struct store *s, const struct store_token *t, char *err,
		    size_t errlen);
int store_token_get(struct store *s, const char *jti, struct store_token *t,
		    char *err, size_t errlen);
int store_token_list(struct store *s, struct store_token **out, size_t *n,
		     char *err, size_t errlen);
/* Mark revoked (kept until it expires, so it stays refused); records of
 * expired tokens are removed by store_open(). */
int store_token_revoke(struct store *s, const char *jti, char *err,
		       size_t errlen);

/*
 * Secrets: secrets/<name>@<key>.sealed, 0600, each the bytes
 * hpke_seal_secret() made on the client (formats/hpke.h); the store never
 * opens them.  name is a function name (a label), key 1 to
 * STORE_SECRET_KEY_MAX of [A-Za-z0-9_.-] starting with a letter, a digit
 * or '_'.  A name holds at most STORE_SECRETS_PER_NAME keys; a put of a
 * key already there replaces it atomically.  -ERR_INVALID for a bad name
 * or key or a sealed text out of bounds, -ERR_LIMIT past the keys' bound,
 * -ERR_NOT_FOUND for a key that is not there.
 */
#define STORE_SECRET_KEY_MAX 64
#define STORE_SECRETS_PER_NAME 64
struct store_secret_key {
	char key[STORE_SECRET_KEY_MAX + 1];
};
int store_secret_key_ok(const char *key);
/* Whether name is a function name (a label). */
int store_secret_name_ok(const char *name);
int store_secret_put(struct store *s, const char *name, const char *key,
		     const void *sealed, size_t len, char *err, size_t errlen);
/* *sealed is malloc()ed; free() it. */
int store_secret_get(struct store *s, const char *name, const char *key,
		     unsigned char **sealed, size_t *len, char *err,
		     size_t errlen);
/* The keys of name, sorted; *keys is malloc()ed (NULL when none). */
int store_secret_list(struct store *s, const char *name,
		      struct store_secret_key **keys, size_t *n, char *err,
		      size_t errlen);
int store_secret_delete(struct store *s, const char *name, const char *key,
			char *err, size_t errlen);
/* Every secret of every name, unsorted; *refs is malloc()ed (NULL when
 * none). */
struct store_secret_ref {
	char name[BUNDLE_LABEL_MAX + 1];
	char key[STORE_SECRET_KEY_MAX + 1];
};
int store_secret_list_all(struct store *s, struct store_secret_ref **refs,
			  size_t *n, char *err, size_t errlen);
/* Replace name's key with now only if it still holds exactly was (a put
 * or a delete since it was read wins); *swapped says whether it did. */
int store_secret_swap(struct store *s, const char *name, const char *key,
		      const void *was, size_t was_len, const void *now,
		      size_t now_len, bool *swapped, char *err, size_t errlen);

/*
 * ---- the store as a registry's cache (store-replica.c) ----
 *
 * With store = postgres the registry (daemon/registry.h) decides ids,
 * numbers and aliases for every host; these write what it decided into
 * this host's store as given.  Kinds as above.
 */

/* Write a (any alias, "highest" and "latest" too) as it is. */
int store_replica_alias_put(struct store *s, const struct store_alias *a,
			    char *err, size_t errlen);
/* Remove an alias record ("latest" and "highest" too); a missing one is
 * no error. */
int store_replica_alias_remove(struct store *s, const char *name,
			       const char *alias, char *err, size_t errlen);
/* Every alias record, "highest" ones too, unsorted; free(*out). */
int store_replica_alias_all(struct store *s, struct store_alias **out,
			    size_t *n, char *err, size_t errlen);
/* Remove a function record; a missing one is no error. */
int store_replica_function_remove(struct store *s, const char *id, char *err,
				  size_t errlen);
/* Whether alias is a valid alias label; whether id is a function id. */
int store_replica_alias_ok(const char *alias);
int store_replica_id_ok(const char *id);
/* A fresh function id, as store_function_put() would make. */
int store_replica_new_id(struct store *s, char id[32], char *err,
			 size_t errlen);

#endif
