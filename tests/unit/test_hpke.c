/*
 * test_hpke.c: HPKE (RFC 9180) against every known answer of Appendix
 * A.2.1 (tests/kat/hpke/rfc9180-a2-1.txt), the sequence-number limit,
 * the fnh1 text and the encrypted-invoke envelopes, round trips and
 * refusals.  Run from the top of the source tree.
 *
 * test_hpke --kat-fnh2 IKMR IKME CHECKSUM TEXT prints one vector of
 * tests/kat/hpke/fnh2.txt (how that file was made).
 *
 * With arguments it is instead the C side of tests/e2e/hpke-interop.t,
 * printing to stdout and exiting 0, or 1 with the reason on stderr:
 *   test_hpke --interop-keygen                 "SKHEX PKHEX"
 *   test_hpke --interop-encrypt PKHEX SUM MSG   the fnh2 text of MSG for
 *                                               the function checksum SUM
 *   test_hpke --interop-decrypt SKHEX SUM TEXT  the plaintext of TEXT
 *   test_hpke --interop-ohttp-request KEYID PKHEX SUM MSG REQFILE STATEFILE
 *       writes the encapsulated request to REQFILE and the client's
 *       state (test-only: enc || response secret) to STATEFILE
 *   test_hpke --interop-ohttp-serve KEYID SKHEX SUM REQFILE RESPFILE OUTMSG
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
#define FNH2_KAT_FILE "tests/kat/hpke/fnh2.txt"
/* Two function checksums: texts and requests are bound to one of them. */
#define SUM_A "6b6d1c8b21f896269554cf633da084b25b49706a8efb41463687f353e0395171"
#define SUM_B "0000000000000000000000000000000000000000000000000000000000000001"
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

	if (out == NULL || len % 2 != 0 || len / 2 > HEX_MAX)
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

/* ---- fnh2 text ----------------------------------------------------------- */

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
	assert_int_equal(hpke_encrypt_text(pk, SUM_A, NULL, msg, strlen(msg),
					   &text, &textlen, NULL, 0),
			 0);
	assert_int_equal(textlen, strlen(text));
	assert_true(hpke_is_text(text, textlen));
	assert_memory_equal(text, "fnh2:", 5);
	/* base64url without padding of 32 + len + 16 bytes */
	assert_int_equal(textlen, 5 + ((32 + strlen(msg) + 16) * 4 + 2) / 3);
	for (i = 5; i < textlen; i++)
		assert_non_null(strchr(url_alphabet, text[i]));
	assert_int_equal(hpke_decrypt_text(sk, SUM_A, text, textlen, &pt,
					   &ptlen, NULL, 0),
			 0);
	assert_int_equal(ptlen, strlen(msg));
	assert_memory_equal(pt, msg, ptlen);
	assert_int_equal(pt[ptlen], '\0');
	hpke_free(pt, ptlen);
	/* A fresh ephemeral key every time. */
	assert_int_equal(hpke_encrypt_text(pk, SUM_A, NULL, msg, strlen(msg),
					   &text2, &textlen, NULL, 0),
			 0);
	assert_string_not_equal(text, text2);
	free(text);
	free(text2);
	/* The empty plaintext. */
	assert_int_equal(hpke_encrypt_text(pk, SUM_A, NULL, "", 0, &text,
					   &textlen, NULL, 0),
			 0);
	assert_int_equal(hpke_decrypt_text(sk, SUM_A, text, textlen, &pt,
					   &ptlen, NULL, 0),
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

	if (hpke_decrypt_text(sk, SUM_A, text, len, &pt, &ptlen, err,
			      sizeof(err)) >= 0)
		fail_msg("decrypted '%.*s'", (int)len, text);
	assert_null(pt);
	assert_int_equal(ptlen, 0);
	if (strcmp(err, want) != 0)
		fail_msg("error '%s', want '%s'", err, want);
}

