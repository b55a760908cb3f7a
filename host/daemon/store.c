/*
 * store.c: the daemon's persistent state under DATADIR (see store.h).
 *
 * Every directory is reached through a dirfd opened once by store_open();
 * every name is checked against its exact form (function id, jti,
 * checksum, key id) before it is used with openat(), and every open is
 * O_NOFOLLOW, so neither a hostile id from a URL nor a link planted in
 * DATADIR leads outside it.  Directory listings use a fresh fd each time
 * because threads share the store's fds and a directory stream has an
 * offset.
 *
 * On-disk formats (one line each, written atomically):
 *	keys/admin.token	64 lower-case hex characters and "\n", 0600
 *	keys/token.key		32 random bytes, 0600
 *	trusted/<KEYID>.pub	minisign_pubkey_format() text, 0644
 *	functions/<id>.json	{"id","name","version","checksum","plugin",
 *				"plugin_sha256","created"} and "\n", 0600
 *	tokens/<jti>.json	{"jti","sub","fch","iat","exp","revoked"}
 *				and "\n", 0600
 *	bundles/<checksum>/	dir 0555, files 0444
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "daemon/log.h"
#include "daemon/store.h"

/* The subdirectories, in the order of struct store's fds. */
enum store_dir {
	DIR_KEYS,
	DIR_TRUSTED,
	DIR_BUNDLES,
	DIR_FUNCTIONS,
	DIR_TOKENS,
	DIR_TMP,
	DIR_COUNT
};

static const char *const dir_names[DIR_COUNT] = {
	"keys", "trusted", "bundles", "functions", "tokens", "tmp",
};

#define ID_LEN		22	/* function id: [A-Za-z0-9]{22} */
#define JTI_LEN		32	/* token id: [0-9a-f]{32} */
#define CHECKSUM_LEN	64	/* bundle checksum: [0-9a-f]{64} */
#define KEYID_LEN	16	/* publisher key id: [0-9A-F]{16} */
#define TMP_PREFIX	".tmp-"
#define TMP_RANDOM	12	/* random characters in a temporary name */
#define STAGING_PREFIX	"deploy-"
#define STAGING_RANDOM	6
#define ADMIN_TOKEN	"admin.token"
#define TOKEN_KEY	"token.key"
/* Largest record file read; real ones are under 1 KiB. */
#define RECORD_MAX	(16u << 10)
/* Latest time a record may hold: 9999-12-31T23:59:59Z. */
#define TIME_MAX	253402300799LL
/* Deepest directory tree removed (staging dirs are flat). */
#define REMOVE_DEPTH	16
/* Room for a hostile name quoted in a message. */
#define QUOTE_MAX	80

struct store {
	char path[PATH_MAX];
	int rootfd;		/* DATADIR, flock()ed while the store is open */
	int dirfd[DIR_COUNT];	/* O_RDONLY | O_DIRECTORY */
	pthread_mutex_t lock;	/* read-modify-write sequences */
};

/* ---- errors and names ---------------------------------------------------- */

/* Format the reason into err and set errno to errnum; returns -1. */
static int __attribute__((format(printf, 4, 5)))
fail(char *err, size_t errlen, int errnum, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	errno = errnum;
	return -1;
}

/* s fit for a one-line message: bytes outside printable ASCII, quote and
 * backslash as \xNN; cut with "..." when long.  s may be NULL. */
static const char *
quote(const char *s, char out[QUOTE_MAX])
{
	size_t o = 0;
	unsigned char c;

	for (; s != NULL && *s != '\0'; s++) {
		if (o + 8 >= QUOTE_MAX) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		c = (unsigned char)*s;
		if (c < 0x20 || c >= 0x7f || c == '\'' || c == '\\')
			o += (size_t)snprintf(out + o, QUOTE_MAX - o, "\\x%02x",
					      c);
		else
			out[o++] = (char)c;
	}
	out[o] = '\0';
	return out;
}

static int
is_alnum(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
	       (c >= 'a' && c <= 'z');
}

static int
is_lower_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static int
is_upper_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
}

/* Whether s is exactly len characters that all pass ok(); s may be NULL
 * and is never read past its NUL or len + 1 bytes. */
static int
name_is(const char *s, size_t len, int (*ok)(char))
{
	size_t i;

	if (s == NULL)
		return 0;
	for (i = 0; i < len; i++)
		if (s[i] == '\0' || !ok(s[i]))
			return 0;
	return s[len] == '\0';
}

static int
id_ok(const char *s)
{
	return name_is(s, ID_LEN, is_alnum);
}

static int
jti_ok(const char *s)
{
	return name_is(s, JTI_LEN, is_lower_hex);
}

static int
checksum_ok(const char *s)
{
	return name_is(s, CHECKSUM_LEN, is_lower_hex);
}

static int
keyid_ok(const char *s)
{
	return name_is(s, KEYID_LEN, is_upper_hex);
}

/* A function name or version: 1 to BUNDLE_LABEL_MAX bytes of
 * [A-Za-z0-9._+-] starting with a letter or digit (as bundle.h says). */
static int
label_ok(const char *s)
{
	size_t i;

	if (s == NULL || !is_alnum(s[0]))
		return 0;
	for (i = 0; s[i] != '\0'; i++) {
		if (i == BUNDLE_LABEL_MAX)
			return 0;
		if (!is_alnum(s[i]) && !strchr("._+-", s[i]))
			return 0;
	}
	return 1;
}

/* name with suffix, e.g. "<id>.json", into out; the caller checked name. */
static void
record_name(const char *name, const char *suffix, char out[NAME_MAX + 1])
{
	snprintf(out, NAME_MAX + 1, "%s%s", name, suffix);
}

/* Whether file is "<name><suffix>" with name passing ok(); the name goes
 * to out (at least NAME_MAX + 1 bytes). */
static int
record_file(const char *file, const char *suffix, int (*ok)(const char *),
	    char out[NAME_MAX + 1])
{
	size_t n = strlen(file), sn = strlen(suffix);

	if (n <= sn || n > NAME_MAX || strcmp(file + n - sn, suffix) != 0)
		return 0;
	memcpy(out, file, n - sn);
	out[n - sn] = '\0';
	return ok(out);
}

/* n characters of [A-Za-z0-9] from RAND_bytes, and a NUL.  Bytes of 248
 * and above are dropped so that each of the 62 characters is equally
 * likely (248 = 4 * 62). */
