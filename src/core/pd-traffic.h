/* pd-traffic.h: activations (traffic channels): which partner may book which examination where. */
#pragma once

#include "pd-store.h"

G_BEGIN_DECLS

/* An activation record (partner_id, institution_id, examination_id, enabled) exists for a
 * cell once it has been enabled; disabling keeps the row with enabled = FALSE. At most one
 * live activation per (partner, institution, examination).
 *
 * A cell is BLOCKED (insensitive) when, checked in this order:
 *   PD_CELL_PARTNER_NOT_ACTIVE      the partner's status is not "active" (seed 001:
 *                                   active only after the invitation was accepted)
 *   PD_CELL_INSTITUTION_NOT_ALLOWED the institution is not in the partner's terms
 *   PD_CELL_ARCHIVED                the examination is archived
 *   PD_CELL_NOT_OFFERED             the examination has no price at the institution
 * Enabling a blocked cell is refused by the store (PD_ERROR_INVALID with the reason);
 * disabling is always allowed. A blocked cell that is still enabled in the database
 * (the partner was terminated later) cannot be booked: bookable = enabled && !blocked. */
typedef enum {
  PD_CELL_OK = 0,
  PD_CELL_PARTNER_NOT_ACTIVE,
  PD_CELL_INSTITUTION_NOT_ALLOWED,
  PD_CELL_ARCHIVED,
  PD_CELL_NOT_OFFERED,
} PdCellBlock;

/* Translated reason for a tooltip, e.g. "Acme Logistics GmbH may not book at Northgate
 * Diagnostics"; NULL for PD_CELL_OK. Owned by the caller. Names may be NULL (then a
 * generic sentence: "The partner may not book at this institution"). */
char        *pd_cell_block_describe (PdCellBlock  block,
                                     const char  *partner_name,
                                     const char  *institution_name,
                                     const char  *examination_name);

/* Store level (by ids). */

/* Why the cell is blocked (PD_CELL_OK when it is not). On a database error or an
 * unknown id: PD_CELL_OK is never returned silently: returns -1 and sets ERROR. */
int          pd_traffic_check_cell  (PdStore    *store,
                                     const char *partner_id,
                                     const char *institution_id,
                                     const char *examination_id,
                                     GError    **error);
gboolean     pd_traffic_is_enabled  (PdStore    *store,
                                     const char *partner_id,
                                     const char *institution_id,
                                     const char *examination_id);
/* Enables or disables one cell: one pd_store_save of the activation (change log, audit,
 * ::record-changed "activation"). Enabling a blocked cell fails with the reason.
 * Setting a cell to the state it has is a successful no-op. */
gboolean     pd_traffic_set_enabled (PdStore    *store,
                                     const char *partner_id,
                                     const char *institution_id,
                                     const char *examination_id,
                                     gboolean    enabled,
                                     GError    **error);

/* The matrix for one institution (rows: examinations, columns: partners). */

typedef struct {
  const char *search;          /* rows whose code or name contains it (case-insensitive); NULL: all */
  const char *partner_kind;    /* "employer" | "clinic" | "intermediary"; NULL: all */
  const char *partner_status;  /* "draft" | "invited" | "active" | "terminated"; NULL: all */
  const char *partner_id;      /* one partner only (the partner's Examinations tab); NULL: all */
  gboolean    include_archived;/* archived examinations as (blocked) rows */
  gboolean    offered_only;    /* only examinations with a price at the institution */
} PdTrafficFilter;

typedef struct {
  guint row;
  guint column;
} PdCell;

typedef struct _PdTrafficMatrix PdTrafficMatrix;

#define PD_TYPE_TRAFFIC_MATRIX (pd_traffic_matrix_get_type ())
GType            pd_traffic_matrix_get_type (void) G_GNUC_CONST;
PdTrafficMatrix *pd_traffic_matrix_ref      (PdTrafficMatrix *self);
void             pd_traffic_matrix_unref    (PdTrafficMatrix *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PdTrafficMatrix, pd_traffic_matrix_unref)

/* Loads the matrix of INSTITUTION_ID with FILTER (NULL: everything) in a few queries:
 * rows sorted by examination name, columns by partner name; the enabled set is a bitset.
 * Meant to be called on the main thread (< 100 ms for 500 × 200); the matrix is a
 * snapshot: reload on ::record-changed / ::collection-changed of "activation",
 * "examination", "examination_price", "partner", "institution" that you did not cause. */