static void
test_text_refusals(void **state)
{
	static const char wrong_key[] = "not made for function " SUM_A
					" on this host, or altered";
	unsigned char sk[HPKE_NSK], pk[HPKE_NPK], sk2[HPKE_NSK];
	unsigned char pk2[HPKE_NPK];
	char *text, buf[256];
	size_t len, i, rest, unused;
	int bit;

	(void)state;
	assert_int_equal(hpke_keygen(sk, pk, NULL, 0), 0);
	assert_int_equal(hpke_keygen(sk2, pk2, NULL, 0), 0);
	assert_int_equal(hpke_encrypt_text(pk, SUM_A, NULL, "secret", 6, &text,
					   &len, NULL, 0),
			 0);
	assert_true(len < sizeof(buf) - 2);

	assert_text_refused(sk, "hello", 5, "not an fnh2: text");
	assert_text_refused(sk, "FNH2:abc", 8, "not an fnh2: text");
	assert_text_refused(sk, "fnh2", 4, "not an fnh2: text");
	assert_text_refused(sk, "", 0, "not an fnh2: text");
	assert_text_refused(sk2, text, len, wrong_key);

	/* Base64url must be exact: padding, whitespace, other alphabets. */
	snprintf(buf, sizeof(buf), "%s=", text);
	assert_text_refused(sk, buf, len + 1, "bad base64url");
	snprintf(buf, sizeof(buf), "%s\n", text);
	assert_text_refused(sk, buf, len + 1, "bad base64url");
	snprintf(buf, sizeof(buf), " %s", text);
	assert_text_refused(sk, buf, len + 1, "not an fnh2: text");
	memcpy(buf, text, len + 1);
	buf[10] = '+';
	assert_text_refused(sk, buf, len, "bad base64url");
	assert_text_refused(sk, "fnh2:", 5, "too short");
	assert_text_refused(sk, "fnh2:AAAA", 9, "too short");
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
	assert_int_equal(hpke_encrypt_text(zero, SUM_A, NULL, "m", 1, &text,
					   &len, err, sizeof(err)),
			 -ERR_INVALID);
	assert_null(text);
	assert_err(err, "not a usable X25519 key");
}

/* A text is bound to its function: another checksum does not open it, and
 * an fnh1 text is refused whatever its content, saying how to re-encrypt. */
static void
test_text_function_binding(void **state)
{
	unsigned char sk[HPKE_NSK], pk[HPKE_NPK], *pt = NULL;
	size_t len, ptlen;
	char *text = NULL, err[256];

	(void)state;
	assert_int_equal(hpke_keygen(sk, pk, NULL, 0), 0);
	assert_int_equal(hpke_encrypt_text(pk, SUM_A, NULL, "pos", 3, &text,
					   &len, NULL, 0),
			 0);
	assert_int_equal(hpke_decrypt_text(sk, SUM_B, text, len, &pt, &ptlen,
					   err, sizeof(err)),
			 -ERR_INVALID);
	assert_null(pt);
	assert_string_equal(err, "not made for function " SUM_B
				 " on this host, or altered");
	free(text);
	/* Only 64 lower-case hex digits name a function. */
	assert_int_equal(hpke_encrypt_text(pk, "ABCD", NULL, "p", 1, &text,
					   &len, err, sizeof(err)),
			 -ERR_INVALID);
	assert_null(text);
	assert_err(err, "not a function checksum");
	assert_int_equal(hpke_encrypt_text(pk, SUM_A "0", NULL, "p", 1, &text,
					   &len, err, sizeof(err)),
			 -ERR_INVALID);
	assert_false(hpke_checksum_ok(
		"6B6D1C8B21F896269554CF633DA084B25B49706A8EFB41463687F353E0395171"));
	assert_true(hpke_checksum_ok(SUM_A));
	/* fnh1 is recognised as meant to be decrypted, and refused. */
	assert_true(hpke_is_text("fnh1:AAAA", 9));
	assert_int_equal(hpke_decrypt_text(sk, SUM_A, "fnh1:AAAA", 9, &pt,
					   &ptlen, err, sizeof(err)),
			 -ERR_INVALID);
	assert_err(err, "fnh1: texts name no function");
	assert_non_null(strstr(err, "fnhost encrypt -f ID"));
	assert_non_null(strstr(err, "-c CHECKSUM"));
	OPENSSL_cleanse(sk, sizeof(sk));
}

