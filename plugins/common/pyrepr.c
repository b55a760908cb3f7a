/*
 * pyrepr: str(), repr(), str.encode("utf-8") and json.dumps(str) as
 * CPython 3.11 does them (Objects/unicodeobject.c unicode_repr, the utf-8
 * encoder's surrogate handling and UnicodeEncodeError.__str__,
 * Modules/_json.c ascii_escape_unichar), for json values.
 */
#include "pyrepr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pyfloat.h"
#include "unicode_printable.h"

/* sys.get_int_max_str_digits() by default since 3.11 (and 3.10.7). */
#define INT_MAX_STR_DIGITS 4300

static const char hexdigits[] = "0123456789abcdef";

void
pyrepr_buf_free(struct pyrepr_buf *b)
{
	free(b->cp);
	b->cp = NULL;
	b->len = 0;
	b->cap = 0;
}

/* Make room for n more code points.  0 or -1 (out of memory). */
static int
buf_reserve(struct pyrepr_buf *b, size_t n)
{
	size_t cap;
	uint32_t *p;

	if (n <= b->cap - b->len)
		return 0;
	if (n > SIZE_MAX / sizeof(*p) / 2 - b->len)
		return -1;
	cap = b->cap ? b->cap : 64;
	while (cap - b->len < n)
		cap *= 2;
	p = realloc(b->cp, cap * sizeof(*p));
	if (p == NULL)
		return -1;
	b->cp = p;
	b->cap = cap;
	return 0;
}

static int
buf_put(struct pyrepr_buf *b, uint32_t c)
{
	if (buf_reserve(b, 1) < 0)
		return -1;
	b->cp[b->len++] = c;
	return 0;
}

/* Append ASCII text s[0..n). */
static int
buf_ascii(struct pyrepr_buf *b, const char *s, size_t n)
{
	size_t i;

	if (buf_reserve(b, n) < 0)
		return -1;
	for (i = 0; i < n; i++)
		b->cp[b->len++] = (unsigned char)s[i];
	return 0;
}

static int
buf_cstr(struct pyrepr_buf *b, const char *s)
{
	return buf_ascii(b, s, strlen(s));
}

/* Append a backslash, the letter and ndig lower-case hex digits of c. */
static int
buf_hex_escape(struct pyrepr_buf *b, char letter, uint32_t c, int ndig)
{
	char tmp[12];
	int i;

	tmp[0] = '\\';
	tmp[1] = letter;
	for (i = 0; i < ndig; i++)
		tmp[2 + i] = hexdigits[(c >> (4 * (ndig - 1 - i))) & 0xf];
	return buf_ascii(b, tmp, (size_t)ndig + 2);
}

static int
oom(char *err, size_t errlen)
{
	if (errlen > 0)
		snprintf(err, errlen, "out of memory");
	return -1;
}

static int
repr_int(const struct pyv *v, struct pyrepr_buf *out, char *err, size_t errlen)
{
	if (v->u.integer.ndigits > INT_MAX_STR_DIGITS) {
		if (errlen > 0)
			snprintf(err, errlen,
				 "Exceeds the limit (%d digits) for integer "
				 "string conversion; use "
				 "sys.set_int_max_str_digits() to increase "
				 "the limit",
				 INT_MAX_STR_DIGITS);
		return -1;
	}
	if ((v->u.integer.neg && buf_put(out, '-') < 0) ||
	    buf_ascii(out, v->u.integer.digits, v->u.integer.ndigits) < 0)
		return oom(err, errlen);
	return 0;
}

static int
repr_float(double x, struct pyrepr_buf *out, char *err, size_t errlen)
{
	char tmp[PYFLOAT_REPR_MAX];
	int n = pyfloat_repr(x, tmp, sizeof(tmp));

	if (n < 0 || buf_ascii(out, tmp, (size_t)n) < 0)
		return oom(err, errlen);
	return 0;
}

/* The quote unicode_repr picks: ' unless the text has ' and no ". */
static uint32_t
repr_quote(const uint32_t *s, size_t n)
{
	int squote = 0, dquote = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] == '\'')
			squote = 1;
		else if (s[i] == '"')
			dquote = 1;
	}
	return squote && !dquote ? '"' : '\'';
}

