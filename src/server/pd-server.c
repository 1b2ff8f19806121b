/* pd-server.c: the PdServer object: store, listening socket, routing, replies, request log. */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <sodium.h>
#include <string.h>

#include "pd-server-private.h"
#include "pd-store-private.h"

G_DEFINE_FINAL_TYPE (PdServer, pd_server, G_TYPE_OBJECT)

static GQuark start_quark;

void
pd_server_config_clear (PdServerConfig *config)
{
  g_clear_pointer (&config->database, g_free);
  g_clear_pointer (&config->listen, g_free);
  g_clear_pointer (&config->tls_cert, g_free);
  g_clear_pointer (&config->tls_key, g_free);
  g_clear_pointer (&config->public_url, g_free);
  g_clear_pointer (&config->smtp_url, g_free);
  g_clear_pointer (&config->smtp_user, g_free);
  if (config->smtp_password)
    memset (config->smtp_password, 0, strlen (config->smtp_password));
  g_clear_pointer (&config->smtp_password, g_free);
  g_clear_pointer (&config->mail_from, g_free);
  g_clear_pointer (&config->port_file, g_free);
}

static void
config_copy (PdServerConfig       *dest,
             const PdServerConfig *src)
{
  dest->database = g_strdup (src->database);
  dest->listen = g_strdup (src->listen ? src->listen : "127.0.0.1:8080");
  dest->tls_cert = g_strdup (src->tls_cert);
  dest->tls_key = g_strdup (src->tls_key);
  dest->public_url = g_strdup (src->public_url);
  dest->smtp_url = g_strdup (src->smtp_url);
  dest->smtp_user = g_strdup (src->smtp_user);
  dest->smtp_password = g_strdup (src->smtp_password);
  dest->mail_from = g_strdup (src->mail_from);
  dest->port_file = g_strdup (src->port_file);
  dest->faults = src->faults;
  dest->session_idle_timeout = src->session_idle_timeout ? src->session_idle_timeout
                                                         : PD_SERVER_DEFAULT_IDLE_TIMEOUT;
}

static void
pd_server_dispose (GObject *object)
{
  PdServer *self = PD_SERVER (object);

  pd_server_mail_stop (self);
  g_clear_handle_id (&self->housekeeping, g_source_remove);
  if (self->soup)
    soup_server_disconnect (self->soup);
  g_clear_object (&self->soup);
  G_OBJECT_CLASS (pd_server_parent_class)->dispose (object);
}

static void
pd_server_finalize (GObject *object)
{
  PdServer *self = PD_SERVER (object);

  g_clear_object (&self->store);
  g_clear_pointer (&self->rate, g_hash_table_unref);
  pd_server_config_clear (&self->config);
  G_OBJECT_CLASS (pd_server_parent_class)->finalize (object);
}

static void
pd_server_class_init (PdServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = pd_server_dispose;
  object_class->finalize = pd_server_finalize;
  start_quark = g_quark_from_static_string ("pd-server-start");
}

static void
pd_server_init (PdServer *self)
{
}

/* Replies */

void
pd_server_set_status (SoupServerMessage *msg,
                      guint              status)
{
  /* libsoup 3.2 knows no phrase for these (RFC 6585). */
  const char *reason = status == 428 ? "Precondition Required"
                       : status == 429 ? "Too Many Requests" : NULL;

  soup_server_message_set_status (msg, status, reason);
}

void
pd_server_reply_json_text (SoupServerMessage *msg,
                           guint              status,
                           char              *json)
{
  pd_server_set_status (msg, status);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE,
                                    json, strlen (json));
}

void
pd_server_reply_json (SoupServerMessage *msg,
                      guint              status,
                      JsonNode          *node)
{
  pd_server_reply_json_text (msg, status, json_to_string (node, FALSE));
}

void
pd_server_reply_error (SoupServerMessage *msg,
                       guint              status,
                       const char        *code,
                       const char        *message,
                       GHashTable        *fields)
{
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  JsonObject *o = json_object_new ();
  JsonObject *f = json_object_new ();
  GHashTableIter iter;
  gpointer key, value;

  json_object_set_string_member (o, "error", code);
  json_object_set_string_member (o, "message", message);
  if (fields)
    {
      g_hash_table_iter_init (&iter, fields);
      while (g_hash_table_iter_next (&iter, &key, &value))
        json_object_set_string_member (f, key, value);
    }
  json_object_set_object_member (o, "fields", f);
  json_node_take_object (node, o);
  pd_server_reply_json (msg, status, node);
}

