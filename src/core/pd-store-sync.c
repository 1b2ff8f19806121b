/* pd-store-sync.c: the store's side of synchronisation: pulled rows, the outbox, merges, conflicts. */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "pd-error.h"
#include "pd-record-private.h"
#include "pd-store-private.h"
#include "pd-store-sync.h"

/* How local changes are known for a three-way merge (DESIGN §5).
 *
 * The base of a merge is the server's record at the version the pending changes were based
 * on. The desktop does not keep a copy of it; the audit trail does: every local save writes,
 * in its transaction, one audit row per changed field with the old value, with address
 * NULL, and its change-log entry records audit_seq, the last audit row before its own.
 * Rows this file writes for values that came from the server carry address
 * PD_SYNC_AUDIT_ADDRESS and are not local changes. So the local changes of a record are
 * its audit rows after the first pending entry's audit_seq with address NULL (ordered by
 * sequence, so a create and an edit within one second stay apart), and the first row of a
 * field holds its base value ("create": every field, base unset). Entries without
 * audit_seq fall back to the entry's whole-second time. Entries without audit rows
 * (people written by an import, compact payloads) have unknown bases: every field that
 * differs from the server's is a conflict, never silently overwritten.
 *
 * A record in conflict is "held": sync_conflicts holds every field where the local row
 * differs from the server's record at their_version, with the base value. A row whose
 * theirs differs from its base is a conflict the user resolves; a row whose theirs equals
 * its base is a change of mine only, waiting to be pushed with the record. Nothing of a
 * held record is pushed. Pulls keep the row on the server's other fields and the rows'
 * theirs current; local edits are folded into the rows (absorb). When no conflict is left,
 * the record is released: one outbox entry based on their_version carries it. */

/* Index of the "deleted" pseudo-field that merges like a field: type->n_fields. */
#define DELETED_NAME "deleted"

/* SQL */

/* What the pull needs per type beyond the store's SQL (pd-store.c). */
typedef struct {
  char       *version_of;
  GHashTable *index;  /* field name -> index + 1 */
} RowSql;

static GMutex row_sql_lock;
static GHashTable *row_sql_table;

static RowSql *
row_sql_build (const PdRecordType *type)
{
  RowSql *sql = g_new0 (RowSql, 1);

  sql->index = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < type->n_fields; i++)
    g_hash_table_insert (sql->index, (gpointer) type->fields[i].name, GUINT_TO_POINTER (i + 1));
  sql->version_of = g_strdup_printf ("SELECT version FROM %s WHERE id = ?1", type->table);
  return sql;
}

static RowSql *
row_sql (const PdRecordType *type)
{
  RowSql *sql;

  g_mutex_lock (&row_sql_lock);
  if (row_sql_table == NULL)
    row_sql_table = g_hash_table_new (NULL, NULL);
  sql = g_hash_table_lookup (row_sql_table, type);
  if (sql == NULL)
    {
      sql = row_sql_build (type);
      g_hash_table_insert (row_sql_table, (gpointer) type, sql);
    }
  g_mutex_unlock (&row_sql_lock);
  return sql;
}

/* Does SQL with PARAMS bound return a row? FAILED when it cannot be prepared. */
static gboolean
has_row (PdStore            *self,
         const char         *sql,
         const char * const *params,
         gboolean            failed)
{
  g_autoptr(PdStmt) stmt = _pd_store_prepare_bound (self, sql, params, NULL);

  if (stmt == NULL)
    return failed;
  return sqlite3_step (stmt) == SQLITE_ROW;
}

/* Fields, with "deleted" as the last one */

static const char *
field_name (const PdRecordType *type,
            guint               i)
{
  return i < type->n_fields ? type->fields[i].name : DELETED_NAME;
}

static gint
field_index (const PdRecordType *type,
             const char         *name)
{
  if (strcmp (name, DELETED_NAME) == 0)
    return (gint) type->n_fields;
  return _pd_record_type_field_index (type, name);
}

static char *
dup_canon (PdRecord *record,
           guint     i)
{
  const PdRecordType *type = pd_record_get_record_type (record);

  if (i == type->n_fields)
    return g_strdup (pd_record_get_deleted (record) ? "1" : "0");
  return _pd_record_dup_canonical_index (record, i);
}

static void
set_deleted_flag (PdRecord *record,
                  gboolean  deleted)
{
  _pd_record_set_meta (record, pd_record_get_id (record), pd_record_get_version (record),
                       pd_record_get_created_at (record), pd_record_get_updated_at (record),
                       pd_record_get_updated_by (record), deleted);
}

static void
set_canon (PdRecord   *record,
           guint       i,
           const char *text)
{
  const PdRecordType *type = pd_record_get_record_type (record);

  if (i == type->n_fields)
    set_deleted_flag (record, g_strcmp0 (text, "1") == 0);
  else if (!pd_record_set_canonical (record, type->fields[i].name, text))
    pd_record_unset (record, type->fields[i].name);
}

static void
set_meta (PdRecord   *record,
          gint64      version,
          const char *updated_at,
          const char *updated_by)
{
  _pd_record_set_meta (record, pd_record_get_id (record), version,
                       pd_record_get_created_at (record), updated_at, updated_by,
                       pd_record_get_deleted (record));
}

/* Audit and change log */

/* One audit row for field I changing from OLD to NEW ("deleted": a delete or restore row). */
static gboolean
audit_field (PdStore     *self,
             PdRecord    *record,
             guint        i,
             const char  *at,
             const char  *who,
             const char  *address,
             const char  *old_value,
             const char  *new_value,
             GError     **error)
{
  const PdRecordType *type = pd_record_get_record_type (record);

  if (i == type->n_fields)
    return _pd_store_write_audit (self, record, at, who, address,
                                  g_strcmp0 (new_value, "1") == 0 ? "delete" : "restore", NULL,
                                  NULL, NULL, error);
  return _pd_store_write_audit (self, record, at, who, address, "update", type->fields[i].name,
                                old_value, new_value, error);
}

/* The display name of user ID (practice or partner user), or NULL. */
static char *
user_name (PdStore    *self,
           const char *id)
{
  g_autoptr(PdStmt) stmt = NULL;

  if (id == NULL)
    return NULL;
  stmt = _pd_store_prepare (self, "SELECT name FROM practice_users WHERE id = ?1 UNION ALL "
                            "SELECT name FROM partner_users WHERE id = ?1 LIMIT 1", NULL);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return NULL;
  return g_strdup (_pd_stmt_text (stmt, 0));
}

