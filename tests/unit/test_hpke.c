/*
 * test_hpke.c: HPKE (RFC 9180) against every known answer of Appendix
 * A.2.1 (tests/kat/hpke/rfc9180-a2-1.txt), the sequence-number limit,
 * the fnh1 text and the encrypted-invoke envelopes, round trips and
 * refusals.  Run from the top of the source tree.
 *
 * With arguments it is instead the C side of tests/e2e/hpke-interop.t,
 * printing to stdout and exiting 0, or 1 with the reason on stderr:
 *   test_hpke --interop-keygen                 "SKHEX PKHEX"
 *   test_hpke --interop-encrypt PKHEX MSG      the fnh1 text of MSG
 *   test_hpke --interop-decrypt SKHEX TEXT     the plaintext of TEXT
 *   test_hpke --interop-ohttp-request KEYID PKHEX MSG REQFILE STATEFILE
 *       writes the encapsulated request to REQFILE and the client's
 *       state (test-only: enc || response secret) to STATEFILE
 *   test_hpke --interop-ohttp-serve KEYID SKHEX REQFILE RESPFILE OUTMSG
 *       opens REQFILE, prints its input, writes OUTMSG sealed as the
 *       response to RESPFILE
 *   test_hpke --interop-ohttp-response STATEFILE RESPFILE
 *       prints the output of the response that STATEFILE's request got
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/crypto.h>

#include "base/b64.h"
#include "formats/hpke.h"

#define KAT_FILE "tests/kat/hpke/rfc9180-a2-1.txt"
#define HEX_MAX 256 /* longest value in the KAT file, in bytes */
#define KAT_ITEMS 16

struct bytes {
	unsigned char b[HEX_MAX];
	size_t n;
};

struct kat_enc {
	unsigned long seq;
	struct bytes pt, aad, nonce, ct;
};

struct kat_exp {
	struct bytes ctx, value;
	unsigned long L;
};

struct kat {
	struct bytes info, ikmE, pkEm, skEm, ikmR, pkRm, skRm, enc, ss, ksc,
		secret, key, base_nonce, exporter_secret;
	unsigned long mode, kem_id, kdf_id, aead_id;
	struct kat_enc encs[KAT_ITEMS];
	struct kat_exp exps[KAT_ITEMS];
	size_t nencs, nexps;
};

/* Decode hex (NUL-terminated) into out; -1 if malformed or too long. */
static int
unhex(const char *hex, struct bytes *out)
{
	size_t len = strlen(hex), i;
	unsigned int v;

	if (len % 2 != 0 || len / 2 > HEX_MAX)
		return -1;
	for (i = 0; i < len / 2; i++) {
		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return -1;
		out->b[i] = (unsigned char)v;
	}
	out->n = len / 2;
	return 0;
}

static void
hex_of(const unsigned char *b, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
	out[2 * n] = '\0';
}

/* The bytes field of the KAT that name sets, or NULL. */
static struct bytes *
kat_field(struct kat *k, const char *name)
{
	static const struct {
		const char *name;
		size_t off;
	} f[] = {
		{ "info", offsetof(struct kat, info) },
		{ "ikmE", offsetof(struct kat, ikmE) },
		{ "pkEm", offsetof(struct kat, pkEm) },
		{ "skEm", offsetof(struct kat, skEm) },
		{ "ikmR", offsetof(struct kat, ikmR) },
		{ "pkRm", offsetof(struct kat, pkRm) },
		{ "skRm", offsetof(struct kat, skRm) },
		{ "enc", offsetof(struct kat, enc) },
		{ "shared_secret", offsetof(struct kat, ss) },
		{ "key_schedule_context", offsetof(struct kat, ksc) },
		{ "secret", offsetof(struct kat, secret) },
		{ "key", offsetof(struct kat, key) },
		{ "base_nonce", offsetof(struct kat, base_nonce) },
		{ "exporter_secret", offsetof(struct kat, exporter_secret) },
	};
	size_t i;

	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (strcmp(f[i].name, name) == 0)
			return (struct bytes *)((char *)k + f[i].off);
	return NULL;
}

/* Apply one "name: value" line of the KAT file to k. */
static void
kat_line(struct kat *k, const char *name, const char *v, int lineno)
{
	struct kat_enc *e = k->nencs ? &k->encs[k->nencs - 1] : NULL;
	struct kat_exp *x = k->nexps ? &k->exps[k->nexps - 1] : NULL;
	struct bytes *b = NULL;
	unsigned long *u = NULL;

	if (strcmp(name, "sequence number") == 0) {
		assert_true(k->nencs < KAT_ITEMS);
		e = &k->encs[k->nencs++];
		u = &e->seq;
	} else if (strcmp(name, "exporter_context") == 0) {
		assert_true(k->nexps < KAT_ITEMS);
		b = &k->exps[k->nexps++].ctx;
	} else if (strcmp(name, "mode") == 0) {
		u = &k->mode;
	} else if (strcmp(name, "kem_id") == 0) {
		u = &k->kem_id;
	} else if (strcmp(name, "kdf_id") == 0) {
		u = &k->kdf_id;
	} else if (strcmp(name, "aead_id") == 0) {
		u = &k->aead_id;
	} else if (e != NULL && k->nexps == 0 && strcmp(name, "pt") == 0) {
		b = &e->pt;
	} else if (e != NULL && k->nexps == 0 && strcmp(name, "aad") == 0) {
		b = &e->aad;
	} else if (e != NULL && k->nexps == 0 && strcmp(name, "nonce") == 0) {
		b = &e->nonce;
	} else if (e != NULL && k->nexps == 0 && strcmp(name, "ct") == 0) {
		b = &e->ct;
	} else if (x != NULL && strcmp(name, "L") == 0) {
		u = &x->L;
	} else if (x != NULL && strcmp(name, "exported_value") == 0) {
		b = &x->value;
	} else if (k->nencs == 0) {
		b = kat_field(k, name);
	}
	if (u != NULL) {
		char *end;

		*u = strtoul(v, &end, 10);
		if (*v == '\0' || *end != '\0')
			fail_msg(KAT_FILE ":%d: '%s' is not a number", lineno,
				 v);
	} else if (b == NULL) {
		fail_msg(KAT_FILE ":%d: unexpected '%s'", lineno, name);
	} else if (unhex(v, b) < 0) {
		fail_msg(KAT_FILE ":%d: '%s' is not hex", lineno, name);
	}
}

