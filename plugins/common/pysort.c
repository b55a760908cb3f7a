/*
 * pysort: Python 3.11's list.sort() and the comparisons it makes.
 *
 * The algorithm is CPython 3.11's listsort (Objects/listobject.c, described
 * in Objects/listsort.txt by Tim Peters): natural runs found by count_run
 * (strictly descending runs reversed in place), short runs extended to
 * minrun by binary insertion sort, runs merged as the "powersort" policy of
 * Munro and Wild decides (3.11 replaced the old timsort stack invariants
 * with it), merges trimmed by galloping and done by merge_lo or merge_hi
 * with galloping mode and an adaptive min_gallop.  Written here from that
 * description; what must be identical is the sequence of "<" calls, since
 * with NaN or a failing comparison the result depends on it.
 */
#include "pysort.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#define MIN_GALLOP 7
/* Enough for 2**64 items under powersort's stack bound. */
#define MAX_PENDING 85

struct sort_run {
	size_t base; /* index of the run's first item */
	size_t len;
	int power; /* powersort's node power of the boundary after it */
};

struct sort_state {
	struct pyv **keys;
	size_t listlen;
	struct pyv **tmp; /* scratch for merges: listlen / 2 + 1 items */
	ssize_t min_gallop;
	struct sort_run pending[MAX_PENDING];
	int n;
	pysort_lt_fn lt;
	void *ctx;
};

/* Length of the run starting at lo (lo < hi); a strictly descending run
 * sets *descending.  -1 when a comparison fails. */
static ssize_t
sort_count_run(struct sort_state *ms, struct pyv **lo, struct pyv **hi,
	       int *descending)
{
	ssize_t n = 2;
	int k;

	*descending = 0;
	++lo;
	if (lo == hi)
		return 1;
	k = ms->lt(ms->ctx, lo[0], lo[-1]);
	if (k < 0)
		return -1;
	if (k) {
		*descending = 1;
		for (lo = lo + 1; lo < hi; ++lo, ++n) {
			k = ms->lt(ms->ctx, lo[0], lo[-1]);
			if (k < 0)
				return -1;
			if (!k)
				break;
		}
	} else {
		for (lo = lo + 1; lo < hi; ++lo, ++n) {
			k = ms->lt(ms->ctx, lo[0], lo[-1]);
			if (k < 0)
				return -1;
			if (k)
				break;
		}
	}
	return n;
}

static void
sort_reverse(struct pyv **lo, size_t n)
{
	struct pyv **hi = lo + n - 1;

	while (lo < hi) {
		struct pyv *t = *lo;

		*lo++ = *hi;
		*hi-- = t;
	}
}

/* Binary insertion sort of [lo, hi), whose prefix [lo, start) is sorted.
 * On failure the item being placed is still at its old index. */
static int
sort_binary(struct sort_state *ms, struct pyv **lo, struct pyv **hi,
	    struct pyv **start)
{
	if (lo == start)
		++start;
	for (; start < hi; ++start) {
		struct pyv **l = lo, **r = start, **p;
		struct pyv *pivot = *r;

		do {
			int k;

			p = l + ((r - l) >> 1);
			k = ms->lt(ms->ctx, pivot, *p);
			if (k < 0)
				return -1;
			if (k)
				r = p;
			else
				l = p + 1;
		} while (l < r);
		for (p = start; p > l; --p)
			*p = p[-1];
		*l = pivot;
	}
	return 0;
}

/*
 * Where key belongs in the sorted a[0..n), leftmost: the k with
 * a[k-1] < key <= a[k].  The search starts at a[hint] and gallops
 * (offsets 1, 3, 7, ...) before a binary search.  -1 on failure.
 */
