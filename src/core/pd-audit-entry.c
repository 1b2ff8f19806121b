/* pd-audit-entry.c: one row of the audit trail and its sentence for the History tab. */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "pd-audit-entry-private.h"
#include "pd-record.h"

struct _PdAuditEntry
{
  GObject parent_instance;

  gint64 seq;
  char  *at;
  char  *who;
  char  *record_type;
  char  *record_id;
  char  *record_title;
  char  *action;
  char  *field;
  char  *old_value;
  char  *new_value;
};

G_DEFINE_FINAL_TYPE (PdAuditEntry, pd_audit_entry, G_TYPE_OBJECT)

static void
pd_audit_entry_finalize (GObject *object)
{
  PdAuditEntry *self = PD_AUDIT_ENTRY (object);

  g_free (self->at);
  g_free (self->who);
  g_free (self->record_type);
  g_free (self->record_id);
  g_free (self->record_title);
  g_free (self->action);
  g_free (self->field);
  g_free (self->old_value);
  g_free (self->new_value);
  G_OBJECT_CLASS (pd_audit_entry_parent_class)->finalize (object);
}

static void
pd_audit_entry_class_init (PdAuditEntryClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = pd_audit_entry_finalize;
}

static void
pd_audit_entry_init (PdAuditEntry *self)
{
}

PdAuditEntry *
pd_audit_entry_new (gint64      seq,
                    const char *at,
                    const char *who,
                    const char *record_type,
                    const char *record_id,
                    const char *record_title,
                    const char *action,
                    const char *field,
                    const char *old_value,
                    const char *new_value)
{
  PdAuditEntry *self = g_object_new (PD_TYPE_AUDIT_ENTRY, NULL);

  self->seq = seq;
  self->at = g_strdup (at);
  self->who = g_strdup (who);
  self->record_type = g_strdup (record_type);
  self->record_id = g_strdup (record_id);
  self->record_title = g_strdup (record_title);
  self->action = g_strdup (action);
  self->field = g_strdup (field);
  self->old_value = g_strdup (old_value);
  self->new_value = g_strdup (new_value);
  return self;
}

gint64
pd_audit_entry_get_seq (PdAuditEntry *self)
{
  g_return_val_if_fail (PD_IS_AUDIT_ENTRY (self), 0);
  return self->seq;
}

const char *
pd_audit_entry_get_at (PdAuditEntry *self)
{
  g_return_val_if_fail (PD_IS_AUDIT_ENTRY (self), NULL);
  return self->at;
}

const char *
pd_audit_entry_get_who (PdAuditEntry *self)
{
  g_return_val_if_fail (PD_IS_AUDIT_ENTRY (self), NULL);
  return self->who;
}

const char *
pd_audit_entry_get_record_type (PdAuditEntry *self)
{
  g_return_val_if_fail (PD_IS_AUDIT_ENTRY (self), NULL);
  return self->record_type;
}

const char *
pd_audit_entry_get_record_id (PdAuditEntry *self)
{
  g_return_val_if_fail (PD_IS_AUDIT_ENTRY (self), NULL);
  return self->record_id;
}

const char *
pd_audit_entry_get_record_title (PdAuditEntry *self)
{
  g_return_val_if_fail (PD_IS_AUDIT_ENTRY (self), NULL);
  return self->record_title;
}

const char *
pd_audit_entry_get_action (PdAuditEntry *self)
{
  g_return_val_if_fail (PD_IS_AUDIT_ENTRY (self), NULL);
  return self->action;
}

const char *
pd_audit_entry_get_field (PdAuditEntry *self)
{
  g_return_val_if_fail (PD_IS_AUDIT_ENTRY (self), NULL);
  return self->field;
}

const char *
pd_audit_entry_get_old_value (PdAuditEntry *self)
{
  g_return_val_if_fail (PD_IS_AUDIT_ENTRY (self), NULL);
  return self->old_value;
}

const char *
pd_audit_entry_get_new_value (PdAuditEntry *self)
{
  g_return_val_if_fail (PD_IS_AUDIT_ENTRY (self), NULL);
  return self->new_value;
}

/* Whole-record sentences, one per record type so translators can inflect. */
typedef struct {
  const char *type;
  const char *created;
  const char *deleted;
  const char *restored;
} RecordSentences;

static const RecordSentences sentences[] = {
  { "partner", N_("Created partner “%s”"), N_("Deleted partner “%s”"),
    N_("Restored partner “%s”") },
  { "partner_user", N_("Created partner user “%s”"), N_("Deleted partner user “%s”"),
    N_("Restored partner user “%s”") },
  { "institution", N_("Created institution “%s”"), N_("Deleted institution “%s”"),
    N_("Restored institution “%s”") },
  { "practice_user", N_("Created practice user “%s”"), N_("Deleted practice user “%s”"),
    N_("Restored practice user “%s”") },
  { "person", N_("Created person “%s”"), N_("Deleted person “%s”"),
    N_("Restored person “%s”") },
  { "upload", N_("Recorded upload “%s”"), N_("Deleted upload “%s”"),
    N_("Restored upload “%s”") },
};

/* The counts an eligibility import writes as its audit entry's new value:
 * "created 3, updated 1, unchanged 10, terminated 0, rejected 2", optionally with
 * "mode full" or a leading "full:"; unknown parts are ignored. */
typedef struct {
  const char *mode;
  guint       counts[5];
  gboolean    found;
} UploadCounts;

static const char * const count_keys[] = {
  "created", "updated", "unchanged", "terminated", "rejected",
};

