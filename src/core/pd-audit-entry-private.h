/* pd-audit-entry-private.h: describing audit entries with a value formatter (the store resolves references). */
#pragma once

#include "pd-audit-entry.h"
#include "pd-record.h"

G_BEGIN_DECLS

/* Display text of canonical text CANONICAL of FIELD (NULL stays NULL). */
typedef char *(*PdAuditValueFormat) (const PdField *field,
                                     const char    *canonical,
                                     gpointer       user_data);

char *_pd_audit_entry_describe_full (PdAuditEntry       *self,
                                     PdAuditValueFormat  format,
                                     gpointer            user_data);

G_END_DECLS
