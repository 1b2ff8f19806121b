/* pd-conflicts-dialog.c: the fields changed both here and on the server: keep mine or theirs. */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "pd-conflicts-dialog.h"

struct _PdConflictsDialog
{
  AdwWindow parent_instance;

  /* Template Widgets */
  AdwToastOverlay     *toast_overlay;
  AdwWindowTitle      *window_title;
  GtkStack            *stack;
  AdwPreferencesPage  *page;
  AdwPreferencesGroup *intro_group;

  /* Owned References */
  PdSync    *sync;
  GPtrArray *groups; /* AdwPreferencesGroup, one per record (borrowed from the page) */
  gboolean   resolved_here;
};

G_DEFINE_FINAL_TYPE (PdConflictsDialog, pd_conflicts_dialog, ADW_TYPE_WINDOW)

enum
{
  SIGNAL_ALL_RESOLVED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void reload (PdConflictsDialog *self);

static void
toast (PdConflictsDialog *self, const char *message)
{
  g_autofree char *escaped = g_markup_escape_text (message, -1);

  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (escaped));
}

static void
on_keep_clicked (GtkButton *button, PdConflictsDialog *dialog)
{
  /* The engine's ::conflicts-changed may close the dialog while this runs. */
  g_autoptr (PdConflictsDialog) self = g_object_ref (dialog);
  GObject *object = G_OBJECT (button);
  g_autoptr (GError) error = NULL;

  if (self->sync == NULL)
    return;
  if (!pd_sync_resolve_conflict (self->sync, g_object_get_data (object, "collection"),
                                 g_object_get_data (object, "record-id"),
                                 g_object_get_data (object, "field"),
                                 GPOINTER_TO_INT (g_object_get_data (object, "keep-mine")), &error))
    {
      toast (self, error->message);
      return;
    }
  self->resolved_here = TRUE;
  reload (self);
}

static GtkWidget *
keep_button_new (PdConflictsDialog *self, const PdConflict *conflict, gboolean mine)
{
  GtkWidget *button = gtk_button_new_with_mnemonic (mine ? _ ("Keep _Mine") : _ ("Keep _Theirs"));
  GObject   *object = G_OBJECT (button);
  /* Translators: accessible name of a button; %s is a field ("Representative email") */
  g_autofree char *label = g_strdup_printf (
      mine ? _ ("Keep mine for %s") : _ ("Keep theirs for %s"), conflict->field_label);

  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, label,
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, conflict->record_title, -1);
  gtk_widget_set_tooltip_text (button, label);
  g_object_set_data_full (object, "collection", g_strdup (conflict->collection), g_free);
  g_object_set_data_full (object, "record-id", g_strdup (conflict->record_id), g_free);
  g_object_set_data_full (object, "field", g_strdup (conflict->field), g_free);
  g_object_set_data (object, "keep-mine", GINT_TO_POINTER (mine));
  g_signal_connect (button, "clicked", G_CALLBACK (on_keep_clicked), self);
  return button;
}

static GtkWidget *
conflict_row_new (PdConflictsDialog *self, const PdConflict *conflict, GtkWidget **mine_button)
{
  GtkWidget  *row = adw_action_row_new ();
  GtkWidget  *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 0);
  const char *empty = _ ("(empty)");
  /* Translators: the two values of a field in conflict: this computer's, then the server's */
  g_autofree char *subtitle
      = g_strdup_printf (_ ("Mine: %s\nTheirs: %s"), conflict->mine ? conflict->mine : empty,
                         conflict->theirs ? conflict->theirs : empty);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), conflict->field_label);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 0);
  gtk_widget_add_css_class (box, "linked");
  gtk_widget_set_valign (box, GTK_ALIGN_CENTER);
  *mine_button = keep_button_new (self, conflict, TRUE);
  gtk_box_append (GTK_BOX (box), *mine_button);
  gtk_box_append (GTK_BOX (box), keep_button_new (self, conflict, FALSE));
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), box);
  return row;
}

static AdwPreferencesGroup *
group_new (PdConflictsDialog *self, const PdConflict *conflict)
{
  AdwPreferencesGroup *group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  const PdRecordType  *type = pd_record_type_lookup (conflict->collection);
  g_autofree char     *title
      = g_markup_escape_text (conflict->record_title ? conflict->record_title : "", -1);

  adw_preferences_group_set_title (group, title);
  if (type != NULL)
    adw_preferences_group_set_description (group, _ (type->label));
  adw_preferences_page_add (self->page, group);
  g_ptr_array_add (self->groups, group);
  return group;
}

