/* pd-sync-button.h: the header bar's sync status: local only, synced, syncing, offline, conflicts.
 */
#pragma once

#include <adwaita.h>
#include "pd-core.h"
#include "pd-sync.h"

G_BEGIN_DECLS

#define PD_TYPE_SYNC_BUTTON (pd_sync_button_get_type ())
G_DECLARE_FINAL_TYPE (PdSyncButton, pd_sync_button, PD, SYNC_BUTTON, GtkWidget)

/* Shows SYNC's status text with an icon per state, and its last error as tooltip; the
 * accessible name is the status text. A click opens the Conflicts dialog
 * ("win.show-conflicts") when there are conflicts, otherwise the Account page of
 * Preferences ("app.show-account"). */
PdSyncButton *pd_sync_button_new      (void);
void          pd_sync_button_set_sync (PdSyncButton *self,
                                       PdSync       *sync);
/* The text shown (for tests). */
const char   *pd_sync_button_get_text (PdSyncButton *self);

G_END_DECLS