static int
random_alnum(char *out, size_t n, char *err, size_t errlen)
{
	static const char set[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				  "abcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char buf[64];
	size_t i, o = 0;

	while (o < n) {
		if (RAND_bytes(buf, sizeof(buf)) != 1)
			return fail(err, errlen, EIO,
				    "the random generator failed");
		for (i = 0; i < sizeof(buf) && o < n; i++)
			if (buf[i] < 248)
				out[o++] = set[buf[i] % 62];
	}
	out[n] = '\0';
	OPENSSL_cleanse(buf, sizeof(buf));
	return 0;
}

static void
hex_lower(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

/* Decode 2n lower-case hex characters (checked by the caller). */
static void
unhex_lower(const char *in, size_t n, unsigned char *out)
{
	size_t i;
	int hi, lo;

	for (i = 0; i < n; i++) {
		hi = in[2 * i] <= '9' ? in[2 * i] - '0' : in[2 * i] - 'a' + 10;
		lo = in[2 * i + 1] <= '9' ? in[2 * i + 1] - '0'
					  : in[2 * i + 1] - 'a' + 10;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
}

/* ---- files --------------------------------------------------------------- */

/* Write all of buf to fd. */
static int
write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
store_write_atomic(int dirfd, const char *name, const void *buf, size_t len,
		   unsigned int mode, char *err, size_t errlen)
{
	char tmp[NAME_MAX + 1], rnd[TMP_RANDOM + 1], q[QUOTE_MAX];
	size_t n = name ? strnlen(name, NAME_MAX + 1) : 0;
	int fd = -1, saved;

	/* Room for ".tmp-<name>-<random>" within NAME_MAX. */
	if (n == 0 || n > NAME_MAX - sizeof(TMP_PREFIX) - TMP_RANDOM ||
	    strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
		return fail(err, errlen, EINVAL, "bad file name '%s'",
			    quote(name, q));
	if (random_alnum(rnd, TMP_RANDOM, err, errlen) < 0)
		return -1;
	snprintf(tmp, sizeof(tmp), TMP_PREFIX "%s-%s", name, rnd);
	/* Made 0600 and given its mode only once it is whole. */
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, 0600);
	if (fd < 0)
		goto fail;
	if (write_all(fd, buf, len) < 0 || fchmod(fd, mode & 07777) < 0 ||
	    fsync(fd) < 0)
		goto fail_unlink;
	if (close(fd) < 0) {
		fd = -1;
		goto fail_unlink;
	}
	fd = -1;
	if (renameat(dirfd, tmp, dirfd, name) < 0)
		goto fail_unlink;
	/* Renamed: the new content is in place, but only the directory's
	 * fsync makes the rename itself durable. */
	if (fsync(dirfd) < 0)
		goto fail;
	return 0;
fail_unlink:
	saved = errno;
	if (fd >= 0)
		close(fd);
	unlinkat(dirfd, tmp, 0);
	errno = saved;
fail:
	saved = errno;
	return fail(err, errlen, saved, "cannot write %s: %s",
		    quote(name, q), strerror(saved));
}

/*
 * Read dirfd/name, a regular file of at most max bytes, into a malloc()ed
 * buffer with a NUL after its *len bytes.  shown names the file in
 * messages.  A missing file fails with errno ENOENT.
 */
static int
read_file(int dirfd, const char *name, size_t max, const char *shown,
	  char **buf, size_t *len, char *err, size_t errlen)
{
	struct stat st;
	char *b = NULL;
	size_t got = 0;
	ssize_t n;
	int fd, e;

	/* O_NONBLOCK: a FIFO planted here must not hang the daemon. */
	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
		    O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		return fail(err, errlen, e, "cannot open %s: %s", shown,
			    strerror(e));
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return fail(err, errlen, EINVAL, "%s is not a regular file",
			    shown);
	}
	if ((b = malloc(max + 2)) == NULL) {
		close(fd);
		return fail(err, errlen, ENOMEM, "out of memory");
	}
	/* One byte more than allowed tells a file that is too long. */
	while (got <= max) {
		n = read(fd, b + got, max + 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			e = errno;
			close(fd);
			free(b);
			return fail(err, errlen, e, "cannot read %s: %s",
				    shown, strerror(e));
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (got > max) {
		free(b);
		return fail(err, errlen, EFBIG, "%s is over %zu bytes", shown,
			    max);
	}
	b[got] = '\0';
	*buf = b;
	*len = got;
	return 0;
}

/*
 * Remove parent/name and, if it is a directory, all it holds, never
 * following a link.  Directories are made 0700 first, so that read-only
 * bundles (0555) can be emptied without CAP_DAC_OVERRIDE.  A missing
 * name is not an error.
 */
static int
remove_tree(int parent, const char *name, int depth)
{
	struct dirent *de;
	DIR *d;
	int fd, first = 0;

	if (unlinkat(parent, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR || depth >= REMOVE_DEPTH)
		return -1;
	fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
	if (fd < 0)
		return -1;
	fchmod(fd, 0700); /* if it fails, the unlinks below say so */
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	/* Go on past a failure, and tell the first one's errno. */
	while ((errno = 0, de = readdir(d)) != NULL) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (remove_tree(fd, de->d_name, depth + 1) < 0 && !first)
			first = errno;
	}
	if (errno != 0 && !first)
		first = errno;
	closedir(d);
	if (unlinkat(parent, name, AT_REMOVEDIR) < 0 && errno != ENOENT &&
	    !first)
		first = errno;
	errno = first;
	return first ? -1 : 0;
}

/* A fresh stream over the directory dirfd, for one listing. */
static DIR *
open_listing(int dirfd)
{
	DIR *d;
	int fd;

	fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	if ((d = fdopendir(fd)) == NULL)
		close(fd);
	return d;
}

static int
is_temporary(const char *name)
{
	return strncmp(name, TMP_PREFIX, strlen(TMP_PREFIX)) == 0;
}

/* ---- JSON records -------------------------------------------------------- */

/*
 * Parse buf[len] as one JSON object and nothing else but trailing white
 * space; shown names the file in messages.
 */
static int
record_parse(const char *buf, size_t len, const char *shown,
	     json_object **out, char *err, size_t errlen)
{
	struct json_tokener *tok;
	json_object *obj;
	size_t end;

	if (memchr(buf, '\0', len) != NULL)
		return fail(err, errlen, EINVAL, "%s: NUL byte in record",
			    shown);
	if ((tok = json_tokener_new_ex(4)) == NULL)
		return fail(err, errlen, ENOMEM, "out of memory");
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	obj = json_tokener_parse_ex(tok, buf, (int)len);
	end = json_tokener_get_parse_end(tok);
	if (obj == NULL ||
	    json_tokener_get_error(tok) != json_tokener_success) {
		fail(err, errlen, EINVAL, "%s: bad JSON at byte %zu: %s", shown,
		     end, json_tokener_error_desc(json_tokener_get_error(tok)));
		json_tokener_free(tok);
		json_object_put(obj);
		return -1;
	}
	json_tokener_free(tok);
	while (end < len && strchr(" \t\r\n", buf[end]))
		end++;
	if (end != len) {
		json_object_put(obj);
		return fail(err, errlen, EINVAL, "%s: data after the record",
			    shown);
	}
	if (!json_object_is_type(obj, json_type_object)) {
		json_object_put(obj);
		return fail(err, errlen, EINVAL, "%s: not a JSON object",
			    shown);
	}
	*out = obj;
	return 0;
}

/* obj holds exactly the n keys in keys[] and nothing else. */
static int
record_keys(json_object *obj, const char *const *keys, size_t n,
	    const char *shown, char *err, size_t errlen)
{
	char q[QUOTE_MAX];
	size_t i;

	for (i = 0; i < n; i++)
		if (!json_object_object_get_ex(obj, keys[i], NULL))
			return fail(err, errlen, EINVAL, "%s: no \"%s\"", shown,
				    keys[i]);
	if ((size_t)json_object_object_length(obj) == n)
		return 0;
	json_object_object_foreach(obj, key, val) {
		(void)val;
		for (i = 0; i < n && strcmp(key, keys[i]) != 0; i++)
			;
		if (i == n)
			return fail(err, errlen, EINVAL,
				    "%s: unknown key \"%s\"", shown,
				    quote(key, q));
	}
	return fail(err, errlen, EINVAL, "%s: repeated key", shown);
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
		return fail(err, errlen, EINVAL, "%s: \"%s\" is not a string",
			    shown, key);
	s = json_object_get_string(v);
	n = (size_t)json_object_get_string_len(v);
	if (n >= size || strlen(s) != n)
		return fail(err, errlen, EINVAL, "%s: bad \"%s\"", shown, key);
	memcpy(out, s, n + 1);
	return 0;
}

/* The integer at key, in 0..TIME_MAX. */
static int
record_time(json_object *obj, const char *key, int64_t *out,
	    const char *shown, char *err, size_t errlen)
{
	json_object *v;
	int64_t t;

	json_object_object_get_ex(obj, key, &v);
	if (!json_object_is_type(v, json_type_int))
		return fail(err, errlen, EINVAL, "%s: \"%s\" is not an integer",
			    shown, key);
	errno = 0;
	t = json_object_get_int64(v);
	if (errno != 0 || t < 0 || t > TIME_MAX)
		return fail(err, errlen, EINVAL, "%s: \"%s\" is out of range",
			    shown, key);
	*out = t;
	return 0;
}

/* Serialise obj (consumed) as one line and write it atomically. */
static int
record_write(int dirfd, const char *name, json_object *obj, char *err,
	     size_t errlen)
{
	const char *text;
	char *line;
	size_t n;
	int ret;

	text = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN |
					      JSON_C_TO_STRING_NOSLASHESCAPE);
	if (text == NULL || (line = malloc(strlen(text) + 2)) == NULL) {
		json_object_put(obj);
		return fail(err, errlen, ENOMEM, "out of memory");
	}
	n = strlen(text);
	memcpy(line, text, n);
	line[n++] = '\n';
	json_object_put(obj);
	ret = store_write_atomic(dirfd, name, line, n, 0600, err, errlen);
	free(line);
	return ret;
}

/* "DATADIR/<dir>/<file>" (or "DATADIR/<dir>" for ""), for messages. */
static void
shown_path(const struct store *s, enum store_dir dir, const char *file,
	   char out[PATH_MAX])
{
	int n;

	/* store_open() left room for any dir and file name; cut if not. */
	n = snprintf(out, PATH_MAX, "%s/%s%s%s", s->path, dir_names[dir],
		     file[0] != '\0' ? "/" : "", file);
	if (n < 0 || n >= PATH_MAX)
		memcpy(out + PATH_MAX - 4, "...", 4);
}

/* ---- function records ---------------------------------------------------- */

static const char *const function_keys[] = {
	"id", "name", "version", "checksum", "plugin", "plugin_sha256",
	"created",
};

/* Everything a record must satisfy, checked on write and on read. */
static int
function_check(const struct store_function *f, const char *shown, char *err,
	       size_t errlen)
{
	const char *bad = NULL;
	char e2[8];

	if (!id_ok(f->id))
		bad = "id";
	else if (!label_ok(f->name))
		bad = "name";
	else if (!label_ok(f->version))
		bad = "version";
	else if (!checksum_ok(f->checksum))
		bad = "checksum";
	else if (memchr(f->plugin, '\0', sizeof(f->plugin)) == NULL ||
		 bundle_name_check(f->plugin, strlen(f->plugin), e2,
				   sizeof(e2)) < 0)
		bad = "plugin";
	else if (f->created < 0 || f->created > TIME_MAX)
		bad = "created";
	if (bad != NULL)
		return fail(err, errlen, EINVAL, "%s: bad \"%s\"", shown, bad);
	return 0;
}

static int
function_from_json(json_object *obj, struct store_function *f,
		   const char *shown, char *err, size_t errlen)
{
	char hex[CHECKSUM_LEN + 1];

	memset(f, 0, sizeof(*f));
	if (record_keys(obj, function_keys, 7, shown, err, errlen) < 0 ||
	    record_string(obj, "id", f->id, sizeof(f->id), shown, err,
			  errlen) < 0 ||
	    record_string(obj, "name", f->name, sizeof(f->name), shown, err,
			  errlen) < 0 ||
	    record_string(obj, "version", f->version, sizeof(f->version),
			  shown, err, errlen) < 0 ||
	    record_string(obj, "checksum", f->checksum, sizeof(f->checksum),
			  shown, err, errlen) < 0 ||
	    record_string(obj, "plugin", f->plugin, sizeof(f->plugin), shown,
			  err, errlen) < 0 ||
	    record_string(obj, "plugin_sha256", hex, sizeof(hex), shown, err,
			  errlen) < 0 ||
	    record_time(obj, "created", &f->created, shown, err, errlen) < 0)
		return -1;
	if (!checksum_ok(hex))
		return fail(err, errlen, EINVAL, "%s: bad \"plugin_sha256\"",
			    shown);
	unhex_lower(hex, 32, f->plugin_sha256);
	return function_check(f, shown, err, errlen);
}

static json_object *
function_to_json(const struct store_function *f)
{
	json_object *o = json_object_new_object();
	char hex[CHECKSUM_LEN + 1];

	if (o == NULL)
		return NULL;
	hex_lower(f->plugin_sha256, 32, hex);
	json_object_object_add(o, "id", json_object_new_string(f->id));
	json_object_object_add(o, "name", json_object_new_string(f->name));
	json_object_object_add(o, "version",
			       json_object_new_string(f->version));
	json_object_object_add(o, "checksum",
			       json_object_new_string(f->checksum));
	json_object_object_add(o, "plugin", json_object_new_string(f->plugin));
	json_object_object_add(o, "plugin_sha256",
			       json_object_new_string(hex));
	json_object_object_add(o, "created",
			       json_object_new_int64(f->created));
	return o;
}

/* Read functions/<file> (the caller checked its name holds id). */
static int
function_read(struct store *s, const char *id, const char *file,
	      struct store_function *f, char *err, size_t errlen)
{
	char shown[PATH_MAX], *buf;
	json_object *obj;
	size_t len;
	int ret;

	shown_path(s, DIR_FUNCTIONS, file, shown);
	if (read_file(s->dirfd[DIR_FUNCTIONS], file, RECORD_MAX, shown, &buf,
		      &len, err, errlen) < 0) {
		if (errno == ENOENT)
			return fail(err, errlen, ENOENT, "no function '%s'",
				    id);
		return -1;
	}
	ret = record_parse(buf, len, shown, &obj, err, errlen);
	free(buf);
	if (ret < 0)
		return -1;
	ret = function_from_json(obj, f, shown, err, errlen);
	json_object_put(obj);
	if (ret == 0 && strcmp(f->id, id) != 0)
		return fail(err, errlen, EINVAL, "%s: holds id '%s'", shown,
			    f->id);
	return ret;
}

int
store_function_put(struct store *s, struct store_function *f, char *err,
		   size_t errlen)
{
	char file[NAME_MAX + 1];
	struct stat st;
	int tries;

	if (f->id[0] == '\0') {
		/* 131 bits: a clash is for the check below to catch, not
		 * something that happens. */
		for (tries = 0;; tries++) {
			if (tries == 4)
				return fail(err, errlen, EEXIST,
					    "cannot make a new function id");
			if (random_alnum(f->id, ID_LEN, err, errlen) < 0)
				return -1;
			record_name(f->id, ".json", file);
			if (fstatat(s->dirfd[DIR_FUNCTIONS], file, &st,
				    AT_SYMLINK_NOFOLLOW) < 0 &&
			    errno == ENOENT)
				break;
		}
	}
	if (function_check(f, "function record", err, errlen) < 0)
		return -1;
	record_name(f->id, ".json", file);
	return record_write(s->dirfd[DIR_FUNCTIONS], file, function_to_json(f),
			    err, errlen);
}

int
store_function_get(struct store *s, const char *id, struct store_function *f,
		   char *err, size_t errlen)
{
	char file[NAME_MAX + 1], q[QUOTE_MAX];

	if (!id_ok(id))
		return fail(err, errlen, EINVAL, "bad function id '%s'",
			    quote(id, q));
	record_name(id, ".json", file);
	return function_read(s, id, file, f, err, errlen);
}

static int
function_cmp(const void *a, const void *b)
{
	const struct store_function *x = a, *y = b;

	if (x->created != y->created)
		return x->created < y->created ? -1 : 1;
	return strcmp(x->id, y->id);
}

/* Grow *v (of *cap elements of size sz) to hold n + 1. */
static int
grow(void **v, size_t *cap, size_t n, size_t sz)
{
	size_t c = *cap ? *cap * 2 : 16;
	void *p;

	if (n < *cap)
		return 0;
	if (c > SIZE_MAX / sz || (p = realloc(*v, c * sz)) == NULL)
		return -1;
	*v = p;
	*cap = c;
	return 0;
}

/* One kind of record kept a file each in a directory of the store. */
struct record_kind {
	enum store_dir dir; /* DIR_FUNCTIONS, DIR_TOKENS */
	const char *what;   /* "function", "token" */
	int (*name_ok)(const char *name);
	/* Read file (name's record) into out; -1 with errno ENOENT when it
	 * was removed meanwhile. */
	int (*read)(struct store *s, const char *name, const char *file,
		    void *out, char *err, size_t errlen);
	size_t size;
	int (*cmp)(const void *a, const void *b);
};

/* Every record of kind, sorted by kind->cmp, into *out (free it). */
static int
list_records(struct store *s, const struct record_kind *kind, void **out,
	     size_t *n, char *err, size_t errlen)
{
	char name[NAME_MAX + 1], shown[PATH_MAX];
	size_t cap = 0, count = 0;
	struct dirent *de;
	char *v = NULL;
	DIR *d;
	int e;

	shown_path(s, kind->dir, "", shown);
	if ((d = open_listing(s->dirfd[kind->dir])) == NULL) {
		e = errno;
		return fail(err, errlen, e, "cannot list %s: %s", shown,
			    strerror(e));
	}
	while ((errno = 0, de = readdir(d)) != NULL) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    is_temporary(de->d_name))
			continue;
		if (!record_file(de->d_name, ".json", kind->name_ok, name)) {
			shown_path(s, kind->dir, de->d_name, shown);
			fail(err, errlen, EINVAL, "%s: not a %s record", shown,
			     kind->what);
			goto fail;
		}
		if (grow((void **)&v, &cap, count, kind->size) < 0) {
			fail(err, errlen, ENOMEM, "out of memory");
			goto fail;
		}
		if (kind->read(s, name, de->d_name, v + count * kind->size,
			       err, errlen) == 0)
			count++;
		else if (errno != ENOENT) /* else removed since readdir() */
			goto fail;
	}
	if (errno != 0) {
		e = errno;
		fail(err, errlen, e, "cannot list %s: %s", shown, strerror(e));
		goto fail;
	}
	closedir(d);
	if (count > 1)
		qsort(v, count, kind->size, kind->cmp);
	*out = v;
	*n = count;
	return 0;
fail:
	e = errno;
	closedir(d);
	free(v);
	errno = e;
	return -1;
}

static int
function_read_any(struct store *s, const char *id, const char *file,
		  void *out, char *err, size_t errlen)
{
	return function_read(s, id, file, out, err, errlen);
}

static const struct record_kind function_records = {
	DIR_FUNCTIONS, "function", id_ok, function_read_any,
	sizeof(struct store_function), function_cmp,
};

int
store_function_list(struct store *s, struct store_function **out, size_t *n,
		    char *err, size_t errlen)
{
	return list_records(s, &function_records, (void **)out, n, err,
			    errlen);
}

int
store_function_delete(struct store *s, const char *id, char *err,
		      size_t errlen)
{
	char file[NAME_MAX + 1], q[QUOTE_MAX];
	int e;

	if (!id_ok(id))
		return fail(err, errlen, EINVAL, "bad function id '%s'",
			    quote(id, q));
	record_name(id, ".json", file);
	if (unlinkat(s->dirfd[DIR_FUNCTIONS], file, 0) < 0) {
		e = errno;
		if (e == ENOENT)
			return fail(err, errlen, ENOENT, "no function '%s'",
				    id);
		return fail(err, errlen, e, "cannot delete function %s: %s",
			    id, strerror(e));
	}
	if (fsync(s->dirfd[DIR_FUNCTIONS]) < 0) {
		e = errno;
		return fail(err, errlen, e, "cannot sync %s/functions: %s",
			    s->path, strerror(e));
	}
	return 0;
}

/* ---- token records ------------------------------------------------------- */

static const char *const token_keys[] = {
	"jti", "sub", "fch", "iat", "exp", "revoked",
};

static int
token_check(const struct store_token *t, const char *shown, char *err,
	    size_t errlen)
{
	const char *bad = NULL;

	if (!jti_ok(t->jti))
		bad = "jti";
	else if (!id_ok(t->function_id))
		bad = "sub";
	else if (t->checksum[0] != '\0' && !checksum_ok(t->checksum))
		bad = "fch";
	else if (t->iat < 0 || t->iat > TIME_MAX)
		bad = "iat";
	else if (t->exp < 0 || t->exp > TIME_MAX)
		bad = "exp";
	if (bad != NULL)
		return fail(err, errlen, EINVAL, "%s: bad \"%s\"", shown, bad);
	return 0;
}

static int
token_from_json(json_object *obj, struct store_token *t, const char *shown,
		char *err, size_t errlen)
{
	json_object *v;

	memset(t, 0, sizeof(*t));
	if (record_keys(obj, token_keys, 6, shown, err, errlen) < 0 ||
	    record_string(obj, "jti", t->jti, sizeof(t->jti), shown, err,
			  errlen) < 0 ||
	    record_string(obj, "sub", t->function_id, sizeof(t->function_id),
			  shown, err, errlen) < 0 ||
	    record_string(obj, "fch", t->checksum, sizeof(t->checksum), shown,
			  err, errlen) < 0 ||
	    record_time(obj, "iat", &t->iat, shown, err, errlen) < 0 ||
	    record_time(obj, "exp", &t->exp, shown, err, errlen) < 0)
		return -1;
	json_object_object_get_ex(obj, "revoked", &v);
	if (!json_object_is_type(v, json_type_boolean))
		return fail(err, errlen, EINVAL,
			    "%s: \"revoked\" is not true or false", shown);
	t->revoked = json_object_get_boolean(v);
	return token_check(t, shown, err, errlen);
}

static json_object *
token_to_json(const struct store_token *t)
{
	json_object *o = json_object_new_object();

	if (o == NULL)
		return NULL;
	json_object_object_add(o, "jti", json_object_new_string(t->jti));
	json_object_object_add(o, "sub",
			       json_object_new_string(t->function_id));
	json_object_object_add(o, "fch", json_object_new_string(t->checksum));
	json_object_object_add(o, "iat", json_object_new_int64(t->iat));
	json_object_object_add(o, "exp", json_object_new_int64(t->exp));
	json_object_object_add(o, "revoked",
			       json_object_new_boolean(t->revoked));
	return o;
}

static int
token_read(struct store *s, const char *jti, const char *file,
	   struct store_token *t, char *err, size_t errlen)
{
	char shown[PATH_MAX], *buf;
	json_object *obj;
	size_t len;
	int ret;

	shown_path(s, DIR_TOKENS, file, shown);
	if (read_file(s->dirfd[DIR_TOKENS], file, RECORD_MAX, shown, &buf,
		      &len, err, errlen) < 0) {
		if (errno == ENOENT)
			return fail(err, errlen, ENOENT, "no token '%s'", jti);
		return -1;
	}
	ret = record_parse(buf, len, shown, &obj, err, errlen);
	free(buf);
	if (ret < 0)
		return -1;
	ret = token_from_json(obj, t, shown, err, errlen);
	json_object_put(obj);
	if (ret == 0 && strcmp(t->jti, jti) != 0)
		return fail(err, errlen, EINVAL, "%s: holds jti '%s'", shown,
			    t->jti);
	return ret;
}

int
store_token_put(struct store *s, const struct store_token *t, char *err,
		size_t errlen)
{
	char file[NAME_MAX + 1];

	if (token_check(t, "token record", err, errlen) < 0)
		return -1;
	record_name(t->jti, ".json", file);
	return record_write(s->dirfd[DIR_TOKENS], file, token_to_json(t), err,
			    errlen);
}

int
store_token_get(struct store *s, const char *jti, struct store_token *t,
		char *err, size_t errlen)
{
	char file[NAME_MAX + 1], q[QUOTE_MAX];

	if (!jti_ok(jti))
		return fail(err, errlen, EINVAL, "bad token id '%s'",
			    quote(jti, q));
	record_name(jti, ".json", file);
	return token_read(s, jti, file, t, err, errlen);
}

static int
token_cmp(const void *a, const void *b)
{
	const struct store_token *x = a, *y = b;

	if (x->iat != y->iat)
		return x->iat < y->iat ? -1 : 1;
	return strcmp(x->jti, y->jti);
}

static int
token_read_any(struct store *s, const char *jti, const char *file,
	       void *out, char *err, size_t errlen)
{
	return token_read(s, jti, file, out, err, errlen);
}

static const struct record_kind token_records = {
	DIR_TOKENS, "token", jti_ok, token_read_any,
	sizeof(struct store_token), token_cmp,
};

/* All token records, sorted by iat then jti. */
int
store_token_list(struct store *s, struct store_token **out, size_t *n,
		 char *err, size_t errlen)
{
	return list_records(s, &token_records, (void **)out, n, err, errlen);
}

int
store_token_revoke(struct store *s, const char *jti, char *err,
		   size_t errlen)
{
	struct store_token t;
	int ret;

	pthread_mutex_lock(&s->lock);
	ret = store_token_get(s, jti, &t, err, errlen);
	if (ret == 0 && !t.revoked) {
		t.revoked = true;
		ret = store_token_put(s, &t, err, errlen);
	}
	pthread_mutex_unlock(&s->lock);
	return ret;
}

/* ---- keys ---------------------------------------------------------------- */

/*
 * keys/<name>: read it into buf[len] when it exists and parse() accepts
 * it; else make it with make() and write it 0600.  Under the lock so two
 * first callers agree on one key.
 */
static int
key_get(struct store *s, const char *name, char *text, size_t max,
	int (*parse)(const char *, size_t, void *), void *out,
	void (*make)(const unsigned char *, char *, size_t *), bool *created,
	char *err, size_t errlen)
{
	unsigned char rnd[32];
	char shown[PATH_MAX], *buf = NULL;
	size_t len = 0;
	int ret = -1;

	shown_path(s, DIR_KEYS, name, shown);
	pthread_mutex_lock(&s->lock);
	*created = false;
	if (read_file(s->dirfd[DIR_KEYS], name, max, shown, &buf, &len, err,
		      errlen) == 0) {
		if (parse(buf, len, out) < 0)
			fail(err, errlen, EINVAL, "%s is malformed", shown);
		else
			ret = 0;
		goto out;
	}
	if (errno != ENOENT)
		goto out;
	if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
		fail(err, errlen, EIO, "the random generator failed");
		goto out;
	}
	make(rnd, text, &len);
	if (store_write_atomic(s->dirfd[DIR_KEYS], name, text, len, 0600, err,
			       errlen) < 0 ||
	    parse(text, len, out) < 0)
		goto out;
	*created = true;
	ret = 0;
out:
	pthread_mutex_unlock(&s->lock);
	OPENSSL_cleanse(rnd, sizeof(rnd));
	if (buf != NULL) {
		OPENSSL_cleanse(buf, len);
		free(buf);
	}
	return ret;
}

