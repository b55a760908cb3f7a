/*
 * hpke.h: Hybrid Public Key Encryption (RFC 9180), base mode, for the one
 * suite fnhost uses: DHKEM(X25519, HKDF-SHA256) (kem_id 0x0020),
 * HKDF-SHA256 (kdf_id 0x0001), ChaCha20-Poly1305 (aead_id 0x0003), built
 * from OpenSSL 3.0's X25519, HKDF and ChaCha20-Poly1305; and the two
 * envelopes fnhost puts on top of it:
 *
 *  - fnh2 text (`fnhost encrypt`): "fnh2:" + base64url without padding of
 *    enc[32] || ciphertext, single-shot HPKE with
 *    info = "fnhost encrypt v2" || 0x00 || checksum, where checksum is
 *    the function's (64 lower-case hex), empty aad, sequence number 0.
 *    Binding the function into info is what makes a text open only for
 *    the function it was made for.  The older "fnh1:" text (info "fnhost
 *    encrypt v1") named no function, so any function on the host could
 *    read it; it is recognised only to be refused with a message saying
 *    how to re-encrypt.
 *  - encrypted invokes (Content-Type: application/fnhost-hpke), the way
 *    Oblivious HTTP (RFC 9458, sections 4.3 and 4.4) encapsulates a
 *    request and its response, but with our own labels, because the
 *    payload is the raw input, and fnhostd's own short framing of the
 *    answer's status, headers and output (fnhostd(8)), not binary HTTP:
 *	request  = hdr || enc[32] || Seal(aad "", input), where
 *		   hdr = key_id[1] || kem_id[2] || kdf_id[2] || aead_id[2]
 *		   and info = "fnhost request" || 0x00 || hdr || checksum
 *		   (the function's, 64 lower-case hex: a request opens
 *		   only in a session of that function)
 *	response = nonce[32] || Seal'(aad "", answer), where Seal' keys are
 *		   secret = Export("fnhost response", 32),
 *		   prk = HKDF-Extract(salt enc || nonce, secret),
 *		   key = HKDF-Expand(prk, "key", 32),
 *		   iv  = HKDF-Expand(prk, "nonce", 12).
 *    RFC 9458 uses "message/bhttp request" and "message/bhttp response";
 *    a different label keeps our messages from ever being taken for (or
 *    confused with) real OHTTP ones.
 *
 * Every function returns 0, or a negated kind (base/err.h) with a
 * one-line reason in err (which may be NULL): -ERR_INVALID for anything
 * the caller or the peer passed (a key OpenSSL refuses, a size out of
 * bounds, a ciphertext that does not open, a used-up context) and
 * -ERR_INTERNAL when OpenSSL itself fails or memory runs out; no
 * function here returns another kind, and a callee's kind is passed on
 * as it is.  Keys are raw 32-byte strings (RFC 7748 encoding).
 * Contexts hold key material: give each an explicit lifetime and end it
 * with hpke_ctx_clear() (or hpke_ohttp_clear()), which wipes it.  Nothing
 * here keeps global state; every function is safe from any thread on
 * distinct contexts.
 */
#ifndef FNHOST_HPKE_H
#define FNHOST_HPKE_H

#include "base/err.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HPKE_KEM_ID 0x0020
#define HPKE_KDF_ID 0x0001
#define HPKE_AEAD_ID 0x0003

#define HPKE_NSK 32	/* private key */
#define HPKE_NPK 32	/* public key */
#define HPKE_NENC 32	/* encapsulated key */
#define HPKE_NSECRET 32 /* KEM shared secret */
#define HPKE_NH 32	/* HKDF-SHA256 output */
#define HPKE_NK 32	/* ChaCha20-Poly1305 key */
#define HPKE_NN 12	/* ChaCha20-Poly1305 nonce */
#define HPKE_NT 16	/* ChaCha20-Poly1305 tag */
/* mode || psk_id_hash || info_hash */
#define HPKE_KS_CONTEXT_LEN (1 + 2 * HPKE_NH)