static void
clear_groups (PdConflictsDialog *self)
{
  for (guint i = 0; i < self->groups->len; i++)
    adw_preferences_page_remove (self->page, g_ptr_array_index (self->groups, i));
  g_ptr_array_set_size (self->groups, 0);
}

static void
show_count (PdConflictsDialog *self, guint n)
{
  g_autofree char *subtitle = NULL;

  if (n > 0)
    subtitle = g_strdup_printf (ngettext ("%u field to resolve", "%u fields to resolve", n), n);
  adw_window_title_set_subtitle (self->window_title, subtitle ? subtitle : "");
  gtk_stack_set_visible_child_name (self->stack, n > 0 ? "list" : "empty");
}

static void
reload (PdConflictsDialog *self)
{
  g_autoptr (GPtrArray) conflicts = NULL;
  g_autoptr (GError) error = NULL;
  AdwPreferencesGroup *group = NULL;
  const PdConflict    *previous = NULL;
  GtkWidget           *first = NULL;

  if (self->sync == NULL || self->groups == NULL)
    return;
  clear_groups (self);
  conflicts = pd_sync_list_conflicts (self->sync, &error);
  if (conflicts == NULL)
    {
      toast (self, error->message);
      return;
    }
  for (guint i = 0; i < conflicts->len; i++)
    {
      const PdConflict *conflict = g_ptr_array_index (conflicts, i);
      GtkWidget        *row, *mine_button;

      if (previous == NULL || g_strcmp0 (previous->collection, conflict->collection) != 0
          || g_strcmp0 (previous->record_id, conflict->record_id) != 0)
        group = group_new (self, conflict);
      row = conflict_row_new (self, conflict, &mine_button);
      adw_preferences_group_add (group, row);
      if (first == NULL)
        first = mine_button;
      previous = conflict;
    }
  show_count (self, conflicts->len);
  /* Focus goes to the first choice left, so the keyboard walks from one conflict to the next. */
  if (first != NULL)
    gtk_widget_grab_focus (first);
  if (conflicts->len == 0 && self->resolved_here)
    {
      self->resolved_here = FALSE;
      g_signal_emit (self, signals[SIGNAL_ALL_RESOLVED], 0);
      gtk_window_close (GTK_WINDOW (self));
    }
}

static void
pd_conflicts_dialog_dispose (GObject *object)
{
  PdConflictsDialog *self = PD_CONFLICTS_DIALOG (object);

  if (self->sync != NULL)
    g_signal_handlers_disconnect_by_data (self->sync, self);
  g_clear_object (&self->sync);
  g_clear_pointer (&self->groups, g_ptr_array_unref);
  gtk_widget_dispose_template (GTK_WIDGET (self), PD_TYPE_CONFLICTS_DIALOG);
  G_OBJECT_CLASS (pd_conflicts_dialog_parent_class)->dispose (object);
}

static void
pd_conflicts_dialog_class_init (PdConflictsDialogClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = pd_conflicts_dialog_dispose;

  signals[SIGNAL_ALL_RESOLVED]
      = g_signal_new ("all-resolved", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                      NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (
      widget_class, "/io/github/partnerdesk/PartnerDesk/ui/pd-conflicts-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, PdConflictsDialog, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, PdConflictsDialog, window_title);
  gtk_widget_class_bind_template_child (widget_class, PdConflictsDialog, stack);
  gtk_widget_class_bind_template_child (widget_class, PdConflictsDialog, page);
  gtk_widget_class_bind_template_child (widget_class, PdConflictsDialog, intro_group);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
pd_conflicts_dialog_init (PdConflictsDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->groups = g_ptr_array_new ();
}

PdConflictsDialog *
pd_conflicts_dialog_new (GtkWindow *parent, PdSync *sync)
{
  PdConflictsDialog *self;

  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (PD_IS_SYNC (sync), NULL);

  self = g_object_new (PD_TYPE_CONFLICTS_DIALOG, "transient-for", parent, NULL);
  self->sync = g_object_ref (sync);
  g_signal_connect_swapped (sync, "conflicts-changed", G_CALLBACK (reload), self);
  reload (self);
  return self;
}