static ssize_t
sort_gallop_left(struct sort_state *ms, struct pyv *key, struct pyv **a,
		 ssize_t n, ssize_t hint)
{
	ssize_t ofs = 1, lastofs = 0, maxofs;
	int k;

	k = ms->lt(ms->ctx, a[hint], key);
	if (k < 0)
		return -1;
	if (k) {
		/* a[hint] < key: gallop right. */
		maxofs = n - hint;
		while (ofs < maxofs) {
			k = ms->lt(ms->ctx, a[hint + ofs], key);
			if (k < 0)
				return -1;
			if (!k)
				break;
			lastofs = ofs;
			ofs = (ofs << 1) + 1;
		}
		if (ofs > maxofs)
			ofs = maxofs;
		lastofs += hint;
		ofs += hint;
	} else {
		/* key <= a[hint]: gallop left. */
		ssize_t t;

		maxofs = hint + 1;
		while (ofs < maxofs) {
			k = ms->lt(ms->ctx, a[hint - ofs], key);
			if (k < 0)
				return -1;
			if (k)
				break;
			lastofs = ofs;
			ofs = (ofs << 1) + 1;
		}
		if (ofs > maxofs)
			ofs = maxofs;
		t = lastofs;
		lastofs = hint - ofs;
		ofs = hint - t;
	}
	/* a[lastofs] < key <= a[ofs]: binary search in between. */
	++lastofs;
	while (lastofs < ofs) {
		ssize_t m = lastofs + ((ofs - lastofs) >> 1);

		k = ms->lt(ms->ctx, a[m], key);
		if (k < 0)
			return -1;
		if (k)
			lastofs = m + 1;
		else
			ofs = m;
	}
	return ofs;
}

/* As sort_gallop_left, but rightmost: the k with a[k-1] <= key < a[k]. */
static ssize_t
sort_gallop_right(struct sort_state *ms, struct pyv *key, struct pyv **a,
		  ssize_t n, ssize_t hint)
{
	ssize_t ofs = 1, lastofs = 0, maxofs;
	int k;

	k = ms->lt(ms->ctx, key, a[hint]);
	if (k < 0)
		return -1;
	if (k) {
		/* key < a[hint]: gallop left. */
		ssize_t t;

		maxofs = hint + 1;
		while (ofs < maxofs) {
			k = ms->lt(ms->ctx, key, a[hint - ofs]);
			if (k < 0)
				return -1;
			if (!k)
				break;
			lastofs = ofs;
			ofs = (ofs << 1) + 1;
		}
		if (ofs > maxofs)
			ofs = maxofs;
		t = lastofs;
		lastofs = hint - ofs;
		ofs = hint - t;
	} else {
		/* a[hint] <= key: gallop right. */
		maxofs = n - hint;
		while (ofs < maxofs) {
			k = ms->lt(ms->ctx, key, a[hint + ofs]);
			if (k < 0)
				return -1;
			if (k)
				break;
			lastofs = ofs;
			ofs = (ofs << 1) + 1;
		}
		if (ofs > maxofs)
			ofs = maxofs;
		lastofs += hint;
		ofs += hint;
	}
	/* a[lastofs] <= key < a[ofs]: binary search in between. */
	++lastofs;
	while (lastofs < ofs) {
		ssize_t m = lastofs + ((ofs - lastofs) >> 1);

		k = ms->lt(ms->ctx, key, a[m]);
		if (k < 0)
			return -1;
		if (k)
			ofs = m;
		else
			lastofs = m + 1;
	}
	return ofs;
}

/*
 * Merge the adjacent sorted runs pa[0..na) and pb[0..nb) (pb == pa + na,
 * na <= nb) front to back, with A copied to scratch.  merge_at trimmed
 * them so that B's first item goes before all of A and A's last after all
 * of B.  On failure every item is put back somewhere in pa[0..na+nb).
 */
static int
sort_merge_lo(struct sort_state *ms, struct pyv **pa, ssize_t na,
	      struct pyv **pb, ssize_t nb)
{
	struct pyv **dest = pa, **a = ms->tmp;
	ssize_t min_gallop, acount, bcount, k;
	int result = -1;

