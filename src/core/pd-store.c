/* pd-store.c: the SQLite record store: open, generated SQL, validated writes with change log and audit. */
#include "config.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "pd-audit-entry-private.h"
#include "pd-commerce-private.h"
#include "pd-error.h"
#include "pd-import-private.h"
#include "pd-money.h"
#include "pd-people-query.h"
#include "pd-record-private.h"
#include "pd-store-private.h"

/* Number of meta columns before the fields: id, version, created_at, updated_at, updated_by, deleted. */
#define N_META 6

/* SQL generated once per record type from its description. */
typedef struct {
  char *columns;    /* "id, version, ..., <fields>" */
  char *select_id;  /* one row by id, tombstoned or not */
  char *select_live;
  char *upsert;     /* INSERT ... ON CONFLICT (id) DO UPDATE */
  guint n_fold;     /* UNIQUE_NOCASE fields, bound after the fields */
} TypeSql;

enum {
  RECORD_CHANGED,
  COLLECTION_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (PdStore, pd_store, G_TYPE_OBJECT)

static void
type_sql_free (gpointer data)
{
  TypeSql *sql = data;

  g_free (sql->columns);
  g_free (sql->select_id);
  g_free (sql->select_live);
  g_free (sql->upsert);
  g_free (sql);
}

static void
statement_free (gpointer stmt)
{
  sqlite3_finalize (stmt);
}

static void
pd_store_finalize (GObject *object)
{
  PdStore *self = PD_STORE (object);

  g_clear_pointer (&self->statements, g_hash_table_unref);
  g_clear_pointer (&self->type_sql, g_hash_table_unref);
  if (self->db)
    sqlite3_close_v2 (self->db);
  g_free (self->path);
  g_free (self->local_user_id);
  g_free (self->actor);
  g_free (self->actor_name);
  g_free (self->actor_address);
  g_ptr_array_unref (self->pending);
  g_array_unref (self->marks);
  G_OBJECT_CLASS (pd_store_parent_class)->finalize (object);
}

static void
pd_store_class_init (PdStoreClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = pd_store_finalize;

  signals[RECORD_CHANGED] =
    g_signal_new ("record-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
  signals[COLLECTION_CHANGED] =
    g_signal_new ("collection-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
}

void
pd_store_notify_collection_changed (PdStore    *self,
                                    const char *collection,
                                    const char *partner_id)
{
  g_return_if_fail (PD_IS_STORE (self));
  g_return_if_fail (collection != NULL);

  g_signal_emit (self, signals[COLLECTION_CHANGED], 0, collection, partner_id);
}

static void
pd_store_init (PdStore *self)
{
  self->statements = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                            statement_free);
  self->type_sql = g_hash_table_new_full (NULL, NULL, NULL, type_sql_free);
  self->pending = g_ptr_array_new_with_free_func (g_free);
  self->marks = g_array_new (FALSE, FALSE, sizeof (guint));
}

/* Errors */

void
_pd_store_set_error (PdStore  *self,
                     int       rc,
                     GError  **error)
{
  switch (rc & 0xff)
    {
    case SQLITE_FULL:
      g_set_error_literal (error, PD_ERROR, PD_ERROR_DISK_FULL,
                           _("The disk is full; nothing was saved."));
      break;
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
      g_set_error (error, PD_ERROR, PD_ERROR_READ_ONLY,
                   _("The database “%s” cannot be written to; nothing was saved. "
                     "Check that the file and its folder are writable."),
                   self->path);
      break;
    default:
      g_set_error (error, PD_ERROR, PD_ERROR_DATABASE, _("Database error: %s"),
                   self->db ? sqlite3_errmsg (self->db) : sqlite3_errstr (rc));
      break;
    }
}

PdStmt *
_pd_store_prepare (PdStore     *self,
                   const char  *sql,
                   GError     **error)
{
  sqlite3_stmt *stmt = g_hash_table_lookup (self->statements, sql);
  int rc;

  if (stmt)
    return stmt;
  rc = sqlite3_prepare_v3 (self->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL);
  if (rc != SQLITE_OK)
    {
      _pd_store_set_error (self, rc, error);
      return NULL;
    }
  g_hash_table_insert (self->statements, g_strdup (sql), stmt);
  return stmt;
}

gboolean
_pd_store_exec (PdStore     *self,
                const char  *sql,
                GError     **error)
{
  int rc = sqlite3_exec (self->db, sql, NULL, NULL, NULL);

  if (rc != SQLITE_OK)
    {
      _pd_store_set_error (self, rc, error);
      return FALSE;
    }
  return TRUE;
}

gboolean
_pd_store_step_done (PdStore  *self,
                     PdStmt   *stmt,
                     GError  **error)
{
  int rc = sqlite3_step (stmt);

  if (rc != SQLITE_DONE && rc != SQLITE_ROW)
    {
      _pd_store_set_error (self, rc, error);
      return FALSE;
    }
  return TRUE;
}

PdStmt *
_pd_store_prepare_bound (PdStore             *self,
                         const char          *sql,
                         const char * const  *params,
                         GError             **error)
{
  PdStmt *stmt = _pd_store_prepare (self, sql, error);

  if (stmt == NULL)
    return NULL;
  for (guint i = 0; params && params[i]; i++)
    sqlite3_bind_text (stmt, (int) i + 1, params[i], -1, SQLITE_TRANSIENT);
  return stmt;
}

gboolean
_pd_store_exec_bound (PdStore             *self,
                      const char          *sql,
                      const char * const  *params,
                      GError             **error)
{
  g_autoptr(PdStmt) stmt = _pd_store_prepare_bound (self, sql, params, error);

  return stmt != NULL && _pd_store_step_done (self, stmt, error);
}

gboolean
_pd_store_read_user_version (PdStore  *self,
                             int      *version,
                             GError  **error)
{
  sqlite3_stmt *stmt = NULL;
  int rc = sqlite3_prepare_v2 (self->db, "PRAGMA user_version", -1, &stmt, NULL);

  if (rc == SQLITE_OK)
    rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    *version = sqlite3_column_int (stmt, 0);
  sqlite3_finalize (stmt);
  if (rc != SQLITE_ROW)
    {
      g_set_error (error, PD_ERROR, PD_ERROR_DATABASE,
                   _("“%s” is not a Partner Desk database or is damaged: %s"),
                   self->path, sqlite3_errstr (rc));
      return FALSE;
    }
  return TRUE;
}

/* Transactions */

static void
emit_pending (PdStore *self)
{
  g_autoptr(GPtrArray) pending = self->pending;

  self->pending = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i + 1 < pending->len; i += 2)
    g_signal_emit (self, signals[RECORD_CHANGED], 0,
                   g_ptr_array_index (pending, i), g_ptr_array_index (pending, i + 1));
}

static void
queue_changed (PdStore    *self,
               const char *collection,
               const char *id)
{
  g_ptr_array_add (self->pending, g_strdup (collection));
  g_ptr_array_add (self->pending, g_strdup (id));
  if (self->depth == 0)
    emit_pending (self);
}

gboolean
_pd_store_begin (PdStore  *self,
                 GError  **error)
{
  g_autofree char *sql = NULL;
  guint mark = self->pending->len;

  if (self->read_only)
    {
      g_set_error (error, PD_ERROR, PD_ERROR_READ_ONLY,
                   _("The database “%s” is open read-only; nothing was saved."), self->path);
      return FALSE;
    }
  sql = self->depth == 0 ? g_strdup ("BEGIN IMMEDIATE")
                         : g_strdup_printf ("SAVEPOINT pd_%u", self->depth);
  if (!_pd_store_exec (self, sql, error))
    return FALSE;
  g_array_append_val (self->marks, mark);
  self->depth++;
  return TRUE;
}

static void
drop_pending_since_mark (PdStore *self)
{
  guint mark = g_array_index (self->marks, guint, self->marks->len - 1);

  g_ptr_array_set_size (self->pending, mark);
  g_array_set_size (self->marks, self->marks->len - 1);
}

void
_pd_store_rollback (PdStore *self)
{
  g_autofree char *sql = NULL;

  g_return_if_fail (self->depth > 0);

  self->depth--;
  sql = self->depth == 0 ? g_strdup ("ROLLBACK")
                         : g_strdup_printf ("ROLLBACK TO pd_%u; RELEASE pd_%u",
                                            self->depth, self->depth);
  sqlite3_exec (self->db, sql, NULL, NULL, NULL);
  drop_pending_since_mark (self);
}

gboolean
_pd_store_commit (PdStore  *self,
                  GError  **error)
{
  g_autofree char *sql = NULL;

  g_return_val_if_fail (self->depth > 0, FALSE);

  if (self->depth > 1)
    {
      sql = g_strdup_printf ("RELEASE pd_%u", self->depth - 1);
      if (!_pd_store_exec (self, sql, error))
        {
          _pd_store_rollback (self);
          return FALSE;
        }
      self->depth--;
      g_array_set_size (self->marks, self->marks->len - 1);
      return TRUE;
    }
  if (!_pd_store_exec (self, "COMMIT", error))
    {
      _pd_store_rollback (self);
      return FALSE;
    }
  self->depth--;
  g_array_set_size (self->marks, 0);
  emit_pending (self);
  return TRUE;
}

gboolean
_pd_store_finish (PdStore  *self,
                  gboolean  ok,
                  GError  **error)
{
  if (!ok)
    {
      _pd_store_rollback (self);
      return FALSE;
    }
  return _pd_store_commit (self, error);
}

gboolean
pd_store_transaction (PdStore                *self,
                      PdStoreTransactionFunc  func,
                      gpointer                user_data,
                      GError                **error)
{
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (PD_IS_STORE (self), FALSE);
  g_return_val_if_fail (func != NULL, FALSE);

  if (!_pd_store_begin (self, error))
    return FALSE;
  if (!func (self, user_data, &local_error))
    {
      _pd_store_rollback (self);
      /* Callers show error->message: never fail without one. */
      if (local_error == NULL)
        g_set_error_literal (&local_error, PD_ERROR, PD_ERROR_INVALID,
                             _("The change was cancelled; nothing was saved."));
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  return _pd_store_commit (self, error);
}

/* Generated SQL */

static TypeSql *
type_sql (PdStore            *self,
          const PdRecordType *type)
{
  TypeSql *sql = g_hash_table_lookup (self->type_sql, type);
  g_autoptr(GString) cols = NULL;
  g_autoptr(GString) params = NULL;
  g_autoptr(GString) updates = NULL;
  guint n = N_META;

  if (sql)
    return sql;
  sql = g_new0 (TypeSql, 1);
  cols = g_string_new ("id, version, created_at, updated_at, updated_by, deleted");
  params = g_string_new ("?1, ?2, ?3, ?4, ?5, ?6");
  updates = g_string_new ("version = excluded.version, created_at = excluded.created_at, "
                          "updated_at = excluded.updated_at, updated_by = excluded.updated_by, "
                          "deleted = excluded.deleted");
  for (guint i = 0; i < type->n_fields; i++)
    g_string_append_printf (cols, ", %s", type->fields[i].name);
  sql->columns = g_strdup (cols->str);
  for (guint i = 0; i < type->n_fields; i++)
    if (type->fields[i].flags & PD_FIELD_FLAG_UNIQUE_NOCASE)
      {
        g_string_append_printf (cols, ", %s_fold", type->fields[i].name);
        sql->n_fold++;
      }
  if (type == &pd_person_type)
    g_string_append (cols, ", first_name_fold, name_key");
  for (guint i = 0; i < type->n_fields; i++)
    {
      g_string_append_printf (params, ", ?%u", ++n);
      g_string_append_printf (updates, ", %s = excluded.%s",
                              type->fields[i].name, type->fields[i].name);
    }
  for (guint i = 0; i < type->n_fields; i++)
    if (type->fields[i].flags & PD_FIELD_FLAG_UNIQUE_NOCASE)
      {
        g_string_append_printf (params, ", ?%u", ++n);
        g_string_append_printf (updates, ", %s_fold = excluded.%s_fold",
                                type->fields[i].name, type->fields[i].name);
      }
  if (type == &pd_person_type)
    {
      g_string_append_printf (params, ", ?%u, ?%u", n + 1, n + 2);
      n += 2;
      g_string_append (updates, ", first_name_fold = excluded.first_name_fold"
                       ", name_key = excluded.name_key");
    }
  sql->select_id = g_strdup_printf ("SELECT %s FROM %s WHERE id = ?1",
                                    sql->columns, type->table);
  sql->select_live = g_strdup_printf ("SELECT %s FROM %s WHERE deleted = 0",
                                      sql->columns, type->table);
  sql->upsert = g_strdup_printf ("INSERT INTO %s (%s) VALUES (%s) "
                                 "ON CONFLICT (id) DO UPDATE SET %s",
                                 type->table, cols->str, params->str, updates->str);
  g_hash_table_insert (self->type_sql, (gpointer) type, sql);
  return sql;
}

PdStmt *
_pd_store_prepare_select_id (PdStore             *self,
                             const PdRecordType  *type,
                             GError             **error)
{
  return _pd_store_prepare (self, type_sql (self, type)->select_id, error);
}

PdStmt *
_pd_store_prepare_upsert (PdStore             *self,
                          const PdRecordType  *type,
                          GError             **error)
{
  return _pd_store_prepare (self, type_sql (self, type)->upsert, error);
}

static PdRecord *
record_from_row (const PdRecordType *type,
                 sqlite3_stmt       *stmt)
{
  PdRecord *record = _pd_record_new_empty (type);

  _pd_record_set_meta (record, _pd_stmt_text (stmt, 0), sqlite3_column_int64 (stmt, 1),
                       _pd_stmt_text (stmt, 2), _pd_stmt_text (stmt, 3), _pd_stmt_text (stmt, 4),
                       sqlite3_column_int (stmt, 5) != 0);
  for (guint i = 0; i < type->n_fields; i++)
    {
      int col = N_META + i;

      if (sqlite3_column_type (stmt, col) == SQLITE_NULL)
        continue;
      switch (type->fields[i].type)
        {
        case PD_FIELD_INT:
        case PD_FIELD_MONEY:
        case PD_FIELD_PERCENT:
        case PD_FIELD_BOOL:
          _pd_record_load_int (record, i, sqlite3_column_int64 (stmt, col));
          break;
        default:
          _pd_record_load_string (record, i, _pd_stmt_text (stmt, col));
          break;
        }
    }
  return record;
}

PdRecord *
_pd_store_load_record (PdStore             *self,
                       const PdRecordType  *type,
                       const char          *id,
                       GError             **error)
{
  g_autoptr(PdStmt) stmt = _pd_store_prepare_select_id (self, type, error);
  int rc;

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_TRANSIENT);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    return record_from_row (type, stmt);
  if (rc != SQLITE_DONE)
    _pd_store_set_error (self, rc, error);
  return NULL;
}

char *
_pd_store_fold_text (const char *value)
{
  g_autofree char *stripped = NULL;

  if (value == NULL)
    return NULL;
  stripped = g_strstrip (g_strdup (value));
  return *stripped ? pd_text_fold (stripped) : NULL;
}

static char *
fold_field (PdRecord   *record,
            guint       index)
{
  return _pd_store_fold_text (_pd_record_get_string_index (record, index));
}

static void
bind_fold (sqlite3_stmt *stmt,
           int           n,
           const char   *value)
{
  char *fold = _pd_store_fold_text (value);

  if (fold)
    sqlite3_bind_text (stmt, n, fold, -1, g_free);
  else
    sqlite3_bind_null (stmt, n);
}

int
_pd_store_write_row_rc (PdStore  *self,
                        PdStmt   *upsert,
                        PdRecord *record)
{
  const PdRecordType *type = pd_record_get_record_type (record);
  g_autoptr(PdStmt) stmt = upsert ? upsert : _pd_store_prepare_upsert (self, type, NULL);
  int n = N_META;
  int rc;

  if (stmt == NULL)
    return sqlite3_errcode (self->db);
  /* Every bound text lives until the statement is reset, at the end of this function. */
  sqlite3_bind_text (stmt, 1, pd_record_get_id (record), -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 2, pd_record_get_version (record));
  sqlite3_bind_text (stmt, 3, pd_record_get_created_at (record), -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 4, pd_record_get_updated_at (record), -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 5, pd_record_get_updated_by (record), -1, SQLITE_STATIC);
  sqlite3_bind_int (stmt, 6, pd_record_get_deleted (record));
  for (guint i = 0; i < type->n_fields; i++)
    {
      PdFieldType ft = type->fields[i].type;

      ++n;
      if (!_pd_record_is_set_index (record, i))
        sqlite3_bind_null (stmt, n);
      else if (ft == PD_FIELD_INT || ft == PD_FIELD_MONEY || ft == PD_FIELD_PERCENT
               || ft == PD_FIELD_BOOL)
        sqlite3_bind_int64 (stmt, n, _pd_record_get_int_index (record, i));
      else if (ft == PD_FIELD_REF_LIST)
        sqlite3_bind_text (stmt, n, _pd_record_dup_canonical_index (record, i), -1, g_free);
      else
        sqlite3_bind_text (stmt, n, _pd_record_get_string_index (record, i), -1, SQLITE_STATIC);
    }
  for (guint i = 0; i < type->n_fields; i++)
    if (type->fields[i].flags & PD_FIELD_FLAG_UNIQUE_NOCASE)
      bind_fold (stmt, ++n, _pd_record_get_string_index (record, i));
  /* The first name of a person's identity key, folded as the import folds it. */
  if (type == &pd_person_type)
    {
      bind_fold (stmt, ++n, pd_record_get_string (record, "first_name"));
      /* The People tab's case- and accent-insensitive name order (pd-people-query.h). */
      sqlite3_bind_text (stmt, ++n,
                         pd_people_name_key (pd_record_get_string (record, "last_name"),
                                             pd_record_get_string (record, "first_name")),
                         -1, g_free);
    }
  rc = sqlite3_step (stmt);
  return rc == SQLITE_ROW ? SQLITE_DONE : rc;
}

gboolean
_pd_store_write_row (PdStore   *self,
                     PdRecord  *record,
                     GError   **error)
{
  int rc = _pd_store_write_row_rc (self, NULL, record);

  if (rc != SQLITE_DONE)
    {
      _pd_store_set_error (self, rc, error);
      return FALSE;
    }
  return TRUE;
}

char *
_pd_store_record_json_text (PdRecord *record)
{
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);

