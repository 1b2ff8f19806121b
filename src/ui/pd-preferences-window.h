/* pd-preferences-window.h: Preferences: the practice, account, team, institutions, examinations. */
#pragma once

#include <adwaita.h>
#include "pd-core.h"
#include "pd-sync.h"

G_BEGIN_DECLS

#define PD_TYPE_PREFERENCES_WINDOW (pd_preferences_window_get_type ())
G_DECLARE_FINAL_TYPE (PdPreferencesWindow, pd_preferences_window, PD, PREFERENCES_WINDOW, AdwPreferencesWindow)

/* The pages are named "account", "team" and "examinations" (set-visible-page-name). */
PdPreferencesWindow *pd_preferences_window_new (GtkWindow *parent,
                                                PdStore   *store);
/* The store's synchronisation: the Account page, and Team only with manage_team. */
void                 pd_preferences_window_set_sync (PdPreferencesWindow *self,
                                                     PdSync              *sync);

G_END_DECLS
