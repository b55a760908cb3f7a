/*
 * test_uids.c: worker uids (sandbox/uids.h).  uid_pick() gives base + pid
 * when that is free, a spare above every pid when it is not, cycles
 * through the spares, and fails when every candidate is busy; as root,
 * uid_in_use() sees a process of a uid while it exists (also a stopped
 * one) and not after it was reaped.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "sandbox/uids.h"

#define BASE 0x70000000u

/* A fake process table: the uids in busy[] are held. */
struct table {
	uid_t busy[8];
	size_t n;
	unsigned asked;
};

static int
fake_busy(uid_t uid, void *ctx)
{
	struct table *t = ctx;
	size_t i;

	t->asked++;
	for (i = 0; i < t->n; i++)
		if (t->busy[i] == uid)
			return 1;
	return 0;
}

static void
test_free_pid_uid(void **state)
{
	struct table t = { .n = 0 };
	unsigned spare = 0;
	uid_t uid = 0;

	(void)state;
	assert_int_equal(uid_pick(BASE, 1234, &spare, fake_busy, &t, &uid), 0);
	assert_int_equal(uid, BASE + 1234);
	assert_int_equal(t.asked, 1);
	assert_int_equal(spare, 0);
}

static void
test_busy_takes_spares_in_turn(void **state)
{
	struct table t = { .busy = { BASE + 1234, BASE + UID_PID_LIMIT },
			   .n = 2 };
	unsigned spare = 0;
	uid_t uid = 0;

	(void)state;
	/* base + pid and the first spare are held: the second spare. */
	assert_int_equal(uid_pick(BASE, 1234, &spare, fake_busy, &t, &uid), 0);
	assert_int_equal(uid, BASE + UID_PID_LIMIT + 1);
	/* The next busy pid continues after it, not from the start. */
	assert_int_equal(uid_pick(BASE, 1234, &spare, fake_busy, &t, &uid), 0);
	assert_int_equal(uid, BASE + UID_PID_LIMIT + 2);
	/* The spares wrap around. */
	spare = UID_SPARES - 1;
	assert_int_equal(uid_pick(BASE, 1234, &spare, fake_busy, &t, &uid), 0);
	assert_int_equal(uid, BASE + UID_PID_LIMIT + UID_SPARES - 1);
	assert_int_equal(spare, 0);
	assert_true(uid > BASE + UID_PID_LIMIT - 1);
}

static int
all_busy(uid_t uid, void *ctx)
{
	(void)uid;
	(*(unsigned *)ctx)++;
	return 1;
}

static void
test_all_busy_fails(void **state)
{
	unsigned spare = 0, asked = 0;
	uid_t uid = 42;

	(void)state;
	assert_int_equal(uid_pick(BASE, 7, &spare, all_busy, &asked, &uid), -1);
	assert_int_equal(uid, 42);
	assert_int_equal(asked, 1 + UID_SPARE_TRIES);
}

static void
test_probe_sees_living_process(void **state)
{
	uid_t uid = BASE + UID_PID_LIMIT + UID_SPARES - 3;
	int st;
	pid_t pid;

	(void)state;
	assert_int_equal(uid_in_use(uid, NULL), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (setresuid(uid, uid, uid) < 0)
			_exit(1);
		pause();
		_exit(0);
	}
	/* Until the child has switched, it is root: wait for the switch. */
	while (!uid_in_use(uid, NULL))
		usleep(1000);
	kill(pid, SIGSTOP);
	assert_int_equal(uid_in_use(uid, NULL), 1);
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_int_equal(uid_in_use(uid, NULL), 0);
	assert_int_equal(uid_in_use(uid + 1, NULL), 0);
}

/*
 * The probe is root's alone (it switches uids).  For a plain user its test
 * is left out of the plan rather than skipped: Debian 12's cmocka prints a
 * skipped test as "not ok # SKIP" in TAP, which prove counts as failed.
 */
int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_free_pid_uid),
		cmocka_unit_test(test_busy_takes_spares_in_turn),
		cmocka_unit_test(test_all_busy_fails),
		cmocka_unit_test(test_probe_sees_living_process),
	};
	size_t n = sizeof(tests) / sizeof(tests[0]);

	if (geteuid() != 0) {
		printf("# test_probe_sees_living_process: root only\n");
		n--;
	}
	return _cmocka_run_group_tests("tests", tests, n, NULL, NULL);
}