static void
kat_load(struct kat *k)
{
	char line[1024], *colon, *v;
	FILE *f;
	int lineno = 0;
	size_t len;

	memset(k, 0, sizeof(*k));
	f = fopen(KAT_FILE, "r");
	if (f == NULL)
		fail_msg("cannot open " KAT_FILE " (run from the source tree)");
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		len = strcspn(line, "\n");
		if (line[len] != '\n')
			fail_msg(KAT_FILE ":%d: line too long or unended",
				 lineno);
		line[len] = '\0';
		if (len == 0 || line[0] == '#')
			continue;
		colon = strchr(line, ':');
		if (colon == NULL)
			fail_msg(KAT_FILE ":%d: no ':'", lineno);
		*colon = '\0';
		v = colon + 1;
		while (*v == ' ')
			v++;
		kat_line(k, line, v, lineno);
	}
	fclose(f);
	/* The file is the suite we implement, and holds all of A.2.1. */
	assert_int_equal(k->mode, 0);
	assert_int_equal(k->kem_id, HPKE_KEM_ID);
	assert_int_equal(k->kdf_id, HPKE_KDF_ID);
	assert_int_equal(k->aead_id, HPKE_AEAD_ID);
	assert_int_equal(k->nencs, 6);
	assert_int_equal(k->nexps, 3);
}

static int
kat_setup(void **state)
{
	struct kat *k = malloc(sizeof(*k));

	assert_non_null(k);
	kat_load(k);
	*state = k;
	return 0;
}

static int
kat_teardown(void **state)
{
	free(*state);
	return 0;
}

static void
assert_bytes(const unsigned char *got, const struct bytes *want, size_t n)
{
	char g[2 * HEX_MAX + 1], w[2 * HEX_MAX + 1];

	assert_int_equal(want->n, n);
	if (memcmp(got, want->b, n) != 0) {
		hex_of(got, n, g);
		hex_of(want->b, n, w);
		fail_msg("got %s, want %s", g, w);
	}
}

/* ---- RFC 9180 A.2.1 ------------------------------------------------------ */

static void
test_kat_derive_keypair(void **state)
{
	struct kat *k = *state;
	unsigned char sk[HPKE_NSK], pk[HPKE_NPK];

	assert_int_equal(hpke_derive_keypair(k->ikmE.b, k->ikmE.n, sk, pk, NULL,
					     0),
			 0);
	assert_bytes(sk, &k->skEm, HPKE_NSK);
	assert_bytes(pk, &k->pkEm, HPKE_NPK);
	assert_int_equal(hpke_derive_keypair(k->ikmR.b, k->ikmR.n, sk, pk, NULL,
					     0),
			 0);
	assert_bytes(sk, &k->skRm, HPKE_NSK);
	assert_bytes(pk, &k->pkRm, HPKE_NPK);
	assert_int_equal(hpke_public_key(k->skRm.b, pk, NULL, 0), 0);
	assert_bytes(pk, &k->pkRm, HPKE_NPK);
}

static void
test_kat_kem_and_schedule(void **state)
{
	struct kat *k = *state;
	unsigned char enc[HPKE_NENC], ss[HPKE_NSECRET];
	unsigned char ksc[HPKE_KS_CONTEXT_LEN], secret[HPKE_NH];
	struct hpke_ctx ctx;

	assert_int_equal(hpke_encap(k->pkRm.b, k->skEm.b, enc, ss, NULL, 0), 0);
	assert_bytes(enc, &k->enc, HPKE_NENC);
	assert_bytes(ss, &k->ss, HPKE_NSECRET);
	memset(ss, 0, sizeof(ss));
	assert_int_equal(hpke_decap(k->enc.b, k->skRm.b, ss, NULL, 0), 0);
	assert_bytes(ss, &k->ss, HPKE_NSECRET);

	assert_int_equal(hpke_key_schedule(&ctx, ss, k->info.b, k->info.n, ksc,
					   secret, NULL, 0),
			 0);
	assert_bytes(ksc, &k->ksc, HPKE_KS_CONTEXT_LEN);
	assert_bytes(secret, &k->secret, HPKE_NH);
	assert_bytes(ctx.key, &k->key, HPKE_NK);
	assert_bytes(ctx.base_nonce, &k->base_nonce, HPKE_NN);
	assert_bytes(ctx.exporter_secret, &k->exporter_secret, HPKE_NH);
	hpke_ctx_clear(&ctx);
}

static void
test_kat_setup_s_and_r(void **state)
{
	struct kat *k = *state;
	unsigned char enc[HPKE_NENC];
	struct hpke_ctx s, r;

	assert_int_equal(hpke_setup_base_s(&s, enc, k->pkRm.b, k->info.b,
					   k->info.n, k->skEm.b, NULL, 0),
			 0);
	assert_bytes(enc, &k->enc, HPKE_NENC);
	assert_int_equal(hpke_setup_base_r(&r, k->enc.b, k->skRm.b, k->info.b,
					   k->info.n, NULL, 0),
			 0);
	assert_bytes(s.key, &k->key, HPKE_NK);
	assert_bytes(r.key, &k->key, HPKE_NK);
	assert_bytes(s.base_nonce, &k->base_nonce, HPKE_NN);
	assert_bytes(r.base_nonce, &k->base_nonce, HPKE_NN);
	assert_bytes(s.exporter_secret, &k->exporter_secret, HPKE_NH);
	assert_bytes(r.exporter_secret, &k->exporter_secret, HPKE_NH);
	assert_int_equal(s.seq, 0);
	assert_int_equal(r.seq, 0);
	hpke_ctx_clear(&s);
	hpke_ctx_clear(&r);
}