/* admin.token: 64 lower-case hex characters, a final newline optional. */
static int
admin_parse(const char *buf, size_t len, void *out)
{
	size_t i;

	if (len == 65 && buf[64] == '\n')
		len = 64;
	if (len != 64)
		return -1;
	for (i = 0; i < 64; i++)
		if (!is_lower_hex(buf[i]))
			return -1;
	memcpy(out, buf, 64);
	((char *)out)[64] = '\0';
	return 0;
}

static void
admin_make(const unsigned char *rnd, char *text, size_t *len)
{
	hex_lower(rnd, 32, text);
	text[64] = '\n';
	*len = 65;
}

int
store_admin_token(struct store *s, char token[65], bool *created, char *err,
		  size_t errlen)
{
	char text[66];
	bool made;
	int ret;

	ret = key_get(s, ADMIN_TOKEN, text, 65, admin_parse, token,
		      admin_make, &made, err, errlen);
	OPENSSL_cleanse(text, sizeof(text));
	if (created != NULL)
		*created = made;
	return ret;
}

/* token.key: exactly 32 bytes. */
static int
secret_parse(const char *buf, size_t len, void *out)
{
	if (len != 32)
		return -1;
	memcpy(out, buf, 32);
	return 0;
}

static void
secret_make(const unsigned char *rnd, char *text, size_t *len)
{
	memcpy(text, rnd, 32);
	*len = 32;
}

