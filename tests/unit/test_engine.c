/* The alert engine, table-driven over sequences of observations: `for`, repeat, warning <->
 * critical, resolve, unmeasurable values, silences, rules added and removed between runs. Each
 * step feeds one observation (or none: the rule is gone) and names the events it must give. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts/engine.h"
#include "core/xalloc.h"

#define MIN 60000LL

/* one step: minute t, the observation, and the events expected ("" for none) */
struct step {
    int t;
    char obs; /* 'o' ok, 'w' warning, 'c' critical, 'n' not measurable, '-' rule removed */
    bool silenced;
    const char *events; /* e.g. "firing:warning", "level:critical", "resolved", "repeat" */
};

struct scenario {
    const char *name;
    int64_t for_ms, repeat_ms, grace_ms;
    struct step steps[12];
};

static void describe(const struct alert_result *r, char *out, size_t n)
{
    out[0] = '\0';
    for (size_t i = 0; i < r->nevents; i++) {
        const struct alert_event *e = &r->events[i];
        size_t used = strlen(out);
        if (e->kind == EV_RESOLVED || e->kind == EV_REPEAT)
            snprintf(out + used, n - used, "%s%s", i ? " " : "", alert_event_kind_name(e->kind));
        else
            snprintf(out + used, n - used, "%s%s:%s", i ? " " : "", alert_event_kind_name(e->kind),
                     health_name(e->level));
    }
}

static void run(const struct scenario *sc)
{
    struct alert_state *states = NULL;
    size_t nstates = 0;
    for (const struct step *st = sc->steps; st->obs; st++) {
        struct alert_obs o = {.rule = "r",
                              .stream = "s",
                              .measurable = st->obs != 'n',
                              .level = st->obs == 'w'   ? HEALTH_WARNING
                                       : st->obs == 'c' ? HEALTH_CRITICAL
                                                        : HEALTH_OK,
                              .value = st->obs == 'n' ? NAN : 42,
                              .threshold = "> 1",
                              .for_ms = sc->for_ms,
                              .repeat_ms = sc->repeat_ms,
                              .grace_ms = sc->grace_ms,
                              .silenced = st->silenced};
        struct alert_result r;
        alert_eval(&o, st->obs == '-' ? 0 : 1, states, nstates, st->t * MIN, &r);
        char got[200];
        describe(&r, got, sizeof got);
        if (strcmp(got, st->events) != 0)
            fail_msg("%s, minute %d ('%c'): events '%s', expected '%s'", sc->name, st->t, st->obs,
                     got, st->events);
        for (size_t i = 0; i < nstates; i++)
            alert_state_done(&states[i]);
        free(states);
        /* the new states become the previous ones (taken over from r) */
        states = r.states;
        nstates = r.nstates;
        r.states = NULL;
        r.nstates = 0;
        alert_result_done(&r);
    }
    for (size_t i = 0; i < nstates; i++)
        alert_state_done(&states[i]);
    free(states);
}

static void test_scenarios(void **unused)
{
    (void)unused;
    static const struct scenario scenarios[] = {
        {"fires at once without for, repeat later, resolves",
         0,
         60 * MIN,
         10 * MIN,
         {{0, 'o', false, ""},
          {1, 'w', false, "firing:warning"},
          {2, 'w', false, ""},
          {30, 'w', false, ""},
          {61, 'w', false, "repeat"},
          {62, 'w', false, ""},
          {63, 'o', false, "resolved"},
          {64, 'o', false, ""}}},
        {"for: pending until it held 5 minutes; a dip resets it",
         5 * MIN,
         240 * MIN,
         10 * MIN,
         {{0, 'w', false, ""},
          {3, 'w', false, ""},
          {4, 'o', false, ""},
          {5, 'w', false, ""},
          {9, 'w', false, ""},
          {10, 'w', false, "firing:warning"},
          {11, 'o', false, "resolved"}}},
        {"warning <-> critical are events; no repeat between",
         0,
         240 * MIN,
         10 * MIN,
         {{0, 'w', false, "firing:warning"},
          {1, 'c', false, "level:critical"},
          {2, 'c', false, ""},
          {3, 'w', false, "level:warning"},
          {4, 'o', false, "resolved"}}},
        {"unmeasurable never resolves; UNKNOWN after the grace; back when measurable",
         0,
         240 * MIN,
         10 * MIN,
         {{0, 'c', false, "firing:critical"},
          {1, 'n', false, ""},
          {5, 'n', false, ""},
          {11, 'n', false, "level:unknown"},
          {12, 'n', false, ""},
          {13, 'c', false, "level:critical"},
          {14, 'o', false, "resolved"}}},
        {"unmeasurable while inactive or pending does nothing",
         5 * MIN,
         240 * MIN,
         1 * MIN,
         {{0, 'n', false, ""},
          {1, 'w', false, ""},
          {3, 'n', false, ""},
          {30, 'n', false, ""},
          {31, 'w', false, "firing:warning"}}},
        {"the rule is removed: a firing alert resolves, then is forgotten",
         0,
         240 * MIN,
         10 * MIN,
         {{0, 'c', false, "firing:critical"}, {1, '-', false, "resolved"}, {2, '-', false, ""}}},
        {"a rule added later starts inactive",
         0,
         240 * MIN,
         10 * MIN,
         {{0, '-', false, ""}, {1, 'o', false, ""}, {2, 'w', false, "firing:warning"}}},
        {"silenced: state kept, nothing sent; after the silence one notification",
         0,
         60 * MIN,
         10 * MIN,
         {{0, 'w', true, ""},
          {1, 'c', true, ""},
          {90, 'c', true, ""},
          {91, 'c', false, "repeat"},
          {92, 'c', false, ""},
          {93, 'o', false, "resolved"}}},
        {"fired and resolved inside a silence: nothing at all",
         0,
         60 * MIN,
         10 * MIN,
         {{0, 'w', true, ""}, {1, 'o', true, ""}, {2, 'o', false, ""}}},
        {"a silence after firing holds the repeat, not the resolve",
         0,
         10 * MIN,
         10 * MIN,
         {{0, 'w', false, "firing:warning"},
          {20, 'w', true, ""},
          {30, 'w', true, ""},
          {31, 'o', true, "resolved"}}},
    };
    for (size_t i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++)
        run(&scenarios[i]);
}

