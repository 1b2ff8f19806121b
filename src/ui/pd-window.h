/* pd-window.h: the main window: partner list, sidebar and notebook. */
#pragma once

#include <adwaita.h>
#include "pd-core.h"
#include "pd-sync.h"

G_BEGIN_DECLS

#define PD_TYPE_WINDOW (pd_window_get_type ())
G_DECLARE_FINAL_TYPE (PdWindow, pd_window, PD, WINDOW, AdwApplicationWindow)

/* STORE may be NULL: the window then shows STORE_ERROR instead of the partners. */
PdWindow *pd_window_new            (GtkApplication *application,
                                    PdStore        *store,
                                    const GError   *store_error);
/* Selects the partner with ID in the list (clearing search and filters if needed). */
gboolean  pd_window_select_partner (PdWindow   *self,
                                    const char *id);
/* The selected partner, or NULL. */
PdRecord *pd_window_get_partner    (PdWindow *self);
/* The search entry of the partner list (for tests and benchmarks). */
GtkEditable *pd_window_get_search_entry     (PdWindow *self);
/* The partners the list shows: filtered by search, kind and status, sorted by name. */
GListModel  *pd_window_get_visible_partners (PdWindow *self);
/* The store the window shows, or NULL when it could not be opened. */
PdStore     *pd_window_get_store            (PdWindow *self);
/* The store's synchronisation (the header bar's status), or NULL. */
PdSync      *pd_window_get_sync             (PdWindow *self);

G_END_DECLS
