/* pd-store-private.h: the PdStore struct and helpers shared by pd-store*.c. */
#pragma once

#include <sqlite3.h>

#include "pd-store.h"

G_BEGIN_DECLS

struct _PdStore
{
  GObject parent_instance;

  /* Owned References */
  char       *path;
  sqlite3    *db;
  GHashTable *statements;  /* SQL text -> prepared sqlite3_stmt */
  GHashTable *type_sql;    /* PdRecordType* -> TypeSql* (pd-store.c) */
  char       *local_user_id;
  char       *actor;
  char       *actor_name;
  char       *actor_address;
  GPtrArray  *pending;     /* collection, id, collection, id, ... awaiting the outer commit */
  GArray     *marks;       /* pending->len at the start of each open transaction level */

  gboolean    read_only;
  gboolean    no_derive;   /* pd_store_set_derive_records (FALSE) */
  int         schema_version;
  guint       depth;       /* open transaction levels (outer BEGIN + SAVEPOINTs) */
};

/* A cached statement, reset and unbound when it goes out of scope. */
typedef sqlite3_stmt PdStmt;
static inline void
_pd_stmt_release (PdStmt *stmt)
{
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PdStmt, _pd_stmt_release)

/* The text of column COL of the current row. */
static inline const char *
_pd_stmt_text (sqlite3_stmt *stmt,
               int           col)
{
  return (const char *) sqlite3_column_text (stmt, col);
}

PdStmt  *_pd_store_prepare   (PdStore     *self,
                              const char  *sql,
                              GError     **error);
gboolean _pd_store_exec      (PdStore     *self,
                              const char  *sql,
                              GError     **error);
/* SQL prepared with PARAMS (text, NULL-terminated) bound to ?1..?N; NULL with ERROR set. */
PdStmt  *_pd_store_prepare_bound (PdStore             *self,
                                  const char          *sql,
                                  const char * const  *params,
                                  GError             **error);
/* Steps a statement that returns no rows (a row counts as done too). */
gboolean _pd_store_step_done (PdStore  *self,
                              PdStmt   *stmt,
                              GError  **error);
/* Runs SQL, which returns no rows, with PARAMS bound as _pd_store_prepare_bound does. */
gboolean _pd_store_exec_bound (PdStore             *self,
                               const char          *sql,
                               const char * const  *params,
                               GError             **error);
/* Maps an SQLite result code to PD_ERROR_DISK_FULL / READ_ONLY / DATABASE. */
void     _pd_store_set_error (PdStore     *self,
                              int          rc,
                              GError     **error);
gboolean _pd_store_read_user_version (PdStore  *self,
                                      int      *version,
                                      GError  **error);
/* Sets PD_ERROR_NEWER_SCHEMA for VERSION; returns FALSE. */
gboolean _pd_store_set_newer_schema_error (int       version,
                                           GError  **error);
/* Runs the missing migrations and sets user_version in one transaction. */
gboolean _pd_store_migrate   (PdStore  *self,
                              GError  **error);
/* Nested transactions: BEGIN IMMEDIATE outside, SAVEPOINTs inside. */
gboolean _pd_store_begin     (PdStore  *self,
                              GError  **error);
gboolean _pd_store_commit    (PdStore  *self,
                              GError  **error);
void     _pd_store_rollback  (PdStore  *self);
/* Ends the transaction _pd_store_begin opened: commits when OK, else rolls back (the caller
 * set ERROR) and returns FALSE. */
gboolean _pd_store_finish    (PdStore  *self,
                              gboolean  ok,
                              GError  **error);
/* Inside an open transaction: validates and inserts a NEW record (version 1) with its
 * change-log entry and one "create" audit row whose new_value is AUDIT_NEW_VALUE
 * (the import's upload: its counts). ::record-changed follows the commit. */
gboolean _pd_store_insert_record (PdStore     *self,
                                  PdRecord    *record,
                                  const char  *audit_new_value,
                                  GError     **error);
