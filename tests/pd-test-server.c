/* pd-test-server.c: the real partner-desk-server for tests and benches, and an SMTP sink for its mail. */
#include "pd-test-server.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#include "pd-test-util.h"

#define START_SECONDS 60
#define SINK_SECONDS 20

static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

GSubprocessLauncher *
pd_test_launcher_new (GSubprocessFlags flags)
{
  GSubprocessLauncher *launcher = g_subprocess_launcher_new (flags);

  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  return launcher;
}

void
pd_test_stop_process (GSubprocess **process,
                      int           signum)
{
  if (*process == NULL)
    return;
  g_subprocess_send_signal (*process, signum);
  g_subprocess_wait (*process, NULL, NULL);
  g_clear_object (process);
}

void
pd_test_async_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      slot)
{
  *(GAsyncResult **) slot = g_object_ref (result);
}

GAsyncResult *
pd_test_async_wait (GAsyncResult **slot)
{
  PD_WAIT_UNTIL (*slot != NULL);
  return g_steal_pointer (slot);
}

PdTestServer *
pd_test_server_new (const char *binary)
{
  PdTestServer *s = g_new0 (PdTestServer, 1);

  s->binary = g_strdup (binary);
  s->dir = g_dir_make_tmp ("pd-test-server-XXXXXX", NULL);
  g_assert_nonnull (s->dir);
  s->db = g_build_filename (s->dir, "server.db", NULL);
  s->log = g_build_filename (s->dir, "server.log", NULL);
  s->args = g_ptr_array_new_with_free_func (g_free);
  s->env = g_ptr_array_new_with_free_func (g_free);
  s->http = soup_session_new ();
  return s;
}

void
pd_test_server_free (PdTestServer *s)
{
  if (s == NULL)
    return;
  pd_test_server_stop (s, SIGTERM);
  pd_test_remove_tree (s->dir);
  g_clear_object (&s->http);
  g_ptr_array_unref (s->args);
  g_ptr_array_unref (s->env);
  g_free (s->binary);
  g_free (s->dir);
  g_free (s->db);
  g_free (s->log);
  g_free (s->cert);
  g_free (s->key);
  g_free (s->ca);
  g_free (s->url);
  g_free (s->invite_path);
  g_free (s);
}

void
pd_test_server_add_args (PdTestServer *s,
                         const char   *first,
                         ...)
{
  va_list ap;

  va_start (ap, first);
  for (const char *arg = first; arg; arg = va_arg (ap, const char *))
    g_ptr_array_add (s->args, g_strdup (arg));
  va_end (ap);
}

void
pd_test_server_setenv (PdTestServer *s,
                       const char   *name,
                       const char   *value)
{
  g_ptr_array_add (s->env, g_strdup (name));
  g_ptr_array_add (s->env, g_strdup (value));
}

/* Runs ARGV in CWD (NULL: this one); its standard output in *OUT when not NULL. */
static gboolean
run_in (const char * const  *argv,
        const char          *cwd,
        char               **out,
        GError             **error)
{
  g_autoptr(GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GSubprocess) proc = NULL;
  g_autofree char *err = NULL;

  if (cwd != NULL)
    g_subprocess_launcher_set_cwd (launcher, cwd);
  proc = g_subprocess_launcher_spawnv (launcher, argv, error);
  if (proc == NULL || !g_subprocess_communicate_utf8 (proc, NULL, NULL, out, &err, error))
    return FALSE;
  if (!g_subprocess_get_successful (proc))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s failed: %s", argv[0], err);
      return FALSE;
    }
  return TRUE;
}

static gboolean
run (const char * const  *argv,
     char               **out,
     GError             **error)
{
  return run_in (argv, NULL, out, error);
}

gboolean
pd_test_server_make_certificates (PdTestServer  *s,
                                  GError       **error)
{
  /* In the server's directory: a CA, and a certificate for 127.0.0.1 it signed. */
  static const char cmd[] =
    "openssl req -x509 -newkey rsa:2048 -nodes -keyout ca-key.pem -out ca.pem "
    "-days 2 -subj /CN=Test-CA -addext basicConstraints=critical,CA:TRUE "
    "&& openssl req -newkey rsa:2048 -nodes -keyout key.pem -out req.pem -subj /CN=127.0.0.1 "
    "&& printf 'subjectAltName=IP:127.0.0.1\\n' > ext.cnf "
    "&& openssl x509 -req -in req.pem -CA ca.pem -CAkey ca-key.pem -CAcreateserial "
    "-out cert.pem -days 2 -extfile ext.cnf";
  const char *argv[] = { "/bin/sh", "-c", cmd, NULL };
  g_autoptr(GTlsDatabase) db = NULL;

  if (!run_in (argv, s->dir, NULL, error))
    return FALSE;
  g_free (s->ca);
  g_free (s->cert);
  g_free (s->key);
  s->ca = g_build_filename (s->dir, "ca.pem", NULL);
  s->cert = g_build_filename (s->dir, "cert.pem", NULL);
  s->key = g_build_filename (s->dir, "key.pem", NULL);
  db = g_tls_file_database_new (s->ca, error);
  if (db == NULL)
    return FALSE;
  soup_session_set_tls_database (s->http, db);
  return TRUE;
}