/* tests/kat/hpke/fnh2.txt: key pairs from ikmR and ikmE (DeriveKeyPair),
 * a checksum and a plaintext give exactly the text; @hpke/core checks the
 * same file (tests/e2e/hpke-interop.t). */
struct fnh2_kat {
	struct bytes ikmR, skR, pkR, ikmE, skE, pkE;
	char checksum[80], plaintext[256], text[1024];
};

static void
fnh2_check(const struct fnh2_kat *v, int lineno)
{
	unsigned char sk[HPKE_NSK], pk[HPKE_NPK], *pt = NULL;
	size_t len, ptlen;
	char *text = NULL, err[256];

	assert_int_equal(hpke_derive_keypair(v->ikmR.b, v->ikmR.n, sk, pk, err,
					     sizeof(err)),
			 0);
	assert_int_equal(v->skR.n, HPKE_NSK);
	assert_memory_equal(sk, v->skR.b, HPKE_NSK);
	assert_memory_equal(pk, v->pkR.b, HPKE_NPK);
	assert_int_equal(hpke_derive_keypair(v->ikmE.b, v->ikmE.n, sk, pk, err,
					     sizeof(err)),
			 0);
	assert_memory_equal(sk, v->skE.b, HPKE_NSK);
	assert_memory_equal(pk, v->pkE.b, HPKE_NPK);
	if (hpke_encrypt_text(v->pkR.b, v->checksum, v->skE.b, v->plaintext,
			      strlen(v->plaintext), &text, &len, err,
			      sizeof(err)) < 0)
		fail_msg(FNH2_KAT_FILE ":%d: %s", lineno, err);
	if (strcmp(text, v->text) != 0)
		fail_msg(FNH2_KAT_FILE ":%d: got %s", lineno, text);
	free(text);
	if (hpke_decrypt_text(v->skR.b, v->checksum, v->text, strlen(v->text),
			      &pt, &ptlen, err, sizeof(err)) < 0)
		fail_msg(FNH2_KAT_FILE ":%d: %s", lineno, err);
	assert_int_equal(ptlen, strlen(v->plaintext));
	assert_memory_equal(pt, v->plaintext, ptlen);
	hpke_free(pt, ptlen);
}