/* Bounds on what callers may pass: the RFC asks for at least 64 bytes of
 * info and exporter context; a plaintext or ciphertext is bounded so its
 * length always fits OpenSSL's int. */
#define HPKE_INFO_MAX 1024
#define HPKE_EXPORT_CONTEXT_MAX 512
#define HPKE_EXPORT_MAX (255 * HPKE_NH)
#define HPKE_MSG_MAX ((size_t)1 << 30)

struct hpke_ctx {
	unsigned char key[HPKE_NK];
	unsigned char base_nonce[HPKE_NN];
	unsigned char exporter_secret[HPKE_NH];
	uint64_t seq; /* next sequence number; UINT64_MAX is spent */
	bool ready;   /* set by a setup, cleared by hpke_ctx_clear */
};

/* ---- keys ---------------------------------------------------------------- */

/* A fresh X25519 key pair from OpenSSL's generator. */
int hpke_keygen(unsigned char sk[HPKE_NSK], unsigned char pk[HPKE_NPK],
		char *err, size_t errlen);
/* pk(sk). */
int hpke_public_key(const unsigned char sk[HPKE_NSK],
		    unsigned char pk[HPKE_NPK], char *err, size_t errlen);
/* DeriveKeyPair(ikm) (RFC 9180 section 7.1.3); ikm at least 32 bytes and
 * at most HPKE_INFO_MAX. */
int hpke_derive_keypair(const void *ikm, size_t ikmlen,
			unsigned char sk[HPKE_NSK], unsigned char pk[HPKE_NPK],
			char *err, size_t errlen);

/* ---- the KEM and the key schedule (exposed for known-answer tests) ------- */

/* Encap(pkR): with skE NULL a fresh ephemeral key, else skE (tests only:
 * a fixed ephemeral breaks HPKE's security).  Refuses a pkR that gives an
 * all-zero Diffie-Hellman value. */
int hpke_encap(const unsigned char pkR[HPKE_NPK], const unsigned char *skE,
	       unsigned char enc[HPKE_NENC],
	       unsigned char shared_secret[HPKE_NSECRET], char *err,
	       size_t errlen);
/* Decap(enc, skR). */
int hpke_decap(const unsigned char enc[HPKE_NENC],
	       const unsigned char skR[HPKE_NSK],
	       unsigned char shared_secret[HPKE_NSECRET], char *err,
	       size_t errlen);
/* KeySchedule(mode_base, shared_secret, info, "", "") into ctx (sequence
 * number 0).  ks_context and secret, when not NULL, receive the
 * intermediate key_schedule_context and secret (tests). */
int hpke_key_schedule(struct hpke_ctx *ctx,
		      const unsigned char shared_secret[HPKE_NSECRET],
		      const void *info, size_t infolen,
		      unsigned char *ks_context, unsigned char *secret,
		      char *err, size_t errlen);

/* ---- contexts ------------------------------------------------------------ */

/* SetupBaseS(pkR, info): ctx for sealing, enc for the recipient; skE as
 * for hpke_encap(). */
int hpke_setup_base_s(struct hpke_ctx *ctx, unsigned char enc[HPKE_NENC],
		      const unsigned char pkR[HPKE_NPK], const void *info,
		      size_t infolen, const unsigned char *skE, char *err,
		      size_t errlen);
/* SetupBaseR(enc, skR, info): ctx for opening. */
int hpke_setup_base_r(struct hpke_ctx *ctx, const unsigned char enc[HPKE_NENC],
		      const unsigned char skR[HPKE_NSK], const void *info,
		      size_t infolen, char *err, size_t errlen);

/* Seal ptlen bytes into ct (ptlen + HPKE_NT bytes; may not overlap pt)
 * with the nonce of ctx->seq, then count the sequence number up.  Refuses
 * once the sequence number is spent, and leaves it unchanged on error. */
