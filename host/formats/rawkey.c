/* rawkey.c: raw 32-byte key pairs through EVP (see rawkey.h). */
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "base/err.h"
#include "formats/rawkey.h"

int
rawkey_generate(const char *alg, const char *shown,
		unsigned char sk[RAWKEY_BYTES], unsigned char pk[RAWKEY_BYTES],
		char *err, size_t errlen)
{
	size_t sklen = RAWKEY_BYTES, pklen = RAWKEY_BYTES;
	EVP_PKEY *key;
	int rc = 0;

	key = EVP_PKEY_Q_keygen(NULL, NULL, alg);
	if (key == NULL || EVP_PKEY_get_raw_private_key(key, sk, &sklen) != 1 ||
	    EVP_PKEY_get_raw_public_key(key, pk, &pklen) != 1 ||
	    sklen != RAWKEY_BYTES || pklen != RAWKEY_BYTES) {
		OPENSSL_cleanse(sk, RAWKEY_BYTES);
		rc = err_set(err, errlen, ERR_INTERNAL,
			     "cannot generate an %s key: OpenSSL failed",
			     shown);
	}
	EVP_PKEY_free(key);
	return rc;
}

int
rawkey_public(const char *alg, const char *shown,
	      const unsigned char sk[RAWKEY_BYTES],
	      unsigned char pk[RAWKEY_BYTES], char *err, size_t errlen)
{
	size_t pklen = RAWKEY_BYTES;
	EVP_PKEY *key;
	int rc = 0;

	key = EVP_PKEY_new_raw_private_key_ex(NULL, alg, NULL, sk,
					      RAWKEY_BYTES);
	if (key == NULL || EVP_PKEY_get_raw_public_key(key, pk, &pklen) != 1 ||
	    pklen != RAWKEY_BYTES)
		rc = err_set(err, errlen, ERR_INVALID, "not an %s private key",
			     shown);
	EVP_PKEY_free(key);
	return rc;
}
