/* test_sse_users.c: per-user stream counts in shared memory (sse_users.c):
 * limits, leaving, a full table and reused slots, attach, processes
 * counting at once, and a process killed holding the mutex. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include "tk_suites.h"
#include "sse_users.h"

static void *tu_map(size_t size)
{
    void *m = mmap(NULL, size, PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);

    ck_assert(m != MAP_FAILED);
    return m;
}

static sse_users_t *tu_table(unsigned slots, void **mem, size_t *size)
{
    sse_users_t *u = NULL;

    *size = sse_users_size(slots);
    *mem = tu_map(*size);
    ck_assert_int_eq(sse_users_init(&u, *mem, *size), SSE_USERS_OK);
    return u;
}

#define TU_ORG "00000000-0000-4000-8000-0000000000a1"
#define TU_ORG2 "00000000-0000-4000-8000-0000000000b1"

static const char *tu_user(int i)
{
    static char buf[8][40];
    static int next;
    char *b = buf[next++ % 8];

    snprintf(b, 40, "00000000-0000-4000-8000-%012d", i);
    return b;
}

START_TEST(test_users_per_org)
{
    void *mem = calloc(1, sse_users_size(64));
    sse_users_t *u;

    ck_assert_int_eq(sse_users_init(&u, mem, sse_users_size(64)), SSE_USERS_OK);
    ck_assert_int_eq(sse_users_enter(u, tu_user(1), TU_ORG, 0), SSE_USERS_OK);
    ck_assert_int_eq(sse_users_enter(u, tu_user(1), TU_ORG, 0), SSE_USERS_OK);
    ck_assert_int_eq(sse_users_enter(u, tu_user(2), TU_ORG2, 0), SSE_USERS_OK);
    ck_assert_uint_eq(sse_users_active(u, TU_ORG), 1);
    ck_assert_uint_eq(sse_users_streams(u, TU_ORG), 2);
    ck_assert_uint_eq(sse_users_active(u, TU_ORG2), 1);
    ck_assert_uint_eq(sse_users_streams(u, TU_ORG2), 1);
    ck_assert_uint_eq(sse_users_active(u, NULL), 2);
    ck_assert_uint_eq(sse_users_streams(u, NULL), 3);
    ck_assert_int_eq(sse_users_enter(u, tu_user(3), NULL, 0), SSE_USERS_EINVAL);
    sse_users_leave(u, tu_user(1));
    sse_users_leave(u, tu_user(1));
    ck_assert_uint_eq(sse_users_active(u, TU_ORG), 0);
    ck_assert_uint_eq(sse_users_active(u, NULL), 1);
    free(mem);
}
END_TEST

START_TEST(limit_per_user)
{
    void *mem;
    size_t size;
    sse_users_t *u = tu_table(16, &mem, &size);
    const char *a = tu_user(1), *b = tu_user(2);
    int i;

    for (i = 0; i < 3; ++i) {
        ck_assert_int_eq(sse_users_enter(u, a, TU_ORG, 3), SSE_USERS_OK);
    }
    ck_assert_int_eq(sse_users_enter(u, a, TU_ORG, 3), SSE_USERS_LIMIT);
    ck_assert_uint_eq(sse_users_count(u, a), 3);
    /* another user is not affected */
    ck_assert_int_eq(sse_users_enter(u, b, TU_ORG, 3), SSE_USERS_OK);
    ck_assert_uint_eq(sse_users_active(u, NULL), 2);
    /* one leaves, one more may enter */
    sse_users_leave(u, a);
    ck_assert_uint_eq(sse_users_count(u, a), 2);
    ck_assert_int_eq(sse_users_enter(u, a, TU_ORG, 3), SSE_USERS_OK);
    /* limit 0: none */
    for (i = 0; i < 100; ++i) {
        ck_assert_int_eq(sse_users_enter(u, b, TU_ORG, 0), SSE_USERS_OK);
    }
    ck_assert_uint_eq(sse_users_count(u, b), 101);
    /* leaving more than entered stays at 0 */
    for (i = 0; i < 5; ++i) {
        sse_users_leave(u, a);
    }
    ck_assert_uint_eq(sse_users_count(u, a), 0);
    ck_assert_uint_eq(sse_users_active(u, NULL), 1);
    munmap(mem, size);
}
END_TEST

START_TEST(bad_arguments)
{
    void *mem;
    size_t size;
    sse_users_t *u = tu_table(4, &mem, &size), *v = NULL;
    char longkey[64];

    memset(longkey, 'k', sizeof(longkey) - 1);
    longkey[sizeof(longkey) - 1] = '\0';
    ck_assert_int_eq(sse_users_enter(u, "", TU_ORG, 1), SSE_USERS_EINVAL);
    ck_assert_int_eq(sse_users_enter(u, NULL, TU_ORG, 1), SSE_USERS_EINVAL);
    ck_assert_int_eq(sse_users_enter(u, longkey, TU_ORG, 1), SSE_USERS_EINVAL);
    ck_assert_int_eq(sse_users_enter(NULL, "x", TU_ORG, 1), SSE_USERS_EINVAL);
    ck_assert_int_eq(sse_users_init(&v, mem, 8), SSE_USERS_EINVAL);
    ck_assert_int_eq(sse_users_init(&v, (char *)mem + 4, size - 8), SSE_USERS_EINVAL);
    /* attach: same size only */
    ck_assert_int_eq(sse_users_attach(&v, mem, size), SSE_USERS_OK);
    ck_assert_int_eq(sse_users_attach(&v, mem, size - 8), SSE_USERS_MISMATCH);
    memset(mem, 0, 4);
    ck_assert_int_eq(sse_users_attach(&v, mem, size), SSE_USERS_MISMATCH);
    munmap(mem, size);
}
END_TEST