int hpke_seal(struct hpke_ctx *ctx, const void *aad, size_t aadlen,
	      const void *pt, size_t ptlen, unsigned char *ct, char *err,
	      size_t errlen);
/* Open ctlen bytes (at least HPKE_NT) into pt (ctlen - HPKE_NT bytes);
 * counts the sequence number up only on success, and on failure leaves
 * pt zeroed. */
int hpke_open(struct hpke_ctx *ctx, const void *aad, size_t aadlen,
	      const void *ct, size_t ctlen, unsigned char *pt, char *err,
	      size_t errlen);
/* Export(exporter_context, L) into out (L bytes, 1..HPKE_EXPORT_MAX). */
int hpke_export(const struct hpke_ctx *ctx, const void *exctx, size_t exctxlen,
		unsigned char *out, size_t L, char *err, size_t errlen);
/* Wipe ctx; it is unusable until the next setup. */
void hpke_ctx_clear(struct hpke_ctx *ctx);

/* Wipe len bytes at p and free(p); for the plaintexts returned below. */
void hpke_free(void *p, size_t len);

/* ---- fnh2 text ----------------------------------------------------------- */

#define HPKE_TEXT_PREFIX "fnh2:"
#define HPKE_TEXT_V1_PREFIX "fnh1:"
#define HPKE_TEXT_INFO "fnhost encrypt v2"
#define HPKE_CHECKSUM_LEN 64 /* a function's checksum, lower-case hex */

/* Whether checksum is 64 lower-case hex digits (and NUL-terminated). */
bool hpke_checksum_ok(const char *checksum);
/* Whether buf starts with "fnh2:" or "fnh1:": such an input is meant to
 * be decrypted, and one that fails to is an error, not a plaintext. */
bool hpke_is_text(const void *buf, size_t len);
/* Encrypt ptlen bytes (at most HPKE_MSG_MAX) to pk for the function whose
 * checksum is given, as a NUL-terminated fnh2 text in *text (malloc()ed;
 * free()), its length in *textlen.  skE as for hpke_encap() (NULL: a
 * fresh ephemeral key; a fixed one is for known-answer tests only). */
int hpke_encrypt_text(const unsigned char pk[HPKE_NPK], const char *checksum,
		      const unsigned char *skE, const void *pt, size_t ptlen,
		      char **text, size_t *textlen, char *err, size_t errlen);
/* Decrypt an fnh2 text of textlen bytes (exactly the text: no whitespace
 * around it) made for the function checksum with sk into *pt (malloc()ed,
 * with a NUL after the ptlen bytes; release with hpke_free(*pt, *ptlen)).
 * All errors are ERR_INVALID: "not an fnh2: text", the fnh1 refusal
 * (which names `fnhost encrypt -f ID` / `-c CHECKSUM`), "bad base64url",
 * "too short" and "not made for function CHECKSUM on this host, or
 * altered". */
int hpke_decrypt_text(const unsigned char sk[HPKE_NSK], const char *checksum,
		      const char *text, size_t textlen, unsigned char **pt,
		      size_t *ptlen, char *err, size_t errlen);

/* ---- secrets sealed to the host (`fnhost secret set`) -------------------- */

/*
 * A secret is sealed on the client to the host's key for one function
 * name and one key: enc[32] || ciphertext, single-shot HPKE with
 * info = "fnhost secret v1" || 0x00 || name || 0x00 || key, empty aad,
 * sequence number 0.  Binding both into info is what keeps a sealed text
 * from being replayed under another function's name or another key.
 * name and key are not checked here beyond their lengths (the store
 * owns their syntax); together they are at most HPKE_INFO_MAX bytes.
 */
#define HPKE_SECRET_INFO "fnhost secret v1"
#define HPKE_SECRET_MAX 4096 /* bytes of one secret's value */
#define HPKE_SECRET_SEALED_MAX (HPKE_NENC + HPKE_SECRET_MAX + HPKE_NT)