/* Audit rows for every field where OLD and NEW differ, as values from the server. */
static gboolean
audit_remote_changes (PdStore   *self,
                      PdRecord  *old,
                      PdRecord  *record,
                      const char *who,
                      GError   **error)
{
  const PdRecordType *type = pd_record_get_record_type (record);
  const char *at = pd_record_get_updated_at (record);

  if (old == NULL)
    return _pd_store_write_audit (self, record, at, who, PD_SYNC_AUDIT_ADDRESS,
                                  pd_record_get_deleted (record) ? "delete" : "create", NULL,
                                  NULL, NULL, error);
  for (guint i = 0; i <= type->n_fields; i++)
    {
      g_autofree char *before = dup_canon (old, i);
      g_autofree char *after = dup_canon (record, i);

      if (g_strcmp0 (before, after) != 0
          && !audit_field (self, record, i, at, who, PD_SYNC_AUDIT_ADDRESS, before, after, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
delete_changes_of (PdStore     *self,
                   const char  *collection,
                   const char  *id,
                   GError     **error)
{
  const char *params[] = { collection, id, NULL };

  return _pd_store_exec_bound (self, "DELETE FROM change_log WHERE collection = ?1 "
                               "AND record_id = ?2", params, error);
}

/* Pending entries of a record (owned PdChange*), in order. */
static GPtrArray *
changes_of (PdStore     *self,
            const char  *collection,
            const char  *id,
            GError     **error)
{
  const char *params[] = { collection, id, NULL };
  g_autoptr(PdStmt) stmt = _pd_store_prepare_bound (self, "SELECT " PD_STORE_CHANGE_COLUMNS
                                                    " FROM change_log WHERE collection = ?1 "
                                                    "AND record_id = ?2 ORDER BY seq", params,
                                                    error);

  return stmt ? _pd_store_read_changes (self, stmt, error) : NULL;
}

/* A payload that names the record only ({"id","version"}): push the current row. */
static gboolean
payload_is_compact (const char *payload)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonNode *root;

  if (payload == NULL || !json_parser_load_from_data (parser, payload, -1, NULL))
    return TRUE;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return TRUE;
  return json_object_get_size (json_node_get_object (root)) <= 2;
}

/* Local changes */

/* Base values of the fields changed locally since SINCE: field index -> base canonical text
 * (NULL: unset) in BASES (GINT_TO_POINTER (i + 1) keys). Unknown bases: *unknown. */
typedef struct {
  GHashTable *bases;   /* index + 1 -> char* or NULL */
  gboolean    unknown; /* changes without audit rows: every differing field counts */
} LocalChanges;

static void
local_changes_clear (LocalChanges *lc)
{
  g_clear_pointer (&lc->bases, g_hash_table_unref);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (LocalChanges, local_changes_clear)

static void
local_changes_add (LocalChanges *lc,
                   guint         i,
                   const char   *base)
{
  gpointer key = GUINT_TO_POINTER (i + 1);

  if (!g_hash_table_contains (lc->bases, key))
    g_hash_table_insert (lc->bases, key, g_strdup (base));
}

static gboolean
local_changes_has (LocalChanges *lc,
                   guint         i)
{
  return lc->unknown || g_hash_table_contains (lc->bases, GUINT_TO_POINTER (i + 1));
}

static const char *
local_changes_base (LocalChanges *lc,
                    guint         i)
{
  return g_hash_table_lookup (lc->bases, GUINT_TO_POINTER (i + 1));
}

static gboolean
read_local_changes (PdStore            *self,
                    const PdRecordType *type,
                    const char         *id,
                    GPtrArray          *changes,
                    LocalChanges       *lc,
                    GError            **error)
{
  g_autoptr(PdStmt) stmt = NULL;
  PdChange *first = g_ptr_array_index (changes, 0);
  gboolean any = FALSE;
  int rc;

  lc->bases = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  lc->unknown = FALSE;
  /* The audit rows after the first pending entry's audit_seq; entries written without one
   * (before schema 4's column was filled) fall back to its whole-second time. */
  if (first->audit_seq > 0)
    stmt = _pd_store_prepare (self, "SELECT action, field, old_value FROM audit "
                              "WHERE record_type = ?1 AND record_id = ?2 AND seq > ?3 "
                              "AND address IS NULL ORDER BY seq", error);
  else
    stmt = _pd_store_prepare (self, "SELECT action, field, old_value FROM audit "
                              "WHERE record_type = ?1 AND record_id = ?2 AND at >= ?3 "
                              "AND address IS NULL ORDER BY seq", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, type->name, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, id, -1, SQLITE_STATIC);
  if (first->audit_seq > 0)
    sqlite3_bind_int64 (stmt, 3, first->audit_seq);
  else
    sqlite3_bind_text (stmt, 3, first->created_at, -1, SQLITE_STATIC);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *action = _pd_stmt_text (stmt, 0);
      const char *field = _pd_stmt_text (stmt, 1);

      any = TRUE;
      if (strcmp (action, "create") == 0)
        for (guint i = 0; i < type->n_fields; i++)
          local_changes_add (lc, i, NULL);
      else if (strcmp (action, "delete") == 0 || strcmp (action, "restore") == 0)
        local_changes_add (lc, type->n_fields, strcmp (action, "delete") == 0 ? "0" : "1");
      else if (field && field_index (type, field) >= 0)
        local_changes_add (lc, (guint) field_index (type, field), _pd_stmt_text (stmt, 2));
    }
  if (rc != SQLITE_DONE)
    {
      _pd_store_set_error (self, rc, error);
      return FALSE;
    }
  /* Writes without audit rows (an import's people): the bases are unknown. */
  for (guint i = 0; i < changes->len && !any; i++)
    if (payload_is_compact (((PdChange *) g_ptr_array_index (changes, i))->payload))
      lc->unknown = TRUE;
  return TRUE;
}

/* Held records: sync_conflicts */

typedef struct {
  char   *base;
  char   *mine;
  char   *theirs;
  gint64  their_version;
} HeldField;

static void
held_field_free (gpointer data)
{
  HeldField *h = data;

  g_free (h->base);
  g_free (h->mine);
  g_free (h->theirs);
  g_free (h);
}

static gboolean
held_is_conflict (HeldField *h)
{
  return g_strcmp0 (h->base, h->theirs) != 0;
}

/* field name -> HeldField* of a record; empty when not held. */
static GHashTable *
read_held (PdStore     *self,
           const char  *collection,
           const char  *id,
           GError     **error)
{
  g_autoptr(GHashTable) held = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                      held_field_free);
  g_autoptr(PdStmt) stmt = NULL;
  int rc;

  stmt = _pd_store_prepare (self, "SELECT field, base_value, mine, theirs, their_version "
                            "FROM sync_conflicts WHERE collection = ?1 AND record_id = ?2",
                            error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, collection, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, id, -1, SQLITE_STATIC);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      HeldField *h = g_new0 (HeldField, 1);

      h->base = g_strdup (_pd_stmt_text (stmt, 1));
      h->mine = g_strdup (_pd_stmt_text (stmt, 2));
      h->theirs = g_strdup (_pd_stmt_text (stmt, 3));
      h->their_version = sqlite3_column_int64 (stmt, 4);
      g_hash_table_insert (held, g_strdup (_pd_stmt_text (stmt, 0)), h);
    }
  if (rc != SQLITE_DONE)
    {
      _pd_store_set_error (self, rc, error);
      return NULL;
    }
  return g_steal_pointer (&held);
}

static gint64
held_version (GHashTable *held)
{
  GHashTableIter iter;
  HeldField *h;
  gint64 version = 0;

  g_hash_table_iter_init (&iter, held);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &h))
    version = MAX (version, h->their_version);
  return version;
}

static guint
held_n_conflicts (GHashTable *held)
{
  GHashTableIter iter;
  HeldField *h;
  guint n = 0;

  g_hash_table_iter_init (&iter, held);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &h))
    n += held_is_conflict (h);
  return n;
}

static gboolean
delete_held (PdStore     *self,
             const char  *collection,
             const char  *id,
             GError     **error)
{
  const char *params[] = { collection, id, NULL };

  return _pd_store_exec_bound (self, "DELETE FROM sync_conflicts WHERE collection = ?1 "
                               "AND record_id = ?2", params, error);
}

