/* pd-history-page.h: the History tab: the audit trail of one partner, newest first. */
#pragma once

#include <adwaita.h>
#include "pd-core.h"

G_BEGIN_DECLS

#define PD_TYPE_HISTORY_PAGE (pd_history_page_get_type ())
G_DECLARE_FINAL_TYPE (PdHistoryPage, pd_history_page, PD, HISTORY_PAGE, GtkWidget)

PdHistoryPage *pd_history_page_new            (PdStore    *store);
/* Shows the partner with PARTNER_ID (NULL: nothing); follows the store's
 * ::record-changed to stay current. */
void        pd_history_page_set_partner_id (PdHistoryPage *self,
                                        const char *partner_id);
/* The entries shown (PdAuditEntry, newest first). */
GListModel *pd_history_page_get_model      (PdHistoryPage *self);

G_END_DECLS
