/* pd-partner-sidebar.c: every field of a partner, grouped as its description groups them. */
#include "config.h"

#include <glib/gi18n.h>

#include "pd-partner-sidebar.h"

struct _PdPartnerSidebar
{
  GtkWidget parent_instance;

  /* Template Widgets */
  GtkWidget         *pages;
  GtkWidget         *empty_page;
  GtkWidget         *partner_page;
  GtkLabel          *name_label;
  GtkLabel          *summary_label;
  GtkWidget         *edit_button;
  GtkScrolledWindow *scrolled_window;
  GtkBox            *groups_box;

  /* Owned References */
  PdStore  *store;
  PdRecord *partner;
};

G_DEFINE_FINAL_TYPE (PdPartnerSidebar, pd_partner_sidebar, GTK_TYPE_WIDGET)

static void pd_partner_sidebar_rebuild (PdPartnerSidebar *self);

static char *
ref_title (PdStore *store, const PdRecordType *type, const char *id)
{
  g_autoptr (PdRecord) record = NULL;

  if (id == NULL || *id == '\0')
    return NULL;
  if (store != NULL)
    record = pd_store_get (store, type, id, NULL);
  if (record == NULL)
    return g_strdup (_ ("Unknown"));
  if (pd_record_get_deleted (record))
    /* Translators: a record that was deleted but is still named somewhere */
    return g_strdup_printf (_ ("%s (deleted)"), pd_record_get_title (record));
  return g_strdup (pd_record_get_title (record));
}

static char *
ref_list_titles (PdStore *store, PdRecord *record, const PdField *field)
{
  const char *const *ids = pd_record_get_strv (record, field->name);
  GString           *text;

  if (ids[0] == NULL)
    return NULL;
  text = g_string_new (NULL);
  for (guint i = 0; ids[i] != NULL; i++)
    {
      g_autofree char *title = ref_title (store, field->ref_type, ids[i]);

      if (i > 0)
        g_string_append (text, "\n");
      g_string_append (text, title);
    }
  return g_string_free (text, FALSE);
}

/* The display text of a field, or NULL when it is not set. */
static char *
format_value (PdPartnerSidebar *self, PdRecord *record, const PdField *field)
{
  switch (field->type)
    {
    case PD_FIELD_REF:
      return ref_title (self->store, field->ref_type, pd_record_get_string (record, field->name));
    case PD_FIELD_REF_LIST:
      return ref_list_titles (self->store, record, field);
    case PD_FIELD_TIMESTAMP:
      return pd_timestamp_format_local (pd_record_get_string (record, field->name));
    default:
      if (!pd_record_is_set (record, field->name) && field->type != PD_FIELD_BOOL)
        return NULL;
      return pd_record_format (record, field->name);
    }
}

static GtkWidget *
detail_row_new (const char *title, const char *value)
{
  GtkWidget *row = adw_preferences_row_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *title_label = gtk_label_new (title);
  GtkWidget *value_label = gtk_label_new (value ? value : _ ("Not set"));

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), FALSE);
  gtk_widget_set_margin_start (box, 12);
  gtk_widget_set_margin_end (box, 12);
  gtk_widget_set_margin_top (box, 8);
  gtk_widget_set_margin_bottom (box, 8);

  gtk_label_set_xalign (GTK_LABEL (title_label), 0);
  gtk_label_set_wrap (GTK_LABEL (title_label), TRUE);
  gtk_widget_add_css_class (title_label, "caption");
  gtk_widget_add_css_class (title_label, "dim-label");

  gtk_label_set_xalign (GTK_LABEL (value_label), 0);
  gtk_label_set_wrap (GTK_LABEL (value_label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (value_label), PANGO_WRAP_WORD_CHAR);
  if (value != NULL)
    gtk_label_set_selectable (GTK_LABEL (value_label), TRUE);
  else
    gtk_widget_add_css_class (value_label, "dim-label");
  gtk_accessible_update_relation (GTK_ACCESSIBLE (value_label), GTK_ACCESSIBLE_RELATION_LABELLED_BY,
                                  title_label, NULL, -1);

  gtk_box_append (GTK_BOX (box), title_label);
  gtk_box_append (GTK_BOX (box), value_label);
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);
  return row;
}

static AdwPreferencesGroup *
ensure_group (PdPartnerSidebar *self, GHashTable *groups, const char *name)
{
  const char          *key = name ? name : "";
  AdwPreferencesGroup *group = g_hash_table_lookup (groups, key);

  if (group != NULL)
    return group;
  group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  if (name != NULL)
    adw_preferences_group_set_title (group, _ (name));
  gtk_box_append (self->groups_box, GTK_WIDGET (group));
  g_hash_table_insert (groups, (gpointer)key, group);
  return group;
}

