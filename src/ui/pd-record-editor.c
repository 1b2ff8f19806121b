/* pd-record-editor.c: the modal add/edit dialog around a PdRecordForm. */
#include "config.h"

#include <glib/gi18n.h>

#include "pd-record-editor.h"

struct _PdRecordEditor
{
  AdwWindow parent_instance;

  /* Template Widgets */
  AdwWindowTitle *window_title;
  GtkWidget      *cancel_button;
  GtkWidget      *save_button;
  GtkRevealer    *error_revealer;
  GtkLabel       *error_label;
  AdwClamp       *clamp;

  /* Owned References */
  PdStore *store;

  /* Borrowed References */
  PdRecordForm *form;
};

G_DEFINE_FINAL_TYPE (PdRecordEditor, pd_record_editor, ADW_TYPE_WINDOW)

enum
{
  SAVED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

typedef struct
{
  const char *type;
  const char *add;
  const char *edit;
} EditorTitle;

static const EditorTitle titles[] = {
  { "partner", N_ ("Add Partner"), N_ ("Edit Partner") },
  { "partner_user", N_ ("Add Partner User"), N_ ("Edit Partner User") },
  { "institution", N_ ("Add Institution"), N_ ("Edit Institution") },
  { "practice_user", N_ ("Add Practice User"), N_ ("Edit Practice User") },
};

static char *
editor_title (PdRecord *record)
{
  const PdRecordType *type = pd_record_get_record_type (record);
  gboolean            is_new = pd_record_get_version (record) == 0;

  for (guint i = 0; i < G_N_ELEMENTS (titles); i++)
    if (g_strcmp0 (titles[i].type, type->name) == 0)
      return g_strdup (is_new ? _ (titles[i].add) : _ (titles[i].edit));

  /* Translators: %s is a record type, e.g. "Examination" */
  return g_strdup_printf (is_new ? _ ("Add %s") : _ ("Edit %s"), _ (type->label));
}

static void
show_store_error (PdRecordEditor *self, const char *message)
{
  gtk_label_set_text (self->error_label, message ? message : "");
  gtk_revealer_set_reveal_child (self->error_revealer, message != NULL);
}

static void
focus_first_error (PdRecordEditor *self)
{
  GtkWidget *widget = pd_record_form_get_first_error_widget (self->form);

  if (widget != NULL)
    gtk_widget_grab_focus (widget);
}

static void
pd_record_editor_try_save (PdRecordEditor *self)
{
  PdRecord *record = pd_record_form_get_record (self->form);
  g_autoptr (GError) error = NULL;

  pd_record_form_show_all_errors (self->form);
  if (!pd_record_form_get_valid (self->form))
    {
      focus_first_error (self);
      return;
    }

  if (!pd_store_save (self->store, record, &error))
    {
      /* The dialog stays open with everything typed; the form re-checks. */
      show_store_error (self, error->message);
      pd_record_form_show_all_errors (self->form);
      focus_first_error (self);
      return;
    }

  show_store_error (self, NULL);
  g_signal_emit (self, signals[SAVED], 0, record);
  gtk_window_destroy (GTK_WINDOW (self));
}

static void
on_save_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  pd_record_editor_try_save (PD_RECORD_EDITOR (widget));
}

static void
on_cancel_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  gtk_window_close (GTK_WINDOW (widget));
}

/* Ctrl+S and Ctrl+Return also save from inside entries, and when the form
 * is still invalid they reveal every error instead of doing nothing. */
static gboolean
on_save_shortcut (GtkWidget *widget, GVariant *args, gpointer user_data)
{
  pd_record_editor_try_save (PD_RECORD_EDITOR (widget));
  return TRUE;
}

static void
on_form_valid (PdRecordForm *form, GParamSpec *pspec, PdRecordEditor *self)
{
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "editor.save", pd_record_form_get_valid (form));
}

