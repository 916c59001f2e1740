/* deltafiles: the files of a Delta _delta_log other than plain commits, as pure functions over
 * names and bytes (no I/O): which kind of file a name is, what _last_checkpoint says (with its
 * Delta 4.x v2Checkpoint.nonFileActions), and the table-level actions (metaData, protocol, txn)
 * of a JSON v2 checkpoint or a log-compaction file. Sources: delta-io/delta PROTOCOL.md
 * ("Delta Log Entries", "Checkpoints", "Log Compaction Files", "Last Checkpoint File",
 * "Catalog-managed tables", "In-Commit Timestamps") and spark/.../LastCheckpointInfo.scala.
 * Error messages do not name the file; the caller prefixes it. */
#ifndef STREAMTOP_DELTAFILES_H
#define STREAMTOP_DELTAFILES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

/* PROTOCOL.md names every file by its version zero-padded to 20 digits. */
enum delta_file {
    DF_OTHER,
    DF_COMMIT,          /* <v>.json: a published commit, the only file that is a version */
    DF_CRC,             /* <v>.crc: version checksum */
    DF_CHECKPOINT,      /* <v>.checkpoint.parquet, <v>.checkpoint.<o>.<p>.parquet */
    DF_CHECKPOINT_JSON, /* <v>.checkpoint.<uuid>.json: UUID-named v2 checkpoint, JSON lines */
    DF_CHECKPOINT_V2,   /* <v>.checkpoint.<uuid>.parquet: UUID-named v2 checkpoint, parquet */
    DF_COMPACTED,       /* <x>.<y>.compacted.json (y > x): log compaction, NOT a commit */
    DF_STAGED,          /* <v>.<uuid>.json: a staged commit (only under _staged_commits/) */
    DF_LAST_CHECKPOINT, /* _last_checkpoint */
};

/* The kind of the file named name (no folder), its version in *v (the start x of a compaction)
 * and, for a compaction, its end y in *v_end; *v is -1 for DF_OTHER. */
enum delta_file deltafiles_classify(const char *name, int64_t *v, int64_t *v_end);

/* The table-level state a file gives as of one version. */
struct delta_nonfile {
    int64_t version;      /* the table version it describes, -1 unknown */
    char *schema;         /* (owned) metaData.schemaString, or NULL */
    char *table_id;       /* (owned) metaData.id, or NULL */
    int ict;              /* delta.enableInCommitTimestamps: 1 set, 0 not, -1 no metaData seen */
    bool has_protocol;    /* a protocol action */
    bool catalog_managed; /* its readerFeatures/writerFeatures name catalogManaged */
    bool has_txns;        /* every txn of the table is in it (a checkpoint's state) */
    bool has_txn;         /* a txn of the query (any query when none is given) */
    int64_t txn_version;  /* the highest such txn.version, -1 without one */
    size_t sidecars;      /* sidecar actions (a v2 checkpoint's file actions live there) */
    bool v2;              /* a checkpointMetadata action (V2 spec) */
};

void deltafiles_nonfile_init(struct delta_nonfile *nf);
void deltafiles_nonfile_done(struct delta_nonfile *nf);

/* What _last_checkpoint says. */
struct delta_last_checkpoint {
    int64_t version;
    char *v2_path;           /* (owned) v2Checkpoint.path (a file name in _delta_log), or NULL */
    bool has_nonfile;        /* v2Checkpoint.nonFileActions was there: nonfile is the table */
    struct delta_nonfile nf; /* its metaData, protocol and txns, version = version */
};

void deltafiles_last_checkpoint_done(struct delta_last_checkpoint *lc);
/* Read a _last_checkpoint file into lc (overwritten): version always, v2Checkpoint when there.
 * query_id NULL takes any query's txn. Returns 0, or -1 with err (ST_EFORMAT) when the version
 * is missing or not a commit number, or v2Checkpoint is there but not what Delta writes. */
int deltafiles_parse_last_checkpoint(const char *text, size_t len, const char *query_id,
                                     struct delta_last_checkpoint *lc, struct st_err *err);

/* Read the actions of JSON lines (a JSON v2 checkpoint, or a log-compaction file) into nf,
 * which deltafiles_nonfile_init set up: metaData, protocol, txn, checkpointMetadata and
 * sidecar; add and remove lines are skipped unparsed. Lines that are not JSON are skipped. */
void deltafiles_parse_actions(const char *text, size_t len, const char *query_id,
                              struct delta_nonfile *nf);

struct cJSON;
/* One action object ({"metaData":{...}} etc.) into nf; other actions are ignored. */
void deltafiles_take_action(const struct cJSON *action, const char *query_id,
                            struct delta_nonfile *nf);
/* Whether a protocol action's readerFeatures or writerFeatures name the catalogManaged table
 * feature (or its preview name catalogOwned-preview; delta: TableFeature.scala). */
bool deltafiles_catalog_managed(const struct cJSON *protocol);
/* 1 when a metaData's configuration sets delta.enableInCommitTimestamps to true, else 0. */
int deltafiles_ict_enabled(const struct cJSON *metadata);

#endif
