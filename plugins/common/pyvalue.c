/*
 * pyvalue: constructors, containers and destructor for struct pyv.
 *
 * The arrays of lists and dicts carry no capacity field (the value model is
 * shared and fixed), so they grow to the next power of two: a length that is
 * zero or a power of two means the array is full.
 */
#include <stdlib.h>
#include <string.h>

#include "pyvalue.h"

void
pyv_free(struct pyv *v)
{
	size_t i;

	if (v == NULL)
		return;
	switch (v->type) {
	case PYV_INT:
		free(v->u.integer.digits);
		break;
	case PYV_STR:
		free(v->u.str.cp);
		break;
	case PYV_LIST:
		for (i = 0; i < v->u.list.len; i++)
			pyv_free(v->u.list.items[i]);
		free(v->u.list.items);
		break;
	case PYV_DICT:
		for (i = 0; i < v->u.dict.len; i++) {
			pyv_free(v->u.dict.keys[i]);
			pyv_free(v->u.dict.values[i]);
		}
		free(v->u.dict.keys);
		free(v->u.dict.values);
		break;
	default:
		break;
	}
	free(v);
}

static struct pyv *
pyv_alloc(enum pyv_type type)
{
	struct pyv *v = calloc(1, sizeof(*v));

	if (v != NULL)
		v->type = type;
	return v;
}

struct pyv *
pyv_new_none(void)
{
	return pyv_alloc(PYV_NONE);
}

struct pyv *
pyv_new_bool(int b)
{
	struct pyv *v = pyv_alloc(PYV_BOOL);

	if (v != NULL)
		v->u.boolean = b != 0;
	return v;
}

struct pyv *
pyv_new_int(int neg, const char *digits, size_t n)
{
	struct pyv *v;
	size_t i;

	if (n == 0)
		return NULL;
	for (i = 0; i < n; i++)
		if (digits[i] < '0' || digits[i] > '9')
			return NULL;
	/* Keep one digit of an all-zero magnitude. */
	while (n > 1 && digits[0] == '0') {
		digits++;
		n--;
	}
	if ((v = pyv_alloc(PYV_INT)) == NULL)
		return NULL;
	if ((v->u.integer.digits = malloc(n + 1)) == NULL) {
		free(v);
		return NULL;
	}
	memcpy(v->u.integer.digits, digits, n);
	v->u.integer.digits[n] = '\0';
	v->u.integer.ndigits = n;
	v->u.integer.neg = neg && !(n == 1 && digits[0] == '0');
	return v;
}

struct pyv *
pyv_new_int_ll(long long x)
{
	char buf[24];
	unsigned long long mag;
	size_t pos = sizeof(buf);

	/* Negate in unsigned arithmetic so LLONG_MIN does not overflow. */
	mag = x < 0 ? 0ULL - (unsigned long long)x : (unsigned long long)x;
	do {
		buf[--pos] = (char)('0' + mag % 10);
		mag /= 10;
	} while (mag != 0);
	return pyv_new_int(x < 0, buf + pos, sizeof(buf) - pos);
}

struct pyv *
pyv_new_float(double f)
{
	struct pyv *v = pyv_alloc(PYV_FLOAT);

	if (v != NULL)
		v->u.f = f;
	return v;
}

struct pyv *
pyv_new_str(const uint32_t *cp, size_t len)
{
	struct pyv *v = pyv_alloc(PYV_STR);

	if (v == NULL)
		return NULL;
	/* One spare slot so that an empty str still owns a buffer. */
	if (len >= SIZE_MAX / sizeof(*cp) ||
	    (v->u.str.cp = malloc((len + 1) * sizeof(*cp))) == NULL) {
		free(v);
		return NULL;
	}
	if (len > 0)
		memcpy(v->u.str.cp, cp, len * sizeof(*cp));
	v->u.str.len = len;
	return v;
}

struct pyv *
pyv_new_str_ascii(const char *s)
{
	size_t i, len = strlen(s);
	struct pyv *v = pyv_new_str(NULL, 0);

	if (v == NULL)
		return NULL;
	free(v->u.str.cp);
	if ((v->u.str.cp = malloc((len + 1) * sizeof(uint32_t))) == NULL) {
		free(v);
		return NULL;
	}
	for (i = 0; i < len; i++)
		v->u.str.cp[i] = (unsigned char)s[i];
	v->u.str.len = len;
	return v;
}

struct pyv *
pyv_new_list(void)
{
	return pyv_alloc(PYV_LIST);
}

struct pyv *
pyv_new_dict(void)
{
	return pyv_alloc(PYV_DICT);
}

/*
 * Make room for one more pointer in *arr holding len of them, growing to
 * the next power of two when len is zero or a power of two.  0 or -1.
 */
static int
pyv_grow(struct pyv ***arr, size_t len)
{
	struct pyv **n;
	size_t cap;

	if (len != 0 && (len & (len - 1)) != 0)
		return 0;
	cap = len == 0 ? 4 : len * 2;
	if (cap < len || cap > SIZE_MAX / sizeof(**arr))
		return -1;
	if ((n = realloc(*arr, cap * sizeof(**arr))) == NULL)
		return -1;
	*arr = n;
	return 0;
}

int
pyv_list_append(struct pyv *list, struct pyv *item)
{
	if (list == NULL || list->type != PYV_LIST ||
	    pyv_grow(&list->u.list.items, list->u.list.len) != 0) {
		pyv_free(item);
		return -1;
	}
	list->u.list.items[list->u.list.len++] = item;
	return 0;
}

