#include "testutil.h"

#include <cJSON.h>

#include "core/metrics.h"
#include "export/families.h"

/* Every registry metric has a group of its own kind: a row that forgets it gets 0 (MG_HEALTH),
 * which is the exports' own group, and the dashboard would file it there. */
static void test_registry_groups(void **unused)
{
    (void)unused;
    for (int m = 0; m < METRIC_COUNT; m++) {
        enum metric_group g = metric_defs[m].group;
        if (g == MG_HEALTH || g == MG_DAEMON || g >= MG__N)
            fail_msg("%s has no group of its own (%d)", metric_defs[m].name, (int)g);
    }
    for (int g = 0; g < MG__N; g++) {
        assert_string_not_equal(metric_group_title((enum metric_group)g), "Other");
        assert_string_not_equal(prom_group_key((enum metric_group)g), "other");
        for (int h = 0; h < g; h++)
            assert_string_not_equal(prom_group_key((enum metric_group)g),
                                    prom_group_key((enum metric_group)h));
    }
    assert_string_equal(metric_group_title(MG__N), "Other");
    assert_string_equal(metric_unit_name(UNIT_BYTES), "bytes");
}

/* No two families share a name, and none is named like a registry metric. */
static void test_family_names(void **unused)
{
    (void)unused;
    for (int i = 0; i < PF__N; i++) {
        const struct prom_family *f = &prom_families[i];
        assert_non_null(f->name);
        assert_non_null(f->help);
        assert_true(strcmp(f->type, "gauge") == 0 || strcmp(f->type, "counter") == 0);
        /* a counter and only a counter ends in _total */
        size_t n = strlen(f->name);
        assert_int_equal(strcmp(f->type, "counter") == 0,
                         n > 6 && strcmp(f->name + n - 6, "_total") == 0);
        if (metric_find(f->name) >= 0)
            fail_msg("family %s is also a registry metric", f->name);
        for (int j = 0; j < i; j++)
            assert_string_not_equal(f->name, prom_families[j].name);
    }
    assert_true(prom_families[PF_PASS_ERRORS].serve_only);
    assert_false(prom_families[PF_STREAM_STATUS].serve_only);
}

/* The dashboard: one panel per registry metric under its group's row, valid JSON, the same
 * bytes every time. */
static void test_grafana(void **unused)
{
    (void)unused;
    struct buf a, b;
    buf_init(&a);
    buf_init(&b);
    prom_grafana_dashboard(&a);
    prom_grafana_dashboard(&b);
    assert_string_equal(buf_str(&a), buf_str(&b));
    cJSON *d = cJSON_Parse(buf_str(&a));
    assert_non_null(d);
    cJSON *panels = cJSON_GetObjectItem(d, "panels");
    assert_true(cJSON_IsArray(panels));
    for (int m = 0; m < METRIC_COUNT; m++) {
        const char *row = NULL;
        bool found = false;
        cJSON *p;
        cJSON_ArrayForEach(p, panels)
        {
            const char *type = cJSON_GetObjectItem(p, "type")->valuestring;
            const char *title = cJSON_GetObjectItem(p, "title")->valuestring;
            if (strcmp(type, "row") == 0) {
                row = title;
            } else if (strcmp(title, metric_defs[m].name) == 0) {
                found = true;
                assert_non_null(row);
                assert_string_equal(row, metric_group_title(metric_defs[m].group));
                cJSON *t = cJSON_GetArrayItem(cJSON_GetObjectItem(p, "targets"), 0);
                assert_non_null(
                    strstr(cJSON_GetObjectItem(t, "expr")->valuestring, metric_defs[m].name));
            }
        }
        if (!found)
            fail_msg("no panel for %s", metric_defs[m].name);
    }
    cJSON_Delete(d);
    buf_done(&a);
    buf_done(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registry_groups),
        cmocka_unit_test(test_family_names),
        cmocka_unit_test(test_grafana),
    };
    return cmocka_run_group_tests_name("families", tests, NULL, NULL);
}