int
store_token_secret(struct store *s, unsigned char secret[32], char *err,
		   size_t errlen)
{
	char text[32];
	bool made;
	int ret;

	ret = key_get(s, TOKEN_KEY, text, 32, secret_parse, secret,
		      secret_make, &made, err, errlen);
	OPENSSL_cleanse(text, sizeof(text));
	return ret;
}

int
store_key_get(struct store *s, const char *name, void *out, size_t len,
	      char *err, size_t errlen)
{
	char shown[PATH_MAX], *buf = NULL;
	size_t got = 0;
	int ret = -1;

	shown_path(s, DIR_KEYS, name, shown);
	pthread_mutex_lock(&s->lock);
	if (read_file(s->dirfd[DIR_KEYS], name, 64, shown, &buf, &got, err,
		      errlen) < 0)
		goto out;
	if (got != len) {
		fail(err, errlen, EINVAL, "%s is malformed", shown);
		goto out;
	}
	memcpy(out, buf, len);
	ret = 0;
out:
	pthread_mutex_unlock(&s->lock);
	if (buf != NULL) {
		OPENSSL_cleanse(buf, got);
		free(buf);
	}
	return ret;
}

int
store_key_put(struct store *s, const char *name, const void *buf, size_t len,
	      char *err, size_t errlen)
{
	int ret;

	pthread_mutex_lock(&s->lock);
	ret = store_write_atomic(s->dirfd[DIR_KEYS], name, buf, len, 0600, err,
				 errlen);
	pthread_mutex_unlock(&s->lock);
	return ret;
}

