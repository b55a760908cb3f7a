/*
 * deploy.h: the deploy use case, one owner from the first byte to the
 * function record: stage the files of a bundle in the store's tmp/,
 * verify it against the trusted keys, install it into
 * bundles/<checksum> and write the function record.
 *
 * Contract:
 *  - Nothing of a refused or aborted deploy stays on disk: the staging
 *    dir is removed at the first refusal, and at deploy_abort() or
 *    deploy_commit() whatever happened.  (A bundle installed whose
 *    record then cannot be written, or whose plugin the probe refuses,
 *    stays unreferenced in bundles/ and is collected by the next
 *    store_open(), as store.h says.)
 *  - The first refusal is the one reported: once deploy_put() has
 *    refused, every later deploy_put() and deploy_commit() return that
 *    same kind and reason, and write nothing.
 *  - Kinds (base/err.h), besides ERR_IO and ERR_INTERNAL:
 *	ERR_BAD_BUNDLE	a bad file name, a file sent twice, a bundle that
 *			is malformed or does not match its MANIFEST, a
 *			plugin whose descriptor names another name or
 *			version than the signature (the reason names both)
 *	ERR_UNTRUSTED	well formed, signed by no key of keys[]
 *	ERR_TOO_LARGE	more than BUNDLE_MAX_FILES files besides MANIFEST
 *			and its signature, or more than max_bytes in all
 *	ERR_IO		no worker could load the plugin (the probe's kind)
 *  - A handle is used by one thread at a time (one HTTP request).
 */
#ifndef FNHOST_DEPLOY_H
#define FNHOST_DEPLOY_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/store.h"
#include "formats/minisign.h"

struct deploy;

/*
 * What the plugin of a bundle says it is: descriptor() loads the plugin
 * of f (a record not written yet: no id) from the installed bundle at
 * bundle_fd/bundle_path, as a session would, and gives its descriptor's
 * name and version (at most 100 bytes each); 0, or a negated kind with
 * a reason in err (ERR_REFUSED: the plugin does not load or init).
 */
struct deploy_probe {
	int (*descriptor)(void *ctx, const struct store_function *f,
			  int bundle_fd, const char *bundle_path,
			  char name[101], char version[101], char *err,
			  size_t errlen);
	void *ctx;
};

/*
 * Where a deploy's record goes instead of store_version_add(): a shared
 * registry (daemon/registry.h), which numbers the version for every host.
 * record() gets f, verified, installed and checked, without id or number,
 * and fills them (as store_version_add() would: an existing version of
 * the same checksum is that version), or returns a negated kind with a
 * reason.  It must not write the local store's "latest" or records
 * itself; the caller's registry catches up after the commit.
 */
struct deploy_recorder {
	int (*record)(void *ctx, struct store *s, struct store_function *f,
		      char *err, size_t errlen);
	void *ctx;
};

/* Record d's version through rec instead of the local store. */
void deploy_set_recorder(struct deploy *d, const struct deploy_recorder *rec);

/* A fresh, empty staging dir in the store's tmp/ for a bundle of at most
 * max_bytes (all its files together); *out is ended by deploy_commit()
 * or deploy_abort(). */
int deploy_begin(struct store *s, uint64_t max_bytes, struct deploy **out,
		 char *err, size_t errlen);

/*
 * One piece of one file: len bytes at offset.  A name other than the
 * last one, or offset 0, starts a new file (O_EXCL | O_NOFOLLOW, so a
 * name sent twice is refused); the name is checked with
 * bundle_name_check().  name may be NULL (a part without a file name:
 * refused).
 */
int deploy_put(struct deploy *d, const char *name, uint64_t offset,
	       const void *data, size_t len, char *err, size_t errlen);

/*
 * Verify the staged bundle with keys[0..nkeys-1], install it into
 * bundles/<checksum> (a bundle stored already is kept and this copy
 * dropped), check with probe (NULL: unchecked) that the plugin's
 * descriptor gives the name and version the signature does, so that a
 * name's versions are that plugin's and no other's, and add it as the
 * newest version of its name (store_version_add(): a bundle that is a
 * version of that name already is that version, and nothing is written
 * but "latest"), which *out gets.  The handle is consumed whatever the
 * result.
 *
 * A plugin that fails to load or init (the probe's -ERR_REFUSED) is
 * deployed unchecked, with a warning in the log: its sessions fail the
 * same way, and its signer could have signed the descriptor's name as
 * well; the check catches a publisher's mistake, it does not bound what
 * a trusted publisher may deploy.
 */
int deploy_commit(struct deploy *d, const struct minisign_pubkey *keys,
		  size_t nkeys, const struct deploy_probe *probe,
		  struct store_function *out, char *err, size_t errlen);

/* Remove everything staged and free d; NULL is a no-op. */
void deploy_abort(struct deploy *d);

#endif
