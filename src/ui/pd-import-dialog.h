/* pd-import-dialog.h: the eligibility upload flow: choose a file, map, check (dry run), import. */
#pragma once

#include <adwaita.h>
#include "pd-core.h"
#include "pd-import.h"

G_BEGIN_DECLS

#define PD_TYPE_IMPORT_DIALOG (pd_import_dialog_get_type ())
G_DECLARE_FINAL_TYPE (PdImportDialog, pd_import_dialog, PD, IMPORT_DIALOG, AdwWindow)

/* The upload flow for PARTNER_ID, modal over PARENT. FILE (a dropped file, or a test's)
 * starts with its preview; NULL asks for a file with a native file chooser once shown.
 * Pages: "choose", "loading", "duplicate", "error", "preview" (file, column mapping, first
 * rows, mode and options; "Check File" runs a dry run), "progress" (Cancel stops and
 * leaves the database as it was), "result" (the counts and rejected rows; "Import" applies
 * the file), and the result of the import. After an import applied, the store's
 * ::collection-changed is emitted for "person" and "upload", then ::imported
 * (const char *upload_id, const char *message): when a handler is connected the dialog
 * closes itself (the handler shows MESSAGE, e.g. as a toast), else it shows the result
 * with a Close button. Escape cancels a running check or import, else closes. */
PdImportDialog *pd_import_dialog_new      (GtkWindow  *parent,
                                           PdStore    *store,
                                           const char *partner_id,
                                           GFile      *file);
/* Starts over with FILE (as if it had been chosen). */
void            pd_import_dialog_set_file (PdImportDialog *self,
                                           GFile          *file);
/* The name of the page shown (see above; "done" after an import), for tests. */
const char     *pd_import_dialog_get_page (PdImportDialog *self);
/* The mapping shown in the dialog (the user's choices), for tests. */
const PdImportMapping *pd_import_dialog_get_mapping (PdImportDialog *self);

/* A list of REJECTIONS (PdImportRejection*: "line 12, column DOB: …") with a "Save Rejected
 * Rows…" button that writes them as CSV to a file chosen with a native chooser, suggesting
 * SUGGESTED_NAME. Keeps a reference on REJECTIONS. */
GtkWidget      *pd_import_rejections_view_new (GPtrArray  *rejections,
                                               const char *suggested_name);

G_END_DECLS
