/* pd-record-editor.h: the add/edit dialog of any record type (partner, portal user, institution). */
#pragma once

#include <adwaita.h>
#include "pd-core.h"
#include "pd-record-form.h"

G_BEGIN_DECLS

#define PD_TYPE_RECORD_EDITOR (pd_record_editor_get_type ())
G_DECLARE_FINAL_TYPE (PdRecordEditor, pd_record_editor, PD, RECORD_EDITOR, AdwWindow)

/* A modal dialog over PARENT editing a copy of RECORD. A record of version 0
 * is new: the title says "Add …", otherwise "Edit …". Cancel and Save
 * buttons in the header bar; Save (accessible name "Save") stays insensitive
 * until the form is valid, writes with pd_store_save, emits
 * ::saved (PdRecord *saved) and closes; a store error is shown in the dialog
 * and nothing is closed or lost. Escape cancels. */
PdRecordEditor *pd_record_editor_new (GtkWindow *parent,
                                      PdStore   *store,
                                      PdRecord  *record);
PdRecordForm   *pd_record_editor_get_form (PdRecordEditor *self);

G_END_DECLS
