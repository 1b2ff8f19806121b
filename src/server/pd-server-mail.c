/* pd-server-mail.c: the mail outbox and its SMTP delivery worker (libcurl). */
#include "config.h"

#include <curl/curl.h>
#include <glib/gi18n-lib.h>
#include <string.h>

#include "pd-server-private.h"
#include "pd-store-private.h"

/* The first retry comes after this (PD_SERVER_MAIL_RETRY_MS overrides it, for tests);
 * each further one waits twice as long, up to the cap, with jitter. */
#define MAIL_RETRY_MS_DEFAULT 30000
#define MAIL_RETRY_CAP_MS     (30 * 60 * 1000)
/* The worker looks at the outbox at least this often (mail written by another process). */
#define MAIL_POLL_US          (10 * G_USEC_PER_SEC)

typedef struct {
  /* Owned References */
  GThread  *thread;
  PdStore  *store;        /* the worker's own connection, used only by the worker */
  char     *url;
  char     *user;
  char     *password;
  char     *from;         /* the From: header as configured */
  char     *from_address; /* the bare address, for MAIL FROM */

  GMutex    lock;
  GCond     cond;
  gboolean  stop;
  gboolean  kicked;
  guint     idle_id;      /* a kick after the enqueuing transaction committed */
  gboolean  loopback;
  gint64    retry_ms;
} MailWorker;

/* Timestamps */

/* next_attempt_at: UTC with microseconds, so short test backoffs order correctly. */
static char *
timestamp_precise (GDateTime *time)
{
  g_autoptr(GDateTime) utc = g_date_time_to_utc (time);

  return g_date_time_format (utc, "%Y-%m-%dT%H:%M:%S.%fZ");
}

static char *
timestamp_precise_in (gint64 ms)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr(GDateTime) later = g_date_time_add (now, ms * 1000);

  return timestamp_precise (later);
}

/* RFC 5322 date in the C locale: "Tue, 03 Mar 2026 10:04:05 +0000". */
static char *
rfc5322_date (void)
{
  static const char *const days[] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };
  static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();

  return g_strdup_printf ("%s, %02d %s %04d %02d:%02d:%02d +0000",
                          days[g_date_time_get_day_of_week (now) - 1],
                          g_date_time_get_day_of_month (now),
                          months[g_date_time_get_month (now) - 1],
                          g_date_time_get_year (now), g_date_time_get_hour (now),
                          g_date_time_get_minute (now), g_date_time_get_second (now));
}

/* Enqueueing (main thread, inside the caller's transaction) */

static gboolean
header_safe (const char *text)
{
  return text != NULL && strpbrk (text, "\r\n") == NULL;
}

static void
kick (MailWorker *worker)
{
  g_mutex_lock (&worker->lock);
  worker->kicked = TRUE;
  g_cond_signal (&worker->cond);
  g_mutex_unlock (&worker->lock);
}

static void
kick_after_commit (gpointer data)
{
  MailWorker *worker = data;

  worker->idle_id = 0;
  kick (worker);
}

gboolean
pd_server_mail_enqueue (PdServer    *self,
                        const char  *recipient,
                        const char  *subject,
                        const char  *body,
                        GError     **error)
{
  g_autoptr(PdStmt) stmt = NULL;
  g_autofree char *now = pd_timestamp_now ();
  g_autofree char *due = timestamp_precise_in (0);
  MailWorker *worker = self->mail;

  if (!header_safe (recipient) || !header_safe (subject) || !pd_email_is_valid (recipient))
    {
      g_set_error (error, PD_ERROR, PD_ERROR_INVALID, _("“%s” is not an email address"),
                   recipient ? recipient : "");
      return FALSE;
    }
  stmt = _pd_store_prepare (self->store,
                            "INSERT INTO mail_outbox (recipient, subject, body, created_at, "
                            "next_attempt_at) VALUES (?1, ?2, ?3, ?4, ?5)", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, recipient, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, subject, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, body, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 4, now, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 5, due, -1, SQLITE_TRANSIENT);
  if (!_pd_store_step_done (self->store, stmt, error))
    return FALSE;
  /* The request's transaction commits before the main loop runs this. */
  if (worker && worker->idle_id == 0)
    worker->idle_id = g_idle_add_once (kick_after_commit, worker);
  return TRUE;
}