	memcpy(a, pa, (size_t)na * sizeof(*a));
	*dest++ = *pb++;
	if (--nb == 0)
		goto succeed;
	if (na == 1)
		goto copy_b;

	min_gallop = ms->min_gallop;
	for (;;) {
		acount = 0;
		bcount = 0;
		/* One at a time, until one run keeps winning. */
		for (;;) {
			int lt = ms->lt(ms->ctx, *pb, *a);

			if (lt < 0)
				goto fail;
			if (lt) {
				*dest++ = *pb++;
				++bcount;
				acount = 0;
				if (--nb == 0)
					goto succeed;
				if (bcount >= min_gallop)
					break;
			} else {
				*dest++ = *a++;
				++acount;
				bcount = 0;
				if (--na == 1)
					goto copy_b;
				if (acount >= min_gallop)
					break;
			}
		}
		/* Galloping mode, while it keeps paying off. */
		++min_gallop;
		do {
			min_gallop -= min_gallop > 1;
			ms->min_gallop = min_gallop;
			k = sort_gallop_right(ms, *pb, a, na, 0);
			if (k < 0)
				goto fail;
			acount = k;
			if (k) {
				memcpy(dest, a, (size_t)k * sizeof(*a));
				dest += k;
				a += k;
				na -= k;
				if (na == 1)
					goto copy_b;
				/* Only an inconsistent "<" gets here. */
				if (na == 0)
					goto succeed;
			}
			*dest++ = *pb++;
			if (--nb == 0)
				goto succeed;

			k = sort_gallop_left(ms, *a, pb, nb, 0);
			if (k < 0)
				goto fail;
			bcount = k;
			if (k) {
				memmove(dest, pb, (size_t)k * sizeof(*pb));
				dest += k;
				pb += k;
				nb -= k;
				if (nb == 0)
					goto succeed;
			}
			*dest++ = *a++;
			if (--na == 1)
				goto copy_b;
		} while (acount >= MIN_GALLOP || bcount >= MIN_GALLOP);
		++min_gallop; /* penalty for leaving galloping mode */
		ms->min_gallop = min_gallop;
	}
succeed:
	result = 0;
fail:
	if (na)
		memcpy(dest, a, (size_t)na * sizeof(*a));
	return result;
copy_b:
	/* The last item of A belongs after all that is left of B. */
	memmove(dest, pb, (size_t)nb * sizeof(*pb));
	dest[nb] = *a;
	return 0;
}

/*
 * Merge the adjacent sorted runs base[0..na) and base[na..na+nb), with
 * na >= nb, back to front, with B copied to scratch.  What is left of A is
 * base[0..na), of B tmp[0..nb), and the next slot to fill is
 * base[na + nb - 1]: that invariant replaces three moving pointers.
 */
