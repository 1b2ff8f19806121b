/* pd-audit-entry.h: one row of the audit trail (who, when, record, field, old, new). */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define PD_TYPE_AUDIT_ENTRY (pd_audit_entry_get_type ())
G_DECLARE_FINAL_TYPE (PdAuditEntry, pd_audit_entry, PD, AUDIT_ENTRY, GObject)

/* ACTION is "create", "update", "delete" or "restore"; FIELD is NULL for
 * whole-record actions. OLD/NEW are canonical texts (pd_record_dup_canonical). */
PdAuditEntry *pd_audit_entry_new (gint64      seq,
                                  const char *at,
                                  const char *who,
                                  const char *record_type,
                                  const char *record_id,
                                  const char *record_title,
                                  const char *action,
                                  const char *field,
                                  const char *old_value,
                                  const char *new_value);

gint64      pd_audit_entry_get_seq          (PdAuditEntry *self);
const char *pd_audit_entry_get_at           (PdAuditEntry *self); /* ISO 8601 UTC */
const char *pd_audit_entry_get_who          (PdAuditEntry *self); /* display name */
const char *pd_audit_entry_get_record_type  (PdAuditEntry *self); /* "partner" */
const char *pd_audit_entry_get_record_id    (PdAuditEntry *self);
const char *pd_audit_entry_get_record_title (PdAuditEntry *self);
const char *pd_audit_entry_get_action       (PdAuditEntry *self);
const char *pd_audit_entry_get_field        (PdAuditEntry *self);
const char *pd_audit_entry_get_old_value    (PdAuditEntry *self);
const char *pd_audit_entry_get_new_value    (PdAuditEntry *self);
/* "Changed Employee count from 120 to 140", "Created Partner user Anna Berg", ...
 * translated, values shown as pd_field_format_text shows them. */
char       *pd_audit_entry_describe         (PdAuditEntry *self);

G_END_DECLS
