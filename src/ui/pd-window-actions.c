/* pd-window-actions.c: the window's actions: add, edit, delete with undo, search, sample data,
 * resend invitation, conflicts. */
#include "config.h"

#include <glib/gi18n.h>

#include "pd-window-private.h"
#include "pd-record-editor.h"

void
_pd_window_update_actions (PdWindow *self)
{
  GtkWidget  *widget = GTK_WIDGET (self);
  gboolean    has_store = self->store != NULL;
  PdRecord   *partner = has_store ? pd_window_get_partner (self) : NULL;
  gboolean    selected = partner != NULL;
  gboolean    may_edit = has_store && _pd_window_may (self, "edit_partners");
  const char *rep_email = partner ? pd_record_get_string (partner, "rep_email") : NULL;

  gtk_widget_action_set_enabled (widget, "win.add-partner", may_edit);
  gtk_widget_action_set_enabled (widget, "win.edit-partner", selected && may_edit);
  gtk_widget_action_set_enabled (widget, "win.delete-partner", selected && may_edit);
  gtk_widget_action_set_enabled (widget, "win.resend-invitation",
                                 selected && may_edit && rep_email != NULL && *rep_email != '\0'
                                     && !pd_store_is_read_only (self->store));
  gtk_widget_action_set_enabled (widget, "win.show-conflicts", self->sync != NULL);
  gtk_widget_action_set_enabled (widget, "win.search", has_store);
  gtk_widget_action_set_enabled (widget, "win.clear-filters", has_store);
  gtk_widget_action_set_enabled (widget, "win.load-sample-data",
                                 has_store && !self->loading_sample);
}

/* Add and edit */

static void
on_editor_saved (PdRecordEditor *editor, PdRecord *saved, PdWindow *self)
{
  pd_window_select_partner (self, pd_record_get_id (saved));
}

static void
open_editor (PdWindow *self, PdRecord *record)
{
  PdRecordEditor *editor = pd_record_editor_new (GTK_WINDOW (self), self->store, record);

  g_signal_connect_object (editor, "saved", G_CALLBACK (on_editor_saved), self, 0);
  gtk_window_present (GTK_WINDOW (editor));
}

static void
add_partner (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  PdWindow *self = PD_WINDOW (widget);
  g_autoptr (PdRecord) partner = pd_record_new (&pd_partner_type);

  pd_record_set_string (partner, "owner_id", pd_store_get_local_user_id (self->store));
  open_editor (self, partner);
}

static void
edit_partner (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  PdWindow *self = PD_WINDOW (widget);
  PdRecord *partner = pd_window_get_partner (self);

  if (partner != NULL)
    open_editor (self, partner);
}

/* Delete, with undo */

static void
on_undo_delete (AdwToast *toast, PdWindow *self)
{
  const char *id = g_object_get_data (G_OBJECT (toast), "partner-id");
  g_autoptr (GError) error = NULL;

  if (!pd_store_restore (self->store, &pd_partner_type, id, &error))
    {
      _pd_window_toast (self, error->message);
      return;
    }
  pd_window_select_partner (self, id);
}

static void
delete_confirmed (PdWindow *self, const char *id, const char *name)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *escaped = g_markup_escape_text (name, -1);
  g_autofree char *title = NULL;
  AdwToast        *toast;

  if (!pd_store_delete (self->store, &pd_partner_type, id, &error))
    {
      _pd_window_toast (self, error->message);
      return;
    }
  /* Translators: a toast after deleting a partner; %s is its name. */
  title = g_strdup_printf (_ ("“%s” deleted"), escaped);
  toast = adw_toast_new (title); /* a toast title is Pango markup in libadwaita 1.2 */
  adw_toast_set_button_label (toast, _ ("_Undo"));
  g_object_set_data_full (G_OBJECT (toast), "partner-id", g_strdup (id), g_free);
  g_signal_connect_object (toast, "button-clicked", G_CALLBACK (on_undo_delete), self, 0);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

static void
on_delete_response (AdwMessageDialog *dialog, const char *response, PdWindow *self)
{
  if (g_strcmp0 (response, "delete") != 0)
    return;
  delete_confirmed (self, g_object_get_data (G_OBJECT (dialog), "partner-id"),
                    g_object_get_data (G_OBJECT (dialog), "partner-name"));
}

