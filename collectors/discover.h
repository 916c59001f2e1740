/* discover: find Spark checkpoints under a path (local or S3) and guess what each stream reads:
 * the landing folder from its file-source log (partition folders, dt=/hr= or YYYY/MM/DD/HH,
 * cut off), Firehose's error prefixes beside it (processing-failed/, errors/, ...) as
 * dead-letter prefixes, the Auto Loader schema location when _schemas/ sits in the checkpoint. Of a
 * Declarative Pipelines flow's numbered checkpoints only the live one (the highest number) is
 * reported. */
#ifndef STREAMTOP_DISCOVER_H
#define STREAMTOP_DISCOVER_H

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"
#include "core/strvec.h"

struct found {
    char *checkpoint;         /* (owned) */
    char *source;             /* (owned) guessed landing folder, or NULL */
    char *schema;             /* (owned) schema location, or NULL */
    char *kind;               /* (owned) the first source's kind ("file", "kafka", "delta", ...) */
    char *name;               /* (owned) a stream name to suggest, or NULL (the last folder) */
    char *note;               /* (owned) a line saying what the checkpoint is, or NULL */
    struct strvec deadletter; /* Firehose error prefixes found beside the landing folder */
};

struct found_list {
    struct found *v;
    size_t n, cap;
};

/* Is path itself a checkpoint (it has offsets/)? */
bool discover_is_checkpoint(const char *path);
/* Append every checkpoint under root (root included) to out, sorted by path; of a pipeline
 * flow's checkpoints (_checkpoints/<table parts>/<flow>/<N>) only the highest N. 0, or -1 with
 * err. */
int discover(const char *root, struct found_list *out, struct st_err *err);
void found_list_done(struct found_list *l);
/* The common folder of a file-source log's paths (partition folders such as dt=... and a
 * dated YYYY/MM/DD/HH tail cut off), from the log text; NULL when it names no paths. Caller
 * frees. */
char *discover_source_from_log(const char *text, size_t len);

#endif
