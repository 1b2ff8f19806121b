/* pd-store.h: the SQLite record store: migrations, validated writes, change log and audit trail. */
#pragma once

#include <glib-object.h>
#include "pd-record.h"
#include "pd-audit-entry.h"

G_BEGIN_DECLS

/* The schema version this build writes (PRAGMA user_version). */
#define PD_STORE_SCHEMA_VERSION 6

/* Signals:
 *   ::record-changed (const char *collection, const char *id) after every
 *   committed save, delete or restore (and after sample data, once per record).
 *   ::collection-changed (const char *collection, const char *partner_id) when many
 *   records of COLLECTION (of PARTNER_ID, or of all partners when NULL) changed at once,
 *   possibly through another connection: an eligibility import emits no ::record-changed
 *   per person. Views reload. Emitted by pd_store_notify_collection_changed. */
#define PD_TYPE_STORE (pd_store_get_type ())
G_DECLARE_FINAL_TYPE (PdStore, pd_store, PD, STORE, GObject)

/* $XDG_DATA_HOME/partner-desk/partner-desk.db */
char       *pd_store_default_path  (void);

/* Opens (creating the file and its folder when missing) and migrates in one
 * transaction. A database from a newer version: PD_ERROR_NEWER_SCHEMA and
 * nothing changed. Creates the local practice user on first open. */
PdStore    *pd_store_open          (const char  *path,
                                    GError     **error);
/* Opens without ever writing (a database on read-only media, or for viewing):
 * every write fails with PD_ERROR_READ_ONLY; a database that needs a
 * migration fails to open with PD_ERROR_READ_ONLY. */
PdStore    *pd_store_open_read_only (const char  *path,
                                     GError     **error);
gboolean    pd_store_is_read_only  (PdStore *self);
const char *pd_store_get_path      (PdStore *self);
int         pd_store_get_schema_version (PdStore *self);

/* The local practice user who stands as actor and organisation owner until
 * sign-in exists. */
const char *pd_store_get_local_user_id (PdStore *self);
/* Who the store writes as (a practice user id); default the local user. */
void        pd_store_set_actor     (PdStore    *self,
                                    const char *user_id);
const char *pd_store_get_actor     (PdStore *self);
/* Whether a save derives other records (a partner's commission-rate history). TRUE by
 * default; the server sets FALSE: what a desktop derived arrives as records of its own. */
void        pd_store_set_derive_records (PdStore  *self,
                                         gboolean  derive);
/* The client address written into audit rows (the server sets it per request); NULL: none. */
void        pd_store_set_actor_address (PdStore    *self,
                                        const char *address);

/* Field rules (pd_record_validate) plus uniqueness against live records.
 * field name -> translated message; empty when valid. */
GHashTable *pd_store_validate      (PdStore  *self,
                                    PdRecord *record);

/* Inserts (version 0) or updates RECORD after pd_store_validate; in one
 * transaction writes the row (version + 1, updated_at/by), one change-log
 * entry and the audit rows of every changed field. On success RECORD's
 * version and times are updated in place and ::record-changed is emitted.
 * Invalid: PD_ERROR_INVALID, message "Label: reason" of the first error.
 * Saving an unchanged record is a successful no-op. */
gboolean    pd_store_save          (PdStore   *self,
                                    PdRecord  *record,
                                    GError   **error);
/* Tombstones (deleted = 1), with change log and audit; ::record-changed. */
gboolean    pd_store_delete        (PdStore            *self,
                                    const PdRecordType *type,
                                    const char         *id,
                                    GError            **error);
/* Undoes pd_store_delete. Fails with PD_ERROR_INVALID when a live record
 * now holds its unique name. */
gboolean    pd_store_restore       (PdStore            *self,
                                    const PdRecordType *type,
                                    const char         *id,
                                    GError            **error);

/* The record, tombstoned or not; PD_ERROR_NOT_FOUND if none. */
PdRecord   *pd_store_get           (PdStore            *self,
                                    const PdRecordType *type,
                                    const char         *id,
                                    GError            **error);
/* Live records of TYPE (owned PdRecord*), sorted by title; when FIELD is not
 * NULL, only those whose FIELD equals VALUE. */
GPtrArray  *pd_store_list          (PdStore            *self,
                                    const PdRecordType *type,
                                    const char         *field,
                                    const char         *value,
                                    GError            **error);
gint64      pd_store_count         (PdStore            *self,
                                    const PdRecordType *type);

/* Audit entries (owned PdAuditEntry*) of a partner and of the records that
 * belong to it (partner_field), newest first. */
GPtrArray  *pd_store_list_history  (PdStore     *self,
                                    const char  *partner_id,
                                    GError     **error);

/* Display text of canonical text CANONICAL of FIELD (as pd_field_format_text),
 * with references shown as the titles of the records they name
 * ("Riverside Medical Centre, Northgate Diagnostics"). NULL stays NULL. */
char       *pd_store_format_value  (PdStore       *self,
                                    const PdField *field,
                                    const char    *canonical);
/* pd_record_format with references resolved to titles. */
char       *pd_store_format_field  (PdStore    *self,
                                    PdRecord   *record,
                                    const char *field);
/* pd_audit_entry_describe with references resolved to titles:
 * "Changed Organisation owner from “Practice administrator” to “Eva Wolf”". */
char       *pd_store_describe_audit_entry (PdStore      *self,
                                           PdAuditEntry *entry);

/* One change-log (outbox) entry, for sync. */
typedef struct {
  gint64  seq;
  char   *key;          /* UUID: the idempotency key */
  char   *collection;   /* "partner" */
  char   *record_id;
  gint64  base_version; /* version the change was based on (0: create) */
  gboolean deleted;
  char   *payload;      /* the record as JSON text; a payload with only "id" and
                         * "version" (people written by an eligibility import) means:
                         * push the record's current row */
  char   *created_at;
  gint64  audit_seq;    /* audit rows of this change and later ones have seq > audit_seq;
                         * 0: unknown (bulk writers) */
} PdChange;
void        pd_change_free         (PdChange *change);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PdChange, pd_change_free)
/* Entries with seq > AFTER_SEQ, in order, at most LIMIT (owned PdChange*). */
GPtrArray  *pd_store_list_changes  (PdStore  *self,
                                    gint64    after_seq,
                                    guint     limit,
                                    GError  **error);

/* Runs FUNC inside one transaction: commits when it returns TRUE, rolls back
 * (and no ::record-changed is emitted for the writes inside) when FALSE. */
typedef gboolean (*PdStoreTransactionFunc) (PdStore  *store,
                                            gpointer  user_data,
                                            GError  **error);
gboolean    pd_store_transaction   (PdStore                 *self,
                                    PdStoreTransactionFunc   func,
                                    gpointer                 user_data,
                                    GError                 **error);

/* Emits ::collection-changed. Call it on the main thread with the UI's store after an
 * import in a worker thread (its own connection) succeeded: for "person" and "upload"
 * with the partner's id. */
void        pd_store_notify_collection_changed (PdStore    *self,
                                                const char *collection,
                                                const char *partner_id);

/* Small key/value settings of the practice ("currency", "practice_name"). */
char       *pd_store_get_setting   (PdStore    *self,
                                    const char *key);
gboolean    pd_store_set_setting   (PdStore    *self,
                                    const char *key,
                                    const char *value,
                                    GError    **error);

G_END_DECLS