/* Seal ptlen bytes (at most HPKE_SECRET_MAX) into *sealed (malloc()ed,
 * free()), *sealedlen = HPKE_NENC + ptlen + HPKE_NT.  skE as for
 * hpke_encap(). */
int hpke_seal_secret(const unsigned char pk[HPKE_NPK], const char *name,
		     const char *key, const unsigned char *skE, const void *pt,
		     size_t ptlen, unsigned char **sealed, size_t *sealedlen,
		     char *err, size_t errlen);
/* Open a sealed secret made for name and key with sk into *pt
 * (malloc()ed, a NUL after the *ptlen bytes; release with hpke_free()).
 * -ERR_INVALID "not sealed for NAME KEY on this host, or altered" when it
 * does not open, "too short" / "too long" for sizes out of bounds. */
int hpke_open_secret(const unsigned char sk[HPKE_NSK], const char *name,
		     const char *key, const void *sealed, size_t sealedlen,
		     unsigned char **pt, size_t *ptlen, char *err,
		     size_t errlen);

/* ---- encrypted invokes (application/fnhost-hpke) ------------------------- */

#define HPKE_OHTTP_HDR_LEN 7
#define HPKE_OHTTP_REQ_LABEL "fnhost request"
#define HPKE_OHTTP_RESP_LABEL "fnhost response"
#define HPKE_OHTTP_RESP_NONCE 32 /* max(Nn, Nk) */
/* Smallest request and response: no payload bytes at all. */
#define HPKE_OHTTP_REQ_MIN (HPKE_OHTTP_HDR_LEN + HPKE_NENC + HPKE_NT)
#define HPKE_OHTTP_RESP_MIN (HPKE_OHTTP_RESP_NONCE + HPKE_NT)

/* What one exchange keeps between its request and its response: on the
 * server from hpke_ohttp_open_request() to hpke_ohttp_seal_response(), on
 * the client from hpke_ohttp_seal_request() to hpke_ohttp_open_response().
 * Each state answers one response, then is spent; hpke_ohttp_clear()
 * wipes it (also when the exchange is abandoned). */
struct hpke_ohttp {
	unsigned char enc[HPKE_NENC];
	unsigned char secret[HPKE_NK]; /* Export("fnhost response", Nk) */
	bool ready;
};

/* Client: encapsulate len bytes of input for the host key pk whose key id
 * is key_id, to the function whose checksum is given; *req (malloc()ed;
 * free()) is the body to send. */
int hpke_ohttp_seal_request(struct hpke_ohttp *st, uint8_t key_id,
			    const unsigned char pk[HPKE_NPK],
			    const char *checksum, const void *in, size_t len,
			    unsigned char **req, size_t *reqlen, char *err,
			    size_t errlen);
/* Server: check the header (key id key_id, this suite), decapsulate with
 * sk, open as a request to the function checksum; *in is the input
 * (release with hpke_free()).  Errors name what was wrong: "request too
 * short", "unknown key id N", "unsupported HPKE suite ...", "cannot
 * decrypt request: ..." (which says when it may be another function's). */
int hpke_ohttp_open_request(struct hpke_ohttp *st, uint8_t key_id,
			    const unsigned char sk[HPKE_NSK],
			    const char *checksum, const void *req,
			    size_t reqlen, unsigned char **in, size_t *inlen,
			    char *err, size_t errlen);
/* Server: encapsulate len bytes of output as the response to st's
 * request; *resp (malloc()ed; free()) is the body.  st is then spent. */
int hpke_ohttp_seal_response(struct hpke_ohttp *st, const void *out, size_t len,
			     unsigned char **resp, size_t *resplen, char *err,
			     size_t errlen);
/* Client: open the response to st's request into *out (release with
 * hpke_free()).  st is then spent. */
int hpke_ohttp_open_response(struct hpke_ohttp *st, const void *resp,
			     size_t resplen, unsigned char **out,
			     size_t *outlen, char *err, size_t errlen);
void hpke_ohttp_clear(struct hpke_ohttp *st);

#endif
