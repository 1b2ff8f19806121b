/* pd-examination-editor.c: add or edit an examination of the catalogue with its prices. */
#include "config.h"

#include <glib/gi18n.h>

#include "pd-examination-editor.h"

/* One editable value: an entry row and the message row beside it. */
typedef struct
{
  char      *field;          /* examination field, or NULL for a price */
  char      *institution_id; /* prices */
  GtkWidget *entry;
  GtkWidget *error_row;
  GtkWidget *error_label;
  gboolean   touched;
} Field;

struct _PdExaminationEditor
{
  AdwWindow parent_instance;

  /* Template Widgets */
  GtkLabel            *error_label;
  AdwPreferencesGroup *examination_group;
  AdwPreferencesGroup *prices_group;

  /* Owned References */
  PdStore    *store;
  PdRecord   *original;   /* the examination as it was (version 0 when new) */
  GHashTable *old_prices; /* institution id -> gint64*, as it was */
  GPtrArray  *fields;     /* Field* */
};

G_DEFINE_FINAL_TYPE (PdExaminationEditor, pd_examination_editor, ADW_TYPE_WINDOW)

enum
{
  SIGNAL_SAVED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static const char *const examination_fields[] = { "code", "name", "duration_minutes" };

static void
field_free (Field *field)
{
  g_free (field->field);
  g_free (field->institution_id);
  g_free (field);
}

static void
show_field_error (Field *field, const char *message)
{
  gboolean shown = message != NULL && field->touched;

  gtk_label_set_text (GTK_LABEL (field->error_label), shown ? message : "");
  gtk_widget_set_visible (field->error_row, shown);
  if (shown)
    gtk_widget_add_css_class (field->entry, "error");
  else
    gtk_widget_remove_css_class (field->entry, "error");
}

static const char *
field_text (Field *field)
{
  return gtk_editable_get_text (GTK_EDITABLE (field->entry));
}

/* The examination as typed; messages of fields that do not parse go to PARSE_ERRORS. */
static PdRecord *
build_record (PdExaminationEditor *self, GHashTable *parse_errors)
{
  PdRecord *record = pd_record_copy (self->original);

  for (guint i = 0; i < self->fields->len; i++)
    {
      Field           *field = g_ptr_array_index (self->fields, i);
      g_autofree char *message = NULL;

      if (field->field == NULL)
        continue;
      if (!pd_record_set_from_text (record, field->field, field_text (field), &message))
        g_hash_table_insert (parse_errors, g_strdup (field->field), g_steal_pointer (&message));
    }
  return record;
}

static gboolean
parse_price (Field *field, gboolean *offered, gint64 *price, char **message)
{
  g_autofree char *text = g_strstrip (g_strdup (field_text (field)));

  *offered = *text != '\0';
  return !*offered || pd_catalogue_parse_price (text, price, message);
}

/* Shows every field's message; TRUE when all are valid. */
static gboolean
validate (PdExaminationEditor *self)
{
  g_autoptr (GHashTable) parse_errors
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr (PdRecord) record = build_record (self, parse_errors);
  g_autoptr (GHashTable) errors = pd_store_validate (self->store, record);
  gboolean valid = g_hash_table_size (parse_errors) == 0 && g_hash_table_size (errors) == 0;

  for (guint i = 0; i < self->fields->len; i++)
    {
      Field           *field = g_ptr_array_index (self->fields, i);
      g_autofree char *message = NULL;
      gboolean         offered;
      gint64           price;

      if (field->field != NULL)
        {
          const char *parse = g_hash_table_lookup (parse_errors, field->field);

          show_field_error (field, parse ? parse : g_hash_table_lookup (errors, field->field));
          continue;
        }
      if (!parse_price (field, &offered, &price, &message))
        valid = FALSE;
      show_field_error (field, message);
    }
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "examination.save", valid);
  return valid;
}

