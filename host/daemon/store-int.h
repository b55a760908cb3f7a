/*
 * store-int.h: what the store's own files (daemon/store*.c) share; no
 * other module includes it.
 *
 *	store.c		open, layout, what a crash left, close
 *	store-util.c	errors, names, files (these go to base/ later)
 *	store-records.c	function, alias and token records: one record
 *			layer
 *	store-versions.c	versions of a name, aliases, the migration
 *	store-json.c	a record's JSON, driven by its kind's field table
 *	store-keys.c	keys/: the admin token, the token secret, raw keys
 *	store-trust.c	trusted/: publisher keys
 *	store-bundles.c	tmp/ staging and bundles/<checksum>
 *	store-secrets.c	secrets/: values sealed to the host
 *	store-journal.c	DATADIR/journal: operations of several writes
 *
 * Every failing function here returns a negated enum err_kind with a
 * one-line reason in err, and sets errno: the errno of the system call
 * that failed, or one that matches the kind (ENOENT for ERR_NOT_FOUND,
 * EINVAL for ERR_INVALID and ERR_BAD_KEY, EIO for ERR_IO, ENOMEM for
 * ERR_INTERNAL), for the callers that still test errno.
 */
#ifndef FNHOST_STORE_INT_H
#define FNHOST_STORE_INT_H

#include <dirent.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"
#include "base/fileio.h"
#include "base/hex.h"
#include "base/quote.h"
#include "daemon/store.h"

/* The subdirectories, in the order of struct store's fds. */
enum store_dir {
	DIR_KEYS,
	DIR_TRUSTED,
	DIR_BUNDLES,
	DIR_FUNCTIONS,
	DIR_TOKENS,
	DIR_ALIASES,
	DIR_SECRETS,
	DIR_TMP,
	DIR_COUNT
};

extern const char *const store_dir_names[DIR_COUNT];

#define ID_LEN 22	/* function id: [A-Za-z0-9]{22} */
#define JTI_LEN 32	/* token id: [0-9a-f]{32} */
#define CHECKSUM_LEN 64 /* bundle checksum: [0-9a-f]{64} */
#define KEYID_LEN 16	/* publisher key id: [0-9A-F]{16} */
/* fileio_replace()'s temporaries, which store_open() cleans. */
#define TMP_PREFIX FILEIO_TMP_PREFIX
#define STAGING_PREFIX "deploy-"
#define STAGING_RANDOM 6
/* Latest time a record may hold: 9999-12-31T23:59:59Z. */
#define TIME_MAX 253402300799LL
/* Deepest directory tree removed (staging dirs are flat). */
#define REMOVE_DEPTH 16
/* Room for a hostile name quoted in a message. */
#define QUOTE_MAX 80

/* Records kept in memory per kind (store-records.c). */
#define RECORD_CACHE_SLOTS 1024u

/*
 * The records of one kind last read or written, so that the request
 * path (a token's revocation, a function's record, on every request)
 * reads no file.  Direct-mapped by a hash of the id: a collision only
 * evicts.  It is kept true by the record layer itself, where every
 * write of every kind passes (put, delete, and so revoke): the store's
 * files are this process's alone while it holds DATADIR's flock.
 *
 *	lock	 guards slots, used and gen; held for memcpy()s only
 *	write	 taken by every writer of the kind around its file write
 *		 and its cache update, so that the cache ends as the last
 *		 write to the file left it
 *	gen	 bumped by every write: a read of a file that began before
 *		 a write is not put in the cache, which may hold newer
 */
struct record_cache {
	pthread_mutex_t lock, write;
	unsigned long long gen;
	unsigned char *slots; /* RECORD_CACHE_SLOTS records, NULL: none yet */
	bool used[RECORD_CACHE_SLOTS];
};

struct store {
	char path[PATH_MAX];
	int rootfd;	      /* DATADIR, flock()ed while the store is open */
	int dirfd[DIR_COUNT]; /* O_RDONLY | O_DIRECTORY */
	pthread_mutex_t lock; /* read-modify-write sequences */
	struct record_cache cache[DIR_COUNT]; /* for the record dirs */
	/* Held while DATADIR/journal is written, done or removed; taken
	 * inside lock, never the other way round. */
	pthread_mutex_t journal_lock;
	/* A journal is on disk that a failure left unfinished: the next
	 * record write finishes it first (store_journal_settle()). */
	atomic_bool journal_left;
};

/* ---- the record caches (store-records.c) ---- */