static int
sort_merge_hi(struct sort_state *ms, struct pyv **base, ssize_t na, ssize_t nb)
{
	struct pyv **b = ms->tmp;
	ssize_t min_gallop, acount, bcount, k;
	int result = -1;

	memcpy(b, base + na, (size_t)nb * sizeof(*b));
	base[na + nb - 1] = base[na - 1];
	if (--na == 0)
		goto succeed;
	if (nb == 1)
		goto copy_a;

	min_gallop = ms->min_gallop;
	for (;;) {
		acount = 0;
		bcount = 0;
		for (;;) {
			int lt = ms->lt(ms->ctx, b[nb - 1], base[na - 1]);

			if (lt < 0)
				goto fail;
			if (lt) {
				base[na + nb - 1] = base[na - 1];
				++acount;
				bcount = 0;
				if (--na == 0)
					goto succeed;
				if (acount >= min_gallop)
					break;
			} else {
				base[na + nb - 1] = b[nb - 1];
				++bcount;
				acount = 0;
				if (--nb == 1)
					goto copy_a;
				if (bcount >= min_gallop)
					break;
			}
		}
		++min_gallop;
		do {
			min_gallop -= min_gallop > 1;
			ms->min_gallop = min_gallop;
			k = sort_gallop_right(ms, b[nb - 1], base, na, na - 1);
			if (k < 0)
				goto fail;
			k = na - k;
			acount = k;
			if (k) {
				/* A's top k items go to the top slots. */
				memmove(base + na + nb - k, base + na - k,
					(size_t)k * sizeof(*base));
				na -= k;
				if (na == 0)
					goto succeed;
			}
			base[na + nb - 1] = b[nb - 1];
			if (--nb == 1)
				goto copy_a;

			k = sort_gallop_left(ms, base[na - 1], b, nb, nb - 1);
			if (k < 0)
				goto fail;
			k = nb - k;
			bcount = k;
			if (k) {
				memcpy(base + na + nb - k, b + nb - k,
				       (size_t)k * sizeof(*b));
				nb -= k;
				if (nb == 1)
					goto copy_a;
				/* Only an inconsistent "<" gets here. */
				if (nb == 0)
					goto succeed;
			}
			base[na + nb - 1] = base[na - 1];
			if (--na == 0)
				goto succeed;
		} while (acount >= MIN_GALLOP || bcount >= MIN_GALLOP);
		++min_gallop;
		ms->min_gallop = min_gallop;
	}
succeed:
	result = 0;
fail:
	if (nb)
		memcpy(base + na, b, (size_t)nb * sizeof(*b));
	return result;
copy_a:
	/* The first item of B belongs before all that is left of A. */
	memmove(base + 1, base, (size_t)na * sizeof(*base));
	base[0] = b[0];
	return 0;
}

/* Merge the pending runs i and i + 1. */
static int
sort_merge_at(struct sort_state *ms, int i)
{
	struct pyv **pa = ms->keys + ms->pending[i].base;
	struct pyv **pb = ms->keys + ms->pending[i + 1].base;
	ssize_t na = (ssize_t)ms->pending[i].len;
	ssize_t nb = (ssize_t)ms->pending[i + 1].len;
	ssize_t k;

	ms->pending[i].len = (size_t)(na + nb);
	if (i == ms->n - 3)
		ms->pending[i + 1] = ms->pending[i + 2];
	--ms->n;

	/* Items of A before B's first are already in place. */
	k = sort_gallop_right(ms, *pb, pa, na, 0);
	if (k < 0)
		return -1;
	pa += k;
	na -= k;
	if (na == 0)
		return 0;
	/* Items of B after A's last are already in place. */
	nb = sort_gallop_left(ms, pa[na - 1], pb, nb, nb - 1);
	if (nb <= 0)
		return (int)nb;
	if (na <= nb)
		return sort_merge_lo(ms, pa, na, pb, nb);
	return sort_merge_hi(ms, pa, na, nb);
}

/*
 * Powersort's node power of the boundary between the runs [s1, s1 + n1)
 * and [s1 + n1, s1 + n1 + n2) in a list of n: the first bit where the
 * binary fractions of the two runs' midpoints (divided by n) differ.
 * Doubled midpoints keep everything integral.
 */
static int
sort_power(size_t s1, size_t n1, size_t n2, size_t n)
{
	size_t a = 2 * s1 + n1;
	size_t b = a + n1 + n2;
	int result = 0;

	for (;;) {
		++result;
		if (a >= n) {
			a -= n;
			b -= n;
		} else if (b >= n) {
			break;
		}
		a <<= 1;
		b <<= 1;
	}
	return result;
}

/* A run of n2 items follows the top pending run: merge the runs below
 * whose power is greater, then record the top run's power. */
