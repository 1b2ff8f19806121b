/* pd-catalogue.h: the practice's examinations and their prices per institution. */
#pragma once

#include "pd-store.h"

G_BEGIN_DECLS

/* Records (pd-record.h):
 *   examination        code (required, unique ignoring case), name (required, searchable),
 *                      duration_minutes (required, > 0), archived (bool)
 *   examination_price  examination_id, institution_id, price (minor units, 0 ..
 *                      PD_CATALOGUE_MAX_PRICE). One live row per (examination,
 *                      institution); no live row = not offered at that institution.
 * pd_store_save enforces all of these with specific messages, e.g.
 * "Code: An examination with the code “ECG” already exists" or
 * "Price: A price can be at most 10,000,000.00".
 * An archived examination cannot be activated or booked; its prices, activations and
 * bookings are kept (archiving is reversible). */

/* 10,000,000.00 in minor units. */
#define PD_CATALOGUE_MAX_PRICE G_GINT64_CONSTANT (1000000000)

/* One examination of the catalogue with its prices. */
typedef struct {
  PdRecord   *examination;  /* owned */
  GHashTable *prices;       /* institution id (char*) -> price (gint64*, minor units);
                             * an institution missing here does not offer it */
} PdCatalogueEntry;

void pd_catalogue_entry_free (PdCatalogueEntry *entry);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PdCatalogueEntry, pd_catalogue_entry_free)

/* Examinations (PdCatalogueEntry*, owned) sorted by name; archived ones only when
 * INCLUDE_ARCHIVED. Two queries, whatever the size of the catalogue. */
GPtrArray *pd_catalogue_list          (PdStore   *store,
                                       gboolean   include_archived,
                                       GError   **error);

/* Creates (version 0) or edits an examination: pd_store_save with the catalogue rules. */
gboolean   pd_catalogue_save_examination (PdStore   *store,
                                          PdRecord  *examination,
                                          GError   **error);
/* Archives (ARCHIVED TRUE) or brings back an examination; change log + audit. */
gboolean   pd_catalogue_set_archived  (PdStore    *store,
                                       const char *examination_id,
                                       gboolean    archived,
                                       GError    **error);

/* TRUE and *PRICE when EXAMINATION_ID is offered at INSTITUTION_ID. */
gboolean   pd_catalogue_get_price     (PdStore    *store,
                                       const char *examination_id,
                                       const char *institution_id,
                                       gint64     *price);
/* Offers the examination at the institution for PRICE (creates or updates the
 * examination_price row). Out of bounds: PD_ERROR_INVALID, nothing changed. */
gboolean   pd_catalogue_set_price     (PdStore    *store,
                                       const char *examination_id,
                                       const char *institution_id,
                                       gint64      price,
                                       GError    **error);
/* No longer offered there: tombstones the price row (no-op when there is none).
 * Existing activations stay but their cells become insensitive. */
gboolean   pd_catalogue_clear_price   (PdStore    *store,
                                       const char *examination_id,
                                       const char *institution_id,
                                       GError    **error);

/* Parses user-typed PRICE text ("1,234.50" in the locale) with the catalogue bounds;
 * FALSE with a translated *MESSAGE when it is not a valid price. */
gboolean   pd_catalogue_parse_price   (const char  *text,
                                       gint64      *price,
                                       char       **message);

G_END_DECLS