static int
repr_char(struct pyrepr_buf *out, uint32_t c, uint32_t quote)
{
	if (c == quote || c == '\\') {
		if (buf_put(out, '\\') < 0)
			return -1;
		return buf_put(out, c);
	}
	if (c == '\t')
		return buf_ascii(out, "\\t", 2);
	if (c == '\n')
		return buf_ascii(out, "\\n", 2);
	if (c == '\r')
		return buf_ascii(out, "\\r", 2);
	if (c < ' ' || c == 0x7f)
		return buf_hex_escape(out, 'x', c, 2);
	if (c < 0x7f || unicode_printable(c))
		return buf_put(out, c);
	if (c <= 0xff)
		return buf_hex_escape(out, 'x', c, 2);
	if (c <= 0xffff)
		return buf_hex_escape(out, 'u', c, 4);
	return buf_hex_escape(out, 'U', c, 8);
}

static int
repr_str(const uint32_t *s, size_t n, struct pyrepr_buf *out, char *err,
	 size_t errlen)
{
	uint32_t quote = repr_quote(s, n);
	size_t i;

	if (buf_put(out, quote) < 0)
		return oom(err, errlen);
	for (i = 0; i < n; i++)
		if (repr_char(out, s[i], quote) < 0)
			return oom(err, errlen);
	if (buf_put(out, quote) < 0)
		return oom(err, errlen);
	return 0;
}

static int
repr_list(const struct pyv *v, struct pyrepr_buf *out, char *err, size_t errlen)
{
	size_t i;

	if (buf_put(out, '[') < 0)
		return oom(err, errlen);
	for (i = 0; i < v->u.list.len; i++) {
		if (i > 0 && buf_ascii(out, ", ", 2) < 0)
			return oom(err, errlen);
		if (pyrepr_repr(v->u.list.items[i], out, err, errlen) < 0)
			return -1;
	}
	if (buf_put(out, ']') < 0)
		return oom(err, errlen);
	return 0;
}

static int
repr_dict(const struct pyv *v, struct pyrepr_buf *out, char *err, size_t errlen)
{
	size_t i;

	if (buf_put(out, '{') < 0)
		return oom(err, errlen);
	for (i = 0; i < v->u.dict.len; i++) {
		if (i > 0 && buf_ascii(out, ", ", 2) < 0)
			return oom(err, errlen);
		if (pyrepr_repr(v->u.dict.keys[i], out, err, errlen) < 0)
			return -1;
		if (buf_ascii(out, ": ", 2) < 0)
			return oom(err, errlen);
		if (pyrepr_repr(v->u.dict.values[i], out, err, errlen) < 0)
			return -1;
	}
	if (buf_put(out, '}') < 0)
		return oom(err, errlen);
	return 0;
}

int
pyrepr_repr(const struct pyv *v, struct pyrepr_buf *out, char *err,
	    size_t errlen)
{
	switch (v->type) {
	case PYV_NONE:
		return buf_cstr(out, "None") < 0 ? oom(err, errlen) : 0;
	case PYV_BOOL:
		return buf_cstr(out, v->u.boolean ? "True" : "False") < 0
			       ? oom(err, errlen)
			       : 0;
	case PYV_INT:
		return repr_int(v, out, err, errlen);
	case PYV_FLOAT:
		return repr_float(v->u.f, out, err, errlen);
	case PYV_STR:
		return repr_str(v->u.str.cp, v->u.str.len, out, err, errlen);
	case PYV_LIST:
		return repr_list(v, out, err, errlen);
	case PYV_DICT:
		return repr_dict(v, out, err, errlen);
	}
	if (errlen > 0)
		snprintf(err, errlen, "value of unknown type %d", (int)v->type);
	return -1;
}

int
pyrepr_str(const struct pyv *v, struct pyrepr_buf *out, char *err,
	   size_t errlen)
{
	if (v->type != PYV_STR)
		return pyrepr_repr(v, out, err, errlen);
	if (buf_reserve(out, v->u.str.len) < 0)
		return oom(err, errlen);
	if (v->u.str.len > 0)
		memcpy(out->cp + out->len, v->u.str.cp,
		       v->u.str.len * sizeof(*out->cp));
	out->len += v->u.str.len;
	return 0;
}

static int
is_surrogate(uint32_t c)
{
	return c >= 0xd800 && c <= 0xdfff;
}

