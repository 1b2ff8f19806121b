/* pd-benefits-page.h: the Benefits tab: what an employer's people are covered for. */
#pragma once

#include <adwaita.h>
#include "pd-core.h"

G_BEGIN_DECLS

#define PD_TYPE_BENEFITS_PAGE (pd_benefits_page_get_type ())
G_DECLARE_FINAL_TYPE (PdBenefitsPage, pd_benefits_page, PD, BENEFITS_PAGE, GtkWidget)

PdBenefitsPage *pd_benefits_page_new            (PdStore        *store);
/* Shows the partner's benefits; a partner that is not an employer gets a note that
 * benefits apply to employers. Follows the store's ::record-changed. */
void            pd_benefits_page_set_partner_id (PdBenefitsPage *self,
                                                 const char     *partner_id);
/* The table's model (items PdStatsItem of PdRecord), for tests. */
GtkSelectionModel *pd_benefits_page_get_selection (PdBenefitsPage *self);

G_END_DECLS
