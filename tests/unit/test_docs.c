/* Documentation moves with the code: every config key of the key table is documented in
 * streamtop.conf.5, every metric and every subcommand in streamtop.1, and every dashboard key
 * and column abbreviation in its KEYS and COLUMNS sections. */
#include "testutil.h"

#include "cmd/cmd.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/metrics.h"
#include "tui/columns.h"
#include "tui/keymap.h"

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s (run the tests from the project root)", path);
    struct buf b;
    buf_init(&b);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        buf_append(&b, chunk, n);
    fclose(f);
    return buf_steal(&b);
}

/* A man(7) definition of the word: ".B word", ".BR word ..." or ".TP\n.B word" forms. */
static bool documented(const char *man, const char *word)
{
    char *a = xasprintf("\n.B %s\n", word), *b = xasprintf("\n.BR %s ", word),
         *c = xasprintf("\n.B %s ", word);
    bool ok = strstr(man, a) || strstr(man, b) || strstr(man, c);
    free(a);
    free(b);
    free(c);
    return ok;
}

static void test_config_keys_documented(void **unused)
{
    (void)unused;
    char *man = slurp("man/streamtop.conf.5");
    for (const struct cfg_key *k = config_keys; k->name; k++)
        if (!documented(man, k->name))
            fail_msg("config key '%s' ([%s]) is not documented in man/streamtop.conf.5", k->name,
                     config_section_name(k->section));
    free(man);
}

static void test_metrics_and_commands_documented(void **unused)
{
    (void)unused;
    char *man = slurp("man/streamtop.1");
    for (int m = 0; m < METRIC_COUNT; m++)
        if (!documented(man, metric_defs[m].name))
            fail_msg("metric '%s' is not documented in man/streamtop.1", metric_defs[m].name);
    for (size_t i = 0; cmd_table[i]; i++)
        if (!documented(man, cmd_table[i]->name))
            fail_msg("command '%s' is not documented in man/streamtop.1", cmd_table[i]->name);
    free(man);
    char *readme = slurp("README.md");
    for (size_t i = 0; cmd_table[i]; i++) {
        char *needle = xasprintf("streamtop %s", cmd_table[i]->name);
        char *needle2 = xasprintf("] %s", cmd_table[i]->name);
        if (!strstr(readme, needle) && !strstr(readme, needle2))
            fail_msg("command '%s' is not in README.md", cmd_table[i]->name);
        free(needle);
        free(needle2);
    }
    free(readme);
}

/* The text of section NAME of a man page (from ".SH NAME" to the next ".SH"); caller frees. */
static char *man_section(const char *man, const char *name)
{
    char *head = xasprintf("\n.SH %s\n", name);
    const char *a = strstr(man, head);
    free(head);
    if (!a)
        fail_msg("streamtop.1 has no section %s", name);
    a++;
    const char *b = strstr(a + 1, "\n.SH ");
    return xasprintf("\n%.*s", (int)(b ? b - a : (ptrdiff_t)strlen(a)), a);
}

/* Is word one of the words of a ".B ..." line of text? */
static bool bold_word(const char *text, const char *word)
{
    for (const char *l = strstr(text, "\n.B "); l; l = strstr(l + 1, "\n.B ")) {
        const char *end = strchr(l + 1, '\n');
        size_t n = strlen(word);
        for (const char *w = l + 3; w && w < end; w = strchr(w, ' ')) {
            w++;
            if (strncmp(w, word, n) == 0 && (w[n] == ' ' || w[n] == '\n'))
                return true;
        }
    }
    return false;
}

static void test_dashboard_keys_and_columns_documented(void **unused)
{
    (void)unused;
    char *man = slurp("man/streamtop.1");
    char *keys = man_section(man, "KEYS"), *cols = man_section(man, "COLUMNS");
    for (const struct tui_key *k = tui_keys; k->key; k++) {
        if (!k->label)
            continue;
        char *label = xstrdup(k->label);
        for (char *w = label, *sp; w; w = sp ? sp + 1 : NULL) {
            sp = strchr(w, ' ');
            if (sp)
                *sp = '\0';
            if (!bold_word(keys, w))
                fail_msg("key '%s' (%s) is not in the KEYS section of streamtop.1", w, k->help);
        }
        free(label);
    }
    for (int c = 0; c < COL__N; c++)
        if (!documented(cols, tui_columns[c].title))
            fail_msg("column '%s' is not in the COLUMNS section of streamtop.1",
                     tui_columns[c].title);
    free(keys);
    free(cols);
    free(man);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_keys_documented),
        cmocka_unit_test(test_metrics_and_commands_documented),
        cmocka_unit_test(test_dashboard_keys_and_columns_documented),
    };
    return cmocka_run_group_tests_name("docs", tests, NULL, NULL);
}
