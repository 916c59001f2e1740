#include "tui/frame.h"

#include <stdlib.h>

void tui_frame_done(struct tui_frame *f)
{
    snapshot_free(f->snap);
    free(f->spark);
    notifications_free(f->notes, f->nnotes);
    for (size_t i = 0; f->schemas && i < f->nschemas; i++)
        strvec_done(&f->schemas[i]);
    free(f->schemas);
    *f = (struct tui_frame){0};
}
