/* Frame benchmark: draw the streams view of 1,000 streams off-screen (newterm on /dev/null) and
 * time view_draw + refresh per frame, beside a baseline that writes the same screen's worth of
 * preformatted lines with mvaddstr (the floor of any curses program). Prints medians.
 * usage: frame [FRAMES] */
#include <curses.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/xalloc.h"
#include "tui/model.h"
#include "tui/view.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000 + (double)ts.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    int frames = argc > 1 ? atoi(argv[1]) : 200;
    struct snapshot *snap = snapshot_new(1795440000000LL);
    for (int i = 0; i < 1000; i++) {
        char name[32];
        snprintf(name, sizeof name, "stream-%04d", i);
        struct snap_stream *st = snapshot_add_stream(snap, name);
        st->status = (enum health)(i % 4);
        for (int m = 0; m < METRIC_COUNT; m++)
            st->metrics[m] = (double)((i * 37 + m * 11) % 5000);
    }
    struct tui_spark *sp = xcalloc(1000, sizeof *sp);
    for (int i = 0; i < 1000; i++)
        for (int k = 0; k < SPARK_POINTS; k++)
            sp[i].v[0][k] = (double)((i + k) % 13);
    FILE *out = fopen("/dev/null", "w"), *in = fopen("/dev/null", "r");
    setenv("TERM", "xterm-256color", 0);
    SCREEN *scr = newterm(NULL, out, in);
    if (!scr)
        return 1;
    resizeterm(50, 200);
    struct tui_model m;
    model_init(&m);
    m.refresh_ms = 2000;
    m.utf8 = true;
    struct tui_frame fr = {.snap = snap, .spark = sp};
    model_take(&m, &fr);
    double *t = xcalloc((size_t)frames, sizeof *t), *b = xcalloc((size_t)frames, sizeof *b);
    char line[256];
    for (int f = 0; f < frames; f++) {
        model_move(&m, 1, 46); /* a different selection each frame: a real redraw */
        m.now_ms = 1795440000000LL + f;
        double t0 = now_ms();
        view_draw(&m, 50, 200);
        refresh();
        t[f] = now_ms() - t0;
        t0 = now_ms();
        erase();
        for (int y = 0; y < 50; y++) {
            snprintf(line, sizeof line, "%-6d stream-%04d %7d %7d %7d %7d %7d %7d %7d %7d", f, y,
                     f, y, f, y, f, y, f, y);
            mvaddstr(y, 0, line);
        }
        refresh();
        b[f] = now_ms() - t0;
    }
    qsort(t, (size_t)frames, sizeof *t, cmp);
    qsort(b, (size_t)frames, sizeof *b, cmp);
    endwin();
    delscreen(scr);
    printf("%.3f %.3f\n", t[frames / 2], b[frames / 2]);
    model_done(&m);
    free(t);
    free(b);
    return 0;
}
