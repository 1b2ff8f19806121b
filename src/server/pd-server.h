/* pd-server.h: partner-desk-server: the practice's HTTP API over the core store. */
#pragma once

#include <libsoup/soup.h>
#include "pd-core.h"

G_BEGIN_DECLS

typedef struct {
  char    *database;          /* --database PATH */
  char    *listen;            /* --listen ADDR:PORT, default "127.0.0.1:8080"; port 0: any free */
  char    *tls_cert;          /* --tls-cert FILE (PEM) */
  char    *tls_key;           /* --tls-key FILE (PEM) */
  char    *public_url;        /* --public-url URL, for links in email; default http(s)://listen */
  char    *smtp_url;          /* --smtp-url smtp://HOST:PORT */
  char    *smtp_user;         /* --smtp-user */
  char    *smtp_password;     /* read from --smtp-password-file, never logged */
  char    *mail_from;         /* --mail-from */
  char    *port_file;         /* --port-file FILE: write the bound port there once listening (tests) */
  guint    faults;            /* PD_SERVER_FAULT_* (test builds: --fault NAME or PD_SERVER_FAULTS) */
  guint    session_idle_timeout; /* --session-idle-timeout SECONDS; 0: 14 days */
} PdServerConfig;

void pd_server_config_clear (PdServerConfig *config);

/* Test-only fault injection (partner-desk-server-faulty, never installed): "lose-answer":
 * the first attempt of each Idempotency-Key is committed, then its connection is closed
 * without an answer; a retry with the same key gets the stored answer. */
typedef enum {
  PD_SERVER_FAULT_NONE        = 0,
  PD_SERVER_FAULT_LOSE_ANSWER = 1 << 0,
} PdServerFault;

#define PD_TYPE_SERVER (pd_server_get_type ())
G_DECLARE_FINAL_TYPE (PdServer, pd_server, PD, SERVER, GObject)

/* Opens the store and starts listening; the caller runs the main loop. */
PdServer   *pd_server_new          (const PdServerConfig *config,
                                    GError              **error);
guint       pd_server_get_port     (PdServer *self);
PdStore    *pd_server_get_store    (PdServer *self);

/* `partner-desk-server init`: creates the practice with its owner (all permissions,
 * no password) and returns the one-time link that sets the owner's password. */
char       *pd_server_init_practice (PdStore     *store,
                                     const char  *public_url,
                                     const char  *owner_email,
                                     const char  *practice_name,
                                     GError     **error);

G_END_DECLS
