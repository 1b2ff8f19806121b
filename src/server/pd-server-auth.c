/* pd-server-auth.c: permissions, passwords (Argon2id), tokens, sessions, sign-in rate limits. */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <sodium.h>
#include <string.h>

#include "pd-server-private.h"
#include "pd-store-private.h"

/* Failed sign-ins allowed per window, per account and per client address. */
#define RATE_WINDOW_SECONDS (15 * 60)
#define RATE_LIMIT_ACCOUNT  5
#define RATE_LIMIT_ADDRESS  20
#define MIN_PASSWORD_CHARS  8

/* Permissions */

static const char *const permission_names[] = {
  "edit_partners",
  "view_patient_data",
  "billing",
  "receive_referrals",
  "view_referrals",
  "manage_team",
};

guint
pd_permissions_parse (const char *text)
{
  g_auto(GStrv) words = NULL;
  guint bits = 0;

  if (text == NULL)
    return 0;
  words = g_strsplit (text, ",", -1);
  for (guint i = 0; words[i]; i++)
    {
      g_strstrip (words[i]);
      for (guint j = 0; j < G_N_ELEMENTS (permission_names); j++)
        if (strcmp (words[i], permission_names[j]) == 0)
          bits |= 1u << j;
    }
  return bits;
}

char *
pd_permissions_format (guint permissions)
{
  GString *text = g_string_new (NULL);

  for (guint j = 0; j < G_N_ELEMENTS (permission_names); j++)
    if (permissions & (1u << j))
      {
        if (text->len)
          g_string_append_c (text, ',');
        g_string_append (text, permission_names[j]);
      }
  return g_string_free (text, FALSE);
}

void
pd_principal_free (PdPrincipal *principal)
{
  if (principal == NULL)
    return;
  g_free (principal->user_id);
  g_free (principal->partner_id);
  g_free (principal->token_hash);
  g_free (principal);
}

/* Passwords and tokens */

char *
pd_server_hash_password (const char *password)
{
  char out[crypto_pwhash_STRBYTES];

  g_return_val_if_fail (password != NULL, NULL);

  if (sodium_init () < 0
      || crypto_pwhash_str_alg (out, password, strlen (password),
                                crypto_pwhash_OPSLIMIT_INTERACTIVE,
                                crypto_pwhash_MEMLIMIT_INTERACTIVE,
                                crypto_pwhash_ALG_ARGON2ID13) != 0)
    return NULL;
  return g_strdup (out);
}

gboolean
pd_server_verify_password (const char *hash,
                           const char *password)
{
  if (hash == NULL || password == NULL || sodium_init () < 0)
    return FALSE;
  return crypto_pwhash_str_verify (hash, password, strlen (password)) == 0;
}

