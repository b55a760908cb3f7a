/*
 * trust.h: the publisher keys fnhostd trusts, as it holds them.
 *
 * The set is read from the store's trusted/ directory at start, after
 * every change made through the API, and on SIGHUP; a reload that fails
 * keeps the keys held before.  Every call is thread-safe: a bundle is
 * verified against one consistent set, never half of an old one.
 */
#ifndef FNHOST_TRUST_H
#define FNHOST_TRUST_H

#include <stddef.h>

#include "daemon/deploy.h"
#include "daemon/store.h"

struct trust;

/* An empty set over store s, which must outlive it; NULL when out of
 * memory. */
struct trust *trust_new(struct store *s);
void trust_free(struct trust *t);

/* Read the keys from the store again.  Returns 0 and the number of keys
 * in *n (if not NULL), or the store's error with the old keys kept.
 * Reloads run one at a time, so once one returns the keys held are at
 * least as new as trusted/ was when it began: a key removed before is
 * gone, whatever other reloads ran meanwhile. */
int trust_reload(struct trust *t, size_t *n, char *err, size_t errlen);

/* deploy_commit() of d against the keys held now, its plugin checked
 * with probe: d is consumed.  The keys are held until it returns, probe
 * included: a change of the trusted keys waits for deploys in flight. */
int trust_commit(struct trust *t, struct deploy *d,
		 const struct deploy_probe *probe, struct store_function *out,
		 char *err, size_t errlen);

/* The key ids held now, as minisign prints them (16 upper-case hex), in
 * a malloc()ed array of *n entries (free()); NULL with *n = 0 when there
 * are none or memory is short. */
/* bundle_verify() of the staged bundle at dirfd with the keys held now:
 * what a bundle pulled from a shared registry passes before it is
 * installed, as a deploy's does. */
int trust_verify(struct trust *t, int dirfd, struct bundle_info *info,
		 char *err, size_t errlen);
char (*trust_ids(struct trust *t, size_t *n))[17];

#endif
