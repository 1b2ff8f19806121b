/* pd-sync-button.c: the header bar's sync status: local only, synced, syncing, offline, conflicts.
 */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "pd-sync-button.h"

struct _PdSyncButton
{
  GtkWidget parent_instance;

  /* Template Widgets */
  GtkButton  *button;
  GtkImage   *icon;
  GtkSpinner *spinner;
  GtkLabel   *label;

  /* Owned References */
  PdSync *sync;
};

G_DEFINE_FINAL_TYPE (PdSyncButton, pd_sync_button, GTK_TYPE_WIDGET)

static const char *
state_icon (PdSyncState state, guint n_conflicts)
{
  if (n_conflicts > 0)
    return "dialog-warning-symbolic";
  switch (state)
    {
    case PD_SYNC_STATE_SYNCED:
      return "emblem-ok-symbolic";
    case PD_SYNC_STATE_SYNCING:
      return "emblem-synchronizing-symbolic";
    case PD_SYNC_STATE_OFFLINE:
      return "network-offline-symbolic";
    case PD_SYNC_STATE_ERROR:
      return "dialog-password-symbolic";
    case PD_SYNC_STATE_LOCAL_ONLY:
    default:
      return "computer-symbolic";
    }
}

/* The tooltip says what a click does, and why the last round failed. */
static char *
tooltip_text (PdSync *sync, const char *text)
{
  const char *error = pd_sync_get_last_error (sync);
  const char *action = pd_sync_get_n_conflicts (sync) > 0 ? _ ("Click to resolve the conflicts")
                       : pd_sync_get_state (sync) == PD_SYNC_STATE_LOCAL_ONLY
                           ? _ ("Click to sign in to a server")
                           : _ ("Click for the account and Sync Now");

  if (error != NULL && *error != '\0')
    return g_strdup_printf ("%s\n%s\n%s", text, error, action);
  return g_strdup_printf ("%s\n%s", text, action);
}

static void
update (PdSyncButton *self)
{
  g_autofree char *tooltip = NULL;
  const char      *text;
  PdSyncState      state;
  gboolean         syncing;

  gtk_widget_set_visible (GTK_WIDGET (self), self->sync != NULL);
  if (self->sync == NULL)
    return;
  text = pd_sync_get_status_text (self->sync);
  state = pd_sync_get_state (self->sync);
  syncing = state == PD_SYNC_STATE_SYNCING && pd_sync_get_n_conflicts (self->sync) == 0;
  tooltip = tooltip_text (self->sync, text ? text : "");

  gtk_label_set_text (self->label, text ? text : "");
  gtk_image_set_from_icon_name (self->icon,
                                state_icon (state, pd_sync_get_n_conflicts (self->sync)));
  gtk_widget_set_visible (GTK_WIDGET (self->icon), !syncing);
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), syncing);
  gtk_spinner_set_spinning (self->spinner, syncing);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->button), tooltip);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  text, GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, tooltip, -1);
  if (pd_sync_get_n_conflicts (self->sync) > 0 || state == PD_SYNC_STATE_ERROR)
    gtk_widget_add_css_class (GTK_WIDGET (self->button), "warning");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->button), "warning");
}

static void
on_clicked (PdSyncButton *self)
{
  if (self->sync != NULL && pd_sync_get_n_conflicts (self->sync) > 0)
    gtk_widget_activate_action (GTK_WIDGET (self), "win.show-conflicts", NULL);
  else
    gtk_widget_activate_action (GTK_WIDGET (self), "app.show-account", NULL);
}

static void
pd_sync_button_dispose (GObject *object)
{
  PdSyncButton *self = PD_SYNC_BUTTON (object);

  if (self->sync != NULL)
    g_signal_handlers_disconnect_by_data (self->sync, self);
  g_clear_object (&self->sync);
  gtk_widget_dispose_template (GTK_WIDGET (self), PD_TYPE_SYNC_BUTTON);
  G_OBJECT_CLASS (pd_sync_button_parent_class)->dispose (object);
}

static void
pd_sync_button_class_init (PdSyncButtonClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = pd_sync_button_dispose;

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "pdsyncbutton");
  gtk_widget_class_set_template_from_resource (
      widget_class, "/io/github/partnerdesk/PartnerDesk/ui/pd-sync-button.ui");
  gtk_widget_class_bind_template_child (widget_class, PdSyncButton, button);
  gtk_widget_class_bind_template_child (widget_class, PdSyncButton, icon);
  gtk_widget_class_bind_template_child (widget_class, PdSyncButton, spinner);
  gtk_widget_class_bind_template_child (widget_class, PdSyncButton, label);
  gtk_widget_class_bind_template_callback (widget_class, on_clicked);
}

static void
pd_sync_button_init (PdSyncButton *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  update (self);
}

PdSyncButton *
pd_sync_button_new (void)
{
  return g_object_new (PD_TYPE_SYNC_BUTTON, NULL);
}

void
pd_sync_button_set_sync (PdSyncButton *self, PdSync *sync)
{
  g_return_if_fail (PD_IS_SYNC_BUTTON (self));
  g_return_if_fail (sync == NULL || PD_IS_SYNC (sync));

  if (self->sync == sync)
    return;
  if (self->sync != NULL)
    g_signal_handlers_disconnect_by_data (self->sync, self);
  g_set_object (&self->sync, sync);
  /* Every property of the status feeds the button: state, text, conflicts, last error. */
  if (sync != NULL)
    {
      g_signal_connect_swapped (sync, "notify", G_CALLBACK (update), self);
      g_signal_connect_swapped (sync, "conflicts-changed", G_CALLBACK (update), self);
    }
  update (self);
}

const char *
pd_sync_button_get_text (PdSyncButton *self)
{
  g_return_val_if_fail (PD_IS_SYNC_BUTTON (self), NULL);

  return gtk_label_get_text (self->label);
}