/* The message (RFC 5322, RFC 2045 quoted-printable, RFC 2047 encoded words) */

static gboolean
is_ascii (const char *text)
{
  for (const char *p = text; *p; p++)
    if ((guchar) *p >= 0x80)
      return FALSE;
  return TRUE;
}

/* TEXT as encoded words, folded: "=?UTF-8?B?...?=\r\n =?UTF-8?B?...?=". */
static void
append_encoded_words (GString    *out,
                      const char *text)
{
  const char *p = text;

  while (*p)
    {
      const char *start = p;
      g_autofree char *b64 = NULL;

      /* 45 bytes of UTF-8 make 60 base64 characters: the word stays under 75. */
      while (*p && (p - start) + (g_utf8_next_char (p) - p) <= 45)
        p = g_utf8_next_char (p);
      b64 = g_base64_encode ((const guchar *) start, p - start);
      if (start != text)
        g_string_append (out, "\r\n ");
      g_string_append_printf (out, "=?UTF-8?B?%s?=", b64);
    }
}

static void
append_header_text (GString    *out,
                    const char *text)
{
  if (is_ascii (text))
    g_string_append (out, text);
  else
    append_encoded_words (out, text);
}

/* "Name <addr>" with a non-ASCII name encoded; a bare address as it is. */
static void
append_mailbox (GString    *out,
                const char *mailbox)
{
  const char *angle = strchr (mailbox, '<');
  g_autofree char *name = NULL;

  if (angle == NULL || angle == mailbox)
    {
      g_string_append (out, mailbox);
      return;
    }
  name = g_strstrip (g_strndup (mailbox, angle - mailbox));
  append_header_text (out, name);
  g_string_append_printf (out, " %s", angle);
}

static void
qp_append (GString    *out,
           guint      *column,
           const char *token)
{
  gsize len = strlen (token);

  if (*column + len > 75)
    {
      g_string_append (out, "=\r\n");
      *column = 0;
    }
  g_string_append (out, token);
  *column += len;
}

static void
qp_append_line (GString    *out,
                const char *line)
{
  guint column = 0;
  gsize len = strlen (line);

  for (gsize i = 0; i < len; i++)
    {
      guchar c = line[i];
      gboolean last = i + 1 == len;
      char token[4];

      if ((c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !last))
        g_snprintf (token, sizeof token, "%c", c);
      else
        g_snprintf (token, sizeof token, "=%02X", c);
      qp_append (out, &column, token);
    }
  g_string_append (out, "\r\n");
}

static void
append_quoted_printable (GString    *out,
                         const char *body)
{
  g_auto(GStrv) lines = g_strsplit (body, "\n", -1);

  for (guint i = 0; lines[i]; i++)
    {
      gsize len = strlen (lines[i]);

      if (len > 0 && lines[i][len - 1] == '\r')
        lines[i][len - 1] = '\0';
      if (lines[i + 1] == NULL && lines[i][0] == '\0')
        break;
      qp_append_line (out, lines[i]);
    }
}

static char *
message_id (const char *from_address)
{
  const char *at = strrchr (from_address, '@');
  guint8 bytes[16];
  g_autoptr(GString) id = g_string_new ("<");

  for (guint i = 0; i < sizeof bytes; i++)
    bytes[i] = g_random_int_range (0, 256);
  for (guint i = 0; i < sizeof bytes; i++)
    g_string_append_printf (id, "%02x", bytes[i]);
  g_string_append_printf (id, "@%s>", at && at[1] ? at + 1 : "partner-desk.invalid");
  return g_string_free (g_steal_pointer (&id), FALSE);
}