int
store_key_remove(struct store *s, const char *name, char *err, size_t errlen)
{
	char shown[PATH_MAX];
	int ret = 0;

	shown_path(s, DIR_KEYS, name, shown);
	pthread_mutex_lock(&s->lock);
	if (unlinkat(s->dirfd[DIR_KEYS], name, 0) < 0 && errno != ENOENT)
		ret = fail(err, errlen, errno, "cannot remove %s: %s", shown,
			   strerror(errno));
	else if (fsync(s->dirfd[DIR_KEYS]) < 0)
		ret = fail(err, errlen, errno, "cannot sync %s/keys: %s",
			   s->path, strerror(errno));
	pthread_mutex_unlock(&s->lock);
	return ret;
}

/* ---- trusted publisher keys ---------------------------------------------- */

int
store_trust_load(struct store *s, struct minisign_pubkey **keys, size_t *n,
		 char *err, size_t errlen)
{
	char keyid[NAME_MAX + 1], hex[MINISIGN_KEYID_HEX], shown[PATH_MAX];
	char e2[256], *buf;
	struct minisign_pubkey *v = NULL;
	size_t cap = 0, count = 0, len;
	struct dirent *de;
	DIR *d;
	int e, rc;

	if ((d = open_listing(s->dirfd[DIR_TRUSTED])) == NULL) {
		e = errno;
		return fail(err, errlen, e, "cannot list %s/trusted: %s",
			    s->path, strerror(e));
	}
	while ((errno = 0, de = readdir(d)) != NULL) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    is_temporary(de->d_name))
			continue;
		shown_path(s, DIR_TRUSTED, de->d_name, shown);
		if (!record_file(de->d_name, ".pub", keyid_ok, keyid)) {
			fail(err, errlen, EINVAL,
			     "%s: not named <KEYID>.pub (16 upper-case hex)",
			     shown);
			goto fail;
		}
		if (grow((void **)&v, &cap, count, sizeof(*v)) < 0) {
			fail(err, errlen, ENOMEM, "out of memory");
			goto fail;
		}
		if (read_file(s->dirfd[DIR_TRUSTED], de->d_name,
			      MINISIGN_FILE_MAX, shown, &buf, &len, err,
			      errlen) < 0) {
			if (errno == ENOENT) /* removed since readdir() */
				continue;
			goto fail;
		}
		rc = minisign_pubkey_parse(buf, len, &v[count], e2,
					   sizeof(e2));
		free(buf);
		if (rc < 0) {
			fail(err, errlen, EINVAL, "%s: %s", shown, e2);
			goto fail;
		}
		minisign_keyid_hex(v[count].key_id, hex);
		if (strcmp(hex, keyid) != 0) {
			fail(err, errlen, EINVAL, "%s holds key %s", shown,
			     hex);
			goto fail;
		}
		count++;
	}
	if (errno != 0) {
		e = errno;
		fail(err, errlen, e, "cannot list %s/trusted: %s", s->path,
		     strerror(e));
		goto fail;
	}
	closedir(d);
	*keys = v;
	*n = count;
	return 0;
