/* pd-traffic.c: activations (traffic channels) and the compact matrix of one institution. */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "pd-catalogue.h"
#include "pd-commerce-private.h"
#include "pd-error.h"
#include "pd-traffic.h"

char *
pd_cell_block_describe (PdCellBlock  block,
                        const char  *partner_name,
                        const char  *institution_name,
                        const char  *examination_name)
{
  switch (block)
    {
    case PD_CELL_PARTNER_NOT_ACTIVE:
      if (partner_name)
        /* TRANSLATORS: %s is a partner's name */
        return g_strdup_printf (_("%s is not active: only partners who accepted their "
                                  "invitation can book"), partner_name);
      return g_strdup (_("The partner is not active: only partners who accepted their "
                         "invitation can book"));
    case PD_CELL_INSTITUTION_NOT_ALLOWED:
      if (partner_name && institution_name)
        /* TRANSLATORS: partner, institution */
        return g_strdup_printf (_("%s may not book at %s"), partner_name, institution_name);
      return g_strdup (_("The partner may not book at this institution"));
    case PD_CELL_ARCHIVED:
      if (examination_name)
        /* TRANSLATORS: %s is an examination */
        return g_strdup_printf (_("%s is archived"), examination_name);
      return g_strdup (_("The examination is archived"));
    case PD_CELL_NOT_OFFERED:
      if (examination_name && institution_name)
        /* TRANSLATORS: examination, institution */
        return g_strdup_printf (_("%s is not offered at %s"), examination_name,
                                institution_name);
      return g_strdup (_("The examination is not offered at this institution"));
    case PD_CELL_OK:
    default:
      return NULL;
    }
}

static gboolean
json_list_contains (const char *json,
                    const char *id)
{
  g_autofree char *quoted = NULL;

  if (json == NULL || id == NULL)
    return FALSE;
  quoted = g_strdup_printf ("\"%s\"", id);
  return strstr (json, quoted) != NULL;
}

static PdCellBlock
block_of (gboolean active,
          gboolean allowed,
          gboolean archived,
          gboolean offered)
{
  if (!active)
    return PD_CELL_PARTNER_NOT_ACTIVE;
  if (!allowed)
    return PD_CELL_INSTITUTION_NOT_ALLOWED;
  if (archived)
    return PD_CELL_ARCHIVED;
  if (!offered)
    return PD_CELL_NOT_OFFERED;
  return PD_CELL_OK;
}

int
_pd_traffic_block_of (PdStore     *store,
                      const char  *partner_id,
                      const char  *institution_id,
                      const char  *examination_id,
                      char       **message,
                      GError     **error)
{
  g_autoptr(PdRecord) partner = NULL;
  g_autoptr(PdRecord) exam = NULL;
  g_autoptr(PdRecord) inst = NULL;
  PdCellBlock block;
  gboolean offered;

  partner = pd_store_get (store, &pd_partner_type, partner_id, error);
  if (partner == NULL)
    return -1;
  inst = pd_store_get (store, &pd_institution_type, institution_id, error);
  if (inst == NULL)
    return -1;
  exam = pd_store_get (store, &pd_examination_type, examination_id, error);
  if (exam == NULL)
    return -1;
  offered = pd_catalogue_get_price (store, examination_id, institution_id, NULL);
  block = block_of (g_strcmp0 (pd_record_get_string (partner, "status"), "active") == 0,
                    g_strv_contains (pd_record_get_strv (partner, "institutions"),
                                     institution_id),
                    pd_record_get_bool (exam, "archived") || pd_record_get_deleted (exam),
                    offered);
  if (message)
    *message = pd_cell_block_describe (block, pd_record_get_title (partner),
                                       pd_record_get_title (inst), pd_record_get_title (exam));
  return block;
}

int
pd_traffic_check_cell (PdStore    *store,
                       const char *partner_id,
                       const char *institution_id,
                       const char *examination_id,
                       GError    **error)
{
  g_return_val_if_fail (PD_IS_STORE (store), -1);
  g_return_val_if_fail (partner_id && institution_id && examination_id, -1);

  return _pd_traffic_block_of (store, partner_id, institution_id, examination_id, NULL, error);
}