  json_node_take_object (node, pd_record_to_json (record));
  return json_to_string (node, FALSE);
}

gboolean
_pd_store_write_change (PdStore     *self,
                        PdRecord    *record,
                        gint64       base_version,
                        gboolean     deleted,
                        const char  *created_at,
                        gint64       audit_seq,
                        GError     **error)
{
  g_autoptr(PdStmt) stmt = NULL;

  stmt = _pd_store_prepare (self,
                            "INSERT INTO change_log (key, collection, record_id, base_version, "
                            "deleted, payload, created_at, audit_seq) VALUES (?1, ?2, ?3, ?4, "
                            "?5, ?6, ?7, CASE WHEN ?8 >= 0 THEN ?8 ELSE "
                            "(SELECT COALESCE (MAX (seq), 0) FROM audit) END)",
                            error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, pd_uuid_new (), -1, g_free);
  sqlite3_bind_text (stmt, 2, pd_record_get_record_type (record)->name, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, pd_record_get_id (record), -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 4, base_version);
  sqlite3_bind_int (stmt, 5, deleted);
  sqlite3_bind_text (stmt, 6, _pd_store_record_json_text (record), -1, g_free);
  sqlite3_bind_text (stmt, 7, created_at, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 8, audit_seq);
  return _pd_store_step_done (self, stmt, error);
}