void
pd_server_reply_not_found (SoupServerMessage *msg)
{
  pd_server_reply_error (msg, SOUP_STATUS_NOT_FOUND, "not_found",
                         _("There is nothing at this address."), NULL);
}

void
pd_server_reply_method_not_allowed (SoupServerMessage *msg,
                                    const char        *allow)
{
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow", allow);
  pd_server_reply_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "method_not_allowed",
                         _("This method is not allowed here."), NULL);
}

void
pd_server_set_etag (SoupServerMessage *msg,
                    gint64             version)
{
  g_autofree char *etag = g_strdup_printf ("\"%" G_GINT64_FORMAT "\"", version);

  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "ETag", etag);
}

void
pd_server_reply_html (SoupServerMessage *msg,
                      guint              status,
                      const char        *html)
{
  pd_server_set_status (msg, status);
  soup_server_message_set_response (msg, "text/html; charset=utf-8", SOUP_MEMORY_COPY,
                                    html, strlen (html));
}

char *
pd_server_request_sha256 (SoupServerMessage *msg)
{
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  const char *method = soup_server_message_get_method (msg);
  const char *path = g_uri_get_path (soup_server_message_get_uri (msg));

  g_checksum_update (sum, (const guchar *) method, -1);
  g_checksum_update (sum, (const guchar *) " ", 1);
  g_checksum_update (sum, (const guchar *) path, -1);
  g_checksum_update (sum, (const guchar *) "\n", 1);
  if (body->length)
    g_checksum_update (sum, (const guchar *) body->data, body->length);
  return g_strdup (g_checksum_get_string (sum));
}

char *
pd_server_timestamp_in (gint64 seconds)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr(GDateTime) then = g_date_time_add_seconds (now, (gdouble) seconds);

  return g_date_time_format (then, "%Y-%m-%dT%H:%M:%SZ");
}

const char *
pd_server_client_address (SoupServerMessage *msg)
{
  const char *host = soup_server_message_get_remote_host (msg);

  return host ? host : "";
}

static gboolean
is_json_type (SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *type = soup_message_headers_get_content_type (headers, NULL);

  return type && g_ascii_strcasecmp (type, "application/json") == 0;
}

/* json-glib parses recursively: refuse deep nesting before it overflows the stack. */
#define MAX_JSON_DEPTH 32

static gboolean
nesting_ok (const char *data,
            gsize       length)
{
  gboolean in_string = FALSE;
  guint depth = 0;

  for (gsize i = 0; i < length; i++)
    {
      char c = data[i];

      if (in_string)
        {
          if (c == '\\')
            i++;
          else if (c == '"')
            in_string = FALSE;
        }
      else if (c == '"')
        in_string = TRUE;
      else if ((c == '[' || c == '{') && ++depth > MAX_JSON_DEPTH)
        return FALSE;
      else if ((c == ']' || c == '}') && depth > 0)
        depth--;
    }
  return TRUE;
}

JsonObject *
pd_server_read_json (PdServer          *self,
                     SoupServerMessage *msg)
{
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonNode *root;

  if (body->length > PD_SERVER_MAX_BODY)
    {
      pd_server_reply_error (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "too_large",
                             _("The request body is larger than 1 MiB."), NULL);
      return NULL;
    }
  if (!is_json_type (msg))
    {
      pd_server_reply_error (msg, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type",
                             _("The request body must be JSON (Content-Type: application/json)."),
                             NULL);
      return NULL;
    }
  if (body->length == 0 || !g_utf8_validate (body->data, body->length, NULL)
      || !nesting_ok (body->data, body->length)
      || !json_parser_load_from_data (parser, body->data, body->length, NULL)
      || (root = json_parser_get_root (parser)) == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      pd_server_reply_error (msg, SOUP_STATUS_BAD_REQUEST, "malformed_json",
                             _("The request body is not a well-formed JSON object."), NULL);
      return NULL;
    }
  return json_object_ref (json_node_get_object (root));
}

/* Routing and the request log */

static void
not_found_cb (SoupServer        *server,
              SoupServerMessage *msg,
              const char        *path,
              GHashTable        *query,
              gpointer           user_data)
{
  pd_server_reply_not_found (msg);
}