/* { name, CREATE INDEX statement } of the persons table's indexes (schema 2), NULL-ended. */
extern const char *const _pd_store_person_indexes[][2];
/* Live records of TYPE matching SQL_TAIL, which follows "WHERE deleted = 0 AND " and may
 * bind ?1..?N to PARAMS (text, NULL-terminated) and add ORDER BY / LIMIT; in that order.
 * (issue 4: a partner's bookings in a period.) */
GPtrArray *_pd_store_query_records (PdStore             *self,
                                    const PdRecordType  *type,
                                    const char          *sql_tail,
                                    const char * const  *params,
                                    GError             **error);
/* The display name of the actor (who), or NULL. */
const char *_pd_store_get_actor_name (PdStore *self);

/* Rows, as the store writes and reads them */

/* "SELECT id, version, created_at, updated_at, updated_by, deleted, <fields> FROM <table>
 * WHERE id = ?1" of TYPE, prepared. */
PdStmt   *_pd_store_prepare_select_id (PdStore             *self,
                                       const PdRecordType  *type,
                                       GError             **error);
/* The upsert of TYPE's rows (meta, fields, folded columns), prepared. */
PdStmt   *_pd_store_prepare_upsert    (PdStore             *self,
                                       const PdRecordType  *type,
                                       GError             **error);
/* The row of ID (tombstoned or not); NULL without error when there is none. */
PdRecord *_pd_store_load_record       (PdStore             *self,
                                       const PdRecordType  *type,
                                       const char          *id,
                                       GError             **error);
/* Writes RECORD's row as it is (meta included, nothing validated or logged) with UPSERT,
 * a statement of _pd_store_prepare_upsert (NULL: prepared here); returns the SQLite result
 * code, SQLITE_DONE when written. */
int       _pd_store_write_row_rc      (PdStore             *self,
                                       PdStmt              *upsert,
                                       PdRecord            *record);
gboolean  _pd_store_write_row         (PdStore             *self,
                                       PdRecord            *record,
                                       GError             **error);
/* Text as the store keeps it in *_fold columns: trimmed and folded; NULL when empty. */
char     *_pd_store_fold_text         (const char          *value);
/* The partner RECORD belongs to (its type's partner_field), or NULL. */
const char *_pd_store_partner_id_of   (PdRecord            *record);
/* RECORD as compact JSON text (pd_record_to_json), as change-log payloads hold it. */
char     *_pd_store_record_json_text  (PdRecord            *record);

/* Change log and audit */

/* The columns _pd_store_read_changes reads, in its order. */
#define PD_STORE_CHANGE_COLUMNS \
  "seq, key, collection, record_id, base_version, deleted, payload, created_at, audit_seq"
/* The rows of STMT (selecting PD_STORE_CHANGE_COLUMNS, bound) as owned PdChange*. */
GPtrArray *_pd_store_read_changes     (PdStore             *self,
                                       PdStmt              *stmt,
                                       GError             **error);
/* A change-log entry for RECORD (its JSON as payload): DELETED, the change is the record's
 * deletion; AUDIT_SEQ, the last audit row before the change's own (< 0: the last one now). */
gboolean  _pd_store_write_change      (PdStore             *self,
                                       PdRecord            *record,
                                       gint64               base_version,
                                       gboolean             deleted,
                                       const char          *created_at,
                                       gint64               audit_seq,
                                       GError             **error);
/* One audit row of RECORD. WHO: a display name; ADDRESS: the client's address for the
 * server's writes, PD_SYNC_AUDIT_ADDRESS for values a desktop took from the server, NULL for
 * a desktop's local edits. FIELD, OLD_VALUE, NEW_VALUE: canonical text, or NULL. */
gboolean  _pd_store_write_audit       (PdStore             *self,
                                       PdRecord            *record,
                                       const char          *at,
                                       const char          *who,
                                       const char          *address,
                                       const char          *action,
                                       const char          *field,
                                       const char          *old_value,
                                       const char          *new_value,
                                       GError             **error);

G_END_DECLS