/* A local write's entry: the record as saved, its audit rows since the last one. */
static gboolean
write_change (PdStore   *self,
              PdRecord  *record,
              gint64     base_version,
              GError   **error)
{
  return _pd_store_write_change (self, record, base_version, pd_record_get_deleted (record),
                                 pd_record_get_updated_at (record), -1, error);
}

const char *
_pd_store_partner_id_of (PdRecord *record)
{
  const PdRecordType *type = pd_record_get_record_type (record);

  if (type->partner_field == NULL)
    return NULL;
  if (strcmp (type->partner_field, "id") == 0)
    return pd_record_get_id (record);
  return pd_record_get_string (record, type->partner_field);
}

gboolean
_pd_store_write_audit (PdStore     *self,
                       PdRecord    *record,
                       const char  *at,
                       const char  *who,
                       const char  *address,
                       const char  *action,
                       const char  *field,
                       const char  *old_value,
                       const char  *new_value,
                       GError     **error)
{
  g_autoptr(PdStmt) stmt = NULL;

  stmt = _pd_store_prepare (self,
                            "INSERT INTO audit (at, who, record_type, record_id, partner_id, "
                            "record_title, action, field, old_value, new_value, address) "
                            "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                            error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, at, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, who, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, pd_record_get_record_type (record)->name, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 4, pd_record_get_id (record), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 5, _pd_store_partner_id_of (record), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 6, pd_record_get_title (record), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 7, action, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 8, field, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 9, old_value, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 10, new_value, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 11, address, -1, SQLITE_TRANSIENT);
  return _pd_store_step_done (self, stmt, error);
}

/* A local write's audit row: now, by the actor, from the actor's address. */
static gboolean
write_audit (PdStore     *self,
             PdRecord    *record,
             const char  *action,
             const char  *field,
             const char  *old_value,
             const char  *new_value,
             GError     **error)
{
  return _pd_store_write_audit (self, record, pd_record_get_updated_at (record),
                                self->actor_name, self->actor_address, action, field,
                                old_value, new_value, error);
}

/* Validation */

static const char *
unique_message (const PdRecordType *type)
{
  /* TRANSLATORS: %s is a name */
  if (type == &pd_partner_type)
    return _("A partner named “%s” already exists");
  if (type == &pd_institution_type)
    return _("An institution named “%s” already exists");
  if (type == &pd_examination_type)
    return _("An examination with the code “%s” already exists");
  return _("“%s” is already in use");
}

/* Is there a live record of TYPE other than ID whose FIELD folds to FOLD? */
static gboolean
fold_taken (PdStore            *self,
            const PdRecordType *type,
            const char         *field,
            const char         *fold,
            const char         *id)
{
  g_autofree char *sql = g_strdup_printf ("SELECT 1 FROM %s WHERE %s_fold = ?1 AND deleted = 0 "
                                          "AND id != ?2 LIMIT 1", type->table, field);
  g_autoptr(PdStmt) stmt = _pd_store_prepare (self, sql, NULL);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, fold, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, id, -1, SQLITE_STATIC);
  return sqlite3_step (stmt) == SQLITE_ROW;
}