char *
pd_server_new_token (void)
{
  unsigned char bytes[32];
  char text[sodium_base64_ENCODED_LEN (32, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];

  if (sodium_init () < 0)
    g_error ("libsodium could not be initialised");
  randombytes_buf (bytes, sizeof bytes);
  sodium_bin2base64 (text, sizeof text, bytes, sizeof bytes,
                     sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  sodium_memzero (bytes, sizeof bytes);
  return g_strdup (text);
}

char *
pd_server_token_hash (const char *token)
{
  return g_compute_checksum_for_string (G_CHECKSUM_SHA256, token, -1);
}

static char *
fold_email (const char *email)
{
  g_autofree char *stripped = g_strstrip (g_strdup (email));

  return pd_text_fold (stripped);
}

static gboolean
end_sessions (PdStore     *store,
              const char  *user_id,
              GError     **error)
{
  const char *params[] = { user_id, NULL };

  return _pd_store_exec_bound (store, "DELETE FROM sessions WHERE user_id = ?1", params, error);
}

gboolean
_pd_server_credentials_upsert (PdStore    *store,
                               const char *user_id,
                               gboolean    partner_user,
                               const char *email,
                               const char *password,
                               GError    **error)
{
  g_autoptr(PdStmt) stmt = NULL;
  g_autofree char *hash = NULL;
  g_autofree char *now = pd_timestamp_now ();
  int rc;

  if (password && !(hash = pd_server_hash_password (password)))
    {
      g_set_error_literal (error, PD_ERROR, PD_ERROR_DATABASE,
                           _("The password could not be hashed (out of memory)."));
      return FALSE;
    }
  stmt = _pd_store_prepare (store,
                            "INSERT INTO credentials (user_id, kind, email_fold, password_hash, "
                            "created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5) "
                            "ON CONFLICT (user_id) DO UPDATE SET kind = excluded.kind, "
                            "email_fold = excluded.email_fold, password_hash = "
                            "coalesce (excluded.password_hash, credentials.password_hash), "
                            "updated_at = excluded.updated_at",
                            error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, user_id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, partner_user ? "partner" : "practice", -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, fold_email (email), -1, g_free);
  sqlite3_bind_text (stmt, 4, hash, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 5, now, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_CONSTRAINT_UNIQUE)
    {
      g_set_error (error, PD_ERROR, PD_ERROR_INVALID,
                   _("Another account already uses the email address “%s”."), email);
      return FALSE;
    }
  if (rc != SQLITE_DONE)
    {
      _pd_store_set_error (store, rc, error);
      return FALSE;
    }
  /* A new password ends every session opened with the old one. */
  return password == NULL || end_sessions (store, user_id, error);
}

gboolean
pd_server_set_password (PdServer    *self,
                        const char  *user_id,
                        gboolean     partner_user,
                        const char  *email,
                        const char  *password,
                        GError     **error)
{
  g_return_val_if_fail (PD_IS_SERVER (self), FALSE);
  g_return_val_if_fail (user_id != NULL && email != NULL && password != NULL, FALSE);

  if (g_utf8_strlen (password, -1) < MIN_PASSWORD_CHARS)
    {
      g_set_error (error, PD_ERROR, PD_ERROR_INVALID,
                   g_dngettext (GETTEXT_PACKAGE, "The password must have at least %d character.",
                                "The password must have at least %d characters.",
                                MIN_PASSWORD_CHARS),
                   MIN_PASSWORD_CHARS);
      return FALSE;
    }
  return _pd_server_credentials_upsert (self->store, user_id, partner_user, email, password,
                                        error);
}

guint
pd_server_get_session_timeout (PdServer *self)
{
  return self->config.session_idle_timeout;
}

/* Principals */

/* The principal of USER_ID of KIND, or NULL when the account may not act any more: a deleted
 * practice user, a disabled or deleted partner user, a terminated or deleted partner. */
static PdPrincipal *
load_principal (PdStore    *store,
                const char *user_id,
                const char *kind)
{
  gboolean partner = g_strcmp0 (kind, "partner") == 0;
  g_autoptr(PdStmt) stmt = NULL;
  PdPrincipal *principal;

  stmt = _pd_store_prepare (store,
                            partner
                              ? "SELECT u.partner_id FROM partner_users u JOIN partners p "
                                "ON p.id = u.partner_id WHERE u.id = ?1 AND u.deleted = 0 "
                                "AND coalesce (u.status, '') != 'disabled' AND p.deleted = 0 "
                                "AND coalesce (p.status, '') != 'terminated'"
                              : "SELECT permissions FROM practice_users WHERE id = ?1 "
                                "AND deleted = 0",
                            NULL);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, user_id, -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return NULL;
  principal = g_new0 (PdPrincipal, 1);
  principal->user_id = g_strdup (user_id);
  principal->partner_user = partner;
  if (partner)
    principal->partner_id = g_strdup (_pd_stmt_text (stmt, 0));
  else
    principal->permissions = pd_permissions_parse (_pd_stmt_text (stmt, 0));
  return principal;
}

static void
reply_unauthorized (SoupServerMessage *msg)
{
  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "WWW-Authenticate", "Bearer realm=\"partner-desk\"");
  pd_server_reply_error (msg, SOUP_STATUS_UNAUTHORIZED, "unauthorized",
                         _("Sign in again: the session is missing, unknown or expired."), NULL);
}

static const char *
bearer_token (SoupServerMessage *msg)
{
  const char *header = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                     "Authorization");

  if (header == NULL || g_ascii_strncasecmp (header, "Bearer ", 7) != 0)
    return NULL;
  header += 7;
  while (*header == ' ')
    header++;
  return *header ? header : NULL;
}

