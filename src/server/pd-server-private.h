/* pd-server-private.h: what the server's parts share (pd-server*.c). */
#pragma once

#include "pd-server.h"

G_BEGIN_DECLS

/* Request bodies above this answer 413 (a batch too: clients split theirs to fit). */
#define PD_SERVER_MAX_BODY (1024 * 1024)
/* POST /api/v1/batch: at most this many writes (more: 413 "too_many_writes"). */
#define PD_SERVER_MAX_BATCH 1000
/* Default session idle timeout: 14 days. */
#define PD_SERVER_DEFAULT_IDLE_TIMEOUT (14 * 24 * 3600)

/* DESIGN §2 permissions of practice users; the owner holds all. */
typedef enum {
  PD_PERMISSION_EDIT_PARTNERS     = 1 << 0,
  PD_PERMISSION_VIEW_PATIENT_DATA = 1 << 1,
  PD_PERMISSION_BILLING           = 1 << 2,
  PD_PERMISSION_RECEIVE_REFERRALS = 1 << 3,
  PD_PERMISSION_VIEW_REFERRALS    = 1 << 4,
  PD_PERMISSION_MANAGE_TEAM       = 1 << 5,
} PdPermission;
#define PD_PERMISSION_ALL 0x3f

/* "edit_partners,billing" <-> bits; unknown words are ignored. */
guint  pd_permissions_parse  (const char *text);
char  *pd_permissions_format (guint permissions);

/* Who a request comes from. */
typedef struct {
  char     *user_id;        /* practice_users.id or partner_users.id */
  gboolean  partner_user;   /* a partner's portal user */
  char     *partner_id;     /* partner users: their partner */
  guint     permissions;    /* practice users: PdPermission bits */
  char     *token_hash;     /* the session */
} PdPrincipal;
void pd_principal_free (PdPrincipal *principal);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PdPrincipal, pd_principal_free)

struct _PdServer
{
  GObject parent_instance;

  PdServerConfig config;
  PdStore       *store;
  SoupServer    *soup;
  guint          port;
  GHashTable    *rate;        /* pd-server-auth.c: scope -> failure times (in memory) */
  gpointer       mail;        /* pd-server-mail.c: the delivery worker's state */
  guint          answers;     /* writes answered, for PD_SERVER_FAULT_LOSE_ANSWER */
  guint          housekeeping; /* pd-server.c: the periodic clean-up's source */
};

/* Replies */
/* { "error": CODE, "message": MESSAGE, "fields": FIELDS (name -> message) } */
void        pd_server_reply_error (SoupServerMessage *msg,
                                   guint              status,
                                   const char        *code,
                                   const char        *message,
                                   GHashTable        *fields);
void        pd_server_reply_json  (SoupServerMessage *msg,
                                   guint              status,
                                   JsonNode          *node);
/* JSON already written as text (taken). */
void        pd_server_reply_json_text (SoupServerMessage *msg,
                                       guint              status,
                                       char              *json);
/* 404 "not_found". */
void        pd_server_reply_not_found (SoupServerMessage *msg);
/* ETag: "VERSION", a record's version. */
void        pd_server_set_etag    (SoupServerMessage *msg,
                                   gint64             version);
void        pd_server_reply_html  (SoupServerMessage *msg,
                                   guint              status,
                                   const char        *html);
/* Sets STATUS with its reason phrase (also 428 and 429, unknown to libsoup 3.2). */
void        pd_server_set_status  (SoupServerMessage *msg,
                                   guint              status);
/* 405 with an Allow header ("GET, PUT, DELETE"). */
void        pd_server_reply_method_not_allowed (SoupServerMessage *msg,
                                                const char        *allow);
/* The request body as a JSON object. On failure replies 413 (too big), 415 (not
 * application/json) or 400 (malformed) and returns NULL. */
JsonObject *pd_server_read_json   (PdServer          *self,
                                   SoupServerMessage *msg);
/* The client's IP address as text. */
const char *pd_server_client_address (SoupServerMessage *msg);
/* SHA-256 hex of "METHOD PATH\nBODY": the request an Idempotency-Key was first sent with. */
char       *pd_server_request_sha256 (SoupServerMessage *msg);
/* "YYYY-MM-DDTHH:MM:SSZ" (UTC) SECONDS from now (negative: ago). */
char       *pd_server_timestamp_in (gint64 seconds);
/* Bearer token -> principal (and touches the session); replies 401 and returns NULL
 * when missing, unknown or expired. */
