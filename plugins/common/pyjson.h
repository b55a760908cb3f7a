/*
 * pyjson: Python 3.11's json.loads(bytes) and json.dump(..., indent=4,
 * ensure_ascii=False) over struct pyv, with Python's error texts.
 */
#ifndef FNHOST_PYJSON_H
#define FNHOST_PYJSON_H

#include <stddef.h>

#include "pyvalue.h"

/*
 * Nesting json.loads() parses when called from a handler: CPython raises
 * RecursionError when the scanner's C recursion meets the interpreter's
 * recursion limit, counted from the caller's own frames (see pyjson.c).
 */
#define PYJSON_MAX_DEPTH 990

/*
 * Parse buf[0..len) as Python's json.loads(bytes) does: detect the encoding
 * (UTF-8, UTF-16, UTF-32, with or without BOM), decode with surrogatepass,
 * then parse with the json module's grammar.  Returns the value, owned by
 * the caller, or NULL with the text of the exception Python would raise
 * written (NUL-terminated, truncated to errlen) into err.
 */
struct pyv *pyjson_loads(const void *buf, size_t len, char *err, size_t errlen);

/*
 * pyjson_loads() for a caller whose json.loads() runs max_depth levels
 * from the recursion limit: each Python frame between the handler and the
 * parse takes one level from PYJSON_MAX_DEPTH.  Past it, the same
 * RecursionError text.
 */
struct pyv *pyjson_loads_depth(const void *buf, size_t len, int max_depth,
			       char *err, size_t errlen);

/*
 * The bytes json.dump(v, f, ensure_ascii=False, indent=4) writes to a
 * UTF-8 text file: indent of 4 spaces, "," and ": " separators, floats as
 * repr() or NaN/Infinity/-Infinity.  Returns a malloc'd buffer of *len
 * bytes (not NUL-terminated; never empty), or NULL with the error text in
 * err: the UnicodeEncodeError Python raises for a lone surrogate, with the
 * position Python reports (counted within json.dump's chunk), or "out of
 * memory".  Python would leave a partial file behind; callers store
 * nothing, which reads back the same (as invalid JSON).
 */
char *pyjson_dump(const struct pyv *v, size_t *len, char *err, size_t errlen);

#endif /* FNHOST_PYJSON_H */
