/* xml: finding elements by name in the XML answers of storage APIs (S3, Azure Blob) and
 * decoding their text. Not a general XML parser: no namespaces, no CDATA. */
#ifndef STREAMTOP_XML_H
#define STREAMTOP_XML_H

#include <stddef.h>

#include "core/buf.h"

/* The text between <tag> (or <tag attr...>) and </tag> within [p, end), or NULL; *len is its
 * length. <tag/> gives an empty text. *next (when next is non-NULL) is set past the closing
 * tag. */
const char *xml_elem(const char *p, const char *end, const char *tag, size_t *len,
                     const char **next);
/* Decode the n bytes of s (character references and the five entities) into out (reset
 * first). */
void xml_text(const char *s, size_t n, struct buf *out);

#endif