/* Bodies over the limit (any path): answered 413 without running a handler, and not kept
 * in memory. Announced by Content-Length, the refusal comes before the body: at once with
 * "Expect: 100-continue"; otherwise the body is read and dropped to keep the connection in
 * step. A chunked body is refused once its chunks pass the limit. */
static void
refuse_too_large (SoupServerMessage *msg)
{
  soup_message_body_set_accumulate (soup_server_message_get_request_body (msg), FALSE);
  pd_server_reply_error (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "too_large",
                         _("The request body is larger than 1 MiB."), NULL);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "Connection", "close");
}

static void
got_headers_cb (SoupServerMessage *msg,
                gpointer           user_data)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);

  if (soup_server_message_get_status (msg) == 0
      && soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH
      && soup_message_headers_get_content_length (headers) > PD_SERVER_MAX_BODY)
    refuse_too_large (msg);
}

static void
got_chunk_cb (SoupServerMessage *msg,
              GBytes            *chunk,
              gpointer           user_data)
{
  if (soup_server_message_get_status (msg) == 0
      && soup_server_message_get_request_body (msg)->length > PD_SERVER_MAX_BODY)
    refuse_too_large (msg);
}

static void
request_started_cb (SoupServer        *server,
                    SoupServerMessage *msg,
                    gpointer           user_data)
{
  gint64 *start = g_new (gint64, 1);

  *start = g_get_monotonic_time ();
  g_object_set_qdata_full (G_OBJECT (msg), start_quark, start, g_free);
  g_signal_connect (msg, "got-headers", G_CALLBACK (got_headers_cb), NULL);
  g_signal_connect (msg, "got-chunk", G_CALLBACK (got_chunk_cb), NULL);
}

/* The path as logged: invitation tokens are secrets. */
static char *
loggable_path (SoupServerMessage *msg)
{
  const char *path = g_uri_get_path (soup_server_message_get_uri (msg));

  if (g_str_has_prefix (path, "/invite/"))
    return g_strdup ("/invite/…");
  return g_strdup (path);
}

static void
log_request (SoupServerMessage *msg,
             const char        *outcome)
{
  gint64 *start = g_object_get_qdata (G_OBJECT (msg), start_quark);
  g_autofree char *path = loggable_path (msg);
  double ms = start ? (g_get_monotonic_time () - *start) / 1000.0 : 0;

  if (outcome)
    g_message ("%s %s %s %.1f ms", soup_server_message_get_method (msg), path, outcome, ms);
  else
    g_message ("%s %s %u %.1f ms", soup_server_message_get_method (msg), path,
               soup_server_message_get_status (msg), ms);
}

static void
request_finished_cb (SoupServer        *server,
                     SoupServerMessage *msg,
                     gpointer           user_data)
{
  log_request (msg, NULL);
}

static void
request_aborted_cb (SoupServer        *server,
                    SoupServerMessage *msg,
                    gpointer           user_data)
{
  log_request (msg, "aborted");
}

/* Listening */

static GSocketAddress *
parse_listen (const char  *listen,
              GError     **error)
{
  g_autoptr(GSocketConnectable) parsed = NULL;
  g_autoptr(GInetAddress) address = NULL;
  const char *host;
  guint16 port;

  parsed = g_network_address_parse (listen, 8080, NULL);
  if (parsed == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("“%s” is not an address to listen on: use ADDRESS:PORT, like "
                     "127.0.0.1:8080."),
                   listen);
      return NULL;
    }
  host = g_network_address_get_hostname (G_NETWORK_ADDRESS (parsed));
  port = g_network_address_get_port (G_NETWORK_ADDRESS (parsed));
  if (g_ascii_strcasecmp (host, "localhost") == 0)
    address = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  else
    address = g_inet_address_new_from_string (host);
  if (address == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("“%s” is not an IP address to listen on."), host);
      return NULL;
    }
  return g_inet_socket_address_new (address, port);
}

static gboolean
set_tls (PdServer  *self,
         GError   **error)
{
  g_autoptr(GTlsCertificate) cert = NULL;

  if (self->config.tls_cert == NULL && self->config.tls_key == NULL)
    return TRUE;
  if (self->config.tls_cert == NULL || self->config.tls_key == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("HTTPS needs both --tls-cert and --tls-key."));
      return FALSE;
    }
  cert = g_tls_certificate_new_from_files (self->config.tls_cert, self->config.tls_key, error);
  if (cert == NULL)
    {
      g_prefix_error (error, _("Could not load the TLS certificate: "));
      return FALSE;
    }
  soup_server_set_tls_certificate (self->soup, cert);
  return TRUE;
}