/* Replaces the rows of a record by HELD (all at THEIR_VERSION). */
static gboolean
write_held (PdStore     *self,
            const char  *collection,
            const char  *id,
            GHashTable  *held,
            gint64       their_version,
            GError     **error)
{
  g_autofree char *now = pd_timestamp_now ();
  GHashTableIter iter;
  const char *field;
  HeldField *h;

  if (!delete_held (self, collection, id, error))
    return FALSE;
  g_hash_table_iter_init (&iter, held);
  while (g_hash_table_iter_next (&iter, (gpointer *) &field, (gpointer *) &h))
    {
      g_autoptr(PdStmt) stmt = _pd_store_prepare (self,
        "INSERT INTO sync_conflicts (collection, record_id, field, base_value, mine, theirs, "
        "their_version, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)", error);

      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_text (stmt, 1, collection, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 2, id, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 3, field, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 4, h->base, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 5, h->mine, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 6, h->theirs, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (stmt, 7, their_version);
      sqlite3_bind_text (stmt, 8, now, -1, SQLITE_STATIC);
      if (!_pd_store_step_done (self, stmt, error))
        return FALSE;
    }
  return TRUE;
}

gboolean
pd_store_sync_is_held (PdStore    *self,
                       const char *collection,
                       const char *record_id)
{
  const char *params[] = { collection, record_id, NULL };

  g_return_val_if_fail (PD_IS_STORE (self), FALSE);

  return has_row (self, "SELECT 1 FROM sync_conflicts WHERE collection = ?1 AND record_id = ?2 "
                  "LIMIT 1", params, FALSE);
}

/* A held record without conflicts: one outbox entry based on THEIR_VERSION carries the row;
 * its changes of mine get audit rows (the bases of a later merge). */
static gboolean
release (PdStore     *self,
         PdRecord    *row,
         GHashTable  *held,
         gint64       their_version,
         gboolean    *released,
         GError     **error)
{
  const PdRecordType *type = pd_record_get_record_type (row);
  g_autofree char *now = pd_timestamp_now ();
  GHashTableIter iter;
  const char *field;
  HeldField *h;

  if (!delete_held (self, type->name, pd_record_get_id (row), error))
    return FALSE;
  if (g_hash_table_size (held) == 0)
    {
      set_meta (row, their_version, pd_record_get_updated_at (row), pd_record_get_updated_by (row));
      return _pd_store_write_row (self, row, error);
    }
  h = g_hash_table_lookup (held, DELETED_NAME);
  set_meta (row, their_version + 1, now, pd_store_get_actor (self));
  if (!_pd_store_write_row (self, row, error)
      || !_pd_store_write_change (self, row, their_version, h && g_strcmp0 (h->mine, "1") == 0,
                                  now, -1, error))
    return FALSE;
  g_hash_table_iter_init (&iter, held);
  while (g_hash_table_iter_next (&iter, (gpointer *) &field, (gpointer *) &h))
    {
      gint i = field_index (type, field);

      if (i >= 0 && !audit_field (self, row, (guint) i, now, _pd_store_get_actor_name (self), NULL,
                                  h->base, h->mine, error))
        return FALSE;
    }
  *released = TRUE;
  return TRUE;
}

/* The server's record THEIRS arrives for a held ROW: fields not held take theirs, held ones
 * update their theirs (dropped when it now equals mine). */
static gboolean
held_take_theirs (PdStore     *self,
                  PdRecord    *row,
                  PdRecord    *theirs,
                  GHashTable  *held,
                  const char  *who,
                  GError     **error)
{
  const PdRecordType *type = pd_record_get_record_type (row);
  gint64 version = pd_record_get_version (theirs);

  for (guint i = 0; i <= type->n_fields; i++)
    {
      const char *name = field_name (type, i);
      g_autofree char *t = dup_canon (theirs, i);
      g_autofree char *m = dup_canon (row, i);
      HeldField *h = g_hash_table_lookup (held, name);

      if (h && g_strcmp0 (t, m) == 0)
        g_hash_table_remove (held, name);
      else if (h)
        {
          g_free (h->theirs);
          h->theirs = g_strdup (t);
        }
      else if (g_strcmp0 (t, m) != 0)
        {
          set_canon (row, i, t);
          if (!audit_field (self, row, i, pd_record_get_updated_at (theirs), who,
                            PD_SYNC_AUDIT_ADDRESS, m, t, error))
            return FALSE;
        }
    }
  _pd_record_set_meta (row, pd_record_get_id (row), version, pd_record_get_created_at (theirs),
                       pd_record_get_updated_at (theirs), pd_record_get_updated_by (theirs),
                       pd_record_get_deleted (row));
  return TRUE;
}

/* Writes a held ROW and its HELD rows at VERSION, or releases it when no conflict is left. */
static gboolean
store_held (PdStore     *self,
            PdRecord    *row,
            GHashTable  *held,
            gint64       version,
            gboolean    *released,
            GError     **error)
{
  const PdRecordType *type = pd_record_get_record_type (row);

  if (held_n_conflicts (held) == 0)
    return release (self, row, held, version, released, error);
  return _pd_store_write_row (self, row, error)
         && write_held (self, type->name, pd_record_get_id (row), held, version, error);
}

/* Folds pending entries of a held record into its held fields. */
static gboolean
absorb_locked (PdStore             *self,
               const PdRecordType  *type,
               const char          *id,
               gboolean            *released,
               GError             **error)
{
  g_autoptr(GPtrArray) changes = changes_of (self, type->name, id, error);
  g_autoptr(GHashTable) held = NULL;
  g_autoptr(PdRecord) row = NULL;
  g_auto(LocalChanges) lc = { 0 };
  gint64 version;

  if (changes == NULL)
    return FALSE;
  if (changes->len == 0)
    return TRUE;
  held = read_held (self, type->name, id, error);
  if (held == NULL)
    return FALSE;
  if (g_hash_table_size (held) == 0)
    return TRUE;
  row = pd_store_get (self, type, id, error);
  if (row == NULL || !read_local_changes (self, type, id, changes, &lc, error))
    return FALSE;
  version = held_version (held);
  for (guint i = 0; i <= type->n_fields; i++)
    {
      const char *name = field_name (type, i);
      g_autofree char *m = dup_canon (row, i);
      HeldField *h = g_hash_table_lookup (held, name);

      if (!local_changes_has (&lc, i))
        continue;
      if (h && (g_strcmp0 (m, h->theirs) == 0))
        g_hash_table_remove (held, name);
      else if (h)
        {
          g_free (h->mine);
          h->mine = g_steal_pointer (&m);
        }
      else if (!lc.unknown && g_strcmp0 (m, local_changes_base (&lc, i)) != 0)
        {
          h = g_new0 (HeldField, 1);
          h->base = g_strdup (local_changes_base (&lc, i));
          h->theirs = g_strdup (h->base);
          h->mine = g_steal_pointer (&m);
          g_hash_table_insert (held, g_strdup (name), h);
        }
    }
  set_meta (row, version, pd_record_get_updated_at (row), pd_record_get_updated_by (row));
  return delete_changes_of (self, type->name, id, error)
         && store_held (self, row, held, version, released, error);
}

gboolean
pd_store_sync_absorb (PdStore    *self,
                      const char *collection,
                      const char *record_id,
                      gboolean   *released,
                      GError    **error)
{
  const PdRecordType *type = pd_record_type_lookup (collection);
  gboolean done = FALSE;

  g_return_val_if_fail (PD_IS_STORE (self), FALSE);
  g_return_val_if_fail (type != NULL, FALSE);

  if (!_pd_store_begin (self, error)
      || !_pd_store_finish (self, absorb_locked (self, type, record_id, &done, error), error))
    return FALSE;
  if (released)
    *released = done;
  return TRUE;
}

/* Pull */

struct _PdSyncPull
{
  PdStore    *store;
  GHashTable *pending;     /* "collection\x1fid" of outbox entries */
  gint64      pending_seq; /* entries up to this seq are in pending */
  GHashTable *names;       /* user id -> name (or "" when unknown) */
  GHashTable *fresh;       /* PdRecordType* whose table was empty when the pull began */
  GHashTable *upserts;     /* PdRecordType* -> the store's prepared upsert */
};

static char *
record_key (const char *collection,
            const char *id)
{
  return g_strconcat (collection, "\x1f", id, NULL);
}

PdSyncPull *
pd_sync_pull_new (PdStore *store)
{
  PdSyncPull *pull = g_new0 (PdSyncPull, 1);

  pull->store = g_object_ref (store);
  pull->pending = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  pull->names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  pull->fresh = g_hash_table_new (NULL, NULL);
  pull->upserts = g_hash_table_new (NULL, NULL);
  if (pd_store_sync_table_is_empty (store, &pd_person_type))
    g_hash_table_add (pull->fresh, (gpointer) &pd_person_type);
  return pull;
}

void
pd_sync_pull_free (PdSyncPull *pull)
{
  if (pull == NULL)
    return;
  g_object_unref (pull->store);
  g_hash_table_unref (pull->pending);
  g_hash_table_unref (pull->names);
  g_hash_table_unref (pull->fresh);
  g_hash_table_unref (pull->upserts);
  g_free (pull);
}

/* Adds outbox entries written since the last look (inside the page's transaction). */
static gboolean
pull_refresh_pending (PdSyncPull  *pull,
                      GError     **error)
{
  g_autoptr(PdStmt) stmt = _pd_store_prepare (pull->store, "SELECT seq, collection, record_id "
                                              "FROM change_log WHERE seq > ?1 ORDER BY seq",
                                              error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, pull->pending_seq);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      pull->pending_seq = sqlite3_column_int64 (stmt, 0);
      g_hash_table_add (pull->pending,
                        record_key (_pd_stmt_text (stmt, 1), _pd_stmt_text (stmt, 2)));
    }
  if (rc != SQLITE_DONE)
    {
      _pd_store_set_error (pull->store, rc, error);
      return FALSE;
    }
  return TRUE;
}

static const char *
pull_user_name (PdSyncPull *pull,
                const char *id)
{
  const char *name;

  if (id == NULL)
    return NULL;
  name = g_hash_table_lookup (pull->names, id);
  if (name == NULL)
    {
      char *found = user_name (pull->store, id);

      name = found ? found : g_strdup ("");
      g_hash_table_insert (pull->names, g_strdup (id), (gpointer) name);
    }
  return *name ? name : NULL;
}

static gboolean
any_held (PdStore *self)
{
  return has_row (self, "SELECT 1 FROM sync_conflicts LIMIT 1", NULL, FALSE);
}

static void
stats_touch (PdSyncApplyStats *stats,
             const char       *collection,
             const char       *id)
{
  if (stats == NULL)
    return;
  stats->applied++;
  if (!g_hash_table_contains (stats->collections, collection))
    g_hash_table_add (stats->collections, g_strdup (collection));
  /* Past a few hundred records views reload whole collections instead. */
  if (stats->records->len < 400)
    {
      g_ptr_array_add (stats->records, g_strdup (collection));
      g_ptr_array_add (stats->records, g_strdup (id));
    }
}

/* A pulled record of a held row. */
static gboolean
pull_held (PdSyncPull        *pull,
           PdRecord          *theirs,
           PdSyncApplyStats  *stats,
           GError           **error)
{
  PdStore *self = pull->store;
  const PdRecordType *type = pd_record_get_record_type (theirs);
  const char *id = pd_record_get_id (theirs);
  g_autoptr(GHashTable) held = NULL;
  g_autoptr(PdRecord) row = NULL;
  gboolean released = FALSE;
  g_autofree char *key = NULL;

  if (!absorb_locked (self, type, id, &released, error))
    return FALSE;
  held = read_held (self, type->name, id, error);
  if (held == NULL)
    return FALSE;
  if (g_hash_table_size (held) > 0)
    {
      row = pd_store_get (self, type, id, error);
      if (row == NULL)
        return FALSE;
    }
  if (g_hash_table_size (held) > 0 && pd_record_get_version (theirs) > held_version (held))
    {
      if (!held_take_theirs (self, row, theirs, held,
                             pull_user_name (pull, pd_record_get_updated_by (theirs)), error)
          || !store_held (self, row, held, pd_record_get_version (theirs), &released, error))
        return FALSE;
    }
  stats->conflicts_changed = TRUE;
  stats_touch (stats, type->name, id);
  if (released)
    {
      stats->outbox_added = TRUE;
      key = record_key (type->name, id);
      g_hash_table_add (pull->pending, g_steal_pointer (&key));
    }
  return TRUE;
}

/* Clears the folded names of local live rows other than RECORD that hold its unique names:
 * the local record stays, and its push reports the clash for the user to rename. */
