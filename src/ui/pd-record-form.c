/* pd-record-form.c: a form generated from a record description, validated on every change. */
#include "config.h"

#include <glib/gi18n.h>

#include "pd-record-form.h"

/* One editable field: its widgets and its error state. */
typedef struct
{
  PdRecordForm  *form; /* borrowed */
  const PdField *field;
  GtkWidget     *row;       /* the row, hidden when only_if does not hold */
  GtkWidget     *error_row; /* the row under it holding the error */
  GtkWidget     *error_label;
  GtkWidget     *editor; /* entry row, text view, switch, combo row */
  GPtrArray     *ids;    /* REF: id per combo item (NULL item: none) */
  GPtrArray     *checks; /* REF_LIST: check buttons, "ref-id" data */
  char          *parse_error;
  char          *external_error;
  gboolean       touched;
} PdFormField;

struct _PdRecordForm
{
  GtkWidget parent_instance;

  /* Owned References */
  PdStore   *store;
  PdRecord  *record;
  GPtrArray *fields; /* PdFormField* */

  /* Widgets */
  GtkWidget *box;

  gboolean valid;
  gboolean show_all_errors;
  gboolean building;
};

G_DEFINE_FINAL_TYPE (PdRecordForm, pd_record_form, GTK_TYPE_WIDGET)

enum
{
  PROP_0,
  PROP_STORE,
  PROP_RECORD,
  PROP_VALID,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void pd_record_form_revalidate (PdRecordForm *self);

static void
form_field_free (PdFormField *ff)
{
  g_clear_pointer (&ff->ids, g_ptr_array_unref);
  g_clear_pointer (&ff->checks, g_ptr_array_unref);
  g_free (ff->parse_error);
  g_free (ff->external_error);
  g_free (ff);
}

static void
set_accessible_label (GtkWidget *widget, const char *label)
{
  gtk_accessible_update_property (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_PROPERTY_LABEL, label,
                                  -1);
}

/* Called by every editor after it wrote its value into the record copy. */
static void
field_edited (PdFormField *ff)
{
  if (ff->form->building)
    return;
  ff->touched = TRUE;
  g_clear_pointer (&ff->external_error, g_free);
  pd_record_form_revalidate (ff->form);
}

static void
set_from_text (PdFormField *ff, const char *text)
{
  g_autofree char *message = NULL;

  g_clear_pointer (&ff->parse_error, g_free);
  if (!pd_record_set_from_text (ff->form->record, ff->field->name, text, &message))
    ff->parse_error = g_steal_pointer (&message);
  field_edited (ff);
}

static void
on_entry_changed (GtkEditable *editable, PdFormField *ff)
{
  set_from_text (ff, gtk_editable_get_text (editable));
}

static void
on_buffer_changed (GtkTextBuffer *buffer, PdFormField *ff)
{
  GtkTextIter      start, end;
  g_autofree char *text = NULL;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  text = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
  set_from_text (ff, text);
}

static void
on_switch_active (GtkSwitch *sw, GParamSpec *pspec, PdFormField *ff)
{
  pd_record_set_bool (ff->form->record, ff->field->name, gtk_switch_get_active (sw));
  field_edited (ff);
}

static void
on_enum_selected (AdwComboRow *row, GParamSpec *pspec, PdFormField *ff)
{
  guint selected = adw_combo_row_get_selected (row);

  if (selected == GTK_INVALID_LIST_POSITION)
    return;
  pd_record_set_string (ff->form->record, ff->field->name, ff->field->choices[selected].nick);
  field_edited (ff);
}

static void
on_ref_selected (AdwComboRow *row, GParamSpec *pspec, PdFormField *ff)
{
  guint       selected = adw_combo_row_get_selected (row);
  const char *id;

  if (selected == GTK_INVALID_LIST_POSITION || selected >= ff->ids->len)
    return;
  id = g_ptr_array_index (ff->ids, selected);
  if (id == NULL)
    pd_record_unset (ff->form->record, ff->field->name);
  else
    pd_record_set_string (ff->form->record, ff->field->name, id);
  field_edited (ff);
}

static void
on_check_toggled (GtkCheckButton *check, PdFormField *ff)
{
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  g_auto (GStrv) ids = NULL;

  for (guint i = 0; i < ff->checks->len; i++)
    {
      GtkCheckButton *c = g_ptr_array_index (ff->checks, i);

      if (gtk_check_button_get_active (c))
        g_strv_builder_add (builder, g_object_get_data (G_OBJECT (c), "ref-id"));
    }
  ids = g_strv_builder_end (builder);
  pd_record_set_strv (ff->form->record, ff->field->name, (const char *const *)ids);
  field_edited (ff);
}

static GtkWidget *
build_entry_row (PdFormField *ff)
{
  const PdField   *field = ff->field;
  GtkWidget       *row = adw_entry_row_new ();
  g_autofree char *text = pd_record_get_edit_text (ff->form->record, field->name);
  GtkEditable     *delegate;

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _ (field->label));
  gtk_editable_set_text (GTK_EDITABLE (row), text ? text : "");
  delegate = gtk_editable_get_delegate (GTK_EDITABLE (row));
  if (delegate != NULL)
    set_accessible_label (GTK_WIDGET (delegate), _ (field->label));
  if (field->placeholder != NULL)
    gtk_widget_set_tooltip_text (row, _ (field->placeholder));