static void
delete_partner (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  PdWindow        *self = PD_WINDOW (widget);
  PdRecord        *partner = pd_window_get_partner (self);
  g_autofree char *heading = NULL;
  GtkWidget       *dialog;

  if (partner == NULL)
    return;
  /* Translators: %s is the name of a partner. */
  heading = g_strdup_printf (_ ("Delete “%s”?"), pd_record_get_title (partner));
  dialog
      = adw_message_dialog_new (GTK_WINDOW (self), heading,
                                _ ("The partner leaves the list. You can undo this right after."));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _ ("_Cancel"), "delete",
                                    _ ("_Delete"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "delete",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "partner-id", g_strdup (pd_record_get_id (partner)),
                          g_free);
  g_object_set_data_full (G_OBJECT (dialog), "partner-name",
                          g_strdup (pd_record_get_title (partner)), g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_delete_response), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* Search and filters */

static void
search (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  _pd_window_show_search (PD_WINDOW (widget));
}

static void
clear_filters (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  _pd_window_clear_filters (PD_WINDOW (widget));
}

/* Sample data: 4–7 ms for the partners of issue 2, but the sample practice
 * grows with every issue (people, cases, bookings), so a worker thread writes
 * it over its own connection and the list is reloaded on the main thread. */
static void
load_sample_thread (GTask *task, gpointer source_object, gpointer task_data,
                    GCancellable *cancellable)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (PdStore) store = pd_store_open (task_data, &error);

  if (store == NULL || !pd_sample_data_load (store, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_boolean (task, TRUE);
}

static void
load_sample_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  PdWindow *self = PD_WINDOW (source);
  g_autoptr (GError) error = NULL;
  g_autofree char *message = NULL;
  guint            n;

  self->loading_sample = FALSE;
  /* The window may have been closed meanwhile. */
  if (self->store == NULL)
    return;
  _pd_window_update_actions (self);
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      _pd_window_toast (self, error->message);
      return;
    }
  _pd_window_reload (self);
  /* Written over another connection: tell the views that read these. */
  pd_store_notify_collection_changed (self->store, "examination", NULL);
  pd_store_notify_collection_changed (self->store, "activation", NULL);
  pd_store_notify_collection_changed (self->store, "booking", NULL);
  pd_store_notify_collection_changed (self->store, "benefit", NULL);
  n = g_list_model_get_n_items (G_LIST_MODEL (self->partners));
  message = g_strdup_printf (
      ngettext ("Sample data loaded: %u partner", "Sample data loaded: %u partners", n), n);
  _pd_window_toast (self, message);
}

static void
load_sample_data (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  PdWindow *self = PD_WINDOW (widget);
  g_autoptr (GTask) task = NULL;

  if (self->store == NULL || self->loading_sample)
    return;
  self->loading_sample = TRUE;
  _pd_window_update_actions (self);
  task = g_task_new (self, NULL, load_sample_done, NULL);
  g_task_set_source_tag (task, load_sample_data);
  g_task_set_task_data (task, g_strdup (pd_store_get_path (self->store)), g_free);
  g_task_run_in_thread (task, load_sample_thread);
}

/* Invitations and conflicts */

/* The server emails the representative again when it receives the new request time. */
static void
resend_invitation (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  PdWindow *self = PD_WINDOW (widget);
  PdRecord *selected = pd_window_get_partner (self);
  g_autoptr (PdRecord) partner = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *now = pd_timestamp_now ();
  gboolean         signed_in;

  if (selected == NULL)
    return;
  partner = pd_record_copy (selected);
  pd_record_set_string (partner, "invitation_requested_at", now);
  if (!pd_store_save (self->store, partner, &error))
    {
      _pd_window_toast (self, error->message);
      return;
    }
  signed_in = self->sync != NULL && pd_sync_get_state (self->sync) != PD_SYNC_STATE_LOCAL_ONLY;
  _pd_window_toast (self, signed_in ? _ ("Invitation will be sent when synced")
                                    : _ ("Invitation queued: it is sent once you sign in"));
}

static void
show_conflicts (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  _pd_window_show_conflicts (PD_WINDOW (widget));
}

void
_pd_window_class_init_actions (GtkWidgetClass *widget_class)
{
  gtk_widget_class_install_action (widget_class, "win.add-partner", NULL, add_partner);
  gtk_widget_class_install_action (widget_class, "win.edit-partner", NULL, edit_partner);
  gtk_widget_class_install_action (widget_class, "win.delete-partner", NULL, delete_partner);
  gtk_widget_class_install_action (widget_class, "win.search", NULL, search);
  gtk_widget_class_install_action (widget_class, "win.clear-filters", NULL, clear_filters);
  gtk_widget_class_install_action (widget_class, "win.load-sample-data", NULL, load_sample_data);
  gtk_widget_class_install_action (widget_class, "win.resend-invitation", NULL, resend_invitation);
  gtk_widget_class_install_action (widget_class, "win.show-conflicts", NULL, show_conflicts);
}
