/*
 * test_sealed.c: one sealed memfd per function's plugin (daemon/sealed.c):
 * every get of a function hands out the same sealed bytes, another
 * function or another plugin gets a memfd of its own, a drop forgets a
 * function's (a redeploy's plugin is sealed afresh), a plugin whose
 * bytes do not match its digest is refused, and no descriptor handed
 * out can change what the others map.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/sha.h>

#include "daemon/sealed.h"

struct fixture {
	char dir[64];
	int dirfd;
	unsigned char sum_a[32], sum_b[32];
};

static void
write_file(struct fixture *fx, const char *name, const char *text,
	   unsigned char sum[32])
{
	int fd = openat(fx->dirfd, name, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	if (sum)
		SHA256((const unsigned char *)text, strlen(text), sum);
}

static int
setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	snprintf(fx->dir, sizeof(fx->dir), "/tmp/test-sealed-XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	fx->dirfd = open(fx->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(fx->dirfd >= 0);
	write_file(fx, "a.so", "plugin a bytes", fx->sum_a);
	write_file(fx, "b.so", "plugin b, other bytes", fx->sum_b);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;
	char cmd[128];

	close(fx->dirfd);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->dir);
	assert_int_equal(system(cmd), 0);
	free(fx);
	return 0;
}

static ino_t
inode(int fd)
{
	struct stat st;

	assert_int_equal(fstat(fd, &st), 0);
	return st.st_ino;
}

static void
assert_holds(int fd, const char *text)
{
	char buf[64] = { 0 };

	assert_int_equal(pread(fd, buf, sizeof(buf) - 1, 0),
			 (ssize_t)strlen(text));
	assert_string_equal(buf, text);
}

static int
get(struct sealed_set *ss, struct fixture *fx, const char *id,
    const unsigned char sum[32], const char *name)
{
	char err[512];

	return sealed_get(ss, id, sum, fx->dirfd, name, err, sizeof(err));
}

static void
test_one_memfd_per_function(void **state)
{
	struct fixture *fx = *state;
	struct sealed_set *ss = sealed_new(8);
	int a1, a2, other, seals;

	assert_non_null(ss);
	a1 = get(ss, fx, "fnA", fx->sum_a, "a.so");
	a2 = get(ss, fx, "fnA", fx->sum_a, "a.so");
	assert_true(a1 >= 0 && a2 >= 0 && a1 != a2);
	assert_int_equal(inode(a1), inode(a2)); /* one memfd, two dups */
	assert_int_equal(sealed_count(ss), 1);
	assert_holds(a2, "plugin a bytes");
	seals = fcntl(a1, F_GET_SEALS);
	assert_int_equal(seals & (F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK |
				  F_SEAL_SEAL),
			 F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK |
				 F_SEAL_SEAL);
	assert_true(fcntl(a1, F_GETFD) & FD_CLOEXEC);

	/* A dup can change nothing the next worker maps. */
	assert_true(pwrite(a1, "X", 1, 0) < 0);
	assert_true(ftruncate(a1, 1) < 0);
	assert_true(ftruncate(a1, 4096) < 0);
	assert_true(fcntl(a1, F_ADD_SEALS, 0) < 0 ||
		    fcntl(a1, F_GET_SEALS) == seals);
	assert_holds(a2, "plugin a bytes");

	/* The file changed after sealing: the sealed copy did not. */
	write_file(fx, "a.so", "plugin a, tampered", NULL);
	close(a2);
	a2 = get(ss, fx, "fnA", fx->sum_a, "a.so");
	assert_holds(a2, "plugin a bytes");

	/* Another function with the same plugin has its own. */
	other = get(ss, fx, "fnC", fx->sum_a, "b.so");
	assert_int_equal(other, -1); /* b.so's bytes are not sum_a */
	write_file(fx, "c.so", "plugin a bytes", NULL);
	other = get(ss, fx, "fnC", fx->sum_a, "c.so");
	assert_true(other >= 0);
	assert_int_not_equal(inode(other), inode(a1));
	assert_int_equal(sealed_count(ss), 2);
	close(a1);
	close(a2);
	close(other);
	sealed_free(ss);
}

static void
test_drop_and_redeploy(void **state)
{
	struct fixture *fx = *state;
	struct sealed_set *ss = sealed_new(8);
	char err[512];
	int a, b, kept, again;
	ino_t was;

	a = get(ss, fx, "fnA", fx->sum_a, "a.so");
	b = get(ss, fx, "fnB", fx->sum_b, "b.so");
	assert_true(a >= 0 && b >= 0);
	assert_int_not_equal(inode(a), inode(b));
	assert_holds(b, "plugin b, other bytes");
	was = inode(a);

	/* The function is deleted: its memfd goes, the other's stays, and
	 * what was handed out still reads the sealed bytes. */
	sealed_drop(ss, "fnA");
	assert_int_equal(sealed_count(ss), 1);
	assert_holds(a, "plugin a bytes");
	kept = get(ss, fx, "fnB", fx->sum_b, "b.so");
	assert_int_equal(inode(kept), inode(b));

	/* Made again after the drop, it is a new memfd, checked again: a
	 * file that no longer matches its digest is refused. */
	write_file(fx, "a.so", "plugin a, tampered", NULL);
	err[0] = '\0';
	assert_int_equal(sealed_get(ss, "fnA", fx->sum_a, fx->dirfd, "a.so",
				    err, sizeof(err)),
			 -1);
	assert_non_null(strstr(err, "does not match"));
	write_file(fx, "a.so", "plugin a bytes", NULL);
	again = get(ss, fx, "fnA", fx->sum_a, "a.so");
	assert_true(again >= 0);
	assert_int_not_equal(inode(again), was);

	sealed_drop(ss, NULL);
	assert_int_equal(sealed_count(ss), 0);
	close(a);
	close(b);
	close(kept);
	close(again);
	sealed_free(ss);
}

static void
test_least_recently_used_goes(void **state)
{
	struct fixture *fx = *state;
	struct sealed_set *ss = sealed_new(2);
	int a, b, a2, c, b2;

	a = get(ss, fx, "fnA", fx->sum_a, "a.so");
	b = get(ss, fx, "fnB", fx->sum_b, "b.so");
	a2 = get(ss, fx, "fnA", fx->sum_a, "a.so"); /* fnB is the older now */
	c = get(ss, fx, "fnC", fx->sum_a, "a.so");
	assert_true(a >= 0 && b >= 0 && a2 >= 0 && c >= 0);
	assert_int_equal(sealed_count(ss), 2);
	b2 = get(ss, fx, "fnB", fx->sum_b, "b.so");
	assert_int_not_equal(inode(b2), inode(b)); /* sealed afresh */
	assert_holds(b, "plugin b, other bytes");
	close(a);
	close(b);
	close(a2);
	close(c);
	close(b2);
	sealed_free(ss);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_one_memfd_per_function,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_drop_and_redeploy, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_least_recently_used_goes,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