/* The live activation of the cell: its id (owned) and *ENABLED; NULL when none. */
static char *
find_activation (PdStore    *store,
                 const char *partner_id,
                 const char *institution_id,
                 const char *examination_id,
                 gboolean   *enabled)
{
  g_autoptr(PdStmt) stmt = NULL;

  stmt = _pd_store_prepare (store, "SELECT id, enabled FROM activations WHERE "
                            "institution_id = ?1 AND partner_id = ?2 AND examination_id = ?3 "
                            "AND deleted = 0", NULL);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, institution_id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, partner_id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, examination_id, -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return NULL;
  if (enabled)
    *enabled = sqlite3_column_int (stmt, 1) != 0;
  return g_strdup ((const char *) sqlite3_column_text (stmt, 0));
}

gboolean
pd_traffic_is_enabled (PdStore    *store,
                       const char *partner_id,
                       const char *institution_id,
                       const char *examination_id)
{
  g_autofree char *id = NULL;
  gboolean enabled = FALSE;

  g_return_val_if_fail (PD_IS_STORE (store), FALSE);
  g_return_val_if_fail (partner_id && institution_id && examination_id, FALSE);

  id = find_activation (store, partner_id, institution_id, examination_id, &enabled);
  return id != NULL && enabled;
}

/* pd_traffic_set_enabled that says whether anything changed. */
static gboolean
set_cell (PdStore     *store,
          const char  *partner_id,
          const char  *institution_id,
          const char  *examination_id,
          gboolean     enabled,
          gboolean    *changed,
          GError     **error)
{
  g_autofree char *id = NULL;
  g_autoptr(PdRecord) record = NULL;
  gboolean current = FALSE;

  *changed = FALSE;
  id = find_activation (store, partner_id, institution_id, examination_id, &current);
  if ((id != NULL && current == enabled) || (id == NULL && !enabled))
    return TRUE;
  if (enabled)
    {
      g_autofree char *message = NULL;
      int block = _pd_traffic_block_of (store, partner_id, institution_id, examination_id,
                                        &message, error);

      if (block < 0)
        return FALSE;
      if (block != PD_CELL_OK)
        {
          g_set_error_literal (error, PD_ERROR, PD_ERROR_INVALID, message);
          return FALSE;
        }
    }
  if (id)
    record = pd_store_get (store, &pd_activation_type, id, error);
  else
    {
      record = pd_record_new (&pd_activation_type);
      pd_record_set_string (record, "partner_id", partner_id);
      pd_record_set_string (record, "institution_id", institution_id);
      pd_record_set_string (record, "examination_id", examination_id);
    }
  if (record == NULL)
    return FALSE;
  pd_record_set_bool (record, "enabled", enabled);
  if (!pd_store_save (store, record, error))
    return FALSE;
  *changed = TRUE;
  return TRUE;
}

gboolean
pd_traffic_set_enabled (PdStore    *store,
                        const char *partner_id,
                        const char *institution_id,
                        const char *examination_id,
                        gboolean    enabled,
                        GError    **error)
{
  gboolean changed;

  g_return_val_if_fail (PD_IS_STORE (store), FALSE);
  g_return_val_if_fail (partner_id && institution_id && examination_id, FALSE);

  return set_cell (store, partner_id, institution_id, examination_id, enabled, &changed, error);
}

void
_pd_traffic_validate (PdStore    *store,
                      PdRecord   *record,
                      GHashTable *errors)
{
  const char *partner = pd_record_get_string (record, "partner_id");
  const char *inst = pd_record_get_string (record, "institution_id");
  const char *exam = pd_record_get_string (record, "examination_id");
  g_autofree char *other = NULL;
  g_autofree char *message = NULL;

  if (partner == NULL || inst == NULL || exam == NULL || pd_record_get_deleted (record)
      || g_hash_table_size (errors) > 0)
    return;
  other = find_activation (store, partner, inst, exam, NULL);
  if (other && strcmp (other, pd_record_get_id (record)) != 0)
    {
      g_hash_table_insert (errors, (gpointer) "examination_id",
                           g_strdup (_("This cell already has an activation")));
      return;
    }
  if (!pd_record_get_bool (record, "enabled"))
    return;
  if (_pd_traffic_block_of (store, partner, inst, exam, &message, NULL) > 0)
    g_hash_table_insert (errors, (gpointer) "enabled", g_steal_pointer (&message));
}