static gboolean
clear_name_clashes (PdStore   *self,
                    PdRecord  *record,
                    gboolean  *cleared,
                    GError   **error)
{
  const PdRecordType *type = pd_record_get_record_type (record);

  for (guint i = 0; i < type->n_fields; i++)
    {
      g_autofree char *sql = NULL;
      g_autofree char *fold = NULL;
      const char *params[3] = { NULL, pd_record_get_id (record), NULL };

      if (!(type->fields[i].flags & PD_FIELD_FLAG_UNIQUE_NOCASE))
        continue;
      fold = _pd_store_fold_text (_pd_record_get_string_index (record, i));
      if (fold == NULL || pd_record_get_deleted (record))
        continue;
      params[0] = fold;
      sql = g_strdup_printf ("UPDATE %s SET %s_fold = NULL WHERE %s_fold = ?1 AND id != ?2 "
                             "AND deleted = 0", type->table, type->fields[i].name,
                             type->fields[i].name);
      if (!_pd_store_exec_bound (self, sql, params, error))
        return FALSE;
      *cleared |= sqlite3_changes (self->db) > 0;
    }
  return TRUE;
}

/* The live local row other than RECORD in the same cell of a partial unique index
 * ("... (institution_id, examination_id) WHERE deleted = 0"), or NULL. */
static PdRecord *
cell_clash (PdStore  *self,
            PdRecord *record)
{
  const PdRecordType *type = pd_record_get_record_type (record);
  static const char *const cells[][4] = {
    { "examination_price", "institution_id", "examination_id", NULL },
    { "activation", "institution_id", "partner_id", "examination_id" },
    { "benefit", "partner_id", "examination_id", NULL },
  };

  for (guint c = 0; c < G_N_ELEMENTS (cells); c++)
    {
      g_autoptr(GString) sql = NULL;
      g_autoptr(PdStmt) stmt = NULL;
      guint n = 0;

      if (strcmp (cells[c][0], type->name) != 0)
        continue;
      sql = g_string_new (NULL);
      g_string_printf (sql, "SELECT id FROM %s WHERE deleted = 0 AND id != ?1", type->table);
      for (guint k = 1; k < 4 && cells[c][k]; k++)
        g_string_append_printf (sql, " AND %s IS ?%u", cells[c][k], ++n + 1);
      stmt = _pd_store_prepare (self, sql->str, NULL);
      if (stmt == NULL)
        return NULL;
      sqlite3_bind_text (stmt, 1, pd_record_get_id (record), -1, SQLITE_STATIC);
      for (guint k = 1; k < 4 && cells[c][k]; k++)
        sqlite3_bind_text (stmt, (int) k + 1, pd_record_get_string (record, cells[c][k]), -1,
                           SQLITE_STATIC);
      if (sqlite3_step (stmt) == SQLITE_ROW)
        return pd_store_get (self, type, _pd_stmt_text (stmt, 0), NULL);
    }
  return NULL;
}

/* Two desktops made the same cell offline: the local record gives way to the server's,
 * its values become conflicts of the server's record (base unknown), so the user keeps
 * or drops them; the local row (never pushed: nothing refers to a cell) and its outbox
 * entries are removed. */
static gboolean
fold_cell_clash (PdStore   *self,
                 PdRecord  *record,
                 PdRecord  *local,
                 GError   **error)
{
  const PdRecordType *type = pd_record_get_record_type (record);
  const char *params[] = { pd_record_get_id (local), NULL };
  g_autoptr(GHashTable) held = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                      held_field_free);
  g_autofree char *sql = g_strdup_printf ("DELETE FROM %s WHERE id = ?1", type->table);

  for (guint i = 0; i < type->n_fields; i++)
    {
      g_autofree char *mine = dup_canon (local, i);
      g_autofree char *theirs = dup_canon (record, i);
      HeldField *h;

      if (g_strcmp0 (mine, theirs) == 0 || (type->fields[i].flags & PD_FIELD_FLAG_READ_ONLY))
        continue;
      h = g_new0 (HeldField, 1);
      h->mine = g_steal_pointer (&mine);
      h->theirs = g_steal_pointer (&theirs);
      g_hash_table_insert (held, g_strdup (type->fields[i].name), h);
      set_canon (record, i, h->mine);
    }
  if (!delete_changes_of (self, type->name, pd_record_get_id (local), error))
    return FALSE;
  if (!_pd_store_exec_bound (self, sql, params, error))
    return FALSE;
  return g_hash_table_size (held) == 0
         || write_held (self, type->name, pd_record_get_id (record), held,
                        pd_record_get_version (record), error);
}

/* A pulled RECORD clashes with a unique value of a local row: make room for it. */
static gboolean
resolve_unique_clash (PdStore   *self,
                      PdRecord  *record,
                      GError   **error)
{
  const PdRecordType *type = pd_record_get_record_type (record);
  g_autoptr(PdRecord) local = NULL;
  gboolean cleared = FALSE;

  if (!clear_name_clashes (self, record, &cleared, error))
    return FALSE;
  if (cleared)
    return TRUE;
  local = cell_clash (self, record);
  if (local)
    return fold_cell_clash (self, record, local, error);
  g_set_error (error, PD_ERROR, PD_ERROR_DATABASE,
               _("The server’s %s “%s” clashes with a local record"), type->name,
               pd_record_get_title (record));
  return FALSE;
}

/* The upsert of TYPE, prepared once per pull (hashing its SQL per row costs). */
static PdStmt *
pull_upsert (PdSyncPull         *pull,
             const PdRecordType *type)
{
  PdStmt *stmt = g_hash_table_lookup (pull->upserts, type);

  if (stmt == NULL)
    {
      stmt = _pd_store_prepare_upsert (pull->store, type, NULL);
      if (stmt)
        g_hash_table_insert (pull->upserts, (gpointer) type, stmt);
    }
  return stmt;
}

static gboolean
write_pulled_row (PdSyncPull  *pull,
                  PdRecord    *record,
                  GError     **error)
{
  PdStore *self = pull->store;
  PdStmt *upsert = pull_upsert (pull, pd_record_get_record_type (record));
  int rc = _pd_store_write_row_rc (self, upsert, record);

  if (rc == SQLITE_CONSTRAINT_UNIQUE)
    {
      if (!resolve_unique_clash (self, record, error))
        return FALSE;
      rc = _pd_store_write_row_rc (self, upsert, record);
    }
  if (rc != SQLITE_DONE)
    {
      _pd_store_set_error (self, rc, error);
      return FALSE;
    }
  return TRUE;
}

/* The local version of a person, or -1 when there is none. */
static gint64
local_version (PdStore            *self,
               const PdRecordType *type,
               const char         *id)
{
  g_autoptr(PdStmt) stmt = _pd_store_prepare (self, row_sql (type)->version_of, NULL);

  if (stmt == NULL)
    return -1;
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
  return sqlite3_step (stmt) == SQLITE_ROW ? sqlite3_column_int64 (stmt, 0) : -1;
}

/* People: no audit (as the import), and no lookup in a table the pull started empty. */
static gboolean
pull_person (PdSyncPull        *pull,
             PdRecord          *record,
             PdSyncApplyStats  *stats,
             GError           **error)
{
  if (!g_hash_table_contains (pull->fresh, &pd_person_type)
      && local_version (pull->store, &pd_person_type, pd_record_get_id (record))
           >= pd_record_get_version (record))
    return TRUE;
  if (!write_pulled_row (pull, record, error))
    return FALSE;
  stats_touch (stats, "person", pd_record_get_id (record));
  return TRUE;
}

static gboolean
pull_record (PdSyncPull        *pull,
             PdRecord          *record,
             gboolean           held_any,
             PdSyncApplyStats  *stats,
             GError           **error)
{
  const PdRecordType *type = pd_record_get_record_type (record);
  const char *id = pd_record_get_id (record);
  g_autoptr(PdRecord) old = NULL;
  g_autoptr(GError) local_error = NULL;

  if (held_any && pd_store_sync_is_held (pull->store, type->name, id))
    return pull_held (pull, record, stats, error);
  if (g_hash_table_size (pull->pending) > 0)
    {
      g_autofree char *key = record_key (type->name, id);

      if (g_hash_table_contains (pull->pending, key))
        {
          stats->skipped++;
          return TRUE;
        }
    }
  if (type == &pd_person_type)
    return pull_person (pull, record, stats, error);
  old = _pd_store_load_record (pull->store, type, id, &local_error);
  if (local_error)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (old && pd_record_get_version (old) >= pd_record_get_version (record))
    return TRUE;
  if (!write_pulled_row (pull, record, error)
      || !audit_remote_changes (pull->store, old, record,
                                pull_user_name (pull, pd_record_get_updated_by (record)), error))
    return FALSE;
  /* A renamed user: names looked up before are stale. */
  if (type == &pd_practice_user_type || type == &pd_partner_user_type)
    g_hash_table_remove (pull->names, id);
  stats_touch (stats, type->name, id);
  return TRUE;
}

static gboolean
pull_page_locked (PdSyncPull        *pull,
                  GPtrArray         *records,
                  gint64             cursor,
                  PdSyncApplyStats  *stats,
                  GError           **error)
{
  g_autofree char *cursor_text = g_strdup_printf ("%" G_GINT64_FORMAT, cursor);
  gboolean held_any;

  if (!pull_refresh_pending (pull, error))
    return FALSE;
  held_any = any_held (pull->store);
  for (guint i = 0; i < records->len; i++)
    if (!pull_record (pull, g_ptr_array_index (records, i), held_any, stats, error))
      return FALSE;
  return pd_store_set_setting (pull->store, PD_SYNC_KEY_CURSOR, cursor_text, error);
}