/* The vector's nonce is base_nonce XOR I2OSP(seq, Nn), its aad is
 * "Count-<seq>": a check of the file itself. */
static void
check_enc_vector(const struct kat *k, const struct kat_enc *e)
{
	unsigned char nonce[HPKE_NN];
	char aad[32];
	unsigned long s = e->seq;
	int i;

	memcpy(nonce, k->base_nonce.b, HPKE_NN);
	for (i = HPKE_NN - 1; i >= 0 && s != 0; i--, s >>= 8)
		nonce[i] ^= (unsigned char)s;
	assert_bytes(nonce, &e->nonce, HPKE_NN);
	snprintf(aad, sizeof(aad), "Count-%lu", e->seq);
	assert_int_equal(e->aad.n, strlen(aad));
	assert_memory_equal(e->aad.b, aad, e->aad.n);
}

/* The sender seals every sequence number from 0 to the last listed one in
 * turn; each listed one must give the listed ciphertext. */
static void
test_kat_seal(void **state)
{
	struct kat *k = *state;
	unsigned char enc[HPKE_NENC], ct[HEX_MAX];
	const struct kat_enc *e;
	struct hpke_ctx s;
	unsigned long seq;
	size_t i = 0;

	assert_int_equal(hpke_setup_base_s(&s, enc, k->pkRm.b, k->info.b,
					   k->info.n, k->skEm.b, NULL, 0),
			 0);
	for (seq = 0; i < k->nencs; seq++) {
		e = &k->encs[i];
		assert_int_equal(s.seq, seq);
		if (e->seq != seq) {
			assert_true(e->seq > seq);
			assert_int_equal(hpke_seal(&s, "", 0, "x", 1, ct, NULL,
						   0),
					 0);
			continue;
		}
		check_enc_vector(k, e);
		assert_int_equal(hpke_seal(&s, e->aad.b, e->aad.n, e->pt.b,
					   e->pt.n, ct, NULL, 0),
				 0);
		assert_bytes(ct, &e->ct, e->pt.n + HPKE_NT);
		i++;
	}
	hpke_ctx_clear(&s);
}

/* The recipient opens each listed ciphertext at its sequence number, and
 * refuses it at any other, with another aad, or altered. */
static void
test_kat_open(void **state)
{
	struct kat *k = *state;
	unsigned char pt[HEX_MAX], ct[HEX_MAX];
	const struct kat_enc *e;
	struct hpke_ctx r;
	size_t i;

	assert_int_equal(hpke_setup_base_r(&r, k->enc.b, k->skRm.b, k->info.b,
					   k->info.n, NULL, 0),
			 0);
	for (i = 0; i < k->nencs; i++) {
		e = &k->encs[i];
		r.seq = e->seq + 1;
		assert_int_equal(hpke_open(&r, e->aad.b, e->aad.n, e->ct.b,
					   e->ct.n, pt, NULL, 0),
				 -ERR_INVALID);
		assert_int_equal(r.seq, e->seq + 1);
		r.seq = e->seq;
		assert_int_equal(hpke_open(&r, "Count-x", 7, e->ct.b, e->ct.n,
					   pt, NULL, 0),
				 -ERR_INVALID);
		memcpy(ct, e->ct.b, e->ct.n);
		ct[e->ct.n - 1] ^= 1;
		assert_int_equal(hpke_open(&r, e->aad.b, e->aad.n, ct, e->ct.n,
					   pt, NULL, 0),
				 -ERR_INVALID);
		assert_int_equal(r.seq, e->seq);
		assert_int_equal(hpke_open(&r, e->aad.b, e->aad.n, e->ct.b,
					   e->ct.n, pt, NULL, 0),
				 0);
		assert_bytes(pt, &e->pt, e->ct.n - HPKE_NT);
		assert_int_equal(r.seq, e->seq + 1);
	}
	hpke_ctx_clear(&r);
}

static void
test_kat_export(void **state)
{
	struct kat *k = *state;
	unsigned char out[HEX_MAX], enc[HPKE_NENC];
	struct hpke_ctx s, r;
	size_t i;

	assert_int_equal(hpke_setup_base_s(&s, enc, k->pkRm.b, k->info.b,
					   k->info.n, k->skEm.b, NULL, 0),
			 0);
	assert_int_equal(hpke_setup_base_r(&r, k->enc.b, k->skRm.b, k->info.b,
					   k->info.n, NULL, 0),
			 0);
	for (i = 0; i < k->nexps; i++) {
		assert_int_equal(hpke_export(&s, k->exps[i].ctx.b,
					     k->exps[i].ctx.n, out,
					     k->exps[i].L, NULL, 0),
				 0);
		assert_bytes(out, &k->exps[i].value, k->exps[i].L);
		assert_int_equal(hpke_export(&r, k->exps[i].ctx.b,
					     k->exps[i].ctx.n, out,
					     k->exps[i].L, NULL, 0),
				 0);
		assert_bytes(out, &k->exps[i].value, k->exps[i].L);
	}
	hpke_ctx_clear(&s);
	hpke_ctx_clear(&r);
}

/* ---- the API's limits ---------------------------------------------------- */

static void
assert_err(const char *err, const char *want)
{
	if (strstr(err, want) == NULL)
		fail_msg("error '%s' does not mention '%s'", err, want);
}