static int
sort_found_run(struct sort_state *ms, size_t n2)
{
	struct sort_run *p = ms->pending;
	int power;

	if (ms->n == 0)
		return 0;
	power = sort_power(p[ms->n - 1].base, p[ms->n - 1].len, n2,
			   ms->listlen);
	while (ms->n > 1 && p[ms->n - 2].power > power)
		if (sort_merge_at(ms, ms->n - 2) < 0)
			return -1;
	p[ms->n - 1].power = power;
	return 0;
}

/* Merge all pending runs, at the end. */
static int
sort_force_collapse(struct sort_state *ms)
{
	struct sort_run *p = ms->pending;

	while (ms->n > 1) {
		int n = ms->n - 2;

		if (n > 0 && p[n - 1].len < p[n + 1].len)
			--n;
		if (sort_merge_at(ms, n) < 0)
			return -1;
	}
	return 0;
}

/* minrun: n itself below 64, else n's top 6 bits, plus 1 if any bit
 * shifted out was set, so n / minrun is a power of 2 or just below one. */
static size_t
sort_minrun(size_t n)
{
	size_t r = 0;

	while (n >= 64) {
		r |= n & 1;
		n >>= 1;
	}
	return n + r;
}

int
pysort_run(struct pyv **items, size_t n, pysort_lt_fn lt, void *ctx)
{
	struct sort_state *ms;
	size_t lo = 0, remaining = n, minrun;
	int ret = -1;

	if (n < 2)
		return 0;
	if (n > SIZE_MAX / sizeof(*items) / 2 ||
	    (ms = calloc(1, sizeof(*ms))) == NULL)
		return -2;
	ms->tmp = malloc((n / 2 + 1) * sizeof(*items));
	if (ms->tmp == NULL) {
		ret = -2;
		goto out;
	}
	ms->keys = items;
	ms->listlen = n;
	ms->min_gallop = MIN_GALLOP;
	ms->lt = lt;
	ms->ctx = ctx;

	minrun = sort_minrun(n);
	do {
		int descending;
		ssize_t r;
		size_t len;

		r = sort_count_run(ms, items + lo, items + n, &descending);
		if (r < 0)
			goto out;
		len = (size_t)r;
		if (descending)
			sort_reverse(items + lo, len);
		if (len < minrun) {
			size_t force = remaining <= minrun ? remaining : minrun;

			if (sort_binary(ms, items + lo, items + lo + force,
					items + lo + len) < 0)
				goto out;
			len = force;
		}
		if (sort_found_run(ms, len) < 0)
			goto out;
		ms->pending[ms->n].base = lo;
		ms->pending[ms->n].len = len;
		ms->pending[ms->n].power = 0;
		++ms->n;
		lo += len;
		remaining -= len;
	} while (remaining);
	if (sort_force_collapse(ms) < 0)
		goto out;
	ret = 0;
out:
	free(ms->tmp);
	free(ms);
	return ret;
}

/* ---- comparisons --------------------------------------------------------- */

/* An int or a bool as sign and decimal magnitude. */
struct int_view {
	int sign; /* -1, 0 or 1 */
	const char *digits;
	size_t n;
};

static int
is_number(const struct pyv *v)
{
	return v->type == PYV_BOOL || v->type == PYV_INT ||
	       v->type == PYV_FLOAT;
}

static struct int_view
int_view(const struct pyv *v)
{
	struct int_view iv;

	if (v->type == PYV_BOOL) {
		iv.sign = v->u.boolean ? 1 : 0;
		iv.digits = v->u.boolean ? "1" : "0";
		iv.n = 1;
		return iv;
	}
	iv.digits = v->u.integer.digits;
	iv.n = v->u.integer.ndigits;
	if (iv.n == 1 && iv.digits[0] == '0')
		iv.sign = 0;
	else
		iv.sign = v->u.integer.neg ? -1 : 1;
	return iv;
}

/* Compare two decimal magnitudes without leading zeros. */
static int
mag_cmp(const char *a, size_t na, const char *b, size_t nb)
{
	int c;

	if (na != nb)
		return na < nb ? -1 : 1;
	c = memcmp(a, b, na);
	return (c > 0) - (c < 0);
}

