/*
 * pyfloat: CPython 3.11's float <-> text conversions.
 *
 * repr(float) is the shortest digit string that reads back to the same
 * double (David Gay's dtoa mode 0, which CPython uses).  It is found here
 * by asking the C library, which rounds correctly both ways on glibc, for
 * 1, 2, ... 17 significant digits and keeping the first candidate that
 * strtod() maps back to x.  At each length the correctly rounded digits are
 * tried first, then their neighbours one unit away, because next to a power
 * of two the rounding interval is lopsided and the nearest short string may
 * lie on the wide side only.
 *
 * float(str) follows Objects/floatobject.c and Python/pystrtod.c: map the
 * str to ASCII (Unicode space to ' ', Unicode digit to its ASCII digit),
 * check underscores, strip ASCII whitespace, then accept exactly the
 * grammar of _Py_dg_strtod() or an inf/nan word; glibc's strtod() then
 * computes the value from the validated text.  strtod() reads '.' as the
 * decimal point only in the C locale, which the host never changes.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pyfloat.h"
#include "pyfloat_tables.h"
#include "unicode_printable.h"

/* Decimal digits d[0..n) meaning 0.d[0]d[1]... times 10^decpt. */
struct pyfloat_dec {
	char d[24];
	int n;
	int decpt;
};

/* Parse snprintf's "%.*e" output "D.DDDDe+XX" of a positive x into dec. */
static void
pyfloat_dec_parse(const char *s, struct pyfloat_dec *dec)
{
	dec->n = 0;
	for (; *s != 'e'; s++)
		if (*s != '.')
			dec->d[dec->n++] = *s;
	dec->decpt = atoi(s + 1) + 1;
}

/* Drop trailing zeros (dtoa never yields them; a zero value cannot occur
 * because x is positive). */
static void
pyfloat_dec_trim(struct pyfloat_dec *dec)
{
	while (dec->n > 1 && dec->d[dec->n - 1] == '0')
		dec->n--;
}

/* Add delta (+1 or -1) to the last digit of dec, carrying or borrowing. */
static void
pyfloat_dec_bump(struct pyfloat_dec *dec, int delta)
{
	int i = dec->n - 1;

	if (delta > 0) {
		while (i >= 0 && dec->d[i] == '9')
			dec->d[i--] = '0';
		if (i < 0) {
			/* 999 + 1: the value becomes 0.1 * 10^(decpt+1). */
			memmove(dec->d + 1, dec->d, (size_t)dec->n);
			dec->d[0] = '1';
			dec->decpt++;
			return;
		}
		dec->d[i]++;
		return;
	}
	while (i >= 0 && dec->d[i] == '0')
		dec->d[i--] = '9';
	if (i >= 0)
		dec->d[i]--;
	if (dec->d[0] == '0' && dec->n > 1) {
		/* 100 - 1 = 099: shift the leading zero out. */
		memmove(dec->d, dec->d + 1, (size_t)dec->n - 1);
		dec->n--;
		dec->decpt--;
	}
}

/* 1 when the digits of dec read back exactly as x. */
static int
pyfloat_dec_is(const struct pyfloat_dec *dec, double x)
{
	char buf[64];

	if (dec->n == 0 || dec->d[0] == '0')
		return 0;
	snprintf(buf, sizeof(buf), "0.%.*se%d", dec->n, dec->d, dec->decpt);
	return strtod(buf, NULL) == x;
}

/* The shortest digits of the positive finite x that read back as x. */
static void
pyfloat_shortest(double x, struct pyfloat_dec *out)
{
	struct pyfloat_dec c;
	char buf[64];
	int p, delta;

	for (p = 1; p <= 17; p++) {
		snprintf(buf, sizeof(buf), "%.*e", p - 1, x);
		pyfloat_dec_parse(buf, out);
		if (pyfloat_dec_is(out, x))
			goto found;
		for (delta = -1; delta <= 1; delta += 2) {
			c = *out;
			pyfloat_dec_bump(&c, delta);
			if (pyfloat_dec_is(&c, x)) {
				*out = c;
				goto found;
			}
		}
	}
	/* Unreachable: 17 significant digits always round-trip. */
	snprintf(buf, sizeof(buf), "%.16e", x);
	pyfloat_dec_parse(buf, out);
found:
	pyfloat_dec_trim(out);
}

