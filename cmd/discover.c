/* discover: find checkpoints under the paths (local or S3), guess each stream's source and
 * schema location, and print [stream …] stanzas ready to paste into the config. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "collectors/discover.h"
#include "core/buf.h"
#include "core/sanitize.h"
#include "core/xalloc.h"

/* A stream name from a checkpoint path: its last folder, each byte outside [A-Za-z0-9._-]
 * (what a section header could misread) as '_' (made unique by the caller). */
static char *name_of(const char *ckpt)
{
    const char *slash = strrchr(ckpt, '/');
    const char *base = slash && slash[1] ? slash + 1 : ckpt;
    char *n = xstrdup(base);
    for (char *c = n; *c; c++)
        if (!isalnum((unsigned char)*c) && *c != '.' && *c != '-' && *c != '_')
            *c = '_';
    return n;
}

/* A local relative path made absolute against the current folder (lexically: "." and leading
 * "./" dropped, symlinks kept), so the printed stanzas work from any folder, as cron's and a
 * service's do; takes and returns an owned string. */
static char *absolute(char *path)
{
    if (path[0] == '/' || strstr(path, "://"))
        return path;
    char cwd[4096];
    if (!getcwd(cwd, sizeof cwd))
        return path;
    const char *rel = path;
    while (rel[0] == '.' && rel[1] == '/') {
        rel += 2;
        while (*rel == '/')
            rel++;
    }
    if (strcmp(rel, ".") == 0)
        rel = "";
    size_t n = strlen(cwd);
    char *out = xasprintf("%s%s%s", cwd, *rel && cwd[n - 1] != '/' ? "/" : "", rel);
    free(path);
    return out;
}

static int discover_exec(struct app *app, const struct cmd_args *a)
{
    struct st_err err;
    struct strvec paths;
    strvec_init(&paths);
    for (size_t i = 0; i < a->nwords; i++)
        strvec_take(&paths, absolute(config_normalize_path(a->words[i])));
    (void)app;
    int rc = EXIT_OK;
    struct strvec names;
    strvec_init(&names);
    size_t total = 0;
    for (size_t p = 0; p < paths.n; p++) {
        struct found_list l = {0};
        if (discover(paths.v[p], &l, &err) < 0) {
            app_warn("discover: %s", err.msg);
            rc = EXIT_UNKNOWN;
            continue;
        }
        for (size_t i = 0; i < l.n; i++) {
            const struct found *f = &l.v[i];
            char *name = name_of(f->name ? f->name : f->checkpoint);
            char *unique = xstrdup(name);
            for (int k = 2;; k++) {
                bool taken = false;
                for (size_t j = 0; j < names.n; j++)
                    taken |= strcmp(names.v[j], unique) == 0;
                if (!taken)
                    break;
                free(unique);
                unique = xasprintf("%s-%d", name, k);
            }
            strvec_push(&names, unique);
            /* paths from storage are data: quoted so that the pasted line gives back exactly
             * the path, with no variable expanded and nothing cut by a ';' */
            char *ck = config_quote(f->checkpoint);
            printf("%s[stream %s]\ncheckpoint = %s\n", total++ ? "\n" : "", unique, ck);
            if (f->note) {
                char *note = sanitize_dup(f->note, strlen(f->note));
                printf("; %s\n", note);
                free(note);
            }
            if (f->source) {
                char *s = config_quote(f->source);
                printf("source     = %s   ; from its file-source log\n", s);
                free(s);
            } else if (f->kind) {
                char *kind = sanitize_dup(f->kind, strlen(f->kind));
                printf("; source: its first source is %s (no landing folder to list)\n", kind);
                free(kind);
            }
            if (f->deadletter.n) {
                struct buf dl;
                buf_init(&dl);
                for (size_t k = 0; k < f->deadletter.n; k++)
                    buf_printf(&dl, "%s%s", k ? ", " : "", f->deadletter.v[k]);
                char *q = config_quote(buf_str(&dl));
                printf("deadletter = %s   ; Firehose's error prefixes beside it\n", q);
                free(q);
                buf_done(&dl);
            }
            if (f->schema)
                printf("schema     = %s   ; holds _schemas/\n", ck);
            printf("; sink = the Delta table it writes (not recorded in the checkpoint)\n");
            free(ck);
            free(unique);
            free(name);
        }
        found_list_done(&l);
    }
    if (total == 0 && rc == EXIT_OK) {
        app_warn("discover: no checkpoint (a folder with offsets/) under the given paths");
        rc = EXIT_WARNING;
    }
    strvec_done(&names);
    strvec_done(&paths);
    return rc;
}

const struct cmd_entry cmd_discover = {
    .name = "discover",
    .usage = "PATH...",
    .help = "find checkpoints under the paths and print [stream] stanzas for them",
    .min_words = 1,
    .exec = discover_exec,
};
