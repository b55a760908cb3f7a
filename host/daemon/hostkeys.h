/*
 * hostkeys.h: the host's own keys, as fnhostd holds them.
 *
 * Inputs are encrypted to an X25519 key (HPKE, hpke.h) and results are
 * signed with an Ed25519 key (attest.h).  Both are made on the first load
 * and kept under DATADIR/keys, 0600, as raw bytes:
 *
 *	encrypt.key	the current encryption key (32 bytes)
 *	encrypt.old	the previous one after a rotation (32 bytes) and the
 *			Unix time until which it still decrypts (8 bytes,
 *			big-endian)
 *	attest.key	the attestation key's seed (32 bytes)
 *
 * Encrypted invokes carry key id 0 whichever key they were made for; the
 * host tries the current key, then the previous one while it is honoured.
 * Every call is thread-safe (a rotation swaps the keys under a lock) and
 * returns 0, or -1 with a one-line reason in err.
 */
#ifndef FNHOST_HOSTKEYS_H
#define FNHOST_HOSTKEYS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "formats/attest.h"
#include "formats/hpke.h"
#include "daemon/store.h"

#define HOSTKEYS_KEY_ID 0 /* of every encrypted invoke */

struct hostkeys {
	pthread_rwlock_t lock;
	unsigned char enc_sk[HPKE_NSK], enc_pk[HPKE_NPK];
	unsigned char old_sk[HPKE_NSK];
	int64_t old_until; /* Unix seconds; 0: clients' texts not opened */
	bool old_held;	   /* old_sk is a key, if only for the secrets */
	unsigned char att_sk[ATTEST_SK_BYTES], att_pk[ATTEST_PK_BYTES];
	struct attest_signer *signer; /* att_sk's; replaced by a reload */
};

/* Read the keys from s, making those that are missing. */
int hostkeys_load(struct hostkeys *k, struct store *s, char *err,
		  size_t errlen);
/* Read the keys again from s, after the operator replaced the files (a
 * cluster's hosts share one key set, fnhostd(8) SIGHUP): all of them or,
 * when one is missing or malformed, none (k unchanged, the reason in
 * err).  *changed says whether any key differs from what k held. */
int hostkeys_reload(struct hostkeys *k, struct store *s, bool *changed,
		    char *err, size_t errlen);
/* Wipe the keys. */
void hostkeys_clear(struct hostkeys *k);

/* The public halves, and the previous key's deadline (0: none). */
void hostkeys_public(struct hostkeys *k, unsigned char enc_pk[HPKE_NPK],
		     unsigned char att_pk[ATTEST_PK_BYTES], int64_t *old_until);

/* Make a new encryption key; the current one decrypts clients' texts on
 * until now + keep_s (0: not at all), replacing any previous one.  It is
 * kept as encrypt.old even for keep_s 0, until hostkeys_forget_old():
 * the stored secrets are sealed to it until they are resealed. */
int hostkeys_rotate(struct hostkeys *k, struct store *s, uint32_t keep_s,
		    char *err, size_t errlen);

/* A sealed secret of function name and key, as the current key should
 * hold it: 0 and *out NULL when it opens with the current key already; 0
 * and *out (malloc()ed, *outlen bytes; free()) sealed to the current key
 * when it opens with the previous one, whatever its deadline (that is
 * for clients' texts, this is the host's own store); a negated kind when
 * it opens with neither. */
int hostkeys_reseal_secret(struct hostkeys *k, const char *name,
			   const char *key, const void *sealed, size_t len,
			   unsigned char **out, size_t *outlen, char *err,
			   size_t errlen);

/* Whether k holds a previous key (hostkeys_rotate() made one that
 * hostkeys_forget_old() has not dropped): else there is nothing to
 * reseal. */
bool hostkeys_hold_old(struct hostkeys *k);

/* Drop the previous key, from k and from s, unless clients' texts are
 * still opened with it: for once every stored secret is sealed to the
 * current key. */
int hostkeys_forget_old(struct hostkeys *k, struct store *s, char *err,
			size_t errlen);

/* Open an fnh2 text (hpke_decrypt_text()) or an encrypted invoke's request
 * (hpke_ohttp_open_request(); st then answers it) made for the function
 * checksum, with the current key, else the previous one before its
 * deadline. */
int hostkeys_decrypt_text(struct hostkeys *k, const char *checksum,
			  const char *text, size_t len, unsigned char **pt,
			  size_t *ptlen, char *err, size_t errlen);
int hostkeys_open_request(struct hostkeys *k, struct hpke_ohttp *st,
			  const char *checksum, const void *req, size_t len,
			  unsigned char **in, size_t *inlen, char *err,
			  size_t errlen);

/* Open a secret sealed for function name and key (hpke_open_secret()),
 * with the current key, else the previous one while it is held. */
int hostkeys_open_secret(struct hostkeys *k, const char *name, const char *key,
			 const void *sealed, size_t len, unsigned char **pt,
			 size_t *ptlen, char *err, size_t errlen);

/* The Fnhost-Attestation text over the three hex digests. */
int hostkeys_attest(struct hostkeys *k, const char *function_hex,
		    const char *input_hex, const char *output_hex,
		    char b64[ATTEST_SIG_B64_LEN + 1], char *err, size_t errlen);

#endif