static char *
build_message (MailWorker *worker,
               const char *recipient,
               const char *subject,
               const char *body)
{
  g_autoptr(GString) out = g_string_new (NULL);
  g_autofree char *date = rfc5322_date ();
  g_autofree char *id = message_id (worker->from_address);

  g_string_append_printf (out, "Date: %s\r\nMessage-ID: %s\r\nFrom: ", date, id);
  append_mailbox (out, worker->from);
  g_string_append_printf (out, "\r\nTo: %s\r\nSubject: ", recipient);
  append_header_text (out, subject);
  g_string_append (out, "\r\nMIME-Version: 1.0\r\n"
                        "Content-Type: text/plain; charset=utf-8\r\n"
                        "Content-Transfer-Encoding: quoted-printable\r\n"
                        "Auto-Submitted: auto-generated\r\n\r\n");
  append_quoted_printable (out, body);
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* SMTP */

static gboolean
stopping (MailWorker *worker)
{
  gboolean stop;

  g_mutex_lock (&worker->lock);
  stop = worker->stop;
  g_mutex_unlock (&worker->lock);
  return stop;
}

/* Shutting down does not wait for a slow relay. */
static int
abort_if_stopping (void       *data,
                   curl_off_t  dltotal,
                   curl_off_t  dlnow,
                   curl_off_t  ultotal,
                   curl_off_t  ulnow)
{
  return stopping (data) ? 1 : 0;
}

typedef struct {
  const char *data;
  gsize       len;
  gsize       pos;
} Upload;

static size_t
read_upload (char   *buffer,
             size_t  size,
             size_t  count,
             void   *data)
{
  Upload *upload = data;
  gsize n = MIN (size * count, upload->len - upload->pos);

  memcpy (buffer, upload->data + upload->pos, n);
  upload->pos += n;
  return n;
}

/* Sends one message; FALSE with *ERROR_TEXT (no secrets: curl's description). */
static gboolean
smtp_send (MailWorker  *worker,
           const char  *recipient,
           const char  *message,
           char       **error_text)
{
  CURL *curl = curl_easy_init ();
  struct curl_slist *rcpt = NULL;
  g_autofree char *from = g_strdup_printf ("<%s>", worker->from_address);
  g_autofree char *to = g_strdup_printf ("<%s>", recipient);
  char errbuf[CURL_ERROR_SIZE] = "";
  Upload upload = { message, strlen (message), 0 };
  CURLcode rc;

  if (curl == NULL)
    {
      *error_text = g_strdup ("curl_easy_init failed");
      return FALSE;
    }
  rcpt = curl_slist_append (rcpt, to);
  curl_easy_setopt (curl, CURLOPT_URL, worker->url);
  curl_easy_setopt (curl, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  curl_easy_setopt (curl, CURLOPT_USE_SSL,
                    (long) (worker->loopback ? CURLUSESSL_TRY : CURLUSESSL_ALL));
  if (worker->user)
    curl_easy_setopt (curl, CURLOPT_USERNAME, worker->user);
  if (worker->password)
    curl_easy_setopt (curl, CURLOPT_PASSWORD, worker->password);
  curl_easy_setopt (curl, CURLOPT_MAIL_FROM, from);
  curl_easy_setopt (curl, CURLOPT_MAIL_RCPT, rcpt);
  curl_easy_setopt (curl, CURLOPT_READFUNCTION, read_upload);
  curl_easy_setopt (curl, CURLOPT_READDATA, &upload);
  curl_easy_setopt (curl, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt (curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t) upload.len);
  curl_easy_setopt (curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt (curl, CURLOPT_CONNECTTIMEOUT, 10L);
  curl_easy_setopt (curl, CURLOPT_TIMEOUT, 60L);
  curl_easy_setopt (curl, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt (curl, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt (curl, CURLOPT_XFERINFOFUNCTION, abort_if_stopping);
  curl_easy_setopt (curl, CURLOPT_XFERINFODATA, worker);
  rc = curl_easy_perform (curl);
  curl_slist_free_all (rcpt);
  curl_easy_cleanup (curl);
  if (rc == CURLE_OK)
    return TRUE;
  *error_text = g_strdup (errbuf[0] ? errbuf : curl_easy_strerror (rc));
  return FALSE;
}

/* The worker (its own thread and connection) */

typedef struct {
  gint64  id;
  char   *recipient;
  char   *subject;
  char   *body;
  int     attempts;
} Mail;

static void
mail_clear (Mail *mail)
{
  g_free (mail->recipient);
  g_free (mail->subject);
  g_free (mail->body);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Mail, mail_clear)

static gboolean
next_due (MailWorker *worker,
          Mail       *mail)
{
  g_autofree char *now = timestamp_precise_in (0);
  g_autoptr(PdStmt) stmt = NULL;

  stmt = _pd_store_prepare (worker->store,
                            "SELECT id, recipient, subject, body, attempts FROM mail_outbox "
                            "WHERE sent_at IS NULL AND next_attempt_at <= ?1 "
                            "ORDER BY next_attempt_at, id LIMIT 1", NULL);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, now, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return FALSE;
  mail->id = sqlite3_column_int64 (stmt, 0);
  mail->recipient = g_strdup (_pd_stmt_text (stmt, 1));
  mail->subject = g_strdup (_pd_stmt_text (stmt, 2));
  mail->body = g_strdup (_pd_stmt_text (stmt, 3));
  mail->attempts = sqlite3_column_int (stmt, 4);
  return TRUE;
}

static gint64
backoff_ms (MailWorker *worker,
            int         attempts)
{
  gint64 delay = worker->retry_ms;

  for (int i = 1; i < attempts && delay < MAIL_RETRY_CAP_MS; i++)
    delay *= 2;
  delay = MIN (delay, MAIL_RETRY_CAP_MS);
  /* Full-range jitter over the upper half: retries of many messages spread out. */
  return delay / 2 + g_random_int_range (0, (gint32) MAX (delay / 2, 1));
}

static void
record_result (MailWorker *worker,
               Mail       *mail,
               const char *error_text,
               gint64      retry_in_ms)
{
  g_autofree char *now = pd_timestamp_now ();
  g_autofree char *next = timestamp_precise_in (retry_in_ms);
  g_autoptr(PdStmt) stmt = NULL;

  stmt = _pd_store_prepare (worker->store,
                            "UPDATE mail_outbox SET attempts = attempts + 1, "
                            "sent_at = ?2, next_attempt_at = ?3, last_error = ?4 WHERE id = ?1",
                            NULL);
  if (stmt == NULL)
    return;
  sqlite3_bind_int64 (stmt, 1, mail->id);
  sqlite3_bind_text (stmt, 2, error_text ? NULL : now, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, next, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 4, error_text, -1, SQLITE_TRANSIENT);
  /* busy_timeout waits for the server's writes; try again rather than send twice. */
  for (int i = 0; i < 5 && sqlite3_step (stmt) == SQLITE_BUSY; i++)
    sqlite3_reset (stmt);
}

static const char *
domain_of (const char *address)
{
  const char *at = strrchr (address, '@');

  return at ? at + 1 : "?";
}

static void
deliver (MailWorker *worker,
         Mail       *mail)
{
  g_autofree char *message = build_message (worker, mail->recipient, mail->subject,
                                            mail->body);
  g_autofree char *error_text = NULL;
  gint64 retry;

  if (smtp_send (worker, mail->recipient, message, &error_text))
    {
      record_result (worker, mail, NULL, 0);
      g_message ("mail %" G_GINT64_FORMAT " to …@%s sent", mail->id,
                 domain_of (mail->recipient));
      return;
    }
  retry = backoff_ms (worker, mail->attempts + 1);
  record_result (worker, mail, error_text, retry);
  g_message ("mail %" G_GINT64_FORMAT " to …@%s not sent (attempt %d), retry in %"
             G_GINT64_FORMAT " ms: %s", mail->id, domain_of (mail->recipient),
             mail->attempts + 1, retry, error_text);
}

/* Monotonic time at which the earliest unsent mail is due (at most MAIL_POLL_US away). */
static gint64
next_wake (MailWorker *worker)
{
  gint64 now = g_get_monotonic_time ();
  gint64 wake = now + MAIL_POLL_US;
  g_autoptr(PdStmt) stmt = NULL;
  g_autoptr(GDateTime) due = NULL;
  g_autoptr(GDateTime) wall = NULL;

  stmt = _pd_store_prepare (worker->store, "SELECT MIN(next_attempt_at) FROM mail_outbox "
                            "WHERE sent_at IS NULL", NULL);
  if (stmt == NULL || sqlite3_step (stmt) != SQLITE_ROW
      || sqlite3_column_type (stmt, 0) == SQLITE_NULL)
    return wake;
  due = g_date_time_new_from_iso8601 (_pd_stmt_text (stmt, 0), NULL);
  wall = g_date_time_new_now_utc ();
  if (due == NULL)
    return wake;
  return MIN (wake, now + MAX (g_date_time_difference (due, wall), 0));
}

static gpointer
mail_thread (gpointer data)
{
  MailWorker *worker = data;

  while (!stopping (worker))
    {
      gint64 wake;

      g_mutex_lock (&worker->lock);
      worker->kicked = FALSE;
      g_mutex_unlock (&worker->lock);
      for (;;)
        {
          g_auto(Mail) mail = { 0 };

          if (stopping (worker) || !next_due (worker, &mail))
            break;
          deliver (worker, &mail);
        }
      wake = next_wake (worker);
      g_mutex_lock (&worker->lock);
      while (!worker->stop && !worker->kicked)
        if (!g_cond_wait_until (&worker->cond, &worker->lock, wake))
          break;
      g_mutex_unlock (&worker->lock);
    }
  return NULL;
}

/* Start and stop (main thread) */

static char *
bare_address (const char *mailbox)
{
  const char *open = strchr (mailbox, '<');
  const char *close = open ? strchr (open, '>') : NULL;

  if (open && close)
    return g_strndup (open + 1, close - open - 1);
  return g_strstrip (g_strdup (mailbox));
}

static gboolean
host_is_loopback (const char *url)
{
  g_autoptr(GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  g_autoptr(GInetAddress) address = NULL;
  const char *host = uri ? g_uri_get_host (uri) : NULL;

  if (host == NULL)
    return FALSE;
  if (g_ascii_strcasecmp (host, "localhost") == 0)
    return TRUE;
  address = g_inet_address_new_from_string (host);
  return address != NULL && g_inet_address_get_is_loopback (address);
}

static gint64
retry_ms_from_env (void)
{
  const char *text = g_getenv ("PD_SERVER_MAIL_RETRY_MS");
  gint64 ms = text ? g_ascii_strtoll (text, NULL, 10) : 0;

  return ms > 0 ? ms : MAIL_RETRY_MS_DEFAULT;
}

static void
mail_worker_free (MailWorker *worker)
{
  g_clear_object (&worker->store);
  g_free (worker->url);
  g_free (worker->user);
  if (worker->password)
    memset (worker->password, 0, strlen (worker->password));
  g_free (worker->password);
  g_free (worker->from);
  g_free (worker->from_address);
  g_mutex_clear (&worker->lock);
  g_cond_clear (&worker->cond);
  g_free (worker);
}

void
pd_server_mail_start (PdServer *self)
{
  static gsize curl_ready = 0;
  const PdServerConfig *config = &self->config;
  g_autoptr(GError) error = NULL;
  MailWorker *worker;

  g_return_if_fail (self->mail == NULL);

  if (config->smtp_url == NULL || *config->smtp_url == '\0'
      || config->mail_from == NULL || *config->mail_from == '\0')
    {
      g_message ("mail is not configured (--smtp-url and --mail-from): "
                 "invitation emails stay queued");
      return;
    }
  if (g_once_init_enter (&curl_ready))
    {
      curl_global_init (CURL_GLOBAL_DEFAULT);
      g_once_init_leave (&curl_ready, 1);
    }
  worker = g_new0 (MailWorker, 1);
  g_mutex_init (&worker->lock);
  g_cond_init (&worker->cond);
  /* Opened here, not in the thread: opening sets process-wide state (the currency). */
  worker->store = pd_store_open (pd_store_get_path (self->store), &error);
  if (worker->store == NULL)
    {
      g_warning ("mail: cannot open the database: %s", error->message);
      mail_worker_free (worker);
      return;
    }
  worker->url = g_strdup (config->smtp_url);
  worker->user = g_strdup (config->smtp_user);
  worker->password = g_strdup (config->smtp_password);
  worker->from = g_strdup (config->mail_from);
  worker->from_address = bare_address (config->mail_from);
  worker->loopback = host_is_loopback (config->smtp_url);
  worker->retry_ms = retry_ms_from_env ();
  self->mail = worker;
  worker->thread = g_thread_new ("pd-mail", mail_thread, worker);
}

void
pd_server_mail_kick (PdServer *self)
{
  if (self->mail)
    kick (self->mail);
}

void
pd_server_mail_stop (PdServer *self)
{
  MailWorker *worker = self->mail;

  if (worker == NULL)
    return;
  g_mutex_lock (&worker->lock);
  worker->stop = TRUE;
  g_cond_signal (&worker->cond);
  g_mutex_unlock (&worker->lock);
  g_thread_join (worker->thread);
  g_clear_handle_id (&worker->idle_id, g_source_remove);
  self->mail = NULL;
  mail_worker_free (worker);
}