  if (field->flags & PD_FIELD_FLAG_EMAIL)
    adw_entry_row_set_input_purpose (ADW_ENTRY_ROW (row), GTK_INPUT_PURPOSE_EMAIL);
  else if (field->type == PD_FIELD_INT)
    adw_entry_row_set_input_purpose (ADW_ENTRY_ROW (row), GTK_INPUT_PURPOSE_DIGITS);
  else if (field->type == PD_FIELD_MONEY || field->type == PD_FIELD_PERCENT)
    adw_entry_row_set_input_purpose (ADW_ENTRY_ROW (row), GTK_INPUT_PURPOSE_NUMBER);

  if (field->type == PD_FIELD_MONEY || field->type == PD_FIELD_PERCENT)
    {
      GtkWidget *unit
          = gtk_label_new (field->type == PD_FIELD_MONEY ? pd_money_get_currency () : "%");
      gtk_widget_add_css_class (unit, "dim-label");
      adw_entry_row_add_suffix (ADW_ENTRY_ROW (row), unit);
    }

  ff->editor = row;
  g_signal_connect (row, "changed", G_CALLBACK (on_entry_changed), ff);
  return row;
}

static GtkWidget *
build_text_view_row (PdFormField *ff)
{
  const PdField   *field = ff->field;
  GtkWidget       *row = adw_preferences_row_new ();
  GtkWidget       *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget       *title = gtk_label_new (_ (field->label));
  GtkWidget       *frame = gtk_frame_new (NULL);
  GtkWidget       *view = gtk_text_view_new ();
  GtkTextBuffer   *buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (view));
  g_autofree char *text = pd_record_get_edit_text (ff->form->record, field->name);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _ (field->label));
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), FALSE);
  gtk_widget_set_margin_start (box, 12);
  gtk_widget_set_margin_end (box, 12);
  gtk_widget_set_margin_top (box, 8);
  gtk_widget_set_margin_bottom (box, 12);
  gtk_label_set_xalign (GTK_LABEL (title), 0);
  gtk_widget_add_css_class (title, "caption");
  gtk_widget_add_css_class (title, "dim-label");
  gtk_text_view_set_wrap_mode (GTK_TEXT_VIEW (view), GTK_WRAP_WORD_CHAR);
  gtk_text_view_set_accepts_tab (GTK_TEXT_VIEW (view), FALSE);
  gtk_text_view_set_top_margin (GTK_TEXT_VIEW (view), 6);
  gtk_text_view_set_bottom_margin (GTK_TEXT_VIEW (view), 6);
  gtk_text_view_set_left_margin (GTK_TEXT_VIEW (view), 6);
  gtk_text_view_set_right_margin (GTK_TEXT_VIEW (view), 6);
  gtk_widget_set_size_request (view, -1, 96);
  gtk_text_buffer_set_text (buffer, text ? text : "", -1);
  set_accessible_label (view, _ (field->label));
  gtk_accessible_update_relation (GTK_ACCESSIBLE (view), GTK_ACCESSIBLE_RELATION_LABELLED_BY, title,
                                  NULL, -1);

  gtk_frame_set_child (GTK_FRAME (frame), view);
  gtk_box_append (GTK_BOX (box), title);
  gtk_box_append (GTK_BOX (box), frame);
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);

  ff->editor = view;
  g_signal_connect (buffer, "changed", G_CALLBACK (on_buffer_changed), ff);
  return row;
}

