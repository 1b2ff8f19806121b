/* pd-conflicts-dialog.h: the fields changed both here and on the server: keep mine or theirs. */
#pragma once

#include <adwaita.h>
#include "pd-core.h"
#include "pd-sync.h"

G_BEGIN_DECLS

#define PD_TYPE_CONFLICTS_DIALOG (pd_conflicts_dialog_get_type ())
G_DECLARE_FINAL_TYPE (PdConflictsDialog, pd_conflicts_dialog, PD, CONFLICTS_DIALOG, AdwWindow)

/* Modal, transient for PARENT: one group per record, one row per field with "Mine: …",
 * "Theirs: …" and the buttons Keep Mine / Keep Theirs (accessible names name the field).
 * Follows SYNC's ::conflicts-changed. Signal ::all-resolved () when the last conflict is
 * resolved here, just before the dialog closes itself. */
PdConflictsDialog *pd_conflicts_dialog_new (GtkWindow *parent,
                                            PdSync    *sync);

G_END_DECLS