static void
test_seq_limit(void **state)
{
	unsigned char sk[HPKE_NSK], pk[HPKE_NPK], enc[HPKE_NENC];
	unsigned char ct[1 + HPKE_NT], pt[1];
	struct hpke_ctx s, r;
	char err[128];

	(void)state;
	assert_int_equal(hpke_keygen(sk, pk, NULL, 0), 0);
	assert_int_equal(hpke_setup_base_s(&s, enc, pk, "i", 1, NULL, NULL, 0),
			 0);
	assert_int_equal(hpke_setup_base_r(&r, enc, sk, "i", 1, NULL, 0), 0);
	/* The last usable sequence number works on both sides... */
	s.seq = r.seq = UINT64_MAX - 1;
	assert_int_equal(hpke_seal(&s, NULL, 0, "z", 1, ct, err, sizeof(err)),
			 0);
	assert_int_equal(hpke_open(&r, NULL, 0, ct, sizeof(ct), pt, err,
				   sizeof(err)),
			 0);
	assert_int_equal(pt[0], 'z');
	/* ...and then both refuse, leaving the count where it is. */
	assert_int_equal(s.seq, UINT64_MAX);
	assert_int_equal(hpke_seal(&s, NULL, 0, "z", 1, ct, err, sizeof(err)),
			 -ERR_INVALID);
	assert_err(err, "message limit reached");
	assert_int_equal(s.seq, UINT64_MAX);
	assert_int_equal(hpke_open(&r, NULL, 0, ct, sizeof(ct), pt, err,
				   sizeof(err)),
			 -ERR_INVALID);
	assert_err(err, "message limit reached");
	/* Export still works: it does not use the sequence number. */
	assert_int_equal(hpke_export(&s, "", 0, pt, 1, NULL, 0), 0);
	hpke_ctx_clear(&s);
	hpke_ctx_clear(&r);
	OPENSSL_cleanse(sk, sizeof(sk));
}

static void
test_ctx_lifetime(void **state)
{
	unsigned char sk[HPKE_NSK], pk[HPKE_NPK], enc[HPKE_NENC];
	unsigned char ct[2 + HPKE_NT], out[32], zero[sizeof(struct hpke_ctx)];
	struct hpke_ctx s;
	char err[128];

	(void)state;
	assert_int_equal(hpke_keygen(sk, pk, NULL, 0), 0);
	assert_int_equal(hpke_setup_base_s(&s, enc, pk, "", 0, NULL, NULL, 0),
			 0);
	hpke_ctx_clear(&s);
	memset(zero, 0, sizeof(zero));
	assert_memory_equal(&s, zero, sizeof(s));
	assert_int_equal(hpke_seal(&s, NULL, 0, "hi", 2, ct, err, sizeof(err)),
			 -ERR_INVALID);
	assert_err(err, "not set up");
	assert_int_equal(hpke_export(&s, "", 0, out, 32, err, sizeof(err)),
			 -ERR_INVALID);
	assert_err(err, "not set up");
	assert_int_equal(hpke_open(NULL, NULL, 0, ct, sizeof(ct), out, err,
				   sizeof(err)),
			 -ERR_INVALID);
}

static void
test_bounds(void **state)
{
	unsigned char sk[HPKE_NSK], pk[HPKE_NPK], enc[HPKE_NENC];
	unsigned char ikm[HPKE_INFO_MAX + 1], out[HPKE_EXPORT_MAX + 1];
	unsigned char zero[HPKE_NPK], ct[HPKE_NT];
	struct hpke_ctx s;
	char err[128];

	(void)state;
	memset(ikm, 7, sizeof(ikm));
	assert_int_equal(hpke_derive_keypair(ikm, 31, sk, pk, err, sizeof(err)),
			 -ERR_INVALID);
	assert_err(err, "ikm must be");
	assert_int_equal(hpke_derive_keypair(ikm, sizeof(ikm), sk, pk, err,
					     sizeof(err)),
			 -ERR_INVALID);
	assert_int_equal(hpke_derive_keypair(ikm, HPKE_INFO_MAX, sk, pk, err,
					     sizeof(err)),
			 0);
	/* info over its bound. */
	assert_int_equal(hpke_setup_base_s(&s, enc, pk, ikm, sizeof(ikm), NULL,
					   err, sizeof(err)),
			 -ERR_INVALID);
	assert_err(err, "info");
	assert_int_equal(hpke_setup_base_s(&s, enc, pk, ikm, HPKE_INFO_MAX,
					   NULL, err, sizeof(err)),
			 0);
	/* Export lengths and contexts. */
	assert_int_equal(hpke_export(&s, "", 0, out, 0, err, sizeof(err)),
			 -ERR_INVALID);
	assert_int_equal(hpke_export(&s, "", 0, out, HPKE_EXPORT_MAX + 1, err,
				     sizeof(err)),
			 -ERR_INVALID);
	assert_int_equal(hpke_export(&s, "", 0, out, HPKE_EXPORT_MAX, err,
				     sizeof(err)),
			 0);
	assert_int_equal(hpke_export(&s, ikm, HPKE_EXPORT_CONTEXT_MAX + 1, out,
				     32, err, sizeof(err)),
			 -ERR_INVALID);
	assert_int_equal(hpke_export(&s, ikm, HPKE_EXPORT_CONTEXT_MAX, out, 32,
				     err, sizeof(err)),
			 0);
	/* A ciphertext shorter than the tag. */
	assert_int_equal(hpke_open(&s, NULL, 0, ct, HPKE_NT - 1, out, err,
				   sizeof(err)),
			 -ERR_INVALID);
	hpke_ctx_clear(&s);
	/* A low-order public key (here zero) gives an all-zero DH value,
	 * which section 7.1.4 says to refuse. */
	memset(zero, 0, sizeof(zero));
	assert_int_equal(hpke_setup_base_s(&s, enc, zero, "", 0, NULL, err,
					   sizeof(err)),
			 -ERR_INVALID);
	assert_err(err, "not a usable X25519 key");
	assert_int_equal(hpke_setup_base_r(&s, zero, sk, "", 0, err,
					   sizeof(err)),
			 -ERR_INVALID);
	assert_err(err, "not a usable X25519 key");
}

