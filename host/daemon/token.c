/*
 * token.c: function tokens as HS256 JWTs, made and checked with libjwt.
 *
 * libjwt 1.10 verifies whatever algorithm the header names with the key
 * it is given (an HS512 token made with our secret passes its check), and
 * its claim getters do not report a claim of the wrong type.  So the
 * header is read here first and must say exactly {"alg":"HS256"} (typ
 * "JWT" allowed); the algorithm is checked again after jwt_decode(); and
 * the verified claims are read back as JSON and checked type by type.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <jwt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <pthread.h>

#include "base/b64.h"
#include "daemon/token.h"

#define TOKEN_MAX 4096
#define SECRET_LEN 32
#define TTL_MAX (3650LL * 86400) /* ten years */
#define SKEW_S 60		 /* iat may be this far ahead */
/* No token claims a time past the year 9999. */
#define TIME_MAX 253402300799LL

static int __attribute__((format(printf, 3, 4)))
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* ---- claim syntax -------------------------------------------------------- */

static bool
is_lower_hex(const char *s, size_t want)
{
	size_t i;

	for (i = 0; i < want; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return s[want] == '\0';
}

/* What sub may hold: a function id, 1 to 31 of [A-Za-z0-9], or a name
 * target "<name>@<alias>": the characters of labels and one '@', within
 * struct store_token's size (the store checks the exact form). */
static bool
valid_function_id(const char *s)
{
	size_t i, at = 0, punct = 0;

	for (i = 0; s[i] != '\0'; i++) {
		if (i >= sizeof(((struct store_token *)0)->function_id) - 1)
			return false;
		if (s[i] == '@' && i > 0 && at++ == 0)
			continue;
		if (i > 0 && strchr("._+-", s[i]) != NULL) {
			punct++;
			continue;
		}
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9')))
			return false;
	}
	/* Without an '@' it is an id: letters and digits only. */
	return i > 0 && s[i - 1] != '@' && (at == 1 || punct == 0);
}

/* ---- issue --------------------------------------------------------------- */

static int
make_jti(char out[33], char *err, size_t errlen)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[16];
	size_t i;

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return fail(err, errlen, "no random bytes for a token id");
	for (i = 0; i < sizeof(raw); i++) {
		out[2 * i] = hex[raw[i] >> 4];
		out[2 * i + 1] = hex[raw[i] & 15];
	}
	out[32] = '\0';
	return 0;
}

int
token_issue(const unsigned char secret[32], const char *function_id,
	    const char *checksum, int64_t now, int64_t ttl,
	    struct store_token *rec, char **jwt, char *err, size_t errlen)
{
	struct store_token t;
	jwt_t *j = NULL;
	char *s = NULL;
	bool pin = checksum != NULL && checksum[0] != '\0';
	int ret = -1;

	*jwt = NULL;
	if (function_id == NULL || !valid_function_id(function_id))
		return fail(err, errlen, "bad function id");
	if (pin && !is_lower_hex(checksum, 64))
		return fail(err, errlen,
			    "bad checksum pin (want 64 "
			    "lower-case hex characters)");
	if (now < 0 || now > TIME_MAX - TTL_MAX)
		return fail(err, errlen, "bad clock");
	if (ttl < 1 || ttl > TTL_MAX)
		return fail(err, errlen, "bad token ttl %lld (1 to %lld s)",
			    (long long)ttl, (long long)TTL_MAX);

	memset(&t, 0, sizeof(t));
	if (make_jti(t.jti, err, errlen) != 0)
		return -1;
	snprintf(t.function_id, sizeof(t.function_id), "%s", function_id);
	if (pin)
		snprintf(t.checksum, sizeof(t.checksum), "%s", checksum);
	t.iat = now;
	t.exp = now + ttl;