static void
delete_session (PdStore    *store,
                const char *token_hash)
{
  const char *params[] = { token_hash, NULL };

  _pd_store_exec_bound (store, "DELETE FROM sessions WHERE token_hash = ?1", params, NULL);
}

/* Keeps an active session alive: at most once a minute (or half the timeout, if shorter). */
static void
touch_session (PdServer   *self,
               const char *token_hash,
               const char *last_used_at)
{
  guint timeout = self->config.session_idle_timeout;
  g_autofree char *stale = pd_server_timestamp_in (-(gint64) MIN (60, timeout / 2));
  g_autofree char *now = NULL;
  const char *params[] = { token_hash, NULL, NULL };

  if (g_strcmp0 (last_used_at, stale) > 0)
    return;
  params[1] = now = pd_timestamp_now ();
  _pd_store_exec_bound (self->store, "UPDATE sessions SET last_used_at = ?2 WHERE token_hash = ?1",
                        params, NULL);
}

PdPrincipal *
pd_server_authenticate (PdServer          *self,
                        SoupServerMessage *msg)
{
  const char *token = bearer_token (msg);
  g_autofree char *hash = NULL;
  g_autofree char *cutoff = NULL;
  g_autofree char *user_id = NULL;
  g_autofree char *kind = NULL;
  g_autofree char *last_used = NULL;
  g_autoptr(PdStmt) stmt = NULL;
  PdPrincipal *principal;

  if (token == NULL || strlen (token) > 128)
    {
      reply_unauthorized (msg);
      return NULL;
    }
  hash = pd_server_token_hash (token);
  stmt = _pd_store_prepare (self->store, "SELECT user_id, kind, last_used_at FROM sessions "
                            "WHERE token_hash = ?1", NULL);
  if (stmt == NULL)
    {
      reply_unauthorized (msg);
      return NULL;
    }
  sqlite3_bind_text (stmt, 1, hash, -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      user_id = g_strdup (_pd_stmt_text (stmt, 0));
      kind = g_strdup (_pd_stmt_text (stmt, 1));
      last_used = g_strdup (_pd_stmt_text (stmt, 2));
    }
  _pd_stmt_release (g_steal_pointer (&stmt));
  cutoff = pd_server_timestamp_in (-(gint64) self->config.session_idle_timeout);
  if (user_id == NULL || g_strcmp0 (last_used, cutoff) < 0)
    {
      if (user_id)
        delete_session (self->store, hash);
      reply_unauthorized (msg);
      return NULL;
    }
  principal = load_principal (self->store, user_id, kind);
  if (principal == NULL)
    {
      reply_unauthorized (msg);
      return NULL;
    }
  touch_session (self, hash, last_used);
  principal->token_hash = g_steal_pointer (&hash);
  return principal;
}

void
pd_server_act_as (PdServer          *self,
                  PdPrincipal       *principal,
                  SoupServerMessage *msg)
{
  pd_store_set_actor (self->store, principal ? principal->user_id : NULL);
  pd_store_set_actor_address (self->store, msg ? pd_server_client_address (msg) : NULL);
}

/* Rate limits, persisted in login_failures so a restart does not reset them. */