static void
check_unique (PdStore    *self,
              PdRecord   *record,
              GHashTable *errors)
{
  const PdRecordType *type = pd_record_get_record_type (record);

  for (guint i = 0; i < type->n_fields; i++)
    {
      const PdField *f = &type->fields[i];
      g_autofree char *fold = NULL;
      g_autofree char *shown = NULL;

      if (!(f->flags & PD_FIELD_FLAG_UNIQUE_NOCASE) || g_hash_table_contains (errors, f->name))
        continue;
      fold = fold_field (record, i);
      if (fold == NULL || !fold_taken (self, type, f->name, fold, pd_record_get_id (record)))
        continue;
      shown = g_strstrip (g_strdup (_pd_record_get_string_index (record, i)));
      g_hash_table_insert (errors, (gpointer) f->name,
                           g_strdup_printf (unique_message (type), shown));
    }
}

static void
fold_function (sqlite3_context  *context,
               int               argc,
               sqlite3_value   **argv)
{
  const char *text = (const char *) sqlite3_value_text (argv[0]);
  g_autofree char *stripped = NULL;

  if (text == NULL)
    {
      sqlite3_result_null (context);
      return;
    }
  stripped = g_strstrip (g_strdup (text));
  sqlite3_result_text (context, pd_text_fold (stripped), -1, g_free);
}