/* The matrix */

typedef struct {
  char    *id;
  char    *code;
  char    *name;
  char    *sort_key;
  gint64   price;
  gboolean offered;
  gboolean archived;
} Row;

typedef struct {
  char    *id;
  char    *name;
  char    *kind;
  char    *status;
  char    *sort_key;
  gboolean allowed;
  gboolean active;
} Column;

struct _PdTrafficMatrix {
  gatomicrefcount ref;
  char       *institution_id;
  char       *institution_name;
  GArray     *rows;
  GArray     *columns;
  guint8     *bits;       /* row * n_columns + column */
  GHashTable *row_index;  /* examination id -> row + 1 */
  GHashTable *col_index;  /* partner id -> column + 1 */
};

G_DEFINE_BOXED_TYPE (PdTrafficMatrix, pd_traffic_matrix,
                     pd_traffic_matrix_ref, pd_traffic_matrix_unref)

static void
row_clear (gpointer data)
{
  Row *row = data;

  g_free (row->id);
  g_free (row->code);
  g_free (row->name);
  g_free (row->sort_key);
}

static void
column_clear (gpointer data)
{
  Column *col = data;

  g_free (col->id);
  g_free (col->name);
  g_free (col->kind);
  g_free (col->status);
  g_free (col->sort_key);
}

PdTrafficMatrix *
pd_traffic_matrix_ref (PdTrafficMatrix *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_atomic_ref_count_inc (&self->ref);
  return self;
}

void
pd_traffic_matrix_unref (PdTrafficMatrix *self)
{
  g_return_if_fail (self != NULL);

  if (!g_atomic_ref_count_dec (&self->ref))
    return;
  g_free (self->institution_id);
  g_free (self->institution_name);
  g_array_unref (self->rows);
  g_array_unref (self->columns);
  g_free (self->bits);
  g_hash_table_unref (self->row_index);
  g_hash_table_unref (self->col_index);
  g_free (self);
}

static PdTrafficMatrix *
matrix_new (const char *institution_id)
{
  PdTrafficMatrix *self = g_new0 (PdTrafficMatrix, 1);

  g_atomic_ref_count_init (&self->ref);
  self->institution_id = g_strdup (institution_id);
  self->rows = g_array_new (FALSE, TRUE, sizeof (Row));
  g_array_set_clear_func (self->rows, row_clear);
  self->columns = g_array_new (FALSE, TRUE, sizeof (Column));
  g_array_set_clear_func (self->columns, column_clear);
  self->row_index = g_hash_table_new (g_str_hash, g_str_equal);
  self->col_index = g_hash_table_new (g_str_hash, g_str_equal);
  return self;
}

static const char *
col_text (sqlite3_stmt *stmt,
          int           col)
{
  return (const char *) sqlite3_column_text (stmt, col);
}

static gboolean
step_error (PdStore  *store,
            int       rc,
            GError  **error)
{
  if (rc == SQLITE_DONE)
    return TRUE;
  _pd_store_set_error (store, rc, error);
  return FALSE;
}

static gboolean
row_matches (const char *code,
             const char *name,
             const char *query)
{
  g_autofree char *fcode = NULL;
  g_autofree char *fname = NULL;

  if (query == NULL || *query == '\0')
    return TRUE;
  fcode = pd_text_fold (code ? code : "");
  fname = pd_text_fold (name ? name : "");
  return strstr (fcode, query) != NULL || strstr (fname, query) != NULL;
}

static int
compare_rows (gconstpointer a,
              gconstpointer b)
{
  const Row *ra = a;
  const Row *rb = b;
  int c = strcmp (ra->sort_key, rb->sort_key);

  return c != 0 ? c : strcmp (ra->id, rb->id);
}

static int
compare_columns (gconstpointer a,
                 gconstpointer b)
{
  const Column *ca = a;
  const Column *cb = b;
  int c = strcmp (ca->sort_key, cb->sort_key);

  return c != 0 ? c : strcmp (ca->id, cb->id);
}

