/*
 * store-journal.c: the journal that makes a store operation of several
 * record writes whole (see store-int.h).
 *
 * DATADIR/journal is the operation's steps as text, written atomically
 * before the first of them is done and removed after the last:
 *
 *	fnhost-journal 1
 *	put alias {"id":"svc@highest",...}
 *	put function {"id":"...",...}
 *	delete alias svc@stable
 *	end
 *
 * A put holds the whole record as its file holds it, a delete the id, so
 * doing a step twice is doing it once: a journal found at start is done
 * again from its first step, whatever a crash had done of it.  The text
 * is only ever made here, so anything else in the file is damage, and a
 * damaged journal stops the start rather than being half done.
 *
 * The running operation does its steps by reading back its own text, so
 * the start's replay is the one path every journaled operation takes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/log.h"
#include "daemon/store-int.h"

#define JOURNAL_FILE "journal"
#define JOURNAL_HEAD "fnhost-journal 1\n"
#define JOURNAL_END "end\n"
/* The largest journal: a few records of under 1 KiB each. */
#define JOURNAL_MAX (64u << 10)

/* The kinds a journal names, by their word in it (kind->what). */
static const struct record_kind *const journal_kinds[] = {
	&store_function_records,
	&store_alias_records,
};

/* A record of any journaled kind. */
union journal_record {
	struct store_function f;
	struct store_alias a;
};

/* ---- building ------------------------------------------------------------ */

void
store_journal_init(struct store_journal *j)
{
	memset(j, 0, sizeof(*j));
}

void
store_journal_free(struct store_journal *j)
{
	free(j->text);
	memset(j, 0, sizeof(*j));
}

/* Add the step "<verb> <kind> <arg>" and its newline (arg may end in
 * one already: a record's line does). */
static int
journal_add(struct store_journal *j, const char *verb, const char *kind,
	    const char *arg, size_t arglen, char *err, size_t errlen)
{
	size_t need = strlen(verb) + strlen(kind) + arglen + 3;

	if (j->text == NULL) {
		if ((j->text = malloc(JOURNAL_MAX + 1)) == NULL)
			return store_fail(err, errlen, ERR_INTERNAL,
					  "out of memory");
		j->len = (size_t)sprintf(j->text, "%s", JOURNAL_HEAD);
	}
	/* Room left for JOURNAL_END and a NUL (store_journal_run()). */
	if (j->len + need + strlen(JOURNAL_END) > JOURNAL_MAX)
		return store_fail(err, errlen, ERR_INTERNAL,
				  "an operation too large for the journal");
	j->len += (size_t)sprintf(j->text + j->len, "%s %s ", verb, kind);
	memcpy(j->text + j->len, arg, arglen);
	j->len += arglen;
	if (arglen == 0 || arg[arglen - 1] != '\n')
		j->text[j->len++] = '\n';
	j->text[j->len] = '\0';
	j->steps++;
	return 0;
}

int
store_journal_put(struct store_journal *j, const struct record_kind *kind,
		  const void *rec, char *err, size_t errlen)
{
	char shown[64], *line = NULL;
	size_t len = 0;
	int rc;

	snprintf(shown, sizeof(shown), "%s record", kind->what);
	rc = store_record_check(kind, rec, shown, err, errlen);
	if (rc == 0)
		rc = store_record_encode(kind, rec, &line, &len, err, errlen);
	if (rc == 0)
		rc = journal_add(j, "put", kind->what, line, len, err, errlen);
	free(line);
	return rc;
}

int
store_journal_delete(struct store_journal *j, const struct record_kind *kind,
		     const char *id, char *err, size_t errlen)
{
	if (!kind->id_ok(id))
		return store_fail(err, errlen, ERR_INVALID, "bad %s id",
				  kind->what);
	return journal_add(j, "delete", kind->what, id, strlen(id), err,
			   errlen);
}

/* ---- doing --------------------------------------------------------------- */

static const struct record_kind *
journal_kind(const char *word, size_t n)
{
	size_t i;

	for (i = 0; i < sizeof(journal_kinds) / sizeof(journal_kinds[0]); i++)
		if (strlen(journal_kinds[i]->what) == n &&
		    !memcmp(journal_kinds[i]->what, word, n))
			return journal_kinds[i];
	return NULL;
}

/* One step, "<verb> <kind> <rest>" (no newline): parsed into *kind,
 * *put, and rec (a put) or id (a delete); -ERR_IO when it is none. */
static int
journal_parse(struct store *s, const char *line, size_t len,
	      const struct record_kind **kind, bool *put,
	      union journal_record *rec, char id[STORE_TARGET_MAX], char *err,
	      size_t errlen)
{
	const char *sp1 = memchr(line, ' ', len), *sp2, *rest;
	char shown[PATH_MAX + sizeof(JOURNAL_FILE) + 1];
	size_t restlen;

	snprintf(shown, sizeof(shown), "%s/%s", s->path, JOURNAL_FILE);
	if (sp1 == NULL ||
	    (sp2 = memchr(sp1 + 1, ' ', len - (size_t)(sp1 + 1 - line))) ==
		    NULL ||
	    (*kind = journal_kind(sp1 + 1, (size_t)(sp2 - sp1 - 1))) == NULL)
		goto damaged;
	rest = sp2 + 1;
	restlen = len - (size_t)(rest - line);
	*put = (size_t)(sp1 - line) == 3 && !memcmp(line, "put", 3);
	if (*put)
		return store_record_decode(*kind, rest, restlen, shown, rec,
					   err, errlen);
	if ((size_t)(sp1 - line) != 6 || memcmp(line, "delete", 6) ||
	    restlen == 0 || restlen >= STORE_TARGET_MAX)
		goto damaged;
	memcpy(id, rest, restlen);
	id[restlen] = '\0';
	if (memchr(id, '\0', restlen) != NULL || !(*kind)->id_ok(id))
		goto damaged;
	return 0;
damaged:
	return store_fail(err, errlen, ERR_IO, "%s: a damaged step", shown);
}