gboolean
pd_sync_pull_apply_page (PdSyncPull        *pull,
                         GPtrArray         *records,
                         gint64             cursor,
                         PdSyncApplyStats  *stats,
                         GError           **error)
{
  g_return_val_if_fail (pull != NULL && records != NULL && stats != NULL, FALSE);

  return _pd_store_begin (pull->store, error)
         && _pd_store_finish (pull->store,
                              pull_page_locked (pull, records, cursor, stats, error), error);
}

void
pd_sync_apply_stats_init (PdSyncApplyStats *stats)
{
  memset (stats, 0, sizeof *stats);
  stats->collections = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  stats->records = g_ptr_array_new_with_free_func (g_free);
}

void
pd_sync_apply_stats_clear (PdSyncApplyStats *stats)
{
  g_clear_pointer (&stats->collections, g_hash_table_unref);
  g_clear_pointer (&stats->records, g_ptr_array_unref);
}

gboolean
pd_store_sync_table_is_empty (PdStore            *self,
                              const PdRecordType *type)
{
  g_autofree char *sql = g_strdup_printf ("SELECT 1 FROM %s LIMIT 1", type->table);
  g_autoptr(PdStmt) stmt = _pd_store_prepare (self, sql, NULL);

  return stmt != NULL && sqlite3_step (stmt) == SQLITE_DONE;
}

/* Drops, or creates when missing, every index of the persons table; one transaction. */
static gboolean
apply_person_indexes (PdStore   *self,
                      gboolean   drop,
                      GError   **error)
{
  gboolean ok = TRUE;

  if (!_pd_store_begin (self, error))
    return FALSE;
  for (guint i = 0; ok && _pd_store_person_indexes[i][0]; i++)
    {
      /* "CREATE INDEX name" -> "CREATE INDEX IF NOT EXISTS name" */
      const char *create = _pd_store_person_indexes[i][1];
      g_autofree char *sql = drop ? g_strdup_printf ("DROP INDEX IF EXISTS %s",
                                                     _pd_store_person_indexes[i][0])
                                  : g_strdup_printf ("CREATE INDEX IF NOT EXISTS %s",
                                                     create + strlen ("CREATE INDEX "));

      ok = _pd_store_exec (self, sql, error);
    }
  return _pd_store_finish (self, ok, error);
}

gboolean
pd_store_sync_drop_person_indexes (PdStore  *self,
                                   GError  **error)
{
  return apply_person_indexes (self, TRUE, error);
}

static gboolean
person_indexes_present (PdStore *self)
{
  g_autoptr(PdStmt) stmt = _pd_store_prepare (self, "SELECT count(*) FROM sqlite_master "
                                              "WHERE type = 'index' AND tbl_name = 'persons' "
                                              "AND name IN (?1, ?2, ?3, ?4)", NULL);
  int n = 0;

  if (stmt == NULL)
    return FALSE;
  for (; n < 4 && _pd_store_person_indexes[n][0]; n++)
    sqlite3_bind_text (stmt, n + 1, _pd_store_person_indexes[n][0], -1, SQLITE_STATIC);
  g_assert (_pd_store_person_indexes[n][0] == NULL);
  return sqlite3_step (stmt) == SQLITE_ROW && sqlite3_column_int (stmt, 0) == n;
}

gboolean
pd_store_sync_ensure_person_indexes (PdStore  *self,
                                     GError  **error)
{
  /* The usual case takes no write lock (an import may hold it for a while). */
  return person_indexes_present (self) || apply_person_indexes (self, FALSE, error);
}

/* Push */

gboolean
pd_store_sync_ensure_outbox_index (PdStore  *self,
                                   GError  **error)
{
  g_autoptr(PdStmt) stmt = NULL;

  g_return_val_if_fail (PD_IS_STORE (self), FALSE);

  stmt = _pd_store_prepare (self, "SELECT 1 FROM sqlite_master WHERE type = 'index' "
                            "AND name = 'change_log_record'", error);
  if (stmt == NULL)
    return FALSE;
  /* The usual case takes no write lock. */
  if (sqlite3_step (stmt) == SQLITE_ROW)
    return TRUE;
  return _pd_store_begin (self, error)
         && _pd_store_finish (self, _pd_store_exec (self, "CREATE INDEX IF NOT EXISTS "
                                                    "change_log_record ON change_log "
                                                    "(collection, record_id)", error),
                              error);
}

GPtrArray *
pd_store_sync_list_upload_changes (PdStore  *self,
                                   GError  **error)
{
  g_autoptr(PdStmt) stmt = NULL;

  g_return_val_if_fail (PD_IS_STORE (self), NULL);

  stmt = _pd_store_prepare (self, "SELECT " PD_STORE_CHANGE_COLUMNS " FROM change_log "
                            "WHERE collection = 'upload' ORDER BY seq", error);
  return stmt ? _pd_store_read_changes (self, stmt, error) : NULL;
}

char *
pd_store_sync_person_upload (PdStore    *self,
                             const char *person_id)
{
  g_autoptr(PdStmt) stmt = NULL;

  g_return_val_if_fail (PD_IS_STORE (self), NULL);

  stmt = _pd_store_prepare (self, "SELECT upload_id FROM persons WHERE id = ?1", NULL);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, person_id, -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return NULL;
  return g_strdup (_pd_stmt_text (stmt, 0));
}

char *
pd_store_sync_change_body (PdStore   *self,
                           PdChange  *change,
                           GError   **error)
{
  const PdRecordType *type = pd_record_type_lookup (change->collection);
  g_autoptr(PdRecord) row = NULL;
  g_autofree char *body = NULL;
  const char *params[3] = { NULL, change->key, NULL };

  g_return_val_if_fail (PD_IS_STORE (self), NULL);

  if (!payload_is_compact (change->payload) || type == NULL)
    return g_strdup (change->payload);
  row = pd_store_get (self, type, change->record_id, error);
  if (row == NULL)
    return NULL;
  set_meta (row, change->base_version + 1, pd_record_get_updated_at (row),
            pd_record_get_updated_by (row));
  set_deleted_flag (row, change->deleted);
  body = _pd_store_record_json_text (row);
  params[0] = body;
  if (!_pd_store_exec_bound (self, "UPDATE change_log SET payload = ?1 WHERE key = ?2", params,
                             error))
    return NULL;
  g_free (change->payload);
  change->payload = g_strdup (body);
  return g_steal_pointer (&body);
}

static gboolean
has_changes_of (PdStore    *self,
                const char *collection,
                const char *id)
{
  const char *params[] = { collection, id, NULL };

  return has_row (self, "SELECT 1 FROM change_log WHERE collection = ?1 AND record_id = ?2 "
                  "LIMIT 1", params, TRUE);
}

static gboolean
accept_locked (PdStore   *self,
               PdChange  *change,
               PdRecord  *answer,
               GError   **error)
{
  const char *params[] = { change->key, NULL };
  const PdRecordType *type = pd_record_type_lookup (change->collection);
  g_autoptr(PdRecord) row = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *who = NULL;

  if (!_pd_store_exec_bound (self, "DELETE FROM change_log WHERE key = ?1", params, error))
    return FALSE;
  if (answer == NULL || type == NULL
      || has_changes_of (self, change->collection, change->record_id)
      || pd_store_sync_is_held (self, change->collection, change->record_id))
    return TRUE;
  row = _pd_store_load_record (self, type, change->record_id, &local_error);
  if (local_error)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  /* Nothing of mine is pending: the server's answer is the record (its version even when
   * the write changed nothing there). */
  who = user_name (self, pd_record_get_updated_by (answer));
  /* The server's answer: its times, and any value it normalised. */
  return _pd_store_write_row (self, answer, error)
         && (row == NULL || audit_remote_changes (self, row, answer, who, error));
}

gboolean
pd_store_sync_accept (PdStore   *self,
                      PdChange  *change,
                      PdRecord  *answer,
                      GError   **error)
{
  g_return_val_if_fail (PD_IS_STORE (self), FALSE);
  g_return_val_if_fail (change != NULL, FALSE);

  return _pd_store_begin (self, error)
         && _pd_store_finish (self, accept_locked (self, change, answer, error), error);
}

typedef struct {
  PdStore            *store;
  const PdRecordType *type;
  PdRecord           *mine;    /* the local row */
  PdRecord           *theirs;
  PdRecord           *merged;  /* starts as theirs */
  GHashTable         *held;    /* every field where merged differs from theirs */
  guint               n_conflicts;
  const char         *who;     /* name of theirs' updated_by */
} Merge;

static gboolean
merge_field (Merge         *m,
             LocalChanges  *lc,
             guint          i,
             GError       **error)
{
  g_autofree char *t = dup_canon (m->theirs, i);
  g_autofree char *mine = dup_canon (m->mine, i);
  const char *base = local_changes_base (lc, i);
  gboolean deleted_field = i == m->type->n_fields;
  HeldField *h;

  if (g_strcmp0 (mine, t) == 0)
    return TRUE;
  if (!local_changes_has (lc, i))
    /* Changed on their side only: the row takes theirs. */
    return audit_field (m->store, m->mine, i, pd_record_get_updated_at (m->theirs), m->who,
                        PD_SYNC_AUDIT_ADDRESS, mine, t, error);
  set_canon (m->merged, i, mine);
  h = g_new0 (HeldField, 1);
  h->mine = g_steal_pointer (&mine);
  h->theirs = g_strdup (t);
  /* Changed on my side only (or a delete or restore, which wins): mine. */
  if ((!lc->unknown && g_strcmp0 (t, base) == 0) || deleted_field)
    h->base = g_strdup (t);
  else
    {
      h->base = lc->unknown ? NULL : g_strdup (base);
      m->n_conflicts += held_is_conflict (h);
    }
  g_hash_table_insert (m->held, g_strdup (field_name (m->type, i)), h);
  return TRUE;
}