/* Seconds until SCOPE may try again, 0 when it may now. */
static gint64
rate_retry_after (PdStore    *store,
                  const char *scope,
                  guint       limit)
{
  g_autofree char *cutoff = pd_server_timestamp_in (-RATE_WINDOW_SECONDS);
  g_autoptr(PdStmt) stmt = NULL;
  g_autoptr(GDateTime) at = NULL;
  g_autoptr(GDateTime) now = NULL;
  gint64 wait;

  stmt = _pd_store_prepare (store, "SELECT at FROM login_failures WHERE scope = ?1 AND at > ?2 "
                            "ORDER BY at DESC LIMIT 1 OFFSET ?3", NULL);
  if (stmt == NULL)
    return 0;
  sqlite3_bind_text (stmt, 1, scope, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, cutoff, -1, SQLITE_STATIC);
  sqlite3_bind_int (stmt, 3, (int) limit - 1);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return 0;
  /* The LIMIT-th newest failure in the window: once it ages out, one more try is allowed. */
  at = g_date_time_new_from_iso8601 (_pd_stmt_text (stmt, 0), NULL);
  if (at == NULL)
    return 0;
  now = g_date_time_new_now_utc ();
  wait = RATE_WINDOW_SECONDS - g_date_time_difference (now, at) / G_TIME_SPAN_SECOND;
  return MAX (wait, 1);
}

static void
record_failure (PdStore    *store,
                const char *scope)
{
  g_autofree char *now = pd_timestamp_now ();
  g_autofree char *cutoff = pd_server_timestamp_in (-RATE_WINDOW_SECONDS);
  const char *prune[] = { scope, cutoff, NULL };
  const char *insert[] = { scope, now, NULL };

  _pd_store_exec_bound (store, "DELETE FROM login_failures WHERE scope = ?1 AND at <= ?2", prune,
                        NULL);
  _pd_store_exec_bound (store, "INSERT INTO login_failures (scope, at) VALUES (?1, ?2)", insert,
                        NULL);
}

static void
clear_failures (PdStore    *store,
                const char *scope)
{
  const char *params[] = { scope, NULL };

  _pd_store_exec_bound (store, "DELETE FROM login_failures WHERE scope = ?1", params, NULL);
}

static gboolean
reply_if_rate_limited (PdServer          *self,
                       SoupServerMessage *msg,
                       const char        *account_scope,
                       const char        *address_scope)
{
  gint64 wait = MAX (rate_retry_after (self->store, account_scope, RATE_LIMIT_ACCOUNT),
                     rate_retry_after (self->store, address_scope, RATE_LIMIT_ADDRESS));
  g_autofree char *seconds = NULL;

  if (wait <= 0)
    return FALSE;
  seconds = g_strdup_printf ("%" G_GINT64_FORMAT, wait);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "Retry-After", seconds);
  pd_server_reply_error (msg, 429, "rate_limited",
                         _("Too many failed sign-ins. Wait a few minutes and try again."), NULL);
  return TRUE;
}

/* Sign-in: the Argon2id check runs in a worker thread while the message is paused. */

typedef struct {
  PdServer          *server;
  SoupServerMessage *msg;
  char              *user_id;      /* NULL: no such account */
  char              *kind;
  char              *hash;         /* NULL: no password set yet */
  char              *password;
  char              *account_scope;
  char              *address_scope;
} SignIn;

static void
sign_in_free (SignIn *s)
{
  g_object_unref (s->server);
  g_object_unref (s->msg);
  g_free (s->user_id);
  g_free (s->kind);
  g_free (s->hash);
  if (s->password)
    sodium_memzero (s->password, strlen (s->password));
  g_free (s->password);
  g_free (s->account_scope);
  g_free (s->address_scope);
  g_free (s);
}

/* A hash to verify against when the account is unknown, so that the answer takes as long. */
static gpointer
make_dummy_hash (gpointer data)
{
  return pd_server_hash_password ("partner-desk: no such account");
}