/* A delete step: a record already gone was deleted before the crash. */
static int
journal_delete(struct store *s, const struct record_kind *kind, const char *id,
	       char *err, size_t errlen)
{
	int rc = store_record_delete_now(s, kind, id, err, errlen);

	return rc == -ERR_NOT_FOUND ? 0 : rc;
}

/*
 * Do the steps of text[len], a whole journal, in order; with check_only
 * only parse them all, so that a damaged journal is refused before any
 * step of it is done.
 */
static int
journal_steps(struct store *s, const char *text, size_t len, bool check_only,
	      char *err, size_t errlen)
{
	size_t head = strlen(JOURNAL_HEAD), end = strlen(JOURNAL_END);
	const struct record_kind *kind = NULL;
	union journal_record rec;
	char id[STORE_TARGET_MAX];
	const char *p, *nl, *stop;
	bool put = false;
	int rc;

	if (len < head + end || memcmp(text, JOURNAL_HEAD, head) ||
	    memcmp(text + len - end, JOURNAL_END, end))
		return store_fail(err, errlen, ERR_IO,
				  "%s/%s: not a whole journal", s->path,
				  JOURNAL_FILE);
	stop = text + len - end;
	for (p = text + head; p < stop; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(stop - p));
		if (nl == NULL)
			return store_fail(err, errlen, ERR_IO,
					  "%s/%s: not a whole journal", s->path,
					  JOURNAL_FILE);
		memset(&rec, 0, sizeof(rec));
		rc = journal_parse(s, p, (size_t)(nl - p), &kind, &put, &rec,
				   id, err, errlen);
		if (rc == 0 && !check_only)
			rc = put ? store_record_put_now(s, kind, &rec, err,
							errlen)
				 : journal_delete(s, kind, id, err, errlen);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Remove the journal and make that durable. */
static int
journal_remove(struct store *s, char *err, size_t errlen)
{
	if (unlinkat(s->rootfd, JOURNAL_FILE, 0) < 0 && errno != ENOENT)
		return store_fail_io(err, errlen, errno,
				     "cannot remove %s/%s: %s", s->path,
				     JOURNAL_FILE, strerror(errno));
	if (fsync(s->rootfd) < 0)
		return store_fail_io(err, errlen, errno, "cannot sync %s: %s",
				     s->path, strerror(errno));
	return 0;
}

/* Do a journal left on disk and remove it; none is no error.  The
 * caller holds s->journal_lock. */
static int
journal_finish_left(struct store *s, char *err, size_t errlen)
{
	char *text = NULL;
	size_t len = 0;
	int rc;

	rc = store_read_file(s->rootfd, JOURNAL_FILE, JOURNAL_MAX, JOURNAL_FILE,
			     &text, &len, err, errlen);
	if (rc == -ERR_NOT_FOUND)
		return journal_remove(s, err, errlen); /* and sync the dir */
	if (rc == 0)
		rc = journal_steps(s, text, len, true, err, errlen);
	if (rc == 0)
		rc = journal_steps(s, text, len, false, err, errlen);
	if (rc == 0)
		rc = journal_remove(s, err, errlen);
	free(text);
	return rc;
}

int
store_journal_settle(struct store *s, char *err, size_t errlen)
{
	int rc = 0;

	if (!atomic_load(&s->journal_left))
		return 0;
	pthread_mutex_lock(&s->journal_lock);
	if (atomic_load(&s->journal_left)) {
		rc = journal_finish_left(s, err, errlen);
		if (rc == 0)
			atomic_store(&s->journal_left, false);
	}
	pthread_mutex_unlock(&s->journal_lock);
	return rc;
}

int
store_journal_replay(struct store *s, char *err, size_t errlen)
{
	struct stat st;
	int rc;

	if (fstatat(s->rootfd, JOURNAL_FILE, &st, AT_SYMLINK_NOFOLLOW) < 0 &&
	    errno == ENOENT)
		return 0;
	atomic_store(&s->journal_left, true);
	rc = store_journal_settle(s, err, errlen);
	if (rc < 0)
		return rc;
	log_msg(LOG_LEVEL_INFO, "event=store_journal what=\"finished an "
				"operation that a stop cut short\"");
	return 0;
}

int
store_journal_run(struct store *s, struct store_journal *j, char *err,
		  size_t errlen)
{
	int rc;

	rc = store_journal_settle(s, err, errlen);
	if (rc < 0 || j->steps == 0)
		goto out;
	memcpy(j->text + j->len, JOURNAL_END, strlen(JOURNAL_END) + 1);
	j->len += strlen(JOURNAL_END);
	pthread_mutex_lock(&s->journal_lock);
	/* One record write is whole by itself (a rename or an unlink): it
	 * needs no journal. */
	if (j->steps > 1) {
		rc = fileio_replace(s->rootfd, JOURNAL_FILE, j->text, j->len,
				    0600, err, errlen);
		if (rc < 0)
			goto unlock; /* nothing done */
	}
	/* From here the operation is made: what fails now is finished by
	 * the next record write, or by the next start. */
	rc = journal_steps(s, j->text, j->len, false, err, errlen);
	if (rc == 0 && j->steps > 1)
		rc = journal_remove(s, err, errlen);
	if (rc < 0 && j->steps > 1)
		atomic_store(&s->journal_left, true);
unlock:
	pthread_mutex_unlock(&s->journal_lock);
out:
	store_journal_free(j);
	return rc;
}
