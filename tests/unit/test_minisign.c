/*
 * test_minisign.c: BLAKE2b, base64, and minisign keys and signatures
 * against known answers made by the real minisign (tests/kat/bundle/README)
 * and against malformed input.  Run from the top of the source tree.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/evp.h>

#include "formats/minisign.h"

#define KAT_DIR "tests/kat/bundle/"

/* Read KAT_DIR name into a malloc()ed, NUL-terminated buffer. */
static char *
kat_read(const char *name, size_t *len)
{
	char path[256], *buf;
	FILE *f;

	snprintf(path, sizeof(path), KAT_DIR "%s", name);
	f = fopen(path, "rb");
	if (f == NULL)
		fail_msg("cannot open %s (run from the source tree)", path);
	buf = malloc(65536);
	assert_non_null(buf);
	*len = fread(buf, 1, 65535, f);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

static void
hex_decode(const char *hex, unsigned char *out, size_t n)
{
	size_t i;
	unsigned v;

	assert_int_equal(strlen(hex), 2 * n);
	for (i = 0; i < n; i++) {
		assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (unsigned char)v;
	}
}

/* err must hold want, else the test fails showing both. */
static void
assert_err(const char *err, const char *want)
{
	if (strstr(err, want) == NULL)
		fail_msg("error '%s' does not mention '%s'", err, want);
}

/* ---- BLAKE2b ------------------------------------------------------------- */

static void
test_blake2b_rfc7693(void **state)
{
	/* RFC 7693, Appendix A: BLAKE2b-512("abc"). */
	static const char want[] =
		"ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1"
		"7d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923";
	unsigned char d[64], w[64];

	(void)state;
	hex_decode(want, w, 64);
	assert_int_equal(minisign_blake2b(d, 64, "abc", 3), 0);
	assert_memory_equal(d, w, 64);
}

static void
test_blake2b_vectors(void **state)
{
	unsigned char in[1000], d[64], w[64], ossl[64];
	struct minisign_blake2b s;
	char *kat, *line, *save = NULL, hex[129];
	size_t len, outlen, n, i, cut, count = 0;
	unsigned int olen;

	(void)state;
	for (i = 0; i < sizeof(in); i++)
		in[i] = (unsigned char)i;
	kat = kat_read("blake2b.txt", &len);
	for (line = strtok_r(kat, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#')
			continue;
		assert_int_equal(sscanf(line, "%zu %zu %128s", &outlen, &n,
					hex),
				 3);
		hex_decode(hex, w, outlen);
		assert_int_equal(minisign_blake2b(d, outlen, in, n), 0);
		assert_memory_equal(d, w, outlen);
		/* Fed in two pieces, at every block-relevant cut. */
		for (cut = 0; cut <= n; cut += cut < 130 ? 1 : 97) {
			assert_int_equal(minisign_blake2b_init(&s, outlen), 0);
			minisign_blake2b_update(&s, in, cut);
			minisign_blake2b_update(&s, in + cut, n - cut);
			minisign_blake2b_final(&s, d);
			assert_memory_equal(d, w, outlen);
		}
		if (outlen == 64) {
			olen = 64;
			assert_int_equal(EVP_Digest(in, n, ossl, &olen,
						    EVP_blake2b512(), NULL),
					 1);
			assert_memory_equal(ossl, w, 64);
		}
		count++;
	}
	assert_int_equal(count, 22);
	free(kat);
}

static void
test_blake2b_outlen(void **state)
{
	struct minisign_blake2b s;
	unsigned char d[64];

	(void)state;
	assert_int_equal(minisign_blake2b_init(&s, 0), -1);
	assert_int_equal(minisign_blake2b_init(&s, 65), -1);
	assert_int_equal(minisign_blake2b(d, 65, "", 0), -1);
}

/* ---- base64 -------------------------------------------------------------- */

static void
test_b64(void **state)
{
	unsigned char out[8];
	char text[16];

	(void)state;
	assert_int_equal(minisign_b64_encode(text, sizeof(text),
					     (const unsigned char *)"fooba", 5),
			 8);
	assert_string_equal(text, "Zm9vYmE="); /* RFC 4648, section 10 */
	assert_int_equal(minisign_b64_encode(text, 8,
					     (const unsigned char *)"fooba", 5),
			 -1);
	assert_int_equal(minisign_b64_decode(out, 5, "Zm9vYmE=", 8), 0);
	assert_memory_equal(out, "fooba", 5);
	assert_int_equal(minisign_b64_decode(out, 4, "Zm9vYg==", 8), 0);
	assert_memory_equal(out, "foob", 4);
	assert_int_equal(minisign_b64_decode(out, 6, "Zm9vYmFy", 8), 0);
	/* Wrong length, bad bytes, non-canonical or missing padding. */
	assert_int_equal(minisign_b64_decode(out, 4, "Zm9vYmE=", 8), -1);
	assert_int_equal(minisign_b64_decode(out, 5, "Zm9vYmF=", 8), -1);
	assert_int_equal(minisign_b64_decode(out, 4, "Zm9vYh==", 8), -1);
	assert_int_equal(minisign_b64_decode(out, 5, "Zm9vYmE", 7), -1);
	assert_int_equal(minisign_b64_decode(out, 5, "Zm9v YmE=", 9), -1);
	assert_int_equal(minisign_b64_decode(out, 5, "Zm9-YmE=", 8), -1);
	assert_int_equal(minisign_b64_decode(out, 5, "Zm=vYmE=", 8), -1);
	assert_int_equal(minisign_b64_decode(out, 0, "", 0), -1);
}

/* ---- keys ---------------------------------------------------------------- */

static void
test_pubkey_kat(void **state)
{
	struct minisign_pubkey pk;
	char err[256], id[MINISIGN_KEYID_HEX], text[256], *buf;
	size_t len;

	(void)state;
	buf = kat_read("minisign.pub", &len);
	assert_int_equal(minisign_pubkey_parse(buf, len, &pk, err, sizeof(err)),
			 0);
	minisign_keyid_hex(pk.key_id, id);
	assert_string_equal(id, "80B9BEDD8695DEF3");
	/* We write the file minisign wrote, byte for byte. */
	assert_int_equal(minisign_pubkey_format(&pk, text, sizeof(text)),
			 (int)len);
	assert_string_equal(text, buf);
	/* The last newline is optional. */
	assert_int_equal(minisign_pubkey_parse(buf, len - 1, &pk, err,
					       sizeof(err)),
			 0);
	free(buf);
}

/* Re-encode a key or signature line with one byte of its blob changed. */
static void
blob_patch(char *line, size_t blob_len, size_t at, unsigned char v)
{
	unsigned char blob[256];
	char b64[400];
	size_t n = strcspn(line, "\n");

	assert_int_equal(minisign_b64_decode(blob, blob_len, line, n), 0);
	blob[at] = v;
	assert_int_equal(minisign_b64_encode(b64, sizeof(b64), blob, blob_len),
			 (int)n);
	memcpy(line, b64, n);
}

static void
test_pubkey_bad(void **state)
{
	struct minisign_pubkey pk;
	char err[256], *buf, *line2;
	size_t len;

	(void)state;
	buf = kat_read("minisign.pub", &len);
	line2 = strchr(buf, '\n') + 1;

	assert_int_equal(minisign_pubkey_parse(line2, strlen(line2), &pk, err,
					       sizeof(err)),
			 -ERR_INVALID);
	assert_err(err, "line 1 does not start with");
	assert_int_equal(minisign_pubkey_parse(buf, 20, &pk, err, sizeof(err)),
			 -ERR_INVALID);
	assert_err(err, "line 2 is missing");

	line2[5] = '!';
	assert_int_equal(minisign_pubkey_parse(buf, len, &pk, err, sizeof(err)),
			 -ERR_INVALID);
	assert_err(err, "line 2 is not base64 of 42 bytes");
	free(buf);

	buf = kat_read("minisign.pub", &len);
	line2 = strchr(buf, '\n') + 1;
	memmove(line2 + 4, line2 + 8, strlen(line2 + 8) + 1); /* short */
	assert_int_equal(minisign_pubkey_parse(buf, strlen(buf), &pk, err,
					       sizeof(err)),
			 -ERR_INVALID);
	assert_err(err, "not base64 of 42 bytes");
	free(buf);

	buf = kat_read("minisign.pub", &len);
	line2 = strchr(buf, '\n') + 1;
	blob_patch(line2, 42, 1, 'D'); /* "ED": not a key algorithm */
	assert_int_equal(minisign_pubkey_parse(buf, len, &pk, err, sizeof(err)),
			 -ERR_INVALID);
	assert_err(err, "unsupported signature algorithm");
	free(buf);

	buf = kat_read("minisign.pub", &len);
	assert_int_equal(minisign_pubkey_parse(buf, len + 0, &pk, err,
					       sizeof(err)),
			 0);
	buf[len] = 'x';
	assert_int_equal(minisign_pubkey_parse(buf, len + 1, &pk, err,
					       sizeof(err)),
			 -ERR_INVALID);
	assert_err(err, "unexpected data after line 2");
	free(buf);
}

static void
test_seckey_kat(void **state)
{
	struct minisign_pubkey pk, want;
	struct minisign_seckey sk;
	char err[256], *buf;
	size_t len;

	(void)state;
	buf = kat_read("minisign.pub", &len);
	assert_int_equal(minisign_pubkey_parse(buf, len, &want, err,
					       sizeof(err)),
			 0);
	free(buf);
	/* minisign 0.11 -W: unencrypted, checksum all zero. */
	buf = kat_read("minisign.key", &len);
	assert_int_equal(minisign_seckey_parse(buf, len, NULL, &sk, err,
					       sizeof(err)),
			 0);
	minisign_seckey_public(&sk, &pk);
	assert_memory_equal(&pk, &want, sizeof(pk));
	minisign_seckey_clear(&sk);
	free(buf);
}

/* Format sk with password at scrypt limits cheap enough for a test
 * (N = 2^10, r = 8, p = 1), then parse it back. */
static void
test_seckey_roundtrip(void **state)
{
	struct minisign_seckey sk, back;
	char err[256], *text;
	size_t len;

	(void)state;
	assert_int_equal(minisign_keygen(&sk, err, sizeof(err)), 0);

	assert_int_equal(minisign_seckey_format(&sk, NULL, 0, 0, &text, &len,
						err, sizeof(err)),
			 0);
	assert_int_equal(minisign_seckey_parse(text, len, NULL, &back, err,
					       sizeof(err)),
			 0);
	assert_memory_equal(&sk, &back, sizeof(sk));
	free(text);

	assert_int_equal(minisign_seckey_format(&sk, "pw", 32768, 1 << 24,
						&text, &len, err, sizeof(err)),
			 0);
	assert_int_equal(minisign_seckey_parse(text, len, "pw", &back, err,
					       sizeof(err)),
			 0);
	assert_memory_equal(&sk, &back, sizeof(sk));
	assert_int_equal(minisign_seckey_parse(text, len, "pW", &back, err,
					       sizeof(err)),
			 -ERR_INVALID);
	assert_err(err, "wrong password");
	assert_int_equal(minisign_seckey_parse(text, len, NULL, &back, err,
					       sizeof(err)),
			 -ERR_INVALID);
	assert_err(err, "is encrypted");
	free(text);

	/* A hostile key file asking for more scrypt than we allow. */
	assert_int_equal(minisign_seckey_format(&sk, "pw", 32768,
						MINISIGN_MEMLIMIT_MAX * 2,
						&text, &len, err, sizeof(err)),
			 -ERR_INVALID);
	assert_err(err, "beyond what fnhost accepts");
	minisign_seckey_clear(&sk);
	minisign_seckey_clear(&back);
}

static void
test_seckey_bad(void **state)
{
	struct minisign_seckey sk;
	char err[256], *buf, *line2;
	size_t len;

	(void)state;
	/* A wrong, non-zero checksum on an unencrypted key. */
	buf = kat_read("minisign.key", &len);
	line2 = strchr(buf, '\n') + 1;
	blob_patch(line2, 158, 157, 1);
	assert_int_equal(minisign_seckey_parse(buf, len, NULL, &sk, err,
					       sizeof(err)),
			 -ERR_INVALID);
	assert_err(err, "checksum does not match");
	free(buf);

	/* The public half changed: it no longer matches the seed. */
	buf = kat_read("minisign.key", &len);
	line2 = strchr(buf, '\n') + 1;
	blob_patch(line2, 158, 54 + 8 + 32, 0x55);
	assert_int_equal(minisign_seckey_parse(buf, len, NULL, &sk, err,
					       sizeof(err)),
			 -ERR_INVALID);
	assert_err(err, "public half does not match");
	free(buf);

	buf = kat_read("minisign.key", &len);
	line2 = strchr(buf, '\n') + 1;
	blob_patch(line2, 158, 2, 'X');
	assert_int_equal(minisign_seckey_parse(buf, len, NULL, &sk, err,
					       sizeof(err)),
			 -ERR_INVALID);
	assert_err(err, "unsupported key derivation");
	free(buf);

	buf = kat_read("minisign.key", &len);
	line2 = strchr(buf, '\n') + 1;
	blob_patch(line2, 158, 4, 'X');
	assert_int_equal(minisign_seckey_parse(buf, len, NULL, &sk, err,
					       sizeof(err)),
			 -ERR_INVALID);
	assert_err(err, "unsupported checksum");
	free(buf);

	buf = kat_read("minisign.key", &len);
	assert_int_equal(minisign_seckey_parse(buf, len - 10, NULL, &sk, err,
					       sizeof(err)),
			 -ERR_INVALID);
	assert_err(err, "not base64 of 158 bytes");
	free(buf);
}

/* ---- signatures ---------------------------------------------------------- */

struct kat {
	struct minisign_pubkey pk;
	struct minisign_seckey sk;
	char *manifest, *sig;
	size_t mlen, slen;
};

static int
kat_setup(void **state)
{
	struct kat *k = calloc(1, sizeof(*k));
	char err[256], *buf;
	size_t len;

	assert_non_null(k);
	buf = kat_read("minisign.pub", &len);
	assert_int_equal(minisign_pubkey_parse(buf, len, &k->pk, err,
					       sizeof(err)),
			 0);
	free(buf);
	buf = kat_read("minisign.key", &len);
	assert_int_equal(minisign_seckey_parse(buf, len, NULL, &k->sk, err,
					       sizeof(err)),
			 0);
	free(buf);
	k->manifest = kat_read("tiny/MANIFEST", &k->mlen);
	k->sig = kat_read("tiny/MANIFEST.minisig", &k->slen);
	*state = k;
	return 0;
}

static int
kat_teardown(void **state)
{
	struct kat *k = *state;

	free(k->manifest);
	free(k->sig);
	free(k);
	return 0;
}

/* Parse text as a signature and verify it over the KAT MANIFEST; returns
 * what minisign_verify() returns, -2 if the parse failed. */
static int
sig_check(const struct kat *k, const char *text, size_t len, const char *msg,
	  size_t mlen, char *err, size_t errlen)
{
	struct minisign_sig sig;

	if (minisign_sig_parse(text, len, &sig, err, errlen) < 0)
		return -2;
	return minisign_verify(&k->pk, 1, &sig, msg, mlen, NULL, err, errlen);
}

static void
test_sig_kat(void **state)
{
	struct kat *k = *state;
	struct minisign_sig sig;
	char err[256];
	size_t which = 9;

	assert_int_equal(minisign_sig_parse(k->sig, k->slen, &sig, err,
					    sizeof(err)),
			 0);
	assert_string_equal(sig.trusted_comment,
			    "name=tiny version=1.0 "
			    "abi=1 sha256=ad7d0cb84fab1fc62293d922d953cb64"
			    "f42ef923508f63fb6440d4406b0c827c");
	assert_int_equal(minisign_verify(&k->pk, 1, &sig, k->manifest, k->mlen,
					 &which, err, sizeof(err)),
			 0);
	assert_int_equal(which, 0);
}

/* Line n (1-based) of text, without its newline, into out. */
static void
line_of(const char *text, int n, char *out, size_t outlen)
{
	const char *p = text;
	size_t len;

	while (--n > 0)
		p = strchr(p, '\n') + 1;
	len = strcspn(p, "\n");
	assert_true(len < outlen);
	memcpy(out, p, len);
	out[len] = '\0';
}

static void
test_sign_matches_minisign(void **state)
{
	struct kat *k = *state;
	struct minisign_sig sig;
	char err[256], *out, mine[256], theirs[256];
	size_t len;
	int i;

	assert_int_equal(minisign_sig_parse(k->sig, k->slen, &sig, err,
					    sizeof(err)),
			 0);
	assert_int_equal(minisign_sign(&k->sk, k->manifest, k->mlen,
				       sig.trusted_comment, &out, &len, err,
				       sizeof(err)),
			 0);
	assert_int_equal(strlen(out), len);
	/* Deterministic Ed25519: all but the untrusted comment agree. */
	for (i = 2; i <= 4; i++) {
		line_of(out, i, mine, sizeof(mine));
		line_of(k->sig, i, theirs, sizeof(theirs));
		assert_string_equal(mine, theirs);
	}
	assert_int_equal(sig_check(k, out, len, k->manifest, k->mlen, err,
				   sizeof(err)),
			 0);
	free(out);
}

/* Copy of the KAT signature with line n replaced by repl. */
static char *
sig_with_line(const struct kat *k, int n, const char *repl)
{
	char *out = malloc(k->slen + strlen(repl) + 1), line[1024];
	size_t o = 0;
	int i;

	assert_non_null(out);
	for (i = 1; i <= 4; i++) {
		if (i == n)
			snprintf(line, sizeof(line), "%s", repl);
		else
			line_of(k->sig, i, line, sizeof(line));
		o += (size_t)sprintf(out + o, "%s\n", line);
	}
	return out;
}

static void
test_sig_bad(void **state)
{
	struct kat *k = *state;
	char err[256], line[1024], *s;
	struct minisign_pubkey other;
	struct minisign_seckey osk;
	struct minisign_sig sig;
	size_t len;

	/* The message changed. */
	k->manifest[0] ^= 1;
	assert_int_equal(sig_check(k, k->sig, k->slen, k->manifest, k->mlen,
				   err, sizeof(err)),
			 -ERR_INVALID);
	assert_err(err, "signature verification failed");
	k->manifest[0] ^= 1;

	/* Tampered trusted comment. */
	s = sig_with_line(k, 3,
			  "trusted comment: name=tiny version=1.1 abi=1 "
			  "sha256=ad7d0cb84fab1fc62293d922d953cb64f42ef923"
			  "508f63fb6440d4406b0c827c");
	assert_int_equal(sig_check(k, s, strlen(s), k->manifest, k->mlen, err,
				   sizeof(err)),
			 -ERR_INVALID);
	assert_err(err, "trusted comment signature verification failed");
	free(s);

	/* Tampered global signature. */
	line_of(k->sig, 4, line, sizeof(line));
	blob_patch(line, 64, 10, 0);
	s = sig_with_line(k, 4, line);
	assert_int_equal(sig_check(k, s, strlen(s), k->manifest, k->mlen, err,
				   sizeof(err)),
			 -ERR_INVALID);
	assert_err(err, "trusted comment signature verification failed");
	free(s);

	/* Tampered signature. */
	line_of(k->sig, 2, line, sizeof(line));
	blob_patch(line, 74, 20, 0);
	s = sig_with_line(k, 2, line);
	assert_int_equal(sig_check(k, s, strlen(s), k->manifest, k->mlen, err,
				   sizeof(err)),
			 -ERR_INVALID);
	assert_err(err, "signature verification failed");
	free(s);

	/* Legacy and unknown algorithms. */
	line_of(k->sig, 2, line, sizeof(line));
	blob_patch(line, 74, 1, 'd');
	s = sig_with_line(k, 2, line);
	assert_int_equal(sig_check(k, s, strlen(s), k->manifest, k->mlen, err,
				   sizeof(err)),
			 -2);
	assert_err(err, "legacy non-prehashed signature");
	free(s);
	blob_patch(line, 74, 0, 'X');
	s = sig_with_line(k, 2, line);
	assert_int_equal(sig_check(k, s, strlen(s), k->manifest, k->mlen, err,
				   sizeof(err)),
			 -2);
	assert_err(err, "unsupported signature algorithm");
	free(s);

	/* Bad base64, and a blob of the wrong length. */
	s = sig_with_line(k, 2, "RUTz3pWG3b65gB5Raq0x$8C7AB4m");
	assert_int_equal(sig_check(k, s, strlen(s), k->manifest, k->mlen, err,
				   sizeof(err)),
			 -2);
	assert_err(err, "line 2 is not base64 of 74 bytes");
	free(s);
	s = sig_with_line(k, 4, "AAAA");
	assert_int_equal(sig_check(k, s, strlen(s), k->manifest, k->mlen, err,
				   sizeof(err)),
			 -2);
	assert_err(err, "line 4 is not base64 of 64 bytes");
	free(s);

	/* Line prefixes, a missing line, trailing data, a NUL byte. */
	s = sig_with_line(k, 3, "trusted: x");
	assert_int_equal(sig_check(k, s, strlen(s), k->manifest, k->mlen, err,
				   sizeof(err)),
			 -2);
	assert_err(err, "line 3 does not start with 'trusted comment: '");
	free(s);
	s = sig_with_line(k, 1, "comment: x");
	assert_int_equal(sig_check(k, s, strlen(s), k->manifest, k->mlen, err,
				   sizeof(err)),
			 -2);
	assert_err(err, "line 1 does not start with");
	free(s);
	assert_int_equal(minisign_sig_parse(k->sig, k->slen - 90, &sig, err,
					    sizeof(err)),
			 -ERR_INVALID);
	assert_err(err, "line 4 is missing");
	s = sig_with_line(k, 4,
			  "EAtzEe8+F86Lak8VKukxf2RndpBWJrzHXfzAdjHAfFZ/"
			  "Uj4/LveslXDDyAM7iFAcuhFLl/9vLrPkXxlMvNVdAw==\nx");
	assert_int_equal(minisign_sig_parse(s, strlen(s), &sig, err,
					    sizeof(err)),
			 -ERR_INVALID);
	assert_err(err, "unexpected data after line 4");
	free(s);
	s = sig_with_line(k, 3, "trusted comment: a\tb");
	len = strlen(s);
	assert_int_equal(minisign_sig_parse(s, len, &sig, err, sizeof(err)), 0);
	s[len - 3] = '\0';
	assert_int_equal(minisign_sig_parse(s, len, &sig, err, sizeof(err)),
			 -ERR_INVALID);
	assert_err(err, "line 4 holds a NUL byte");
	free(s);
	s = sig_with_line(k, 3, "trusted comment: a\033b");
	assert_int_equal(minisign_sig_parse(s, strlen(s), &sig, err,
					    sizeof(err)),
			 -ERR_INVALID);
	assert_err(err, "control byte 0x1b");
	free(s);

	/* Signed by a key we do not trust. */
	assert_int_equal(minisign_keygen(&osk, err, sizeof(err)), 0);
	minisign_seckey_public(&osk, &other);
	assert_int_equal(minisign_sig_parse(k->sig, k->slen, &sig, err,
					    sizeof(err)),
			 0);
	assert_int_equal(minisign_verify(&other, 1, &sig, k->manifest, k->mlen,
					 NULL, err, sizeof(err)),
			 -ERR_UNTRUSTED);
	assert_err(err, "signature was made by key 80B9BEDD8695DEF3, not a "
			"trusted key");
	/* A key with the right id but the wrong public key. */
	memcpy(other.key_id, k->pk.key_id, sizeof(other.key_id));
	assert_int_equal(minisign_verify(&other, 1, &sig, k->manifest, k->mlen,
					 NULL, err, sizeof(err)),
			 -ERR_INVALID);
	assert_err(err, "signature verification failed");
	minisign_seckey_clear(&osk);
}

static void
test_sign_bad_comment(void **state)
{
	struct kat *k = *state;
	char err[256], *out, big[MINISIGN_TRUSTED_COMMENT_MAX + 2];

	assert_int_equal(minisign_sign(&k->sk, "x", 1, "a\nb", &out, NULL, err,
				       sizeof(err)),
			 -ERR_INVALID);
	assert_err(err, "control byte 0x0a");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(minisign_sign(&k->sk, "x", 1, big, &out, NULL, err,
				       sizeof(err)),
			 -ERR_INVALID);
	assert_err(err, "longer than");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blake2b_rfc7693),
		cmocka_unit_test(test_blake2b_vectors),
		cmocka_unit_test(test_blake2b_outlen),
		cmocka_unit_test(test_b64),
		cmocka_unit_test(test_pubkey_kat),
		cmocka_unit_test(test_pubkey_bad),
		cmocka_unit_test(test_seckey_kat),
		cmocka_unit_test(test_seckey_roundtrip),
		cmocka_unit_test(test_seckey_bad),
		cmocka_unit_test_setup_teardown(test_sig_kat, kat_setup,
						kat_teardown),
		cmocka_unit_test_setup_teardown(test_sign_matches_minisign,
						kat_setup, kat_teardown),
		cmocka_unit_test_setup_teardown(test_sig_bad, kat_setup,
						kat_teardown),
		cmocka_unit_test_setup_teardown(test_sign_bad_comment,
						kat_setup, kat_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
