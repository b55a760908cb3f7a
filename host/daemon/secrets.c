/* secrets.c: a function's secrets for its worker (see secrets.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "base/err.h"
#include "daemon/log.h"
#include "daemon/secrets.h"
#include "sandbox/channel.h"

/* Append one entry to *blob: the frame's layout is in channel.h. */
static int
pack(unsigned char **blob, size_t *len, const char *key, const void *val,
     size_t vlen)
{
	uint32_t kl = (uint32_t)strlen(key), vl = (uint32_t)vlen;
	size_t need = *len + 2 * sizeof(uint32_t) + kl + vl;
	unsigned char *b;

	/* Grow by hand: realloc() would leave an unwiped copy behind. */
	b = malloc(need);
	if (!b)
		return -1;
	if (*blob) {
		memcpy(b, *blob, *len);
		secrets_wipe(*blob, *len);
	}
	memcpy(b + *len, &kl, sizeof(kl));
	memcpy(b + *len + sizeof(kl), &vl, sizeof(vl));
	memcpy(b + *len + 2 * sizeof(kl), key, kl);
	memcpy(b + *len + 2 * sizeof(kl) + kl, val, vl);
	*blob = b;
	*len = need;
	return 0;
}

int
secrets_open_all(const struct secrets *sec, const char *name,
		 unsigned char **blob, size_t *len, char *err, size_t errlen)
{
	struct store_secret_key *keys = NULL;
	unsigned char *sealed, *pt;
	size_t i, n = 0, slen, ptlen;
	char e2[256];
	int rc;

	*blob = NULL;
	*len = 0;
	if (!sec || !sec->store)
		return 0;
	rc = store_secret_list(sec->store, name, &keys, &n, err, errlen);
	for (i = 0; rc == 0 && i < n; i++) {
		rc = store_secret_get(sec->store, name, keys[i].key, &sealed,
				      &slen, err, errlen);
		if (rc == -ERR_NOT_FOUND) {
			rc = 0; /* deleted since the listing */
			continue;
		}
		if (rc < 0)
			break;
		if (hostkeys_open_secret(sec->keys, name, keys[i].key, sealed,
					 slen, &pt, &ptlen, e2,
					 sizeof(e2)) < 0) {
			log_msg(LOG_LEVEL_WARN,
				"event=secret_unopenable function=%s key=%s "
				"msg=\"%s; set it again\"",
				name, keys[i].key, e2);
			free(sealed);
			continue;
		}
		free(sealed);
		if (pack(blob, len, keys[i].key, pt, ptlen) < 0)
			rc = err_set(err, errlen, ERR_INTERNAL,
				     "out of memory");
		hpke_free(pt, ptlen);
	}
	free(keys);
	if (rc < 0) {
		secrets_wipe(*blob, *len);
		*blob = NULL;
		*len = 0;
	}
	return rc;
}

void
secrets_wipe(unsigned char *blob, size_t len)
{
	if (!blob)
		return;
	OPENSSL_cleanse(blob, len);
	free(blob);
}