static int
int_cmp(struct int_view a, struct int_view b)
{
	int m;

	if (a.sign != b.sign)
		return a.sign < b.sign ? -1 : 1;
	if (a.sign == 0)
		return 0;
	m = mag_cmp(a.digits, a.n, b.digits, b.n);
	return a.sign > 0 ? m : -m;
}

/*
 * Non-negative integers of up to BIG_LIMBS 32-bit limbs, least significant
 * first: 1088 bits hold every double's integer part (< 2^1024) and every
 * 309-digit decimal (< 10^309 < 2^1027).
 */
#define BIG_LIMBS 34
#define DBL_INT_DIGITS 309 /* DBL_MAX has 309 integer digits */
struct big {
	uint32_t l[BIG_LIMBS];
	int n; /* limbs in use, no leading zero limb */
};

static void
big_muladd(struct big *b, uint32_t mul, uint32_t add)
{
	uint64_t carry = add;
	int i;

	for (i = 0; i < b->n; i++) {
		carry += (uint64_t)b->l[i] * mul;
		b->l[i] = (uint32_t)carry;
		carry >>= 32;
	}
	if (carry != 0)
		b->l[b->n++] = (uint32_t)carry;
}

/* From at most DBL_INT_DIGITS decimal digits, nine at a time. */
static void
big_from_dec(struct big *b, const char *d, size_t n)
{
	size_t i = 0, k = n % 9 ? n % 9 : 9;
	uint32_t chunk;

	b->n = 0;
	while (i < n) {
		for (chunk = 0; k > 0; k--, i++)
			chunk = chunk * 10 + (uint32_t)(d[i] - '0');
		big_muladd(b, 1000000000, chunk);
		k = 9;
	}
}

/* From a finite integral double >= 0: its 53-bit mantissa, shifted. */
static void
big_from_double(struct big *b, double x)
{
	unsigned __int128 w;
	int e, i, sh;
	uint64_t m;

	memset(b, 0, sizeof(*b));
	if (x == 0)
		return;
	m = (uint64_t)ldexp(frexp(x, &e), 53); /* x = m * 2^(e-53) */
	sh = e - 53;
	if (sh < 0) {
		m >>= -sh; /* x is integral: only zero bits go */
		sh = 0;
	}
	i = sh / 32;
	w = (unsigned __int128)m << (sh % 32);
	b->l[i] = (uint32_t)w;
	b->l[i + 1] = (uint32_t)(w >> 32);
	b->l[i + 2] = (uint32_t)(w >> 64);
	for (b->n = i + 3; b->n > 0 && b->l[b->n - 1] == 0; b->n--)
		;
}

static int
big_cmp(const struct big *a, const struct big *b)
{
	int i;

	if (a->n != b->n)
		return a->n < b->n ? -1 : 1;
	for (i = a->n - 1; i >= 0; i--)
		if (a->l[i] != b->l[i])
			return a->l[i] < b->l[i] ? -1 : 1;
	return 0;
}

/*
 * Compare an int with a finite double exactly, as CPython's float_richcompare
 * does (it never rounds the int).  A magnitude of 15 digits or fewer is
 * exact as a double; a longer one is compared in binary with the double's
 * integer part (no decimal formatting: that cost microseconds per
 * comparison for doubles near 1e300), a nonzero fraction breaking a tie.
 */
