/* pd-partner-sidebar.h: every detail and term of one partner, grouped, with the edit pencil. */
#pragma once

#include <adwaita.h>
#include "pd-core.h"

G_BEGIN_DECLS

#define PD_TYPE_PARTNER_SIDEBAR (pd_partner_sidebar_get_type ())
G_DECLARE_FINAL_TYPE (PdPartnerSidebar, pd_partner_sidebar, PD, PARTNER_SIDEBAR, GtkWidget)

PdPartnerSidebar *pd_partner_sidebar_new         (void);
void              pd_partner_sidebar_set_store   (PdPartnerSidebar *self,
                                                  PdStore          *store);
/* Shows PARTNER (NULL: nothing). The pencil button (tooltip and accessible
 * name "Edit Partner") activates the action "win.edit-partner". Ref fields
 * (owner, institutions) are shown by their titles from the store. */
void              pd_partner_sidebar_set_partner (PdPartnerSidebar *self,
                                                  PdRecord         *partner);
/* The pencil button (for focus handling and tests). */
GtkWidget        *pd_partner_sidebar_get_edit_button (PdPartnerSidebar *self);

G_END_DECLS
