/* pd-store-sync.h: what the desktop's synchronisation needs of the store (pd-store-sync.c). */
#pragma once

#include "pd-store.h"

G_BEGIN_DECLS

/* Settings keys of the account and the pull cursor. */
#define PD_SYNC_KEY_CURSOR      "sync.cursor"
#define PD_SYNC_KEY_SERVER_URL  "sync.server_url"
#define PD_SYNC_KEY_EMAIL       "sync.email"
#define PD_SYNC_KEY_USER_ID     "sync.user_id"
#define PD_SYNC_KEY_PERMISSIONS "sync.permissions"
#define PD_SYNC_KEY_LAST_SYNCED "sync.last_synced_at"

/* audit.address of the rows a desktop writes for values that came from the server (pulled
 * records, the server's side of a merge). Local edits leave address NULL. */
#define PD_SYNC_AUDIT_ADDRESS "sync"

/* What applying pulled changes did, for notifying views. */
typedef struct {
  GHashTable *collections;     /* collection names touched (set, owned strings) */
  GPtrArray  *records;         /* collection, id, collection, id, ... (when few) */
  guint       applied;
  guint       skipped;         /* pending local changes: the push merges them */
  gboolean    conflicts_changed;
  gboolean    outbox_added;    /* a held record was released into the outbox */
} PdSyncApplyStats;

void     pd_sync_apply_stats_init  (PdSyncApplyStats *stats);
void     pd_sync_apply_stats_clear (PdSyncApplyStats *stats);

/* One pull (a round's pages): remembers the outbox's records and which tables were empty
 * when it began (their rows need no old-row lookup), so per-row work stays minimal. */
typedef struct _PdSyncPull PdSyncPull;
PdSyncPull *pd_sync_pull_new  (PdStore    *store);
void        pd_sync_pull_free (PdSyncPull *pull);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PdSyncPull, pd_sync_pull_free)

/* Applies one page of pulled records (PdRecord*, as the server has them, in feed order)
 * and stores CURSOR, in one transaction. A record with pending outbox entries is skipped
 * (its push will 412 and merge); a record held in conflict takes the server's other fields
 * and its conflict rows the server's new values. No change-log entries; audit rows for
 * changed fields (who: the name of the server record's updated_by; people: none, as the
 * import writes none). */
gboolean pd_sync_pull_apply_page (PdSyncPull       *pull,
                                  GPtrArray        *records,
                                  gint64            cursor,
                                  PdSyncApplyStats *stats,
                                  GError          **error);

/* Parses a page of GET /api/v1/changes ({"changes":[{"collection","record",...}],"next",
 * "more"}): the records (PdRecord*, as the server sent them, in order; unknown collections
 * left out). Anything malformed: PD_ERROR_INVALID, nothing returned. */
GPtrArray *pd_sync_parse_changes   (const char  *data,
                                    gsize        length,
                                    gint64      *next,
                                    gboolean    *more,
                                    GError     **error);

/* A big first pull into an empty persons table: drop its indexes (own transaction) and
 * build them again at the end. ensure_indexes creates any that are missing (after a crash). */
gboolean pd_store_sync_drop_person_indexes   (PdStore  *self,
                                              GError  **error);
gboolean pd_store_sync_ensure_person_indexes (PdStore  *self,
                                              GError  **error);
gboolean pd_store_sync_table_is_empty        (PdStore            *self,
                                              const PdRecordType *type);

/* Creates the outbox's index by record (collection, record_id) when missing: the push looks
 * up a record's other entries for each entry it sends. */
gboolean pd_store_sync_ensure_outbox_index (PdStore  *self,
                                            GError  **error);

/* The outbox entries of uploads (owned PdChange*, in order). An eligibility import writes its
 * upload's entry after its people's, which refer to it: the push sends it ahead of them. */
GPtrArray *pd_store_sync_list_upload_changes (PdStore  *self,
                                              GError  **error);
/* The upload_id of person PERSON_ID, or NULL. */
char    *pd_store_sync_person_upload       (PdStore    *self,
                                            const char *person_id);

/* The body to push for CHANGE: its payload, or for a compact payload ({"id","version"})
 * the current row, written back into the entry so that a retry sends the same bytes. */
char    *pd_store_sync_change_body (PdStore   *self,
                                    PdChange  *change,
                                    GError   **error);

/* The server accepted CHANGE: drops the entry and, when no later entry of the record
 * exists, writes ANSWER (the saved record) over the row. */
gboolean pd_store_sync_accept      (PdStore   *self,
                                    PdChange  *change,
                                    PdRecord  *answer,
                                    GError   **error);

/* The server refused CHANGE with 412 and THEIRS (its current record): three-way merge of
 * the record's pending local changes. Fields changed on one side take that side; fields
 * changed on both sides to different values become conflicts (the row keeps mine, the
 * record is held: nothing is pushed until resolved). Without conflicts, a new outbox entry
 * based on THEIRS' version carries the merged record (*requeued TRUE). */
gboolean pd_store_sync_merge       (PdStore   *self,
                                    PdChange  *change,
                                    PdRecord  *theirs,
                                    gboolean  *requeued,
                                    guint     *n_conflicts,
                                    GError   **error);

/* After the server refused CHANGE for good (422): when later entries of the record exist,
 * replaces them all by one entry with the current row (new key); TRUE when it did. */
gboolean pd_store_sync_squash      (PdStore   *self,
                                    PdChange  *change,
                                    gboolean  *squashed,
                                    GError   **error);

/* Is the record held (conflict rows, resolved or not)? */
gboolean pd_store_sync_is_held     (PdStore    *self,
                                    const char *collection,
                                    const char *record_id);
/* A held record with outbox entries: folds them into its held changes (no push). */
gboolean pd_store_sync_absorb      (PdStore    *self,
                                    const char *collection,
                                    const char *record_id,
                                    gboolean   *released,
                                    GError    **error);

/* One unresolved conflict row. */
typedef struct {
  char   *collection;
  char   *record_id;
  char   *field;
  char   *base_value;   /* canonical text, NULL: unset or unknown */
  char   *mine;
  char   *theirs;
  gint64  their_version;
} PdConflictRow;
void       pd_conflict_row_free          (PdConflictRow *row);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PdConflictRow, pd_conflict_row_free)

/* Unresolved conflicts (owned PdConflictRow*), by record then field. */
GPtrArray *pd_store_sync_list_conflicts  (PdStore  *self,
                                          GError  **error);
guint      pd_store_sync_count_conflicts (PdStore  *self);
/* Keeps mine or theirs for one field. When the record has no unresolved conflict left,
 * its held changes are released into the outbox (::record-changed). */
gboolean   pd_store_sync_resolve         (PdStore    *self,
                                          const char *collection,
                                          const char *record_id,
                                          const char *field,
                                          gboolean    keep_mine,
                                          GError    **error);

/* The first sign-in: the signed-in practice user (as the session told it, version 0 until
 * pulled) replaces the desktop's local practice user: references to it are re-pointed,
 * in rows and pending payloads, its own outbox entries dropped and its row tombstoned;
 * one transaction. A no-op when done before. */
gboolean   pd_store_sync_adopt_user      (PdStore    *self,
                                          const char *user_id,
                                          const char *name,
                                          const char *email,
                                          const char *permissions,
                                          GError    **error);

/* The number of outbox entries. */
gint64     pd_store_sync_count_outbox    (PdStore *self);

G_END_DECLS