/* Lay dec out as CPython's float_repr_style 'short' with format 'r'. */
static int
pyfloat_layout(int neg, const struct pyfloat_dec *dec, char *buf, size_t len)
{
	char tmp[PYFLOAT_REPR_MAX + 8];
	size_t pos = 0;
	int i, e;

	if (neg)
		tmp[pos++] = '-';
	if (dec->decpt <= -4 || dec->decpt > 16) {
		tmp[pos++] = dec->d[0];
		if (dec->n > 1) {
			tmp[pos++] = '.';
			memcpy(tmp + pos, dec->d + 1, (size_t)dec->n - 1);
			pos += (size_t)dec->n - 1;
		}
		e = dec->decpt - 1;
		pos += (size_t)snprintf(tmp + pos, sizeof(tmp) - pos, "e%c%02d",
					e < 0 ? '-' : '+', e < 0 ? -e : e);
	} else if (dec->decpt <= 0) {
		tmp[pos++] = '0';
		tmp[pos++] = '.';
		for (i = dec->decpt; i < 0; i++)
			tmp[pos++] = '0';
		memcpy(tmp + pos, dec->d, (size_t)dec->n);
		pos += (size_t)dec->n;
	} else {
		for (i = 0; i < dec->decpt || i < dec->n; i++) {
			if (i == dec->decpt)
				tmp[pos++] = '.';
			tmp[pos++] = i < dec->n ? dec->d[i] : '0';
		}
		if (dec->decpt >= dec->n) {
			tmp[pos++] = '.';
			tmp[pos++] = '0';
		}
	}
	if (pos >= len) {
		if (len > 0)
			buf[0] = '\0';
		return -1;
	}
	memcpy(buf, tmp, pos);
	buf[pos] = '\0';
	return (int)pos;
}

int
pyfloat_repr(double x, char *buf, size_t len)
{
	struct pyfloat_dec dec;
	const char *word = NULL;

	if (isnan(x))
		word = "nan";
	else if (isinf(x))
		word = x < 0 ? "-inf" : "inf";
	else if (x == 0)
		word = signbit(x) ? "-0.0" : "0.0";
	if (word != NULL) {
		if (strlen(word) >= len) {
			if (len > 0)
				buf[0] = '\0';
			return -1;
		}
		memcpy(buf, word, strlen(word) + 1);
		return (int)strlen(word);
	}
	pyfloat_shortest(fabs(x), &dec);
	return pyfloat_layout(signbit(x) != 0, &dec, buf, len);
}

/* ---- repr(str) ----------------------------------------------------------- */

/* Output for repr(str): bytes go to buf[0..len - 1) while whole
 * characters fit; pos counts what the full text needs. */
struct pyfloat_out {
	char *buf;
	size_t len;
	size_t pos;
	size_t written;
	int full;
};

