/*
 * pyjson: CPython 3.11's json.loads(bytes) over struct pyv.
 *
 * Three stages, each following the CPython code it mimics:
 *  - json.detect_encoding() picks UTF-8, UTF-16 or UTF-32 from BOMs and
 *    NUL patterns;
 *  - bytes.decode(encoding, "surrogatepass") turns the bytes into code
 *    points, with the UnicodeDecodeError texts of Objects/unicodeobject.c
 *    and Objects/stringlib/codecs.h;
 *  - the C scanner of Modules/_json.c parses the code points, and errors
 *    carry the JSONDecodeError text "<msg>: line L column C (char P)" with
 *    positions counted in code points, as Python counts them.
 *
 * Nesting is bounded by PYJSON_MAX_DEPTH: CPython raises RecursionError
 * when the scanner's C recursion meets the interpreter's recursion limit
 * (1000 by default, minus the caller's own frames), so the exact depth
 * depends on the caller; 990 is what a handler a few frames deep sees.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pyfloat.h"
#include "pyjson.h"

#define PYJSON_MAX_INT_DIGITS 4300

/* ---- decoding ------------------------------------------------------------ */

enum pyjson_enc {
	PJ_UTF8,
	PJ_UTF8_SIG,
	PJ_UTF16,
	PJ_UTF16_LE,
	PJ_UTF16_BE,
	PJ_UTF32,
	PJ_UTF32_LE,
	PJ_UTF32_BE
};

/* json.detect_encoding(b). */
static enum pyjson_enc
pyjson_detect(const unsigned char *b, size_t n)
{
	if (n >= 4 && ((b[0] == 0xff && b[1] == 0xfe && !b[2] && !b[3]) ||
		       (!b[0] && !b[1] && b[2] == 0xfe && b[3] == 0xff)))
		return PJ_UTF32;
	if (n >= 2 &&
	    ((b[0] == 0xff && b[1] == 0xfe) || (b[0] == 0xfe && b[1] == 0xff)))
		return PJ_UTF16;
	if (n >= 3 && b[0] == 0xef && b[1] == 0xbb && b[2] == 0xbf)
		return PJ_UTF8_SIG;
	if (n >= 4) {
		if (!b[0])
			return b[1] ? PJ_UTF16_BE : PJ_UTF32_BE;
		if (!b[1])
			return b[2] || b[3] ? PJ_UTF16_LE : PJ_UTF32_LE;
	} else if (n == 2) {
		if (!b[0])
			return PJ_UTF16_BE;
		if (!b[1])
			return PJ_UTF16_LE;
	}
	return PJ_UTF8;
}

/* Set err to UnicodeDecodeError's str() for bytes b[start..end). */
static void
pyjson_decode_error(const unsigned char *b, const char *enc, size_t start,
		    size_t end, const char *reason, char *err, size_t errlen)
{
	if (end == start + 1)
		snprintf(err, errlen,
			 "'%s' codec can't decode byte 0x%02x in position %zu: "
			 "%s",
			 enc, b[start], start, reason);
	else
		snprintf(err, errlen,
			 "'%s' codec can't decode bytes in position %zu-%zu: "
			 "%s",
			 enc, start, end - 1, reason);
}

static int
pyjson_cont(unsigned char c)
{
	return (c & 0xc0) == 0x80;
}

/*
 * One UTF-8 sequence at b[0..avail): its code point in *cp and length in
 * *len, or an error: *len = 0 then, *reason says which, and *bad is the
 * number of bytes CPython's error covers (0 meaning "to the end").
 */
static void
pyjson_utf8_one(const unsigned char *b, size_t avail, uint32_t *cp, size_t *len,
		const char **reason, size_t *bad)
{
	unsigned char c = b[0];
	size_t need, i;

	*len = 0;
	*reason = "invalid continuation byte";
	if (c < 0x80) {
		*cp = c;
		*len = 1;
		return;
	}
	if (c < 0xc2 || c > 0xf4) {
		*reason = "invalid start byte";
		*bad = 1;
		return;
	}
	need = c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
	/* The second byte also excludes overlongs, surrogates and values
	 * above 0x10FFFF, as stringlib's decoder checks them. */
	if (avail >= 2 &&
	    (!pyjson_cont(b[1]) || (c == 0xe0 && b[1] < 0xa0) ||
	     (c == 0xed && b[1] >= 0xa0) || (c == 0xf0 && b[1] < 0x90) ||
	     (c == 0xf4 && b[1] >= 0x90))) {
		*bad = 1;
		return;
	}
	for (i = 2; i < need && i < avail; i++) {
		if (!pyjson_cont(b[i])) {
			*bad = i;
			return;
		}
	}
	if (avail < need) {
		*reason = "unexpected end of data";
		*bad = 0;
		return;
	}
	*cp = c & (0x7f >> need);
	for (i = 1; i < need; i++)
		*cp = *cp << 6 | (b[i] & 0x3f);
	*len = need;
}

