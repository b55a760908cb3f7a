/*
 * buf.h: a growable byte buffer with a hard cap.
 *
 * buf_init() makes an empty buffer that will never hold more than max
 * bytes.  buf_append() adds bytes or, if the total would pass max
 * (-ERR_TOO_LARGE) or memory runs out (-ERR_INTERNAL), changes nothing.
 * data is NULL until the first append; after one it always has a NUL
 * after its len bytes, for text.  Growing copies into a new block and
 * wipes the old one, so buf_free(b, true) leaves no copy of a secret in
 * the heap.  buf_steal() hands data over to the caller (free() it) and
 * leaves b empty.  buf_free() releases the data (wiping it first if
 * asked) and leaves b empty, ready for use again with the same max.
 */
#ifndef FNHOST_BUF_H
#define FNHOST_BUF_H

#include <stdbool.h>
#include <stddef.h>

struct buf {
	char *data;
	size_t len; /* bytes held, without the NUL */
	size_t cap; /* bytes allocated at data */
	size_t max; /* len is never over this */
};

void buf_init(struct buf *b, size_t max);
int buf_append(struct buf *b, const void *p, size_t n);

/* The data (NUL-terminated, never NULL: "" when empty) and its length
 * in *len if not NULL; NULL on out of memory, b unchanged. */
char *buf_steal(struct buf *b, size_t *len);

void buf_free(struct buf *b, bool wipe);

#endif
