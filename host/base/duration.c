/* duration.c: the duration grammar (see duration.h). */
#include <stdio.h>
#include <string.h>

#include "base/duration.h"
#include "base/err.h"
#include "base/quote.h"

/* Room for a hostile text quoted in a message. */
#define QUOTE_MAX 64

/* Largest first, for duration_format(). */
static const struct {
	const char *name;
	uint64_t ms;
} units[] = {
	{ "d", 86400000 }, { "h", 3600000 }, { "m", 60000 },
	{ "s", 1000 },	   { "ms", 1 },
};
#define NUNITS (sizeof(units) / sizeof(units[0]))

enum duration_fault
duration_check(const char *s, size_t n, uint64_t *ms)
{
	uint64_t v = 0, scale = 0;
	size_t i, d = 0;

	while (d < n && s[d] >= '0' && s[d] <= '9')
		d++;
	if (d == 0)
		return DURATION_SYNTAX;
	if (d == n)
		scale = 1000; /* bare digits are seconds */
	for (i = 0; i < NUNITS && scale == 0; i++)
		if (n - d == strlen(units[i].name) &&
		    memcmp(s + d, units[i].name, n - d) == 0)
			scale = units[i].ms;
	/* The syntax before the value: "99999999999999999999x" is junk. */
	if (scale == 0)
		return DURATION_SYNTAX;
	for (i = 0; i < d; i++) {
		if (v > (DURATION_MAX_MS - (uint64_t)(s[i] - '0')) / 10)
			return DURATION_OVERFLOW;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > DURATION_MAX_MS / scale)
		return DURATION_OVERFLOW;
	*ms = v * scale;
	return DURATION_OK;
}

int
duration_parse(const char *s, size_t n, uint64_t *ms, char *err, size_t errlen)
{
	char q[QUOTE_MAX];

	switch (duration_check(s, n, ms)) {
	case DURATION_OK:
		return 0;
	case DURATION_OVERFLOW:
		return err_set(err, errlen, ERR_INVALID,
			       "duration '%s' is too long",
			       quote_bytes(q, sizeof(q), s, n));
	default:
		return err_set(err, errlen, ERR_INVALID,
			       "bad duration '%s' (use ms, s, m, h, d)",
			       quote_bytes(q, sizeof(q), s, n));
	}
}

int
duration_format(char *out, size_t outlen, uint64_t ms)
{
	size_t i = 0;
	int k;

	if (ms > DURATION_MAX_MS)
		return -1;
	/* 0 is exact in every unit; seconds read best. */
	if (ms == 0)
		i = NUNITS - 2;
	else
		while (ms % units[i].ms != 0)
			i++; /* ends at "ms", which divides everything */
	k = snprintf(NULL, 0, "%llu%s", (unsigned long long)(ms / units[i].ms),
		     units[i].name);
	if (k < 0 || (size_t)k >= outlen)
		return -1;
	snprintf(out, outlen, "%llu%s", (unsigned long long)(ms / units[i].ms),
		 units[i].name);
	return k;
}
