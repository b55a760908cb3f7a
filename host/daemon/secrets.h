/*
 * secrets.h: a function's secrets, opened for its worker and nothing else.
 *
 * The store keeps each secret sealed to the host's key for one function
 * name and one key (store.h, formats/hpke.h).  secrets_open_all() opens
 * every secret of a name at the moment a worker of that name is made,
 * and packs them as the CHAN_SECRETS frame carries them (channel.h); the
 * caller hands the frame to that worker alone and wipes it.  No other
 * path of the daemon opens a secret: the API only checks, at a put, that
 * the sealed text opens here (and wipes what it opened).
 */
#ifndef FNHOST_SECRETS_H
#define FNHOST_SECRETS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/hostkeys.h"
#include "daemon/store.h"

/*
 * The registry's part when several hosts share the secrets (store =
 * postgres, registry.h), of which store is then this host's cache:
 *  - put() writes a sealed text as name's key into the registry and
 *    returns without bringing the cache up to date;
 *  - catch_up() then does that (read-your-writes), called outside
 *    keys_lock, since the registry puts what changed into the cache with
 *    secrets_cache_put();
 *  - reseal() is secrets_reseal_all()'s pass over the registry's copies:
 *    each sealed to k's previous key is replaced there by one sealed to
 *    the current key, and the cache is given the registry's text of
 *    each that opens with k; *resealed counts the copies replaced.  It
 *    runs under keys_lock, exclusive, so it must not catch up.
 * put() and reseal() return 0 or a negated kind with a reason.
 */
struct secrets_shared {
	int (*put)(void *ctx, const char *name, const char *key,
		   const void *sealed, size_t len, char *err, size_t errlen);
	void (*catch_up)(void *ctx);
	int (*reseal)(void *ctx, struct hostkeys *k, struct store *cache,
		      size_t *resealed, char *err, size_t errlen);
	void *ctx;
};

struct secrets {
	struct store *store;
	struct hostkeys *keys;
	struct secrets_shared shared; /* all NULL: the store alone */
	/* Shared by a put from its check of the sealed text against the
	 * keys to its write, and by secrets_open_all(); exclusive for a
	 * change of the keys and the reseal after it.  So no put stores a
	 * text sealed to a key that a rotation is dropping, which the
	 * rotation's reseal would miss and nothing could open again. */
	pthread_rwlock_t keys_lock;
};

/* Bind sec to store s and keys k; -ERR_INTERNAL when the lock can not be
 * made.  secrets_fini() undoes it. */
int secrets_init(struct secrets *sec, struct store *s, struct hostkeys *k,
		 char *err, size_t errlen);
void secrets_fini(struct secrets *sec);

/* From now on, put and reseal through sh (copied) as well: see struct
 * secrets_shared.  Called once, before the host serves. */
void secrets_share(struct secrets *sec, const struct secrets_shared *sh);

/* Store sealed (len bytes, from the client) as name's key: it must open
 * with the current host key, or with the previous one, and is then
 * stored resealed to the current key, in the registry when the secrets
 * are shared (and then in the cache from it), else in the store.
 * -ERR_INVALID with the reason when it opens with neither; the store's
 * or the registry's kinds otherwise. */
int secrets_put(struct secrets *sec, const char *name, const char *key,
		const void *sealed, size_t len, char *err, size_t errlen);

/* secrets_put() into the store alone, whether or not the secrets are
 * shared: how the registry puts what it holds into its cache. */
int secrets_cache_put(struct secrets *sec, const char *name, const char *key,
		      const void *sealed, size_t len, char *err, size_t errlen);

/* hostkeys_rotate() and then the reseal of every stored secret, as one
 * step that no put or worker's opening sees half done.  Returns 0, or
 * the rotation's negated kind (the keys are then as they were).  A
 * reseal that fails after a rotation is logged and finished at the next
 * start; *resealed counts the files rewritten. */
int secrets_rotate(struct secrets *sec, uint32_t keep_s, size_t *resealed,
		   char *err, size_t errlen);

/* hostkeys_reload() (SIGHUP), and when the keys changed, the reseal, as
 * one step like secrets_rotate(); *changed says whether they did.  When
 * the secrets are shared, the reseal's pass then runs even with no
 * previous key held: a host given its keys after the registry's copies
 * were resealed takes those copies into its cache.  Returns the
 * reload's negated kind when it failed. */
int secrets_reload_keys(struct secrets *sec, bool *changed, size_t *resealed,
			char *err, size_t errlen);

/* The secrets of function name, opened and packed into *blob
 * (malloc()ed, *len bytes; NULL and 0 when there are none; release with
 * secrets_wipe()).  A secret that no longer opens (sealed to a key
 * rotated out since) is left out and logged by key, never by value.
 * Returns 0, or a negated kind with a reason in err when the store can
 * not be read. */
int secrets_open_all(struct secrets *sec, const char *name,
		     unsigned char **blob, size_t *len, char *err,
		     size_t errlen);

/* Reseal every stored secret that is sealed to the previous host key
 * to the current one (hostkeys_reseal_secret()), each file replaced
 * atomically and only if unchanged since it was read, or when the
 * secrets are shared, each of the registry's copies (struct
 * secrets_shared); then drop the previous key (hostkeys_forget_old()),
 * all under keys_lock, exclusive.  Nothing to do when no previous key
 * is held.  Run at each start, so that a rotation cut short by a crash
 * is finished (secrets_rotate() and secrets_reload_keys() run it
 * themselves).  A secret that opens with neither key is left as it is
 * and logged by key.  *resealed counts the texts rewritten.  Returns 0,
 * or a negated kind with a reason in err (what was resealed so far
 * stays resealed, and the previous key is kept). */
int secrets_reseal_all(struct secrets *sec, size_t *resealed, char *err,
		       size_t errlen);

/* Wipe and free what secrets_open_all() gave. */
void secrets_wipe(unsigned char *blob, size_t len);

#endif
