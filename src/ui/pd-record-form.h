/* pd-record-form.h: a form built from a record description, with an error beside each field. */
#pragma once

#include <adwaita.h>
#include "pd-core.h"

G_BEGIN_DECLS

#define PD_TYPE_RECORD_FORM (pd_record_form_get_type ())
G_DECLARE_FINAL_TYPE (PdRecordForm, pd_record_form, PD, RECORD_FORM, GtkWidget)

/* Edits a copy of RECORD: one AdwPreferencesGroup per field group, rows by
 * type (AdwEntryRow, AdwComboRow, GtkSwitch rows, check buttons for
 * REF_LIST choices from the store), each row's accessible name its label.
 * Fields not applying (only_if) are hidden. */
PdRecordForm *pd_record_form_new        (PdStore  *store,
                                         PdRecord *record);
/* The edited copy with the values typed so far. */
PdRecord     *pd_record_form_get_record (PdRecordForm *self);
/* TRUE when every field parses and pd_store_validate has no errors.
 * Notifies "valid" on change. */
gboolean      pd_record_form_get_valid  (PdRecordForm *self);
/* Shows MESSAGE beside FIELD (e.g. an error from the store on save). */
void          pd_record_form_set_error  (PdRecordForm *self,
                                         const char   *field,
                                         const char   *message);
/* Shows the errors of every field, touched or not (after a save attempt). */
void          pd_record_form_show_all_errors (PdRecordForm *self);
/* The editing widget of the first field showing an error, or NULL. */
GtkWidget    *pd_record_form_get_first_error_widget (PdRecordForm *self);
/* Moves the keyboard focus to the first text field. */
void          pd_record_form_focus_first (PdRecordForm *self);

G_END_DECLS