static int
int_double_cmp(struct int_view iv, double x)
{
	int sx = (x > 0) - (x < 0), m;
	double ax = fabs(x);

	if (iv.sign != sx)
		return iv.sign < sx ? -1 : 1;
	if (sx == 0)
		return 0;
	if (iv.n <= 15) {
		uint64_t u = 0;
		double d;
		size_t i;

		for (i = 0; i < iv.n; i++)
			u = u * 10 + (uint64_t)(iv.digits[i] - '0');
		d = (double)u;
		m = (d > ax) - (d < ax);
	} else if (iv.n > DBL_INT_DIGITS) {
		m = 1; /* >= 10^309 > DBL_MAX */
	} else {
		struct big bi, bx;
		double ip = trunc(ax);

		big_from_dec(&bi, iv.digits, iv.n);
		big_from_double(&bx, ip);
		m = big_cmp(&bi, &bx);
		if (m == 0 && ip != ax)
			m = -1;
	}
	return iv.sign > 0 ? m : -m;
}

#define NUM_UNORDERED 2

/* -1, 0, 1, or NUM_UNORDERED when a NaN is involved. */
static int
num_cmp(const struct pyv *a, const struct pyv *b)
{
	if (a->type == PYV_FLOAT && b->type == PYV_FLOAT) {
		double x = a->u.f, y = b->u.f;

		if (isnan(x) || isnan(y))
			return NUM_UNORDERED;
		return (x > y) - (x < y);
	}
	if (a->type == PYV_FLOAT) {
		int r = num_cmp(b, a);

		return r == NUM_UNORDERED ? r : -r;
	}
	if (b->type == PYV_FLOAT) {
		double y = b->u.f;

		if (isnan(y))
			return NUM_UNORDERED;
		if (isinf(y))
			return y > 0 ? -1 : 1;
		return int_double_cmp(int_view(a), y);
	}
	return int_cmp(int_view(a), int_view(b));
}

static int
str_cmp(const struct pyv *a, const struct pyv *b)
{
	size_t n = a->u.str.len < b->u.str.len ? a->u.str.len : b->u.str.len;
	size_t i;

	for (i = 0; i < n; i++)
		if (a->u.str.cp[i] != b->u.str.cp[i])
			return a->u.str.cp[i] < b->u.str.cp[i] ? -1 : 1;
	if (a->u.str.len != b->u.str.len)
		return a->u.str.len < b->u.str.len ? -1 : 1;
	return 0;
}

/* The dict's value under key (a PYV_STR) by a scan, or NULL. */
static const struct pyv *
dict_scan(const struct pyv *d, const struct pyv *key)
{
	size_t i;

	for (i = 0; i < d->u.dict.len; i++)
		if (pyv_str_equal(d->u.dict.keys[i], key))
			return d->u.dict.values[i];
	return NULL;
}

/*
 * An open-addressing index of d's keys by their keyed hash (pyvalue.h),
 * slot = position + 1, at most half full; NULL when memory runs out.
 */
static size_t *
dict_index(const struct pyv *d, size_t *capp)
{
	size_t cap = 16, i, j, *slot;

	while (cap / 2 < d->u.dict.len) {
		if (cap > SIZE_MAX / 2 / sizeof(*slot))
			return NULL;
		cap *= 2;
	}
	if ((slot = calloc(cap, sizeof(*slot))) == NULL)
		return NULL;
	for (i = 0; i < d->u.dict.len; i++) {
		j = (size_t)pyv_str_hash(d->u.dict.keys[i]) & (cap - 1);
		while (slot[j] != 0)
			j = (j + 1) & (cap - 1);
		slot[j] = i + 1;
	}
	*capp = cap;
	return slot;
}

static const struct pyv *
dict_find(const struct pyv *d, const size_t *slot, size_t cap,
	  const struct pyv *key)
{
	size_t j = (size_t)pyv_str_hash(key) & (cap - 1);

	for (; slot[j] != 0; j = (j + 1) & (cap - 1))
		if (pyv_str_equal(d->u.dict.keys[slot[j] - 1], key))
			return d->u.dict.values[slot[j] - 1];
	return NULL;
}