static void
on_changed (GtkEditable *editable, PdExaminationEditor *self)
{
  for (guint i = 0; i < self->fields->len; i++)
    {
      Field *field = g_ptr_array_index (self->fields, i);

      if (field->entry == GTK_WIDGET (editable))
        field->touched = TRUE;
    }
  validate (self);
}

static GtkWidget *
error_row_new (Field *field)
{
  GtkWidget *row = adw_preferences_row_new ();
  GtkWidget *label = gtk_label_new (NULL);

  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), FALSE);
  gtk_widget_set_focusable (row, FALSE);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_widget_set_margin_start (label, 12);
  gtk_widget_set_margin_end (label, 12);
  gtk_widget_set_margin_top (label, 6);
  gtk_widget_set_margin_bottom (label, 6);
  gtk_widget_add_css_class (label, "error");
  gtk_widget_add_css_class (label, "caption");
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), label);
  gtk_widget_set_visible (row, FALSE);
  field->error_row = row;
  field->error_label = label;
  gtk_accessible_update_relation (GTK_ACCESSIBLE (field->entry),
                                  GTK_ACCESSIBLE_RELATION_DESCRIBED_BY, label, NULL, -1);
  return row;
}

static Field *
add_field (PdExaminationEditor *self, AdwPreferencesGroup *group, const char *title,
           const char *text)
{
  Field *field = g_new0 (Field, 1);

  field->entry = adw_entry_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (field->entry), title);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (field->entry), FALSE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (field->entry), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  title, -1);
  gtk_editable_set_text (GTK_EDITABLE (field->entry), text ? text : "");
  adw_preferences_group_add (group, field->entry);
  adw_preferences_group_add (group, error_row_new (field));
  g_signal_connect (field->entry, "changed", G_CALLBACK (on_changed), self);
  g_ptr_array_add (self->fields, field);
  return field;
}

static void
build_fields (PdExaminationEditor *self)
{
  g_autoptr (GPtrArray) institutions
      = pd_store_list (self->store, &pd_institution_type, NULL, NULL, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (examination_fields); i++)
    {
      const PdField   *def = pd_record_type_get_field (&pd_examination_type, examination_fields[i]);
      g_autofree char *text = pd_record_get_edit_text (self->original, examination_fields[i]);
      Field           *field;

      if (def == NULL)
        continue;
      field = add_field (self, self->examination_group, _ (def->label), text);
      field->field = g_strdup (examination_fields[i]);
    }
  for (guint i = 0; institutions != NULL && i < institutions->len; i++)
    {
      PdRecord        *institution = g_ptr_array_index (institutions, i);
      const char      *id = pd_record_get_id (institution);
      gint64          *price = g_hash_table_lookup (self->old_prices, id);
      g_autofree char *text = price ? pd_money_format_edit (*price) : NULL;
      g_autofree char *title = NULL;
      Field           *field;

      /* Translators: %s is an institution */
      title = g_strdup_printf (_ ("Price at %s"), pd_record_get_title (institution));
      field = add_field (self, self->prices_group, title, text);
      field->institution_id = g_strdup (id);
    }
  if (institutions == NULL || institutions->len == 0)
    adw_preferences_group_set_description (
        self->prices_group,
        _ ("Add institutions first: an examination has a price per institution."));
}

/* Saving */