/* "--NAME VALUE" on ARGV (owned strings) when VALUE is set. */
static void
add_option (GPtrArray  *argv,
            const char *name,
            const char *value)
{
  if (value == NULL)
    return;
  g_ptr_array_add (argv, g_strdup (name));
  g_ptr_array_add (argv, g_strdup (value));
}

gboolean
pd_test_server_init (PdTestServer  *s,
                     const char    *owner_email,
                     const char    *practice_name,
                     const char    *public_url,
                     GError       **error)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *out = NULL;
  const char *path;

  g_ptr_array_add (argv, g_strdup (s->binary));
  g_ptr_array_add (argv, g_strdup ("init"));
  add_option (argv, "--database", s->db);
  add_option (argv, "--owner-email", owner_email);
  add_option (argv, "--practice-name", practice_name);
  add_option (argv, "--public-url", public_url);
  g_ptr_array_add (argv, NULL);
  if (!run ((const char * const *) argv->pdata, &out, error))
    return FALSE;
  path = out ? strstr (out, "/invite/") : NULL;
  if (path == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "init printed no link: %s", out);
      return FALSE;
    }
  g_free (s->invite_path);
  s->invite_path = g_strndup (path, strcspn (path, " \r\n\t"));
  return TRUE;
}

static char *
read_port_file (const char *path)
{
  g_autofree char *text = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL) || atoi (text) <= 0)
    return NULL;
  return g_steal_pointer (&text);
}

static GSubprocess *
spawn_server (PdTestServer  *s,
              const char    *port_file,
              GError       **error)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *listen = g_strdup_printf ("127.0.0.1:%u", s->port);

  launcher = pd_test_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE
                           | (s->log ? 0 : G_SUBPROCESS_FLAGS_STDERR_SILENCE));
  /* Appended to, so that a restarted server's requests add to the same log. */
  if (s->log)
    {
      int fd = g_open (s->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);

      if (fd < 0)
        {
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
                       "could not open %s", s->log);
          return NULL;
        }
      g_subprocess_launcher_take_stderr_fd (launcher, fd);
    }
  for (guint i = 0; i + 1 < s->env->len; i += 2)
    g_subprocess_launcher_setenv (launcher, s->env->pdata[i], s->env->pdata[i + 1], TRUE);
  g_ptr_array_add (argv, g_strdup (s->binary));
  add_option (argv, "--database", s->db);
  add_option (argv, "--listen", listen);
  add_option (argv, "--port-file", port_file);
  add_option (argv, "--tls-cert", s->cert);
  add_option (argv, "--tls-key", s->key);
  for (guint i = 0; i < s->args->len; i++)
    g_ptr_array_add (argv, g_strdup (s->args->pdata[i]));
  g_ptr_array_add (argv, NULL);
  return g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, error);
}

gboolean
pd_test_server_start (PdTestServer  *s,
                      GError       **error)
{
  g_autofree char *port_file = g_build_filename (s->dir, "port", NULL);
  g_autofree char *port = NULL;
  gint64 end = g_get_monotonic_time () + START_SECONDS * G_USEC_PER_SEC;

  g_return_val_if_fail (s->proc == NULL, FALSE);
  g_remove (port_file);
  s->proc = spawn_server (s, port_file, error);
  if (s->proc == NULL)
    return FALSE;
  while ((port = read_port_file (port_file)) == NULL)
    {
      if (g_subprocess_get_identifier (s->proc) == NULL || g_get_monotonic_time () > end)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                       "partner-desk-server did not start (see %s)", s->log ? s->log : "stderr");
          pd_test_server_stop (s, SIGKILL);
          return FALSE;
        }
      g_usleep (10000);
    }
  s->port = (guint) atoi (port);
  g_free (s->url);
  s->url = g_strdup_printf ("%s://127.0.0.1:%u", s->cert ? "https" : "http", s->port);
  return TRUE;
}

void
pd_test_server_stop (PdTestServer *s,
                     int           signum)
{
  pd_test_stop_process (&s->proc, signum);
}

