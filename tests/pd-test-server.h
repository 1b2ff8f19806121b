/* pd-test-server.h: the real partner-desk-server for tests and benches (GLib + libsoup, no GTK): init, start on a free port, the owner's password, HTTP, an SMTP sink. */
#pragma once

#include <libsoup/soup.h>

#include "pd-core.h"

G_BEGIN_DECLS

typedef struct {
  /* Set up by pd_test_server_new; may be changed before starting. */
  char        *binary;
  char        *dir;          /* a temp dir of its own, removed by pd_test_server_free */
  char        *db;           /* DIR/server.db */
  char        *log;          /* the server's stderr (a line per request): DIR/server.log;
                                NULL: discarded */
  GPtrArray   *args;         /* more options of the serving command (owned strings) */
  GPtrArray   *env;          /* more environment, NAME, VALUE, ... (owned strings) */
  char        *cert;         /* HTTPS: see pd_test_server_make_certificates */
  char        *key;
  char        *ca;           /* the CA that signed CERT; the helper's HTTP session trusts it */
  guint        port;         /* 0: any free one; once started, kept for restarts */
  /* Filled in */
  char        *url;          /* "http://127.0.0.1:PORT" (https with CERT) once started */
  char        *invite_path;  /* the owner's "/invite/TOKEN" that `init` printed */
  GSubprocess *proc;         /* while running */
  SoupSession *http;
} PdTestServer;

/* A launcher whose children die with the calling process (PR_SET_PDEATHSIG), even when a
 * test fails half-way: meson waits for their pipes. */
GSubprocessLauncher *pd_test_launcher_new (GSubprocessFlags flags);
/* Sends SIGNUM (SIGTERM, SIGKILL) to *PROCESS, waits for it and clears it; NULL: nothing. */
void                 pd_test_stop_process (GSubprocess    **process,
                                           int              signum);

/* Waiting for an asynchronous call: pass pd_test_async_cb with a GAsyncResult *SLOT
 * (NULL), then finish the call with pd_test_async_wait (SLOT), which iterates the main
 * context until the result is there (or fails the test after pd_test_wait_seconds) and
 * hands over its reference. */
void                 pd_test_async_cb     (GObject         *source,
                                           GAsyncResult    *result,
                                           gpointer         slot);
GAsyncResult        *pd_test_async_wait   (GAsyncResult   **slot);

PdTestServer *pd_test_server_new         (const char    *binary);
/* Stops it (SIGTERM) and removes its directory. */
void          pd_test_server_free        (PdTestServer  *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PdTestServer, pd_test_server_free)

/* Options for the serving command ("--smtp-url", URL, ..., NULL). */
void          pd_test_server_add_args    (PdTestServer  *s,
                                          const char    *first,
                                          ...) G_GNUC_NULL_TERMINATED;
void          pd_test_server_setenv      (PdTestServer  *s,
                                          const char    *name,
                                          const char    *value);
/* A test CA and a certificate for 127.0.0.1 signed by it (openssl); the server then
 * serves HTTPS. */
gboolean      pd_test_server_make_certificates (PdTestServer  *s,
                                                GError       **error);

/* `partner-desk-server init`: the practice and its owner (PRACTICE_NAME, PUBLIC_URL may be
 * NULL); keeps the printed link's path in invite_path. */
gboolean      pd_test_server_init        (PdTestServer  *s,
                                          const char    *owner_email,
                                          const char    *practice_name,
                                          const char    *public_url,
                                          GError       **error);
/* Starts serving (on PORT, or any free port the first time) and waits for its port file.
 * Dies with the calling process. */
gboolean      pd_test_server_start       (PdTestServer  *s,
                                          GError       **error);
/* Sends SIGNUM (SIGTERM, SIGKILL) and waits for the process. */
void          pd_test_server_stop        (PdTestServer  *s,
                                          int            signum);
/* Accepts the invitation at PATH (a link's path: the owner's invite_path, an emailed one)
 * through the real page: name and password. */
gboolean      pd_test_server_accept      (PdTestServer  *s,
                                          const char    *path,
                                          const char    *name,
                                          const char    *password,
                                          GError       **error);
/* init, start, and the owner's password: a practice ready to sign in to. */
gboolean      pd_test_server_setup       (PdTestServer  *s,
                                          const char    *owner_email,
                                          const char    *owner_name,
                                          const char    *password,
                                          GError       **error);

/* One request to the running server. HEADERS: name, value, ..., NULL (or NULL). Returns
 * the status, and the body in ANSWER (NUL-terminated, may be NULL); 0 with ERROR when
 * there was no answer. */
guint         pd_test_server_request     (PdTestServer       *s,
                                          const char         *method,
                                          const char         *path,
                                          const char         *content_type,
                                          const char         *body,
                                          const char * const *headers,
                                          char              **answer,
                                          GError            **error);
/* POST /api/v1/session: the token, or NULL with ERROR. */
char         *pd_test_server_sign_in     (PdTestServer  *s,
                                          const char    *email,
                                          const char    *password,
                                          GError       **error);

/* A loopback TCP port that was free a moment ago. */
guint         pd_test_free_port          (void);

/* An SMTP sink on loopback: Debian's python3-aiosmtpd writing what it receives into a
 * maildir. */
typedef struct {
  char        *top;     /* a temp dir */
  char        *dir;     /* TOP/maildir */
  guint        port;
  GSubprocess *proc;
} PdTestMailSink;

/* NULL with ERROR (G_IO_ERROR_NOT_FOUND when aiosmtpd is not installed) when it could not
 * be started. */
PdTestMailSink *pd_test_mail_sink_new    (GError        **error);
void            pd_test_mail_sink_free   (PdTestMailSink *sink);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PdTestMailSink, pd_test_mail_sink_free)
/* The body (transfer encoding undone) of the first message received for RECIPIENT, or
 * NULL; *SUBJECT its raw Subject header when not NULL. */
char           *pd_test_mail_sink_find   (PdTestMailSink *sink,
                                          const char     *recipient,
                                          char          **subject);
/* The path ("/invite/TOKEN") of the first invitation link in TEXT, or NULL. */
char           *pd_test_invite_path      (const char     *text);

G_END_DECLS