fail:
	e = errno;
	closedir(d);
	free(v);
	errno = e;
	return -1;
}

int
store_trust_add(struct store *s, const char *text, size_t len,
		char keyid[17], char *err, size_t errlen)
{
	struct minisign_pubkey pk, old;
	char canon[MINISIGN_FILE_MAX], file[NAME_MAX + 1], shown[PATH_MAX];
	char e2[256], *buf;
	size_t blen;
	int n, ret = -1;

	if (len > MINISIGN_FILE_MAX)
		return fail(err, errlen, EINVAL,
			    "a public key file is at most %d bytes",
			    MINISIGN_FILE_MAX);
	if (minisign_pubkey_parse(text, len, &pk, e2, sizeof(e2)) < 0)
		return fail(err, errlen, EINVAL, "%s", e2);
	n = minisign_pubkey_format(&pk, canon, sizeof(canon));
	if (n < 0)
		return fail(err, errlen, EINVAL, "cannot format the key");
	minisign_keyid_hex(pk.key_id, keyid);
	record_name(keyid, ".pub", file);
	shown_path(s, DIR_TRUSTED, file, shown);
	pthread_mutex_lock(&s->lock);
	/* A different key under a trusted key id is refused, never swapped
	 * in: signatures name keys by id. */
	if (read_file(s->dirfd[DIR_TRUSTED], file, MINISIGN_FILE_MAX, shown,
		      &buf, &blen, err, errlen) == 0) {
		n = minisign_pubkey_parse(buf, blen, &old, e2, sizeof(e2));
		free(buf);
		if (n == 0 && memcmp(old.pk, pk.pk, sizeof(pk.pk)) != 0)
			fail(err, errlen, EEXIST,
			     "a different key with id %s is already trusted",
			     keyid);
		else if (n == 0)
			ret = 0;
		else
			ret = store_write_atomic(s->dirfd[DIR_TRUSTED], file,
						 canon, (size_t)n, 0644, err,
						 errlen);
	} else if (errno == ENOENT) {
		ret = store_write_atomic(s->dirfd[DIR_TRUSTED], file, canon,
					 (size_t)n, 0644, err, errlen);
	}
	pthread_mutex_unlock(&s->lock);
	return ret;
}

int
store_trust_remove(struct store *s, const char *keyid, char *err,
		   size_t errlen)
{
	char file[NAME_MAX + 1], q[QUOTE_MAX];
	int e;

	if (!keyid_ok(keyid))
		return fail(err, errlen, EINVAL,
			    "bad key id '%s' (16 upper-case hex digits)",
			    quote(keyid, q));
	record_name(keyid, ".pub", file);
	if (unlinkat(s->dirfd[DIR_TRUSTED], file, 0) < 0) {
		e = errno;
		if (e == ENOENT)
			return fail(err, errlen, ENOENT,
				    "no trusted key '%s'", keyid);
		return fail(err, errlen, e, "cannot remove key %s: %s", keyid,
			    strerror(e));
	}
	if (fsync(s->dirfd[DIR_TRUSTED]) < 0) {
		e = errno;
		return fail(err, errlen, e, "cannot sync %s/trusted: %s",
			    s->path, strerror(e));
	}
	return 0;
}

/* ---- bundles ------------------------------------------------------------- */

static int
staging_name_ok(const char *name)
{
	size_t n = strlen(STAGING_PREFIX);

	return strncmp(name, STAGING_PREFIX, n) == 0 &&
	       name_is(name + n, STAGING_RANDOM, is_alnum);
}

int
store_staging_create(struct store *s, char *path, size_t len, int *dirfd,
		     char *err, size_t errlen)
{
	char name[sizeof(STAGING_PREFIX) + STAGING_RANDOM];
	int tries, fd, e, n;

	for (tries = 0;; tries++) {
		memcpy(name, STAGING_PREFIX, strlen(STAGING_PREFIX));
		if (random_alnum(name + strlen(STAGING_PREFIX), STAGING_RANDOM,
				 err, errlen) < 0)
			return -1;
		if (mkdirat(s->dirfd[DIR_TMP], name, 0700) == 0)
			break;
		e = errno;
		if (e != EEXIST || tries == 16)
			return fail(err, errlen, e,
				    "cannot make a staging dir in %s/tmp: %s",
				    s->path, strerror(e));
	}
	n = snprintf(path, len, "%s/tmp/%s", s->path, name);
	fd = openat(s->dirfd[DIR_TMP], name, O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC);
	if (n < 0 || (size_t)n >= len || fd < 0) {
		e = fd < 0 ? errno : ENAMETOOLONG;
		if (fd >= 0)
			close(fd);
		unlinkat(s->dirfd[DIR_TMP], name, AT_REMOVEDIR);
		return fail(err, errlen, e, "cannot open staging dir %s: %s",
			    name, strerror(e));
	}
	*dirfd = fd;
	return 0;
}

/* Make every file of the staging dir sfd 0444 and durable; anything but
 * a regular file is refused (bundle_verify() already did). */
