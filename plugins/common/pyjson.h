/*
 * pyjson: Python 3.11's json.loads(bytes) and json.dump(..., indent=4,
 * ensure_ascii=False) over struct pyv, with Python's error texts.
 */
#ifndef FNHOST_PYJSON_H
#define FNHOST_PYJSON_H

#include <stddef.h>

#include "pyvalue.h"

/*
 * Parse buf[0..len) as Python's json.loads(bytes) does: detect the encoding
 * (UTF-8, UTF-16, UTF-32, with or without BOM), decode with surrogatepass,
 * then parse with the json module's grammar.  Returns the value, owned by
 * the caller, or NULL with the text of the exception Python would raise
 * written (NUL-terminated, truncated to errlen) into err.
 */
struct pyv *pyjson_loads(const void *buf, size_t len, char *err,
			 size_t errlen);

#endif /* FNHOST_PYJSON_H */