/* The UnicodeEncodeError text for the surrogates s[start..end). */
static void
utf8_error(const uint32_t *s, size_t start, size_t end, char *err,
	   size_t errlen)
{
	if (errlen == 0)
		return;
	if (end == start + 1)
		snprintf(err, errlen,
			 "'utf-8' codec can't encode character '\\u%04x' in "
			 "position %zu: surrogates not allowed",
			 (unsigned)s[start], start);
	else
		snprintf(err, errlen,
			 "'utf-8' codec can't encode characters in position "
			 "%zu-%zu: surrogates not allowed",
			 start, end - 1);
}

int
pyrepr_utf8(const uint32_t *s, size_t n, char **out, size_t *outlen, char *err,
	    size_t errlen)
{
	unsigned char *p;
	size_t i, j = 0;

	*out = NULL;
	*outlen = 0;
	for (i = 0; i < n; i++) {
		if (is_surrogate(s[i])) {
			size_t end = i + 1;

			/* CPython reports the whole run of surrogates. */
			while (end < n && is_surrogate(s[end]))
				end++;
			utf8_error(s, i, end, err, errlen);
			return -1;
		}
	}
	if (n > (SIZE_MAX - 1) / 4 || (p = malloc(n * 4 + 1)) == NULL)
		return oom(err, errlen);
	for (i = 0; i < n; i++) {
		uint32_t c = s[i];

		if (c < 0x80) {
			p[j++] = (unsigned char)c;
		} else if (c < 0x800) {
			p[j++] = (unsigned char)(0xc0 | (c >> 6));
			p[j++] = (unsigned char)(0x80 | (c & 0x3f));
		} else if (c < 0x10000) {
			p[j++] = (unsigned char)(0xe0 | (c >> 12));
			p[j++] = (unsigned char)(0x80 | ((c >> 6) & 0x3f));
			p[j++] = (unsigned char)(0x80 | (c & 0x3f));
		} else {
			p[j++] = (unsigned char)(0xf0 | (c >> 18));
			p[j++] = (unsigned char)(0x80 | ((c >> 12) & 0x3f));
			p[j++] = (unsigned char)(0x80 | ((c >> 6) & 0x3f));
			p[j++] = (unsigned char)(0x80 | (c & 0x3f));
		}
	}
	p[j] = '\0';
	*out = (char *)p;
	*outlen = j;
	return 0;
}

/* Write the \uXXXX escape of the UTF-16 unit u at q; returns q + 6. */
static char *
json_u16(char *q, uint32_t u)
{
	int i;

	*q++ = '\\';
	*q++ = 'u';
	for (i = 3; i >= 0; i--)
		*q++ = hexdigits[(u >> (4 * i)) & 0xf];
	return q;
}

static char *
json_char(char *q, uint32_t c)
{
	static const char shorts[][2] = {
		{ '\\', '\\' }, { '"', '"' },  { '\b', 'b' }, { '\f', 'f' },
		{ '\n', 'n' },	{ '\r', 'r' }, { '\t', 't' },
	};
	size_t i;

	if (c >= ' ' && c <= '~' && c != '\\' && c != '"') {
		*q++ = (char)c;
		return q;
	}
	for (i = 0; i < sizeof(shorts) / sizeof(shorts[0]); i++) {
		if (c == (unsigned char)shorts[i][0]) {
			*q++ = '\\';
			*q++ = shorts[i][1];
			return q;
		}
	}
	if (c >= 0x10000) {
		c -= 0x10000;
		q = json_u16(q, 0xd800 | (c >> 10));
		return json_u16(q, 0xdc00 | (c & 0x3ff));
	}
	return json_u16(q, c);
}

int
pyrepr_json_string(const uint32_t *s, size_t n, char **out, size_t *outlen)
{
	char *p, *q;
	size_t i;

	*out = NULL;
	*outlen = 0;
	/* At most 12 bytes per code point (a surrogate pair), plus quotes. */
	if (n > (SIZE_MAX - 3) / 12 || (p = malloc(n * 12 + 3)) == NULL)
		return -1;
	q = p;
	*q++ = '"';
	for (i = 0; i < n; i++)
		q = json_char(q, s[i]);
	*q++ = '"';
	*q = '\0';
	*out = p;
	*outlen = (size_t)(q - p);
	return 0;
}
