/* pd-application.h: the Partner Desk application: options, the store, app actions. */
#pragma once

#include <adwaita.h>
#include "pd-core.h"
#include "pd-sync.h"

G_BEGIN_DECLS

#define PD_TYPE_APPLICATION (pd_application_get_type ())
G_DECLARE_FINAL_TYPE (PdApplication, pd_application, PD, APPLICATION, AdwApplication)

PdApplication *pd_application_new       (void);
/* The open store, or NULL when it could not be opened (the window says why). */
PdStore       *pd_application_get_store (PdApplication *self);
/* The path given with --database, or NULL (the default path). */
const char    *pd_application_get_database_path (PdApplication *self);
/* The synchronisation of STORE (a new reference): made, configured and started on first
 * use, shared by the windows over STORE. */
PdSync        *pd_application_dup_sync  (PdApplication *self,
                                         PdStore       *store);

G_END_DECLS
