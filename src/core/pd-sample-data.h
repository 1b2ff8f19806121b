/* pd-sample-data.h: a realistic practice for first runs, demos and benchmarks. */
#pragma once

#include "pd-store.h"

G_BEGIN_DECLS

/* Fills an EMPTY database (no partners, no institutions; else PD_ERROR_NOT_EMPTY)
 * with 3 institutions, at least 40 partners of every kind and status with
 * believable details, and portal users, in one transaction. Deterministic.
 * Issue 4: 31 examinations (one archived) priced at 2–3 institutions, activations for
 * active partners, benefits for active employers, a rate history for every third active
 * partner, about 3,400 bookings over the last year (some cancelled; written in bulk:
 * ::collection-changed "booking" instead of ::record-changed each), and the setting
 * "practice_name". About 0.4 s. */
gboolean pd_sample_data_load      (PdStore  *store,
                                   GError  **error);
/* Adds N generated partners (unique names) in one transaction; for benchmarks. */
gboolean pd_sample_data_add_partners (PdStore  *store,
                                      guint     n,
                                      GError  **error);

/* Benchmark data for the traffic matrix and statistics, written with bulk SQL in one
 * transaction (NO change log or audit: bench only). Adds N_INSTITUTIONS institutions,
 * N_EXAMINATIONS examinations priced at every institution (a few not offered),
 * N_PARTNERS active partners allowed at all those institutions, activations for about
 * half of the cells (every tenth partner is only invited, some may not book at the first
 * institution, a few examinations are archived: insensitive cells), and N_BOOKINGS
 * bookings (10 % price, 5 % cancelled) spread over the last 365 days, about 11 % of them
 * for the FIRST partner created (the bench's "big" partner: its id goes to
 * *BIG_PARTNER_ID, and the first institution's id to *INSTITUTION_ID, both optional,
 * owned). Emits ::collection-changed for each collection afterwards. Needs a database
 * without such bench names. 500 × 200 × 3 and 1,000,000 bookings take about 15 s. */
gboolean pd_sample_data_make_bench_traffic (PdStore  *store,
                                            guint     n_examinations,
                                            guint     n_partners,
                                            guint     n_institutions,
                                            guint     n_bookings,
                                            char    **big_partner_id,
                                            char    **institution_id,
                                            GError  **error);

G_END_DECLS