/* "Resend Invitation" beside the representative: the server emails the link again once the
 * new request time reaches it (the window's win.resend-invitation saves it). */
static void
add_invitation_row (PdPartnerSidebar *self, GHashTable *groups)
{
  const char      *email = pd_record_get_string (self->partner, "rep_email");
  const char      *requested = pd_record_get_string (self->partner, "invitation_requested_at");
  g_autofree char *when = requested ? pd_timestamp_format_local (requested) : NULL;
  g_autofree char *subtitle = NULL;
  g_autofree char *label = NULL;
  GtkWidget       *row, *button;

  if (email == NULL || *email == '\0')
    return;
  /* Translators: %s is a date and time */
  subtitle = when ? g_strdup_printf (_ ("Last requested %s"), when)
                  : g_strdup (_ ("The representative accepts by email"));
  /* Translators: accessible name of a button; %s is an email address */
  label = g_strdup_printf (_ ("Resend invitation to %s"), email);
  row = adw_action_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _ ("Invitation"));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  button = gtk_button_new_with_mnemonic (_ ("_Resend"));
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), "win.resend-invitation");
  gtk_widget_set_tooltip_text (button, label);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, label,
                                  -1);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);
  adw_preferences_group_add (ensure_group (self, groups, "Representative"), row);
}

static void
add_record_group (PdPartnerSidebar *self)
{
  AdwPreferencesGroup *group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  g_autofree char *created = pd_timestamp_format_local (pd_record_get_created_at (self->partner));
  g_autofree char *updated = pd_timestamp_format_local (pd_record_get_updated_at (self->partner));
  g_autofree char *updated_by
      = ref_title (self->store, &pd_practice_user_type, pd_record_get_updated_by (self->partner));

  adw_preferences_group_set_title (group, _ ("Record"));
  adw_preferences_group_add (group, detail_row_new (_ ("Created"), created));
  adw_preferences_group_add (group, detail_row_new (_ ("Last changed"), updated));
  adw_preferences_group_add (group, detail_row_new (_ ("Last changed by"), updated_by));
  gtk_box_append (self->groups_box, GTK_WIDGET (group));
}

static void
clear_groups (PdPartnerSidebar *self)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->groups_box))) != NULL)
    gtk_box_remove (self->groups_box, child);
}

static void
update_header (PdPartnerSidebar *self)
{
  g_autofree char *kind = NULL;
  g_autofree char *status = NULL;
  g_autofree char *summary = NULL;

  if (pd_record_type_get_field (pd_record_get_record_type (self->partner), "kind") != NULL)
    kind = pd_record_format (self->partner, "kind");
  if (pd_record_type_get_field (pd_record_get_record_type (self->partner), "status") != NULL)
    status = pd_record_format (self->partner, "status");

  if (kind != NULL && status != NULL)
    /* Translators: partner kind · partner status, e.g. "Employer · Active" */
    summary = g_strdup_printf (_ ("%s · %s"), kind, status);
  else
    summary = g_strdup (kind ? kind : status ? status : "");

  gtk_label_set_text (self->name_label, pd_record_get_title (self->partner));
  gtk_label_set_text (self->summary_label, summary);
}

static void
pd_partner_sidebar_rebuild (PdPartnerSidebar *self)
{
  const PdRecordType *type;
  g_autoptr (GHashTable) groups = NULL;

  clear_groups (self);
  gtk_widget_set_visible (self->empty_page, self->partner == NULL);
  gtk_widget_set_visible (self->partner_page, self->partner != NULL);
  if (self->partner == NULL)
    return;

  type = pd_record_get_record_type (self->partner);
  groups = g_hash_table_new (g_str_hash, g_str_equal);
  update_header (self);
  for (guint i = 0; i < type->n_fields; i++)
    {
      const PdField   *field = &type->fields[i];
      g_autofree char *value = NULL;

      if ((field->flags & PD_FIELD_FLAG_HIDDEN) || !pd_record_field_applies (self->partner, field))
        continue;
      value = format_value (self, self->partner, field);
      adw_preferences_group_add (ensure_group (self, groups, field->group),
                                 detail_row_new (_ (field->label), value));
    }
  if (type == &pd_partner_type)
    add_invitation_row (self, groups);
  add_record_group (self);
}

/* Is COLLECTION one whose titles the sidebar shows (owner, institutions)? */
static gboolean
is_referenced_collection (PdPartnerSidebar *self, const char *collection)
{
  const PdRecordType *type = pd_record_get_record_type (self->partner);

  if (g_strcmp0 (collection, pd_practice_user_type.name) == 0)
    return TRUE;
  for (guint i = 0; i < type->n_fields; i++)
    {
      const PdField *field = &type->fields[i];

      if ((field->type == PD_FIELD_REF || field->type == PD_FIELD_REF_LIST)
          && field->ref_type != NULL && g_strcmp0 (field->ref_type->name, collection) == 0)
        return TRUE;
    }
  return FALSE;
}

