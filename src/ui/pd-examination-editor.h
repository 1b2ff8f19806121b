/* pd-examination-editor.h: add or edit an examination of the catalogue with its prices. */
#pragma once

#include <adwaita.h>
#include "pd-core.h"

G_BEGIN_DECLS

#define PD_TYPE_EXAMINATION_EDITOR (pd_examination_editor_get_type ())
G_DECLARE_FINAL_TYPE (PdExaminationEditor, pd_examination_editor, PD, EXAMINATION_EDITOR, AdwWindow)

/* A modal dialog over PARENT: code, name, duration, and a price entry per institution
 * (empty: not offered there), typed in the locale's money format. Each field shows the
 * core's message beside it (a duplicate code, a price out of bounds) and Save stays
 * insensitive until all are valid. ENTRY NULL adds a new examination. Save writes the
 * examination and its prices in one transaction, emits ::saved (const char *id) and
 * closes. */
PdExaminationEditor *pd_examination_editor_new (GtkWindow        *parent,
                                                PdStore          *store,
                                                PdCatalogueEntry *entry);

G_END_DECLS