static gboolean
load_rows (PdTrafficMatrix       *self,
           PdStore               *store,
           const PdTrafficFilter *filter,
           GError               **error)
{
  g_autoptr(PdStmt) stmt = NULL;
  g_autofree char *query = NULL;
  int rc;

  stmt = _pd_store_prepare (store, "SELECT e.id, e.code, e.name, e.archived, p.price, "
                            "p.id IS NOT NULL FROM examinations e LEFT JOIN examination_prices p "
                            "ON p.examination_id = e.id AND p.institution_id = ?1 "
                            "AND p.deleted = 0 WHERE e.deleted = 0", error);
  if (stmt == NULL)
    return FALSE;
  if (filter->search && *filter->search)
    {
      g_autofree char *stripped = g_strstrip (g_strdup (filter->search));

      query = pd_text_fold (stripped);
    }
  sqlite3_bind_text (stmt, 1, self->institution_id, -1, SQLITE_STATIC);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      Row row = { 0 };

      row.archived = sqlite3_column_int (stmt, 3) != 0;
      row.offered = sqlite3_column_int (stmt, 5) != 0;
      if ((row.archived && !filter->include_archived) || (!row.offered && filter->offered_only)
          || !row_matches (col_text (stmt, 1), col_text (stmt, 2), query))
        continue;
      row.id = g_strdup (col_text (stmt, 0));
      row.code = g_strdup (col_text (stmt, 1));
      row.name = g_strdup (col_text (stmt, 2));
      row.sort_key = g_utf8_collate_key (row.name ? row.name : "", -1);
      row.price = sqlite3_column_int64 (stmt, 4);
      g_array_append_val (self->rows, row);
    }
  if (!step_error (store, rc, error))
    return FALSE;
  g_array_sort (self->rows, compare_rows);
  for (guint i = 0; i < self->rows->len; i++)
    g_hash_table_insert (self->row_index, g_array_index (self->rows, Row, i).id,
                         GUINT_TO_POINTER (i + 1));
  return TRUE;
}

static gboolean
column_wanted (const PdTrafficFilter *filter,
               sqlite3_stmt          *stmt)
{
  return (filter->partner_id == NULL || g_strcmp0 (filter->partner_id, col_text (stmt, 0)) == 0)
         && (filter->partner_kind == NULL
             || g_strcmp0 (filter->partner_kind, col_text (stmt, 2)) == 0)
         && (filter->partner_status == NULL
             || g_strcmp0 (filter->partner_status, col_text (stmt, 3)) == 0);
}

static gboolean
load_columns (PdTrafficMatrix       *self,
              PdStore               *store,
              const PdTrafficFilter *filter,
              GError               **error)
{
  g_autoptr(PdStmt) stmt = NULL;
  int rc;

  stmt = _pd_store_prepare (store, "SELECT id, name, kind, status, institutions "
                            "FROM partners WHERE deleted = 0", error);
  if (stmt == NULL)
    return FALSE;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      Column col = { 0 };

      if (!column_wanted (filter, stmt))
        continue;
      col.id = g_strdup (col_text (stmt, 0));
      col.name = g_strdup (col_text (stmt, 1));
      col.kind = g_strdup (col_text (stmt, 2));
      col.status = g_strdup (col_text (stmt, 3));
      col.sort_key = g_utf8_collate_key (col.name ? col.name : "", -1);
      col.active = g_strcmp0 (col.status, "active") == 0;
      col.allowed = json_list_contains (col_text (stmt, 4), self->institution_id);
      g_array_append_val (self->columns, col);
    }
  if (!step_error (store, rc, error))
    return FALSE;
  g_array_sort (self->columns, compare_columns);
  for (guint i = 0; i < self->columns->len; i++)
    g_hash_table_insert (self->col_index, g_array_index (self->columns, Column, i).id,
                         GUINT_TO_POINTER (i + 1));
  return TRUE;
}

static void
set_bit (PdTrafficMatrix *self,
         guint            row,
         guint            column,
         gboolean         value)
{
  gsize bit = (gsize) row * self->columns->len + column;

  if (value)
    self->bits[bit / 8] |= (guint8) (1u << (bit % 8));
  else
    self->bits[bit / 8] &= (guint8) ~(1u << (bit % 8));
}