/* surrogatepass: 1 with *cp set when b[0..avail) starts with the 3-byte
 * encoding of a surrogate (ED A0..BF 80..BF), else 0. */
static int
pyjson_utf8_surrogate(const unsigned char *b, size_t avail, uint32_t *cp)
{
	if (avail < 3 || b[0] != 0xed || b[1] < 0xa0 || b[1] > 0xbf ||
	    !pyjson_cont(b[2]))
		return 0;
	*cp = 0xd000 | (uint32_t)(b[1] & 0x3f) << 6 | (b[2] & 0x3f);
	return 1;
}

/* bytes.decode("utf-8", "surrogatepass") of b[0..n) into out. */
static int
pyjson_utf8(const unsigned char *b, size_t n, uint32_t *out, size_t *nout,
	    char *err, size_t errlen)
{
	const char *reason;
	size_t pos = 0, len, bad, k = 0;
	uint32_t cp;

	while (pos < n) {
		pyjson_utf8_one(b + pos, n - pos, &cp, &len, &reason, &bad);
		if (len == 0) {
			if (!pyjson_utf8_surrogate(b + pos, n - pos, &cp)) {
				pyjson_decode_error(b, "utf-8", pos,
						    bad ? pos + bad : n, reason,
						    err, errlen);
				return -1;
			}
			len = 3;
		}
		out[k++] = cp;
		pos += len;
	}
	*nout = k;
	return 0;
}

/* bytes.decode("utf-16-le"/"-be", "surrogatepass") of b[start..n);
 * positions in errors count from b[0], as CPython's do. */
static int
pyjson_utf16(const unsigned char *b, size_t n, size_t start, int be,
	     uint32_t *out, size_t *nout, char *err, size_t errlen)
{
	size_t pos = start, k = 0;
	uint32_t u, u2;

	while (pos < n) {
		if (n - pos < 2) {
			pyjson_decode_error(b, be ? "utf-16-be" : "utf-16-le",
					    pos, n, "truncated data", err,
					    errlen);
			return -1;
		}
		u = be ? (uint32_t)b[pos] << 8 | b[pos + 1]
		       : (uint32_t)b[pos + 1] << 8 | b[pos];
		pos += 2;
		if (u >= 0xd800 && u <= 0xdbff && n - pos >= 2) {
			u2 = be ? (uint32_t)b[pos] << 8 | b[pos + 1]
				: (uint32_t)b[pos + 1] << 8 | b[pos];
			if (u2 >= 0xdc00 && u2 <= 0xdfff) {
				u = 0x10000 + ((u - 0xd800) << 10) +
				    (u2 - 0xdc00);
				pos += 2;
			}
		}
		/* Any other surrogate unit passes through (surrogatepass). */
		out[k++] = u;
	}
	*nout = k;
	return 0;
}

/* bytes.decode("utf-32-le"/"-be", "surrogatepass") of b[start..n). */
static int
pyjson_utf32(const unsigned char *b, size_t n, size_t start, int be,
	     uint32_t *out, size_t *nout, char *err, size_t errlen)
{
	const char *enc = be ? "utf-32-be" : "utf-32-le";
	size_t pos = start, k = 0;
	uint32_t u;

	while (pos < n) {
		if (n - pos < 4) {
			pyjson_decode_error(b, enc, pos, n, "truncated data",
					    err, errlen);
			return -1;
		}
		u = be ? (uint32_t)b[pos] << 24 | (uint32_t)b[pos + 1] << 16 |
				    (uint32_t)b[pos + 2] << 8 | b[pos + 3]
		       : (uint32_t)b[pos + 3] << 24 |
				    (uint32_t)b[pos + 2] << 16 |
				    (uint32_t)b[pos + 1] << 8 | b[pos];
		if (u > 0x10ffff) {
			pyjson_decode_error(b, enc, pos, pos + 4,
					    "code point not in range(0x110000)",
					    err, errlen);
			return -1;
		}
		out[k++] = u;
		pos += 4;
	}
	*nout = k;
	return 0;
}