static gboolean
merge_locked (PdStore   *self,
              PdChange  *change,
              PdRecord  *theirs,
              gboolean  *requeued,
              guint     *n_conflicts,
              GError   **error)
{
  const PdRecordType *type = pd_record_get_record_type (theirs);
  const char *id = pd_record_get_id (theirs);
  g_autoptr(GPtrArray) changes = changes_of (self, type->name, id, error);
  g_autoptr(PdRecord) mine = NULL;
  g_autoptr(PdRecord) merged = pd_record_copy (theirs);
  g_autoptr(GHashTable) held = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                      held_field_free);
  g_autofree char *who = user_name (self, pd_record_get_updated_by (theirs));
  g_auto(LocalChanges) lc = { 0 };
  gint64 version = pd_record_get_version (theirs);
  Merge m = { self, type, NULL, theirs, merged, held, 0, who };
  const char *created_at;
  gint64 audit_seq;
  g_autofree char *now = pd_timestamp_now ();
  g_autoptr(GError) local_error = NULL;

  if (changes == NULL)
    return FALSE;
  mine = _pd_store_load_record (self, type, id, &local_error);
  if (local_error)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (changes->len == 0 || mine == NULL)
    /* Nothing of mine left (already merged): the server's record stands. */
    return _pd_store_write_row (self, theirs, error);
  if (!read_local_changes (self, type, id, changes, &lc, error))
    return FALSE;
  m.mine = mine;
  for (guint i = 0; i <= type->n_fields; i++)
    if (!merge_field (&m, &lc, i, error))
      return FALSE;
  created_at = ((PdChange *) g_ptr_array_index (changes, 0))->created_at;
  audit_seq = ((PdChange *) g_ptr_array_index (changes, 0))->audit_seq;
  if (!delete_changes_of (self, type->name, id, error))
    return FALSE;
  *n_conflicts = m.n_conflicts;
  if (m.n_conflicts > 0)
    return _pd_store_write_row (self, merged, error)
           && write_held (self, type->name, id, held, version, error);
  if (g_hash_table_size (held) == 0)
    return _pd_store_write_row (self, merged, error);
  /* Mine on top of theirs, pushed again; audit_seq (and created_at) of the first change keep its audit
   * rows the local changes of a later merge. */
  set_meta (merged, version + 1, now, pd_store_get_actor (self));
  *requeued = TRUE;
  return _pd_store_write_row (self, merged, error)
         && _pd_store_write_change (self, merged, version,
                                    pd_record_get_deleted (merged)
                                      && !pd_record_get_deleted (theirs),
                                    created_at, audit_seq, error);
}

gboolean
pd_store_sync_merge (PdStore   *self,
                     PdChange  *change,
                     PdRecord  *theirs,
                     gboolean  *requeued,
                     guint     *n_conflicts,
                     GError   **error)
{
  gboolean requeued_ = FALSE;
  guint n = 0;

  g_return_val_if_fail (PD_IS_STORE (self), FALSE);
  g_return_val_if_fail (change != NULL && PD_IS_RECORD (theirs), FALSE);

  if (!_pd_store_begin (self, error)
      || !_pd_store_finish (self, merge_locked (self, change, theirs, &requeued_, &n, error),
                            error))
    return FALSE;
  if (requeued)
    *requeued = requeued_;
  if (n_conflicts)
    *n_conflicts = n;
  return TRUE;
}

static gboolean
squash_locked (PdStore   *self,
               PdChange  *change,
               gboolean  *squashed,
               GError   **error)
{
  const PdRecordType *type = pd_record_type_lookup (change->collection);
  g_autoptr(GPtrArray) changes = changes_of (self, change->collection, change->record_id, error);
  g_autoptr(PdRecord) row = NULL;
  gboolean deletes = FALSE;
  PdChange *first;

  if (changes == NULL)
    return FALSE;
  if (changes->len < 2 || type == NULL)
    return TRUE;
  row = pd_store_get (self, type, change->record_id, error);
  if (row == NULL)
    return FALSE;
  first = g_ptr_array_index (changes, 0);
  for (guint i = 0; i < changes->len; i++)
    deletes |= ((PdChange *) g_ptr_array_index (changes, i))->deleted;
  set_meta (row, first->base_version + 1, pd_record_get_updated_at (row),
            pd_record_get_updated_by (row));
  *squashed = TRUE;
  return delete_changes_of (self, change->collection, change->record_id, error)
         && _pd_store_write_row (self, row, error)
         && _pd_store_write_change (self, row, first->base_version,
                                    deletes && pd_record_get_deleted (row)
                                      && first->base_version > 0,
                                    first->created_at, first->audit_seq, error);
}

gboolean
pd_store_sync_squash (PdStore   *self,
                      PdChange  *change,
                      gboolean  *squashed,
                      GError   **error)
{
  gboolean done = FALSE;

  g_return_val_if_fail (PD_IS_STORE (self), FALSE);

  if (!_pd_store_begin (self, error)
      || !_pd_store_finish (self, squash_locked (self, change, &done, error), error))
    return FALSE;
  if (squashed)
    *squashed = done;
  return TRUE;
}

/* Conflicts */

void
pd_conflict_row_free (PdConflictRow *row)
{
  if (row == NULL)
    return;
  g_free (row->collection);
  g_free (row->record_id);
  g_free (row->field);
  g_free (row->base_value);
  g_free (row->mine);
  g_free (row->theirs);
  g_free (row);
}

GPtrArray *
pd_store_sync_list_conflicts (PdStore  *self,
                              GError  **error)
{
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) pd_conflict_row_free);
  g_autoptr(PdStmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (PD_IS_STORE (self), NULL);

  stmt = _pd_store_prepare (self, "SELECT collection, record_id, field, base_value, mine, theirs, "
                            "their_version FROM sync_conflicts WHERE base_value IS NOT theirs "
                            "ORDER BY collection, record_id, field", error);
  if (stmt == NULL)
    return NULL;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      PdConflictRow *row = g_new0 (PdConflictRow, 1);

      row->collection = g_strdup (_pd_stmt_text (stmt, 0));
      row->record_id = g_strdup (_pd_stmt_text (stmt, 1));
      row->field = g_strdup (_pd_stmt_text (stmt, 2));
      row->base_value = g_strdup (_pd_stmt_text (stmt, 3));
      row->mine = g_strdup (_pd_stmt_text (stmt, 4));
      row->theirs = g_strdup (_pd_stmt_text (stmt, 5));
      row->their_version = sqlite3_column_int64 (stmt, 6);
      g_ptr_array_add (rows, row);
    }
  if (rc != SQLITE_DONE)
    {
      _pd_store_set_error (self, rc, error);
      return NULL;
    }
  return g_steal_pointer (&rows);
}

guint
pd_store_sync_count_conflicts (PdStore *self)
{
  g_autoptr(PdStmt) stmt = NULL;

  g_return_val_if_fail (PD_IS_STORE (self), 0);

  stmt = _pd_store_prepare (self, "SELECT count(*) FROM sync_conflicts "
                            "WHERE base_value IS NOT theirs", NULL);
  if (stmt == NULL || sqlite3_step (stmt) != SQLITE_ROW)
    return 0;
  return (guint) sqlite3_column_int64 (stmt, 0);
}

static gboolean
resolve_locked (PdStore             *self,
                const PdRecordType  *type,
                const char          *id,
                const char          *field,
                gboolean             keep_mine,
                gboolean            *released,
                GError             **error)
{
  g_autoptr(GHashTable) held = NULL;
  g_autoptr(PdRecord) row = NULL;
  HeldField *h;
  gint i = field_index (type, field);

  if (!absorb_locked (self, type, id, released, error))
    return FALSE;
  held = read_held (self, type->name, id, error);
  if (held == NULL)
    return FALSE;
  h = g_hash_table_lookup (held, field);
  if (h == NULL || !held_is_conflict (h) || i < 0)
    {
      g_set_error (error, PD_ERROR, PD_ERROR_NOT_FOUND,
                   _("This conflict was already resolved"));
      return FALSE;
    }
  row = pd_store_get (self, type, id, error);
  if (row == NULL)
    return FALSE;
  if (keep_mine)
    {
      /* Mine, over theirs: a change of mine only from now on. */
      g_free (h->base);
      h->base = g_strdup (h->theirs);
    }
  else
    {
      g_autofree char *current = dup_canon (row, (guint) i);
      g_autofree char *now = pd_timestamp_now ();

      set_canon (row, (guint) i, h->theirs);
      if (!audit_field (self, row, (guint) i, now, _pd_store_get_actor_name (self),
                        PD_SYNC_AUDIT_ADDRESS, current, h->theirs, error))
        return FALSE;
      g_hash_table_remove (held, field);
    }
  return store_held (self, row, held, held_version (held) ? held_version (held)
                                                          : pd_record_get_version (row),
                     released, error);
}

