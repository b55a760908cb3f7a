/*
 * store-replica.c: the store as a registry's local cache (store.h, the
 * replica block).  A PostgreSQL registry (daemon/registry.h) computes
 * ids, numbers and aliases once, for every host; these write its
 * records into this host's store as given, through the record layer, so
 * that the record caches stay true.
 */
#include <stdio.h>
#include <string.h>

#include "daemon/store-int.h"

int
store_replica_alias_put(struct store *s, const struct store_alias *a, char *err,
			size_t errlen)
{
	return store_record_put(s, &store_alias_records, a, err, errlen);
}

int
store_replica_alias_remove(struct store *s, const char *name, const char *alias,
			   char *err, size_t errlen)
{
	char id[STORE_TARGET_MAX];
	int rc;

	if (!store_label_ok(name) || !store_alias_ok(alias))
		return store_fail(err, errlen, ERR_INVALID, "bad alias");
	snprintf(id, sizeof(id), "%s@%s", name, alias);
	rc = store_record_delete(s, &store_alias_records, id, err, errlen);
	return rc == -ERR_NOT_FOUND ? 0 : rc;
}

int
store_replica_alias_all(struct store *s, struct store_alias **out, size_t *n,
			char *err, size_t errlen)
{
	return store_record_list(s, &store_alias_records, (void **)out, n, err,
				 errlen);
}

int
store_replica_function_remove(struct store *s, const char *id, char *err,
			      size_t errlen)
{
	int rc = store_function_delete(s, id, err, errlen);

	return rc == -ERR_NOT_FOUND ? 0 : rc;
}

int
store_replica_alias_ok(const char *alias)
{
	return store_alias_ok(alias);
}

int
store_replica_id_ok(const char *id)
{
	return store_id_ok(id);
}

int
store_replica_new_id(struct store *s, char id[32], char *err, size_t errlen)
{
	struct store_function f;
	int rc;

	memset(&f, 0, sizeof(f));
	rc = store_function_new_id(s, &f, err, errlen);
	if (rc == 0)
		memcpy(id, f.id, sizeof(f.id));
	return rc;
}