/*
 * Python's dict_equal(): every key of a, in a's order, found in b with an
 * equal value.  Dicts built in the same key order match position by
 * position; at the first key that is not where a has it, b is indexed by
 * hash, so the whole comparison is expected linear in any order.  Without
 * memory for the index it falls back to scanning, slower but the same.
 */
static int
dict_eq(const struct pyv *a, const struct pyv *b)
{
	size_t i, cap = 0, *slot = NULL;
	const struct pyv *key, *bv;
	int indexed = 0, eq = 0;

	if (a->u.dict.len != b->u.dict.len)
		return 0;
	for (i = 0; i < a->u.dict.len; i++) {
		key = a->u.dict.keys[i];
		if (!indexed && pyv_str_equal(b->u.dict.keys[i], key)) {
			bv = b->u.dict.values[i];
		} else {
			if (!indexed) {
				slot = dict_index(b, &cap);
				indexed = 1;
			}
			bv = slot != NULL ? dict_find(b, slot, cap, key)
					  : dict_scan(b, key);
		}
		if (bv == NULL || !pysort_eq(a->u.dict.values[i], bv))
			goto out;
	}
	eq = 1;
out:
	free(slot);
	return eq;
}

int
pysort_eq(const struct pyv *a, const struct pyv *b)
{
	size_t i;

	if (a == b)
		return 1;
	if (is_number(a) && is_number(b)) {
		/* The one NaN object json.loads shares is itself. */
		if (a->type == PYV_FLOAT && b->type == PYV_FLOAT &&
		    isnan(a->u.f) && isnan(b->u.f))
			return 1;
		return num_cmp(a, b) == 0;
	}
	if (a->type != b->type)
		return 0;
	switch (a->type) {
	case PYV_NONE:
		return 1;
	case PYV_STR:
		return str_cmp(a, b) == 0;
	case PYV_LIST:
		if (a->u.list.len != b->u.list.len)
			return 0;
		for (i = 0; i < a->u.list.len; i++)
			if (!pysort_eq(a->u.list.items[i], b->u.list.items[i]))
				return 0;
		return 1;
	case PYV_DICT:
		return dict_eq(a, b);
	default:
		return 0;
	}
}

int
pysort_lt(const struct pyv *a, const struct pyv *b, char *err, size_t errlen)
{
	size_t i;

	if (is_number(a) && is_number(b))
		return num_cmp(a, b) == -1;
	if (a->type == PYV_STR && b->type == PYV_STR)
		return str_cmp(a, b) < 0;
	if (a->type == PYV_LIST && b->type == PYV_LIST) {
		/* The first items that differ decide; else the lengths. */
		for (i = 0; i < a->u.list.len && i < b->u.list.len; i++)
			if (!pysort_eq(a->u.list.items[i], b->u.list.items[i]))
				return pysort_lt(a->u.list.items[i],
						 b->u.list.items[i], err,
						 errlen);
		return a->u.list.len < b->u.list.len;
	}
	if (errlen > 0)
		snprintf(err, errlen,
			 "'<' not supported between instances of '%s' and '%s'",
			 pyv_type_name(a), pyv_type_name(b));
	return -1;
}

struct lt_ctx {
	char *err;
	size_t errlen;
};

static int
pyv_lt_cb(void *ctx, const struct pyv *a, const struct pyv *b)
{
	struct lt_ctx *c = ctx;

	return pysort_lt(a, b, c->err, c->errlen);
}

int
pysort_list(struct pyv *list, char *err, size_t errlen)
{
	struct lt_ctx c = { err, errlen };
	int r;

	if (list->type != PYV_LIST) {
		if (errlen > 0)
			snprintf(err, errlen,
				 "'%s' object has no attribute 'sort'",
				 pyv_type_name(list));
		return -1;
	}
	r = pysort_run(list->u.list.items, list->u.list.len, pyv_lt_cb, &c);
	if (r == -2 && errlen > 0)
		snprintf(err, errlen, "out of memory");
	return r < 0 ? -1 : 0;
}
