/*
 * hide_and_seek: the seed's Cape function, answering what its Python
 * answers.
 *
 * The first invoke of a session stores its JSON input in ./secret.json (the
 * scratch directory) as json.dump(indent=4, ensure_ascii=False) writes it,
 * and returns nothing.  Every later invoke reads the stored point back and
 * returns how far the new point is from it on the WGS-84 ellipsoid:
 *
 *	user_loco = (float(user["latitude"]), float(user["longitude"]))
 *	secret_loco = (float(secret["latitude"]), float(secret["longitude"]))
 *	distance = geopy.distance.geodesic(secret_loco, user_loco).m
 *
 * Errors carry the text of the exception Python raises, in the order it
 * raises them.  geopy computes the distance with an ellipsoid in
 * kilometres and converts to metres with "* 1000"; this plugin does the
 * same, with geodesic.c's pygeod_s12(), which repeats GeographicLib's
 * Python operations one for one, so every distance is geopy's double.
 *
 * The seed opens secret.json with open() and relies on the deployment
 * shipping an empty secret.json; the scratch directory starts empty, so a
 * missing file here means the same as the seed's empty one: no secret.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fnhost/plugin.h>

#include "geodesic.h"
#include "pyfloat.h"
#include "pyjson.h"
#include "pyvalue.h"

#define HS_SECRET_PATH "secret.json"
/* Far above anything a bounded input can dump to; refuses, never cuts. */
#define HS_SECRET_MAX (64u << 20)
/* An error text's room beyond what it repeats of a value (hs_err()). */
#define HS_ERR_MAX 4096
/* Nesting open_secret()'s json.load() reads back (see hs_open_secret). */
#define HS_SECRET_DEPTH (PYJSON_MAX_DEPTH - 2)

/* WGS-84 as geopy's ELLIPSOIDS['WGS-84'] gives it: a in km, f. */
#define HS_WGS84_A_KM 6378.137
#define HS_WGS84_F (1 / 298.257223563)

/*
 * Read ./secret.json into *buf (malloc'd) and *len.  Returns 1 when read,
 * 0 when there is no such file, -1 with err set on any other failure.
 */