PdTrafficMatrix *pd_traffic_matrix_load     (PdStore               *store,
                                             const char            *institution_id,
                                             const PdTrafficFilter *filter,
                                             GError               **error);

const char *pd_traffic_matrix_get_institution_id   (PdTrafficMatrix *self);
const char *pd_traffic_matrix_get_institution_name (PdTrafficMatrix *self);
guint       pd_traffic_matrix_get_n_rows    (PdTrafficMatrix *self);
guint       pd_traffic_matrix_get_n_columns (PdTrafficMatrix *self);

/* Rows */
const char *pd_traffic_matrix_get_examination_id   (PdTrafficMatrix *self, guint row);
const char *pd_traffic_matrix_get_examination_code (PdTrafficMatrix *self, guint row);
const char *pd_traffic_matrix_get_examination_name (PdTrafficMatrix *self, guint row);
gboolean    pd_traffic_matrix_get_archived         (PdTrafficMatrix *self, guint row);
/* TRUE and *PRICE when offered at the institution. */
gboolean    pd_traffic_matrix_get_price            (PdTrafficMatrix *self, guint row,
                                                    gint64 *price);
/* Columns */
const char *pd_traffic_matrix_get_partner_id     (PdTrafficMatrix *self, guint column);
const char *pd_traffic_matrix_get_partner_name   (PdTrafficMatrix *self, guint column);
const char *pd_traffic_matrix_get_partner_kind   (PdTrafficMatrix *self, guint column);
const char *pd_traffic_matrix_get_partner_status (PdTrafficMatrix *self, guint column);
/* -1 when not shown */
int         pd_traffic_matrix_find_row    (PdTrafficMatrix *self, const char *examination_id);
int         pd_traffic_matrix_find_column (PdTrafficMatrix *self, const char *partner_id);

/* Cells: O(1), no SQL. */
gboolean    pd_traffic_matrix_get_enabled (PdTrafficMatrix *self, guint row, guint column);
PdCellBlock pd_traffic_matrix_get_block   (PdTrafficMatrix *self, guint row, guint column);
/* pd_cell_block_describe with the names filled in; NULL when not blocked. Owned. */
char       *pd_traffic_matrix_describe_block (PdTrafficMatrix *self, guint row, guint column);
/* "EXAMINATION for PARTNER at INSTITUTION": the checkbox's accessible name. Owned. */
char       *pd_traffic_matrix_dup_cell_label (PdTrafficMatrix *self, guint row, guint column);
/* Number of enabled cells in a row / a column (for the header counts). */
guint       pd_traffic_matrix_count_row    (PdTrafficMatrix *self, guint row);
guint       pd_traffic_matrix_count_column (PdTrafficMatrix *self, guint column);

/* Writes through the store AND updates the matrix, so the caller need not reload.
 * The store still emits ::record-changed "activation" per changed cell after the commit:
 * a view can ignore those while its own call runs. */
gboolean    pd_traffic_matrix_set_enabled (PdTrafficMatrix *self,
                                           PdStore         *store,
                                           guint            row,
                                           guint            column,
                                           gboolean         enabled,
                                           GError         **error);
/* Sets every non-blocked cell of ROW (all columns of the matrix) to ENABLED in one
 * transaction. Blocked cells are skipped (disabling also clears blocked ones).
 * *CHANGED (optional) gets the PdCell of each cell that changed: pass it to
 * pd_traffic_matrix_set_cells with !ENABLED to undo. Returns FALSE (nothing changed)
 * on error; *N_CHANGED (optional) the number changed. */
gboolean    pd_traffic_matrix_set_row     (PdTrafficMatrix *self,
                                           PdStore         *store,
                                           guint            row,
                                           gboolean         enabled,
                                           GArray         **changed,
                                           guint           *n_changed,
                                           GError         **error);
gboolean    pd_traffic_matrix_set_column  (PdTrafficMatrix *self,
                                           PdStore         *store,
                                           guint            column,
                                           gboolean         enabled,
                                           GArray         **changed,
                                           guint           *n_changed,
                                           GError         **error);
/* Sets the given cells (GArray of PdCell) to ENABLED in one transaction: Undo. */
gboolean    pd_traffic_matrix_set_cells   (PdTrafficMatrix *self,
                                           PdStore         *store,
                                           GArray          *cells,
                                           gboolean         enabled,
                                           guint           *n_changed,
                                           GError         **error);

G_END_DECLS
