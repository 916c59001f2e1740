/* Shared by the libFuzzer harnesses: each defines LLVMFuzzerTestOneInput and calls only pure
 * parsers (no network; no files). */
#ifndef STREAMTOP_FUZZ_H
#define STREAMTOP_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input in a heap block of exactly size bytes, so ASan sees any read past its end (one
 * byte, never read, for an empty input: parsers get a valid pointer). */
static inline char *fuzz_exact(const uint8_t *data, size_t size)
{
    char *p = xmalloc(size ? size : 1);
    if (size)
        memcpy(p, data, size);
    return p;
}

/* The input as a NUL-terminated heap string (for parsers that take C strings). */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
    char *p = xmalloc(size + 1);
    if (size)
        memcpy(p, data, size);
    p[size] = '\0';
    return p;
}

#endif
