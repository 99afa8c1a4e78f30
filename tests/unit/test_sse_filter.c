/* test_sse_filter.c: visibility and stream filters (sse_filter.c): the
 * visibility matrix (organization, each role, customer in and out of the
 * audience, staff-only events), parsing of the stream parameters with
 * each refusal, and matching by type, ticket, conversation and the
 * ticket-only stream. */
#include <string.h>
#include <apr_strings.h>
#include "tk_suites.h"
#include "sse_filter.h"

#define ORG    "0b6c3d1e-8f7a-4c2b-9d1e-2f3a4b5c6d7e"
#define ORG2   "9b6c3d1e-8f7a-4c2b-9d1e-2f3a4b5c6d7e"
#define TKT    "11111111-2222-4333-8444-555555555555"
#define TKT2   "11111111-2222-4333-8444-555555555556"
#define CONV   "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"
#define CONV2  "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeef"
#define CUST   "01234567-89ab-4cde-8f01-23456789abcd"
#define CUST2  "fedcba98-7654-4321-8fed-cba987654321"
#define CUST3  "33333333-7654-4321-8fed-cba987654321"
#define STAFF  "44444444-7654-4321-8fed-cba987654321"

static sse_record_t tf_rec(const char *type)
{
    sse_record_t r;

    memset(&r, 0, sizeof(r));
    r.org = ORG;
    r.type = type;
    r.ticket = TKT;
    r.conversation = "";
    r.audience[0] = CUST;
    r.audience[1] = "";
    r.data = "{}";
    r.data_len = 2;
    return r;
}

static sse_viewer_t tf_viewer(const char *role, const char *user)
{
    sse_viewer_t v;

    v.org = ORG;
    v.user = user;
    v.role = role;
    return v;
}

/* ---- visibility ---------------------------------------------------------------- */

START_TEST(visible_staff)
{
    static const char *const roles[] = { "admin", "agent", "viewer" };
    sse_record_t r = tf_rec("ticket_updated");
    size_t i;

    for (i = 0; i < 3; ++i) {
        sse_viewer_t v = tf_viewer(roles[i], STAFF);

        /* every event of their org, staff-only or not, with or without
         * an audience */
        ck_assert_msg(sse_visible(&v, &r), "%s", roles[i]);
        r.staff_only = 1;
        ck_assert_msg(sse_visible(&v, &r), "%s, staff-only", roles[i]);
        r.audience[0] = "";
        ck_assert_msg(sse_visible(&v, &r), "%s, no audience", roles[i]);
        r = tf_rec("ticket_updated");
        /* never another org's */
        v.org = ORG2;
        ck_assert_msg(!sse_visible(&v, &r), "%s, other org", roles[i]);
    }
}
END_TEST

START_TEST(visible_customer)
{
    sse_record_t r = tf_rec("ticket_message_added");
    sse_viewer_t v = tf_viewer("customer", CUST);
    sse_viewer_t other = tf_viewer("customer", CUST3);

    /* in the audience, first or second slot */
    ck_assert(sse_visible(&v, &r));
    r.audience[0] = CUST2;
    r.audience[1] = CUST;
    ck_assert(sse_visible(&v, &r));
    /* not in it */
    ck_assert(!sse_visible(&other, &r));
    r.audience[0] = "";
    r.audience[1] = NULL;
    ck_assert(!sse_visible(&v, &r));
    /* staff-only (an internal note): never, even when in the audience */
    r = tf_rec("ticket_message_added");
    r.staff_only = 1;
    ck_assert(!sse_visible(&v, &r));
    r.audience[1] = CUST;
    ck_assert(!sse_visible(&v, &r));
    /* another org, though in the audience */
    r = tf_rec("ticket_message_added");
    v.org = ORG2;
    ck_assert(!sse_visible(&v, &r));
}
END_TEST

/* A private event (an agent's chat progress): its user alone, whatever
 * the role of the others. */
