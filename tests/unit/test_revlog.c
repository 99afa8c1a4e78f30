/* test_revlog.c: the host's revocation log (tk_revlog.c), the wake word
 * (tk_wake.c), retry delays and job kind names (tk_backoff.c), and the
 * cache's forgetting (tk_cache_forget), which the log drives. */
#include <string.h>
#include <stdlib.h>
#include <apr_thread_proc.h>
#include "tk_suites.h"
#include "core/tk_revlog.h"
#include "core/tk_wake.h"
#include "core/tk_cache.h"
#include "jobs/tk_backoff.h"

typedef struct {
    int n;
    char kinds[TK_REVLOG_SLOTS * 2 + 8];
    char last[TK_REVLOG_VALUE_MAX + 1];
} tk_seen_t;

static void tk_note(char kind, const char *value, void *data)
{
    tk_seen_t *s = data;

    s->kinds[s->n++] = kind;
    strcpy(s->last, value);
}

START_TEST(revlog_in_order)
{
    void *mem = calloc(1, tk_revlog_size());
    tk_revlog_t *log = tk_revlog_init(mem);
    tk_seen_t seen;

    memset(&seen, 0, sizeof(seen));
    ck_assert_uint_eq(tk_revlog_newest(log), 0);
    ck_assert_int_eq(tk_revlog_add(log, TK_REVLOG_CREDENTIAL, "t:0123456789abcdef"), 0);
    ck_assert_int_eq(tk_revlog_add(log, TK_REVLOG_USER,
                                   "00000000-0000-4000-8000-00000000a002"), 0);
    ck_assert_uint_eq(tk_revlog_newest(log), 2);
    ck_assert_int_eq(tk_revlog_read(log, 0, 2, tk_note, &seen), 0);
    ck_assert_int_eq(seen.n, 2);
    ck_assert(seen.kinds[0] == 'c' && seen.kinds[1] == 'u');
    ck_assert_str_eq(seen.last, "00000000-0000-4000-8000-00000000a002");
    /* only what came after */
    memset(&seen, 0, sizeof(seen));
    ck_assert_int_eq(tk_revlog_read(log, 1, 2, tk_note, &seen), 0);
    ck_assert_int_eq(seen.n, 1);
    ck_assert_int_eq(tk_revlog_read(log, 2, 2, tk_note, &seen), 0);
    ck_assert_int_eq(seen.n, 1);
    /* too long a value is refused, and takes no number */
    ck_assert_int_eq(tk_revlog_add(log, 'c', "0123456789012345678901234567890123456789"
                                             "0123456789"), -1);
    ck_assert_uint_eq(tk_revlog_newest(log), 2);
    free(mem);
}
END_TEST

START_TEST(revlog_lapped_reader_forgets_everything)
{
    void *mem = calloc(1, tk_revlog_size());
    tk_revlog_t *log = tk_revlog_init(mem);
    tk_seen_t seen;
    int i;

    for (i = 0; i < TK_REVLOG_SLOTS + 5; ++i) {
        ck_assert_int_eq(tk_revlog_add(log, 'c', "t:x"), 0);
    }
    memset(&seen, 0, sizeof(seen));
    /* more than the log holds came since: the reader cannot know what */
    ck_assert_int_eq(tk_revlog_read(log, 0, tk_revlog_newest(log), tk_note, &seen), -1);
    /* the last SLOTS entries are still whole */
    memset(&seen, 0, sizeof(seen));
    ck_assert_int_eq(tk_revlog_read(log, tk_revlog_newest(log) - TK_REVLOG_SLOTS,
                                    tk_revlog_newest(log), tk_note, &seen), 0);
    ck_assert_int_eq(seen.n, TK_REVLOG_SLOTS);
    free(mem);
}
END_TEST

/* Writers in several threads at once: every entry a reader reads is
 * whole, and a reader that was overtaken says so. */
#define TK_WRITERS 4
#define TK_ADDS 2000

static void *APR_THREAD_FUNC tk_writer(apr_thread_t *t, void *log)
{
    int i;

    for (i = 0; i < TK_ADDS; ++i) {
        tk_revlog_add(log, 'u', "00000000-0000-4000-8000-000000000001");
    }
    apr_thread_exit(t, APR_SUCCESS);
    return NULL;
}

static void tk_check_whole(char kind, const char *value, void *data)
{
    ck_assert(kind == 'u');
    ck_assert_str_eq(value, "00000000-0000-4000-8000-000000000001");
    ++*(int *)data;
}

