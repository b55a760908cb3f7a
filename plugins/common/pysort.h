/*
 * pysort: Python 3.11's list.sort() over struct pyv, comparisons included.
 *
 * The order, the success or failure, and on failure the TypeError text all
 * match CPython 3.11 for the values json.loads() can produce, also when the
 * comparisons are inconsistent (NaN): pysort_run() makes exactly the "<"
 * comparisons CPython's listsort makes, in the same order.
 *
 * Identity: CPython's == between container items (PyObject_RichCompareBool)
 * treats an object as equal to itself.  json.loads() returns one shared
 * float object for every NaN token, so here every NaN float equals every
 * other NaN float under pysort_eq(); "<" never takes that shortcut.
 */
#ifndef FNHOST_PYSORT_H
#define FNHOST_PYSORT_H

#include <stddef.h>

#include "pyvalue.h"

/*
 * A "less than" test for pysort_run(): 1 when a < b, 0 when not, -1 on
 * error (the callback keeps its own error text, e.g. in ctx).
 */
typedef int (*pysort_lt_fn)(void *ctx, const struct pyv *a,
			    const struct pyv *b);

/*
 * Sort items[0..n) in place with CPython 3.11's listsort algorithm, calling
 * lt exactly as CPython calls "<".  Returns 0, -1 as soon as lt fails (the
 * order of items is then unspecified, but every item is still there once),
 * or -2 when memory runs out.
 */
int pysort_run(struct pyv **items, size_t n, pysort_lt_fn lt, void *ctx);

/*
 * Python's a < b for json values.  Returns 1 or 0, or -1 with the
 * TypeError's text ("'<' not supported between instances of 'str' and
 * 'int'") written to err, NUL-terminated and truncated to errlen.
 */
int pysort_lt(const struct pyv *a, const struct pyv *b, char *err,
	      size_t errlen);

/*
 * Python's bool(a == b) as PyObject_RichCompareBool computes it for list
 * and dict items (identity shortcut, see above).  Never fails: == between
 * these types never raises.
 */
int pysort_eq(const struct pyv *a, const struct pyv *b);

/*
 * Python's list.sort() on list (a PYV_LIST).  Returns 0, or -1 with the
 * exception's text in err ("'<' not supported ...", or "out of memory").
 */
int pysort_list(struct pyv *list, char *err, size_t errlen);

#endif /* FNHOST_PYSORT_H */