static void
parse_count (UploadCounts *c,
             const char   *part)
{
  g_autofree char *text = g_strstrip (g_strdup (part));
  char *space = strrchr (text, ' ');
  guint64 value;

  if (g_str_equal (text, "full") || g_str_equal (text, "mode full"))
    c->mode = "full";
  else if (g_str_equal (text, "incremental") || g_str_equal (text, "mode incremental"))
    c->mode = "incremental";
  if (space == NULL)
    return;
  *space = '\0';
  g_strstrip (text);
  if (!g_ascii_string_to_unsigned (space + 1, 10, 0, G_MAXUINT, &value, NULL))
    return;
  for (guint i = 0; i < G_N_ELEMENTS (count_keys); i++)
    if (g_str_equal (text, count_keys[i]))
      {
        c->counts[i] = (guint) value;
        c->found = TRUE;
      }
}

static gboolean
parse_upload_counts (const char   *value,
                     UploadCounts *c)
{
  g_auto(GStrv) parts = NULL;

  memset (c, 0, sizeof *c);
  if (value == NULL)
    return FALSE;
  parts = g_strsplit_set (value, ",:;", -1);
  for (guint i = 0; parts[i]; i++)
    parse_count (c, parts[i]);
  return c->found;
}

/* "Imported “census.csv” (full): created 120, updated 3, unchanged 4,000, terminated 2, rejected 1" */
static char *
describe_upload (PdAuditEntry *self)
{
  const char *title = self->record_title ? self->record_title : "";
  UploadCounts c;
  g_autofree char *counts = NULL;

  if (!parse_upload_counts (self->new_value, &c))
    return g_strdup_printf (_("Imported “%s”"), title);
  /* TRANSLATORS: the counts of an eligibility import, in the History tab */
  counts = g_strdup_printf (_("created %'u, updated %'u, unchanged %'u, terminated %'u, "
                              "rejected %'u"),
                            c.counts[0], c.counts[1], c.counts[2], c.counts[3], c.counts[4]);
  if (g_strcmp0 (c.mode, "full") == 0)
    /* TRANSLATORS: file name and counts of a full eligibility import */
    return g_strdup_printf (_("Imported “%s” (full): %s"), title, counts);
  if (g_strcmp0 (c.mode, "incremental") == 0)
    /* TRANSLATORS: file name and counts of an incremental eligibility import */
    return g_strdup_printf (_("Imported “%s” (incremental): %s"), title, counts);
  /* TRANSLATORS: file name and counts of an eligibility import */
  return g_strdup_printf (_("Imported “%s”: %s"), title, counts);
}

static char *
describe_record_action (PdAuditEntry *self)
{
  const char *title = self->record_title ? self->record_title : "";

  if (g_strcmp0 (self->record_type, "upload") == 0 && g_strcmp0 (self->action, "create") == 0)
    return describe_upload (self);
  for (guint i = 0; i < G_N_ELEMENTS (sentences); i++)
    {
      const RecordSentences *s = &sentences[i];

      if (g_strcmp0 (s->type, self->record_type) != 0)
        continue;
      if (g_strcmp0 (self->action, "create") == 0)
        return g_strdup_printf (_(s->created), title);
      if (g_strcmp0 (self->action, "delete") == 0)
        return g_strdup_printf (_(s->deleted), title);
      if (g_strcmp0 (self->action, "restore") == 0)
        return g_strdup_printf (_(s->restored), title);
    }
  /* TRANSLATORS: an unknown action on a record: "archive “Acme”" */
  return g_strdup_printf (_("%s “%s”"), self->action, title);
}

static char *
describe_change (PdAuditEntry *self,
                 const char   *label,
                 const char   *old_text,
                 const char   *new_text)
{
  if (old_text == NULL && new_text == NULL)
    return g_strdup_printf (_("Changed %s"), label);
  if (old_text == NULL)
    return g_strdup_printf (_("Set %s to “%s”"), label, new_text);
  if (new_text == NULL)
    return g_strdup_printf (_("Cleared %s (was “%s”)"), label, old_text);
  return g_strdup_printf (_("Changed %s from “%s” to “%s”"), label, old_text, new_text);
}

char *
pd_audit_entry_describe (PdAuditEntry *self)
{
  return _pd_audit_entry_describe_full (self, NULL, NULL);
}

char *
_pd_audit_entry_describe_full (PdAuditEntry        *self,
                               PdAuditValueFormat   format,
                               gpointer             user_data)
{
  const PdRecordType *type;
  const PdField *field = NULL;
  g_autofree char *old_text = NULL;
  g_autofree char *new_text = NULL;
  g_autofree char *change = NULL;

  g_return_val_if_fail (PD_IS_AUDIT_ENTRY (self), NULL);

  if (self->field == NULL)
    return describe_record_action (self);
  type = pd_record_type_lookup (self->record_type);
  if (type)
    field = pd_record_type_get_field (type, self->field);
  if (field && format)
    {
      old_text = format (field, self->old_value, user_data);
      new_text = format (field, self->new_value, user_data);
    }
  else if (field)
    {
      old_text = pd_field_format_text (field, self->old_value);
      new_text = pd_field_format_text (field, self->new_value);
    }
  else
    {
      old_text = g_strdup (self->old_value);
      new_text = g_strdup (self->new_value);
    }
  change = describe_change (self, field ? _(field->label) : self->field, old_text, new_text);
  if (type == NULL || g_strcmp0 (type->partner_field, "id") == 0)
    return g_steal_pointer (&change);
  /* TRANSLATORS: a change and the record it was made to: "Changed Role from … (Anna Berg)" */
  return g_strdup_printf (_("%s (%s)"), change, self->record_title ? self->record_title : "");
}
