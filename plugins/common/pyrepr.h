/*
 * pyrepr: Python 3.11's str() and repr() of json values, str.encode("utf-8")
 * and json.dumps() of a str, with CPython's exception texts, so a plugin
 * can build the very bytes the seed's Python returns.
 *
 * Text is kept as code points (struct pyrepr_buf) until it leaves: a
 * Python str may hold lone surrogates, and only the encoder decides what
 * becomes of them.
 */
#ifndef FNHOST_PYREPR_H
#define FNHOST_PYREPR_H

#include <stddef.h>
#include <stdint.h>

#include "pyvalue.h"

/* A growable array of code points; start it zeroed. */
struct pyrepr_buf {
	uint32_t *cp;
	size_t len;
	size_t cap;
};

/* Release b's memory and zero it. */
void pyrepr_buf_free(struct pyrepr_buf *b);

/*
 * Append Python's str(v) to out: a str as itself, anything else as
 * repr(v).  Returns 0, or -1 with the exception's text in err
 * (NUL-terminated, truncated to errlen): "Exceeds the limit (4300 digits)
 * for integer string conversion; ..." for an int past Python's default
 * limit, "out of memory".  On failure out holds a partial text.
 */
int pyrepr_str(const struct pyv *v, struct pyrepr_buf *out, char *err,
	       size_t errlen);

/*
 * Append Python's repr(v) to out: ints in decimal, floats as repr(float),
 * True/False/None, str quoted and escaped as unicode_repr does it, lists as
 * "[1, 'a']", dicts as "{'a': 1}".  Returns as pyrepr_str().
 */
int pyrepr_repr(const struct pyv *v, struct pyrepr_buf *out, char *err,
		size_t errlen);

/*
 * s[0..n).encode("utf-8") in strict mode.  Returns 0 with *out (malloc'd,
 * NUL-terminated, caller frees) and *outlen set, or -1 with the error text
 * in err: a run of surrogates gives "'utf-8' codec can't encode character
 * '\ud800' in position 0: surrogates not allowed" (or "characters in
 * position 3-4" for a longer run), and "out of memory".
 */
int pyrepr_utf8(const uint32_t *s, size_t n, char **out, size_t *outlen,
		char *err, size_t errlen);

/*
 * json.dumps(s) for the str s[0..n) with ensure_ascii=True: the quoted
 * literal with \" \\ \n \r \t \b \f, \u00XX for other controls and DEL,
 * \uXXXX (lower-case hex) for everything past ASCII, astral code points as
 * surrogate pairs.  Returns 0 with *out (malloc'd, NUL-terminated, pure
 * ASCII) and *outlen set, or -1 when memory runs out.
 */
int pyrepr_json_string(const uint32_t *s, size_t n, char **out, size_t *outlen);

#endif /* FNHOST_PYREPR_H */
