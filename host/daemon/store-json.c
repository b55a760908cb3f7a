/*
 * store-json.c: a record as one line of JSON, driven by its kind's field
 * table (see store-int.h): strict on read (one object, exactly the
 * table's keys, each of its type, then the kind's checks), and written
 * with the keys in the table's order, so the bytes on disk are fixed.
 * A record that is malformed on disk is -ERR_IO naming the file: it is
 * the store that is damaged, not the caller's request.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/store-int.h"

/*
 * Parse buf[len] as one JSON object and nothing else but trailing white
 * space; shown names the file in messages.
 */
static int
record_parse(const char *buf, size_t len, const char *shown, json_object **out,
	     char *err, size_t errlen)
{
	struct json_tokener *tok;
	json_object *obj;
	size_t end;
	int rc = 0;

	if (memchr(buf, '\0', len) != NULL)
		return store_fail(err, errlen, ERR_IO, "%s: NUL byte in record",
				  shown);
	if ((tok = json_tokener_new_ex(4)) == NULL)
		return store_fail(err, errlen, ERR_INTERNAL, "out of memory");
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	obj = json_tokener_parse_ex(tok, buf, (int)len);
	end = json_tokener_get_parse_end(tok);
	while (obj != NULL && end < len && strchr(" \t\r\n", buf[end]))
		end++;
	if (obj == NULL || json_tokener_get_error(tok) != json_tokener_success)
		rc = store_fail(err, errlen, ERR_IO,
				"%s: bad JSON at byte %zu: %s", shown, end,
				json_tokener_error_desc(
					json_tokener_get_error(tok)));
	else if (end != len)
		rc = store_fail(err, errlen, ERR_IO,
				"%s: data after the record", shown);
	else if (!json_object_is_type(obj, json_type_object))
		rc = store_fail(err, errlen, ERR_IO, "%s: not a JSON object",
				shown);
	json_tokener_free(tok);
	if (rc < 0)
		json_object_put(obj);
	else
		*out = obj;
	return rc;
}

/* obj holds exactly the keys of kind's fields and nothing else. */
static int
record_keys(const struct record_kind *kind, json_object *obj, const char *shown,
	    char *err, size_t errlen)
{
	char q[QUOTE_MAX];
	size_t i, n = kind->nfields;

	for (i = 0; i < n; i++)
		if (!json_object_object_get_ex(obj, kind->fields[i].key, NULL))
			return store_fail(err, errlen, ERR_IO, "%s: no \"%s\"",
					  shown, kind->fields[i].key);
	if ((size_t)json_object_object_length(obj) == n)
		return 0;
	json_object_object_foreach(obj, key, val) {
		(void)val;
		for (i = 0; i < n && strcmp(key, kind->fields[i].key); i++)
			;
		if (i == n)
			return store_fail(err, errlen, ERR_IO,
					  "%s: unknown key \"%s\"", shown,
					  quote_str(q, sizeof(q), key));
	}
	return store_fail(err, errlen, ERR_IO, "%s: repeated key", shown);
}

/* The string at key, NUL-free and shorter than size, into out. */
static int
record_string(json_object *obj, const char *key, char *out, size_t size,
	      const char *shown, char *err, size_t errlen)
{
	json_object *v;
	const char *s;
	size_t n;

	json_object_object_get_ex(obj, key, &v);
	if (!json_object_is_type(v, json_type_string))
		return store_fail(err, errlen, ERR_IO,
				  "%s: \"%s\" is not a string", shown, key);
	s = json_object_get_string(v);
	n = (size_t)json_object_get_string_len(v);
	if (n >= size || strlen(s) != n)
		return store_fail(err, errlen, ERR_IO, "%s: bad \"%s\"", shown,
				  key);
	memcpy(out, s, n + 1);
	return 0;
}

