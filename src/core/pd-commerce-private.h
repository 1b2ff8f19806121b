/* pd-commerce-private.h: store hooks of the catalogue, traffic, bookings, commission and benefits. */
#pragma once

#include "pd-store-private.h"

G_BEGIN_DECLS

/* Rules of the issue-4 records beyond their fields (pd_store_validate): bounds, one live
 * row per cell, bookable cells, benefit owners. Adds field -> message to ERRORS. */
void     _pd_commerce_validate (PdStore    *store,
                                PdRecord   *record,
                                GHashTable *errors);
/* Fills derived fields before validation (the hidden "title" of prices, activations and
 * benefits). */
void     _pd_commerce_normalize (PdStore  *store,
                                 PdRecord *record);
/* Inside the transaction of a partner's save (OLD NULL: created): records its commission
 * terms as the rate effective today when they are new or changed. */
gboolean _pd_commission_record_terms (PdStore   *store,
                                      PdRecord  *partner,
                                      PdRecord  *old,
                                      GError   **error);

/* Per-file parts of _pd_commerce_validate. */
void     _pd_traffic_validate    (PdStore *store, PdRecord *record, GHashTable *errors);
void     _pd_booking_validate    (PdStore *store, PdRecord *record, GHashTable *errors);
void     _pd_benefit_validate    (PdStore *store, PdRecord *record, GHashTable *errors);
void     _pd_commission_validate (PdStore *store, PdRecord *record, GHashTable *errors);

/* pd-traffic.c */
int      _pd_traffic_block_of (PdStore     *store,
                               const char  *partner_id,
                               const char  *institution_id,
                               const char  *examination_id,
                               char       **message,
                               GError     **error);
/* The local date (YYYY-MM-DD) of a UTC timestamp, or NULL. */
char    *_pd_local_date_of_timestamp (const char *timestamp);
/* pd-statistics.c: "2026-02-28T23:00:00Z" for local midnight at the start of DATE. */
char    *_pd_utc_text_of_local_date (const GDate *date);
/* "2026-03-01T09:30:00Z" for any GDateTime. */
char    *_pd_utc_text_of_date_time  (GDateTime   *date_time);

/* The title of the live or tombstoned record ID of TYPE, or NULL. */
char    *_pd_store_dup_title (PdStore            *store,
                              const PdRecordType *type,
                              const char         *id);

/* pd-sample-commerce.c: the issue-4 part of pd_sample_data_load, inside its transaction. */
gboolean _pd_sample_commerce_load (PdStore            *store,
                                   const char * const *institution_ids,
                                   GError            **error);

G_END_DECLS