/* Fresh keys, several messages in order, empty ones included. */
static void
test_roundtrip(void **state)
{
	static const char *msgs[] = { "", "a", "hello, world", "" };
	unsigned char sk[HPKE_NSK], pk[HPKE_NPK], enc[HPKE_NENC];
	unsigned char ct[64], pt[64], a[32], b[32];
	struct hpke_ctx s, r;
	size_t i, n;

	(void)state;
	assert_int_equal(hpke_keygen(sk, pk, NULL, 0), 0);
	assert_int_equal(hpke_setup_base_s(&s, enc, pk, "app", 3, NULL, NULL,
					   0),
			 0);
	assert_int_equal(hpke_setup_base_r(&r, enc, sk, "app", 3, NULL, 0), 0);
	for (i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++) {
		n = strlen(msgs[i]);
		assert_int_equal(hpke_seal(&s, "ad", 2, msgs[i], n, ct, NULL,
					   0),
				 0);
		assert_int_equal(hpke_open(&r, "ad", 2, ct, n + HPKE_NT, pt,
					   NULL, 0),
				 0);
		assert_memory_equal(pt, msgs[i], n);
	}
	assert_int_equal(hpke_export(&s, "e", 1, a, 32, NULL, 0), 0);
	assert_int_equal(hpke_export(&r, "e", 1, b, 32, NULL, 0), 0);
	assert_memory_equal(a, b, 32);
	/* Another info is another key. */
	hpke_ctx_clear(&r);
	assert_int_equal(hpke_setup_base_r(&r, enc, sk, "apq", 3, NULL, 0), 0);
	assert_int_equal(hpke_export(&r, "e", 1, b, 32, NULL, 0), 0);
	assert_memory_not_equal(a, b, 32);
	hpke_ctx_clear(&s);
	hpke_ctx_clear(&r);
}

/* ---- fnh1 text ----------------------------------------------------------- */

static const char url_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static void
test_text_roundtrip(void **state)
{
	static const char msg[] = "{\"latitude\": 52.5, \"longitude\": 13.4}";
	unsigned char sk[HPKE_NSK], pk[HPKE_NPK], *pt;
	size_t textlen, ptlen, i;
	char *text, *text2;

	(void)state;
	assert_int_equal(hpke_keygen(sk, pk, NULL, 0), 0);
	assert_int_equal(hpke_encrypt_text(pk, msg, strlen(msg), &text,
					   &textlen, NULL, 0),
			 0);
	assert_int_equal(textlen, strlen(text));
	assert_true(hpke_is_text(text, textlen));
	assert_memory_equal(text, "fnh1:", 5);
	/* base64url without padding of 32 + len + 16 bytes */
	assert_int_equal(textlen, 5 + ((32 + strlen(msg) + 16) * 4 + 2) / 3);
	for (i = 5; i < textlen; i++)
		assert_non_null(strchr(url_alphabet, text[i]));
	assert_int_equal(hpke_decrypt_text(sk, text, textlen, &pt, &ptlen, NULL,
					   0),
			 0);
	assert_int_equal(ptlen, strlen(msg));
	assert_memory_equal(pt, msg, ptlen);
	assert_int_equal(pt[ptlen], '\0');
	hpke_free(pt, ptlen);
	/* A fresh ephemeral key every time. */
	assert_int_equal(hpke_encrypt_text(pk, msg, strlen(msg), &text2,
					   &textlen, NULL, 0),
			 0);
	assert_string_not_equal(text, text2);
	free(text);
	free(text2);
	/* The empty plaintext. */
	assert_int_equal(hpke_encrypt_text(pk, "", 0, &text, &textlen, NULL, 0),
			 0);
	assert_int_equal(hpke_decrypt_text(sk, text, textlen, &pt, &ptlen, NULL,
					   0),
			 0);
	assert_int_equal(ptlen, 0);
	hpke_free(pt, ptlen);
	free(text);
}

/* The base64url character whose value is c's with one bit flipped. */
static char
flip_sextet(char c, int bit)
{
	const char *p = strchr(url_alphabet, c);

	assert_non_null(p);
	return url_alphabet[(p - url_alphabet) ^ (1 << bit)];
}

/* Decrypting text must fail with an error holding want, and output
 * nothing. */
static void
assert_text_refused(const unsigned char *sk, const char *text, size_t len,
		    const char *want)
{
	unsigned char *pt = (unsigned char *)"x";
	size_t ptlen = 1;
	char err[128];

	if (hpke_decrypt_text(sk, text, len, &pt, &ptlen, err, sizeof(err)) >=
	    0)
		fail_msg("decrypted '%.*s'", (int)len, text);
	assert_null(pt);
	assert_int_equal(ptlen, 0);
	if (strcmp(err, want) != 0)
		fail_msg("error '%s', want '%s'", err, want);
}

