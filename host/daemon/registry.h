/*
 * registry.h: the registry shared by several hosts (store = postgres),
 * kept in PostgreSQL, with this host's store (store.h) as its cache.
 *
 * PostgreSQL is the source of truth for functions (versions), aliases
 * ("latest" and "highest" too), bundles (the files of each, by
 * checksum), tokens and their revocations, trusted publisher keys and
 * secrets (sealed, as the file store keeps them).  The host keys never
 * go there: every host of a cluster has the same keys/ files.
 *
 *  - Writes: each registry_*() write below is ONE transaction, which
 *    takes the change counter's row lock first (so writes commit in the
 *    order of the sequence they bump, and numbers are computed under
 *    it), marks every row it changes with that sequence, and sends
 *    NOTIFY fnhost_changes at commit.  It then catches this host's cache
 *    up before it returns (read-your-writes).  A database that cannot be
 *    reached, or a transaction that fails, is -ERR_UNAVAILABLE with a
 *    one-line reason, and nothing is written locally.  Other kinds are
 *    the store's: -ERR_NOT_FOUND, -ERR_CONFLICT, -ERR_INVALID, -ERR_LIMIT,
 *    -ERR_BAD_KEY, each with the store's reason.
 *  - Reads: none.  Every read, and the request path (session open,
 *    invoke, a token's revocation), is the cache's.
 *  - Replication: a thread LISTENs on its own connection and, on a
 *    notification, every REGISTRY_POLL_MS regardless, and after each
 *    reconnect, applies every row changed since the last sequence it
 *    applied to the cache.  Deleted rows stay as tombstones, so a delete
 *    replicates like a put.  It reconnects with backoff while the
 *    database is away; the cache serves meanwhile.  A counter below the
 *    applied one (a database put back from a backup) makes the catch-up
 *    a full sync, as registry_open()'s.
 *  - A catch-up's rows are applied again at the next one when a bundle
 *    could not be pulled for a database error; a row that is bad in
 *    itself is skipped and logged.
 *  - Bundles: a function row whose bundle this host lacks makes it pull
 *    the files from the database and verify them as a deploy does (the
 *    signature against the trusted keys, the SHA-256 of every file) and
 *    that their checksum is the one pulled; one that fails is not
 *    installed, its record not written, and the log says why.
 *  - Schema: versioned steps in registry-pg.c, run at registry_open()
 *    under an advisory lock, recorded in schema_version.
 */
#ifndef FNHOST_REGISTRY_H
#define FNHOST_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/store.h"

struct config;
struct trust;
struct secrets;
struct sessions;

#define REGISTRY_POLL_MS 2000

struct registry;

struct registry_deps {
	const struct config *cfg;  /* postgres_dsn, max_bundle */
	struct store *store;	   /* the cache */
	struct trust *trust;	   /* reloaded when trusted keys change */
	struct secrets *secrets;   /* replicated secrets are put through it */
	struct sessions *sessions; /* a deleted version's ready session */
};

/* Connect, run the schema's missing steps, and replace the cache's
 * registry records with the database's (records it no longer has are
 * removed; local tokens it does not know are revoked); then make the
 * secrets shared through it (secrets_share()).  A database that cannot
 * be reached is -ERR_UNAVAILABLE: a host does not serve from a cache it
 * could not bring up to date. */
int registry_open(const struct registry_deps *deps, struct registry **out,
		  char *err, size_t errlen);
/* Start the replication thread. */
int registry_start(struct registry *r, char *err, size_t errlen);
/* Stop the thread, close the connections, free r; NULL is a no-op. */
void registry_close(struct registry *r);

/* Apply to the cache what changed since it was last caught up; the
 * writes call it themselves, a deploy's caller after deploy_commit()
 * (daemon/deploy.h). */
int registry_catch_up(struct registry *r, char *err, size_t errlen);

/* deploy_recorder's record() (ctx: the registry): the bundle's files go
 * into the database by checksum, and f gets its id and number there. */
int registry_deploy_record(void *ctx, struct store *s, struct store_function *f,
			   char *err, size_t errlen);

/* The writes, as the store's functions of the same name do them. */
int registry_version_delete(struct registry *r, const char *id, char *err,
			    size_t errlen);
int registry_alias_set(struct registry *r, const char *name, const char *alias,
		       int64_t number, struct store_alias *a, char *err,
		       size_t errlen);
int registry_alias_rollback(struct registry *r, const char *name,
			    const char *alias, struct store_alias *a, char *err,
			    size_t errlen);
int registry_alias_delete(struct registry *r, const char *name,
			  const char *alias, char *err, size_t errlen);
int registry_token_put(struct registry *r, const struct store_token *t,
		       char *err, size_t errlen);
int registry_token_revoke(struct registry *r, const char *jti, char *err,
			  size_t errlen);
int registry_trust_add(struct registry *r, const char *text, size_t len,
		       char keyid[17], char *err, size_t errlen);
int registry_trust_remove(struct registry *r, const char *keyid, char *err,
			  size_t errlen);
/* A secret's put, and the reseal after a change of the keys, go through
 * secrets_put() and secrets_reseal_all(), which registry_open() makes
 * shared (struct secrets_shared). */
int registry_secret_delete(struct registry *r, const char *name,
			   const char *key, char *err, size_t errlen);

#endif