gboolean
pd_store_sync_resolve (PdStore    *self,
                       const char *collection,
                       const char *record_id,
                       const char *field,
                       gboolean    keep_mine,
                       GError    **error)
{
  const PdRecordType *type = pd_record_type_lookup (collection ? collection : "");
  gboolean released = FALSE;

  g_return_val_if_fail (PD_IS_STORE (self), FALSE);
  g_return_val_if_fail (record_id != NULL && field != NULL, FALSE);

  if (type == NULL)
    {
      g_set_error (error, PD_ERROR, PD_ERROR_NOT_FOUND, _("The record no longer exists"));
      return FALSE;
    }
  if (!_pd_store_begin (self, error)
      || !_pd_store_finish (self, resolve_locked (self, type, record_id, field, keep_mine,
                                                  &released, error),
                            error))
    return FALSE;
  g_signal_emit_by_name (self, "record-changed", type->name, record_id);
  return TRUE;
}

/* Sign-in */

static gboolean
repoint_references (PdStore     *self,
                    const char  *old_id,
                    const char  *new_id,
                    GError     **error)
{
  const char *params[] = { new_id, old_id, NULL };
  const PdRecordType *types[] = {
    &pd_partner_type, &pd_institution_type, &pd_partner_user_type, &pd_practice_user_type,
    &pd_upload_type, &pd_examination_type, &pd_examination_price_type, &pd_activation_type,
    &pd_booking_type, &pd_commission_rate_type, &pd_benefit_type,
  };

  for (guint t = 0; t < G_N_ELEMENTS (types); t++)
    for (guint i = 0; i < types[t]->n_fields; i++)
      {
        const PdField *f = &types[t]->fields[i];
        g_autofree char *sql = NULL;

        if (f->ref_type != &pd_practice_user_type)
          continue;
        if (f->type == PD_FIELD_REF_LIST)
          sql = g_strdup_printf ("UPDATE %s SET %s = replace (%s, ?2, ?1) WHERE instr (%s, ?2) > 0",
                                 types[t]->table, f->name, f->name, f->name);
        else
          sql = g_strdup_printf ("UPDATE %s SET %s = ?1 WHERE %s = ?2", types[t]->table, f->name,
                                 f->name);
        if (!_pd_store_exec_bound (self, sql, params, error))
          return FALSE;
      }
  /* Pending payloads name it too (owner_id, updated_by). */
  return _pd_store_exec_bound (self, "UPDATE change_log SET payload = replace (payload, ?2, ?1) "
                               "WHERE instr (payload, ?2) > 0", params, error);
}

static gboolean
ensure_user_row (PdStore     *self,
                 const char  *user_id,
                 const char  *name,
                 const char  *email,
                 const char  *permissions,
                 GError     **error)
{
  g_autoptr(PdRecord) user = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *now = NULL;

  user = pd_store_get (self, &pd_practice_user_type, user_id, &local_error);
  if (user)
    return TRUE;
  if (!g_error_matches (local_error, PD_ERROR, PD_ERROR_NOT_FOUND))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  /* Version 0: any version pulled later replaces it; never pushed. */
  now = pd_timestamp_now ();
  user = _pd_record_new_empty (&pd_practice_user_type);
  _pd_record_set_meta (user, user_id, 0, now, now, user_id, FALSE);
  pd_record_set_string (user, "name", name);
  pd_record_set_string (user, "email", email);
  pd_record_set_string (user, "permissions", permissions);
  return _pd_store_write_row (self, user, error);
}

static gboolean
adopt_locked (PdStore     *self,
              const char  *user_id,
              const char  *name,
              const char  *email,
              const char  *permissions,
              GError     **error)
{
  const char *local = pd_store_get_local_user_id (self);
  const char *params[] = { local, NULL };
  g_autoptr(PdRecord) local_user = NULL;
  g_autoptr(GError) local_error = NULL;

  if (!ensure_user_row (self, user_id, name, email, permissions, error))
    return FALSE;
  if (local == NULL || g_strcmp0 (local, user_id) == 0)
    return TRUE;
  local_user = _pd_store_load_record (self, &pd_practice_user_type, local, &local_error);
  if (local_error)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (local_user == NULL || pd_record_get_deleted (local_user))
    return TRUE;
  return _pd_store_exec_bound (self, "DELETE FROM change_log WHERE collection = 'practice_user' "
                               "AND record_id = ?1", params, error)
         && repoint_references (self, local, user_id, error)
         && _pd_store_exec_bound (self, "UPDATE practice_users SET deleted = 1 WHERE id = ?1",
                                  params, error);
}

gboolean
pd_store_sync_adopt_user (PdStore     *self,
                          const char  *user_id,
                          const char  *name,
                          const char  *email,
                          const char  *permissions,
                          GError     **error)
{
  g_return_val_if_fail (PD_IS_STORE (self), FALSE);
  g_return_val_if_fail (user_id != NULL, FALSE);

  return _pd_store_begin (self, error)
         && _pd_store_finish (self, adopt_locked (self, user_id, name, email, permissions, error),
                              error);
}

gint64
pd_store_sync_count_outbox (PdStore *self)
{
  g_autoptr(PdStmt) stmt = NULL;

  g_return_val_if_fail (PD_IS_STORE (self), 0);

  stmt = _pd_store_prepare (self, "SELECT count(*) FROM change_log", NULL);
  if (stmt == NULL || sqlite3_step (stmt) != SQLITE_ROW)
    return 0;
  return sqlite3_column_int64 (stmt, 0);
}

/* The changes page: a small streaming parser (json-glib's tree costs most of a big pull). */

typedef struct {
  const char *p;
  const char *end;
  GString    *text;   /* the last string read, unescaped */
  GPtrArray  *strv;   /* REF_LIST elements */
} Json;

static void
json_skip_ws (Json *j)
{
  while (j->p < j->end && (*j->p == ' ' || *j->p == '\n' || *j->p == '\r' || *j->p == '\t'))
    j->p++;
}

static gboolean
json_eat (Json *j,
          char  c)
{
  json_skip_ws (j);
  if (j->p < j->end && *j->p == c)
    {
      j->p++;
      return TRUE;
    }
  return FALSE;
}

static gboolean
json_literal (Json       *j,
              const char *word)
{
  gsize n = strlen (word);

  if ((gsize) (j->end - j->p) < n || memcmp (j->p, word, n) != 0)
    return FALSE;
  j->p += n;
  return TRUE;
}

static int
hex_value (char c)
{
  return g_ascii_xdigit_value (c);
}

static gboolean
json_hex4 (Json     *j,
           gunichar *out)
{
  *out = 0;
  if (j->end - j->p < 4)
    return FALSE;
  for (int i = 0; i < 4; i++)
    {
      int v = hex_value (j->p[i]);

      if (v < 0)
        return FALSE;
      *out = (*out << 4) | (gunichar) v;
    }
  j->p += 4;
  return TRUE;
}

static gboolean
json_escape (Json *j)
{
  gunichar c, low;

  switch (*j->p++)
    {
    case '"': g_string_append_c (j->text, '"'); return TRUE;
    case '\\': g_string_append_c (j->text, '\\'); return TRUE;
    case '/': g_string_append_c (j->text, '/'); return TRUE;
    case 'b': g_string_append_c (j->text, '\b'); return TRUE;
    case 'f': g_string_append_c (j->text, '\f'); return TRUE;
    case 'n': g_string_append_c (j->text, '\n'); return TRUE;
    case 'r': g_string_append_c (j->text, '\r'); return TRUE;
    case 't': g_string_append_c (j->text, '\t'); return TRUE;
    case 'u':
      if (!json_hex4 (j, &c))
        return FALSE;
      if (c >= 0xd800 && c < 0xdc00)
        {
          if (!json_literal (j, "\\u") || !json_hex4 (j, &low) || low < 0xdc00 || low > 0xdfff)
            return FALSE;
          c = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
        }
      if (c == 0 || (c >= 0xdc00 && c < 0xe000))
        return FALSE;
      g_string_append_unichar (j->text, c);
      return TRUE;
    default:
      return FALSE;
    }
}

/* A string into j->text. */
static gboolean
json_string (Json *j)
{
  json_skip_ws (j);
  if (j->p >= j->end || *j->p != '"')
    return FALSE;
  j->p++;
  g_string_truncate (j->text, 0);
  while (j->p < j->end)
    {
      const char *run = j->p;

      while (j->p < j->end && *j->p != '"' && *j->p != '\\' && (guchar) *j->p >= 0x20)
        j->p++;
      g_string_append_len (j->text, run, j->p - run);
      if (j->p >= j->end || (guchar) *j->p < 0x20)
        return FALSE;
      if (*j->p == '"')
        {
          j->p++;
          return TRUE;
        }
      j->p++;
      if (j->p >= j->end || !json_escape (j))
        return FALSE;
    }
  return FALSE;
}

static gboolean
json_int (Json   *j,
          gint64 *value)
{
  char *end = NULL;

  json_skip_ws (j);
  if (j->p >= j->end || !(g_ascii_isdigit (*j->p) || *j->p == '-'))
    return FALSE;
  *value = g_ascii_strtoll (j->p, &end, 10);
  if (end == j->p || end > j->end || *end == '.' || *end == 'e' || *end == 'E')
    return FALSE;
  j->p = end;
  return TRUE;
}