void store_caches_init(struct store *s);
void store_caches_free(struct store *s);

/* ---- errors (store-util.c) ---- */

/* The reason into err, errno to match kind; returns -kind. */
int store_fail(char *err, size_t errlen, enum err_kind kind, const char *fmt,
	       ...) __attribute__((format(printf, 4, 5)));
/* The reason into err, errno to errnum (a system call's); returns
 * -ERR_IO. */
int store_fail_io(char *err, size_t errlen, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* ---- names (store-util.c): each takes NULL and says no ---- */

int store_is_alnum(char c);
int store_is_lower_hex(char c);
int store_id_ok(const char *s);
int store_jti_ok(const char *s);
int store_checksum_ok(const char *s);
int store_keyid_ok(const char *s);
int store_label_ok(const char *s);
/* s is exactly len characters that all pass ok(). */
int store_name_is(const char *s, size_t len, int (*ok)(char));
/* "<name><suffix>" into out; the caller checked name. */
void store_file_name(const char *name, const char *suffix,
		     char out[NAME_MAX + 1]);
/* file is "<name><suffix>" with name passing ok(); name to out. */
int store_file_is(const char *file, const char *suffix, int (*ok)(const char *),
		  char out[NAME_MAX + 1]);
int store_is_temporary(const char *name);
/* "DATADIR/<dir>/<file>" (or "DATADIR/<dir>" for ""), for messages. */
void store_shown(const struct store *s, enum store_dir dir, const char *file,
		 char out[PATH_MAX]);

/* ---- bytes (store-util.c) ---- */

/* n characters of [A-Za-z0-9] and a NUL, uniformly from RAND_bytes. */
int store_random_alnum(char *out, size_t n, char *err, size_t errlen);

/* ---- files (store-util.c) ---- */

/* fileio_read() of dirfd/name (shown names it in messages), except that
 * a file over max bytes is -ERR_IO: what the store wrote is never over
 * its bound, so such a file is damage, not a request too large.  So: 0,
 * -ERR_NOT_FOUND for a missing file, -ERR_INTERNAL out of memory, and
 * -ERR_IO for the rest; errno as fileio_read() leaves it. */
int store_read_file(int dirfd, const char *name, size_t max, const char *shown,
		    char **buf, size_t *len, char *err, size_t errlen);
/* Remove parent/name and all it holds, never following a link; a
 * missing name is no error.  Returns 0 or -1 with errno. */
int store_remove_tree(int parent, const char *name, int depth);
/* Remove <dir>/<file> and make that durable.  A missing file is
 * -ERR_NOT_FOUND with err untouched: the caller says what is missing. */
int store_remove_file(struct store *s, enum store_dir dir, const char *file,
		      char *err, size_t errlen);
/* A fresh stream over the directory dirfd, for one listing: threads
 * share the store's fds, and a directory stream has an offset. */
DIR *store_open_listing(int dirfd);

/*
 * Call each() for every entry of <dir> named "<name><suffix>" with name
 * passing name_ok (the name goes to each), skipping ".", ".." and
 * temporaries; an entry of any other name fails with "<path>: <bad>".
 * each() returns 0 or a negated kind; -ERR_NOT_FOUND means the file was
 * removed since readdir() and is skipped.
 */
int store_dir_each(struct store *s, enum store_dir dir, const char *suffix,
		   int (*name_ok)(const char *), const char *bad,
		   int (*each)(struct store *s, const char *file,
			       const char *name, void *ctx, char *err,
			       size_t errlen),
		   void *ctx, char *err, size_t errlen);

/* A growing array of n elements of size bytes, for listings. */
struct store_vec {
	void *v;
	size_t n, cap, size;
};

/* The next free element of vec (not yet counted in vec->n), or NULL
 * when out of memory. */
void *store_vec_next(struct store_vec *vec);

/* ---- records (store-records.c, store-json.c) ---- */

enum field_type {
	FIELD_STRING, /* char[size], NUL-free */
	FIELD_HEX32,  /* unsigned char[32] as 64 lower-case hex */
	FIELD_TIME,   /* int64_t in 0..TIME_MAX: a time, or a count */
	FIELD_BOOL,   /* bool */
};

struct record_field {
	const char *key;
	enum field_type type;
	size_t offset;
	size_t size;
};

#define FIELD(key, type, st, member)                                           \
	{                                                                      \
		key, type, offsetof(st, member), sizeof(((st *)0)->member)     \
	}

/* One kind of record kept a file each, "<id>.json", in a directory. */
struct record_kind {
	enum store_dir dir;
	const char *what; /* "function": "no function 'x'", "bad function id" */
	int (*id_ok)(const char *id);
	size_t size;
	const struct record_field *fields; /* fields[0] is the id */
	size_t nfields;
	/* Everything a record must satisfy beyond its field types, checked
	 * on write and on read: the key of the first field that fails, or
	 * NULL. */
	const char *(*bad_field)(const void *rec);
	size_t order; /* fields[order], a FIELD_TIME, then the id: listings */
};

/* rec passes kind's checks (-ERR_INVALID); shown names it. */
int store_record_check(const struct record_kind *kind, const void *rec,
		       const char *shown, char *err, size_t errlen);
/* buf[len], the text of a record file shown, into rec; -ERR_IO for
 * anything malformed. */
int store_record_decode(const struct record_kind *kind, const char *buf,
			size_t len, const char *shown, void *rec, char *err,
			size_t errlen);
/* rec as one line of JSON, its keys in the table's order, and "\n": a
 * malloc()ed *line of *len bytes. */
int store_record_encode(const struct record_kind *kind, const void *rec,
			char **line, size_t *len, char *err, size_t errlen);

/* The record layer's operations, on any kind (store-records.c). */
extern const struct record_kind store_function_records, store_alias_records,
	store_function_records_v1;
int store_record_get(struct store *s, const struct record_kind *kind,
		     const char *id, void *rec, char *err, size_t errlen);
int store_record_put(struct store *s, const struct record_kind *kind,
		     const void *rec, char *err, size_t errlen);
int store_record_list(struct store *s, const struct record_kind *kind,
		      void **out, size_t *n, char *err, size_t errlen);
int store_record_delete(struct store *s, const struct record_kind *kind,
			const char *id, char *err, size_t errlen);
/* The same two without finishing a left journal first: the journal's
 * own steps. */
int store_record_put_now(struct store *s, const struct record_kind *kind,
			 const void *rec, char *err, size_t errlen);
int store_record_delete_now(struct store *s, const struct record_kind *kind,
			    const char *id, char *err, size_t errlen);
/* A fresh function id into f->id. */
int store_function_new_id(struct store *s, struct store_function *f, char *err,
			  size_t errlen);

/* names (store-versions.c) */
int store_alias_ok(const char *s);
int store_alias_id_ok(const char *s);
/* "<name>@<alias>" or "<name>@<number>": what a token's sub may be
 * besides a function id. */
int store_target_sub_ok(const char *s);

/*
 * The journal (store-journal.c).  An operation that writes several
 * records (a deploy: highest, the version, latest; a version delete: its
 * aliases, then the version) gathers its steps, each a whole record put
 * or a delete, and store_journal_run() writes them to DATADIR/journal
 * atomically, does them, and removes the journal; store_open() calls
 * store_journal_replay(), which does again the steps of a journal a
 * crash left.  A step done twice is done once, so a crash at any point
 * leaves the state from before the operation (no journal yet) or, once
 * the store is open again, the one after it.  The caller of run holds
 * s->lock, so one journal is written at a time, and reads what it
 * journals under that lock.  Every function returns 0 or a negated kind.
 */
struct store_journal {
	char *text; /* the steps' text, once a step is added */
	size_t len;
	int steps;
};
void store_journal_init(struct store_journal *j);
/* Add a put of rec (checked as a put would check it), or a delete of
 * id, to the steps of j. */
int store_journal_put(struct store_journal *j, const struct record_kind *kind,
		      const void *rec, char *err, size_t errlen);
int store_journal_delete(struct store_journal *j,
			 const struct record_kind *kind, const char *id,
			 char *err, size_t errlen);
/* Do the steps of j whole, as above, and free j.  On failure before the
 * journal is written nothing is done; after, the journal stays and is
 * finished by the next record write or the next start. */
int store_journal_run(struct store *s, struct store_journal *j, char *err,
		      size_t errlen);
void store_journal_free(struct store_journal *j);
/* Finish a journal a failure left (nothing when none is). */
int store_journal_settle(struct store *s, char *err, size_t errlen);
/* At open: do the steps of DATADIR/journal if there is one, then remove
 * it; a damaged journal is -ERR_IO with no step of it done. */
int store_journal_replay(struct store *s, char *err, size_t errlen);

/* Bring a data dir of an earlier release to this one's layout, once
 * (store-versions.c); store_open() calls it. */
int store_migrate(struct store *s, char *err, size_t errlen);

#endif
