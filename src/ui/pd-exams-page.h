/* pd-exams-page.h: the partner's Examinations tab: its traffic channels, per institution. */
#pragma once

#include <adwaita.h>
#include "pd-core.h"

G_BEGIN_DECLS

#define PD_TYPE_EXAMS_PAGE (pd_exams_page_get_type ())
G_DECLARE_FINAL_TYPE (PdExamsPage, pd_exams_page, PD, EXAMS_PAGE, GtkWidget)

/* The examinations of one institution (a switcher) with a check box each, for the
 * partner shown: the same activations as the Traffic Channels view, toggled through
 * the same API with Undo. Blocked cells are insensitive with the reason as tooltip. */
PdExamsPage *pd_exams_page_new (PdStore *store);
/* Shows the partner with PARTNER_ID (NULL: nothing); follows the store's signals. */
void     pd_exams_page_set_partner_id (PdExamsPage *self, const char *partner_id);
gboolean pd_exams_page_set_institution (PdExamsPage *self, const char *institution_id);
/* The one-column matrix shown (borrowed), or NULL. */
PdTrafficMatrix *pd_exams_page_get_matrix (PdExamsPage *self);
/* The check box of the examination with EXAMINATION_ID when its row is realised
 * (scrolled into view), or NULL. For tests. */
GtkWidget *pd_exams_page_get_check (PdExamsPage *self, const char *examination_id);
/* Reloads now (tests; the page reloads by itself after changes). */
void pd_exams_page_reload (PdExamsPage *self);

G_END_DECLS
