/* Helpers shared by the unit tests: cmocka, a scratch folder under $TMPDIR, file writers, and
 * the location of the real fixtures (../shared/fixtures/real, or $STREAMTOP_FIXTURES). */
#ifndef STREAMTOP_TESTUTIL_H
#define STREAMTOP_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/xalloc.h"

/* The real fixtures folder, or NULL when ../shared is absent (tests then skip, saying so). */
static inline const char *fixtures_dir(void)
{
    const char *env = getenv("STREAMTOP_FIXTURES");
    static char path[4096];
    snprintf(path, sizeof path, "%s", env && *env ? env : "../shared/fixtures/real");
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "real fixtures not found at %s: skipping\n", path);
        return NULL;
    }
    return path;
}

/* A fresh scratch folder (caller frees the string; the folder lives under $TMPDIR). */
static inline char *scratch_dir(const char *tag)
{
    const char *tmp = getenv("TMPDIR");
    char *dir = xasprintf("%s/streamtop-%s-XXXXXX", tmp && *tmp ? tmp : "/tmp", tag);
    if (!mkdtemp(dir)) {
        fprintf(stderr, "mkdtemp %s failed\n", dir);
        abort();
    }
    return dir;
}

static inline void write_text(const char *path, const char *text, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static inline void write_str(const char *dir, const char *rel, const char *text)
{
    char *path = xasprintf("%s/%s", dir, rel);
    /* make parent folders (dir itself too) */
    for (char *s = path + 1; *s; s++) {
        if (*s == '/') {
            *s = '\0';
            mkdir(path, 0755);
            *s = '/';
        }
    }
    write_text(path, text, strlen(text));
    free(path);
}

/* Compare got with tests/golden/NAME; STREAMTOP_GOLDEN_UPDATE=1 rewrites the file first. */
/* Set the mtime of dir/rel (ms since the epoch). */
static inline void touch_ms(const char *dir, const char *rel, int64_t ms)
{
    char *path = xasprintf("%s/%s", dir, rel);
    struct timespec ts[2] = {{(time_t)(ms / 1000), (long)(ms % 1000) * 1000000},
                             {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000}};
    if (utimensat(AT_FDCWD, path, ts, 0) != 0)
        fail_msg("%s: cannot set its time", path);
    free(path);
}

/* The warnings other than a checkpoint's commit times not being its batches' (files written
 * by a test with made-up batch times, or fixtures checked out from git, are dated now). */
static inline size_t warnings_but_copied(const char *const *v, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += strstr(v[i], "(a copied or restored checkpoint?)") == NULL;
    return k;
}

static inline void golden_check(const char *name, const char *got)
{
    char *path = xasprintf("tests/golden/%s", name);
    const char *update = getenv("STREAMTOP_GOLDEN_UPDATE");
    if (update && *update) {
        FILE *f = fopen(path, "wb");
        assert_non_null(f);
        fputs(got, f);
        fclose(f);
    }
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("%s is missing (STREAMTOP_GOLDEN_UPDATE=1 writes it)", path);
    char *want = xcalloc(1, 1 << 16);
    size_t n = fread(want, 1, (1 << 16) - 1, f);
    fclose(f);
    want[n] = '\0';
    if (strcmp(want, got) != 0)
        fail_msg("%s differs; got:\n%s", path, got);
    free(want);
    free(path);
}

#endif
