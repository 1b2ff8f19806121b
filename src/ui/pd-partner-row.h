/* pd-partner-row.h: one row of the partner list: name, kind and a status badge. */
#pragma once

#include <adwaita.h>
#include "pd-core.h"

G_BEGIN_DECLS

#define PD_TYPE_PARTNER_ROW (pd_partner_row_get_type ())
G_DECLARE_FINAL_TYPE (PdPartnerRow, pd_partner_row, PD, PARTNER_ROW, GtkWidget)

PdPartnerRow *pd_partner_row_new         (void);
void          pd_partner_row_set_partner (PdPartnerRow *self,
                                          PdRecord     *partner);

G_END_DECLS
