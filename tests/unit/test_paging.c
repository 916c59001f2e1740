#include "testutil.h"

#include "core/stop.h"
#include "net/paging.h"

#define WHAT "s3://lake/dlq/orders/"

static void test_last_page_and_fresh_tokens_go_on(void **state)
{
    (void)state;
    struct paging p;
    struct st_err err = {0};
    paging_init(&p, WHAT, 100, NULL);
    assert_int_equal(paging_next(&p, "t1", 1000, &err), 0);
    assert_int_equal(paging_next(&p, "t2", 1000, &err), 0);
    assert_int_equal(paging_next(&p, "t3", 3, &err), 0);
    assert_int_equal(paging_next(&p, NULL, 0, &err), 0); /* the end */
    paging_done(&p);
}

static void test_repeated_token_fails_at_once(void **state)
{
    (void)state;
    struct paging p;
    struct st_err err = {0};
    paging_init(&p, WHAT, 100, NULL);
    assert_int_equal(paging_next(&p, "same", 1, &err), 0);
    assert_int_equal(paging_next(&p, "other", 1, &err), 0);
    assert_int_equal(paging_next(&p, "same", 1, &err), -1); /* a loop, even not back to back */
    assert_int_equal(err.code, ST_EFORMAT);
    assert_non_null(strstr(err.msg, WHAT));
    assert_non_null(strstr(err.msg, "repeated continuation token 'same'"));
    paging_done(&p);
}

static void test_token_in_message_is_harmless(void **state)
{
    (void)state;
    struct paging p;
    struct st_err err = {0};
    char long_token[300];
    memset(long_token, 'x', sizeof long_token - 1);
    long_token[0] = '\x1b';
    long_token[sizeof long_token - 1] = '\0';
    paging_init(&p, WHAT, 100, NULL);
    assert_int_equal(paging_next(&p, long_token, 1, &err), 0);
    assert_int_equal(paging_next(&p, long_token, 1, &err), -1);
    assert_null(strchr(err.msg, '\x1b'));
    assert_non_null(strstr(err.msg, "..."));
    assert_true(strlen(err.msg) < 200);
    paging_done(&p);
}

static void test_empty_truncated_pages(void **state)
{
    (void)state;
    struct paging p;
    struct st_err err = {0};
    paging_init(&p, WHAT, 1000, NULL);
    char tok[32];
    int n = 0;
    /* a few empty pages (S3 may send one) are fine, and a page with keys starts over */
    for (int i = 0; i < PAGING_MAX_EMPTY - 1; i++) {
        snprintf(tok, sizeof tok, "e%d", n++);
        assert_int_equal(paging_next(&p, tok, 0, &err), 0);
    }
    snprintf(tok, sizeof tok, "e%d", n++);
    assert_int_equal(paging_next(&p, tok, 5, &err), 0);
    for (int i = 0; i < PAGING_MAX_EMPTY - 1; i++) {
        snprintf(tok, sizeof tok, "e%d", n++);
        assert_int_equal(paging_next(&p, tok, 0, &err), 0);
    }
    /* the tenth empty page in a row */
    snprintf(tok, sizeof tok, "e%d", n++);
    assert_int_equal(paging_next(&p, tok, 0, &err), -1);
    assert_int_equal(err.code, ST_EFORMAT);
    assert_non_null(strstr(err.msg, WHAT ": 10 truncated pages in a row with no keys"));
    paging_done(&p);
}

static void test_page_cap(void **state)
{
    (void)state;
    struct paging p;
    struct st_err err = {0};
    char tok[32];
    paging_init(&p, WHAT, 5, NULL);
    for (int i = 0; i < 5; i++) {
        snprintf(tok, sizeof tok, "t%d", i);
        assert_int_equal(paging_next(&p, tok, 1, &err), 0);
    }
    assert_int_equal(paging_next(&p, "t5", 1, &err), -1);
    assert_non_null(strstr(err.msg, WHAT ": more than 5 pages"));
    paging_done(&p);
}

static void test_cap_shared_by_chains(void **state)
{
    (void)state;
    size_t pages = 0;
    struct paging a, b;
    struct st_err err = {0};
    paging_init(&a, WHAT, 3, &pages);
    paging_init(&b, WHAT, 3, &pages);
    /* each chain has its own tokens: the same token in two chains is no loop */
    assert_int_equal(paging_next(&a, "t", 1, &err), 0);
    assert_int_equal(paging_next(&b, "t", 1, &err), 0);
    assert_int_equal(paging_next(&a, NULL, 1, &err), 0);
    assert_int_equal(pages, 3u);
    assert_int_equal(paging_next(&b, NULL, 1, &err), -1); /* the listing's fourth page */
    assert_non_null(strstr(err.msg, "more than 3 pages"));
    paging_done(&a);
    paging_done(&b);
}

static void test_stop_requested(void **state)
{
    (void)state;
    struct paging p;
    struct st_err err = {0};
    paging_init(&p, WHAT, 100, NULL);
    assert_int_equal(paging_next(&p, "t1", 1, &err), 0);
    stop_request();
    assert_int_equal(paging_next(&p, "t2", 1, &err), -1);
    assert_int_equal(err.code, ST_ESTOPPED);
    assert_string_equal(err.msg, WHAT ": stopped");
    stop_reset();
    paging_done(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_last_page_and_fresh_tokens_go_on),
        cmocka_unit_test(test_repeated_token_fails_at_once),
        cmocka_unit_test(test_token_in_message_is_harmless),
        cmocka_unit_test(test_empty_truncated_pages),
        cmocka_unit_test(test_page_cap),
        cmocka_unit_test(test_cap_shared_by_chains),
        cmocka_unit_test(test_stop_requested),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