static GtkWidget *
build_switch_row (PdFormField *ff)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *sw = gtk_switch_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _ (ff->field->label));
  gtk_widget_set_valign (sw, GTK_ALIGN_CENTER);
  gtk_switch_set_active (GTK_SWITCH (sw), pd_record_get_bool (ff->form->record, ff->field->name));
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), sw);
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), sw);

  ff->editor = sw;
  g_signal_connect (sw, "notify::active", G_CALLBACK (on_switch_active), ff);
  return row;
}

static GtkWidget *
build_enum_row (PdFormField *ff)
{
  const PdField *field = ff->field;
  GtkWidget     *row = adw_combo_row_new ();
  g_autoptr (GtkStringList) model = gtk_string_list_new (NULL);
  const char *value = pd_record_get_string (ff->form->record, field->name);
  guint       selected = 0;

  for (guint i = 0; field->choices != NULL && field->choices[i].nick != NULL; i++)
    {
      gtk_string_list_append (model, _ (field->choices[i].label));
      if (g_strcmp0 (value, field->choices[i].nick) == 0)
        selected = i;
    }

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _ (field->label));
  adw_combo_row_set_model (ADW_COMBO_ROW (row), G_LIST_MODEL (model));
  adw_combo_row_set_selected (ADW_COMBO_ROW (row), selected);

  ff->editor = row;
  g_signal_connect (row, "notify::selected", G_CALLBACK (on_enum_selected), ff);
  return row;
}

/* Live records of the field's ref_type; owned. */
static GPtrArray *
list_refs (PdFormField *ff)
{
  g_autoptr (GError) error = NULL;
  GPtrArray *records;

  records = pd_store_list (ff->form->store, ff->field->ref_type, NULL, NULL, &error);
  if (records == NULL)
    {
      g_warning ("Could not list %s: %s", ff->field->ref_type->name, error->message);
      records = g_ptr_array_new_with_free_func (g_object_unref);
    }
  return records;
}

/* A referenced record that is no longer live still shows by its title. */
static void
add_missing_ref (PdFormField *ff, GPtrArray *records, const char *id)
{
  PdRecord *record;

  for (guint i = 0; i < records->len; i++)
    if (g_strcmp0 (pd_record_get_id (g_ptr_array_index (records, i)), id) == 0)
      return;
  record = pd_store_get (ff->form->store, ff->field->ref_type, id, NULL);
  if (record != NULL)
    g_ptr_array_add (records, record);
}

static GtkWidget *
build_ref_row (PdFormField *ff)
{
  const PdField *field = ff->field;
  GtkWidget     *row = adw_combo_row_new ();
  g_autoptr (GtkStringList) model = gtk_string_list_new (NULL);
  g_autoptr (GPtrArray) records = list_refs (ff);
  const char *value = pd_record_get_string (ff->form->record, field->name);
  guint       selected = 0;

  ff->ids = g_ptr_array_new_with_free_func (g_free);
  if (value != NULL)
    add_missing_ref (ff, records, value);
  if (!(field->flags & PD_FIELD_FLAG_REQUIRED) || records->len == 0)
    {
      gtk_string_list_append (model, _ ("None"));
      g_ptr_array_add (ff->ids, NULL);
    }
  for (guint i = 0; i < records->len; i++)
    {
      PdRecord *record = g_ptr_array_index (records, i);

      if (g_strcmp0 (value, pd_record_get_id (record)) == 0)
        selected = ff->ids->len;
      gtk_string_list_append (model, pd_record_get_title (record));
      g_ptr_array_add (ff->ids, g_strdup (pd_record_get_id (record)));
    }

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _ (field->label));
  adw_combo_row_set_model (ADW_COMBO_ROW (row), G_LIST_MODEL (model));
  adw_combo_row_set_selected (ADW_COMBO_ROW (row), selected);
  /* A required reference with nothing chosen yet takes the first choice. */
  if (value == NULL && g_ptr_array_index (ff->ids, selected) != NULL)
    pd_record_set_string (ff->form->record, field->name, g_ptr_array_index (ff->ids, selected));

  ff->editor = row;
  g_signal_connect (row, "notify::selected", G_CALLBACK (on_ref_selected), ff);
  return row;
}