static gboolean
write_port_file (PdServer  *self,
                 GError   **error)
{
  g_autofree char *text = NULL;

  if (self->config.port_file == NULL)
    return TRUE;
  text = g_strdup_printf ("%u\n", self->port);
  return g_file_set_contents (self->config.port_file, text, -1, error);
}

/* Our own socket: GLib's default backlog of 10 makes the 11th of many simultaneous
 * clients wait a second for a SYN retransmission. */
static gboolean
listen_on (PdServer        *self,
           GSocketAddress  *address,
           gboolean         https,
           GError         **error)
{
  g_autoptr(GSocket) socket = g_socket_new (g_socket_address_get_family (address),
                                            G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, error);

  if (socket == NULL)
    return FALSE;
  g_socket_set_listen_backlog (socket, 1024);
  if (!g_socket_bind (socket, address, TRUE, error) || !g_socket_listen (socket, error))
    {
      g_prefix_error (error, _("Could not listen on %s: "), self->config.listen);
      return FALSE;
    }
  return soup_server_listen_socket (self->soup, socket, https ? SOUP_SERVER_LISTEN_HTTPS : 0,
                                    error);
}

static gboolean
start_listening (PdServer  *self,
                 GError   **error)
{
  g_autoptr(GSocketAddress) address = parse_listen (self->config.listen, error);
  gboolean https = self->config.tls_cert != NULL;
  GSList *listeners;
  g_autoptr(GSocketAddress) bound = NULL;

  if (address == NULL || !set_tls (self, error))
    return FALSE;
  if (!listen_on (self, address, https, error))
    return FALSE;
  listeners = soup_server_get_listeners (self->soup);
  if (listeners)
    bound = g_socket_get_local_address (listeners->data, NULL);
  g_slist_free (listeners);
  if (bound)
    self->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  if (self->config.public_url == NULL
      && g_inet_address_get_is_any (g_inet_socket_address_get_address (
           G_INET_SOCKET_ADDRESS (address))))
    g_message ("listening on every address: set --public-url for the links in invitations");
  if (self->config.public_url == NULL)
    {
      g_autofree char *host = g_inet_address_to_string (
        g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (address)));
      gboolean v6 = strchr (host, ':') != NULL;

      self->config.public_url = g_strdup_printf ("%s://%s%s%s:%u", https ? "https" : "http",
                                                 v6 ? "[" : "", host, v6 ? "]" : "", self->port);
    }
  return write_port_file (self, error);
}

/* Housekeeping: stored answers are kept 90 days (a desktop offline longer gets 412 and
 * merges instead of a replay), expired sessions and old sign-in failures go. */
#define ANSWER_DAYS 90

static gboolean
housekeeping_cb (gpointer user_data)
{
  PdServer *self = user_data;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr(GDateTime) answers = g_date_time_add_days (now, -ANSWER_DAYS);
  gdouble idle = self->config.session_idle_timeout;
  g_autoptr(GDateTime) sessions = g_date_time_add_seconds (now, -idle);
  g_autoptr(GDateTime) failures = g_date_time_add_days (now, -1);
  const char *sql[] = {
    "DELETE FROM idempotency WHERE created_at < ?1",
    "DELETE FROM sessions WHERE last_used_at < ?1",
    "DELETE FROM login_failures WHERE at < ?1",
  };
  GDateTime *cutoffs[] = { answers, sessions, failures };

  for (guint i = 0; i < G_N_ELEMENTS (sql); i++)
    {
      g_autoptr(PdStmt) stmt = _pd_store_prepare (self->store, sql[i], NULL);

      if (stmt == NULL)
        continue;
      sqlite3_bind_text (stmt, 1, g_date_time_format (cutoffs[i], "%Y-%m-%dT%H:%M:%SZ"), -1,
                         g_free);
      sqlite3_step (stmt);
    }
  return G_SOURCE_CONTINUE;
}

static void
register_routes (PdServer *self)
{
  soup_server_add_handler (self->soup, NULL, not_found_cb, self, NULL);
  pd_server_auth_register (self);
  pd_server_records_register (self);
  pd_server_invite_register (self);
  pd_server_partner_register (self);
  g_signal_connect (self->soup, "request-started", G_CALLBACK (request_started_cb), self);
  g_signal_connect (self->soup, "request-finished", G_CALLBACK (request_finished_cb), self);
  g_signal_connect (self->soup, "request-aborted", G_CALLBACK (request_aborted_cb), self);
}