START_TEST(visible_private)
{
    sse_record_t r = tf_rec("chat_progress");
    sse_viewer_t me = tf_viewer("agent", STAFF);
    sse_viewer_t admin = tf_viewer("admin", CUST3);
    sse_viewer_t cust = tf_viewer("customer", CUST);
    sse_viewer_t odd = tf_viewer("robot", STAFF);

    r.audience[0] = STAFF;
    ck_assert(sse_visible(&me, &r));
    ck_assert(!sse_visible(&admin, &r));
    ck_assert(!sse_visible(&cust, &r));
    ck_assert(!sse_visible(&odd, &r));
    me.org = ORG2;
    ck_assert(!sse_visible(&me, &r));
}
END_TEST

/* An empty or missing user id never matches an empty audience slot. */
START_TEST(visible_empty_ids)
{
    sse_record_t r = tf_rec("ticket_updated");
    sse_viewer_t v = tf_viewer("customer", "");

    r.audience[0] = "";
    ck_assert(!sse_visible(&v, &r));
    v.user = NULL;
    r.audience[0] = NULL;
    ck_assert(!sse_visible(&v, &r));

    /* an empty org matches nothing, not even an empty one */
    v = tf_viewer("admin", STAFF);
    v.org = "";
    r = tf_rec("ticket_updated");
    r.org = "";
    ck_assert(!sse_visible(&v, &r));
    v.org = NULL;
    r.org = NULL;
    ck_assert(!sse_visible(&v, &r));
}
END_TEST

START_TEST(visible_unknown_role)
{
    static const char *const roles[] = { "", "Admin", "owner", "customers", "agent " };
    sse_record_t r = tf_rec("ticket_updated");
    size_t i;

    for (i = 0; i < sizeof(roles) / sizeof(roles[0]); ++i) {
        sse_viewer_t v = tf_viewer(roles[i], CUST);

        ck_assert_msg(!sse_visible(&v, &r), "role \"%s\"", roles[i]);
    }
    {
        sse_viewer_t v = tf_viewer(NULL, CUST);

        ck_assert(!sse_visible(&v, &r));
    }
    ck_assert(!sse_visible(NULL, &r));
    {
        sse_viewer_t v = tf_viewer("admin", STAFF);

        ck_assert(!sse_visible(&v, NULL));
    }
}
END_TEST

/* A decoded record (pointers into a payload) behaves as the one encoded. */
START_TEST(visible_decoded)
{
    sse_record_t r = tf_rec("new_message"), d;
    sse_viewer_t v = tf_viewer("customer", CUST);
    unsigned char buf[512];
    apr_ssize_t n;

    r.staff_only = 0;
    n = sse_record_encode(buf, sizeof(buf), &r);
    ck_assert_int_gt(n, 0);
    ck_assert_int_eq(sse_record_decode(buf, (apr_size_t)n, &d), 0);
    ck_assert(sse_visible(&v, &d));
    v.user = CUST2;
    ck_assert(!sse_visible(&v, &d));
}
END_TEST

/* ---- parsing -------------------------------------------------------------------- */

START_TEST(parse_none)
{
    sse_filter_t f;
    const char *err = NULL;

    memset(&f, 0xff, sizeof(f));
    ck_assert_int_eq(sse_filter_parse(tk_tp, NULL, NULL, NULL, &f, &err), 0);
    ck_assert_uint_eq(f.types, 0);
    ck_assert_ptr_null(f.ticket);
    ck_assert_ptr_null(f.conversation);
    ck_assert_int_eq(f.tickets_only, 0);
    ck_assert_ptr_null(err);
}
END_TEST