static void
verify_thread (GTask        *task,
               gpointer      source,
               gpointer      task_data,
               GCancellable *cancellable)
{
  static GOnce dummy = G_ONCE_INIT;
  SignIn *s = task_data;
  gboolean ok;

  if (s->hash)
    ok = pd_server_verify_password (s->hash, s->password);
  else
    {
      g_once (&dummy, make_dummy_hash, NULL);
      pd_server_verify_password (dummy.retval, s->password);
      ok = FALSE;
    }
  g_task_return_boolean (task, ok && s->user_id != NULL);
}

static JsonNode *
user_json (PdServer    *self,
           PdPrincipal *principal)
{
  const PdRecordType *type = principal->partner_user ? &pd_partner_user_type
                                                     : &pd_practice_user_type;
  g_autoptr(PdRecord) user = pd_store_get (self->store, type, principal->user_id, NULL);
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autofree char *permissions = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "id");
  json_builder_add_string_value (b, principal->user_id);
  json_builder_set_member_name (b, "name");
  json_builder_add_string_value (b, user ? pd_record_get_string (user, "name") : NULL);
  json_builder_set_member_name (b, "email");
  json_builder_add_string_value (b, user ? pd_record_get_string (user, "email") : NULL);
  json_builder_set_member_name (b, "kind");
  json_builder_add_string_value (b, principal->partner_user ? "partner" : "practice");
  json_builder_set_member_name (b, "permissions");
  if (principal->partner_user)
    json_builder_add_null_value (b);
  else
    {
      permissions = pd_permissions_format (principal->permissions);
      json_builder_add_string_value (b, permissions);
    }
  json_builder_set_member_name (b, "partner_id");
  if (principal->partner_id)
    json_builder_add_string_value (b, principal->partner_id);
  else
    json_builder_add_null_value (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static gboolean
open_session (PdServer    *self,
              PdPrincipal *principal,
              const char  *address,
              char       **token)
{
  g_autofree char *now = pd_timestamp_now ();
  g_autoptr(PdStmt) stmt = _pd_store_prepare (self->store,
                                              "INSERT INTO sessions (token_hash, user_id, kind, "
                                              "created_at, last_used_at, address) "
                                              "VALUES (?1, ?2, ?3, ?4, ?4, ?5)", NULL);

  if (stmt == NULL)
    return FALSE;
  *token = pd_server_new_token ();
  principal->token_hash = pd_server_token_hash (*token);
  sqlite3_bind_text (stmt, 1, principal->token_hash, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, principal->user_id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, principal->partner_user ? "partner" : "practice", -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 4, now, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 5, address, -1, SQLITE_STATIC);
  return sqlite3_step (stmt) == SQLITE_DONE;
}

static void
reply_session (PdServer          *self,
               SoupServerMessage *msg,
               PdPrincipal       *principal)
{
  g_autofree char *token = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  if (!open_session (self, principal, pd_server_client_address (msg), &token))
    {
      pd_server_reply_error (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "unavailable",
                             _("The server could not open a session; try again."), NULL);
      return;
    }
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "token");
  json_builder_add_string_value (b, token);
  json_builder_set_member_name (b, "expires_in");
  json_builder_add_int_value (b, self->config.session_idle_timeout);
  json_builder_set_member_name (b, "user");
  json_builder_add_value (b, user_json (self, principal));
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  pd_server_reply_json (msg, SOUP_STATUS_CREATED, root);
  sodium_memzero (token, strlen (token));
}

static void
verified_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  SignIn *s = g_task_get_task_data (G_TASK (result));
  PdServer *self = s->server;
  g_autoptr(PdPrincipal) principal = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), NULL))
    {
      record_failure (self->store, s->account_scope);
      record_failure (self->store, s->address_scope);
      pd_server_reply_error (s->msg, SOUP_STATUS_UNAUTHORIZED, "invalid_credentials",
                             _("The email address or the password is wrong."), NULL);
    }
  else if ((principal = load_principal (self->store, s->user_id, s->kind)) == NULL)
    pd_server_reply_error (s->msg, SOUP_STATUS_FORBIDDEN, "account_disabled",
                           _("This account is disabled. Ask the practice to enable it."), NULL);
  else
    {
      clear_failures (self->store, s->account_scope);
      reply_session (self, s->msg, principal);
    }
  soup_server_message_unpause (s->msg);
}

