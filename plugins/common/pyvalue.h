/*
 * pyvalue: a small model of the Python values a JSON document can hold,
 * so that plugins can reproduce the seed's Python byte for byte.
 *
 * Every constructor returns a fresh heap value owned by the caller, or NULL
 * when memory runs out.  Container functions take ownership of the items
 * handed to them, also when they fail (the item is then freed), so a caller
 * never has to clean up after a failed append.
 */
#ifndef FNHOST_PYVALUE_H
#define FNHOST_PYVALUE_H

#include <stddef.h>
#include <stdint.h>

enum pyv_type {
	PYV_NONE,
	PYV_BOOL,
	PYV_INT,
	PYV_FLOAT,
	PYV_STR,
	PYV_LIST,
	PYV_DICT
};
struct pyv {
	enum pyv_type type;
	union {
		int boolean; /* PYV_BOOL: 0 or 1 */
		struct {
			int neg;
			char *digits;
			size_t ndigits;
		} integer;
		/* PYV_INT: magnitude in decimal ASCII, NUL-terminated, no leading zeros ("0" for zero, and neg = 0 then) */
		double f; /* PYV_FLOAT */
		struct {
			uint32_t *cp;
			size_t len;
		} str;
		/* PYV_STR: code points; may hold lone surrogates (0xD800-0xDFFF) as Python str can */
		struct {
			struct pyv **items;
			size_t len;
		} list;
		struct {
			struct pyv **keys;
			struct pyv **values;
			size_t len;
		} dict;
		/* PYV_DICT: keys are PYV_STR, unique, in first-insertion order; a repeated key keeps its first position and takes the last value, as Python's dict does */
	} u;
};

/* Free v and everything it holds.  NULL is a no-op. */
void pyv_free(struct pyv *v);

/* Python's None, and bool from b (any non-zero is True). */
struct pyv *pyv_new_none(void);
struct pyv *pyv_new_bool(int b);

/*
 * An int from its decimal magnitude: digits[0..n) must be ASCII digits, n
 * at least 1.  Leading zeros are dropped and a zero is never negative, so
 * the result always satisfies the PYV_INT invariant.  NULL on bad digits.
 */
struct pyv *pyv_new_int(int neg, const char *digits, size_t n);

/* An int from a C integer. */
struct pyv *pyv_new_int_ll(long long x);

/* A float. */
struct pyv *pyv_new_float(double f);

/* A str copied from len code points (any value up to 0x10FFFF). */
struct pyv *pyv_new_str(const uint32_t *cp, size_t len);

/* A str from NUL-terminated ASCII text (for keys and messages). */
struct pyv *pyv_new_str_ascii(const char *s);

/* An empty list and an empty dict. */
struct pyv *pyv_new_list(void);
struct pyv *pyv_new_dict(void);

/*
 * Append item to list, taking ownership of item in every case.
 * Returns 0, or -1 (item freed) when list is not a PYV_LIST or memory runs
 * out.
 */
int pyv_list_append(struct pyv *list, struct pyv *item);

/*
 * dict[key] = value, as Python does it: a new key goes last, a key already
 * present keeps its place and its old value is freed.  Takes ownership of
 * key and value in every case.  Returns 0, or -1 (both freed) when dict is
 * not a PYV_DICT, key is not a PYV_STR, or memory runs out.
 */
int pyv_dict_set(struct pyv *dict, struct pyv *key, struct pyv *value);

/*
 * Append key: value to dict without looking for key first: for callers
 * that already know key is new (a parser with its own index).  Takes
 * ownership as pyv_dict_set() does; 0 or -1.
 */
int pyv_dict_append(struct pyv *dict, struct pyv *key, struct pyv *value);

/*
 * The value of dict under the key spelled by the NUL-terminated ASCII text
 * key, or NULL when dict is not a PYV_DICT or has no such key.  The result
 * is borrowed: it lives as long as dict does.
 */
struct pyv *pyv_dict_get(const struct pyv *dict, const char *key);

/* 1 when a and b are PYV_STR with the same code points, else 0. */
int pyv_str_equal(const struct pyv *a, const struct pyv *b);

/*
 * The key of pyv_str_hash(), 16 bytes.  Every plugin sets it once per
 * session, from host->random(), before it parses anything: hash tables over
 * client-chosen keys (pyjson's duplicate-key index, pysort's dict equality)
 * then cannot be flooded with keys chosen to collide, as Python's own
 * str hash is keyed per process.  Until it is set the key is all zeros
 * (for unit tests; the hash is correct then, only predictable).
 */
void pyv_hash_setkey(const unsigned char key[16]);

/*
 * SipHash-1-3 of the str s's code points (each as 4 little-endian bytes)
 * under the key above.  s must be a PYV_STR.
 */
uint64_t pyv_str_hash(const struct pyv *s);

/* Python's type name of v: "NoneType", "bool", "int", "float", "str",
 * "list" or "dict". */
const char *pyv_type_name(const struct pyv *v);

#endif /* FNHOST_PYVALUE_H */