/* json.loads()'s s.decode(detect_encoding(s), "surrogatepass"). */
static int
pyjson_decode(const unsigned char *b, size_t n, uint32_t *out, size_t *nout,
	      char *err, size_t errlen)
{
	switch (pyjson_detect(b, n)) {
	case PJ_UTF8_SIG:
		/* utf_8_sig strips the BOM, then decodes the rest: error
		 * positions count from after the BOM. */
		return pyjson_utf8(b + 3, n - 3, out, nout, err, errlen);
	case PJ_UTF16:
		return pyjson_utf16(b, n, 2, b[0] == 0xfe, out, nout, err,
				    errlen);
	case PJ_UTF16_LE:
		return pyjson_utf16(b, n, 0, 0, out, nout, err, errlen);
	case PJ_UTF16_BE:
		return pyjson_utf16(b, n, 0, 1, out, nout, err, errlen);
	case PJ_UTF32:
		return pyjson_utf32(b, n, 4, b[0] == 0, out, nout, err, errlen);
	case PJ_UTF32_LE:
		return pyjson_utf32(b, n, 0, 0, out, nout, err, errlen);
	case PJ_UTF32_BE:
		return pyjson_utf32(b, n, 0, 1, out, nout, err, errlen);
	default:
		return pyjson_utf8(b, n, out, nout, err, errlen);
	}
}

/* ---- scanning ------------------------------------------------------------ */

struct pyjson_parser {
	const uint32_t *s;
	size_t n;
	int depth, max_depth;
	char *err;
	size_t errlen;
};

/* JSONDecodeError(msg, doc, pos): "msg: line L column C (char P)". */
static struct pyv *
pyjson_error(struct pyjson_parser *p, const char *msg, size_t pos)
{
	size_t i, line = 1, col = pos + 1;

	for (i = 0; i < pos && i < p->n; i++) {
		if (p->s[i] == '\n') {
			line++;
			col = pos - i;
		}
	}
	snprintf(p->err, p->errlen, "%s: line %zu column %zu (char %zu)", msg,
		 line, col, pos);
	return NULL;
}

static struct pyv *
pyjson_nomem(struct pyjson_parser *p)
{
	snprintf(p->err, p->errlen, "out of memory");
	return NULL;
}