START_TEST(parse_types)
{
    sse_filter_t f;
    const char *err = NULL;
    char *all;
    int i;

    ck_assert_int_eq(sse_filter_parse(tk_tp, "new_message", NULL, NULL, &f, &err), 0);
    ck_assert_uint_eq(f.types, 1u << sse_filter_type_index("new_message"));
    ck_assert_int_eq(sse_filter_parse(tk_tp, "ticket_deleted,ticket_created",
                                      NULL, NULL, &f, &err), 0);
    ck_assert_uint_eq(f.types, (1u << 0) | (1u << 2));

    all = apr_pstrdup(tk_tp, sse_filter_types[0]);
    for (i = 1; i < SSE_FILTER_NTYPES; ++i) {
        all = apr_pstrcat(tk_tp, all, ",", sse_filter_types[i], NULL);
    }
    ck_assert_int_eq(sse_filter_parse(tk_tp, all, NULL, NULL, &f, &err), 0);
    ck_assert_uint_eq(f.types, (1u << SSE_FILTER_NTYPES) - 1);
    for (i = 0; i < SSE_FILTER_NTYPES; ++i) {
        ck_assert_int_eq(sse_filter_type_index(sse_filter_types[i]), i);
    }
    ck_assert_int_eq(sse_filter_type_index("reset"), -1);
    ck_assert_int_eq(sse_filter_type_index(NULL), -1);
}
END_TEST

/* Each refused value: -1 and a sentence naming the parameter and value. */
static void tf_refused(const char *types, const char *ticket,
                       const char *conversation, const char *param,
                       const char *quoted)
{
    sse_filter_t f;
    const char *err = NULL;

    ck_assert_int_eq(sse_filter_parse(tk_tp, types, ticket, conversation,
                                      &f, &err), -1);
    ck_assert_ptr_nonnull(err);
    ck_assert_msg(strstr(err, param) != NULL, "\"%s\" lacks %s", err, param);
    ck_assert_msg(strstr(err, quoted) != NULL, "\"%s\" lacks %s", err, quoted);
    /* and without an error pointer */
    ck_assert_int_eq(sse_filter_parse(tk_tp, types, ticket, conversation,
                                      &f, NULL), -1);
}

START_TEST(parse_refused)
{
    const char *err = NULL;
    sse_filter_t f;

    tf_refused("ticket_created,bogus", NULL, NULL, "\"types\"", "\"bogus\"");
    tf_refused("Ticket_created", NULL, NULL, "\"types\"", "\"Ticket_created\"");
    tf_refused("ticket_created ", NULL, NULL, "\"types\"", "\"ticket_created \"");
    tf_refused("reset", NULL, NULL, "\"types\"", "\"reset\"");
    tf_refused("", NULL, NULL, "\"types\"", "empty item");
    tf_refused(",new_message", NULL, NULL, "\"types\"", "empty item");
    tf_refused("new_message,", NULL, NULL, "\"types\"", "empty item");
    tf_refused("new_message,,message_sent", NULL, NULL, "\"types\"",
               "\"new_message,,message_sent\"");
    tf_refused("new_message,message_sent,new_message", NULL, NULL, "\"types\"",
               "\"new_message\" is listed twice");
    tf_refused(NULL, "42", NULL, "\"ticket\"", "\"42\"");
    tf_refused(NULL, "", NULL, "\"ticket\"", "\"\"");
    tf_refused(NULL, TKT "0", NULL, "\"ticket\"", TKT "0");
    tf_refused(NULL, NULL, "not-a-uuid", "\"conversation\"", "\"not-a-uuid\"");
    tf_refused(NULL, TKT, "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeeg",
               "\"conversation\"", "eeeg\"");

    /* hostile values are cut and made printable ASCII in the sentence */
    ck_assert_int_eq(sse_filter_parse(tk_tp, tk_repeat("a", 1000), NULL, NULL,
                                      &f, &err), -1);
    ck_assert_ptr_nonnull(strstr(err, tk_repeat("a", 64)));
    ck_assert_ptr_null(strstr(err, tk_repeat("a", 65)));
    ck_assert_ptr_nonnull(strstr(err, "...\""));
    ck_assert_int_eq(sse_filter_parse(tk_tp, NULL, "\xc3\xa9\n\x01", NULL,
                                      &f, &err), -1);
    ck_assert_ptr_nonnull(strstr(err, "\"????\""));
}
END_TEST

