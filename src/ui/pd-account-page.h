/* pd-account-page.h: Preferences → Account: sign in to a server, the account's status, sign out. */
#pragma once

#include <adwaita.h>
#include "pd-core.h"
#include "pd-sync.h"

G_BEGIN_DECLS

#define PD_TYPE_ACCOUNT_PAGE (pd_account_page_get_type ())
G_DECLARE_FINAL_TYPE (PdAccountPage, pd_account_page, PD, ACCOUNT_PAGE, AdwPreferencesPage)

/* Local only (or "sign in again"): server address, email, password and Sign In, with the
 * reason of a failed sign-in shown below them (the fields are kept). Signed in: server,
 * email, the live status, the last sync, Sync Now and Sign Out (confirmed). The password
 * is never stored and the entry is cleared after a successful sign-in. */
PdAccountPage *pd_account_page_new       (void);
void           pd_account_page_set_sync  (PdAccountPage *self,
                                          PdSync        *sync);
/* The message below the sign-in fields, or NULL (for tests). */
const char    *pd_account_page_get_error (PdAccountPage *self);
/* TRUE while a sign-in is under way. */
gboolean       pd_account_page_get_busy  (PdAccountPage *self);

G_END_DECLS