static void
test_text_refusals(void **state)
{
	static const char wrong_key[] = "cannot decrypt: wrong key or "
					"altered ciphertext";
	unsigned char sk[HPKE_NSK], pk[HPKE_NPK], sk2[HPKE_NSK];
	unsigned char pk2[HPKE_NPK];
	char *text, buf[256];
	size_t len, i, rest, unused;
	int bit;

	(void)state;
	assert_int_equal(hpke_keygen(sk, pk, NULL, 0), 0);
	assert_int_equal(hpke_keygen(sk2, pk2, NULL, 0), 0);
	assert_int_equal(hpke_encrypt_text(pk, "secret", 6, &text, &len, NULL,
					   0),
			 0);
	assert_true(len < sizeof(buf) - 2);

	assert_text_refused(sk, "hello", 5, "not an fnh1: text");
	assert_text_refused(sk, "FNH1:abc", 8, "not an fnh1: text");
	assert_text_refused(sk, "fnh1", 4, "not an fnh1: text");
	assert_text_refused(sk, "", 0, "not an fnh1: text");
	assert_text_refused(sk2, text, len, wrong_key);

	/* Base64url must be exact: padding, whitespace, other alphabets. */
	snprintf(buf, sizeof(buf), "%s=", text);
	assert_text_refused(sk, buf, len + 1, "bad base64url");
	snprintf(buf, sizeof(buf), "%s\n", text);
	assert_text_refused(sk, buf, len + 1, "bad base64url");
	snprintf(buf, sizeof(buf), " %s", text);
	assert_text_refused(sk, buf, len + 1, "not an fnh1: text");
	memcpy(buf, text, len + 1);
	buf[10] = '+';
	assert_text_refused(sk, buf, len, "bad base64url");
	assert_text_refused(sk, "fnh1:", 5, "too short");
	assert_text_refused(sk, "fnh1:AAAA", 9, "too short");
	/* 47 bytes: one short of enc and tag. */
	memcpy(buf, text, 5 + 63);
	buf[5 + 62] = 'A';
	assert_text_refused(sk, buf, 5 + 63, "too short");
	/* Truncated to 48 bytes (enc, tag, no ciphertext left). */
	assert_text_refused(sk, text, 5 + 64, wrong_key);
	assert_text_refused(sk, text, len - 4, wrong_key);

	/* One bit flipped anywhere in enc, ciphertext or tag: each bit of
	 * each character, except the last one's unused bits, which the
	 * canonical decoder refuses first. */
	rest = (len - 5) % 4;
	unused = rest == 2 ? 4 : rest == 3 ? 2 : 0;
	for (i = 5; i < len; i++) {
		for (bit = 0; bit < 6; bit++) {
			memcpy(buf, text, len + 1);
			buf[i] = flip_sextet(buf[i], bit);
			if (i == len - 1 && (size_t)bit < unused)
				assert_text_refused(sk, buf, len,
						    "bad base64url");
			else
				assert_text_refused(sk, buf, len, wrong_key);
		}
	}
	free(text);
	OPENSSL_cleanse(sk, sizeof(sk));
	OPENSSL_cleanse(sk2, sizeof(sk2));
}

static void
test_text_bad_key(void **state)
{
	unsigned char zero[HPKE_NPK];
	size_t len = 99;
	char *text = (char *)"x", err[128];

	(void)state;
	memset(zero, 0, sizeof(zero));
	assert_int_equal(hpke_encrypt_text(zero, "m", 1, &text, &len, err,
					   sizeof(err)),
			 -ERR_INVALID);
	assert_null(text);
	assert_err(err, "not a usable X25519 key");
}

/* ---- encrypted invokes --------------------------------------------------- */

static void
test_ohttp_roundtrip(void **state)
{
	static const char in[] = "{\"node_list\": [1, 2, 3]}";
	static const char out[] = "{\"message\": \"3\"}";
	unsigned char sk[HPKE_NSK], pk[HPKE_NPK], *req, *resp, *got;
	struct hpke_ohttp client, server;
	size_t reqlen, resplen, gotlen;

	(void)state;
	assert_int_equal(hpke_keygen(sk, pk, NULL, 0), 0);
	assert_int_equal(hpke_ohttp_seal_request(&client, 7, pk, in, strlen(in),
						 &req, &reqlen, NULL, 0),
			 0);
	assert_int_equal(reqlen, HPKE_OHTTP_REQ_MIN + strlen(in));
	assert_memory_equal(req, "\x07\x00\x20\x00\x01\x00\x03", 7);
	assert_int_equal(hpke_ohttp_open_request(&server, 7, sk, req, reqlen,
						 &got, &gotlen, NULL, 0),
			 0);
	assert_int_equal(gotlen, strlen(in));
	assert_memory_equal(got, in, gotlen);
	hpke_free(got, gotlen);

	assert_int_equal(hpke_ohttp_seal_response(&server, out, strlen(out),
						  &resp, &resplen, NULL, 0),
			 0);
	assert_int_equal(resplen, HPKE_OHTTP_RESP_MIN + strlen(out));
	assert_false(server.ready);
	assert_int_equal(hpke_ohttp_open_response(&client, resp, resplen, &got,
						  &gotlen, NULL, 0),
			 0);
	assert_int_equal(gotlen, strlen(out));
	assert_memory_equal(got, out, gotlen);
	assert_false(client.ready);
	hpke_free(got, gotlen);
	free(req);
	free(resp);
}

static void
test_ohttp_request_refusals(void **state)
{
	unsigned char sk[HPKE_NSK], pk[HPKE_NPK], sk2[HPKE_NSK];
	unsigned char pk2[HPKE_NPK], *req, *bad, *got;
	struct hpke_ohttp client, server;
	size_t reqlen, gotlen, i, textlen, n;
	char err[160], *text;

	(void)state;
	assert_int_equal(hpke_keygen(sk, pk, NULL, 0), 0);
	assert_int_equal(hpke_keygen(sk2, pk2, NULL, 0), 0);
	assert_int_equal(hpke_ohttp_seal_request(&client, 1, pk, "input", 5,
						 &req, &reqlen, NULL, 0),
			 0);
	bad = malloc(reqlen);
	assert_non_null(bad);

	assert_int_equal(hpke_ohttp_open_request(&server, 2, sk, req, reqlen,
						 &got, &gotlen, err,
						 sizeof(err)),
			 -ERR_INVALID);
	assert_err(err, "unknown key id 1");
	assert_int_equal(hpke_ohttp_open_request(&server, 1, sk2, req, reqlen,
						 &got, &gotlen, err,
						 sizeof(err)),
			 -ERR_INVALID);
	assert_err(err, "cannot decrypt request");
	assert_int_equal(hpke_ohttp_open_request(&server, 1, sk, req,
						 HPKE_OHTTP_REQ_MIN - 1, &got,
						 &gotlen, err, sizeof(err)),
			 -ERR_INVALID);
	assert_err(err, "request too short");
	assert_int_equal(hpke_ohttp_open_request(&server, 1, sk, req,
						 reqlen - 1, &got, &gotlen, err,
						 sizeof(err)),
			 -ERR_INVALID);
	assert_err(err, "cannot decrypt request");
	/* Every byte altered: the header names the suite, the rest fails
	 * to decrypt. */
	for (i = 0; i < reqlen; i++) {
		memcpy(bad, req, reqlen);
		bad[i] ^= 0x40;
		assert_int_equal(hpke_ohttp_open_request(&server, 1, sk, bad,
							 reqlen, &got, &gotlen,
							 err, sizeof(err)),
				 -ERR_INVALID);
		assert_null(got);
		assert_false(server.ready);
		if (i == 0)
			assert_err(err, "unknown key id 65");
		else if (i < HPKE_OHTTP_HDR_LEN)
			assert_err(err, "unsupported HPKE suite");
		else
			assert_err(err, "cannot decrypt request");
	}
	/* An fnh1 text's enc and ciphertext under the same key, behind a
	 * good header, is no request: another info, another key schedule. */
	assert_int_equal(hpke_encrypt_text(pk, "input", 5, &text, &textlen,
					   NULL, 0),
			 0);
	assert_int_equal(b64url_decode(bad + HPKE_OHTTP_HDR_LEN,
				       reqlen - HPKE_OHTTP_HDR_LEN, text + 5,
				       textlen - 5, &n),
			 0);
	assert_int_equal(n, reqlen - HPKE_OHTTP_HDR_LEN);
	memcpy(bad, req, HPKE_OHTTP_HDR_LEN);
	assert_int_equal(hpke_ohttp_open_request(&server, 1, sk, bad, reqlen,
						 &got, &gotlen, err,
						 sizeof(err)),
			 -ERR_INVALID);
	assert_err(err, "cannot decrypt request: wrong key");
	free(text);
	hpke_ohttp_clear(&server);
	hpke_ohttp_clear(&client);
	free(bad);
	free(req);
}

