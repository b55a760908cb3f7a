/* buf.c: capped byte buffers (see buf.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "base/buf.h"
#include "base/err.h"

/* First allocation, so small appends do not each reallocate. */
#define BUF_MIN_CAP 256

void
buf_init(struct buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	/* Keep room for the NUL without overflowing. */
	b->max = max < SIZE_MAX / 2 ? max : SIZE_MAX / 2;
}

/* Make room for need bytes plus the NUL. */
static int
grow(struct buf *b, size_t need)
{
	size_t cap = b->cap ? b->cap : BUF_MIN_CAP;
	char *p;

	while (cap < need + 1)
		cap *= 2; /* need <= SIZE_MAX / 2: can not wrap */
	if (cap > b->max + 1)
		cap = b->max + 1;
	if ((p = malloc(cap)) == NULL)
		return -ERR_INTERNAL;
	if (b->data != NULL) {
		memcpy(p, b->data, b->len + 1);
		OPENSSL_cleanse(b->data, b->cap);
		free(b->data);
	}
	b->data = p;
	b->cap = cap;
	return 0;
}

int
buf_append(struct buf *b, const void *p, size_t n)
{
	int rc;

	if (n > b->max - b->len)
		return -ERR_TOO_LARGE;
	if (b->data == NULL || b->len + n + 1 > b->cap) {
		if ((rc = grow(b, b->len + n)) < 0)
			return rc;
	}
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

char *
buf_steal(struct buf *b, size_t *len)
{
	char *p;

	if (b->data == NULL && grow(b, 0) < 0)
		return NULL;
	if (b->len == 0)
		b->data[0] = '\0';
	p = b->data;
	if (len != NULL)
		*len = b->len;
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	return p;
}

void
buf_free(struct buf *b, bool wipe)
{
	if (b->data != NULL && wipe)
		OPENSSL_cleanse(b->data, b->cap);
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}