/* Events carry what the payloads need. */
static void test_event_fields(void **unused)
{
    (void)unused;
    struct alert_obs o = {.rule = "backlog-old",
                          .stream = "orders",
                          .measurable = true,
                          .level = HEALTH_CRITICAL,
                          .value = 2000,
                          .threshold = "> 1800",
                          .repeat_ms = 3600000,
                          .grace_ms = 600000};
    struct alert_result r;
    alert_eval(&o, 1, NULL, 0, 1000, &r);
    assert_int_equal(r.nevents, 1);
    assert_int_equal(r.nstates, 1);
    const struct alert_event *e = &r.events[0];
    assert_string_equal(e->rule, "backlog-old");
    assert_string_equal(e->stream, "orders");
    assert_string_equal(e->threshold, "> 1800");
    assert_true(e->value == 2000);
    assert_int_equal(e->started_ms, 1000);
    assert_int_equal(r.states[0].phase, PH_FIRING);
    assert_int_equal(r.states[0].notified_ms, 1000);
    /* a later pass with a higher value, then the resolve: it carries the value it fired with */
    struct alert_result r2, r3;
    o.value = 2500;
    alert_eval(&o, 1, r.states, r.nstates, 61000, &r2);
    o.level = HEALTH_OK;
    o.value = 12;
    o.threshold = "";
    alert_eval(&o, 1, r2.states, r2.nstates, 121000, &r3);
    assert_int_equal(r3.nevents, 1);
    assert_int_equal(r3.events[0].kind, EV_RESOLVED);
    assert_int_equal(r3.events[0].prev_level, HEALTH_CRITICAL);
    assert_true(r3.events[0].prev_value == 2500);
    assert_true(r3.events[0].value == 12);
    alert_result_done(&r3);
    alert_result_done(&r2);
    alert_result_done(&r);
}

/* Thousands of streams: every (rule, stream) state is matched with its observation in reverse
 * order of the stored states, pairs no rule looks at any more resolve once, and a pair stored
 * twice (states built by hand) is taken as its first entry, as a scan would. */
static void test_many_pairs(void **unused)
{
    (void)unused;
    enum { N = 3000 };
    static const char *const rules[] = {"builtin:stalled", "builtin:no-new-data"};
    char(*names)[16] = xcalloc(N, sizeof *names);
    struct alert_obs *o = xcalloc(2 * N, sizeof *o);
    for (size_t i = 0; i < N; i++) {
        snprintf(names[i], sizeof names[i], "stream-%zu", i);
        for (int r = 0; r < 2; r++)
            o[2 * i + r] = (struct alert_obs){.rule = rules[r],
                                              .stream = names[i],
                                              .measurable = true,
                                              .level = HEALTH_WARNING,
                                              .value = (double)i,
                                              .threshold = "> 0",
                                              .repeat_ms = 3600000,
                                              .grace_ms = 600000};
    }
    struct alert_result r1, r2;
    alert_eval(o, 2 * N, NULL, 0, 1000, &r1);
    assert_int_equal(r1.nevents, 2 * N);
    /* the states stored backwards; the streams of the last tenth gone from the config */
    struct alert_state *prev = xcalloc(2 * N, sizeof *prev);
    for (size_t i = 0; i < 2 * N; i++)
        prev[i] = r1.states[2 * N - 1 - i];
    size_t kept = 2 * (N - N / 10);
    alert_eval(o, kept, prev, 2 * N, 61000, &r2);
    assert_int_equal(r2.nstates, kept);
    for (size_t i = 0; i < kept; i++) {
        assert_string_equal(r2.states[i].rule, o[i].rule);
        assert_string_equal(r2.states[i].stream, o[i].stream);
        assert_int_equal(r2.states[i].phase, PH_FIRING);
        assert_int_equal(r2.states[i].since_ms, 1000); /* carried over, not started again */
        assert_int_equal(r2.states[i].notified_ms, 1000);
    }
    assert_int_equal(r2.nevents, 2 * N - kept);
    for (size_t i = 0; i < r2.nevents; i++) {
        assert_int_equal(r2.events[i].kind, EV_RESOLVED);
        assert_true(r2.events[i].removed);
        assert_true(atoi(r2.events[i].stream + strlen("stream-")) >= N - N / 10);
    }
    alert_result_done(&r2);
    /* a pair stored twice: the first entry is the one carried over */
    struct alert_state twice[2] = {r1.states[0], r1.states[0]};
    twice[1].since_ms = 5;
    alert_eval(o, 1, twice, 2, 61000, &r2);
    assert_int_equal(r2.states[0].since_ms, 1000);
    assert_int_equal(r2.nevents, 0);
    alert_result_done(&r2);
    alert_result_done(&r1);
    free(prev);
    free(o);
    free(names);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scenarios),
        cmocka_unit_test(test_event_fields),
        cmocka_unit_test(test_many_pairs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