static gboolean
load_bits (PdTrafficMatrix       *self,
           PdStore               *store,
           const PdTrafficFilter *filter,
           GError               **error)
{
  g_autoptr(PdStmt) stmt = NULL;
  gsize n = (gsize) self->rows->len * self->columns->len;
  int rc;

  self->bits = g_malloc0 (n / 8 + 1);
  stmt = _pd_store_prepare (store, filter->partner_id
                            ? "SELECT partner_id, examination_id FROM activations "
                              "WHERE institution_id = ?1 AND partner_id = ?2 AND deleted = 0 "
                              "AND enabled = 1"
                            : "SELECT partner_id, examination_id FROM activations "
                              "WHERE institution_id = ?1 AND deleted = 0 AND enabled = 1",
                            error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, self->institution_id, -1, SQLITE_STATIC);
  if (filter->partner_id)
    sqlite3_bind_text (stmt, 2, filter->partner_id, -1, SQLITE_STATIC);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      guint col = GPOINTER_TO_UINT (g_hash_table_lookup (self->col_index, col_text (stmt, 0)));
      guint row = GPOINTER_TO_UINT (g_hash_table_lookup (self->row_index, col_text (stmt, 1)));

      if (row && col)
        set_bit (self, row - 1, col - 1, TRUE);
    }
  return step_error (store, rc, error);
}

PdTrafficMatrix *
pd_traffic_matrix_load (PdStore               *store,
                        const char            *institution_id,
                        const PdTrafficFilter *filter,
                        GError               **error)
{
  g_autoptr(PdTrafficMatrix) self = NULL;
  g_autoptr(PdRecord) inst = NULL;
  PdTrafficFilter none = { 0 };

  g_return_val_if_fail (PD_IS_STORE (store), NULL);
  g_return_val_if_fail (institution_id != NULL, NULL);

  inst = pd_store_get (store, &pd_institution_type, institution_id, error);
  if (inst == NULL)
    return NULL;
  self = matrix_new (institution_id);
  self->institution_name = g_strdup (pd_record_get_title (inst));
  if (filter == NULL)
    filter = &none;
  if (!load_rows (self, store, filter, error) || !load_columns (self, store, filter, error)
      || !load_bits (self, store, filter, error))
    return NULL;
  return g_steal_pointer (&self);
}

const char *
pd_traffic_matrix_get_institution_id (PdTrafficMatrix *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->institution_id;
}

const char *
pd_traffic_matrix_get_institution_name (PdTrafficMatrix *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->institution_name;
}

guint
pd_traffic_matrix_get_n_rows (PdTrafficMatrix *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->rows->len;
}

guint
pd_traffic_matrix_get_n_columns (PdTrafficMatrix *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->columns->len;
}

static Row *
get_row (PdTrafficMatrix *self,
         guint            row)
{
  g_return_val_if_fail (self != NULL && row < self->rows->len, NULL);
  return &g_array_index (self->rows, Row, row);
}

static Column *
get_column (PdTrafficMatrix *self,
            guint            column)
{
  g_return_val_if_fail (self != NULL && column < self->columns->len, NULL);
  return &g_array_index (self->columns, Column, column);
}

#define ROW_FIELD(row, field, fallback) \
  G_STMT_START { Row *r_ = get_row (self, row); return r_ ? r_->field : fallback; } G_STMT_END
#define COL_FIELD(col, field, fallback) \
  G_STMT_START { Column *c_ = get_column (self, col); return c_ ? c_->field : fallback; } G_STMT_END

const char *
pd_traffic_matrix_get_examination_id (PdTrafficMatrix *self, guint row)
{
  ROW_FIELD (row, id, NULL);
}

const char *
pd_traffic_matrix_get_examination_code (PdTrafficMatrix *self, guint row)
{
  ROW_FIELD (row, code, NULL);
}

const char *
pd_traffic_matrix_get_examination_name (PdTrafficMatrix *self, guint row)
{
  ROW_FIELD (row, name, NULL);
}

gboolean
pd_traffic_matrix_get_archived (PdTrafficMatrix *self, guint row)
{
  ROW_FIELD (row, archived, FALSE);
}

gboolean
pd_traffic_matrix_get_price (PdTrafficMatrix *self,
                             guint            row,
                             gint64          *price)
{
  Row *r = get_row (self, row);

  if (r == NULL || !r->offered)
    return FALSE;
  if (price)
    *price = r->price;
  return TRUE;
}

const char *
pd_traffic_matrix_get_partner_id (PdTrafficMatrix *self, guint column)
{
  COL_FIELD (column, id, NULL);
}