static GtkWidget *
build_ref_list_row (PdFormField *ff)
{
  const PdField *field = ff->field;
  GtkWidget     *row = adw_expander_row_new ();
  g_autoptr (GPtrArray) records = list_refs (ff);
  const char *const *value = pd_record_get_strv (ff->form->record, field->name);

  for (guint i = 0; value[i] != NULL; i++)
    add_missing_ref (ff, records, value[i]);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _ (field->label));
  adw_expander_row_set_expanded (ADW_EXPANDER_ROW (row), TRUE);
  if (records->len == 0)
    adw_expander_row_set_subtitle (ADW_EXPANDER_ROW (row), _ ("Nothing to choose from yet"));

  ff->checks = g_ptr_array_new ();
  for (guint i = 0; i < records->len; i++)
    {
      PdRecord   *record = g_ptr_array_index (records, i);
      const char *id = pd_record_get_id (record);
      GtkWidget  *choice = adw_action_row_new ();
      GtkWidget  *check = gtk_check_button_new ();

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (choice), pd_record_get_title (record));
      gtk_check_button_set_active (GTK_CHECK_BUTTON (check), g_strv_contains (value, id));
      gtk_widget_set_valign (check, GTK_ALIGN_CENTER);
      g_object_set_data_full (G_OBJECT (check), "ref-id", g_strdup (id), g_free);
      adw_action_row_add_prefix (ADW_ACTION_ROW (choice), check);
      adw_action_row_set_activatable_widget (ADW_ACTION_ROW (choice), check);
      adw_expander_row_add_row (ADW_EXPANDER_ROW (row), choice);
      g_ptr_array_add (ff->checks, check);
      g_signal_connect (check, "toggled", G_CALLBACK (on_check_toggled), ff);
    }

  ff->editor = row;
  return row;
}

static GtkWidget *
build_row (PdFormField *ff)
{
  switch (ff->field->type)
    {
    case PD_FIELD_TEXT:
      if (ff->field->flags & PD_FIELD_FLAG_MULTILINE)
        return build_text_view_row (ff);
      return build_entry_row (ff);
    case PD_FIELD_BOOL:
      return build_switch_row (ff);
    case PD_FIELD_ENUM:
      return build_enum_row (ff);
    case PD_FIELD_REF:
      return build_ref_row (ff);
    case PD_FIELD_REF_LIST:
      return build_ref_list_row (ff);
    case PD_FIELD_INT:
    case PD_FIELD_MONEY:
    case PD_FIELD_PERCENT:
    case PD_FIELD_TIMESTAMP:
    default:
      return build_entry_row (ff);
    }
}

static GtkWidget *
build_error_row (PdFormField *ff)
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

  ff->error_label = label;
  gtk_accessible_update_relation (GTK_ACCESSIBLE (ff->editor), GTK_ACCESSIBLE_RELATION_DESCRIBED_BY,
                                  label, NULL, -1);
  return row;
}

static gboolean
field_in_form (const PdField *field)
{
  if (field->flags & (PD_FIELD_FLAG_READ_ONLY | PD_FIELD_FLAG_HIDDEN))
    return FALSE;
  return field->type != PD_FIELD_TIMESTAMP;
}

static AdwPreferencesGroup *
ensure_group (PdRecordForm *self, GHashTable *groups, const char *name)
{
  const char          *key = name ? name : "";
  AdwPreferencesGroup *group = g_hash_table_lookup (groups, key);

  if (group != NULL)
    return group;
  group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  if (name != NULL)
    adw_preferences_group_set_title (group, _ (name));
  gtk_box_append (GTK_BOX (self->box), GTK_WIDGET (group));
  g_hash_table_insert (groups, (gpointer)key, group);
  return group;
}