/* One field of obj into its place in rec. */
static int
field_decode(const struct record_field *fl, json_object *obj, char *rec,
	     const char *shown, char *err, size_t errlen)
{
	char hex[CHECKSUM_LEN + 1];
	json_object *v;
	int64_t t;
	int rc;

	json_object_object_get_ex(obj, fl->key, &v);
	switch (fl->type) {
	case FIELD_STRING:
		return record_string(obj, fl->key, rec + fl->offset, fl->size,
				     shown, err, errlen);
	case FIELD_HEX32:
		rc = record_string(obj, fl->key, hex, sizeof(hex), shown, err,
				   errlen);
		if (rc < 0)
			return rc;
		if (hex_decode(rec + fl->offset, 32, hex, strlen(hex)) < 0)
			return store_fail(err, errlen, ERR_IO, "%s: bad \"%s\"",
					  shown, fl->key);
		return 0;
	case FIELD_TIME:
		if (!json_object_is_type(v, json_type_int))
			return store_fail(err, errlen, ERR_IO,
					  "%s: \"%s\" is not an integer", shown,
					  fl->key);
		errno = 0;
		t = json_object_get_int64(v);
		if (errno != 0 || t < 0 || t > TIME_MAX)
			return store_fail(err, errlen, ERR_IO,
					  "%s: \"%s\" is out of range", shown,
					  fl->key);
		memcpy(rec + fl->offset, &t, sizeof(t));
		return 0;
	case FIELD_BOOL:
		if (!json_object_is_type(v, json_type_boolean))
			return store_fail(err, errlen, ERR_IO,
					  "%s: \"%s\" is not true or false",
					  shown, fl->key);
		*(bool *)(rec + fl->offset) = json_object_get_boolean(v);
		return 0;
	}
	return store_fail(err, errlen, ERR_INTERNAL, "bad field type");
}

int
store_record_check(const struct record_kind *kind, const void *rec,
		   const char *shown, char *err, size_t errlen)
{
	const char *bad = kind->bad_field(rec);

	if (bad != NULL)
		return store_fail(err, errlen, ERR_INVALID, "%s: bad \"%s\"",
				  shown, bad);
	return 0;
}

static int
record_decode(const struct record_kind *kind, json_object *obj, void *rec,
	      const char *shown, char *err, size_t errlen)
{
	size_t i;
	int rc;

	rc = record_keys(kind, obj, shown, err, errlen);
	for (i = 0; rc == 0 && i < kind->nfields; i++)
		rc = field_decode(&kind->fields[i], obj, rec, shown, err,
				  errlen);
	if (rc == 0 && store_record_check(kind, rec, shown, err, errlen) < 0) {
		errno = EIO; /* on disk: the store is damaged */
		rc = -ERR_IO;
	}
	return rc;
}

static json_object *
field_encode(const struct record_field *fl, const char *rec)
{
	char hex[CHECKSUM_LEN + 1];
	int64_t t;

	switch (fl->type) {
	case FIELD_STRING:
		return json_object_new_string(rec + fl->offset);
	case FIELD_HEX32:
		hex_encode(hex, rec + fl->offset, 32);
		return json_object_new_string(hex);
	case FIELD_TIME:
		memcpy(&t, rec + fl->offset, sizeof(t));
		return json_object_new_int64(t);
	case FIELD_BOOL:
		return json_object_new_boolean(
			*(const bool *)(rec + fl->offset));
	}
	return NULL;
}

int
store_record_encode(const struct record_kind *kind, const void *rec,
		    char **line, size_t *len, char *err, size_t errlen)
{
	json_object *o = json_object_new_object();
	const char *text = NULL;
	size_t i, n;
	int rc = 0;

	for (i = 0; o != NULL && i < kind->nfields; i++)
		json_object_object_add(o, kind->fields[i].key,
				       field_encode(&kind->fields[i], rec));
	if (o != NULL)
		text = json_object_to_json_string_ext(
			o, JSON_C_TO_STRING_PLAIN |
				   JSON_C_TO_STRING_NOSLASHESCAPE);
	if (text == NULL || (*line = malloc(strlen(text) + 2)) == NULL) {
		rc = store_fail(err, errlen, ERR_INTERNAL, "out of memory");
		goto out;
	}
	n = strlen(text);
	memcpy(*line, text, n);
	(*line)[n++] = '\n';
	*len = n;
out:
	json_object_put(o);
	return rc;
}

int
store_record_decode(const struct record_kind *kind, const char *buf, size_t len,
		    const char *shown, void *rec, char *err, size_t errlen)
{
	json_object *obj = NULL;
	int rc;

	memset(rec, 0, kind->size);
	rc = record_parse(buf, len, shown, &obj, err, errlen);
	if (rc == 0)
		rc = record_decode(kind, obj, rec, shown, err, errlen);
	json_object_put(obj);
	return rc;
}