PdServer *
pd_server_new (const PdServerConfig  *config,
               GError               **error)
{
  g_autoptr(PdServer) self = NULL;

  g_return_val_if_fail (config != NULL && config->database != NULL, NULL);

  if (sodium_init () < 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                           _("Could not initialise libsodium."));
      return NULL;
    }
  self = g_object_new (PD_TYPE_SERVER, NULL);
  config_copy (&self->config, config);
  self->store = pd_store_open (self->config.database, error);
  if (self->store == NULL)
    return NULL;
  /* A partner's commission-rate history arrives from the desktop that changed the terms. */
  pd_store_set_derive_records (self->store, FALSE);
  self->soup = soup_server_new ("server-header", "partner-desk-server", NULL);
  register_routes (self);
  if (!start_listening (self, error))
    return NULL;
  housekeeping_cb (self);
  self->housekeeping = g_timeout_add_seconds (6 * 3600, housekeeping_cb, self);
  pd_server_mail_start (self);
  return g_steal_pointer (&self);
}

guint
pd_server_get_port (PdServer *self)
{
  g_return_val_if_fail (PD_IS_SERVER (self), 0);
  return self->port;
}

PdStore *
pd_server_get_store (PdServer *self)
{
  g_return_val_if_fail (PD_IS_SERVER (self), NULL);
  return self->store;
}

/* `partner-desk-server init` */

typedef struct {
  const char *public_url;
  const char *owner_email;
  const char *practice_name;
  char       *link;
} InitData;

static gboolean
practice_has_owner (PdStore  *store,
                    char    **email,
                    GError  **error)
{
  g_autoptr(PdStmt) stmt = _pd_store_prepare (store,
                                              "SELECT p.email FROM credentials c "
                                              "JOIN practice_users p ON p.id = c.user_id "
                                              "WHERE c.kind = 'practice' AND p.deleted = 0 "
                                              "LIMIT 1",
                                              error);

  if (stmt == NULL)
    return FALSE;
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return FALSE;
  *email = g_strdup (_pd_stmt_text (stmt, 0));
  return TRUE;
}

static gboolean
init_cb (PdStore  *store,
         gpointer  user_data,
         GError  **error)
{
  InitData *data = user_data;
  g_autoptr(PdRecord) owner = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *existing = NULL;
  g_autofree char *permissions = pd_permissions_format (PD_PERMISSION_ALL);

  if (practice_has_owner (store, &existing, &local_error))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                   _("This practice already has an owner (%s); nothing was changed."),
                   existing ? existing : "?");
      return FALSE;
    }
  if (local_error)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  /* The owner is the store's own practice user, so that no account without credentials
   * reaches the desktops through the feed. */
  owner = pd_store_get (store, &pd_practice_user_type, pd_store_get_local_user_id (store), NULL);
  if (owner == NULL || pd_record_get_deleted (owner))
    {
      g_clear_object (&owner);
      owner = pd_record_new (&pd_practice_user_type);
    }
  pd_record_set_string (owner, "name", _("Practice owner"));
  pd_record_set_string (owner, "email", data->owner_email);
  pd_record_set_string (owner, "permissions", permissions);
  if (!pd_store_save (store, owner, error)
      || !_pd_server_credentials_upsert (store, pd_record_get_id (owner), FALSE,
                                         data->owner_email, NULL, error))
    return FALSE;
  if (data->practice_name && !pd_store_set_setting (store, "practice_name", data->practice_name,
                                                    error))
    return FALSE;
  data->link = pd_server_invite_create (store, data->public_url, owner, data->owner_email, error);
  return data->link != NULL;
}

char *
pd_server_init_practice (PdStore     *store,
                         const char  *public_url,
                         const char  *owner_email,
                         const char  *practice_name,
                         GError     **error)
{
  InitData data = { public_url, owner_email, practice_name, NULL };

  g_return_val_if_fail (PD_IS_STORE (store), NULL);
  g_return_val_if_fail (public_url != NULL && owner_email != NULL, NULL);

  if (!pd_store_transaction (store, init_cb, &data, error))
    {
      g_clear_pointer (&data.link, g_free);
      return NULL;
    }
  return data.link;
}
