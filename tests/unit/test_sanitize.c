#include "testutil.h"

#include "core/sanitize.h"

static void test_escapes(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        const char *want;
    } cases[] = {
        {"plain text", "plain text"},
        {"\x1b[31mred\x1b[0m", "\\x1b[31mred\\x1b[0m"},
        {"line\nbreak\ttab\r", "line\\nbreak\\ttab\\r"},
        {"bell\x07", "bell\\x07"},
        {"del\x7f", "del\\x7f"},
        {"caf\xc3\xa9", "caf\xc3\xa9"},                           /* valid UTF-8 passes */
        {"\xe2\x96\x81\xe2\x96\x88", "\xe2\x96\x81\xe2\x96\x88"}, /* block elements */
        {"bad\xff", "bad\\xff"},                                  /* invalid byte */
        {"c1\xc2\x9b"
         "31m",
         "c1\\xc2\\x9b31m"},                  /* C1 CSI as UTF-8 */
        {"trunc\xe2\x96", "trunc\\xe2\\x96"}, /* cut sequence */
        {"overlong\xc0\xaf", "overlong\\xc0\\xaf"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *out = sanitize_dup(cases[i].in, strlen(cases[i].in));
        if (strcmp(out, cases[i].want) != 0)
            fail_msg("case %zu: got '%s'", i, out);
        assert_true(sanitize_is_clean(out));
        free(out);
    }
    /* n bounds the text, and a NUL ends it, in the middle of a printable run too */
    char *cut = sanitize_dup("abcdef", 3), *nul = sanitize_dup("ab\0cd", 5),
         *mixed = sanitize_dup("a b\x01"
                               "c\xc3\xa9~\x7f z",
                               11);
    assert_string_equal(cut, "abc");
    assert_string_equal(nul, "ab");
    assert_string_equal(mixed, "a b\\x01c\xc3\xa9~\\x7f z");
    free(cut);
    free(nul);
    free(mixed);
    assert_false(sanitize_is_clean("\x1b[2J"));
    assert_true(sanitize_is_clean("ok \xc3\xa9"));
}

static void test_copy_truncates_on_boundary(void **state)
{
    (void)state;
    char out[6];
    sanitize_copy(out, sizeof out, "ab\xc3\xa9\xc3\xa9xyz");
    assert_string_equal(out, "ab\xc3\xa9");
    char tiny[4];
    sanitize_copy(tiny, sizeof tiny, "\x1b[1m");
    assert_true(sanitize_is_clean(tiny) || tiny[0] == '\\');
    assert_null(strchr(tiny, '\x1b'));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escapes),
        cmocka_unit_test(test_copy_truncates_on_boundary),
    };
    return cmocka_run_group_tests_name("sanitize", tests, NULL, NULL);
}