static int
pyjson_ws(uint32_t c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static size_t
pyjson_skip(const struct pyjson_parser *p, size_t i)
{
	while (i < p->n && pyjson_ws(p->s[i]))
		i++;
	return i;
}

/* A growable code point buffer for string contents. */
struct pyjson_buf {
	uint32_t *cp;
	size_t len, cap;
};

static int
pyjson_buf_put(struct pyjson_buf *b, uint32_t c)
{
	uint32_t *n;
	size_t cap;

	if (b->len == b->cap) {
		cap = b->cap ? b->cap * 2 : 32;
		if (cap > SIZE_MAX / sizeof(*n) ||
		    (n = realloc(b->cp, cap * sizeof(*n))) == NULL)
			return -1;
		b->cp = n;
		b->cap = cap;
	}
	b->cp[b->len++] = c;
	return 0;
}

/* The value of four hex digits at s[i..i+4), or -1. */
static long
pyjson_hex4(const uint32_t *s, size_t i)
{
	long v = 0;
	size_t k;
	uint32_t c;

	for (k = 0; k < 4; k++) {
		c = s[i + k];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

/*
 * Decode one escape; s[*i] is the character after the backslash.  Puts the
 * code point in *c and advances *i past the escape, or returns the error.
 */
static const char *
pyjson_escape(const struct pyjson_parser *p, size_t *i, uint32_t *c,
	      size_t *errpos)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *hit;
	size_t end;
	long v, v2;

	if (p->s[*i] != 'u') {
		hit = p->s[*i] < 0x80 && p->s[*i] != 0
			      ? strchr(from, (int)p->s[*i])
			      : NULL;
		if (hit == NULL) {
			*errpos = *i - 1;
			return "Invalid \\escape";
		}
		*c = (unsigned char)to[hit - from];
		(*i)++;
		return NULL;
	}
	/* _json.c wants a character after the four digits (the quote). */
	end = *i + 5;
	if (end >= p->n || (v = pyjson_hex4(p->s, *i + 1)) < 0) {
		*errpos = *i; /* _json.c points at the 'u' */
		return "Invalid \\uXXXX escape";
	}
	*i = end;
	/* A high surrogate joins a following \u low surrogate. */
	if (v >= 0xd800 && v <= 0xdbff && end + 6 < p->n && p->s[end] == '\\' &&
	    p->s[end + 1] == 'u') {
		if ((v2 = pyjson_hex4(p->s, end + 2)) < 0) {
			*errpos = end + 1;
			return "Invalid \\uXXXX escape";
		}
		if (v2 >= 0xdc00 && v2 <= 0xdfff) {
			v = 0x10000 + ((v - 0xd800) << 10) + (v2 - 0xdc00);
			*i = end + 6;
		}
	}
	*c = (uint32_t)v;
	return NULL;
}

/* scanstring: s[i] is just after the opening quote. */
static struct pyv *
pyjson_string(struct pyjson_parser *p, size_t i, size_t *next)
{
	struct pyjson_buf b = { NULL, 0, 0 };
	struct pyv *v = NULL;
	const char *msg;
	size_t begin = i - 1, errpos;
	uint32_t c;

	for (;;) {
		if (i >= p->n) {
			pyjson_error(p, "Unterminated string starting at",
				     begin);
			goto out;
		}
		c = p->s[i];
		if (c == '"')
			break;
		if (c == '\\') {
			if (++i >= p->n) {
				pyjson_error(p,
					     "Unterminated string starting at",
					     begin);
				goto out;
			}
			if ((msg = pyjson_escape(p, &i, &c, &errpos)) != NULL) {
				pyjson_error(p, msg, errpos);
				goto out;
			}
		} else if (c <= 0x1f) {
			pyjson_error(p, "Invalid control character at", i);
			goto out;
		} else {
			i++;
		}
		if (pyjson_buf_put(&b, c) != 0) {
			pyjson_nomem(p);
			goto out;
		}
	}
	if ((v = pyv_new_str(b.cp, b.len)) == NULL) {
		pyjson_nomem(p);
		goto out;
	}
	*next = i + 1;
out:
	free(b.cp);
	return v;
}

static int
pyjson_digit(const struct pyjson_parser *p, size_t i)
{
	return i < p->n && p->s[i] >= '0' && p->s[i] <= '9';
}

/* _match_number_unicode: a number at s[start], or "Expecting value". */
static struct pyv *
pyjson_number(struct pyjson_parser *p, size_t start, size_t *next)
{
	size_t i = start, e, k, ndig;
	int is_float = 0, neg = 0;
	struct pyv *v;
	char *a;

	if (i < p->n && p->s[i] == '-') {
		neg = 1;
		i++;
	}
	if (pyjson_digit(p, i) && p->s[i] != '0') {
		while (pyjson_digit(p, i))
			i++;
	} else if (pyjson_digit(p, i)) {
		i++;
	} else {
		return pyjson_error(p, "Expecting value", start);
	}
	ndig = i - start - (size_t)neg;
	if (i + 1 < p->n && p->s[i] == '.' && pyjson_digit(p, i + 1)) {
		is_float = 1;
		for (i += 2; pyjson_digit(p, i);)
			i++;
	}
	if (i + 1 < p->n && (p->s[i] == 'e' || p->s[i] == 'E')) {
		e = i++;
		if (i + 1 < p->n && (p->s[i] == '-' || p->s[i] == '+'))
			i++;
		while (pyjson_digit(p, i))
			i++;
		/* No exponent digits: back off to before the 'e'. */
		if (pyjson_digit(p, i - 1))
			is_float = 1;
		else
			i = e;
	}
	if (!is_float && ndig > PYJSON_MAX_INT_DIGITS) {
		snprintf(p->err, p->errlen,
			 "Exceeds the limit (%d digits) for integer string "
			 "conversion: value has %zu digits; use "
			 "sys.set_int_max_str_digits() to increase the limit",
			 PYJSON_MAX_INT_DIGITS, ndig);
		return NULL;
	}
	if ((a = malloc(i - start + 1)) == NULL)
		return pyjson_nomem(p);
	for (k = start; k < i; k++)
		a[k - start] = (char)p->s[k];
	a[i - start] = '\0';
	/* The text is plain ASCII in strtod's grammar: correctly rounded,
	 * overflowing to inf as PyFloat_FromString does. */
	v = is_float ? pyv_new_float(strtod(a, NULL))
		     : pyv_new_int(neg, a + neg, ndig);
	free(a);
	if (v == NULL)
		return pyjson_nomem(p);
	*next = i;
	return v;
}

/* Does s[i..] start with the ASCII word w? */
static int
pyjson_word(const struct pyjson_parser *p, size_t i, const char *w)
{
	size_t k, len = strlen(w);

	if (p->n - i < len)
		return 0;
	for (k = 0; k < len; k++)
		if (p->s[i + k] != (unsigned char)w[k])
			return 0;
	return 1;
}

static struct pyv *pyjson_value(struct pyjson_parser *p, size_t i,
				size_t *next);

/*
 * An open-addressing index from key to position in the dict being built,
 * so that duplicate keys cost O(1) instead of a scan of the dict.
 */
struct pyjson_index {
	size_t *slot; /* position + 1, 0 = empty */
	size_t cap;   /* power of two */
};

/* The keyed hash (pyvalue.h): a flood of chosen keys cannot collide. */
static size_t
pyjson_hash(const struct pyv *k)
{
	return (size_t)pyv_str_hash(k);
}

/* Grow the index to hold twice the dict's entries; 0 or -1. */
static int
pyjson_index_grow(struct pyjson_index *x, const struct pyv *dict)
{
	size_t cap = x->cap ? x->cap * 2 : 16, i, j;
	size_t *slot;

	if (cap > SIZE_MAX / sizeof(*slot) ||
	    (slot = calloc(cap, sizeof(*slot))) == NULL)
		return -1;
	for (i = 0; i < dict->u.dict.len; i++) {
		j = pyjson_hash(dict->u.dict.keys[i]) & (cap - 1);
		while (slot[j] != 0)
			j = (j + 1) & (cap - 1);
		slot[j] = i + 1;
	}
	free(x->slot);
	x->slot = slot;
	x->cap = cap;
	return 0;
}

/* dict[key] = value as PyDict_SetItem does; takes ownership; 0 or -1. */
static int
pyjson_dict_set(struct pyjson_index *x, struct pyv *dict, struct pyv *key,
		struct pyv *value)
{
	size_t j, len = dict->u.dict.len;

	if (2 * (len + 1) > x->cap && pyjson_index_grow(x, dict) != 0) {
		pyv_free(key);
		pyv_free(value);
		return -1;
	}
	j = pyjson_hash(key) & (x->cap - 1);
	for (; x->slot[j] != 0; j = (j + 1) & (x->cap - 1)) {
		if (pyv_str_equal(dict->u.dict.keys[x->slot[j] - 1], key)) {
			/* Known key: keep its place, take the new value. */
			pyv_free(dict->u.dict.values[x->slot[j] - 1]);
			dict->u.dict.values[x->slot[j] - 1] = value;
			pyv_free(key);
			return 0;
		}
	}
	if (pyv_dict_append(dict, key, value) != 0)
		return -1;
	x->slot[j] = len + 1;
	return 0;
}

/* _parse_object_unicode: s[i] is just after the '{'. */
static struct pyv *
pyjson_object(struct pyjson_parser *p, size_t i, size_t *next)
{
	struct pyjson_index x = { NULL, 0 };
	struct pyv *d, *key, *val, *ret = NULL;

	if ((d = pyv_new_dict()) == NULL)
		return pyjson_nomem(p);
	i = pyjson_skip(p, i);
	if (i >= p->n || p->s[i] != '}') {
		for (;;) {
			if (i >= p->n || p->s[i] != '"') {
				pyjson_error(p,
					     "Expecting property name enclosed "
					     "in double quotes",
					     i);
				goto out;
			}
			if ((key = pyjson_string(p, i + 1, &i)) == NULL)
				goto out;
			i = pyjson_skip(p, i);
			if (i >= p->n || p->s[i] != ':') {
				pyv_free(key);
				pyjson_error(p, "Expecting ':' delimiter", i);
				goto out;
			}
			i = pyjson_skip(p, i + 1);
			if ((val = pyjson_value(p, i, &i)) == NULL) {
				pyv_free(key);
				goto out;
			}
			if (pyjson_dict_set(&x, d, key, val) != 0) {
				pyjson_nomem(p);
				goto out;
			}
			i = pyjson_skip(p, i);
			if (i < p->n && p->s[i] == '}')
				break;
			if (i >= p->n || p->s[i] != ',') {
				pyjson_error(p, "Expecting ',' delimiter", i);
				goto out;
			}
			i = pyjson_skip(p, i + 1);
		}
	}
	*next = i + 1;
	ret = d;
	d = NULL;
out:
	free(x.slot);
	pyv_free(d);
	return ret;
}

/* _parse_array_unicode: s[i] is just after the '['. */
static struct pyv *
pyjson_array(struct pyjson_parser *p, size_t i, size_t *next)
{
	struct pyv *l, *val;

	if ((l = pyv_new_list()) == NULL)
		return pyjson_nomem(p);
	i = pyjson_skip(p, i);
	if (i >= p->n || p->s[i] != ']') {
		for (;;) {
			if ((val = pyjson_value(p, i, &i)) == NULL)
				goto fail;
			if (pyv_list_append(l, val) != 0) {
				pyjson_nomem(p);
				goto fail;
			}
			i = pyjson_skip(p, i);
			if (i < p->n && p->s[i] == ']')
				break;
			if (i >= p->n || p->s[i] != ',') {
				pyjson_error(p, "Expecting ',' delimiter", i);
				goto fail;
			}
			i = pyjson_skip(p, i + 1);
		}
	}
	*next = i + 1;
	return l;
fail:
	pyv_free(l);
	return NULL;
}

/* A container, with the recursion bound CPython's RecursionError sets. */
static struct pyv *
pyjson_nested(struct pyjson_parser *p, size_t i, size_t *next)
{
	struct pyv *v;
	int obj = p->s[i] == '{';

	if (p->depth >= p->max_depth) {
		snprintf(p->err, p->errlen,
			 "maximum recursion depth exceeded while decoding a "
			 "JSON %s from a unicode string",
			 obj ? "object" : "array");
		return NULL;
	}
	p->depth++;
	v = obj ? pyjson_object(p, i + 1, next) : pyjson_array(p, i + 1, next);
	p->depth--;
	return v;
}

/* scan_once_unicode: any value at s[i]. */
static struct pyv *
pyjson_value(struct pyjson_parser *p, size_t i, size_t *next)
{
	static const struct {
		const char *word;
		int kind; /* 0 None, 1 True, 2 False, 3 float */
		double f;
	} consts[] = {
		{ "null", 0, 0 },
		{ "true", 1, 0 },
		{ "false", 2, 0 },
		{ "NaN", 3, __builtin_nan("") },
		{ "Infinity", 3, __builtin_inf() },
		{ "-Infinity", 3, -__builtin_inf() },
	};
	struct pyv *v;
	size_t k;

	if (i >= p->n)
		return pyjson_error(p, "Expecting value", i);
	if (p->s[i] == '"')
		return pyjson_string(p, i + 1, next);
	if (p->s[i] == '{' || p->s[i] == '[')
		return pyjson_nested(p, i, next);
	for (k = 0; k < sizeof(consts) / sizeof(*consts); k++) {
		if (!pyjson_word(p, i, consts[k].word))
			continue;
		/* The scanner makes NaN and the infinities by calling json's
		 * parse_constant, a call that takes one more recursion level:
		 * at the innermost level it is the one that fails. */
		if (consts[k].kind == 3 && p->depth >= p->max_depth) {
			snprintf(p->err, p->errlen,
				 "maximum recursion depth exceeded while "
				 "calling a Python object");
			return NULL;
		}
		v = consts[k].kind == 0	  ? pyv_new_none()
		    : consts[k].kind == 3 ? pyv_new_float(consts[k].f)
					  : pyv_new_bool(consts[k].kind == 1);
		if (v == NULL)
			return pyjson_nomem(p);
		*next = i + strlen(consts[k].word);
		return v;
	}
	return pyjson_number(p, i, next);
}

struct pyv *
pyjson_loads_depth(const void *buf, size_t len, int max_depth, char *err,
		   size_t errlen)
{
	struct pyjson_parser p;
	struct pyv *v = NULL;
	uint32_t *cp;
	size_t n, end;

	/* Every encoding makes at most one code point per byte. */
	if (len >= SIZE_MAX / sizeof(*cp) ||
	    (cp = malloc((len + 1) * sizeof(*cp))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (pyjson_decode(buf, len, cp, &n, err, errlen) != 0)
		goto out;
	p.s = cp;
	p.n = n;
	p.depth = 0;
	p.max_depth = max_depth;
	p.err = err;
	p.errlen = errlen;
	if ((v = pyjson_value(&p, pyjson_skip(&p, 0), &end)) == NULL)
		goto out;
	end = pyjson_skip(&p, end);
	if (end != n) {
		pyv_free(v);
		v = pyjson_error(&p, "Extra data", end);
	}
out:
	free(cp);
	return v;
}

struct pyv *
pyjson_loads(const void *buf, size_t len, char *err, size_t errlen)
{
	return pyjson_loads_depth(buf, len, PYJSON_MAX_DEPTH, err, errlen);
}

/* ---- dumping ------------------------------------------------------------- */

/*
 * json.dump() with indent=4 writes the text in chunks (the generator of
 * json/encoder.py's _make_iterencode), and the UTF-8 text file encodes each
 * chunk on its own: a lone surrogate fails with a UnicodeEncodeError whose
 * position counts from the start of its chunk.  chunk tracks that count.
 */
struct pyjson_out {
	char *buf;
	size_t len, cap;
	size_t chunk; /* characters since the current chunk began */
	int depth;
	char *err;
	size_t errlen;
};

static int
pyjson_put(struct pyjson_out *o, const char *s, size_t n)
{
	size_t cap;
	char *b;

	if (o->cap - o->len < n) {
		cap = o->cap ? o->cap : 256;
		while (cap - o->len < n) {
			if (cap > SIZE_MAX / 2)
				goto nomem;
			cap *= 2;
		}
		if ((b = realloc(o->buf, cap)) == NULL)
			goto nomem;
		o->buf = b;
		o->cap = cap;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	return 0;
nomem:
	snprintf(o->err, o->errlen, "out of memory");
	return -1;
}

/* Append ASCII text: as many characters as bytes. */
static int
pyjson_put_ascii(struct pyjson_out *o, const char *s)
{
	size_t n = strlen(s);

	o->chunk += n;
	return pyjson_put(o, s, n);
}

/* Start a new chunk, then append s. */
static int
pyjson_chunk(struct pyjson_out *o, const char *s)
{
	o->chunk = 0;
	return pyjson_put_ascii(o, s);
}

/* "\n" followed by 4 * level spaces, as one run of text. */
static int
pyjson_newline(struct pyjson_out *o, int level)
{
	int k;

	if (pyjson_put_ascii(o, "\n") != 0)
		return -1;
	for (k = 0; k < level; k++)
		if (pyjson_put_ascii(o, "    ") != 0)
			return -1;
	return 0;
}

/* UnicodeEncodeError for the run of surrogates starting at s[i]. */
static int
pyjson_surrogates(struct pyjson_out *o, const uint32_t *s, size_t n, size_t i)
{
	size_t run = 1;

	while (i + run < n && s[i + run] >= 0xd800 && s[i + run] <= 0xdfff)
		run++;
	if (run == 1)
		snprintf(o->err, o->errlen,
			 "'utf-8' codec can't encode character '\\u%04x' in "
			 "position %zu: surrogates not allowed",
			 (unsigned)s[i], o->chunk);
	else
		snprintf(o->err, o->errlen,
			 "'utf-8' codec can't encode characters in position "
			 "%zu-%zu: surrogates not allowed",
			 o->chunk, o->chunk + run - 1);
	return -1;
}

/* encode_basestring (ensure_ascii=False): quote, escape, UTF-8. */
static int
pyjson_put_str(struct pyjson_out *o, const struct pyv *v)
{
	const uint32_t *s = v->u.str.cp;
	size_t i, n = v->u.str.len;
	unsigned char u[4];
	char esc[8];
	uint32_t c;

	if (pyjson_put_ascii(o, "\"") != 0)
		return -1;
	for (i = 0; i < n; i++) {
		c = s[i];
		esc[0] = '\0';
		if (c == '"' || c == '\\')
			snprintf(esc, sizeof(esc), "\\%c", (char)c);
		else if (c == '\n')
			snprintf(esc, sizeof(esc), "\\n");
		else if (c == '\r')
			snprintf(esc, sizeof(esc), "\\r");
		else if (c == '\t')
			snprintf(esc, sizeof(esc), "\\t");
		else if (c == '\b')
			snprintf(esc, sizeof(esc), "\\b");
		else if (c == '\f')
			snprintf(esc, sizeof(esc), "\\f");
		else if (c < 0x20)
			snprintf(esc, sizeof(esc), "\\u%04x", (unsigned)c);
		if (esc[0] != '\0') {
			if (pyjson_put_ascii(o, esc) != 0)
				return -1;
			continue;
		}
		if (c >= 0xd800 && c <= 0xdfff)
			return pyjson_surrogates(o, s, n, i);
		if (c < 0x80) {
			u[0] = (unsigned char)c;
			if (pyjson_put(o, (char *)u, 1) != 0)
				return -1;
		} else if (c < 0x800) {
			u[0] = (unsigned char)(0xc0 | c >> 6);
			u[1] = (unsigned char)(0x80 | (c & 0x3f));
			if (pyjson_put(o, (char *)u, 2) != 0)
				return -1;
		} else if (c < 0x10000) {
			u[0] = (unsigned char)(0xe0 | c >> 12);
			u[1] = (unsigned char)(0x80 | (c >> 6 & 0x3f));
			u[2] = (unsigned char)(0x80 | (c & 0x3f));
			if (pyjson_put(o, (char *)u, 3) != 0)
				return -1;
		} else {
			u[0] = (unsigned char)(0xf0 | c >> 18);
			u[1] = (unsigned char)(0x80 | (c >> 12 & 0x3f));
			u[2] = (unsigned char)(0x80 | (c >> 6 & 0x3f));
			u[3] = (unsigned char)(0x80 | (c & 0x3f));
			if (pyjson_put(o, (char *)u, 4) != 0)
				return -1;
		}
		o->chunk++;
	}
	return pyjson_put_ascii(o, "\"");
}

/* A scalar as the encoder writes it, appended to the current chunk. */
static int
pyjson_put_scalar(struct pyjson_out *o, const struct pyv *v)
{
	char num[PYFLOAT_REPR_MAX];

	switch (v->type) {
	case PYV_NONE:
		return pyjson_put_ascii(o, "null");
	case PYV_BOOL:
		return pyjson_put_ascii(o, v->u.boolean ? "true" : "false");
	case PYV_INT:
		if (v->u.integer.neg && pyjson_put_ascii(o, "-") != 0)
			return -1;
		return pyjson_put_ascii(o, v->u.integer.digits);
	case PYV_FLOAT:
		if (v->u.f != v->u.f)
			return pyjson_put_ascii(o, "NaN");
		if (v->u.f == __builtin_inf())
			return pyjson_put_ascii(o, "Infinity");
		if (v->u.f == -__builtin_inf())
			return pyjson_put_ascii(o, "-Infinity");
		pyfloat_repr(v->u.f, num, sizeof(num));
		return pyjson_put_ascii(o, num);
	case PYV_STR:
		return pyjson_put_str(o, v);
	default:
		snprintf(o->err, o->errlen, "not a scalar");
		return -1;
	}
}

static int pyjson_put_value(struct pyjson_out *o, const struct pyv *v,
			    int level);

/* _iterencode_list with indent 4. */
static int
pyjson_put_list(struct pyjson_out *o, const struct pyv *v, int level)
{
	const struct pyv *item;
	size_t i;

	if (v->u.list.len == 0)
		return pyjson_chunk(o, "[]");
	for (i = 0; i < v->u.list.len; i++) {
		item = v->u.list.items[i];
		/* The separator and a scalar item make one chunk. */
		if (pyjson_chunk(o, i == 0 ? "[" : ",") != 0 ||
		    pyjson_newline(o, level + 1) != 0)
			return -1;
		if (item->type == PYV_LIST || item->type == PYV_DICT) {
			if (pyjson_put_value(o, item, level + 1) != 0)
				return -1;
		} else if (pyjson_put_scalar(o, item) != 0) {
			return -1;
		}
	}
	o->chunk = 0;
	if (pyjson_newline(o, level) != 0)
		return -1;
	return pyjson_chunk(o, "]");
}

/* _iterencode_dict with indent 4: every key, ": " and value is a chunk. */
static int
pyjson_put_dict(struct pyjson_out *o, const struct pyv *v, int level)
{
	const struct pyv *val;
	size_t i;

	if (v->u.dict.len == 0)
		return pyjson_chunk(o, "{}");
	if (pyjson_chunk(o, "{") != 0)
		return -1;
	for (i = 0; i < v->u.dict.len; i++) {
		val = v->u.dict.values[i];
		o->chunk = 0;
		if ((i > 0 && pyjson_put_ascii(o, ",") != 0) ||
		    pyjson_newline(o, level + 1) != 0)
			return -1;
		o->chunk = 0;
		if (pyjson_put_str(o, v->u.dict.keys[i]) != 0 ||
		    pyjson_chunk(o, ": ") != 0)
			return -1;
		o->chunk = 0;
		if (val->type == PYV_LIST || val->type == PYV_DICT) {
			if (pyjson_put_value(o, val, level + 1) != 0)
				return -1;
		} else if (pyjson_put_scalar(o, val) != 0) {
			return -1;
		}
	}
	o->chunk = 0;
	if (pyjson_newline(o, level) != 0)
		return -1;
	return pyjson_chunk(o, "}");
}

static int
pyjson_put_value(struct pyjson_out *o, const struct pyv *v, int level)
{
	int rc;

	if (v->type != PYV_LIST && v->type != PYV_DICT) {
		o->chunk = 0;
		return pyjson_put_scalar(o, v);
	}
	if (o->depth >= PYJSON_MAX_DEPTH) {
		snprintf(o->err, o->errlen,
			 "maximum recursion depth exceeded while encoding a "
			 "JSON object");
		return -1;
	}
	o->depth++;
	rc = v->type == PYV_LIST ? pyjson_put_list(o, v, level)
				 : pyjson_put_dict(o, v, level);
	o->depth--;
	return rc;
}

char *
pyjson_dump(const struct pyv *v, size_t *len, char *err, size_t errlen)
{
	struct pyjson_out o = { NULL, 0, 0, 0, 0, err, errlen };

	if (pyjson_put_value(&o, v, 0) != 0) {
		free(o.buf);
		return NULL;
	}
	*len = o.len;
	return o.buf;
}