static int
hs_read_file(char **buf, size_t *len, char *err, size_t errlen)
{
	size_t cap = 4096, n = 0;
	char *b = NULL, *nb;
	ssize_t r;
	int fd, rc = -1;

	fd = open(HS_SECRET_PATH, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "cannot open %s: %s", HS_SECRET_PATH,
			 strerror(errno));
		return -1;
	}
	for (;;) {
		if (n == cap || b == NULL) {
			if (b != NULL)
				cap *= 2;
			if (cap > HS_SECRET_MAX) {
				snprintf(err, errlen,
					 "%s is larger than %u bytes",
					 HS_SECRET_PATH, HS_SECRET_MAX);
				goto out;
			}
			if ((nb = realloc(b, cap)) == NULL) {
				snprintf(err, errlen, "out of memory");
				goto out;
			}
			b = nb;
		}
		r = read(fd, b + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(err, errlen, "cannot read %s: %s",
				 HS_SECRET_PATH, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	*buf = b;
	*len = n;
	b = NULL;
	rc = 1;
out:
	free(b);
	close(fd);
	return rc;
}

/*
 * open_secret(): the stored value, or NULL in *secret when there is none
 * (no file, or a file json.load() refuses: the seed catches that and
 * returns None).  Returns 0, or -1 with err set on an I/O failure.
 */
static int
hs_open_secret(struct pyv **secret, size_t *secret_len, char *err,
	       size_t errlen)
{
	char perr[HS_ERR_MAX];
	size_t len;
	char *buf;
	int rc;

	*secret = NULL;
	if ((rc = hs_read_file(&buf, &len, err, errlen)) <= 0)
		return rc;
	/* json.load(f) in open_secret(): two frames (open_secret, json.load)
	 * deeper than the handler's json.loads(), so two levels less
	 * nesting; a deeper secret, stored fine, reads back as none. */
	*secret = pyjson_loads_depth(buf, len, HS_SECRET_DEPTH, perr,
				     sizeof(perr));
	*secret_len = len;
	free(buf);
	return 0;
}

/* store_secret(): json.dump the value into ./secret.json. */
static int
hs_store_secret(const struct pyv *v, char *err, size_t errlen)
{
	size_t len, off = 0;
	ssize_t w;
	char *text;
	int fd, rc = -1;

	if ((text = pyjson_dump(v, &len, err, errlen)) == NULL)
		return -1;
	/* Strictly below the cap, so that hs_read_file() reads it back. */
	if (len >= HS_SECRET_MAX) {
		snprintf(err, errlen, "the secret is larger than %u bytes",
			 HS_SECRET_MAX);
		free(text);
		return -1;
	}
	fd = open(HS_SECRET_PATH,
		  O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "cannot create %s: %s", HS_SECRET_PATH,
			 strerror(errno));
		free(text);
		return -1;
	}
	while (off < len) {
		w = write(fd, text + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			snprintf(err, errlen, "cannot write %s: %s",
				 HS_SECRET_PATH, strerror(errno));
			goto out;
		}
		off += (size_t)w;
	}
	rc = 0;
out:
	if (close(fd) != 0 && rc == 0) {
		snprintf(err, errlen, "cannot write %s: %s", HS_SECRET_PATH,
			 strerror(errno));
		rc = -1;
	}
	free(text);
	return rc;
}

/* Python's v[key] for a str key, with the TypeError/KeyError texts. */
static const struct pyv *
hs_subscript(const struct pyv *v, const char *key, char *err, size_t errlen)
{
	const struct pyv *item;

	switch (v->type) {
	case PYV_DICT:
		if ((item = pyv_dict_get(v, key)) == NULL)
			snprintf(err, errlen, "'%s'", key);
		return item;
	case PYV_LIST:
		snprintf(err, errlen,
			 "list indices must be integers or slices, not str");
		return NULL;
	case PYV_STR:
		snprintf(err, errlen,
			 "string indices must be integers, not 'str'");
		return NULL;
	default:
		snprintf(err, errlen, "'%s' object is not subscriptable",
			 pyv_type_name(v));
		return NULL;
	}
}

/* (float(v["latitude"]), float(v["longitude"])), left to right. */
static int
hs_loco(const struct pyv *v, double loco[2], char *err, size_t errlen)
{
	static const char *const keys[2] = { "latitude", "longitude" };
	const struct pyv *item;
	int i;

	for (i = 0; i < 2; i++) {
		if ((item = hs_subscript(v, keys[i], err, errlen)) == NULL ||
		    pyfloat_from_pyv(item, &loco[i], err, errlen) != 0)
			return -1;
	}
	return 0;
}

/*
 * fmod(x, 360.0) for a finite x, exactly as C's fmod: long division by
 * 360 * 2^k, largest k first.  Each step subtracts y from r with
 * y <= r < 2y, which Sterbenz's lemma makes exact.  (Plugins link no libm:
 * the Makefile gives them only their pkg-config libraries.)
 */
static double
hs_fmod360(double x)
{
	double r = fabs(x), y = 360.0;

	while (y <= r / 2)
		y *= 2;
	for (; y >= 360.0; y /= 2)
		if (r >= y)
			r -= y;
	return x < 0 ? -r : r;
}

/* geopy.point._normalize_angle(x, 180.0): into [-180, 180). */
static double
hs_normalize_lon(double x)
{
	double m = hs_fmod360(x);

	if (m == 0)
		m = 0.0; /* "or 0.0" turns -0.0 into 0.0 */
	if (m < -180.0)
		return m + 360.0;
	if (m >= 180.0)
		return m - 360.0;
	return m;
}

/* geopy's Point(loco): the checks of _normalize_coordinates, in order. */
static int
hs_point(double loco[2], char *err, size_t errlen)
{
	char a[PYFLOAT_REPR_MAX], b[PYFLOAT_REPR_MAX];
	int i;

	/* float(x or 0.0): a zero of either sign becomes 0.0. */
	for (i = 0; i < 2; i++)
		if (loco[i] == 0)
			loco[i] = 0.0;
	if (!isfinite(loco[0]) || !isfinite(loco[1])) {
		pyfloat_repr(loco[0], a, sizeof(a));
		pyfloat_repr(loco[1], b, sizeof(b));
		snprintf(err, errlen,
			 "Point coordinates must be finite. (%s, %s, 0.0) has "
			 "been passed as coordinates.",
			 a, b);
		return -1;
	}
	if (fabs(loco[0]) > 90) {
		snprintf(err, errlen,
			 "Latitude must be in the [-90; 90] range.");
		return -1;
	}
	if (fabs(loco[1]) > 180)
		loco[1] = hs_normalize_lon(loco[1]);
	return 0;
}

/* geodesic(secret, user).m: s12 on a km ellipsoid, then km * 1000. */
static double
hs_distance(const double secret[2], const double user[2])
{
	struct pygeod g;
	double s12;

	pygeod_init(&g, HS_WGS84_A_KM, HS_WGS84_F);
	s12 = pygeod_s12(&g, secret[0], secret[1], user[0], user[1]);
	/* Distance() adds 0 and units.kilometers() == 0.0; meters() adds
	 * km() == 0.0 and multiplies by 1000. */
	return (s12 + 0.0 + 0.0) * 1000;
}

/* The message the seed returns for a distance. */
static int
hs_answer(const struct fnh_host *host, struct fnh_call *call, double d)
{
	char num[PYFLOAT_REPR_MAX], msg[128];
	int n;

	pyfloat_repr(d, num, sizeof(num));
	if (d < 100)
		n = snprintf(msg, sizeof(msg),
			     "Congrats you found the treasure!");
	else if (d < 10000)
		n = snprintf(msg, sizeof(msg),
			     "Getting closer! still %s meters away", num);
	else
		n = snprintf(msg, sizeof(msg),
			     "Not even close! still %s meters away", num);
	if (host->output(call, msg, (size_t)n) != 0)
		return host->fail(call, "output limit reached");
	return 0;
}

/*
 * Room for an error text about values read from n bytes of JSON: the
 * seed's messages repeat a value whole (float()'s "could not convert
 * string to float: '...'", a repr), and Python writes a character of it
 * in at most 4 bytes for each byte it took in the JSON (U+0085, two
 * bytes, as \x85), so the text is the function's answer byte for byte
 * whatever the input's length.  NULL when out of memory.
 */
static char *
hs_err(char *err, size_t n, size_t *errlen)
{
	size_t room = 4 * n + HS_ERR_MAX;
	char *e;

	if (room <= *errlen)
		return err;
	e = realloc(err, room);
	if (e == NULL)
		return NULL;
	if (err == NULL)
		e[0] = '\0';
	*errlen = room;
	return e;
}

static int
hs_handle(const struct fnh_host *host, struct fnh_call *call, const void *input,
	  size_t input_len)
{
	struct pyv *user = NULL, *secret = NULL;
	double user_loco[2], secret_loco[2];
	size_t errlen = 0, secret_len = 0;
	char *err, *more;
	int rc = -1;

	if ((err = hs_err(NULL, input_len, &errlen)) == NULL)
		return host->fail(call, "out of memory");
	if ((user = pyjson_loads(input, input_len, err, errlen)) == NULL)
		goto out;
	if (hs_open_secret(&secret, &secret_len, err, errlen) != 0)
		goto out;
	if (secret == NULL || secret->type == PYV_NONE) {
		rc = hs_store_secret(user, err, errlen);
		goto out;
	}
	/* From here on a message may repeat the secret's values too. */
	if ((more = hs_err(err, input_len + secret_len, &errlen)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	err = more;
	if (hs_loco(user, user_loco, err, errlen) != 0 ||
	    hs_loco(secret, secret_loco, err, errlen) != 0 ||
	    hs_point(secret_loco, err, errlen) != 0 ||
	    hs_point(user_loco, err, errlen) != 0)
		goto out;
	rc = hs_answer(host, call, hs_distance(secret_loco, user_loco));
	err[0] = '\0';
out:
	pyv_free(user);
	pyv_free(secret);
	if (rc != 0 && err[0] != '\0')
		rc = host->fail(call, "%s", err);
	free(err);
	return rc;
}

/*
 * Once per session: the key of the hash tables over client-chosen dict
 * keys (pyvalue.h), fresh from the host, so a flood of colliding keys
 * cannot be computed in advance.  No key, no session.
 */
static int
hs_init(const struct fnh_host *host)
{
	unsigned char key[16];

	if (host->random(key, sizeof(key)) != 0) {
		host->log(FNH_LOG_ERROR, "no random bytes for the hash key");
		return -1;
	}
	pyv_hash_setkey(key);
	return 0;
}

FNH_PLUGIN(.name = "hide_and_seek", .version = "1.0.0",
	   .description = "The seed's hide-and-seek game: distance to a "
			  "stored secret point",
	   .init = hs_init, .handle = hs_handle)