static void
add_save_shortcuts (PdRecordEditor *self)
{
  GtkEventController *controller = gtk_shortcut_controller_new ();
  const guint         keys[] = { GDK_KEY_s, GDK_KEY_Return, GDK_KEY_KP_Enter };

  gtk_event_controller_set_propagation_phase (controller, GTK_PHASE_CAPTURE);
  gtk_shortcut_controller_set_scope (GTK_SHORTCUT_CONTROLLER (controller),
                                     GTK_SHORTCUT_SCOPE_LOCAL);
  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    gtk_shortcut_controller_add_shortcut (
        GTK_SHORTCUT_CONTROLLER (controller),
        gtk_shortcut_new (gtk_keyval_trigger_new (keys[i], GDK_CONTROL_MASK),
                          gtk_callback_action_new (on_save_shortcut, NULL, NULL)));
  gtk_widget_add_controller (GTK_WIDGET (self), controller);
}

static void
pd_record_editor_dispose (GObject *object)
{
  PdRecordEditor *self = PD_RECORD_EDITOR (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), PD_TYPE_RECORD_EDITOR);
  g_clear_object (&self->store);
  G_OBJECT_CLASS (pd_record_editor_parent_class)->dispose (object);
}

static void
pd_record_editor_class_init (PdRecordEditorClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = pd_record_editor_dispose;

  /**
   * PdRecordEditor::saved:
   * @record: the saved PdRecord
   */
  signals[SAVED] = g_signal_new ("saved", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                 NULL, NULL, G_TYPE_NONE, 1, G_TYPE_OBJECT);

  gtk_widget_class_set_template_from_resource (
      widget_class, "/io/github/partnerdesk/PartnerDesk/ui/pd-record-editor.ui");
  gtk_widget_class_bind_template_child (widget_class, PdRecordEditor, window_title);
  gtk_widget_class_bind_template_child (widget_class, PdRecordEditor, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, PdRecordEditor, save_button);
  gtk_widget_class_bind_template_child (widget_class, PdRecordEditor, error_revealer);
  gtk_widget_class_bind_template_child (widget_class, PdRecordEditor, error_label);
  gtk_widget_class_bind_template_child (widget_class, PdRecordEditor, clamp);

  gtk_widget_class_install_action (widget_class, "editor.save", NULL, on_save_action);
  gtk_widget_class_install_action (widget_class, "editor.cancel", NULL, on_cancel_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "editor.cancel", NULL);
}

static void
pd_record_editor_init (PdRecordEditor *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  add_save_shortcuts (self);
}

/* Small records get a small dialog; a partner gets the full height. */
static void
set_default_size (PdRecordEditor *self, PdRecord *record)
{
  const PdRecordType *type = pd_record_get_record_type (record);
  int                 rows = 0;

  for (guint i = 0; i < type->n_fields; i++)
    {
      const PdField *field = &type->fields[i];

      if (field->flags & (PD_FIELD_FLAG_HIDDEN | PD_FIELD_FLAG_READ_ONLY))
        continue;
      rows += (field->flags & PD_FIELD_FLAG_MULTILINE) ? 3 : 1;
    }
  gtk_window_set_default_size (GTK_WINDOW (self), 560, CLAMP (180 + rows * 56, 360, 720));
}

PdRecordEditor *
pd_record_editor_new (GtkWindow *parent, PdStore *store, PdRecord *record)
{
  PdRecordEditor  *self;
  g_autofree char *title = NULL;

  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (PD_IS_STORE (store), NULL);
  g_return_val_if_fail (PD_IS_RECORD (record), NULL);

  self = g_object_new (PD_TYPE_RECORD_EDITOR, "transient-for", parent, NULL);
  self->store = g_object_ref (store);

  set_default_size (self, record);
  title = editor_title (record);
  gtk_window_set_title (GTK_WINDOW (self), title);
  adw_window_title_set_title (self->window_title, title);

  self->form = pd_record_form_new (store, record);
  adw_clamp_set_child (self->clamp, GTK_WIDGET (self->form));
  g_signal_connect_object (self->form, "notify::valid", G_CALLBACK (on_form_valid), self, 0);
  on_form_valid (self->form, NULL, self);
  pd_record_form_focus_first (self->form);

  return self;
}

PdRecordForm *
pd_record_editor_get_form (PdRecordEditor *self)
{
  g_return_val_if_fail (PD_IS_RECORD_EDITOR (self), NULL);

  return self->form;
}
