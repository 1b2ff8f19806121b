/* pd-server-mail.c: the mail outbox and its SMTP delivery worker (libcurl). STUB */
#include "config.h"

#include "pd-server-private.h"

gboolean
pd_server_mail_enqueue (PdServer *self, const char *recipient, const char *subject,
                        const char *body, GError **error)
{
  return TRUE;
}

void pd_server_mail_start (PdServer *self) {}
void pd_server_mail_stop (PdServer *self) {}
void pd_server_mail_kick (PdServer *self) {}