START_TEST(revlog_concurrent_writers)
{
    void *mem = calloc(1, tk_revlog_size());
    tk_revlog_t *log = tk_revlog_init(mem);
    apr_thread_t *t[TK_WRITERS];
    apr_status_t rv;
    uint64_t seen = 0;
    int i, n = 0, lapped = 0;

    for (i = 0; i < TK_WRITERS; ++i) {
        apr_thread_create(&t[i], NULL, tk_writer, log, tk_tp);
    }
    while (seen < (uint64_t)TK_WRITERS * TK_ADDS) {
        uint64_t newest = tk_revlog_newest(log);

        if (tk_revlog_read(log, seen, newest, tk_check_whole, &n) != 0) {
            ++lapped;
        }
        seen = newest;
    }
    for (i = 0; i < TK_WRITERS; ++i) {
        apr_thread_join(&rv, t[i]);
    }
    ck_assert_uint_eq(tk_revlog_newest(log), (uint64_t)TK_WRITERS * TK_ADDS);
    ck_assert_int_gt(n + lapped, 0);
    free(mem);
}
END_TEST

START_TEST(wake_word)
{
    tk_wake_t w = { 0 };
    uint32_t seen = tk_wake_seen(&w);
    apr_time_t t0 = apr_time_now();

    tk_wake_wait(&w, seen, 50);             /* nobody wakes it: times out */
    ck_assert(apr_time_now() - t0 >= apr_time_from_msec(40));
    tk_wake_all(&w);
    ck_assert_uint_ne(tk_wake_seen(&w), seen);
    t0 = apr_time_now();
    tk_wake_wait(&w, seen, 2000);           /* moved already: no sleep */
    ck_assert(apr_time_now() - t0 < apr_time_from_msec(500));
}
END_TEST

START_TEST(backoff_doubles_with_jitter)
{
    int a;

    for (a = 1; a <= 20; ++a) {
        double nominal = 1.0;
        int i;

        for (i = 1; i < a && nominal < 3600; ++i) {
            nominal *= 2;
        }
        if (nominal > 3600) {
            nominal = 3600;
        }
        ck_assert(tk_backoff(a, 1, 3600, 0) >= nominal / 2);
        ck_assert(tk_backoff(a, 1, 3600, 0) <= nominal / 2 + 1e-9);
        ck_assert(tk_backoff(a, 1, 3600, UINT64_MAX) < nominal + 1e-9);
        ck_assert(tk_backoff(a, 1, 3600, UINT64_MAX) > nominal * 0.99);
    }
    ck_assert(tk_backoff(1000000, 1, 60, UINT64_MAX) <= 60);
    ck_assert(tk_backoff(0, 2, 60, 0) == 1);        /* before the first: base */
}
END_TEST

START_TEST(job_kind_names)
{
    ck_assert(tk_job_kind_valid("purge.sessions"));
    ck_assert(tk_job_kind_valid("platform_send.discord"));
    ck_assert(tk_job_kind_valid("a"));
    ck_assert(!tk_job_kind_valid(""));
    ck_assert(!tk_job_kind_valid(NULL));
    ck_assert(!tk_job_kind_valid("has space"));
    ck_assert(!tk_job_kind_valid("semi;colon"));
    ck_assert(!tk_job_kind_valid("comma,list"));
    ck_assert(tk_job_kind_valid(tk_repeat("x", 63)));
    ck_assert(!tk_job_kind_valid(tk_repeat("x", 64)));
}
END_TEST

typedef struct {
    char user[40];
    char credential[24];
} tk_ident_t;

static int tk_same_user(const void *value, const void *data)
{
    return strcmp(((const tk_ident_t *)value)->user, data) == 0;
}

START_TEST(cache_forgets_what_matches)
{
    tk_cache_t *c = tk_cache_create(tk_tp, 256, sizeof(tk_ident_t));
    tk_ident_t a = { "alice", "t:1" }, b = { "bob", "t:2" }, out;
    apr_time_t now = apr_time_from_sec(1000000), later = now + apr_time_from_sec(60);

    tk_cache_put(c, "key-a1", &a, later);
    tk_cache_put(c, "key-a2", &a, later);
    tk_cache_put(c, "key-b", &b, later);
    tk_cache_forget(c, tk_same_user, "alice");
    ck_assert_int_eq(tk_cache_get(c, "key-a1", now, &out), 0);
    ck_assert_int_eq(tk_cache_get(c, "key-a2", now, &out), 0);
    ck_assert_int_eq(tk_cache_get(c, "key-b", now, &out), 1);
    ck_assert_str_eq(out.user, "bob");
    tk_cache_clear(c);
    ck_assert_int_eq(tk_cache_get(c, "key-b", now, &out), 0);
}
END_TEST

Suite *tk_suite_revlog(void)
{
    Suite *s = suite_create("tk_revlog");
    TCase *tc = tk_tcase("revlog");

    tcase_add_test(tc, revlog_in_order);
    tcase_add_test(tc, revlog_lapped_reader_forgets_everything);
    tcase_add_test(tc, revlog_concurrent_writers);
    tcase_add_test(tc, wake_word);
    tcase_add_test(tc, backoff_doubles_with_jitter);
    tcase_add_test(tc, job_kind_names);
    tcase_add_test(tc, cache_forgets_what_matches);
    suite_add_tcase(s, tc);
    return s;
}