static void
test_ohttp_response_refusals(void **state)
{
	unsigned char sk[HPKE_NSK], pk[HPKE_NPK], *req, *req2, *resp, *bad;
	unsigned char *got;
	struct hpke_ohttp c1, c2, s1, s2, keep;
	size_t reqlen, req2len, resplen, gotlen, i;
	char err[160];

	(void)state;
	assert_int_equal(hpke_keygen(sk, pk, NULL, 0), 0);
	assert_int_equal(hpke_ohttp_seal_request(&c1, 0, pk, "a", 1, &req,
						 &reqlen, NULL, 0),
			 0);
	assert_int_equal(hpke_ohttp_seal_request(&c2, 0, pk, "b", 1, &req2,
						 &req2len, NULL, 0),
			 0);
	assert_int_equal(hpke_ohttp_open_request(&s1, 0, sk, req, reqlen, &got,
						 &gotlen, NULL, 0),
			 0);
	hpke_free(got, gotlen);
	assert_int_equal(hpke_ohttp_open_request(&s2, 0, sk, req2, req2len,
						 &got, &gotlen, NULL, 0),
			 0);
	hpke_free(got, gotlen);
	hpke_ohttp_clear(&s2);
	assert_int_equal(hpke_ohttp_seal_response(&s1, "output", 6, &resp,
						  &resplen, NULL, 0),
			 0);
	/* The server's state is spent. */
	assert_int_equal(hpke_ohttp_seal_response(&s1, "again", 5, &bad,
						  &gotlen, err, sizeof(err)),
			 -ERR_INVALID);
	assert_err(err, "no request");

	/* A response to the first request does not open as the second's. */
	assert_int_equal(hpke_ohttp_open_response(&c2, resp, resplen, &got,
						  &gotlen, err, sizeof(err)),
			 -ERR_INVALID);
	assert_err(err, "cannot decrypt response");
	assert_false(c2.ready);
	/* Every byte altered, nonce included; and truncated. */
	bad = malloc(resplen);
	assert_non_null(bad);
	for (i = 0; i < resplen; i++) {
		memcpy(bad, resp, resplen);
		bad[i] ^= 0x01;
		keep = c1;
		assert_int_equal(hpke_ohttp_open_response(&keep, bad, resplen,
							  &got, &gotlen, err,
							  sizeof(err)),
				 -ERR_INVALID);
		assert_null(got);
		assert_err(err, "cannot decrypt response");
	}
	keep = c1;
	assert_int_equal(hpke_ohttp_open_response(&keep, resp,
						  HPKE_OHTTP_RESP_MIN - 1, &got,
						  &gotlen, err, sizeof(err)),
			 -ERR_INVALID);
	assert_err(err, "too short");
	keep = c1;
	assert_int_equal(hpke_ohttp_open_response(&keep, resp, resplen - 1,
						  &got, &gotlen, err,
						  sizeof(err)),
			 -ERR_INVALID);
	assert_int_equal(hpke_ohttp_open_response(&c1, resp, resplen, &got,
						  &gotlen, NULL, 0),
			 0);
	assert_int_equal(gotlen, 6);
	assert_memory_equal(got, "output", 6);
	hpke_free(got, gotlen);
	/* The client's state is spent too. */
	assert_int_equal(hpke_ohttp_open_response(&c1, resp, resplen, &got,
						  &gotlen, err, sizeof(err)),
			 -ERR_INVALID);
	assert_err(err, "no request");
	hpke_ohttp_clear(&keep);
	free(bad);
	free(resp);
	free(req);
	free(req2);
}

/* ---- interop entry points (see the top of the file) ---------------------- */

static int
interop_fail(const char *what, const char *err)
{
	fprintf(stderr, "test_hpke: %s: %s\n", what, err);
	return 1;
}

/* A 32-byte key from 64 hex digits. */
static int
key_arg(const char *hex, unsigned char key[32])
{
	struct bytes b;

	if (unhex(hex, &b) < 0 || b.n != 32)
		return -1;
	memcpy(key, b.b, 32);
	return 0;
}

static int
write_file(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "wb");
	int rc = 0;

	if (f == NULL)
		return -1;
	if (fwrite(buf, 1, len, f) != len)
		rc = -1;
	if (fclose(f) != 0)
		rc = -1;
	return rc;
}