static gboolean json_skip_value (Json *j, guint depth);

static gboolean
json_skip_container (Json  *j,
                     char   close,
                     guint  depth)
{
  if (json_eat (j, close))
    return TRUE;
  do
    {
      if (close == '}' && (!json_string (j) || !json_eat (j, ':')))
        return FALSE;
      if (!json_skip_value (j, depth + 1))
        return FALSE;
    }
  while (json_eat (j, ','));
  return json_eat (j, close);
}

static gboolean
json_skip_value (Json  *j,
                 guint  depth)
{
  gint64 number;

  json_skip_ws (j);
  if (j->p >= j->end || depth > 64)
    return FALSE;
  switch (*j->p)
    {
    case '"': return json_string (j);
    case '{': j->p++; return json_skip_container (j, '}', depth);
    case '[': j->p++; return json_skip_container (j, ']', depth);
    case 't': return json_literal (j, "true");
    case 'f': return json_literal (j, "false");
    case 'n': return json_literal (j, "null");
    default:
      if (!json_int (j, &number))
        {
          /* A fraction or exponent: not ours, but valid JSON. */
          char *end = NULL;

          g_ascii_strtod (j->p, &end);
          if (end == j->p || end > j->end)
            return FALSE;
          j->p = end;
        }
      return TRUE;
    }
}

/* A nullable string member (meta). */
static gboolean
json_nullable_string (Json  *j,
                      char **out)
{
  json_skip_ws (j);
  g_clear_pointer (out, g_free);
  if (json_literal (j, "null"))
    return TRUE;
  if (!json_string (j))
    return FALSE;
  *out = g_strndup (j->text->str, j->text->len);
  return TRUE;
}

static gboolean
json_bool (Json     *j,
           gboolean *value)
{
  json_skip_ws (j);
  if (json_literal (j, "true"))
    *value = TRUE;
  else if (json_literal (j, "false"))
    *value = FALSE;
  else
    return FALSE;
  return TRUE;
}

/* The value of field I of RECORD. */
static gboolean
json_field (Json     *j,
            PdRecord *record,
            guint     i)
{
  const PdField *f = &pd_record_get_record_type (record)->fields[i];
  gint64 number;
  gboolean flag;

  json_skip_ws (j);
  if (json_literal (j, "null"))
    return TRUE;
  switch (f->type)
    {
    case PD_FIELD_REF_LIST:
      if (!json_eat (j, '['))
        return FALSE;
      g_ptr_array_set_size (j->strv, 0);
      if (!json_eat (j, ']'))
        {
          do
            {
              if (!json_string (j))
                return FALSE;
              g_ptr_array_add (j->strv, g_strndup (j->text->str, j->text->len));
            }
          while (json_eat (j, ','));
          if (!json_eat (j, ']'))
            return FALSE;
        }
      g_ptr_array_add (j->strv, NULL);
      pd_record_set_strv (record, f->name, (const char * const *) j->strv->pdata);
      g_ptr_array_set_size (j->strv, 0);
      return TRUE;
    case PD_FIELD_INT:
    case PD_FIELD_MONEY:
    case PD_FIELD_PERCENT:
    case PD_FIELD_BOOL:
      if (json_bool (j, &flag))
        number = flag;
      else if (!json_int (j, &number))
        return FALSE;
      _pd_record_load_int (record, i, f->type == PD_FIELD_BOOL ? number != 0 : number);
      return TRUE;
    default:
      if (!json_string (j))
        return FALSE;
      _pd_record_load_string (record, i, j->text->str);
      return TRUE;
    }
}

typedef struct {
  char     *id;
  gint64    version;
  char     *created_at;
  char     *updated_at;
  char     *updated_by;
  gboolean  deleted;
} Meta;

static void
meta_clear (Meta *m)
{
  g_free (m->id);
  g_free (m->created_at);
  g_free (m->updated_at);
  g_free (m->updated_by);
  memset (m, 0, sizeof *m);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Meta, meta_clear)

static gboolean
json_meta (Json       *j,
           const char *key,
           Meta       *m,
           gboolean   *known)
{
  *known = TRUE;
  if (strcmp (key, "id") == 0)
    return json_nullable_string (j, &m->id);
  if (strcmp (key, "version") == 0)
    return json_int (j, &m->version);
  if (strcmp (key, "created_at") == 0)
    return json_nullable_string (j, &m->created_at);
  if (strcmp (key, "updated_at") == 0)
    return json_nullable_string (j, &m->updated_at);
  if (strcmp (key, "updated_by") == 0)
    return json_nullable_string (j, &m->updated_by);
  if (strcmp (key, "deleted") == 0)
    return json_bool (j, &m->deleted);
  *known = FALSE;
  return TRUE;
}

/* A record object of TYPE. */
static PdRecord *
json_record (Json               *j,
             const PdRecordType *type)
{
  g_autoptr(PdRecord) record = _pd_record_new_empty (type);
  GHashTable *index = row_sql (type)->index;
  g_auto(Meta) m = { 0 };

  if (!json_eat (j, '{'))
    return NULL;
  if (!json_eat (j, '}'))
    do
      {
        g_autofree char *key = NULL;
        gboolean known;
        guint i;

        if (!json_string (j) || !json_eat (j, ':'))
          return NULL;
        key = g_strndup (j->text->str, j->text->len);
        if (!json_meta (j, key, &m, &known))
          return NULL;
        if (known)
          continue;
        i = GPOINTER_TO_UINT (g_hash_table_lookup (index, key));
        if (i == 0 ? !json_skip_value (j, 1) : !json_field (j, record, i - 1))
          return NULL;
      }
    while (json_eat (j, ','));
  if (!json_eat (j, '}') || m.id == NULL || *m.id == '\0')
    return NULL;
  _pd_record_set_meta (record, m.id, m.version, m.created_at, m.updated_at, m.updated_by,
                       m.deleted);
  return g_steal_pointer (&record);
}

/* One change: its record goes to RECORDS when its collection is known. */
static gboolean
json_change (Json      *j,
             GPtrArray *records)
{
  g_autofree char *collection = NULL;
  const char *record_at = NULL;
  const char *resume;
  const PdRecordType *type;
  PdRecord *record;

  if (!json_eat (j, '{'))
    return FALSE;
  if (!json_eat (j, '}'))
    do
      {
        if (!json_string (j) || !json_eat (j, ':'))
          return FALSE;
        if (strcmp (j->text->str, "collection") == 0)
          {
            if (!json_nullable_string (j, &collection))
              return FALSE;
            continue;
          }
        if (strcmp (j->text->str, "record") == 0)
          {
            json_skip_ws (j);
            record_at = j->p;
          }
        if (!json_skip_value (j, 1))
          return FALSE;
      }
    while (json_eat (j, ','));
  if (!json_eat (j, '}'))
    return FALSE;
  type = collection ? pd_record_type_lookup (collection) : NULL;
  if (type == NULL || record_at == NULL || *record_at != '{')
    return TRUE;
  resume = j->p;
  j->p = record_at;
  record = json_record (j, type);
  j->p = resume;
  if (record == NULL)
    return FALSE;
  g_ptr_array_add (records, record);
  return TRUE;
}

static gboolean
json_page (Json      *j,
           GPtrArray *records,
           gint64    *next,
           gboolean  *more)
{
  if (!json_eat (j, '{'))
    return FALSE;
  if (!json_eat (j, '}'))
    do
      {
        if (!json_string (j) || !json_eat (j, ':'))
          return FALSE;
        if (strcmp (j->text->str, "changes") == 0)
          {
            if (!json_eat (j, '['))
              return FALSE;
            if (!json_eat (j, ']'))
              {
                do
                  if (!json_change (j, records))
                    return FALSE;
                while (json_eat (j, ','));
                if (!json_eat (j, ']'))
                  return FALSE;
              }
          }
        else if (strcmp (j->text->str, "next") == 0)
          {
            if (!json_int (j, next))
              return FALSE;
          }
        else if (strcmp (j->text->str, "more") == 0)
          {
            if (!json_bool (j, more))
              return FALSE;
          }
        else if (!json_skip_value (j, 1))
          return FALSE;
      }
    while (json_eat (j, ','));
  if (!json_eat (j, '}'))
    return FALSE;
  json_skip_ws (j);
  return j->p == j->end;
}

GPtrArray *
pd_sync_parse_changes (const char  *data,
                       gsize        length,
                       gint64      *next,
                       gboolean    *more,
                       GError     **error)
{
  g_autoptr(GPtrArray) records = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GString) text = g_string_sized_new (256);
  g_autoptr(GPtrArray) strv = g_ptr_array_new_with_free_func (g_free);
  Json j = { data, data + length, text, strv };
  gint64 next_ = -1;
  gboolean more_ = FALSE;

  g_return_val_if_fail (data != NULL || length == 0, NULL);

  if (!g_utf8_validate_len (data, length, NULL) || !json_page (&j, records, &next_, &more_)
      || next_ < 0)
    {
      g_set_error (error, PD_ERROR, PD_ERROR_INVALID,
                   _("The list of changes is not well-formed (at byte %lu)"),
                   (gulong) (MIN (j.p, j.end) - data));
      return NULL;
    }
  *next = next_;
  *more = more_;
  return g_steal_pointer (&records);
}