/* Append the UTF-8 encoding of cp (surrogates included). */
static void
pyfloat_put_utf8(struct pyfloat_out *o, uint32_t cp)
{
	unsigned char u[4];
	size_t n, i;

	if (cp < 0x80) {
		u[0] = (unsigned char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (unsigned char)(0xc0 | cp >> 6);
		u[1] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (unsigned char)(0xe0 | cp >> 12);
		u[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		u[2] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (unsigned char)(0xf0 | cp >> 18);
		u[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
		u[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		u[3] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	/* Never split a character: stop writing once one does not fit. */
	if (!o->full && o->written + n < o->len) {
		for (i = 0; i < n; i++)
			o->buf[o->written++] = (char)u[i];
	} else {
		o->full = 1;
	}
	o->pos += n;
}

static void
pyfloat_put_str(struct pyfloat_out *o, const char *s)
{
	for (; *s != '\0'; s++)
		pyfloat_put_utf8(o, (unsigned char)*s);
}

size_t
pyfloat_str_repr(const uint32_t *s, size_t n, char *buf, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	struct pyfloat_out o = { buf, len, 0, 0, len == 0 };
	char esc[12];
	uint32_t quote = '\'', c;
	size_t i;
	int has_sq = 0, has_dq = 0, k, w;

	for (i = 0; i < n; i++) {
		has_sq |= s[i] == '\'';
		has_dq |= s[i] == '"';
	}
	if (has_sq && !has_dq)
		quote = '"';
	pyfloat_put_utf8(&o, quote);
	for (i = 0; i < n; i++) {
		c = s[i];
		esc[0] = '\0';
		if (c == quote || c == '\\')
			snprintf(esc, sizeof(esc), "\\%c", (char)c);
		else if (c == '\t')
			snprintf(esc, sizeof(esc), "\\t");
		else if (c == '\n')
			snprintf(esc, sizeof(esc), "\\n");
		else if (c == '\r')
			snprintf(esc, sizeof(esc), "\\r");
		else if (c < ' ' || c == 0x7f ||
			 (c > 0x7f && !unicode_printable(c))) {
			/* \xhh, \uhhhh or \Uhhhhhhhh, lowercase hex. */
			w = c <= 0xff ? 2 : c <= 0xffff ? 4 : 8;
			esc[0] = '\\';
			esc[1] = w == 2 ? 'x' : w == 4 ? 'u' : 'U';
			for (k = 0; k < w; k++)
				esc[2 + k] = hex[c >> (4 * (w - 1 - k)) & 0xf];
			esc[2 + w] = '\0';
		}
		if (esc[0] != '\0')
			pyfloat_put_str(&o, esc);
		else
			pyfloat_put_utf8(&o, c);
	}
	pyfloat_put_utf8(&o, quote);
	if (len > 0)
		buf[o.written] = '\0';
	return o.pos;
}

/* ---- float(str) ---------------------------------------------------------- */

static int
pyfloat_is_uspace(uint32_t c)
{
	size_t i;

	for (i = 0; i < sizeof(pyfloat_spaces) / sizeof(*pyfloat_spaces); i++)
		if (pyfloat_spaces[i] == c)
			return 1;
	return 0;
}

/* The value of the Unicode decimal digit c (>= 127), or -1. */
static int
pyfloat_udigit(uint32_t c)
{
	size_t lo = 0,
	       hi = sizeof(pyfloat_digit_zeros) / sizeof(*pyfloat_digit_zeros),
	       mid;

	/* Find the last run starting at or below c. */
	while (hi - lo > 1) {
		mid = (lo + hi) / 2;
		if (pyfloat_digit_zeros[mid] <= c)
			lo = mid;
		else
			hi = mid;
	}
	if (c >= pyfloat_digit_zeros[lo] && c - pyfloat_digit_zeros[lo] < 10)
		return (int)(c - pyfloat_digit_zeros[lo]);
	return -1;
}

/* Python's Py_ISSPACE: ASCII space, \t, \n, \v, \f, \r. */
static int
pyfloat_is_aspace(char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

static int
pyfloat_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Case-insensitive: does s start with the lowercase word w? */
static int
pyfloat_word(const char *s, const char *e, const char *w)
{
	for (; *w != '\0'; s++, w++)
		if (s == e || (*s | 0x20) != *w)
			return 0;
	return 1;
}

/*
 * 1 when a[0..n) is, in full, what _Py_dg_strtod() or, failing it,
 * _Py_parse_inf_or_nan() accepts: [sign] (digits [. digits] | . digits)
 * [(e|E) [sign] digits], or [sign] inf | infinity | nan.
 */
static int
pyfloat_grammar(const char *a, size_t n)
{
	const char *p = a, *e = a + n, *m;
	size_t digits = 0;

	if (p < e && (*p == '+' || *p == '-'))
		p++;
	if (pyfloat_word(p, e, "infinity"))
		return p + 8 == e;
	if (pyfloat_word(p, e, "inf") || pyfloat_word(p, e, "nan"))
		return p + 3 == e;
	for (; p < e && pyfloat_is_digit(*p); p++)
		digits++;
	if (p < e && *p == '.')
		for (p++; p < e && pyfloat_is_digit(*p); p++)
			digits++;
	if (digits == 0)
		return 0;
	if (p < e && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < e && (*p == '+' || *p == '-'))
			p++;
		for (m = p; p < e && pyfloat_is_digit(*p); p++)
			;
		if (p == m)
			return 0;
	}
	return p == e;
}

/*
 * The ASCII image CPython parses: returns a malloc'd NUL-terminated copy of
 * s with the underscores removed, or NULL (and *bad set) when CPython
 * would refuse the text before parsing it, or on allocation failure (*bad
 * clear).
 */
static char *
pyfloat_to_ascii(const uint32_t *s, size_t n, int *bad)
{
	char *a, prev = '\0';
	size_t i, j = 0;
	int d;

	*bad = 1;
	if (n >= SIZE_MAX - 1 || (a = malloc(n + 1)) == NULL) {
		*bad = 0;
		return NULL;
	}
	for (i = 0; i < n; i++) {
		char c;

		if (s[i] < 127)
			c = (char)s[i];
		else if (pyfloat_is_uspace(s[i]))
			c = ' ';
		else if ((d = pyfloat_udigit(s[i])) >= 0)
			c = (char)('0' + d);
		else
			goto bad; /* CPython cuts the text at a '?' here. */
		if (c == '\0')
			goto bad; /* embedded NUL */
		/* Underscores only between two digits. */
		if (c == '_') {
			if (!pyfloat_is_digit(prev))
				goto bad;
		} else {
			if (prev == '_' && !pyfloat_is_digit(c))
				goto bad;
			a[j++] = c;
		}
		prev = c;
	}
	if (prev == '_')
		goto bad;
	a[j] = '\0';
	return a;
bad:
	free(a);
	return NULL;
}

static int
pyfloat_str_error(const uint32_t *s, size_t n, char *err, size_t errlen)
{
	static const char pre[] = "could not convert string to float: ";

	if (errlen > 0) {
		snprintf(err, errlen, "%s", pre);
		if (errlen > sizeof(pre) - 1)
			pyfloat_str_repr(s, n, err + sizeof(pre) - 1,
					 errlen - (sizeof(pre) - 1));
	}
	return -1;
}

int
pyfloat_from_str(const uint32_t *s, size_t n, double *out, char *err,
		 size_t errlen)
{
	char *a, *p, *e;
	int bad, rc = -1;

	if ((a = pyfloat_to_ascii(s, n, &bad)) == NULL) {
		if (bad)
			return pyfloat_str_error(s, n, err, errlen);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	p = a;
	e = a + strlen(a);
	while (p < e && pyfloat_is_aspace(*p))
		p++;
	while (e > p && pyfloat_is_aspace(e[-1]))
		e--;
	if (!pyfloat_grammar(p, (size_t)(e - p))) {
		pyfloat_str_error(s, n, err, errlen);
		goto out;
	}
	*e = '\0';
	*out = strtod(p, NULL);
	rc = 0;
out:
	free(a);
	return rc;
}

/* ---- float(int), float(x) ------------------------------------------------ */

int
pyfloat_from_int(const struct pyv *i, double *out, char *err, size_t errlen)
{
	double x;

	if (i == NULL || i->type != PYV_INT) {
		snprintf(err, errlen, "not an int");
		return -1;
	}
	/* The digits are a valid strtod() subject: correctly rounded. */
	x = strtod(i->u.integer.digits, NULL);
	if (isinf(x)) {
		snprintf(err, errlen, "int too large to convert to float");
		return -1;
	}
	*out = i->u.integer.neg ? -x : x;
	return 0;
}

int
pyfloat_from_pyv(const struct pyv *v, double *out, char *err, size_t errlen)
{
	switch (v == NULL ? PYV_NONE : v->type) {
	case PYV_FLOAT:
		*out = v->u.f;
		return 0;
	case PYV_BOOL:
		*out = v->u.boolean ? 1.0 : 0.0;
		return 0;
	case PYV_INT:
		return pyfloat_from_int(v, out, err, errlen);
	case PYV_STR:
		return pyfloat_from_str(v->u.str.cp, v->u.str.len, out, err,
					errlen);
	default:
		snprintf(err, errlen,
			 "float() argument must be a string or a real number, "
			 "not '%s'",
			 pyv_type_name(v));
		return -1;
	}
}
