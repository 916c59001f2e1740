/* simulate: write a realistic pipeline tree (and a config watching it); with --ticks, keep it
 * moving in real time, one step a second. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "cmd/cmd.h"
#include "core/parse.h"
#include "sim/sim.h"

enum { OPT_STREAMS = 1, OPT_TICKS, OPT_BATCHES, OPT_FILES, OPT_TRIGGER, OPT_SEED, OPT_KIND };

static int positive(const char *opt, const char *val, long max, long *out)
{
    int64_t v;
    if (parse_int64(val, &v) < 0 || v < 0 || v > max) {
        app_fail("simulate: %s takes a whole number from 0 to %ld, not '%s'", opt, max, val);
        return -1;
    }
    *out = (long)v;
    return 0;
}

static const struct opt_spec simulate_opts[] = {
    {"streams", 0, true, OPT_STREAMS}, {"ticks", 0, true, OPT_TICKS},
    {"batches", 0, true, OPT_BATCHES}, {"files-per-batch", 0, true, OPT_FILES},
    {"trigger", 0, true, OPT_TRIGGER}, {"seed", 0, true, OPT_SEED},
    {"kind", 0, true, OPT_KIND},       {NULL, 0, false, 0}};

static int simulate_exec(struct app *app, const struct cmd_args *a)
{
    (void)app;
    struct sim_opts o = {.dir = a->words[0]};
    long streams = 4, ticks = 0, batches = 120, files = 3, seed = 1;
    int64_t trigger_ms = 10000;
    struct st_err err;
    /* the whole-number options: which, their upper bound, where they go */
    const struct {
        int id;
        const char *name;
        long max;
        long *out;
    } counts[] = {{OPT_STREAMS, "--streams", 100000, &streams},
                  {OPT_TICKS, "--ticks", 100000000, &ticks},
                  {OPT_BATCHES, "--batches", 100000, &batches},
                  {OPT_FILES, "--files-per-batch", 10000, &files},
                  {OPT_SEED, "--seed", 2147483647L, &seed}};
    for (size_t i = 0; i < sizeof counts / sizeof *counts; i++) {
        const char *val = a->opt[counts[i].id];
        if (val && positive(counts[i].name, val, counts[i].max, counts[i].out) < 0)
            return EXIT_UNKNOWN;
    }
    const char *val = a->opt[OPT_TRIGGER];
    if (val && (parse_duration_ms(val, &trigger_ms) < 0 || trigger_ms < 1000))
        return app_fail("simulate: --trigger takes a duration of at least 1s, not '%s'", val);
    val = a->opt[OPT_KIND];
    int kind = val ? sim_kind_parse(val) : SIM_KIND_FILES;
    if (kind < 0)
        return app_fail("simulate: --kind takes files, kafka, delta, rate, mixed, feeder, staging, "
                        "autoloader or firehose, not '%s'",
                        val);
    o.kind = (enum sim_kind)kind;
    if (!o.dir)
        return app_usage(&cmd_simulate);
    if (streams < 1 || batches < 1 || files < 1)
        return app_fail("simulate: --streams, --batches and --files-per-batch must be at least 1");
    o.streams = (int)streams;
    o.batches = (int)batches;
    o.files_per_batch = (int)files;
    o.trigger_ms = trigger_ms;
    o.seed = (uint64_t)seed;
    struct sim *sim = sim_create(&o, &err);
    if (!sim)
        return app_fail("simulate: %s", err.msg);
    printf("simulated %ld stream%s with %ld batches each in %s\nconfig: %s/streamtop.ini\n",
           streams, streams == 1 ? "" : "s", batches, o.dir, o.dir);
    fflush(stdout);
    for (long i = 0; i < ticks; i++) {
        struct timespec ts = {1, 0};
        nanosleep(&ts, NULL);
        if (sim_advance(sim, &err) < 0) {
            sim_free(sim);
            return app_fail("simulate: %s", err.msg);
        }
    }
    sim_free(sim);
    return EXIT_OK;
}

const struct cmd_entry cmd_simulate = {
    .name = "simulate",
    .usage = "DIR [--streams N] [--batches N] [--files-per-batch N] [--trigger DUR] "
             "[--ticks N] [--seed N] "
             "[--kind files|kafka|delta|rate|mixed|feeder|staging|autoloader|firehose]",
    .help = "write a realistic simulated pipeline tree (and a config for it)",
    .opts = simulate_opts,
    .min_words = 1,
    .max_words = 1,
    .exec = simulate_exec,
};
