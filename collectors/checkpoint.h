/* checkpoint: the Spark Structured Streaming checkpoint collector (metadata, offsets/, commits/,
 * sources/, state/). Its ops are checkpoint_collector in collector.h; this header exposes the
 * limits it works within. */
#ifndef STREAMTOP_CHECKPOINT_H
#define STREAMTOP_CHECKPOINT_H

/* Newest batches whose offsets are read (Spark retains ~100; the interval median and the
 * timeline need only the recent ones). */
#define CKPT_WINDOW 30
/* Byte caps per file kind. */
#define CKPT_OFFSETS_CAP  (4u * 1024 * 1024)
#define CKPT_METADATA_CAP (64u * 1024)
#define CKPT_SOURCE0_CAP  (1024u * 1024)
#define CKPT_COMMIT_CAP   (4u * 1024 * 1024) /* stateUniqueIds: ids per partition per operator */
#define CKPT_OPMETA_CAP   (1024u * 1024)
/* Stateful operators described (state/<op>/); more are summed in state_bytes only. */
#define CKPT_MAX_OPERATORS 64

struct buf;
struct snap_stream;

/* List state/ under the checkpoint ckpt once: state_bytes (every file but checksums, temp and
 * hidden files), and per operator its state files and newest version, its schema files and its
 * name from its metadata (read here: the newest _metadata/v2/<batch>, else _metadata/metadata).
 * Unreadable or unknown metadata gives a warning naming the file. */
void ckptstate_measure(const char *ckpt, struct snap_stream *out, struct buf *scratch);

#endif