/* A partner's portal users have distinct emails, ignoring case. */
static void
check_partner_user_email (PdStore    *self,
                          PdRecord   *record,
                          GHashTable *errors)
{
  g_autoptr(PdStmt) stmt = NULL;
  g_autofree char *fold = NULL;
  g_autofree char *shown = NULL;
  const char *email = pd_record_get_string (record, "email");

  if (email == NULL || g_hash_table_contains (errors, "email"))
    return;
  stmt = _pd_store_prepare (self, "SELECT 1 FROM partner_users WHERE partner_id = ?1 "
                            "AND deleted = 0 AND id != ?2 AND pd_fold (email) = ?3 LIMIT 1",
                            NULL);
  if (stmt == NULL)
    return;
  shown = g_strstrip (g_strdup (email));
  fold = pd_text_fold (shown);
  sqlite3_bind_text (stmt, 1, pd_record_get_string (record, "partner_id"), -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, pd_record_get_id (record), -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, fold, -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    g_hash_table_insert (errors, (gpointer) "email",
                         g_strdup_printf (_("This partner already has a user with the email “%s”"),
                                          shown));
}

static gboolean
record_exists (PdStore            *self,
               const PdRecordType *type,
               const char         *id)
{
  g_autofree char *sql = g_strdup_printf ("SELECT 1 FROM %s WHERE id = ?1", type->table);
  g_autoptr(PdStmt) stmt = _pd_store_prepare (self, sql, NULL);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
  return sqlite3_step (stmt) == SQLITE_ROW;
}

/* References must name records that exist (tombstoned ones still count). */
static void
check_references (PdStore    *self,
                  PdRecord   *record,
                  GHashTable *errors)
{
  const PdRecordType *type = pd_record_get_record_type (record);

  for (guint i = 0; i < type->n_fields; i++)
    {
      const PdField *f = &type->fields[i];

      if (f->ref_type == NULL || g_hash_table_contains (errors, f->name)
          || !pd_record_field_applies (record, f))
        continue;
      if (f->type == PD_FIELD_REF)
        {
          const char *id = _pd_record_get_string_index (record, i);

          if (id && !record_exists (self, f->ref_type, id))
            g_hash_table_insert (errors, (gpointer) f->name,
                                 g_strdup (_("The chosen entry does not exist")));
          continue;
        }
      for (const char * const *ids = pd_record_get_strv (record, f->name); *ids; ids++)
        if (!record_exists (self, f->ref_type, *ids))
          {
            g_hash_table_insert (errors, (gpointer) f->name,
                                 g_strdup (_("One of the chosen entries does not exist")));
            break;
          }
    }
}

GHashTable *
pd_store_validate (PdStore  *self,
                   PdRecord *record)
{
  GHashTable *errors;

  g_return_val_if_fail (PD_IS_STORE (self), NULL);
  g_return_val_if_fail (PD_IS_RECORD (record), NULL);

  errors = pd_record_validate (record);
  _pd_record_check_dates (record, errors);
  if (pd_record_get_record_type (record) == &pd_person_type)
    _pd_person_check_rules (record, errors);
  check_unique (self, record, errors);
  if (pd_record_get_record_type (record) == &pd_partner_user_type)
    check_partner_user_email (self, record, errors);
  check_references (self, record, errors);
  _pd_commerce_validate (self, record, errors);
  return errors;
}

/* "Label: reason" of the first invalid field, in form order. */
static gboolean
set_invalid_error (PdRecord    *record,
                   GHashTable  *errors,
                   GError     **error)
{
  const PdRecordType *type = pd_record_get_record_type (record);

  for (guint i = 0; i < type->n_fields; i++)
    {
      const char *message = g_hash_table_lookup (errors, type->fields[i].name);

      if (message)
        {
          g_set_error (error, PD_ERROR, PD_ERROR_INVALID, "%s: %s",
                       _(type->fields[i].label), message);
          return FALSE;
        }
    }
  return TRUE;
}

/* Saving */

/* A person's title: "First Last". */
static void
set_display_name (PdRecord *person)
{
  const char *first = pd_record_get_string (person, "first_name");
  const char *last = pd_record_get_string (person, "last_name");
  g_autofree char *name = g_strstrip (g_strdup_printf ("%s %s", first ? first : "",
                                                       last ? last : ""));

  pd_record_set_string (person, "display_name", *name ? name : NULL);
}

/* Trims single-line text and clears fields whose only_if condition does not hold. */
static void
normalize_record (PdRecord *record)
{
  const PdRecordType *type = pd_record_get_record_type (record);

  for (guint i = 0; i < type->n_fields; i++)
    {
      const PdField *f = &type->fields[i];
      const char *text = _pd_record_get_string_index (record, i);

      if (!pd_record_field_applies (record, f))
        {
          pd_record_unset (record, f->name);
          continue;
        }
      if (f->type == PD_FIELD_TEXT && text && !(f->flags & PD_FIELD_FLAG_MULTILINE))
        {
          g_autofree char *stripped = g_strstrip (g_strdup (text));

          if (strcmp (stripped, text) != 0)
            pd_record_set_string (record, f->name, stripped);
        }
    }
  if (type == &pd_person_type)
    set_display_name (record);
}

static void
normalize_in_store (PdStore  *self,
                    PdRecord *record)
{
  normalize_record (record);
  _pd_commerce_normalize (self, record);
}

/* A partner's status keeps the time it was reached, unless the caller set that time. */
static void
stamp_status (PdRecord   *record,
              PdRecord   *old,
              const char *now)
{
  static const char *const stamps[][2] = {
    { "invited", "invited_at" },
    { "active", "accepted_at" },
    { "terminated", "terminated_at" },
  };
  const char *status;

  if (pd_record_get_record_type (record) != &pd_partner_type)
    return;
  status = pd_record_get_string (record, "status");
  if (old && g_strcmp0 (status, pd_record_get_string (old, "status")) == 0)
    return;
  for (guint i = 0; i < G_N_ELEMENTS (stamps); i++)
    {
      const char *field = stamps[i][1];

      if (g_strcmp0 (status, stamps[i][0]) != 0)
        continue;
      if (old ? pd_record_field_equal (record, old, field) : !pd_record_is_set (record, field))
        pd_record_set_string (record, field, now);
    }
}

static gboolean
write_field_audit (PdStore   *self,
                   PdRecord  *record,
                   PdRecord  *old,
                   gboolean  *changed,
                   GError   **error)
{
  const PdRecordType *type = pd_record_get_record_type (record);

  *changed = FALSE;
  for (guint i = 0; i < type->n_fields; i++)
    {
      g_autofree char *before = _pd_record_dup_canonical_index (old, i);
      g_autofree char *after = _pd_record_dup_canonical_index (record, i);

      if (g_strcmp0 (before, after) == 0)
        continue;
      *changed = TRUE;
      if (!write_audit (self, record, "update", type->fields[i].name, before, after, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
records_differ (PdRecord *a,
                PdRecord *b)
{
  const PdRecordType *type = pd_record_get_record_type (a);

  for (guint i = 0; i < type->n_fields; i++)
    {
      g_autofree char *ca = _pd_record_dup_canonical_index (a, i);
      g_autofree char *cb = _pd_record_dup_canonical_index (b, i);

      if (g_strcmp0 (ca, cb) != 0)
        return TRUE;
    }
  return FALSE;
}

static void
refresh_actor_name (PdStore *self)
{
  g_autoptr(PdRecord) actor = NULL;

  if (self->actor)
    actor = _pd_store_load_record (self, &pd_practice_user_type, self->actor, NULL);
  /* The server writes as partner users too (a partner's booking). */
  if (self->actor && actor == NULL)
    actor = _pd_store_load_record (self, &pd_partner_user_type, self->actor, NULL);
  g_free (self->actor_name);
  self->actor_name = g_strdup (actor ? pd_record_get_title (actor) : NULL);
}

/* Writes WORK (validated, normalized) over OLD (NULL: create) inside an open transaction. */
static gboolean
save_locked (PdStore   *self,
             PdRecord  *work,
             PdRecord  *old,
             gboolean  *noop,
             GError   **error)
{
  g_autofree char *now = pd_timestamp_now ();
  gint64 base = old ? pd_record_get_version (old) : 0;
  gboolean changed = TRUE;

  stamp_status (work, old, now);
  *noop = old != NULL && !records_differ (work, old);
  if (*noop)
    return TRUE;
  _pd_record_set_meta (work, pd_record_get_id (work), base + 1,
                       old ? pd_record_get_created_at (old) : now, now, self->actor,
                       old ? pd_record_get_deleted (old) : FALSE);
  if (!_pd_store_write_row (self, work, error) || !write_change (self, work, base, error))
    return FALSE;
  if (old == NULL ? !write_audit (self, work, "create", NULL, NULL, NULL, error)
                  : !write_field_audit (self, work, old, &changed, error))
    return FALSE;
  /* A partner's commission terms keep a history (pd-commission.h). */
  if (pd_record_get_record_type (work) == &pd_partner_type && !self->no_derive)
    return _pd_commission_record_terms (self, work, old, error);
  return TRUE;
}

gboolean
pd_store_save (PdStore   *self,
               PdRecord  *record,
               GError   **error)
{
  g_autoptr(PdRecord) work = NULL;
  g_autoptr(PdRecord) old = NULL;
  g_autoptr(GHashTable) errors = NULL;
  g_autoptr(GError) local_error = NULL;
  const PdRecordType *type;
  gboolean noop = FALSE;

  g_return_val_if_fail (PD_IS_STORE (self), FALSE);
  g_return_val_if_fail (PD_IS_RECORD (record), FALSE);

  type = pd_record_get_record_type (record);
  work = pd_record_copy (record);
  normalize_in_store (self, work);
  errors = pd_store_validate (self, work);
  if (!set_invalid_error (work, errors, error))
    return FALSE;
  if (!_pd_store_begin (self, error))
    return FALSE;
  old = _pd_store_load_record (self, type, pd_record_get_id (work), &local_error);
  if (local_error || !save_locked (self, work, old, &noop, &local_error))
    {
      _pd_store_rollback (self);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (!noop)
    queue_changed (self, type->name, pd_record_get_id (work));
  if (!_pd_store_commit (self, error))
    return FALSE;
  _pd_record_assign (record, work);
  if (type == &pd_practice_user_type && g_strcmp0 (pd_record_get_id (work), self->actor) == 0)
    refresh_actor_name (self);
  return TRUE;
}

gboolean
_pd_store_insert_record (PdStore     *self,
                         PdRecord    *record,
                         const char  *audit_new_value,
                         GError     **error)
{
  g_autofree char *now = pd_timestamp_now ();
  g_autoptr(GHashTable) errors = NULL;

  normalize_in_store (self, record);
  errors = pd_store_validate (self, record);
  if (!set_invalid_error (record, errors, error))
    return FALSE;
  _pd_record_set_meta (record, pd_record_get_id (record), 1, now, now, self->actor, FALSE);
  if (!_pd_store_write_row (self, record, error) || !write_change (self, record, 0, error)
      || !write_audit (self, record, "create", NULL, NULL, audit_new_value, error))
    return FALSE;
  queue_changed (self, pd_record_get_record_type (record)->name, pd_record_get_id (record));
  return TRUE;
}

const char *
_pd_store_get_actor_name (PdStore *self)
{
  return self->actor_name;
}

static gboolean
set_deleted (PdStore             *self,
             const PdRecordType  *type,
             const char          *id,
             gboolean             deleted,
             GError             **error)
{
  g_autoptr(PdRecord) record = NULL;
  g_autoptr(GHashTable) errors = NULL;
  g_autofree char *now = pd_timestamp_now ();
  gint64 base;

  if (!_pd_store_begin (self, error))
    return FALSE;
  record = _pd_store_load_record (self, type, id, error);
  if (record == NULL)
    {
      if (error && *error == NULL)
        g_set_error (error, PD_ERROR, PD_ERROR_NOT_FOUND, _("The record no longer exists"));
      _pd_store_rollback (self);
      return FALSE;
    }
  if (pd_record_get_deleted (record) == deleted)
    return _pd_store_commit (self, error);
  if (!deleted)
    {
      errors = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
      check_unique (self, record, errors);
      if (!set_invalid_error (record, errors, error))
        {
          _pd_store_rollback (self);
          return FALSE;
        }
    }
  base = pd_record_get_version (record);
  _pd_record_set_meta (record, id, base + 1, pd_record_get_created_at (record), now,
                       self->actor, deleted);
  if (!_pd_store_write_row (self, record, error) || !write_change (self, record, base, error)
      || !write_audit (self, record, deleted ? "delete" : "restore", NULL, NULL, NULL, error))
    {
      _pd_store_rollback (self);
      return FALSE;
    }
  queue_changed (self, type->name, id);
  return _pd_store_commit (self, error);
}

gboolean
pd_store_delete (PdStore             *self,
                 const PdRecordType  *type,
                 const char          *id,
                 GError             **error)
{
  g_return_val_if_fail (PD_IS_STORE (self), FALSE);
  g_return_val_if_fail (type != NULL && id != NULL, FALSE);

  return set_deleted (self, type, id, TRUE, error);
}

gboolean
pd_store_restore (PdStore             *self,
                  const PdRecordType  *type,
                  const char          *id,
                  GError             **error)
{
  g_return_val_if_fail (PD_IS_STORE (self), FALSE);
  g_return_val_if_fail (type != NULL && id != NULL, FALSE);

  return set_deleted (self, type, id, FALSE, error);
}

/* Reading */

char *
_pd_store_dup_title (PdStore            *store,
                     const PdRecordType *type,
                     const char         *id)
{
  g_autoptr(PdRecord) record = NULL;

  if (id == NULL)
    return NULL;
  record = _pd_store_load_record (store, type, id, NULL);
  return record ? g_strdup (pd_record_get_title (record)) : NULL;
}

PdRecord *
pd_store_get (PdStore             *self,
              const PdRecordType  *type,
              const char          *id,
              GError             **error)
{
  g_autoptr(GError) local_error = NULL;
  PdRecord *record;

  g_return_val_if_fail (PD_IS_STORE (self), NULL);
  g_return_val_if_fail (type != NULL && id != NULL, NULL);

  record = _pd_store_load_record (self, type, id, &local_error);
  if (local_error)
    g_propagate_error (error, g_steal_pointer (&local_error));
  else if (record == NULL)
    g_set_error (error, PD_ERROR, PD_ERROR_NOT_FOUND, _("The record no longer exists"));
  return record;
}

static int
compare_by_sort_key (gconstpointer a,
                     gconstpointer b)
{
  PdRecord *ra = *(PdRecord **) a;
  PdRecord *rb = *(PdRecord **) b;
  int c = strcmp (pd_record_get_sort_key (ra), pd_record_get_sort_key (rb));

  return c != 0 ? c : strcmp (pd_record_get_id (ra), pd_record_get_id (rb));
}

GPtrArray *
pd_store_list (PdStore             *self,
               const PdRecordType  *type,
               const char          *field,
               const char          *value,
               GError             **error)
{
  g_autoptr(GPtrArray) records = NULL;
  g_autofree char *sql = NULL;
  g_autoptr(PdStmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (PD_IS_STORE (self), NULL);
  g_return_val_if_fail (type != NULL, NULL);
  g_return_val_if_fail (field == NULL || pd_record_type_get_field (type, field) != NULL, NULL);

  sql = field ? g_strdup_printf ("%s AND %s = ?1", type_sql (self, type)->select_live, field)
              : g_strdup (type_sql (self, type)->select_live);
  stmt = _pd_store_prepare (self, sql, error);
  if (stmt == NULL)
    return NULL;
  if (field)
    sqlite3_bind_text (stmt, 1, value, -1, SQLITE_STATIC);
  records = g_ptr_array_new_with_free_func (g_object_unref);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (records, record_from_row (type, stmt));
  if (rc != SQLITE_DONE)
    {
      _pd_store_set_error (self, rc, error);
      return NULL;
    }
  g_ptr_array_sort (records, compare_by_sort_key);
  return g_steal_pointer (&records);
}

GPtrArray *
_pd_store_query_records (PdStore             *self,
                         const PdRecordType  *type,
                         const char          *sql_tail,
                         const char * const  *params,
                         GError             **error)
{
  g_autoptr(GPtrArray) records = g_ptr_array_new_with_free_func (g_object_unref);
  g_autofree char *sql = g_strdup_printf ("%s AND %s", type_sql (self, type)->select_live,
                                          sql_tail);
  g_autoptr(PdStmt) stmt = _pd_store_prepare (self, sql, error);
  int rc;

  if (stmt == NULL)
    return NULL;
  for (guint i = 0; params && params[i]; i++)
    sqlite3_bind_text (stmt, (int) i + 1, params[i], -1, SQLITE_TRANSIENT);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (records, record_from_row (type, stmt));
  if (rc != SQLITE_DONE)
    {
      _pd_store_set_error (self, rc, error);
      return NULL;
    }
  return g_steal_pointer (&records);
}

gint64
pd_store_count (PdStore            *self,
                const PdRecordType *type)
{
  g_autofree char *sql = NULL;
  g_autoptr(PdStmt) stmt = NULL;

  g_return_val_if_fail (PD_IS_STORE (self), 0);
  g_return_val_if_fail (type != NULL, 0);

  sql = g_strdup_printf ("SELECT count(*) FROM %s WHERE deleted = 0", type->table);
  stmt = _pd_store_prepare (self, sql, NULL);
  if (stmt == NULL || sqlite3_step (stmt) != SQLITE_ROW)
    return 0;
  return sqlite3_column_int64 (stmt, 0);
}

GPtrArray *
pd_store_list_history (PdStore     *self,
                       const char  *partner_id,
                       GError     **error)
{
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(PdStmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (PD_IS_STORE (self), NULL);
  g_return_val_if_fail (partner_id != NULL, NULL);

  stmt = _pd_store_prepare (self,
                            "SELECT seq, at, who, record_type, record_id, record_title, action, "
                            "field, old_value, new_value FROM audit WHERE partner_id = ?1 "
                            "ORDER BY seq DESC",
                            error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, partner_id, -1, SQLITE_STATIC);
  entries = g_ptr_array_new_with_free_func (g_object_unref);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (entries,
                     pd_audit_entry_new (sqlite3_column_int64 (stmt, 0), _pd_stmt_text (stmt, 1),
                                         _pd_stmt_text (stmt, 2), _pd_stmt_text (stmt, 3),
                                         _pd_stmt_text (stmt, 4), _pd_stmt_text (stmt, 5),
                                         _pd_stmt_text (stmt, 6), _pd_stmt_text (stmt, 7),
                                         _pd_stmt_text (stmt, 8), _pd_stmt_text (stmt, 9)));
  if (rc != SQLITE_DONE)
    {
      _pd_store_set_error (self, rc, error);
      return NULL;
    }
  return g_steal_pointer (&entries);
}

/* The title of the record ID of TYPE, or ID itself when there is none. */
static char *
ref_title (PdStore            *self,
           const PdRecordType *type,
           const char         *id)
{
  g_autoptr(PdRecord) record = _pd_store_load_record (self, type, id, NULL);

  if (record == NULL || *pd_record_get_title (record) == '\0')
    return g_strdup (id);
  return g_strdup (pd_record_get_title (record));
}

char *
pd_store_format_value (PdStore       *self,
                       const PdField *field,
                       const char    *canonical)
{
  g_auto(GStrv) ids = NULL;
  g_autoptr(GPtrArray) titles = NULL;

  g_return_val_if_fail (PD_IS_STORE (self), NULL);
  g_return_val_if_fail (field != NULL, NULL);

  if (canonical == NULL || field->ref_type == NULL)
    return pd_field_format_text (field, canonical);
  if (field->type == PD_FIELD_REF)
    return ref_title (self, field->ref_type, canonical);
  ids = _pd_strv_from_json (canonical);
  if (ids == NULL)
    return g_strdup (canonical);
  titles = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; ids[i]; i++)
    g_ptr_array_add (titles, ref_title (self, field->ref_type, ids[i]));
  g_ptr_array_add (titles, NULL);
  /* TRANSLATORS: separator between the names of several records */
  return g_strjoinv (_(", "), (char **) titles->pdata);
}

char *
pd_store_format_field (PdStore    *self,
                       PdRecord   *record,
                       const char *field)
{
  const PdField *f;
  g_autofree char *canonical = NULL;

  g_return_val_if_fail (PD_IS_STORE (self), NULL);
  g_return_val_if_fail (PD_IS_RECORD (record), NULL);

  f = pd_record_type_get_field (pd_record_get_record_type (record), field);
  g_return_val_if_fail (f != NULL, NULL);
  if (f->ref_type == NULL)
    return pd_record_format (record, field);
  canonical = pd_record_dup_canonical (record, field);
  return pd_store_format_value (self, f, canonical);
}

static char *
format_audit_value (const PdField *field,
                    const char    *canonical,
                    gpointer       user_data)
{
  return pd_store_format_value (user_data, field, canonical);
}

char *
pd_store_describe_audit_entry (PdStore      *self,
                               PdAuditEntry *entry)
{
  g_return_val_if_fail (PD_IS_STORE (self), NULL);
  g_return_val_if_fail (PD_IS_AUDIT_ENTRY (entry), NULL);

  return _pd_audit_entry_describe_full (entry, format_audit_value, self);
}

void
pd_change_free (PdChange *change)
{
  if (change == NULL)
    return;
  g_free (change->key);
  g_free (change->collection);
  g_free (change->record_id);
  g_free (change->payload);
  g_free (change->created_at);
  g_free (change);
}

GPtrArray *
_pd_store_read_changes (PdStore  *self,
                        PdStmt   *stmt,
                        GError  **error)
{
  g_autoptr(GPtrArray) changes = g_ptr_array_new_with_free_func ((GDestroyNotify) pd_change_free);
  int rc;

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      PdChange *change = g_new0 (PdChange, 1);

      change->seq = sqlite3_column_int64 (stmt, 0);
      change->key = g_strdup (_pd_stmt_text (stmt, 1));
      change->collection = g_strdup (_pd_stmt_text (stmt, 2));
      change->record_id = g_strdup (_pd_stmt_text (stmt, 3));
      change->base_version = sqlite3_column_int64 (stmt, 4);
      change->deleted = sqlite3_column_int (stmt, 5) != 0;
      change->payload = g_strdup (_pd_stmt_text (stmt, 6));
      change->created_at = g_strdup (_pd_stmt_text (stmt, 7));
      change->audit_seq = sqlite3_column_int64 (stmt, 8);
      g_ptr_array_add (changes, change);
    }
  if (rc != SQLITE_DONE)
    {
      _pd_store_set_error (self, rc, error);
      return NULL;
    }
  return g_steal_pointer (&changes);
}

GPtrArray *
pd_store_list_changes (PdStore  *self,
                       gint64    after_seq,
                       guint     limit,
                       GError  **error)
{
  g_autoptr(PdStmt) stmt = NULL;

  g_return_val_if_fail (PD_IS_STORE (self), NULL);

  stmt = _pd_store_prepare (self, "SELECT " PD_STORE_CHANGE_COLUMNS " FROM change_log WHERE seq > ?1 "
                            "ORDER BY seq LIMIT ?2", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, after_seq);
  sqlite3_bind_int64 (stmt, 2, limit);
  return _pd_store_read_changes (self, stmt, error);
}

/* Settings */

char *
pd_store_get_setting (PdStore    *self,
                      const char *key)
{
  g_autoptr(PdStmt) stmt = NULL;

  g_return_val_if_fail (PD_IS_STORE (self), NULL);
  g_return_val_if_fail (key != NULL, NULL);

  stmt = _pd_store_prepare (self, "SELECT value FROM settings WHERE key = ?1", NULL);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, key, -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return NULL;
  return g_strdup (_pd_stmt_text (stmt, 0));
}

gboolean
pd_store_set_setting (PdStore     *self,
                      const char  *key,
                      const char  *value,
                      GError     **error)
{
  g_autoptr(PdStmt) stmt = NULL;

  g_return_val_if_fail (PD_IS_STORE (self), FALSE);
  g_return_val_if_fail (key != NULL, FALSE);

  /* In read-only mode this fails with the same message as any other write. */
  if (self->read_only)
    return _pd_store_begin (self, error);
  stmt = _pd_store_prepare (self, "INSERT INTO settings (key, value) VALUES (?1, ?2) "
                            "ON CONFLICT (key) DO UPDATE SET value = excluded.value", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, key, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, value, -1, SQLITE_STATIC);
  if (!_pd_store_step_done (self, stmt, error))
    return FALSE;
  if (strcmp (key, "currency") == 0)
    pd_money_set_currency (value);
  return TRUE;
}

/* Opening */

char *
pd_store_default_path (void)
{
  return g_build_filename (g_get_user_data_dir (), "partner-desk", "partner-desk.db", NULL);
}

const char *
pd_store_get_path (PdStore *self)
{
  g_return_val_if_fail (PD_IS_STORE (self), NULL);
  return self->path;
}

int
pd_store_get_schema_version (PdStore *self)
{
  g_return_val_if_fail (PD_IS_STORE (self), 0);
  return self->schema_version;
}

gboolean
pd_store_is_read_only (PdStore *self)
{
  g_return_val_if_fail (PD_IS_STORE (self), TRUE);
  return self->read_only;
}

const char *
pd_store_get_local_user_id (PdStore *self)
{
  g_return_val_if_fail (PD_IS_STORE (self), NULL);
  return self->local_user_id;
}

void
pd_store_set_actor (PdStore    *self,
                    const char *user_id)
{
  g_return_if_fail (PD_IS_STORE (self));

  g_free (self->actor);
  self->actor = g_strdup (user_id ? user_id : self->local_user_id);
  refresh_actor_name (self);
}

void
pd_store_set_derive_records (PdStore  *self,
                             gboolean  derive)
{
  g_return_if_fail (PD_IS_STORE (self));
  self->no_derive = !derive;
}

void
pd_store_set_actor_address (PdStore    *self,
                            const char *address)
{
  g_return_if_fail (PD_IS_STORE (self));

  g_free (self->actor_address);
  self->actor_address = g_strdup (address);
}

const char *
pd_store_get_actor (PdStore *self)
{
  g_return_val_if_fail (PD_IS_STORE (self), NULL);
  return self->actor;
}

static gboolean
create_local_user_cb (PdStore   *self,
                      gpointer   user_data,
                      GError   **error)
{
  g_autoptr(PdRecord) user = pd_record_new (&pd_practice_user_type);

  pd_record_set_string (user, "name", _("Practice administrator"));
  pd_record_set_string (user, "permissions", "edit_partners,view_patient_data,billing,"
                        "receive_referrals,view_referrals,manage_team");
  /* The local user writes its own creation. */
  self->actor = g_strdup (pd_record_get_id (user));
  self->actor_name = g_strdup (pd_record_get_title (user));
  if (!pd_store_save (self, user, error))
    return FALSE;
  return pd_store_set_setting (self, "local_user_id", pd_record_get_id (user), error)
         && pd_store_set_setting (self, "currency", "EUR", error);
}

static gboolean
ensure_local_user (PdStore  *self,
                   GError  **error)
{
  self->local_user_id = pd_store_get_setting (self, "local_user_id");
  if (self->local_user_id == NULL && !self->read_only)
    {
      if (!pd_store_transaction (self, create_local_user_cb, NULL, error))
        return FALSE;
      self->local_user_id = pd_store_get_setting (self, "local_user_id");
    }
  g_clear_pointer (&self->actor, g_free);
  pd_store_set_actor (self, NULL);
  return TRUE;
}

static gboolean
load_currency (PdStore *self)
{
  g_autofree char *currency = pd_store_get_setting (self, "currency");

  pd_money_set_currency (currency ? currency : "EUR");
  return TRUE;
}

static gboolean
make_parent_dir (const char  *path,
                 GError     **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  int saved_errno;

  if (g_mkdir_with_parents (dir, 0700) == 0)
    return TRUE;
  saved_errno = errno;
  g_set_error (error, PD_ERROR,
               saved_errno == EACCES || saved_errno == EROFS || saved_errno == EPERM
                 ? PD_ERROR_READ_ONLY : PD_ERROR_DATABASE,
               _("Could not create the folder “%s”: %s"), dir, g_strerror (saved_errno));
  return FALSE;
}

static gboolean
open_connection (PdStore  *self,
                 GError  **error)
{
  int flags = self->read_only ? SQLITE_OPEN_READONLY
                              : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  int rc;

  rc = sqlite3_open_v2 (self->path, &self->db, flags | SQLITE_OPEN_NOMUTEX, NULL);
  if (rc != SQLITE_OK)
    {
      g_set_error (error, PD_ERROR,
                   (rc & 0xff) == SQLITE_READONLY || (rc & 0xff) == SQLITE_PERM
                     ? PD_ERROR_READ_ONLY : PD_ERROR_DATABASE,
                   _("Could not open the database “%s”: %s"), self->path,
                   self->db ? sqlite3_errmsg (self->db) : sqlite3_errstr (rc));
      return FALSE;
    }
  sqlite3_extended_result_codes (self->db, 1);
  sqlite3_busy_timeout (self->db, 5000);
  sqlite3_create_function (self->db, "pd_fold", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
                           NULL, fold_function, NULL, NULL);
  if (!self->read_only && sqlite3_db_readonly (self->db, "main") == 1)
    {
      g_set_error (error, PD_ERROR, PD_ERROR_READ_ONLY,
                   _("The database “%s” is read-only. Partner Desk needs to write to it: "
                     "check the permissions of the file and its folder."),
                   self->path);
      return FALSE;
    }
  return TRUE;
}

/* Switching to WAL writes the file, so it comes after the schema version check. */
static gboolean
configure_connection (PdStore  *self,
                      GError  **error)
{
  /* 16 KiB pages for a new database (an existing one keeps its size): people rows are
   * wide and imports write a million at once; measured ~1 s faster per million (bench-import). */
  if (!self->read_only
      && (!_pd_store_exec (self, "PRAGMA page_size = 16384", error)
          || !_pd_store_exec (self, "PRAGMA journal_mode = WAL", error)
          || !_pd_store_exec (self, "PRAGMA synchronous = NORMAL", error)))
    return FALSE;
  /* Lists read every row: keep them in memory-mapped pages and a larger cache. */
  sqlite3_exec (self->db, "PRAGMA mmap_size = 268435456; PRAGMA cache_size = -32000",
                NULL, NULL, NULL);
  return _pd_store_exec (self, "PRAGMA foreign_keys = ON", error);
}

static gboolean
check_read_only_version (PdStore  *self,
                         GError  **error)
{
  int version = 0;

  if (!_pd_store_read_user_version (self, &version, error))
    return FALSE;
  self->schema_version = version;
  if (version > PD_STORE_SCHEMA_VERSION)
    return _pd_store_set_newer_schema_error (version, error);
  if (version < PD_STORE_SCHEMA_VERSION)
    {
      g_set_error (error, PD_ERROR, PD_ERROR_READ_ONLY,
                   _("The database “%s” needs an upgrade but is open read-only."), self->path);
      return FALSE;
    }
  return TRUE;
}

static PdStore *
open_store (const char  *path,
            gboolean     read_only,
            GError     **error)
{
  g_autoptr(PdStore) self = g_object_new (PD_TYPE_STORE, NULL);
  int version = 0;

  self->path = g_strdup (path);
  self->read_only = read_only;
  if (!read_only && !make_parent_dir (path, error))
    return NULL;
  if (!open_connection (self, error))
    return NULL;
  if (read_only)
    {
      if (!check_read_only_version (self, error) || !configure_connection (self, error))
        return NULL;
    }
  else
    {
      /* Refuse a newer schema before anything writes to the file. */
      if (!_pd_store_read_user_version (self, &version, error))
        return NULL;
      if (version > PD_STORE_SCHEMA_VERSION)
        return _pd_store_set_newer_schema_error (version, error) ? NULL : NULL;
      if (!configure_connection (self, error) || !_pd_store_migrate (self, error))
        return NULL;
    }
  if (!ensure_local_user (self, error) || !load_currency (self))
    return NULL;
  return g_steal_pointer (&self);
}

PdStore *
pd_store_open (const char  *path,
               GError     **error)
{
  g_return_val_if_fail (path != NULL, NULL);

  return open_store (path, FALSE, error);
}

PdStore *
pd_store_open_read_only (const char  *path,
                         GError     **error)
{
  g_return_val_if_fail (path != NULL, NULL);

  return open_store (path, TRUE, error);
}
