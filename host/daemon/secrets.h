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

struct secrets {
	struct store *store;
	struct hostkeys *keys;
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

/* Store sealed (len bytes, from the client) as name's key: it must open
 * with the current host key, or with the previous one, and is then
 * stored resealed to the current key.  -ERR_INVALID with the reason when
 * it opens with neither; the store's kinds otherwise. */
int secrets_put(struct secrets *sec, const char *name, const char *key,
		const void *sealed, size_t len, char *err, size_t errlen);

/* hostkeys_rotate() and then the reseal of every stored secret, as one
 * step that no put or worker's opening sees half done.  Returns 0, or
 * the rotation's negated kind (the keys are then as they were).  A
 * reseal that fails after a rotation is logged and finished at the next
 * start; *resealed counts the files rewritten. */
int secrets_rotate(struct secrets *sec, uint32_t keep_s, size_t *resealed,
		   char *err, size_t errlen);

/* hostkeys_reload() (SIGHUP), and when the keys changed, the reseal, as
 * one step like secrets_rotate(); *changed says whether they did.
 * Returns the reload's negated kind when it failed. */
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
 * atomically and only if unchanged since it was read; then, when every
 * secret opens with the current key, drop the previous key
 * (hostkeys_forget_old()), all under keys_lock, exclusive.  Run at
 * each start, so that a rotation cut short by a crash is finished
 * (secrets_rotate() and secrets_reload_keys() run it themselves).  A
 * secret that opens with neither key is left as it is and logged by
 * key.  *resealed counts the files rewritten.  Returns 0, or a negated kind with a reason in
 * err (what was resealed so far stays resealed). */
int secrets_reseal_all(struct secrets *sec, size_t *resealed, char *err,
		       size_t errlen);

/* Wipe and free what secrets_open_all() gave. */
void secrets_wipe(unsigned char *blob, size_t len);

#endif
