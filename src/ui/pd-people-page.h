/* pd-people-page.h: the People tab: a partner's eligible population, searchable, filtered and sorted. */
#pragma once

#include <adwaita.h>
#include "pd-core.h"
#include "pd-people-model.h"

G_BEGIN_DECLS

#define PD_TYPE_PEOPLE_PAGE (pd_people_page_get_type ())
G_DECLARE_FINAL_TYPE (PdPeoplePage, pd_people_page, PD, PEOPLE_PAGE, GtkWidget)

PdPeoplePage *pd_people_page_new            (PdStore      *store);
/* Shows the people of PARTNER_ID (NULL: nothing). */
void          pd_people_page_set_partner_id (PdPeoplePage *self,
                                             const char   *partner_id);
/* Re-reads the people (the store's ::collection-changed does this by itself). */
void          pd_people_page_reload         (PdPeoplePage *self);
/* The toolbar (search, filters, count, Create Person), for other tabs' buttons. */
GtkWidget    *pd_people_page_get_toolbar    (PdPeoplePage *self);
/* Empty boxes where an "Upload Eligibility File" button goes: in the toolbar, and in the
 * "No People Yet" state. */
GtkWidget    *pd_people_page_get_upload_slot (PdPeoplePage *self);
GtkWidget    *pd_people_page_get_empty_upload_slot (PdPeoplePage *self);
/* The lazy model the table shows (items are PdRecord). */
PdPeopleModel *pd_people_page_get_model     (PdPeoplePage *self);
/* The table's selection over the model. */
GtkSelectionModel *pd_people_page_get_selection (PdPeoplePage *self);
/* Scrolls the table so the row at POSITION is shown. */
void          pd_people_page_scroll_to      (PdPeoplePage *self,
                                             guint         position);
/* Cell text of the column of FIELD ("name", "member_id", …, "employee_member_id") for
 * PERSON, as the table shows it. */
char         *pd_people_page_cell_text      (PdRecord     *person,
                                             const char   *field);

G_END_DECLS