static void
pd_record_form_build (PdRecordForm *self)
{
  const PdRecordType *type = pd_record_get_record_type (self->record);
  g_autoptr (GHashTable) groups = g_hash_table_new (g_str_hash, g_str_equal);

  self->building = TRUE;
  for (guint i = 0; i < type->n_fields; i++)
    {
      const PdField       *field = &type->fields[i];
      AdwPreferencesGroup *group;
      PdFormField         *ff;

      if (!field_in_form (field))
        continue;
      ff = g_new0 (PdFormField, 1);
      ff->form = self;
      ff->field = field;
      ff->row = build_row (ff);
      ff->error_row = build_error_row (ff);
      g_ptr_array_add (self->fields, ff);

      group = ensure_group (self, groups, field->group);
      adw_preferences_group_add (group, ff->row);
      adw_preferences_group_add (group, ff->error_row);
    }
  self->building = FALSE;
  pd_record_form_revalidate (self);
}

static void
update_field (PdRecordForm *self, PdFormField *ff, GHashTable *errors, gboolean *valid)
{
  gboolean    applies = pd_record_field_applies (self->record, ff->field);
  const char *message = NULL;

  if (applies)
    {
      const char *current = ff->parse_error;

      if (current == NULL)
        current = g_hash_table_lookup (errors, ff->field->name);
      if (current != NULL)
        *valid = FALSE;
      if (ff->external_error != NULL)
        message = ff->external_error;
      else if (ff->touched || self->show_all_errors)
        message = current;
    }

  gtk_widget_set_visible (ff->row, applies);
  gtk_widget_set_visible (ff->error_row, message != NULL);
  gtk_label_set_text (GTK_LABEL (ff->error_label), message ? message : "");
  if (message != NULL)
    gtk_widget_add_css_class (ff->row, "error");
  else
    gtk_widget_remove_css_class (ff->row, "error");
  gtk_accessible_update_state (GTK_ACCESSIBLE (ff->editor), GTK_ACCESSIBLE_STATE_INVALID,
                               message ? GTK_ACCESSIBLE_INVALID_TRUE : GTK_ACCESSIBLE_INVALID_FALSE,
                               -1);
}

static gboolean
error_is_in_form (PdRecordForm *self, const char *name)
{
  for (guint i = 0; i < self->fields->len; i++)
    {
      PdFormField *ff = g_ptr_array_index (self->fields, i);

      if (g_strcmp0 (ff->field->name, name) == 0)
        return TRUE;
    }
  return FALSE;
}

static void
pd_record_form_revalidate (PdRecordForm *self)
{
  g_autoptr (GHashTable) errors = pd_store_validate (self->store, self->record);
  gboolean       valid = TRUE;
  GHashTableIter iter;
  gpointer       key;

  for (guint i = 0; i < self->fields->len; i++)
    update_field (self, g_ptr_array_index (self->fields, i), errors, &valid);

  /* Errors of fields the form does not show still make the record invalid. */
  g_hash_table_iter_init (&iter, errors);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (!error_is_in_form (self, key))
      valid = FALSE;

  if (valid == self->valid)
    return;
  self->valid = valid;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VALID]);
}

static void
pd_record_form_constructed (GObject *object)
{
  PdRecordForm *self = PD_RECORD_FORM (object);

  G_OBJECT_CLASS (pd_record_form_parent_class)->constructed (object);
  g_return_if_fail (self->store != NULL && self->record != NULL);
  pd_record_form_build (self);
}

static void
pd_record_form_dispose (GObject *object)
{
  PdRecordForm *self = PD_RECORD_FORM (object);

  g_clear_pointer (&self->box, gtk_widget_unparent);
  G_OBJECT_CLASS (pd_record_form_parent_class)->dispose (object);
}

static void
pd_record_form_finalize (GObject *object)
{
  PdRecordForm *self = PD_RECORD_FORM (object);

  g_clear_pointer (&self->fields, g_ptr_array_unref);
  g_clear_object (&self->record);
  g_clear_object (&self->store);
  G_OBJECT_CLASS (pd_record_form_parent_class)->finalize (object);
}

