/* pd-sync-http.c: synchronous requests to partner-desk-server from worker threads. */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "pd-sync-private.h"

void
pd_sync_reply_clear (PdSyncReply *reply)
{
  g_clear_pointer (&reply->object, json_object_unref);
  g_clear_pointer (&reply->bytes, g_bytes_unref);
  g_clear_pointer (&reply->retry_after, g_free);
  reply->status = 0;
}

char *
pd_sync_normalize_url (const char  *url,
                       GError     **error)
{
  g_autofree char *text = g_strstrip (g_strdup (url ? url : ""));
  g_autoptr(GUri) uri = NULL;
  const char *scheme;
  gsize len;

  uri = g_uri_parse (text, G_URI_FLAGS_NONE, NULL);
  scheme = uri ? g_uri_get_scheme (uri) : NULL;
  if (uri == NULL || g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0'
      || (g_strcmp0 (scheme, "https") != 0 && g_strcmp0 (scheme, "http") != 0))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("Enter the server’s address, like https://desk.example.org"));
      return NULL;
    }
  len = strlen (text);
  while (len > 0 && text[len - 1] == '/')
    text[--len] = '\0';
  return g_steal_pointer (&text);
}

gboolean
pd_sync_client_init (PdSyncClient  *client,
                     const char    *server_url,
                     const char    *token,
                     const char    *ca_file,
                     GCancellable  *cancellable,
                     GError       **error)
{
  memset (client, 0, sizeof *client);
  client->base = g_uri_parse (server_url, G_URI_FLAGS_NONE, error);
  if (client->base == NULL)
    return FALSE;
  client->session = soup_session_new_with_options ("timeout", 60, "idle-timeout", 60,
                                                   "user-agent", "PartnerDesk/" PACKAGE_VERSION,
                                                   NULL);
  if (ca_file)
    {
      g_autoptr(GError) local_error = NULL;
      g_autoptr(GTlsDatabase) db = g_tls_file_database_new (ca_file, &local_error);

      if (db == NULL)
        {
          g_set_error (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE,
                       _("The trusted certificates in “%s” could not be read: %s"), ca_file,
                       local_error->message);
          return FALSE;
        }
      soup_session_set_tls_database (client->session, db);
    }
  client->bearer = token ? g_strdup_printf ("Bearer %s", token) : NULL;
  client->cancellable = cancellable ? g_object_ref (cancellable) : NULL;
  return TRUE;
}

void
pd_sync_client_clear (PdSyncClient *client)
{
  if (client->session)
    soup_session_abort (client->session);
  g_clear_object (&client->session);
  g_clear_pointer (&client->base, g_uri_unref);
  if (client->bearer)
    memset (client->bearer, 0, strlen (client->bearer));
  g_clear_pointer (&client->bearer, g_free);
  g_clear_object (&client->cancellable);
}

static JsonObject *
parse_object (GBytes *bytes)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  gsize size = 0;
  const char *data = bytes ? g_bytes_get_data (bytes, &size) : NULL;
  JsonNode *root;

  if (data == NULL || size == 0 || !json_parser_load_from_data (parser, data, (gssize) size, NULL))
    return NULL;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return NULL;
  return json_object_ref (json_node_get_object (root));
}

static void
set_transport_error (GError  *cause,
                     GUri    *base,
                     GError **error)
{
  const char *host = g_uri_get_host (base);

  if (cause->domain == G_TLS_ERROR)
    g_set_error (error, G_TLS_ERROR, cause->code,
                 _("The certificate of %s could not be verified, so nothing was sent (%s). "
                   "If the practice uses its own certificate authority, install it first."),
                 host, cause->message);
  else if (g_error_matches (cause, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, cause->message);
  else
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NETWORK_UNREACHABLE,
                 _("Could not reach the server %s: %s"), host, cause->message);
}

/* libsoup re-sends a request by itself when a kept-alive connection closes before the
 * answer, but without rewinding the body: set it again, so a replay carries the same bytes
 * (the server answers a replayed Idempotency-Key only for an identical request). */
static void
restarted_cb (SoupMessage *msg,
              GBytes      *bytes)
{
  soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
}

static PdSyncOutcome
send_request (PdSyncClient  *client,
              const char    *method,
              const char    *path,
              const char    *body,
              const char   **headers,
              gboolean       raw,
              PdSyncReply   *reply,
              GError       **error)
{
  g_autoptr(GUri) uri = g_uri_parse_relative (client->base, path, G_URI_FLAGS_ENCODED, NULL);
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(GError) local_error = NULL;
  SoupMessageHeaders *request;
  const char *retry;

  pd_sync_reply_clear (reply);
  if (uri == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("“%s” is not a valid address on the server"), path);
      return PD_SYNC_OUTCOME_NETWORK;
    }
  msg = soup_message_new_from_uri (method, uri);
  request = soup_message_get_request_headers (msg);
  soup_message_headers_replace (request, "Accept", "application/json");
  if (client->bearer)
    soup_message_headers_replace (request, "Authorization", client->bearer);
  for (guint i = 0; headers && headers[i] && headers[i + 1]; i += 2)
    soup_message_headers_replace (request, headers[i], headers[i + 1]);
  if (body)
    {
      GBytes *bytes = g_bytes_new (body, strlen (body));

      soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
      g_signal_connect_data (msg, "restarted", G_CALLBACK (restarted_cb), bytes,
                             (GClosureNotify) (void (*) (void)) g_bytes_unref, 0);
    }
  answer = soup_session_send_and_read (client->session, msg, client->cancellable, &local_error);
  if (answer == NULL)
    {
      set_transport_error (local_error, client->base, error);
      return local_error->domain == G_TLS_ERROR ? PD_SYNC_OUTCOME_TLS : PD_SYNC_OUTCOME_NETWORK;
    }
  reply->status = soup_message_get_status (msg);
  if (!raw || !SOUP_STATUS_IS_SUCCESSFUL (reply->status))
    reply->object = parse_object (answer);
  reply->bytes = g_steal_pointer (&answer);
  retry = soup_message_headers_get_one (soup_message_get_response_headers (msg), "Retry-After");
  reply->retry_after = g_strdup (retry);
  return PD_SYNC_OUTCOME_OK;
}

PdSyncOutcome
pd_sync_client_send (PdSyncClient  *client,
                     const char    *method,
                     const char    *path,
                     const char    *body,
                     const char   **headers,
                     PdSyncReply   *reply,
                     GError       **error)
{
  return send_request (client, method, path, body, headers, FALSE, reply, error);
}

PdSyncOutcome
pd_sync_client_get_raw (PdSyncClient  *client,
                        const char    *path,
                        PdSyncReply   *reply,
                        GError       **error)
{
  return send_request (client, "GET", path, NULL, NULL, TRUE, reply, error);
}

char *
pd_sync_reply_message (PdSyncReply *reply)
{
  const char *message = NULL;

  if (reply->object)
    message = json_object_get_string_member_with_default (reply->object, "message", NULL);
  if (message && *message)
    return g_strdup (message);
  return g_strdup_printf (_("The server answered with status %u (%s)"), reply->status,
                          soup_status_get_phrase (reply->status));
}