START_TEST(full_table_and_reused_slots)
{
    void *mem;
    size_t size;
    sse_users_t *u = tu_table(8, &mem, &size), *again = NULL;
    int i;

    for (i = 0; i < 8; ++i) {
        ck_assert_int_eq(sse_users_enter(u, tu_user(i), TU_ORG, 5), SSE_USERS_OK);
    }
    ck_assert_int_eq(sse_users_enter(u, tu_user(100), TU_ORG, 5), SSE_USERS_FULL);
    ck_assert_uint_eq(sse_users_count(u, tu_user(100)), 0);
    /* a user who left makes room, and everyone else keeps their count */
    sse_users_leave(u, tu_user(3));
    ck_assert_int_eq(sse_users_enter(u, tu_user(100), TU_ORG, 5), SSE_USERS_OK);
    for (i = 0; i < 8; ++i) {
        ck_assert_uint_eq(sse_users_count(u, tu_user(i)), i == 3 ? 0 : 1);
    }
    ck_assert_uint_eq(sse_users_count(u, tu_user(100)), 1);
    /* churn: many users come and go through a small table */
    for (i = 200; i < 2200; ++i) {
        sse_users_leave(u, tu_user(i == 200 ? 100 : i - 1));
        ck_assert_int_eq(sse_users_enter(u, tu_user(i), TU_ORG, 5), SSE_USERS_OK);
    }
    ck_assert_uint_eq(sse_users_active(u, NULL), 8);
    /* another process's view: attach sees the same counts */
    ck_assert_int_eq(sse_users_attach(&again, mem, size), SSE_USERS_OK);
    ck_assert_uint_eq(sse_users_count(again, tu_user(2199)), 1);
    munmap(mem, size);
}
END_TEST

#define TU_PROCS 4
#define TU_ROUNDS 2000

START_TEST(processes_count_at_once)
{
    void *mem;
    size_t size;
    sse_users_t *u = tu_table(64, &mem, &size);
    pid_t pid[TU_PROCS];
    int i, status;

    for (i = 0; i < TU_PROCS; ++i) {
        pid[i] = fork();
        ck_assert_int_ge(pid[i], 0);
        if (pid[i] == 0) {
            int r, bad = 0;

            for (r = 0; r < TU_ROUNDS; ++r) {
                const char *who = tu_user(r % 10);

                /* two in, one out */
                if (sse_users_enter(u, who, TU_ORG, 0) != SSE_USERS_OK
                    || sse_users_enter(u, who, TU_ORG, 0) != SSE_USERS_OK) {
                    bad = 1;
                }
                sse_users_leave(u, who);
            }
            _exit(bad);
        }
    }
    for (i = 0; i < TU_PROCS; ++i) {
        ck_assert_int_eq(waitpid(pid[i], &status, 0), pid[i]);
        ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    /* each user: every process kept one stream per round it was named */
    for (i = 0; i < 10; ++i) {
        ck_assert_uint_eq(sse_users_count(u, tu_user(i)),
                          TU_PROCS * TU_ROUNDS / 10);
    }
    munmap(mem, size);
}
END_TEST

static void tu_die(void)
{
    raise(SIGKILL);
}

START_TEST(holder_killed_with_the_mutex)
{
    void *mem;
    size_t size;
    sse_users_t *u = tu_table(8, &mem, &size);
    pid_t pid;
    int status;

    ck_assert_int_eq(sse_users_enter(u, tu_user(1), TU_ORG, 2), SSE_USERS_OK);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        sse_users_test_hook = tu_die;
        sse_users_enter(u, tu_user(2), TU_ORG, 2);
        _exit(3);                       /* not reached */
    }
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFSIGNALED(status));
    alarm(10);
    ck_assert_int_eq(sse_users_enter(u, tu_user(1), TU_ORG, 2), SSE_USERS_OK);
    ck_assert_int_eq(sse_users_enter(u, tu_user(1), TU_ORG, 2), SSE_USERS_LIMIT);
    ck_assert_uint_eq(sse_users_count(u, tu_user(2)), 0);  /* never counted */
    alarm(0);
    munmap(mem, size);
}
END_TEST

Suite *tk_suite_sse_users(void)
{
    Suite *s = suite_create("sse_users");
    TCase *tc = tk_tcase("users");

    tcase_add_test(tc, limit_per_user);
    tcase_add_test(tc, test_users_per_org);
    tcase_add_test(tc, bad_arguments);
    tcase_add_test(tc, full_table_and_reused_slots);
    tcase_add_test(tc, processes_count_at_once);
    tcase_add_test(tc, holder_killed_with_the_mutex);
    suite_add_tcase(s, tc);
    return s;
}
