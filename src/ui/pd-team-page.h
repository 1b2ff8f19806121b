/* pd-team-page.h: Preferences → Team: the practice's users, their permissions, invitations. */
#pragma once

#include <adwaita.h>
#include "pd-core.h"
#include "pd-sync.h"

G_BEGIN_DECLS

#define PD_TYPE_TEAM_PAGE (pd_team_page_get_type ())
G_DECLARE_FINAL_TYPE (PdTeamPage, pd_team_page, PD, TEAM_PAGE, AdwPreferencesPage)

/* One row per practice user with a check button per permission of DESIGN §2 (toggling
 * saves the user), Resend Invitation for users with an email, and Invite (name, email:
 * a new practice user, whom the server emails once synced). Works local only too. */
PdTeamPage *pd_team_page_new       (void);
void        pd_team_page_set_store (PdTeamPage *self,
                                    PdStore    *store);
/* SYNC (may be NULL) says whether invitations go out now or once signed in, and who "you" is. */
void        pd_team_page_set_sync  (PdTeamPage *self,
                                    PdSync     *sync);

/* The permissions, in the order the page shows them. */
typedef struct {
  const char *name;  /* "edit_partners" */
  const char *label; /* N_("Edit partners") */
} PdPermission;
const PdPermission *pd_team_page_get_permissions (guint *n_permissions);

G_END_DECLS
