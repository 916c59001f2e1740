/* version: streamtop's version, printed by --version and written into every JSON document. */
#ifndef STREAMTOP_VERSION_H
#define STREAMTOP_VERSION_H

#define STREAMTOP_VERSION "0.1.0"

#endif
