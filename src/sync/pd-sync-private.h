/* pd-sync-private.h: what pd-sync*.c share: HTTP requests and the round run off the main thread. */
#pragma once

#include <libsoup/soup.h>

#include "pd-sync.h"

G_BEGIN_DECLS

/* libsoup 3.2 has no name for it. */
#define PD_SYNC_STATUS_TOO_MANY_REQUESTS 429

/* How a request or round ended. */
typedef enum {
  PD_SYNC_OUTCOME_OK,
  PD_SYNC_OUTCOME_NETWORK,  /* no answer: offline, retried with backoff */
  PD_SYNC_OUTCOME_SERVER,   /* 5xx or 429: retried with backoff */
  PD_SYNC_OUTCOME_AUTH,     /* 401: sign in again */
  PD_SYNC_OUTCOME_TLS,      /* the certificate does not verify */
  PD_SYNC_OUTCOME_REFUSED,  /* a record was refused (422, 403, ...): the rest went on */
  PD_SYNC_OUTCOME_LOCAL,    /* the local database failed */
} PdSyncOutcome;

/* pd-sync-http.c */
typedef struct {
  SoupSession  *session;
  GUri         *base;        /* the server URL */
  char         *bearer;      /* "Bearer TOKEN" or NULL */
  GCancellable *cancellable;
} PdSyncClient;

typedef struct {
  guint       status;
  JsonObject *object;        /* the JSON answer, or NULL */
  GBytes     *bytes;         /* the answer's body as received */
  char       *retry_after;
} PdSyncReply;
void          pd_sync_reply_clear (PdSyncReply *reply);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (PdSyncReply, pd_sync_reply_clear)

/* A session trusting CA_FILE (NULL: the system's). */
gboolean      pd_sync_client_init  (PdSyncClient  *client,
                                    const char    *server_url,
                                    const char    *token,
                                    const char    *ca_file,
                                    GCancellable  *cancellable,
                                    GError       **error);
void          pd_sync_client_clear (PdSyncClient *client);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (PdSyncClient, pd_sync_client_clear)

/* One request (BODY: JSON text or NULL; HEADERS: name, value, ..., NULL). Returns
 * PD_SYNC_OUTCOME_OK with REPLY filled whenever the server answered (any status);
 * NETWORK or TLS with ERROR (translated) when it did not. */
PdSyncOutcome pd_sync_client_send  (PdSyncClient  *client,
                                    const char    *method,
                                    const char    *path,
                                    const char    *body,
                                    const char   **headers,
                                    PdSyncReply   *reply,
                                    GError       **error);
/* The same, leaving a successful answer's body unparsed (reply->bytes only). */
PdSyncOutcome pd_sync_client_get_raw (PdSyncClient  *client,
                                      const char    *path,
                                      PdSyncReply   *reply,
                                      GError       **error);
/* The server's "message" of an error answer, or a generic text for STATUS. */
char         *pd_sync_reply_message (PdSyncReply *reply);
/* Checks a server address typed by the user; returns it without a trailing slash. */
char         *pd_sync_normalize_url (const char  *url,
                                     GError     **error);

/* pd-sync-round.c: one round on its own store connection, in a worker thread. */
typedef struct {
  /* In */
  char         *db_path;
  char         *server_url;
  char         *token;
  char         *ca_file;
  char         *actor;
  guint         page_limit;
  /* Out */
  PdSyncOutcome    outcome;
  GError          *error;
  PdSyncApplyStats stats;
  char            *refused;      /* translated text naming a refused record, or NULL */
  gboolean         again;        /* new outbox entries: run again soon */
  char            *synced_at;
  guint            pushed;
  guint            pulled;
} PdSyncRound;

PdSyncRound *pd_sync_round_new  (void);
void         pd_sync_round_free (PdSyncRound *round);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PdSyncRound, pd_sync_round_free)
/* Push the outbox, then pull. Fills the Out part. */
void         pd_sync_round_run  (PdSyncRound  *round,
                                 GCancellable *cancellable);

G_END_DECLS
