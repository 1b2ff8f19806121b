/* pd-sync.h: the desktop's synchronisation with partner-desk-server (DESIGN §5). */
#pragma once

#include <gio/gio.h>
#include "pd-core.h"

G_BEGIN_DECLS

typedef enum {
  PD_SYNC_STATE_LOCAL_ONLY, /* not signed in */
  PD_SYNC_STATE_SYNCED,     /* signed in, last round succeeded (see last-synced-at) */
  PD_SYNC_STATE_SYNCING,
  PD_SYNC_STATE_OFFLINE,    /* the last round failed on the network; retrying with backoff */
  PD_SYNC_STATE_ERROR,      /* signed in but the server refused (token expired: sign in again) */
} PdSyncState;

GType pd_sync_state_get_type (void);
#define PD_TYPE_SYNC_STATE (pd_sync_state_get_type ())

/* One field changed on both sides, awaiting "keep mine" or "keep theirs". */
typedef struct {
  char   *collection;    /* "partner" */
  char   *record_id;
  char   *record_title;  /* "Acme Logistics" */
  char   *field;         /* "rep_email" */
  char   *field_label;   /* translated "Representative email" */
  char   *mine;          /* display text (pd_store_format_value) or NULL */
  char   *theirs;
  gint64  their_version;
} PdConflict;
void pd_conflict_free (PdConflict *conflict);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PdConflict, pd_conflict_free)

/* Properties (all read-only, notified on the main thread):
 *   state (PdSyncState), status-text (translated: "Local only", "Synced 10:42",
 *   "Syncing…", "Offline", "3 conflicts", "Sign in again"), n-conflicts (guint),
 *   last-synced-at (ISO text or NULL), server-url, email, user-id (NULL when local only),
 *   permissions ("edit_partners,..." of the signed-in practice user, NULL when local only),
 *   last-error (translated text of the last failure or NULL).
 * Signals:
 *   ::conflicts-changed () */
#define PD_TYPE_SYNC (pd_sync_get_type ())
G_DECLARE_FINAL_TYPE (PdSync, pd_sync, PD, SYNC, GObject)

/* Account (server URL, email, user id, cursor) lives in STORE's settings; the token in the
 * Secret Service (libsecret, schema io.github.partnerdesk.PartnerDesk.Token with
 * attributes "server" and "user"). */
PdSync      *pd_sync_new               (PdStore *store);
/* Tests: keep the token in memory instead of the Secret Service. */
void         pd_sync_set_use_secret_service (PdSync   *self,
                                             gboolean  use);
/* Tests: trust this PEM file of CA certificates for HTTPS (NULL: the system's). */
void         pd_sync_set_tls_ca_file   (PdSync     *self,
                                        const char *path);
/* Tests: change the minute's period and the one-second debounce (milliseconds). */
void         pd_sync_set_intervals     (PdSync *self,
                                        guint   periodic_ms,
                                        guint   debounce_ms);

PdSyncState  pd_sync_get_state         (PdSync *self);
const char  *pd_sync_get_status_text   (PdSync *self);
guint        pd_sync_get_n_conflicts   (PdSync *self);
const char  *pd_sync_get_server_url    (PdSync *self);
const char  *pd_sync_get_email         (PdSync *self);
const char  *pd_sync_get_user_id       (PdSync *self);
const char  *pd_sync_get_last_error    (PdSync *self);
/* TRUE when local only (no account) or the signed-in user holds PERMISSION ("manage_team"). */
gboolean     pd_sync_has_permission    (PdSync     *self,
                                        const char *permission);

/* POST /api/v1/session; on success stores the account and token and starts syncing
 * (local data already present is pushed). The password is never stored. */
void         pd_sync_sign_in_async     (PdSync              *self,
                                        const char          *server_url,
                                        const char          *email,
                                        const char          *password,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data);
gboolean     pd_sync_sign_in_finish    (PdSync        *self,
                                        GAsyncResult  *result,
                                        GError       **error);
/* DELETE /api/v1/session (best effort) and forgets the token; state becomes local only.
 * The local replica stays. */
void         pd_sync_sign_out_async    (PdSync              *self,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data);
gboolean     pd_sync_sign_out_finish   (PdSync        *self,
                                        GAsyncResult  *result,
                                        GError       **error);

/* Loads the token of the stored account and, when there is one, syncs now, about a second
 * after each local change and every minute. */
void         pd_sync_start             (PdSync *self);
void         pd_sync_stop              (PdSync *self);
/* One round now (push the outbox in order, then pull pages from the cursor), off the main
 * thread on its own store connection; the result says whether it fully succeeded. */
void         pd_sync_run_async         (PdSync              *self,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data);
gboolean     pd_sync_run_finish        (PdSync        *self,
                                        GAsyncResult  *result,
                                        GError       **error);

/* Owned PdConflict*, ordered by record then field. */
GPtrArray   *pd_sync_list_conflicts    (PdSync  *self,
                                        GError **error);
/* Keeps mine or theirs for one field; when the record has no conflicts left, the merged
 * record is saved (and so pushed on the next round). */
gboolean     pd_sync_resolve_conflict  (PdSync      *self,
                                        const char  *collection,
                                        const char  *record_id,
                                        const char  *field,
                                        gboolean     keep_mine,
                                        GError     **error);

G_END_DECLS