	if (jwt_new(&j) != 0 ||
	    jwt_set_alg(j, JWT_ALG_HS256, secret, SECRET_LEN) != 0 ||
	    jwt_add_grant(j, "sub", t.function_id) != 0 ||
	    (pin && jwt_add_grant(j, "fch", t.checksum) != 0) ||
	    jwt_add_grant_int(j, "iat", (long)t.iat) != 0 ||
	    jwt_add_grant_int(j, "exp", (long)t.exp) != 0 ||
	    jwt_add_grant(j, "jti", t.jti) != 0) {
		fail(err, errlen, "cannot build the token");
		goto out;
	}
	s = jwt_encode_str(j);
	if (s == NULL) {
		fail(err, errlen, "cannot sign the token");
		goto out;
	}
	/* Hand back memory from our own malloc(), whatever libjwt uses. */
	*jwt = strdup(s);
	if (*jwt == NULL) {
		fail(err, errlen, "out of memory");
		goto out;
	}
	*rec = t;
	ret = 0;
out:
	free(s);
	jwt_free(j);
	return ret;
}

/* ---- verify -------------------------------------------------------------- */

/* Parse len bytes as exactly one JSON object (strict, nothing after it).
 * Returns the object or NULL. */
static json_object *
parse_object(const char *s, size_t len)
{
	json_tokener *tok;
	json_object *o;

	if (len > INT32_MAX)
		return NULL;
	tok = json_tokener_new();
	if (tok == NULL)
		return NULL;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, s, (int)len);
	if (o != NULL && (json_tokener_get_error(tok) != json_tokener_success ||
			  json_tokener_get_parse_end(tok) != len ||
			  !json_object_is_type(o, json_type_object))) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

/* The token's shape: three base64url parts, none empty.  Fills the
 * lengths of the first two. */
static bool
split_token(const char *jwt, size_t len, size_t *hlen, size_t *plen)
{
	const char *dot1, *dot2;
	size_t i;

	for (i = 0; i < len; i++)
		if (!((jwt[i] >= 'a' && jwt[i] <= 'z') ||
		      (jwt[i] >= 'A' && jwt[i] <= 'Z') ||
		      (jwt[i] >= '0' && jwt[i] <= '9') || jwt[i] == '-' ||
		      jwt[i] == '_' || jwt[i] == '.'))
			return false;
	dot1 = memchr(jwt, '.', len);
	if (dot1 == NULL)
		return false;
	dot2 = memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - jwt));
	if (dot2 == NULL ||
	    memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - jwt)) != NULL)
		return false;
	*hlen = (size_t)(dot1 - jwt);
	*plen = (size_t)(dot2 - dot1 - 1);
	return *hlen > 0 && *plen > 0 && dot2 + 1 < jwt + len;
}

/* The header must be {"alg":"HS256"} with at most "typ":"JWT" beside:
 * nothing else (no "crit", no key hints) is honoured, so nothing else is
 * taken.  Returns NULL if good, else the reason. */
