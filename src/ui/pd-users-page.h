/* pd-users-page.h: the Users tab: the partner portal's users (create, edit, disable). */
#pragma once

#include <adwaita.h>
#include "pd-core.h"

G_BEGIN_DECLS

#define PD_TYPE_USERS_PAGE (pd_users_page_get_type ())
G_DECLARE_FINAL_TYPE (PdUsersPage, pd_users_page, PD, USERS_PAGE, GtkWidget)

PdUsersPage *pd_users_page_new            (PdStore    *store);
/* Shows the partner with PARTNER_ID (NULL: nothing); follows the store's
 * ::record-changed to stay current. */
void        pd_users_page_set_partner_id (PdUsersPage *self,
                                        const char *partner_id);
/* The sorted users with the table's selection (items are PdRecord). */
GtkSelectionModel *pd_users_page_get_selection (PdUsersPage *self);
/* FALSE makes the page read-only (a user without edit_partners); default TRUE. */
void               pd_users_page_set_editable  (PdUsersPage *self,
                                                gboolean     editable);

G_END_DECLS