int
pyv_str_equal(const struct pyv *a, const struct pyv *b)
{
	if (a == NULL || b == NULL || a->type != PYV_STR ||
	    b->type != PYV_STR || a->u.str.len != b->u.str.len)
		return 0;
	return a->u.str.len == 0 ||
	       memcmp(a->u.str.cp, b->u.str.cp,
		      a->u.str.len * sizeof(uint32_t)) == 0;
}

int
pyv_dict_set(struct pyv *dict, struct pyv *key, struct pyv *value)
{
	size_t i, len;

	if (dict == NULL || dict->type != PYV_DICT || key == NULL ||
	    key->type != PYV_STR || value == NULL)
		goto fail;
	len = dict->u.dict.len;
	for (i = 0; i < len; i++) {
		if (pyv_str_equal(dict->u.dict.keys[i], key)) {
			pyv_free(dict->u.dict.values[i]);
			dict->u.dict.values[i] = value;
			pyv_free(key);
			return 0;
		}
	}
	return pyv_dict_append(dict, key, value);
fail:
	pyv_free(key);
	pyv_free(value);
	return -1;
}

int
pyv_dict_append(struct pyv *dict, struct pyv *key, struct pyv *value)
{
	size_t len;

	if (dict == NULL || dict->type != PYV_DICT || key == NULL ||
	    key->type != PYV_STR || value == NULL)
		goto fail;
	len = dict->u.dict.len;
	/* keys and values always have the same length, hence capacity. */
	if (pyv_grow(&dict->u.dict.keys, len) != 0 ||
	    pyv_grow(&dict->u.dict.values, len) != 0)
		goto fail;
	dict->u.dict.keys[len] = key;
	dict->u.dict.values[len] = value;
	dict->u.dict.len = len + 1;
	return 0;
fail:
	pyv_free(key);
	pyv_free(value);
	return -1;
}

struct pyv *
pyv_dict_get(const struct pyv *dict, const char *key)
{
	size_t i, j, klen = strlen(key);
	const struct pyv *k;

	if (dict == NULL || dict->type != PYV_DICT)
		return NULL;
	for (i = 0; i < dict->u.dict.len; i++) {
		k = dict->u.dict.keys[i];
		if (k->u.str.len != klen)
			continue;
		for (j = 0; j < klen; j++)
			if (k->u.str.cp[j] != (unsigned char)key[j])
				break;
		if (j == klen)
			return dict->u.dict.values[i];
	}
	return NULL;
}

const char *
pyv_type_name(const struct pyv *v)
{
	static const char *const names[] = {
		[PYV_NONE] = "NoneType", [PYV_BOOL] = "bool",
		[PYV_INT] = "int",	 [PYV_FLOAT] = "float",
		[PYV_STR] = "str",	 [PYV_LIST] = "list",
		[PYV_DICT] = "dict",
	};

	if (v == NULL || (unsigned)v->type >= sizeof(names) / sizeof(*names))
		return "NoneType";
	return names[v->type];
}

/*
 * SipHash-1-3 (J.-P. Aumasson, D. J. Bernstein, "SipHash: a fast
 * short-input PRF", 2012, with one compression and three finalization
 * rounds, as CPython and Rust use it for their tables): keyed, so a client
 * that does not know the session's key cannot choose colliding keys.
 */
static uint64_t pyv_hkey[2];

void
pyv_hash_setkey(const unsigned char key[16])
{
	int i;

	pyv_hkey[0] = pyv_hkey[1] = 0;
	for (i = 7; i >= 0; i--) {
		pyv_hkey[0] = pyv_hkey[0] << 8 | key[i];
		pyv_hkey[1] = pyv_hkey[1] << 8 | key[8 + i];
	}
}

#define SIP_ROTL(x, b) (((x) << (b)) | ((x) >> (64 - (b))))

static void
sip_round(uint64_t v[4])
{
	v[0] += v[1];
	v[1] = SIP_ROTL(v[1], 13);
	v[1] ^= v[0];
	v[0] = SIP_ROTL(v[0], 32);
	v[2] += v[3];
	v[3] = SIP_ROTL(v[3], 16);
	v[3] ^= v[2];
	v[0] += v[3];
	v[3] = SIP_ROTL(v[3], 21);
	v[3] ^= v[0];
	v[2] += v[1];
	v[1] = SIP_ROTL(v[1], 17);
	v[1] ^= v[2];
	v[2] = SIP_ROTL(v[2], 32);
}

static void
sip_absorb(uint64_t v[4], uint64_t m)
{
	v[3] ^= m;
	sip_round(v);
	v[0] ^= m;
}

uint64_t
pyv_str_hash(const struct pyv *s)
{
	uint64_t v[4] = {
		pyv_hkey[0] ^ 0x736f6d6570736575ULL,
		pyv_hkey[1] ^ 0x646f72616e646f6dULL,
		pyv_hkey[0] ^ 0x6c7967656e657261ULL,
		pyv_hkey[1] ^ 0x7465646279746573ULL,
	};
	size_t i, n = s->u.str.len;
	uint64_t bytes = (uint64_t)n * 4;

	/* Two code points make one 8-byte little-endian message word. */
	for (i = 0; i + 1 < n; i += 2)
		sip_absorb(v, (uint64_t)s->u.str.cp[i] |
				      (uint64_t)s->u.str.cp[i + 1] << 32);
	sip_absorb(v, (bytes << 56) | (i < n ? (uint64_t)s->u.str.cp[i] : 0));
	v[2] ^= 0xff;
	sip_round(v);
	sip_round(v);
	sip_round(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}