static void
lookup_credentials (PdServer   *self,
                    const char *email_fold,
                    SignIn     *s)
{
  g_autoptr(PdStmt) stmt = _pd_store_prepare (self->store,
                                              "SELECT user_id, kind, password_hash "
                                              "FROM credentials WHERE email_fold = ?1", NULL);

  if (stmt == NULL)
    return;
  sqlite3_bind_text (stmt, 1, email_fold, -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return;
  s->user_id = g_strdup (_pd_stmt_text (stmt, 0));
  s->kind = g_strdup (_pd_stmt_text (stmt, 1));
  s->hash = g_strdup (_pd_stmt_text (stmt, 2));
}

static const char *
string_member (JsonObject *object,
               const char *name,
               GHashTable *errors)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING
      && *json_node_get_string (node))
    return json_node_get_string (node);
  g_hash_table_insert (errors, g_strdup (name), g_strdup (_("Required")));
  return NULL;
}

static void
sign_in (PdServer          *self,
         SoupServerMessage *msg)
{
  g_autoptr(JsonObject) body = pd_server_read_json (self, msg);
  g_autoptr(GHashTable) errors = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(GTask) task = NULL;
  g_autofree char *email_fold = NULL;
  const char *email, *password;
  SignIn *s;

  if (body == NULL)
    return;
  email = string_member (body, "email", errors);
  password = string_member (body, "password", errors);
  if (g_hash_table_size (errors) > 0)
    {
      pd_server_reply_error (msg, SOUP_STATUS_UNPROCESSABLE_ENTITY, "invalid",
                             _("Enter an email address and a password."), errors);
      return;
    }
  email_fold = fold_email (email);
  s = g_new0 (SignIn, 1);
  s->server = g_object_ref (self);
  s->msg = g_object_ref (msg);
  s->password = g_strdup (password);
  s->account_scope = g_strconcat ("account:", email_fold, NULL);
  s->address_scope = g_strconcat ("address:", pd_server_client_address (msg), NULL);
  if (reply_if_rate_limited (self, msg, s->account_scope, s->address_scope))
    {
      sign_in_free (s);
      return;
    }
  lookup_credentials (self, email_fold, s);
  task = g_task_new (NULL, NULL, verified_cb, NULL);
  g_task_set_task_data (task, s, (GDestroyNotify) sign_in_free);
  soup_server_message_pause (msg);
  g_task_run_in_thread (task, verify_thread);
}

static void
sign_out (PdServer          *self,
          SoupServerMessage *msg)
{
  g_autoptr(PdPrincipal) principal = pd_server_authenticate (self, msg);

  if (principal == NULL)
    return;
  delete_session (self->store, principal->token_hash);
  soup_server_message_set_status (msg, SOUP_STATUS_NO_CONTENT, NULL);
}

static void
session_cb (SoupServer        *server,
            SoupServerMessage *msg,
            const char        *path,
            GHashTable        *query,
            gpointer           user_data)
{
  PdServer *self = user_data;
  const char *method = soup_server_message_get_method (msg);

  if (strcmp (path, "/api/v1/session") != 0)
    pd_server_reply_not_found (msg);
  else if (strcmp (method, "POST") == 0)
    sign_in (self, msg);
  else if (strcmp (method, "DELETE") == 0)
    sign_out (self, msg);
  else
    pd_server_reply_method_not_allowed (msg, "POST, DELETE");
}

void
pd_server_auth_register (PdServer *self)
{
  soup_server_add_handler (self->soup, "/api/v1/session", session_cb, self, NULL);
}
