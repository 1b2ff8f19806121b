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

PdStmt  *_pd_store_prepare   (PdStore     *self,
                              const char  *sql,
                              GError     **error);
gboolean _pd_store_exec      (PdStore     *self,
                              const char  *sql,
                              GError     **error);
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

G_END_DECLS
