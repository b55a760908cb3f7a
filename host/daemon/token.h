/*
 * token.h: function tokens, JWTs signed with HS256 (libjwt).
 *
 * Claims: sub = function id, or "<name>@<alias>" (the version the alias
 * points at when the token is used: it follows promotions), fch =
 * checksum pin (absent when none; never follows), exp,
 * iat, jti = 32 random hex characters.  Verification accepts HS256 only
 * (never "none" or another algorithm), checks the signature with the
 * host's secret, and refuses a token past exp or issued in the future
 * (beyond a 60 s skew).  Revocation is the caller's check against the
 * store (store_token_get).
 */
#ifndef FNHOST_TOKEN_H
#define FNHOST_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/store.h"

/* Make a token for function_id, pinned to checksum (NULL or "" for no
 * pin), valid for ttl seconds from now.  Fills rec (for the store) and
 * *jwt (malloc()ed, free it).  Returns 0, or -1 with a reason. */
int token_issue(const unsigned char secret[32], const char *function_id,
		const char *checksum, int64_t now, int64_t ttl,
		struct store_token *rec, char **jwt, char *err, size_t errlen);

/* Check jwt (at most 4096 bytes) and fill rec from its claims (revoked is
 * false).  Returns 0, or -1 with a reason fit for a 401 ("token expired",
 * "bad token signature", ...). */
int token_verify(const unsigned char secret[32], const char *jwt, int64_t now,
		 struct store_token *rec, char *err, size_t errlen);

/* Tokens that verified, remembered by the SHA-256 of their text, so that
 * a client sending the same token again (every request of a session
 * does) skips libjwt: its signature check and two JSON parses cost some
 * 25 us.  A remembered token's exp and iat are checked again at each use;
 * nothing that failed is remembered.  One cache holds one secret's
 * tokens; it is thread-safe. */
struct token_cache;
/* NULL when out of memory.  The cache keeps a copy of secret. */
struct token_cache *token_cache_new(const unsigned char secret[32]);
/* Wipes the copy of the secret. */
void token_cache_free(struct token_cache *c);
/* token_verify() with the cache's secret, the same in every outcome. */
int token_cache_verify(struct token_cache *c, const char *jwt, int64_t now,
		       struct store_token *rec, char *err, size_t errlen);

#endif