static const char *
check_header(const char *b64, size_t len)
{
	unsigned char raw[TOKEN_MAX];
	json_object *o, *v;
	const char *why = NULL;
	size_t n;
	int members;

	if (b64url_decode(raw, sizeof(raw), b64, len, &n) != 0)
		return "malformed token";
	o = parse_object((const char *)raw, n);
	if (o == NULL)
		return "malformed token header";
	members = json_object_object_length(o);
	if (!json_object_object_get_ex(o, "alg", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    strcmp(json_object_get_string(v), "HS256") != 0 ||
	    json_object_get_string_len(v) != 5)
		why = "token algorithm must be HS256";
	else if (json_object_object_get_ex(o, "typ", &v) &&
		 (!json_object_is_type(v, json_type_string) ||
		  strcmp(json_object_get_string(v), "JWT") != 0 ||
		  json_object_get_string_len(v) != 3))
		why = "token type must be JWT";
	else if (members != 1 + json_object_object_get_ex(o, "typ", NULL))
		why = "unexpected field in token header";
	json_object_put(o);
	return why;
}

/* The payload must be base64url of one JSON object; what it says is only
 * read after the signature is checked. */
static bool
payload_is_object(const char *b64, size_t len)
{
	unsigned char raw[TOKEN_MAX];
	json_object *o;
	size_t n;

	if (b64url_decode(raw, sizeof(raw), b64, len, &n) != 0)
		return false;
	o = parse_object((const char *)raw, n);
	json_object_put(o);
	return o != NULL;
}

/* The string claim name of o, or NULL when absent or not a string. */
static const char *
claim_string(json_object *o, const char *name, size_t *len)
{
	json_object *v;

	if (!json_object_object_get_ex(o, name, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	*len = (size_t)json_object_get_string_len(v);
	return json_object_get_string(v);
}

/* The integer claim name of o, in 1..TIME_MAX.  Returns 0 or -1. */
static int
claim_time(json_object *o, const char *name, int64_t *t)
{
	json_object *v;

	if (!json_object_object_get_ex(o, name, &v) ||
	    !json_object_is_type(v, json_type_int))
		return -1;
	errno = 0;
	*t = json_object_get_int64(v);
	if (errno != 0 || *t < 1 || *t > TIME_MAX)
		return -1;
	return 0;
}

/* Check the verified claims and copy them to t.  Returns NULL if good,
 * else the reason. */
static const char *
check_claims(json_object *o, struct store_token *t)
{
	const char *s;
	size_t n = 0;

	s = claim_string(o, "sub", &n);
	if (s == NULL || strlen(s) != n || !valid_function_id(s))
		return "bad or missing token claim 'sub'";
	snprintf(t->function_id, sizeof(t->function_id), "%s", s);

	s = claim_string(o, "jti", &n);
	if (s == NULL || n != 32 || !is_lower_hex(s, 32))
		return "bad or missing token claim 'jti'";
	snprintf(t->jti, sizeof(t->jti), "%s", s);

	if (json_object_object_get_ex(o, "fch", NULL)) {
		s = claim_string(o, "fch", &n);
		if (s == NULL || n != 64 || !is_lower_hex(s, 64))
			return "bad token claim 'fch'";
		snprintf(t->checksum, sizeof(t->checksum), "%s", s);
	}
	if (claim_time(o, "iat", &t->iat) != 0)
		return "bad or missing token claim 'iat'";
	if (claim_time(o, "exp", &t->exp) != 0)
		return "bad or missing token claim 'exp'";
	if (t->exp <= t->iat)
		return "token expires before it was issued";
	return NULL;
}

/* What is wrong with t's times at now, or NULL. */
static const char *
check_times(const struct store_token *t, int64_t now)
{
	if (t->exp <= now)
		return "token expired";
	if (t->iat > now + SKEW_S)
		return "token issued in the future";
	return NULL;
}

int
token_verify(const unsigned char secret[32], const char *jwt, int64_t now,
	     struct store_token *rec, char *err, size_t errlen)
{
	struct store_token t;
	json_object *claims = NULL;
	jwt_t *j = NULL;
	char *json = NULL;
	const char *why;
	size_t len, hlen, plen;
	int ret = -1;

	if (jwt == NULL || jwt[0] == '\0')
		return fail(err, errlen, "missing token");
	len = strnlen(jwt, TOKEN_MAX + 1);
	if (len > TOKEN_MAX)
		return fail(err, errlen, "token too long (over %d bytes)",
			    TOKEN_MAX);
	if (!split_token(jwt, len, &hlen, &plen))
		return fail(err, errlen, "malformed token");
	why = check_header(jwt, hlen);
	if (why != NULL)
		return fail(err, errlen, "%s", why);
	if (!payload_is_object(jwt + hlen + 1, plen))
		return fail(err, errlen, "malformed token claims");
	if (now < 0 || now > TIME_MAX)
		return fail(err, errlen, "bad clock");

	if (jwt_decode(&j, jwt, secret, SECRET_LEN) != 0) {
		j = NULL;
		fail(err, errlen, "bad token signature");
		goto out;
	}
	/* Again after libjwt, which would have honoured another one. */
	if (jwt_get_alg(j) != JWT_ALG_HS256) {
		fail(err, errlen, "token algorithm must be HS256");
		goto out;
	}
	json = jwt_get_grants_json(j, NULL);
	claims = json != NULL ? parse_object(json, strlen(json)) : NULL;
	if (claims == NULL) {
		fail(err, errlen, "malformed token claims");
		goto out;
	}
	memset(&t, 0, sizeof(t));
	why = check_claims(claims, &t);
	if (why == NULL)
		why = check_times(&t, now);
	if (why != NULL) {
		fail(err, errlen, "%s", why);
		goto out;
	}
	t.revoked = false;
	*rec = t;
	ret = 0;
out:
	json_object_put(claims);
	free(json);
	jwt_free(j);
	return ret;
}

/* ---- verified tokens, remembered ----------------------------------------- */

/* Direct-mapped by the first byte of the digest: a token evicts only the
 * one in its slot, and a client sending many tokens costs only misses. */
#define CACHE_SLOTS 64

struct cache_slot {
	bool used;
	unsigned char digest[32]; /* SHA-256 of the token's text */
	struct store_token claims;
};

struct token_cache {
	pthread_mutex_t lock; /* guards slot[] */
	unsigned char secret[SECRET_LEN];
	struct cache_slot slot[CACHE_SLOTS];
};

struct token_cache *
token_cache_new(const unsigned char secret[32])
{
	struct token_cache *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	pthread_mutex_init(&c->lock, NULL);
	memcpy(c->secret, secret, SECRET_LEN);
	return c;
}

void
token_cache_free(struct token_cache *c)
{
	if (c == NULL)
		return;
	pthread_mutex_destroy(&c->lock);
	OPENSSL_cleanse(c, sizeof(*c));
	free(c);
}

/* Fill *t from the slot of digest if it holds that token; true if so. */
static bool
cache_find(struct token_cache *c, const unsigned char digest[32],
	   struct store_token *t)
{
	struct cache_slot *sl = &c->slot[digest[0] % CACHE_SLOTS];
	bool hit;

	pthread_mutex_lock(&c->lock);
	hit = sl->used && CRYPTO_memcmp(sl->digest, digest, 32) == 0;
	if (hit)
		*t = sl->claims;
	pthread_mutex_unlock(&c->lock);
	return hit;
}

static void
cache_put(struct token_cache *c, const unsigned char digest[32],
	  const struct store_token *t)
{
	struct cache_slot *sl = &c->slot[digest[0] % CACHE_SLOTS];

	pthread_mutex_lock(&c->lock);
	sl->used = true;
	memcpy(sl->digest, digest, 32);
	sl->claims = *t;
	pthread_mutex_unlock(&c->lock);
}

int
token_cache_verify(struct token_cache *c, const char *jwt, int64_t now,
		   struct store_token *rec, char *err, size_t errlen)
{
	unsigned char digest[32];
	struct store_token t;
	const char *why;
	size_t len;

	if (jwt == NULL || now < 0 || now > TIME_MAX ||
	    (len = strnlen(jwt, TOKEN_MAX + 1)) > TOKEN_MAX ||
	    EVP_Digest(jwt, len, digest, NULL, EVP_sha256(), NULL) != 1)
		return token_verify(c->secret, jwt, now, rec, err, errlen);
	if (!cache_find(c, digest, &t)) {
		if (token_verify(c->secret, jwt, now, &t, err, errlen) < 0)
			return -1;
		cache_put(c, digest, &t);
	} else if ((why = check_times(&t, now)) != NULL) {
		return fail(err, errlen, "%s", why);
	}
	*rec = t;
	return 0;
}