START_TEST(parse_ids)
{
    sse_filter_t f;
    const char *err = NULL;

    ck_assert_int_eq(sse_filter_parse(tk_tp, NULL, TKT, CONV, &f, &err), 0);
    ck_assert_str_eq(f.ticket, TKT);
    ck_assert_str_eq(f.conversation, CONV);
    /* upper case is accepted and kept lower case, as records hold ids */
    ck_assert_int_eq(sse_filter_parse(tk_tp, NULL,
                                      "AAAAAAAA-BBBB-4CCC-8DDD-EEEEEEEEEEEE",
                                      NULL, &f, &err), 0);
    ck_assert_str_eq(f.ticket, CONV);
    ck_assert_ptr_null(f.conversation);
}
END_TEST

/* ---- matching -------------------------------------------------------------------- */

static sse_filter_t tf_filter(const char *types, const char *ticket,
                              const char *conversation)
{
    sse_filter_t f;
    const char *err = NULL;

    ck_assert_msg(sse_filter_parse(tk_tp, types, ticket, conversation, &f,
                                   &err) == 0, "%s", err);
    return f;
}

START_TEST(wanted_types)
{
    sse_filter_t any = tf_filter(NULL, NULL, NULL);
    sse_filter_t some = tf_filter("ticket_created,new_message", NULL, NULL);
    sse_record_t r = tf_rec("ticket_created");
    int i;

    for (i = 0; i < SSE_FILTER_NTYPES; ++i) {
        r.type = sse_filter_types[i];
        ck_assert(sse_wanted(&any, &r));
        ck_assert_int_eq(sse_wanted(&some, &r),
                         strcmp(r.type, "ticket_created") == 0
                         || strcmp(r.type, "new_message") == 0);
    }
    /* a type outside the known list: only without a list */
    r.type = "reset";
    ck_assert(sse_wanted(&any, &r));
    ck_assert(!sse_wanted(&some, &r));
    r.type = NULL;
    ck_assert(!sse_wanted(&any, &r));
    ck_assert(!sse_wanted(NULL, &r));
    ck_assert(!sse_wanted(&any, NULL));
}
END_TEST

START_TEST(wanted_tickets_only)
{
    sse_filter_t f = tf_filter(NULL, NULL, NULL);
    sse_filter_t g = tf_filter("ticket_updated,customer_created", NULL, NULL);
    sse_record_t r = tf_rec("x");
    int i;

    f.tickets_only = 1;
    g.tickets_only = 1;
    for (i = 0; i < SSE_FILTER_NTYPES; ++i) {
        r.type = sse_filter_types[i];
        ck_assert_int_eq(sse_wanted(&f, &r),
                         strncmp(r.type, "ticket_", 7) == 0);
        /* with a list: both must hold */
        ck_assert_int_eq(sse_wanted(&g, &r),
                         strcmp(r.type, "ticket_updated") == 0);
    }
    r.type = "ticket";
    ck_assert(!sse_wanted(&f, &r));
}
END_TEST

START_TEST(wanted_ids)
{
    sse_filter_t ft = tf_filter(NULL, TKT, NULL);
    sse_filter_t fc = tf_filter(NULL, NULL, CONV);
    sse_filter_t both = tf_filter("new_message", TKT, CONV);
    sse_record_t r = tf_rec("new_message");

    ck_assert(sse_wanted(&ft, &r));
    ck_assert(!sse_wanted(&fc, &r));    /* the record names no conversation */
    r.conversation = CONV;
    ck_assert(sse_wanted(&fc, &r));
    ck_assert(sse_wanted(&both, &r));
    r.conversation = CONV2;
    ck_assert(!sse_wanted(&fc, &r));
    ck_assert(!sse_wanted(&both, &r));
    r.conversation = CONV;
    r.ticket = TKT2;
    ck_assert(!sse_wanted(&ft, &r));
    ck_assert(!sse_wanted(&both, &r));
    r.ticket = "";
    ck_assert(!sse_wanted(&ft, &r));
    r.ticket = NULL;
    ck_assert(!sse_wanted(&ft, &r));
    ck_assert(sse_wanted(&fc, &r));
    /* the filter of an upper-case parameter matches the record */
    fc = tf_filter(NULL, NULL, "AAAAAAAA-BBBB-4CCC-8DDD-EEEEEEEEEEEE");
    ck_assert(sse_wanted(&fc, &r));
}
END_TEST