PdPrincipal *pd_server_authenticate (PdServer          *self,
                                     SoupServerMessage *msg);
/* Sets the store's actor and actor address for the writes of this request. */
void        pd_server_act_as      (PdServer          *self,
                                   PdPrincipal       *principal,
                                   SoupServerMessage *msg);

/* Passwords and tokens (pd-server-auth.c) */
char       *pd_server_hash_password   (const char *password);           /* Argon2id string */
gboolean    pd_server_verify_password (const char *hash,
                                       const char *password);
char       *pd_server_new_token       (void);                          /* 256 random bits, base64url */
char       *pd_server_token_hash      (const char *token);             /* SHA-256 hex */
/* Inside a transaction: sets (creating) the credentials of USER_ID. */
gboolean    pd_server_set_password    (PdServer   *self,
                                       const char *user_id,
                                       gboolean    partner_user,
                                       const char *email,
                                       const char *password,
                                       GError    **error);

/* Inside a transaction of STORE: creates or updates the credentials row of USER_ID
 * (PASSWORD NULL: an account without a password yet, that cannot sign in until one is set).
 * Setting a password ends the user's sessions. */
gboolean    _pd_server_credentials_upsert (PdStore    *store,
                                           const char *user_id,
                                           gboolean    partner_user,
                                           const char *email,
                                           const char *password,
                                           GError    **error);
/* The session idle timeout in seconds. */
guint       pd_server_get_session_timeout (PdServer *self);

/* Mail (pd-server-mail.c). Enqueue inside the caller's transaction; the worker sends
 * the outbox over SMTP (libcurl) and retries with backoff until sent. */
gboolean    pd_server_mail_enqueue (PdServer    *self,
                                    const char  *recipient,
                                    const char  *subject,
                                    const char  *body,
                                    GError     **error);
void        pd_server_mail_start   (PdServer *self);
void        pd_server_mail_stop    (PdServer *self);
/* Wakes the worker (after a commit that enqueued mail). */
void        pd_server_mail_kick    (PdServer *self);

/* Idempotency-Key answers (pd-server-records.c), kept in the idempotency table */
/* When KEY was seen before, replies its stored answer (WITH_ETAG: and the version of the
 * record it holds as ETag), or 422 "idempotency_key_reused" when KEY came with another
 * user or request (REQUEST_SHA256, pd_server_request_sha256), and returns TRUE. */
gboolean    pd_server_idempotency_replay (PdServer          *self,
                                          SoupServerMessage *msg,
                                          const char        *key,
                                          const char        *user_id,
                                          const char        *request_sha256,
                                          gboolean           with_etag);
/* Inside the write's transaction: stores the answer to replay for KEY. */
gboolean    pd_server_idempotency_store  (PdStore     *store,
                                          const char  *key,
                                          const char  *user_id,
                                          const char  *request_sha256,
                                          guint        status,
                                          const char  *response,
                                          GError     **error);

/* Invitations (pd-server-invite.c) */
/* Inside the transaction of a write of RECORD over OLD (NULL: created): when it calls for
 * an invitation (a new partner with a representative email, a partner's
 * invitation_requested_at changed, a new partner user or practice user with an email),
 * creates the single-use token and enqueues the email. */
gboolean    pd_server_invite_after_write (PdServer  *self,
                                          PdRecord  *old,
                                          PdRecord  *record,
                                          GError   **error);
/* Inside a transaction: a token for RECORD (a partner, partner user or practice user),
 * valid 7 days; returns the link public_url/invite/TOKEN. */
char       *pd_server_invite_create      (PdStore     *store,
                                          const char  *public_url,
                                          PdRecord    *record,
                                          const char  *email,
                                          GError     **error);
/* GET/POST /invite/TOKEN: the acceptance page. */
void        pd_server_invite_register    (PdServer *self);

/* The partner side (pd-server-partner.c): GET /api/v1/partner/bookables,
 * POST /api/v1/partner/bookings, GET /api/v1/partner/bookings. */
void        pd_server_partner_register   (PdServer *self);

/* Records (pd-server-records.c): /api/v1/changes, /api/v1/COLLECTION/ID and /api/v1/batch. */
void        pd_server_records_register   (PdServer *self);
/* Session (pd-server-auth.c): /api/v1/session. */
void        pd_server_auth_register      (PdServer *self);

G_END_DECLS
