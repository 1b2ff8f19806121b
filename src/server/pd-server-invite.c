/* pd-server-invite.c: invitations: single-use tokens, emails, the acceptance page. STUB */
#include "config.h"

#include "pd-server-private.h"

gboolean
pd_server_invite_after_write (PdServer *self, PdRecord *old, PdRecord *record, GError **error)
{
  return TRUE;
}

char *
pd_server_invite_create (PdStore *store, const char *public_url, PdRecord *record,
                         const char *email, GError **error)
{
  return g_strdup_printf ("%s/invite/STUB", public_url);
}

void pd_server_invite_register (PdServer *self) {}