static void
on_record_changed (PdStore *store, const char *collection, const char *id, PdPartnerSidebar *self)
{
  const PdRecordType *type;
  PdRecord           *fresh;

  if (self->partner == NULL)
    return;
  type = pd_record_get_record_type (self->partner);
  if (g_strcmp0 (collection, type->name) == 0)
    {
      if (g_strcmp0 (id, pd_record_get_id (self->partner)) != 0)
        return;
      fresh = pd_store_get (store, type, id, NULL);
      if (fresh == NULL)
        return;
      g_set_object (&self->partner, fresh);
      g_object_unref (fresh);
      pd_partner_sidebar_rebuild (self);
      return;
    }
  if (is_referenced_collection (self, collection))
    pd_partner_sidebar_rebuild (self);
}

static void
pd_partner_sidebar_dispose (GObject *object)
{
  PdPartnerSidebar *self = PD_PARTNER_SIDEBAR (object);
  GtkWidget        *child;

  gtk_widget_dispose_template (GTK_WIDGET (self), PD_TYPE_PARTNER_SIDEBAR);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  if (self->store != NULL)
    g_signal_handlers_disconnect_by_data (self->store, self);
  g_clear_object (&self->store);
  g_clear_object (&self->partner);
  G_OBJECT_CLASS (pd_partner_sidebar_parent_class)->dispose (object);
}

static void
pd_partner_sidebar_class_init (PdPartnerSidebarClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = pd_partner_sidebar_dispose;

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "pdpartnersidebar");
  gtk_widget_class_set_template_from_resource (
      widget_class, "/io/github/partnerdesk/PartnerDesk/ui/pd-partner-sidebar.ui");
  gtk_widget_class_bind_template_child (widget_class, PdPartnerSidebar, pages);
  gtk_widget_class_bind_template_child (widget_class, PdPartnerSidebar, empty_page);
  gtk_widget_class_bind_template_child (widget_class, PdPartnerSidebar, partner_page);
  gtk_widget_class_bind_template_child (widget_class, PdPartnerSidebar, name_label);
  gtk_widget_class_bind_template_child (widget_class, PdPartnerSidebar, summary_label);
  gtk_widget_class_bind_template_child (widget_class, PdPartnerSidebar, edit_button);
  gtk_widget_class_bind_template_child (widget_class, PdPartnerSidebar, scrolled_window);
  gtk_widget_class_bind_template_child (widget_class, PdPartnerSidebar, groups_box);
}

static void
pd_partner_sidebar_init (PdPartnerSidebar *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

PdPartnerSidebar *
pd_partner_sidebar_new (void)
{
  return g_object_new (PD_TYPE_PARTNER_SIDEBAR, NULL);
}

void
pd_partner_sidebar_set_store (PdPartnerSidebar *self, PdStore *store)
{
  g_return_if_fail (PD_IS_PARTNER_SIDEBAR (self));
  g_return_if_fail (store == NULL || PD_IS_STORE (store));

  if (self->store == store)
    return;
  if (self->store != NULL)
    g_signal_handlers_disconnect_by_data (self->store, self);
  g_set_object (&self->store, store);
  if (store != NULL)
    g_signal_connect (store, "record-changed", G_CALLBACK (on_record_changed), self);
  pd_partner_sidebar_rebuild (self);
}

void
pd_partner_sidebar_set_partner (PdPartnerSidebar *self, PdRecord *partner)
{
  gboolean same;

  g_return_if_fail (PD_IS_PARTNER_SIDEBAR (self));
  g_return_if_fail (partner == NULL || PD_IS_RECORD (partner));

  same = partner != NULL && self->partner != NULL
         && g_strcmp0 (pd_record_get_id (partner), pd_record_get_id (self->partner)) == 0;
  /* Keep a snapshot: the caller may go on editing its own object. */
  g_clear_object (&self->partner);
  if (partner != NULL)
    self->partner = pd_record_copy (partner);
  pd_partner_sidebar_rebuild (self);
  if (!same)
    gtk_adjustment_set_value (gtk_scrolled_window_get_vadjustment (self->scrolled_window), 0);
}

/* The pencil, for tests and for focus handling by the window. */
GtkWidget *
pd_partner_sidebar_get_edit_button (PdPartnerSidebar *self)
{
  g_return_val_if_fail (PD_IS_PARTNER_SIDEBAR (self), NULL);

  return self->edit_button;
}
