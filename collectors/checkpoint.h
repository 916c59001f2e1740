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

#endif