static void
pd_record_form_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  PdRecordForm *self = PD_RECORD_FORM (object);

  switch (prop_id)
    {
    case PROP_STORE:
      g_value_set_object (value, self->store);
      break;
    case PROP_RECORD:
      g_value_set_object (value, self->record);
      break;
    case PROP_VALID:
      g_value_set_boolean (value, self->valid);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pd_record_form_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  PdRecordForm *self = PD_RECORD_FORM (object);
  PdRecord     *record;

  switch (prop_id)
    {
    case PROP_STORE:
      self->store = g_value_dup_object (value);
      break;
    case PROP_RECORD:
      record = g_value_get_object (value);
      self->record = record ? pd_record_copy (record) : NULL;
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pd_record_form_class_init (PdRecordFormClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = pd_record_form_constructed;
  object_class->dispose = pd_record_form_dispose;
  object_class->finalize = pd_record_form_finalize;
  object_class->get_property = pd_record_form_get_property;
  object_class->set_property = pd_record_form_set_property;

  properties[PROP_STORE]
      = g_param_spec_object ("store", NULL, NULL, PD_TYPE_STORE,
                             G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_RECORD]
      = g_param_spec_object ("record", NULL, NULL, PD_TYPE_RECORD,
                             G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_VALID]
      = g_param_spec_boolean ("valid", NULL, NULL, FALSE,
                              G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "pdrecordform");
}

static void
pd_record_form_init (PdRecordForm *self)
{
  self->fields = g_ptr_array_new_with_free_func ((GDestroyNotify)form_field_free);
  self->box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 24);
  gtk_widget_set_parent (self->box, GTK_WIDGET (self));
}

PdRecordForm *
pd_record_form_new (PdStore *store, PdRecord *record)
{
  g_return_val_if_fail (PD_IS_STORE (store), NULL);
  g_return_val_if_fail (PD_IS_RECORD (record), NULL);

  return g_object_new (PD_TYPE_RECORD_FORM, "store", store, "record", record, NULL);
}

PdRecord *
pd_record_form_get_record (PdRecordForm *self)
{
  g_return_val_if_fail (PD_IS_RECORD_FORM (self), NULL);

  return self->record;
}

gboolean
pd_record_form_get_valid (PdRecordForm *self)
{
  g_return_val_if_fail (PD_IS_RECORD_FORM (self), FALSE);

  return self->valid;
}

void
pd_record_form_set_error (PdRecordForm *self, const char *field, const char *message)
{
  g_return_if_fail (PD_IS_RECORD_FORM (self));

  for (guint i = 0; i < self->fields->len; i++)
    {
      PdFormField *ff = g_ptr_array_index (self->fields, i);

      if (g_strcmp0 (ff->field->name, field) != 0)
        continue;
      g_free (ff->external_error);
      ff->external_error = g_strdup (message);
    }
  pd_record_form_revalidate (self);
}

void
pd_record_form_show_all_errors (PdRecordForm *self)
{
  g_return_if_fail (PD_IS_RECORD_FORM (self));

  self->show_all_errors = TRUE;
  pd_record_form_revalidate (self);
}

GtkWidget *
pd_record_form_get_first_error_widget (PdRecordForm *self)
{
  g_return_val_if_fail (PD_IS_RECORD_FORM (self), NULL);

  for (guint i = 0; i < self->fields->len; i++)
    {
      PdFormField *ff = g_ptr_array_index (self->fields, i);

      if (gtk_widget_get_visible (ff->error_row))
        return ff->editor;
    }
  return NULL;
}

void
pd_record_form_focus_first (PdRecordForm *self)
{
  g_return_if_fail (PD_IS_RECORD_FORM (self));

  for (guint i = 0; i < self->fields->len; i++)
    {
      PdFormField *ff = g_ptr_array_index (self->fields, i);

      if (ADW_IS_ENTRY_ROW (ff->editor) && gtk_widget_get_visible (ff->row))
        {
          gtk_widget_grab_focus (ff->editor);
          return;
        }
    }
}
