/* parse: strict parsers for untrusted text (numbers, durations, sizes, batch file names) and the
 * humanised formatting used by text outputs. None of them allocate unless stated. */
#ifndef STREAMTOP_PARSE_H
#define STREAMTOP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Parse a whole string as a decimal int64 (optional sign, no spaces). 0 ok, -1 otherwise. */
int parse_int64(const char *s, int64_t *out);
/* Parse a Spark batch file name: digits only, no sign, fits in int64 ("135" yes; ".135.crc",
 * "135.compact", "00x" no). Returns true and sets *id when it is one. */
bool parse_batch_name(const char *name, int64_t *id);
/* The same for the n bytes at s (a part of a longer name). */
bool parse_digits(const char *s, size_t n, int64_t *out);
/* Parse a duration: "500ms", "90s", "5m", "2h", "14d", "1w", compounds "1h30m", or a bare number
 * of seconds ("2.5"). Result in milliseconds. 0 ok, -1 otherwise. */
int parse_duration_ms(const char *s, int64_t *out_ms);
/* Parse a floating number (ints, decimals, exponents); rejects NaN/inf text and trailing junk. */
int parse_double(const char *s, double *out);
/* The one checked conversion of a double (a JSON number, a computed limit) to int64: truncates
 * toward zero like a cast. Returns false, leaving *out alone, for NaN, infinities and values
 * outside int64 (1e300, -1e400), which a plain cast would make undefined behaviour. */
bool parse_double_to_i64(double d, int64_t *out);

/* Humanise for narrow columns; NaN prints as "-". Each writes into out (outlen >= 16). */
char *fmt_duration(double seconds, char *out, size_t outlen); /* 12m30s, 3h05m, 2d04h, 850ms */
char *fmt_bytes(double bytes, char *out, size_t outlen);      /* 3.4 MB (decimal units)     */
char *fmt_count(double n, char *out, size_t outlen);          /* 1.2k, 3.4M, 12             */
/* A duration as people write it, zero parts left out: 850ms, 4.2s, 42s, 3m, 12m38s, 1h, 2h5m,
 * 3d4h ("inf" for +Inf). For messages, where it is read, not lined up. */
char *fmt_span(double seconds, char *out, size_t outlen);
/* Bytes in binary units: 512 B, 1.5 KiB, 12 MiB, 3.4 GiB. */
char *fmt_bytes_iec(double bytes, char *out, size_t outlen);
/* Shortest round-trip-ish text of a metric value for machine formats: integers without ".0",
 * others with up to 10 significant digits ("4.2", "0.001234"). */
char *fmt_number(double v, char *out, size_t outlen);

/* ISO-8601 UTC "2026-11-21T09:12:00.000Z" (fraction optional) to ms. 0 or -1. */
int parse_iso8601_ms(const char *s, int64_t *out);
/* Trim ASCII white space in place; returns s. */
char *str_trim(char *s);
/* True if s starts with prefix. */
bool str_prefix(const char *s, const char *prefix);
/* The value of a hex digit (0-9, a-f, A-F), or -1: for percent-decoding. */
int parse_hexdigit(char c);
/* Levenshtein distance, capped at 99 (for "did you mean"). */
int str_distance(const char *a, const char *b);

#endif