static gboolean
save_prices (PdExaminationEditor *self, const char *id, GError **error)
{
  for (guint i = 0; i < self->fields->len; i++)
    {
      Field           *field = g_ptr_array_index (self->fields, i);
      g_autofree char *message = NULL;
      gboolean         offered;
      gint64           price = 0;
      gint64          *old;

      if (field->institution_id == NULL)
        continue;
      if (!parse_price (field, &offered, &price, &message))
        {
          g_set_error_literal (error, PD_ERROR, PD_ERROR_INVALID, message);
          return FALSE;
        }
      old = g_hash_table_lookup (self->old_prices, field->institution_id);
      if (offered && (old == NULL || *old != price)
          && !pd_catalogue_set_price (self->store, id, field->institution_id, price, error))
        return FALSE;
      if (!offered && old != NULL
          && !pd_catalogue_clear_price (self->store, id, field->institution_id, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
save_in_transaction (PdStore *store, gpointer user_data, GError **error)
{
  PdExaminationEditor *self = user_data;
  g_autoptr (GHashTable) parse_errors
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr (PdRecord) record = build_record (self, parse_errors);

  if (!pd_catalogue_save_examination (store, record, error))
    return FALSE;
  return save_prices (self, pd_record_get_id (record), error);
}

static void
save_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  PdExaminationEditor *self = PD_EXAMINATION_EDITOR (widget);
  g_autoptr (GError) error = NULL;

  for (guint i = 0; i < self->fields->len; i++)
    ((Field *)g_ptr_array_index (self->fields, i))->touched = TRUE;
  if (!validate (self))
    return;
  if (!pd_store_transaction (self->store, save_in_transaction, self, &error))
    {
      gtk_label_set_text (self->error_label, error->message);
      gtk_widget_set_visible (GTK_WIDGET (self->error_label), TRUE);
      return;
    }
  g_signal_emit (self, signals[SIGNAL_SAVED], 0, pd_record_get_id (self->original));
  gtk_window_destroy (GTK_WINDOW (self));
}

static void
pd_examination_editor_dispose (GObject *object)
{
  PdExaminationEditor *self = PD_EXAMINATION_EDITOR (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), PD_TYPE_EXAMINATION_EDITOR);
  g_clear_object (&self->store);
  g_clear_object (&self->original);
  g_clear_pointer (&self->old_prices, g_hash_table_unref);
  g_clear_pointer (&self->fields, g_ptr_array_unref);
  G_OBJECT_CLASS (pd_examination_editor_parent_class)->dispose (object);
}

static void
pd_examination_editor_class_init (PdExaminationEditorClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = pd_examination_editor_dispose;

  signals[SIGNAL_SAVED] = g_signal_new ("saved", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                        NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  gtk_widget_class_set_template_from_resource (
      widget_class, "/io/github/partnerdesk/PartnerDesk/ui/pd-examination-editor.ui");
  gtk_widget_class_bind_template_child (widget_class, PdExaminationEditor, error_label);
  gtk_widget_class_bind_template_child (widget_class, PdExaminationEditor, examination_group);
  gtk_widget_class_bind_template_child (widget_class, PdExaminationEditor, prices_group);

  gtk_widget_class_install_action (widget_class, "examination.save", NULL, save_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_s, GDK_CONTROL_MASK,
                                       "examination.save", NULL);
}

static void
pd_examination_editor_init (PdExaminationEditor *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->fields = g_ptr_array_new_with_free_func ((GDestroyNotify)field_free);
  self->old_prices = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

static void
copy_prices (GHashTable *to, GHashTable *from)
{
  GHashTableIter iter;
  gpointer       key, value;

  if (from == NULL)
    return;
  g_hash_table_iter_init (&iter, from);
  while (g_hash_table_iter_next (&iter, &key, &value))
    g_hash_table_insert (to, g_strdup (key), g_memdup2 (value, sizeof (gint64)));
}

PdExaminationEditor *
pd_examination_editor_new (GtkWindow *parent, PdStore *store, PdCatalogueEntry *entry)
{
  PdExaminationEditor *self;
  gboolean             is_new = entry == NULL;

  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (PD_IS_STORE (store), NULL);

  self = g_object_new (PD_TYPE_EXAMINATION_EDITOR, "transient-for", parent, "title",
                       is_new ? _ ("Add Examination") : _ ("Edit Examination"), NULL);
  self->store = g_object_ref (store);
  self->original
      = is_new ? pd_record_new (&pd_examination_type) : pd_record_copy (entry->examination);
  if (!is_new)
    copy_prices (self->old_prices, entry->prices);
  build_fields (self);
  validate (self);
  if (self->fields->len > 0)
    gtk_widget_grab_focus (((Field *)g_ptr_array_index (self->fields, 0))->entry);
  return self;
}