static void
test_kat_fnh2(void **state)
{
	struct fnh2_kat v;
	char line[1200], *val;
	int lineno = 0, n = 0;
	size_t len;
	FILE *f;

	(void)state;
	memset(&v, 0, sizeof(v));
	f = fopen(FNH2_KAT_FILE, "r");
	if (f == NULL)
		fail_msg("cannot open " FNH2_KAT_FILE);
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		len = strcspn(line, "\n");
		line[len] = '\0';
		if (len == 0 || line[0] == '#')
			continue;
		val = strstr(line, ": ");
		if (val == NULL && len > 0 && line[len - 1] == ':')
			val = line + len - 1; /* an empty value */
		if (val == NULL)
			fail_msg(FNH2_KAT_FILE ":%d: no 'name: value'", lineno);
		*val = '\0';
		val += val[1] == ' ' ? 2 : 1;
		if (strcmp(line, "checksum") == 0)
			snprintf(v.checksum, sizeof(v.checksum), "%s", val);
		else if (strcmp(line, "plaintext") == 0)
			snprintf(v.plaintext, sizeof(v.plaintext), "%s", val);
		else if (strcmp(line, "text") == 0)
			snprintf(v.text, sizeof(v.text), "%s", val);
		else if (unhex(val, !strcmp(line, "ikmR")   ? &v.ikmR
				    : !strcmp(line, "skR")  ? &v.skR
				    : !strcmp(line, "pkR")  ? &v.pkR
				    : !strcmp(line, "ikmE") ? &v.ikmE
				    : !strcmp(line, "skE")  ? &v.skE
				    : !strcmp(line, "pkE")  ? &v.pkE
							    : NULL) < 0)
			fail_msg(FNH2_KAT_FILE ":%d: bad '%s'", lineno, line);
		if (strcmp(line, "text") == 0) {
			fnh2_check(&v, lineno);
			memset(&v, 0, sizeof(v));
			n++;
		}
	}
	fclose(f);
	assert_true(n >= 2);
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
	assert_int_equal(hpke_ohttp_seal_request(&client, 7, pk, SUM_A, in,
						 strlen(in), &req, &reqlen,
						 NULL, 0),
			 0);
	assert_int_equal(reqlen, HPKE_OHTTP_REQ_MIN + strlen(in));
	assert_memory_equal(req, "\x07\x00\x20\x00\x01\x00\x03", 7);
	assert_int_equal(hpke_ohttp_open_request(&server, 7, sk, SUM_A, req,
						 reqlen, &got, &gotlen, NULL,
						 0),
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
	assert_int_equal(hpke_ohttp_seal_request(&client, 1, pk, SUM_A, "input",
						 5, &req, &reqlen, NULL, 0),
			 0);
	bad = malloc(reqlen);
	assert_non_null(bad);

	assert_int_equal(hpke_ohttp_open_request(&server, 2, sk, SUM_A, req,
						 reqlen, &got, &gotlen, err,
						 sizeof(err)),
			 -ERR_INVALID);
	assert_err(err, "unknown key id 1");
	assert_int_equal(hpke_ohttp_open_request(&server, 1, sk2, SUM_A, req,
						 reqlen, &got, &gotlen, err,
						 sizeof(err)),
			 -ERR_INVALID);
	assert_err(err, "cannot decrypt request");
	/* The request names its function: another one's session can not
	 * open it. */
	assert_int_equal(hpke_ohttp_open_request(&server, 1, sk, SUM_B, req,
						 reqlen, &got, &gotlen, err,
						 sizeof(err)),
			 -ERR_INVALID);
	assert_err(err, "cannot decrypt request: not made for function " SUM_B);
	assert_int_equal(hpke_ohttp_open_request(&server, 1, sk, SUM_A, req,
						 HPKE_OHTTP_REQ_MIN - 1, &got,
						 &gotlen, err, sizeof(err)),
			 -ERR_INVALID);
	assert_err(err, "request too short");
	assert_int_equal(hpke_ohttp_open_request(&server, 1, sk, SUM_A, req,
						 reqlen - 1, &got, &gotlen, err,
						 sizeof(err)),
			 -ERR_INVALID);
	assert_err(err, "cannot decrypt request");
	/* Every byte altered: the header names the suite, the rest fails
	 * to decrypt. */
	for (i = 0; i < reqlen; i++) {
		memcpy(bad, req, reqlen);
		bad[i] ^= 0x40;
		assert_int_equal(hpke_ohttp_open_request(&server, 1, sk, SUM_A,
							 bad, reqlen, &got,
							 &gotlen, err,
							 sizeof(err)),
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
	assert_int_equal(hpke_encrypt_text(pk, SUM_A, NULL, "input", 5, &text,
					   &textlen, NULL, 0),
			 0);
	assert_int_equal(b64url_decode(bad + HPKE_OHTTP_HDR_LEN,
				       reqlen - HPKE_OHTTP_HDR_LEN, text + 5,
				       textlen - 5, &n),
			 0);
	assert_int_equal(n, reqlen - HPKE_OHTTP_HDR_LEN);
	memcpy(bad, req, HPKE_OHTTP_HDR_LEN);
	assert_int_equal(hpke_ohttp_open_request(&server, 1, sk, SUM_A, bad,
						 reqlen, &got, &gotlen, err,
						 sizeof(err)),
			 -ERR_INVALID);
	assert_err(err, "cannot decrypt request: not made for function");
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
	assert_int_equal(hpke_ohttp_seal_request(&c1, 0, pk, SUM_A, "a", 1,
						 &req, &reqlen, NULL, 0),
			 0);
	assert_int_equal(hpke_ohttp_seal_request(&c2, 0, pk, SUM_A, "b", 1,
						 &req2, &req2len, NULL, 0),
			 0);
	assert_int_equal(hpke_ohttp_open_request(&s1, 0, sk, SUM_A, req, reqlen,
						 &got, &gotlen, NULL, 0),
			 0);
	hpke_free(got, gotlen);
	assert_int_equal(hpke_ohttp_open_request(&s2, 0, sk, SUM_A, req2,
						 req2len, &got, &gotlen, NULL,
						 0),
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
	if (argc != 5 || key_arg(argv[2], key) < 0)
		return interop_fail(argv[1], "usage: KEYHEX CHECKSUM ARG");
	if (strcmp(argv[1], "--interop-encrypt") == 0) {
		if (hpke_encrypt_text(key, argv[3], NULL, argv[4],
				      strlen(argv[4]), &text, &len, err,
				      sizeof(err)) < 0)
			return interop_fail("encrypt", err);
		printf("%s\n", text);
		free(text);
		return 0;
	}
	if (hpke_decrypt_text(key, argv[3], argv[4], strlen(argv[4]), &pt, &len,
			      err, sizeof(err)) < 0)
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
	if (strcmp(argv[1], "--interop-ohttp-request") == 0 && argc == 8 &&
	    key_arg(argv[3], key) == 0) {
		if (hpke_ohttp_seal_request(&st, (uint8_t)atoi(argv[2]), key,
					    argv[4], argv[5], strlen(argv[5]),
					    &req, &reqlen, err,
					    sizeof(err)) < 0)
			return interop_fail("request", err);
		if (write_file(argv[6], req, reqlen) < 0 ||
		    write_file(argv[7], &st, sizeof(st)) < 0)
			rc = interop_fail("request", "cannot write files");
		else
			rc = 0;
	} else if (strcmp(argv[1], "--interop-ohttp-serve") == 0 && argc == 8 &&
		   key_arg(argv[3], key) == 0) {
		req = read_file(argv[5], 1 << 20, &reqlen);
		if (req == NULL)
			return interop_fail("serve", "cannot read request");
		if (hpke_ohttp_open_request(&st, (uint8_t)atoi(argv[2]), key,
					    argv[4], req, reqlen, &got, &gotlen,
					    err, sizeof(err)) < 0) {
			rc = interop_fail("serve", err);
			goto out;
		}
		fwrite(got, 1, gotlen, stdout);
		if (hpke_ohttp_seal_response(&st, argv[7], strlen(argv[7]),
					     &resp, &resplen, err,
					     sizeof(err)) < 0)
			rc = interop_fail("serve", err);
		else if (write_file(argv[6], resp, resplen) < 0)
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

/* --kat-fnh2 IKMRHEX IKMEHEX CHECKSUM PLAINTEXT: one vector of
 * tests/kat/hpke/fnh2.txt, as it is written there. */
static int
kat_fnh2_make(int argc, char **argv)
{
	unsigned char skR[HPKE_NSK], pkR[HPKE_NPK], skE[HPKE_NSK];
	unsigned char pkE[HPKE_NPK];
	struct bytes ikmR, ikmE;
	char hex[HEX_MAX * 2 + 1], err[256], *text;
	size_t len;

	if (argc != 6 || unhex(argv[2], &ikmR) < 0 || unhex(argv[3], &ikmE) < 0)
		return interop_fail("kat", "usage: IKMR IKME CHECKSUM TEXT");
	if (hpke_derive_keypair(ikmR.b, ikmR.n, skR, pkR, err, sizeof(err)) <
		    0 ||
	    hpke_derive_keypair(ikmE.b, ikmE.n, skE, pkE, err, sizeof(err)) <
		    0 ||
	    hpke_encrypt_text(pkR, argv[4], skE, argv[5], strlen(argv[5]),
			      &text, &len, err, sizeof(err)) < 0)
		return interop_fail("kat", err);
	printf("ikmR: %s\n", argv[2]);
	hex_of(skR, HPKE_NSK, hex);
	printf("skR: %s\n", hex);
	hex_of(pkR, HPKE_NPK, hex);
	printf("pkR: %s\n", hex);
	printf("ikmE: %s\n", argv[3]);
	hex_of(skE, HPKE_NSK, hex);
	printf("skE: %s\n", hex);
	hex_of(pkE, HPKE_NPK, hex);
	printf("pkE: %s\n", hex);
	printf("checksum: %s\nplaintext: %s\ntext: %s\n", argv[4], argv[5],
	       text);
	free(text);
	return 0;
}

/* A sealed secret opens for its name and key on its host only: the info
 * binds both (and its 0x00 separators, so "ab"+"c" is not "a"+"bc"), and
 * a flipped byte or a short text does not open. */
static void
test_secret_binding(void **state)
{
	unsigned char sk[HPKE_NSK], pk[HPKE_NPK], sk2[HPKE_NSK], pk2[HPKE_NPK];
	unsigned char *sealed = NULL, *pt = NULL, big[HPKE_SECRET_MAX + 1];
	size_t len, ptlen;
	char err[256];

	(void)state;
	assert_int_equal(hpke_keygen(sk, pk, NULL, 0), 0);
	assert_int_equal(hpke_keygen(sk2, pk2, NULL, 0), 0);
	assert_int_equal(hpke_seal_secret(pk, "ab", "c", NULL, "hush", 4,
					  &sealed, &len, NULL, 0),
			 0);
	assert_int_equal(len, HPKE_NENC + 4 + HPKE_NT);
	assert_int_equal(hpke_open_secret(sk, "ab", "c", sealed, len, &pt,
					  &ptlen, NULL, 0),
			 0);
	assert_int_equal(ptlen, 4);
	assert_memory_equal(pt, "hush", 4);
	hpke_free(pt, ptlen);
	assert_int_equal(hpke_open_secret(sk, "a", "bc", sealed, len, &pt,
					  &ptlen, err, sizeof(err)),
			 -ERR_INVALID);
	assert_null(pt);
	assert_string_equal(err,
			    "not sealed for a bc on this host, or altered");
	assert_int_equal(hpke_open_secret(sk, "ab", "d", sealed, len, &pt,
					  &ptlen, NULL, 0),
			 -ERR_INVALID);
	assert_int_equal(hpke_open_secret(sk2, "ab", "c", sealed, len, &pt,
					  &ptlen, NULL, 0),
			 -ERR_INVALID);
	sealed[len - 1] ^= 1;
	assert_int_equal(hpke_open_secret(sk, "ab", "c", sealed, len, &pt,
					  &ptlen, NULL, 0),
			 -ERR_INVALID);
	assert_int_equal(hpke_open_secret(sk, "ab", "c", sealed,
					  HPKE_NENC + HPKE_NT - 1, &pt, &ptlen,
					  err, sizeof(err)),
			 -ERR_INVALID);
	assert_string_equal(err, "too short");
	free(sealed);
	memset(big, 'x', sizeof(big));
	assert_int_equal(hpke_seal_secret(pk, "ab", "c", NULL, big, sizeof(big),
					  &sealed, &len, NULL, 0),
			 -ERR_INVALID);
	assert_null(sealed);
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
		cmocka_unit_test(test_text_function_binding),
		cmocka_unit_test(test_kat_fnh2),
		cmocka_unit_test(test_secret_binding),
		cmocka_unit_test(test_ohttp_roundtrip),
		cmocka_unit_test(test_ohttp_request_refusals),
		cmocka_unit_test(test_ohttp_response_refusals),
	};

	if (argc > 1 && strcmp(argv[1], "--kat-fnh2") == 0)
		return kat_fnh2_make(argc, argv);
	if (argc > 1 && strncmp(argv[1], "--interop-ohttp-", 16) == 0)
		return interop_ohttp(argc, argv);
	if (argc > 1 && strncmp(argv[1], "--interop-", 10) == 0)
		return interop_text(argc, argv);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
