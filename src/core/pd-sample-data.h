/* pd-sample-data.h: a realistic practice for first runs, demos and benchmarks. */
#pragma once

#include "pd-store.h"

G_BEGIN_DECLS

/* Fills an EMPTY database (no partners, no institutions; else PD_ERROR_NOT_EMPTY)
 * with 3 institutions, at least 40 partners of every kind and status with
 * believable details, and portal users, in one transaction. Deterministic. */
gboolean pd_sample_data_load      (PdStore  *store,
                                   GError  **error);
/* Adds N generated partners (unique names) in one transaction; for benchmarks. */
gboolean pd_sample_data_add_partners (PdStore  *store,
                                      guint     n,
                                      GError  **error);

G_END_DECLS