/* Read at most max bytes of path into a malloc()ed buffer. */
static unsigned char *
read_file(const char *path, size_t max, size_t *len)
{
	unsigned char *buf = malloc(max + 1);
	FILE *f = fopen(path, "rb");

	if (buf == NULL || f == NULL) {
		free(buf);
		if (f != NULL)
			fclose(f);
		return NULL;
	}
	*len = fread(buf, 1, max + 1, f);
	fclose(f);
	if (*len > max) {
		free(buf);
		return NULL;
	}
	return buf;
}

static int
interop_text(int argc, char **argv)
{
	unsigned char key[32], sk[32], *pt;
	char err[160], hex[65], *text;
	size_t len;

	if (strcmp(argv[1], "--interop-keygen") == 0 && argc == 2) {
		if (hpke_keygen(sk, key, err, sizeof(err)) < 0)
			return interop_fail("keygen", err);
		hex_of(sk, 32, hex);
		printf("%s ", hex);
		hex_of(key, 32, hex);
		printf("%s\n", hex);
		return 0;
	}
	if (argc != 4 || key_arg(argv[2], key) < 0)
		return interop_fail(argv[1], "usage: KEYHEX ARG");
	if (strcmp(argv[1], "--interop-encrypt") == 0) {
		if (hpke_encrypt_text(key, argv[3], strlen(argv[3]), &text,
				      &len, err, sizeof(err)) < 0)
			return interop_fail("encrypt", err);
		printf("%s\n", text);
		free(text);
		return 0;
	}
	if (hpke_decrypt_text(key, argv[3], strlen(argv[3]), &pt, &len, err,
			      sizeof(err)) < 0)
		return interop_fail("decrypt", err);
	fwrite(pt, 1, len, stdout);
	hpke_free(pt, len);
	return 0;
}

static int
interop_ohttp(int argc, char **argv)
{
	unsigned char key[32], *req = NULL, *resp = NULL, *got = NULL;
	struct hpke_ohttp st;
	size_t reqlen, resplen, gotlen = 0;
	char err[160];
	int rc = 1;

	memset(&st, 0, sizeof(st));
	if (strcmp(argv[1], "--interop-ohttp-request") == 0 && argc == 7 &&
	    key_arg(argv[3], key) == 0) {
		if (hpke_ohttp_seal_request(&st, (uint8_t)atoi(argv[2]), key,
					    argv[4], strlen(argv[4]), &req,
					    &reqlen, err, sizeof(err)) < 0)
			return interop_fail("request", err);
		if (write_file(argv[5], req, reqlen) < 0 ||
		    write_file(argv[6], &st, sizeof(st)) < 0)
			rc = interop_fail("request", "cannot write files");
		else
			rc = 0;
	} else if (strcmp(argv[1], "--interop-ohttp-serve") == 0 && argc == 7 &&
		   key_arg(argv[3], key) == 0) {
		req = read_file(argv[4], 1 << 20, &reqlen);
		if (req == NULL)
			return interop_fail("serve", "cannot read request");
		if (hpke_ohttp_open_request(&st, (uint8_t)atoi(argv[2]), key,
					    req, reqlen, &got, &gotlen, err,
					    sizeof(err)) < 0) {
			rc = interop_fail("serve", err);
			goto out;
		}
		fwrite(got, 1, gotlen, stdout);
		if (hpke_ohttp_seal_response(&st, argv[6], strlen(argv[6]),
					     &resp, &resplen, err,
					     sizeof(err)) < 0)
			rc = interop_fail("serve", err);
		else if (write_file(argv[5], resp, resplen) < 0)
			rc = interop_fail("serve", "cannot write response");
		else
			rc = 0;
	} else if (strcmp(argv[1], "--interop-ohttp-response") == 0 &&
		   argc == 4) {
		req = read_file(argv[2], sizeof(st), &reqlen);
		resp = read_file(argv[3], 1 << 20, &resplen);
		if (req == NULL || resp == NULL || reqlen != sizeof(st)) {
			rc = interop_fail("response", "cannot read files");
			goto out;
		}
		memcpy(&st, req, sizeof(st));
		if (hpke_ohttp_open_response(&st, resp, resplen, &got, &gotlen,
					     err, sizeof(err)) < 0) {
			rc = interop_fail("response", err);
			goto out;
		}
		fwrite(got, 1, gotlen, stdout);
		rc = 0;
	} else {
		return interop_fail(argv[1], "bad arguments");
	}
out:
	hpke_ohttp_clear(&st);
	hpke_free(got, gotlen);
	free(req);
	free(resp);
	return rc;
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_kat_derive_keypair,
						kat_setup, kat_teardown),
		cmocka_unit_test_setup_teardown(test_kat_kem_and_schedule,
						kat_setup, kat_teardown),
		cmocka_unit_test_setup_teardown(test_kat_setup_s_and_r,
						kat_setup, kat_teardown),
		cmocka_unit_test_setup_teardown(test_kat_seal, kat_setup,
						kat_teardown),
		cmocka_unit_test_setup_teardown(test_kat_open, kat_setup,
						kat_teardown),
		cmocka_unit_test_setup_teardown(test_kat_export, kat_setup,
						kat_teardown),
		cmocka_unit_test(test_seq_limit),
		cmocka_unit_test(test_ctx_lifetime),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_text_roundtrip),
		cmocka_unit_test(test_text_refusals),
		cmocka_unit_test(test_text_bad_key),
		cmocka_unit_test(test_ohttp_roundtrip),
		cmocka_unit_test(test_ohttp_request_refusals),
		cmocka_unit_test(test_ohttp_response_refusals),
	};

	if (argc > 1 && strncmp(argv[1], "--interop-ohttp-", 16) == 0)
		return interop_ohttp(argc, argv);
	if (argc > 1 && strncmp(argv[1], "--interop-", 10) == 0)
		return interop_text(argc, argv);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
