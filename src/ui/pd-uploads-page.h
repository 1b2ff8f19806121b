/* pd-uploads-page.h: the Upload History tab: a partner's eligibility uploads, newest first. */
#pragma once

#include <adwaita.h>
#include "pd-core.h"

G_BEGIN_DECLS

#define PD_TYPE_UPLOADS_PAGE (pd_uploads_page_get_type ())
G_DECLARE_FINAL_TYPE (PdUploadsPage, pd_uploads_page, PD, UPLOADS_PAGE, GtkWidget)

PdUploadsPage *pd_uploads_page_new            (PdStore       *store);
/* Shows the uploads of PARTNER_ID (NULL: nothing); follows the store's ::record-changed
 * and ::collection-changed ("upload") to stay current. */
void           pd_uploads_page_set_partner_id (PdUploadsPage *self,
                                               const char    *partner_id);
/* The uploads shown (PdRecord of pd_upload_type, newest first), for tests. */
GListModel    *pd_uploads_page_get_model      (PdUploadsPage *self);

G_END_DECLS
