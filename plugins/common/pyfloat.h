/*
 * pyfloat: Python 3.11's float conversions over struct pyv: repr(float),
 * float(str), float(int), float(bool), and float(x) for any json value,
 * with CPython's exception texts.
 */
#ifndef FNHOST_PYFLOAT_H
#define FNHOST_PYFLOAT_H

#include <stddef.h>
#include <stdint.h>

#include "pyvalue.h"

/* Room for any repr(float): sign, 17 digits, point, "e-308", NUL. */
#define PYFLOAT_REPR_MAX 32

/*
 * Write Python's repr(x) into buf: the shortest digits that read back as
 * x, positional when the decimal exponent is in [-4, 16), else scientific
 * ("1e+16", "5e-324"); ".0" on integral values; "inf", "-inf", "nan",
 * "-0.0".  Returns the length written (NUL not counted), or -1 when len is
 * too small (buf then holds "").  PYFLOAT_REPR_MAX bytes always suffice.
 */
int pyfloat_repr(double x, char *buf, size_t len);

/*
 * Python's float(s) for the str s[0..n): surrounding whitespace stripped
 * (ASCII " \t\n\v\f\r" and Unicode whitespace from 127 up, as CPython does
 * it), Unicode decimal digits read as ASCII ones, "_" only between digits,
 * "inf", "infinity" and "nan" in any case, correctly rounded.  Returns 0
 * with *out set, or -1 with "could not convert string to float: <repr>"
 * in err (NUL-terminated, truncated to errlen).
 */
int pyfloat_from_str(const uint32_t *s, size_t n, double *out, char *err,
		     size_t errlen);

/*
 * Python's float(i) for a PYV_INT: correctly rounded, half to even.
 * Returns 0 with *out set, or -1 with "int too large to convert to float"
 * in err when the rounded value does not fit in a double.
 */
int pyfloat_from_int(const struct pyv *i, double *out, char *err,
		     size_t errlen);

/*
 * Python's float(v) for any value json.loads() makes: a float as is, a
 * bool as 0.0 or 1.0, an int and a str as above, anything else the
 * TypeError "float() argument must be a string or a real number, not
 * 'list'".  Returns 0 with *out set, or -1 with the text in err.
 */
int pyfloat_from_pyv(const struct pyv *v, double *out, char *err,
		     size_t errlen);

/*
 * Python's repr(s) for the str s[0..n), UTF-8 encoded into buf: quoted
 * with ' unless s holds ' and no ", escapes for \\, the quote, \t \n \r,
 * other controls and every code point str.isprintable() refuses (\xhh,
 * \uhhhh, \Uhhhhhhhh).  Always NUL-terminates (when len > 0); returns the
 * full length the repr needs, so a result >= len means it was truncated.
 */
size_t pyfloat_str_repr(const uint32_t *s, size_t n, char *buf, size_t len);

#endif /* FNHOST_PYFLOAT_H */