static int
seal_files(int sfd, const char *staging, char *err, size_t errlen)
{
	char q[QUOTE_MAX];
	struct dirent *de;
	struct stat st;
	DIR *d;
	int fd, e;

	if ((d = open_listing(sfd)) == NULL) {
		e = errno;
		return fail(err, errlen, e, "cannot list %s: %s", staging,
			    strerror(e));
	}
	while ((errno = 0, de = readdir(d)) != NULL) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		fd = openat(sfd, de->d_name, O_RDONLY | O_NOFOLLOW |
			    O_NONBLOCK | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
			fail(err, errlen, EINVAL,
			     "%s: '%s' is not a regular file", staging,
			     quote(de->d_name, q));
			goto fail;
		}
		if (fchmod(fd, 0444) < 0 || fsync(fd) < 0) {
			e = errno;
			fail(err, errlen, e, "cannot seal %s/%s: %s", staging,
			     quote(de->d_name, q), strerror(e));
			goto fail;
		}
		close(fd);
	}
	e = errno;
	closedir(d);
	if (e != 0)
		return fail(err, errlen, e, "cannot list %s: %s", staging,
			    strerror(e));
	return 0;
fail:
	e = errno;
	if (fd >= 0)
		close(fd);
	closedir(d); /* de is gone with it: err was written first */
	errno = e;
	return -1;
}

/*
 * Move tmp/<name> to bundles/<checksum>.  A directory moved to another
 * parent must be writable (its ".." changes), so it is made 0555 only
 * once there; store_open() collects one a crash left before that.
 */
static int
bundle_move(struct store *s, int sfd, const char *name, const char *checksum,
	    char *err, size_t errlen)
{
	int e;

	if (renameat(s->dirfd[DIR_TMP], name, s->dirfd[DIR_BUNDLES],
		     checksum) < 0) {
		e = errno;
		if (e == EEXIST || e == ENOTEMPTY)
			return 1; /* stored already, by another deploy */
		return fail(err, errlen, e, "cannot move %s to bundles/: %s",
			    name, strerror(e));
	}
	if (fchmod(sfd, 0555) < 0 || fsync(sfd) < 0 ||
	    fsync(s->dirfd[DIR_BUNDLES]) < 0 || fsync(s->dirfd[DIR_TMP]) < 0) {
		e = errno;
		return fail(err, errlen, e, "cannot seal bundles/%s: %s",
			    checksum, strerror(e));
	}
	return 0;
}

int
store_bundle_install(struct store *s, const char *staging_path,
		     const struct bundle_info *info, char *err, size_t errlen)
{
	char q[QUOTE_MAX];
	const char *name;
	size_t plen = strlen(s->path);
	struct stat st;
	int sfd = -1, rc = -1, e;

	/* Only a dir store_staging_create() made: DATADIR/tmp/deploy-X. */
	if (staging_path == NULL || strncmp(staging_path, s->path, plen) != 0 ||
	    strncmp(staging_path + plen, "/tmp/", 5) != 0 ||
	    !staging_name_ok(staging_path + plen + 5))
		return fail(err, errlen, EINVAL, "'%s' is not a staging dir",
			    quote(staging_path, q));
	name = staging_path + plen + 5;
	if (!checksum_ok(info->checksum))
		return fail(err, errlen, EINVAL, "bad bundle checksum '%s'",
			    quote(info->checksum, q));
	if (fstatat(s->dirfd[DIR_BUNDLES], info->checksum, &st,
		    AT_SYMLINK_NOFOLLOW) == 0) {
		rc = 1; /* the same bytes are stored: this copy goes */
		goto out;
	}
	sfd = openat(s->dirfd[DIR_TMP], name, O_RDONLY | O_DIRECTORY |
		     O_NOFOLLOW | O_CLOEXEC);
	if (sfd < 0) {
		rc = fail(err, errlen, errno, "cannot open %s: %s",
			  staging_path, strerror(errno));
		goto out;
	}
	if (seal_files(sfd, staging_path, err, errlen) < 0)
		goto out;
	if (fsync(sfd) < 0) {
		fail(err, errlen, errno, "cannot sync %s: %s", staging_path,
		     strerror(errno));
		goto out;
	}
	rc = bundle_move(s, sfd, name, info->checksum, err, errlen);
out:
	e = errno;
	if (sfd >= 0)
		close(sfd);
	/* The caller is done with the staging dir whatever happened. */
	if (rc != 0 && remove_tree(s->dirfd[DIR_TMP], name, 0) == 0)
		fsync(s->dirfd[DIR_TMP]);
	errno = e;
	return rc < 0 ? -1 : 0;
}

int
store_bundle_open(struct store *s, const char *checksum, int *dirfd,
		  char *path, size_t len, char *err, size_t errlen)
{
	char q[QUOTE_MAX];
	int fd, e, n;

	if (!checksum_ok(checksum))
		return fail(err, errlen, EINVAL, "bad bundle checksum '%s'",
			    quote(checksum, q));
	n = snprintf(path, len, "%s/bundles/%s", s->path, checksum);
	if (n < 0 || (size_t)n >= len)
		return fail(err, errlen, ENAMETOOLONG,
			    "bundle path is too long");
	fd = openat(s->dirfd[DIR_BUNDLES], checksum, O_PATH | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		if (e == ENOENT)
			return fail(err, errlen, ENOENT, "no bundle '%s'",
				    checksum);
		return fail(err, errlen, e, "cannot open %s: %s", path,
			    strerror(e));
	}
	*dirfd = fd;
	return 0;
}

/* ---- open, clean, close -------------------------------------------------- */

/*
 * Check that fd, a directory of the store, is ours and not writable by
 * others; make it mode (subdirectories are kept exactly 0700).
 */
static int
dir_own(int fd, const char *shown, unsigned int mode, char *err,
	size_t errlen)
{
	struct stat st;
	int e;

	if (fstat(fd, &st) < 0) {
		e = errno;
		return fail(err, errlen, e, "cannot stat %s: %s", shown,
			    strerror(e));
	}
	if (st.st_uid != geteuid())
		return fail(err, errlen, EPERM, "%s is owned by uid %u, not %u",
			    shown, (unsigned)st.st_uid, (unsigned)geteuid());
	if (mode != 0 && (st.st_mode & 07777) != mode &&
	    fchmod(fd, mode) < 0) {
		e = errno;
		return fail(err, errlen, e, "cannot chmod %s: %s", shown,
			    strerror(e));
	}
	if (mode == 0 && (st.st_mode & 022) != 0)
		return fail(err, errlen, EPERM,
			    "%s is writable by group or others", shown);
	return 0;
}

/* Open (making it 0700 if missing) dirfd/name as a directory. */
static int
dir_open(int dirfd, const char *name, const char *shown, char *err,
	 size_t errlen)
{
	int fd, e;

	if (mkdirat(dirfd, name, 0700) < 0 && errno != EEXIST) {
		e = errno;
		return fail(err, errlen, e, "cannot make %s: %s", shown,
			    strerror(e));
	}
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		return fail(err, errlen, e, "cannot open %s: %s%s", shown,
			    strerror(e),
			    e == ELOOP || e == ENOTDIR
				    ? " (a directory is needed, not a link)"
				    : "");
	}
	return fd;
}

/* Remove dir/name, a leftover, saying so in the log. */
static int
clean_one(struct store *s, enum store_dir dir, const char *name,
	  const char *why, char *err, size_t errlen)
{
	char shown[PATH_MAX];
	int e;

	shown_path(s, dir, name, shown);
	if (remove_tree(s->dirfd[dir], name, 0) < 0) {
		e = errno;
		return fail(err, errlen, e, "cannot remove %s: %s", shown,
			    strerror(e));
	}
	log_msg(LOG_LEVEL_INFO, "event=store_clean removed=\"%s\" why=%s",
		shown, why);
	return 0;
}