gboolean
pd_test_server_accept (PdTestServer  *s,
                       const char    *path,
                       const char    *name,
                       const char    *password,
                       GError       **error)
{
  g_autofree char *form = soup_form_encode ("name", name, "password", password,
                                            "password_repeat", password, NULL);
  g_autofree char *page = NULL;
  guint status;

  status = pd_test_server_request (s, "POST", path, "application/x-www-form-urlencoded", form,
                                   NULL, &page, error);
  if (status == 0)
    return FALSE;
  if (status != SOUP_STATUS_OK)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "accepting %s answered %u: %s", path,
                   status, page);
      return FALSE;
    }
  return TRUE;
}

gboolean
pd_test_server_setup (PdTestServer  *s,
                      const char    *owner_email,
                      const char    *owner_name,
                      const char    *password,
                      GError       **error)
{
  return pd_test_server_init (s, owner_email, NULL, NULL, error)
         && pd_test_server_start (s, error)
         && pd_test_server_accept (s, s->invite_path, owner_name, password, error);
}

guint
pd_test_server_request (PdTestServer       *s,
                        const char         *method,
                        const char         *path,
                        const char         *content_type,
                        const char         *body,
                        const char * const *headers,
                        char              **answer,
                        GError            **error)
{
  g_autofree char *uri = g_strconcat (s->url, path, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new (method, uri);
  g_autoptr(GBytes) reply = NULL;

  if (msg == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "bad address %s", uri);
      return 0;
    }
  for (guint i = 0; headers && headers[i] && headers[i + 1]; i += 2)
    soup_message_headers_replace (soup_message_get_request_headers (msg), headers[i],
                                  headers[i + 1]);
  if (body)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));

      soup_message_set_request_body_from_bytes (msg, content_type, bytes);
    }
  reply = soup_session_send_and_read (s->http, msg, NULL, error);
  if (reply == NULL)
    return 0;
  if (answer)
    *answer = g_strndup (g_bytes_get_data (reply, NULL), g_bytes_get_size (reply));
  return soup_message_get_status (msg);
}

char *
pd_test_server_sign_in (PdTestServer  *s,
                        const char    *email,
                        const char    *password,
                        GError       **error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) request = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *body = NULL;
  g_autofree char *answer = NULL;
  JsonObject *object;
  guint status;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "email");
  json_builder_add_string_value (builder, email);
  json_builder_set_member_name (builder, "password");
  json_builder_add_string_value (builder, password);
  json_builder_end_object (builder);
  request = json_builder_get_root (builder);
  body = json_to_string (request, FALSE);
  status = pd_test_server_request (s, "POST", "/api/v1/session", "application/json", body, NULL,
                                   &answer, error);
  if (status == 0)
    return NULL;
  node = status == SOUP_STATUS_CREATED ? json_from_string (answer, NULL) : NULL;
  object = node && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
  if (object == NULL || json_object_get_string_member_with_default (object, "token", NULL) == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED, "signing in as %s answered "
                   "%u: %s", email, status, answer);
      return NULL;
    }
  return g_strdup (json_object_get_string_member (object, "token"));
}

guint
pd_test_free_port (void)
{
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                            G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;

  g_assert_nonnull (socket);
  g_assert_true (g_socket_bind (socket, any, FALSE, NULL));
  bound = g_socket_get_local_address (socket, NULL);
  g_assert_nonnull (bound);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

/* The SMTP sink */

#define PYTHON "/usr/bin/python3"

static gboolean
sink_accepts (PdTestMailSink *sink)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;

  connection = g_socket_client_connect_to_host (client, "127.0.0.1", (guint16) sink->port, NULL,
                                                NULL);
  return connection != NULL;
}

PdTestMailSink *
pd_test_mail_sink_new (GError **error)
{
  const char *probe[] = { PYTHON, "-c", "import aiosmtpd.handlers", NULL };
  g_autoptr(PdTestMailSink) sink = g_new0 (PdTestMailSink, 1);
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *listen = NULL;
  gint64 end = g_get_monotonic_time () + SINK_SECONDS * G_USEC_PER_SEC;

  if (!g_file_test (PYTHON, G_FILE_TEST_IS_EXECUTABLE) || !run (probe, NULL, &local_error))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "aiosmtpd is not importable by " PYTHON " (apt-get install python3-aiosmtpd)%s%s",
                   local_error ? ": " : "", local_error ? local_error->message : "");
      return NULL;
    }
  sink->top = g_dir_make_tmp ("pd-test-mail-XXXXXX", error);
  if (sink->top == NULL)
    return NULL;
  /* Python's Maildir makes new/, cur/ and tmp/ only in a directory it creates. */
  sink->dir = g_build_filename (sink->top, "maildir", NULL);
  sink->port = pd_test_free_port ();
  listen = g_strdup_printf ("127.0.0.1:%u", sink->port);
  launcher = pd_test_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  sink->proc = g_subprocess_launcher_spawn (launcher, error, PYTHON, "-m", "aiosmtpd", "-n",
                                            "-l", listen, "-c", "aiosmtpd.handlers.Mailbox",
                                            sink->dir, NULL);
  if (sink->proc == NULL)
    return NULL;
  while (!sink_accepts (sink))
    {
      if (g_subprocess_get_identifier (sink->proc) == NULL || g_get_monotonic_time () > end)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "aiosmtpd did not start on %s",
                       listen);
          return NULL;
        }
      g_usleep (20000);
    }
  return g_steal_pointer (&sink);
}