/* ---- revoked credentials ------------------------------------------------------ */

START_TEST(revokes_only_its_credential)
{
    sse_viewer_t v = tf_viewer("agent", STAFF);
    sse_record_t r = tf_rec(SSE_REVOKED_TYPE);
    const char *data = "{\"credential\":\"s:0123456789abcdef\"}";

    r.ticket = "";
    r.audience[0] = "";
    r.staff_only = 1;
    r.data = data;
    r.data_len = strlen(data);
    ck_assert_int_eq(sse_revokes(&v, "s:0123456789abcdef", &r), 1);
    /* another credential, a prefix of it, or none at all */
    ck_assert_int_eq(sse_revokes(&v, "s:0123456789abcdee", &r), 0);
    ck_assert_int_eq(sse_revokes(&v, "s:0123456789abcde", &r), 0);
    ck_assert_int_eq(sse_revokes(&v, "t:0123456789abcdef", &r), 0);
    ck_assert_int_eq(sse_revokes(&v, "", &r), 0);
    ck_assert_int_eq(sse_revokes(&v, NULL, &r), 0);
    /* another organization's revocation */
    r.org = ORG2;
    ck_assert_int_eq(sse_revokes(&v, "s:0123456789abcdef", &r), 0);
    r.org = ORG;
    /* another type with the same data */
    r.type = "ticket_updated";
    ck_assert_int_eq(sse_revokes(&v, "s:0123456789abcdef", &r), 0);
    /* data that only contains the name */
    r.type = SSE_REVOKED_TYPE;
    data = "{\"credential\":\"s:0123456789abcdef\",\"x\":1}";
    r.data = data;
    r.data_len = strlen(data);
    ck_assert_int_eq(sse_revokes(&v, "s:0123456789abcdef", &r), 0);
    /* visible to nobody, and a type no stream can ask for */
    ck_assert_int_eq(sse_visible(&(sse_viewer_t){ ORG, CUST, "customer" }, &r), 0);
    ck_assert_int_eq(sse_visible(&v, &r), 0);
    ck_assert_int_eq(sse_filter_type_index(SSE_REVOKED_TYPE), -1);
}
END_TEST

Suite *tk_suite_sse_filter(void)
{
    Suite *s = suite_create("sse_filter");
    TCase *tv = tk_tcase("visible");
    TCase *tp = tk_tcase("parse");
    TCase *tw = tk_tcase("wanted");

    tcase_add_test(tv, visible_staff);
    tcase_add_test(tv, visible_customer);
    tcase_add_test(tv, visible_private);
    tcase_add_test(tv, visible_empty_ids);
    tcase_add_test(tv, visible_unknown_role);
    tcase_add_test(tv, visible_decoded);
    suite_add_tcase(s, tv);

    tcase_add_test(tp, parse_none);
    tcase_add_test(tp, parse_types);
    tcase_add_test(tp, parse_refused);
    tcase_add_test(tp, parse_ids);
    suite_add_tcase(s, tp);

    tcase_add_test(tw, wanted_types);
    tcase_add_test(tw, wanted_tickets_only);
    tcase_add_test(tw, wanted_ids);
    tcase_add_test(tw, revokes_only_its_credential);
    suite_add_tcase(s, tw);
    return s;
}
