/*
 * host-keys.h: the host's public keys as a client needs them: the X25519
 * key that texts and invokes are encrypted to, and the Ed25519 key its
 * attestations are signed with.
 *
 * They come from -k KEYFILE (what `fnhost key -o json` printed, or the
 * encryption key alone as base64url), else from GET /v1/key.  Taking
 * them from the host itself trusts it on first use; a key file kept from
 * before pins them.
 */
#ifndef FNHOST_HOST_KEYS_H
#define FNHOST_HOST_KEYS_H

#include "formats/attest.h"
#include "formats/hpke.h"
#include "cli/remote.h"

/* have_att says whether the attestation key is known (a key file may hold
 * the encryption key alone). */
struct host_keys {
	unsigned char enc[HPKE_NPK];
	unsigned char att[ATTEST_PK_BYTES];
	int have_att;
};

/* The keys for x (its -k, else its client).  Returns 0, or -1 after
 * remote_fail(). */
int host_keys_get(struct remote *x, struct host_keys *k);

#endif