void
pd_test_mail_sink_free (PdTestMailSink *sink)
{
  if (sink == NULL)
    return;
  pd_test_stop_process (&sink->proc, SIGTERM);
  if (sink->top)
    pd_test_remove_tree (sink->top);
  g_free (sink->top);
  g_free (sink->dir);
  g_free (sink);
}

static int
hex_value (char c)
{
  return g_ascii_isxdigit (c) ? g_ascii_xdigit_value (c) : -1;
}

/* Quoted-printable (RFC 2045 6.7): "=XX" is a byte, "=" at the end of a line joins it to
 * the next. */
static char *
decode_quoted_printable (const char *text)
{
  GString *out = g_string_sized_new (strlen (text));

  for (const char *p = text; *p; p++)
    {
      if (*p != '=')
        g_string_append_c (out, *p);
      else if (p[1] == '\r' && p[2] == '\n')
        p += 2;
      else if (p[1] == '\n')
        p += 1;
      else if (hex_value (p[1]) >= 0 && hex_value (p[2]) >= 0)
        {
          g_string_append_c (out, (char) (hex_value (p[1]) * 16 + hex_value (p[2])));
          p += 2;
        }
      else
        g_string_append_c (out, *p);
    }
  return g_string_free (out, FALSE);
}

/* A header's value (continuation lines unfolded) in the header block HEAD, or NULL. */
static char *
header_value (const char *head,
              const char *name)
{
  g_auto(GStrv) lines = g_strsplit (head, "\n", -1);
  GString *value = NULL;
  gsize len = strlen (name);

  for (guint i = 0; lines[i]; i++)
    {
      char *line = g_strchomp (lines[i]);

      if (value && (line[0] == ' ' || line[0] == '\t'))
        g_string_append (value, line);
      else if (value)
        break;
      else if (g_ascii_strncasecmp (line, name, len) == 0 && line[len] == ':')
        value = g_string_new (g_strstrip (line + len + 1));
    }
  return value ? g_string_free (value, FALSE) : NULL;
}

/* The body of the message in FILE when it was sent to RECIPIENT. */
static char *
message_for (const char  *file,
             const char  *recipient,
             char       **subject)
{
  g_autofree char *text = NULL;
  g_autofree char *rcpt = NULL;
  g_autofree char *encoding = NULL;
  char *body;

  if (!g_file_get_contents (file, &text, NULL, NULL))
    return NULL;
  body = strstr (text, "\n\n");
  if (body == NULL)
    return NULL;
  *body = '\0';
  body += 2;
  rcpt = header_value (text, "X-RcptTo");
  if (rcpt == NULL || strstr (rcpt, recipient) == NULL)
    return NULL;
  encoding = header_value (text, "Content-Transfer-Encoding");
  if (subject)
    *subject = header_value (text, "Subject");
  if (encoding && g_ascii_strcasecmp (encoding, "quoted-printable") == 0)
    return decode_quoted_printable (body);
  if (encoding && g_ascii_strcasecmp (encoding, "base64") == 0)
    {
      gsize len = 0;
      g_autofree guchar *data = g_base64_decode (body, &len);

      return g_strndup ((const char *) data, len);
    }
  return g_strdup (body);
}

char *
pd_test_mail_sink_find (PdTestMailSink  *sink,
                        const char      *recipient,
                        char           **subject)
{
  g_autofree char *new_dir = g_build_filename (sink->dir, "new", NULL);
  g_autoptr(GDir) dir = g_dir_open (new_dir, 0, NULL);
  const char *name;

  while (dir && (name = g_dir_read_name (dir)))
    {
      g_autofree char *file = g_build_filename (new_dir, name, NULL);
      char *body = message_for (file, recipient, subject);

      if (body)
        return body;
    }
  return NULL;
}

char *
pd_test_invite_path (const char *text)
{
  const char *path = text ? strstr (text, "/invite/") : NULL;
  gsize len = 0;

  if (path == NULL)
    return NULL;
  len = strlen ("/invite/");
  while (g_ascii_isalnum (path[len]) || path[len] == '-' || path[len] == '_')
    len++;
  return g_strndup (path, len);
}