/* Temporaries (".tmp-*") in every directory, and all of tmp/. */
static int
clean_temporaries(struct store *s, char *err, size_t errlen)
{
	struct dirent *de;
	DIR *d;
	int i, e;

	for (i = 0; i < DIR_COUNT; i++) {
		if ((d = open_listing(s->dirfd[i])) == NULL) {
			e = errno;
			return fail(err, errlen, e, "cannot list %s/%s: %s",
				    s->path, dir_names[i], strerror(e));
		}
		while ((de = readdir(d)) != NULL) {
			if (!strcmp(de->d_name, ".") ||
			    !strcmp(de->d_name, ".."))
				continue;
			if (i != DIR_TMP && !is_temporary(de->d_name))
				continue;
			if (clean_one(s, (enum store_dir)i, de->d_name,
				      i == DIR_TMP ? "staging" : "temporary",
				      err, errlen) < 0) {
				closedir(d);
				return -1;
			}
		}
		closedir(d);
	}
	return 0;
}

/* Records of tokens past their exp: refused anyway, so no longer kept. */
static int
clean_tokens(struct store *s, int64_t now, char *err, size_t errlen)
{
	struct store_token *v = NULL;
	char file[NAME_MAX + 1];
	size_t i, n = 0;
	int ret = 0;

	if (store_token_list(s, &v, &n, err, errlen) < 0)
		return -1;
	for (i = 0; i < n && ret == 0; i++) {
		if (v[i].exp >= now)
			continue;
		record_name(v[i].jti, ".json", file);
		ret = clean_one(s, DIR_TOKENS, file, "expired", err, errlen);
	}
	free(v);
	return ret;
}

static int
checksum_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/*
 * Bundles: whatever no function record names goes (a crash between
 * install and record, or a deleted function), and so does anything that
 * is not a directory named by a checksum.  A named bundle left 0700 by a
 * crash inside store_bundle_install() had its files synced before the
 * move, so it is finished here.
 */
static int
clean_bundles(struct store *s, char *err, size_t errlen)
{
	struct store_function *fns = NULL;
	char (*sums)[65] = NULL, shown[PATH_MAX];
	struct dirent *de;
	struct stat st;
	size_t i, n = 0;
	DIR *d = NULL;
	int ret = -1, fd;

	if (store_function_list(s, &fns, &n, err, errlen) < 0)
		return -1;
	if ((sums = calloc(n ? n : 1, sizeof(*sums))) == NULL) {
		fail(err, errlen, ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++)
		memcpy(sums[i], fns[i].checksum, 65);
	qsort(sums, n, sizeof(*sums), checksum_cmp);
	if ((d = open_listing(s->dirfd[DIR_BUNDLES])) == NULL) {
		fail(err, errlen, errno, "cannot list %s/bundles: %s", s->path,
		     strerror(errno));
		goto out;
	}
	while ((de = readdir(d)) != NULL) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (!checksum_ok(de->d_name) ||
		    fstatat(s->dirfd[DIR_BUNDLES], de->d_name, &st,
			    AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISDIR(st.st_mode)) {
			if (clean_one(s, DIR_BUNDLES, de->d_name,
				      "not_a_bundle", err, errlen) < 0)
				goto out;
			continue;
		}
		if (n == 0 || bsearch(de->d_name, sums, n, sizeof(*sums),
				      checksum_cmp) == NULL) {
			if (clean_one(s, DIR_BUNDLES, de->d_name,
				      "unreferenced", err, errlen) < 0)
				goto out;
			continue;
		}
		if ((st.st_mode & 07777) == 0555)
			continue;
		shown_path(s, DIR_BUNDLES, de->d_name, shown);
		fd = openat(s->dirfd[DIR_BUNDLES], de->d_name, O_RDONLY |
			    O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 || fchmod(fd, 0555) < 0 || fsync(fd) < 0) {
			fail(err, errlen, errno, "cannot seal %s: %s", shown,
			     strerror(errno));
			if (fd >= 0)
				close(fd);
			goto out;
		}
		close(fd);
	}
	ret = 0;
out:
	if (d != NULL)
		closedir(d);
	free(sums);
	free(fns);
	return ret;
}

/* Everything a crash or time left behind, and the removals made durable. */
static int
store_clean(struct store *s, char *err, size_t errlen)
{
	int i;

	if (clean_temporaries(s, err, errlen) < 0 ||
	    clean_tokens(s, (int64_t)time(NULL), err, errlen) < 0 ||
	    clean_bundles(s, err, errlen) < 0)
		return -1;
	for (i = 0; i < DIR_COUNT; i++)
		if (fsync(s->dirfd[i]) < 0)
			return fail(err, errlen, errno, "cannot sync %s/%s: %s",
				    s->path, dir_names[i], strerror(errno));
	return 0;
}

/* DATADIR itself: made 0700 when missing, then ours, not writable by
 * others, and locked against a second daemon. */
static int
root_open(struct store *s, const char *datadir, char *err, size_t errlen)
{
	int e;

	if (mkdir(datadir, 0700) < 0 && errno != EEXIST) {
		e = errno;
		return fail(err, errlen, e, "cannot make %s: %s", datadir,
			    strerror(e));
	}
	s->rootfd = open(datadir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
			 O_CLOEXEC);
	if (s->rootfd < 0) {
		e = errno;
		return fail(err, errlen, e, "cannot open %s: %s%s", datadir,
			    strerror(e),
			    e == ELOOP || e == ENOTDIR
				    ? " (give the directory, not a link)"
				    : "");
	}
	if (dir_own(s->rootfd, datadir, 0, err, errlen) < 0)
		return -1;
	if (flock(s->rootfd, LOCK_EX | LOCK_NB) < 0) {
		e = errno;
		return fail(err, errlen, e, "%s is in use%s", datadir,
			    e == EWOULDBLOCK ? " by another fnhostd" : "");
	}
	return 0;
}

int
store_open(const char *datadir, struct store **out, char *err, size_t errlen)
{
	char shown[PATH_MAX];
	struct store *s;
	size_t n = datadir ? strlen(datadir) : 0;
	int i;

	/* Room for "/bundles/<checksum>/<file>" and the like below it. */
	if (n == 0 || n > PATH_MAX - NAME_MAX - 128)
		return fail(err, errlen, EINVAL, "bad data directory path");
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return fail(err, errlen, ENOMEM, "out of memory");
	memcpy(s->path, datadir, n + 1);
	/* "/var/lib/fnhost/" and "/var/lib/fnhost" are the same store. */
	while (n > 1 && s->path[n - 1] == '/')
		s->path[--n] = '\0';
	s->rootfd = -1;
	for (i = 0; i < DIR_COUNT; i++)
		s->dirfd[i] = -1;
	pthread_mutex_init(&s->lock, NULL);
	if (root_open(s, s->path, err, errlen) < 0)
		goto fail;
	for (i = 0; i < DIR_COUNT; i++) {
		shown_path(s, (enum store_dir)i, "", shown);
		s->dirfd[i] = dir_open(s->rootfd, dir_names[i], shown, err,
				       errlen);
		if (s->dirfd[i] < 0 ||
		    dir_own(s->dirfd[i], shown, 0700, err, errlen) < 0)
			goto fail;
	}
	if (fsync(s->rootfd) < 0) {
		fail(err, errlen, errno, "cannot sync %s: %s", s->path,
		     strerror(errno));
		goto fail;
	}
	if (store_clean(s, err, errlen) < 0)
		goto fail;
	*out = s;
	return 0;
fail:
	i = errno;
	store_close(s);
	errno = i;
	return -1;
}

void
store_close(struct store *s)
{
	int i;

	if (s == NULL)
		return;
	for (i = 0; i < DIR_COUNT; i++)
		if (s->dirfd[i] >= 0)
			close(s->dirfd[i]);
	if (s->rootfd >= 0)
		close(s->rootfd); /* and with it the lock */
	pthread_mutex_destroy(&s->lock);
	free(s);
}

const char *
store_path(const struct store *s)
{
	return s->path;
}
