/* pd-import-private.h: what the import files share: value normalisation, targets, the engine on a store. */
#pragma once

#include "pd-import.h"
#include "pd-record.h"

G_BEGIN_DECLS

/* The mapping targets, in this order (the engine indexes rows by them). */
typedef enum {
  T_MAINT,
  T_MEMBER,
  T_GROUP,
  T_FIRST,
  T_LAST,
  T_DOB,
  T_REL,
  T_EMP,
  T_CSTART,
  T_CEND,
  T_ELIG,
  T_ENROLL,
  T_EMAIL,
  T_PHONE,
  T_STREET,
  T_CITY,
  T_STATE,
  T_POSTAL,
  N_TARGETS
} PdTarget;

extern const char *const _pd_import_targets[N_TARGETS + 1];

struct _PdImportMapping {
  char **header;
  guint  n_columns;
  int   *target;  /* per column: PdTarget or -1 */
};

int       _pd_import_target_from_name (const char *name);
/* Lower-case letters and digits of TEXT only ("Date of Birth" -> "dateofbirth"). */
char     *_pd_import_header_key       (const char *text);
char     *_pd_import_mapping_to_json  (const PdImportMapping *mapping, char **header_json);
PdImportMapping *_pd_import_mapping_from_json (const char *headers_json,
                                               const char *mapping_json);
gboolean  _pd_import_mapping_same_header (const PdImportMapping *mapping,
                                          const char * const    *header);
/* Columns of B's header not in A's, and A's not in B's. */
void      _pd_import_header_diff      (const char * const *old_header,
                                       const char * const *new_header,
                                       char             ***added,
                                       char             ***removed);
const char *_pd_date_order_to_string  (PdDateOrder order);
PdDateOrder _pd_date_order_from_string (const char *text);

/* Dates */
typedef enum {
  PD_DATE_OK,
  PD_DATE_UNPARSEABLE,
  PD_DATE_IMPOSSIBLE,  /* the shape of a date, but no such day (2023-02-30) */
} PdDateStatus;

/* Bits (1 << PD_DATE_ORDER_*) of the orders under which TEXT is an existing date;
 * *SHAPED tells whether it looks like a date at all. */
guint        _pd_date_fitting_orders (const char *text,
                                      gsize       len,
                                      gboolean   *shaped);
/* TEXT in ORDER (ISO and DD.MM.YYYY are recognised whatever ORDER) to OUT "YYYY-MM-DD". */
PdDateStatus _pd_date_parse          (const char  *text,
                                      gsize        len,
                                      PdDateOrder  order,
                                      char         out[11]);
gboolean     _pd_date_is_iso         (const char *text);
/* Today, local, "YYYY-MM-DD" into OUT. */
void         _pd_date_today          (char out[11]);

/* Nicks, or NULL for a word that means nothing known. */
const char *_pd_normalize_relationship (const char *text, gsize len);
const char *_pd_normalize_eligibility  (const char *text, gsize len);
const char *_pd_normalize_enrollment   (const char *text, gsize len);
/* "add", "change", "terminate", "reinstate", "audit" */
const char *_pd_normalize_maintenance  (const char *text, gsize len);

/* The record rules of a person beyond pd_record_validate (dates, coverage order,
 * birth date not in the future, a dependent's employee): used by pd_store_validate. */
void        _pd_person_check_rules     (PdRecord   *person,
                                        GHashTable *errors);
/* The ISO date rule of PD_FIELD_FLAG_DATE fields of any record. */
void        _pd_record_check_dates     (PdRecord   *record,
                                        GHashTable *errors);

/* The engine, on an open store (inside or outside a transaction of the caller: it nests).
 * Reads from PATH, or from BYTES when PATH is NULL. */
PdImportResult *_pd_import_run_on_store (PdStore                *store,
                                         const char             *partner_id,
                                         const char             *path,
                                         GBytes                 *bytes,
                                         const PdImportOptions  *options,
                                         GCancellable           *cancellable,
                                         PdImportProgressFunc    progress,
                                         gpointer                progress_data,
                                         GError                **error);

G_END_DECLS

G_BEGIN_DECLS
/* The id of the latest live upload of PARTNER_ID with SHA256 (NULL if none) and, in
 * *MESSAGE, a sentence naming its date and file name. */
char *_pd_import_find_duplicate (PdStore     *store,
                                 const char  *partner_id,
                                 const char  *sha256,
                                 char       **message);
G_END_DECLS