const char *
pd_traffic_matrix_get_partner_name (PdTrafficMatrix *self, guint column)
{
  COL_FIELD (column, name, NULL);
}

const char *
pd_traffic_matrix_get_partner_kind (PdTrafficMatrix *self, guint column)
{
  COL_FIELD (column, kind, NULL);
}

const char *
pd_traffic_matrix_get_partner_status (PdTrafficMatrix *self, guint column)
{
  COL_FIELD (column, status, NULL);
}

int
pd_traffic_matrix_find_row (PdTrafficMatrix *self,
                            const char      *examination_id)
{
  g_return_val_if_fail (self != NULL && examination_id != NULL, -1);
  return (int) GPOINTER_TO_UINT (g_hash_table_lookup (self->row_index, examination_id)) - 1;
}

int
pd_traffic_matrix_find_column (PdTrafficMatrix *self,
                               const char      *partner_id)
{
  g_return_val_if_fail (self != NULL && partner_id != NULL, -1);
  return (int) GPOINTER_TO_UINT (g_hash_table_lookup (self->col_index, partner_id)) - 1;
}

gboolean
pd_traffic_matrix_get_enabled (PdTrafficMatrix *self,
                               guint            row,
                               guint            column)
{
  gsize bit;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (row < self->rows->len && column < self->columns->len, FALSE);

  bit = (gsize) row * self->columns->len + column;
  return (self->bits[bit / 8] >> (bit % 8)) & 1;
}

PdCellBlock
pd_traffic_matrix_get_block (PdTrafficMatrix *self,
                             guint            row,
                             guint            column)
{
  Row *r = get_row (self, row);
  Column *c = get_column (self, column);

  if (r == NULL || c == NULL)
    return PD_CELL_OK;
  return block_of (c->active, c->allowed, r->archived, r->offered);
}

char *
pd_traffic_matrix_describe_block (PdTrafficMatrix *self,
                                  guint            row,
                                  guint            column)
{
  PdCellBlock block = pd_traffic_matrix_get_block (self, row, column);

  if (block == PD_CELL_OK)
    return NULL;
  return pd_cell_block_describe (block, get_column (self, column)->name,
                                 self->institution_name, get_row (self, row)->name);
}

char *
pd_traffic_matrix_dup_cell_label (PdTrafficMatrix *self,
                                  guint            row,
                                  guint            column)
{
  Row *r = get_row (self, row);
  Column *c = get_column (self, column);

  if (r == NULL || c == NULL)
    return NULL;
  /* TRANSLATORS: a checkbox: "Resting ECG for Acme Logistics GmbH at Riverside Medical Centre" */
  return g_strdup_printf (_("%s for %s at %s"), r->name, c->name, self->institution_name);
}

guint
pd_traffic_matrix_count_row (PdTrafficMatrix *self,
                             guint            row)
{
  guint n = 0;

  g_return_val_if_fail (self != NULL && row < self->rows->len, 0);
  for (guint c = 0; c < self->columns->len; c++)
    n += pd_traffic_matrix_get_enabled (self, row, c);
  return n;
}

guint
pd_traffic_matrix_count_column (PdTrafficMatrix *self,
                                guint            column)
{
  guint n = 0;

  g_return_val_if_fail (self != NULL && column < self->columns->len, 0);
  for (guint r = 0; r < self->rows->len; r++)
    n += pd_traffic_matrix_get_enabled (self, r, column);
  return n;
}

/* Writing through the matrix */

typedef struct {
  PdTrafficMatrix *self;
  GArray          *cells;    /* PdCell to set */
  gboolean         enabled;
  GArray          *changed;  /* PdCell that changed */
} SetCells;

static gboolean
set_cells_cb (PdStore   *store,
              gpointer   user_data,
              GError   **error)
{
  SetCells *job = user_data;

  for (guint i = 0; i < job->cells->len; i++)
    {
      PdCell *cell = &g_array_index (job->cells, PdCell, i);
      gboolean changed = FALSE;

      if (!set_cell (store, get_column (job->self, cell->column)->id, job->self->institution_id,
                     get_row (job->self, cell->row)->id, job->enabled, &changed, error))
        return FALSE;
      if (changed)
        g_array_append_val (job->changed, *cell);
    }
  return TRUE;
}

/* Sets CELLS in one transaction; on success updates the bits and reports the changes. */
static gboolean
run_set_cells (PdTrafficMatrix  *self,
               PdStore          *store,
               GArray           *cells,
               gboolean          enabled,
               GArray          **changed,
               guint            *n_changed,
               GError          **error)
{
  g_autoptr(GArray) done = g_array_new (FALSE, FALSE, sizeof (PdCell));
  SetCells job = { self, cells, enabled, done };

  for (guint i = 0; i < cells->len; i++)
    {
      PdCell *cell = &g_array_index (cells, PdCell, i);

      g_return_val_if_fail (cell->row < self->rows->len
                            && cell->column < self->columns->len, FALSE);
    }
  if (!pd_store_transaction (store, set_cells_cb, &job, error))
    return FALSE;
  for (guint i = 0; i < done->len; i++)
    {
      PdCell *cell = &g_array_index (done, PdCell, i);

      set_bit (self, cell->row, cell->column, enabled);
    }
  if (n_changed)
    *n_changed = done->len;
  if (changed)
    *changed = g_steal_pointer (&done);
  return TRUE;
}

gboolean
pd_traffic_matrix_set_enabled (PdTrafficMatrix *self,
                               PdStore         *store,
                               guint            row,
                               guint            column,
                               gboolean         enabled,
                               GError         **error)
{
  gboolean changed = FALSE;

  g_return_val_if_fail (self != NULL && PD_IS_STORE (store), FALSE);
  g_return_val_if_fail (row < self->rows->len && column < self->columns->len, FALSE);

  if (!set_cell (store, get_column (self, column)->id, self->institution_id,
                 get_row (self, row)->id, enabled, &changed, error))
    return FALSE;
  set_bit (self, row, column, enabled);
  return TRUE;
}

/* The cells of a row or column that setting it to ENABLED would touch. */
static GArray *
line_cells (PdTrafficMatrix *self,
            int              row,
            int              column,
            gboolean         enabled)
{
  GArray *cells = g_array_new (FALSE, FALSE, sizeof (PdCell));
  guint n = row >= 0 ? self->columns->len : self->rows->len;

  for (guint i = 0; i < n; i++)
    {
      PdCell cell = { row >= 0 ? (guint) row : i, column >= 0 ? (guint) column : i };

      if (pd_traffic_matrix_get_enabled (self, cell.row, cell.column) == enabled)
        continue;
      if (enabled && pd_traffic_matrix_get_block (self, cell.row, cell.column) != PD_CELL_OK)
        continue;
      g_array_append_val (cells, cell);
    }
  return cells;
}

gboolean
pd_traffic_matrix_set_row (PdTrafficMatrix *self,
                           PdStore         *store,
                           guint            row,
                           gboolean         enabled,
                           GArray         **changed,
                           guint           *n_changed,
                           GError         **error)
{
  g_autoptr(GArray) cells = NULL;

  g_return_val_if_fail (self != NULL && PD_IS_STORE (store), FALSE);
  g_return_val_if_fail (row < self->rows->len, FALSE);

  cells = line_cells (self, (int) row, -1, enabled);
  return run_set_cells (self, store, cells, enabled, changed, n_changed, error);
}

gboolean
pd_traffic_matrix_set_column (PdTrafficMatrix *self,
                              PdStore         *store,
                              guint            column,
                              gboolean         enabled,
                              GArray         **changed,
                              guint           *n_changed,
                              GError         **error)
{
  g_autoptr(GArray) cells = NULL;

  g_return_val_if_fail (self != NULL && PD_IS_STORE (store), FALSE);
  g_return_val_if_fail (column < self->columns->len, FALSE);

  cells = line_cells (self, -1, (int) column, enabled);
  return run_set_cells (self, store, cells, enabled, changed, n_changed, error);
}

gboolean
pd_traffic_matrix_set_cells (PdTrafficMatrix *self,
                             PdStore         *store,
                             GArray          *cells,
                             gboolean         enabled,
                             guint           *n_changed,
                             GError         **error)
{
  g_return_val_if_fail (self != NULL && PD_IS_STORE (store), FALSE);
  g_return_val_if_fail (cells != NULL, FALSE);

  return run_set_cells (self, store, cells, enabled, NULL, n_changed, error);
}
