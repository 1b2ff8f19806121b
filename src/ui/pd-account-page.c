/* pd-account-page.c: Preferences → Account: sign in to a server, the account's status, sign out. */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "pd-account-page.h"

struct _PdAccountPage
{
  AdwPreferencesPage parent_instance;

  /* Template Widgets */
  AdwPreferencesGroup *sign_in_group;
  AdwEntryRow         *server_row;
  AdwEntryRow         *email_row;
  AdwEntryRow         *password_row;
  GtkLabel            *error_label;
  GtkSpinner          *spinner;
  GtkButton           *sign_in_button;
  AdwPreferencesGroup *account_group;
  AdwActionRow        *server_info_row;
  AdwActionRow        *email_info_row;
  AdwActionRow        *status_row;
  AdwActionRow        *last_synced_row;
  GtkButton           *sync_now_button;
  GtkButton           *sign_out_button;

  /* Owned References */
  PdSync       *sync;
  GCancellable *sign_in_cancellable; /* non-NULL while signing in */
  gboolean      syncing_now;
};

G_DEFINE_FINAL_TYPE (PdAccountPage, pd_account_page, ADW_TYPE_PREFERENCES_PAGE)

static void
toast (PdAccountPage *self, const char *message)
{
  GtkRoot         *root = gtk_widget_get_root (GTK_WIDGET (self));
  g_autofree char *escaped = g_markup_escape_text (message, -1);

  if (ADW_IS_PREFERENCES_WINDOW (root))
    adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (root), adw_toast_new (escaped));
}

/* Errors below the fields */

static void
set_row_invalid (AdwEntryRow *row, gboolean invalid)
{
  if (invalid)
    gtk_widget_add_css_class (GTK_WIDGET (row), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (row), "error");
}

static void
show_error (PdAccountPage *self, const char *message)
{
  gtk_label_set_text (self->error_label, message ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), message != NULL);
  /* Screen readers hear the reason with the button that failed. */
  if (message != NULL)
    gtk_accessible_update_property (GTK_ACCESSIBLE (self->sign_in_button),
                                    GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, message, -1);
  else
    gtk_accessible_reset_property (GTK_ACCESSIBLE (self->sign_in_button),
                                   GTK_ACCESSIBLE_PROPERTY_DESCRIPTION);
}

static void
clear_errors (PdAccountPage *self)
{
  set_row_invalid (self->server_row, FALSE);
  set_row_invalid (self->email_row, FALSE);
  set_row_invalid (self->password_row, FALSE);
  show_error (self, NULL);
}

/* "desk.example.com" → "https://desk.example.com"; NULL when it is no http(s) address. */
static char *
normalize_server_url (const char *text)
{
  g_autofree char *stripped = g_strstrip (g_strdup (text));
  g_autofree char *full = NULL;
  g_autoptr (GUri) uri = NULL;
  const char *scheme;

  if (*stripped == '\0')
    return NULL;
  full = strstr (stripped, "://") ? g_strdup (stripped) : g_strconcat ("https://", stripped, NULL);
  uri = g_uri_parse (full, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL || g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0')
    return NULL;
  scheme = g_uri_get_scheme (uri);
  if (g_ascii_strcasecmp (scheme, "http") != 0 && g_ascii_strcasecmp (scheme, "https") != 0)
    return NULL;
  while (g_str_has_suffix (full, "/"))
    full[strlen (full) - 1] = '\0';
  return g_steal_pointer (&full);
}

static gboolean
looks_like_email (const char *text)
{
  const char *at = strchr (text, '@');

  return at != NULL && at != text && at[1] != '\0' && strchr (at + 1, '@') == NULL
         && strchr (text, ' ') == NULL;
}

/* Checks the three fields; marks the wrong ones, says why, and focuses the first. */
static gboolean
validate (PdAccountPage *self, char **server_url)
{
  const char *email = gtk_editable_get_text (GTK_EDITABLE (self->email_row));
  const char *password = gtk_editable_get_text (GTK_EDITABLE (self->password_row));
  g_autoptr (GString) message = g_string_new (NULL);
  GtkWidget       *first = NULL;
  g_autofree char *url
      = normalize_server_url (gtk_editable_get_text (GTK_EDITABLE (self->server_row)));
  g_autofree char *trimmed = g_strstrip (g_strdup (email));

  clear_errors (self);
  if (url == NULL)
    {
      g_string_append (message,
                       _ ("Enter the server's address, such as https://desk.example.com."));
      set_row_invalid (self->server_row, TRUE);
      first = GTK_WIDGET (self->server_row);
    }
  if (!looks_like_email (trimmed))
    {
      g_string_append_printf (message, "%s%s", message->len ? "\n" : "",
                              _ ("Enter the email address of your account."));
      set_row_invalid (self->email_row, TRUE);
      first = first ? first : GTK_WIDGET (self->email_row);
    }
  if (*password == '\0')
    {
      g_string_append_printf (message, "%s%s", message->len ? "\n" : "",
                              _ ("Enter your password."));
      set_row_invalid (self->password_row, TRUE);
      first = first ? first : GTK_WIDGET (self->password_row);
    }
  if (first != NULL)
    {
      show_error (self, message->str);
      gtk_widget_grab_focus (first);
      return FALSE;
    }
  *server_url = g_steal_pointer (&url);
  return TRUE;
}

/* The engine says what went wrong in its own words (wrong password, too many attempts,
 * unreachable server, untrusted certificate); a transport error leaves the password alone. */
static gboolean
is_transport_error (const GError *error)
{
  return error->domain == G_TLS_ERROR || error->domain == G_RESOLVER_ERROR
         || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NETWORK_UNREACHABLE)
         || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED)
         || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_HOST_NOT_FOUND)
         || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
}

/* Signing in */

static void
set_busy (PdAccountPage *self, gboolean busy)
{
  gtk_widget_set_sensitive (GTK_WIDGET (self->server_row), !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->email_row), !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->password_row), !busy);
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), busy);
  gtk_spinner_set_spinning (self->spinner, busy);
  gtk_button_set_label (self->sign_in_button, busy ? _ ("_Cancel") : _ ("_Sign In"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->sign_in_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  busy ? _ ("Cancel Sign In") : _ ("Sign In"), -1);
  if (busy)
    gtk_widget_remove_css_class (GTK_WIDGET (self->sign_in_button), "suggested-action");
  else
    gtk_widget_add_css_class (GTK_WIDGET (self->sign_in_button), "suggested-action");
}

static void
sign_in_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (PdAccountPage) self = user_data;
  g_autoptr (GError) error = NULL;

  g_clear_object (&self->sign_in_cancellable);
  if (self->sync == NULL)
    return;
  set_busy (self, FALSE);
  if (pd_sync_sign_in_finish (PD_SYNC (source), result, &error))
    {
      /* The password is never kept, not even in the entry. */
      gtk_editable_set_text (GTK_EDITABLE (self->password_row), "");
      clear_errors (self);
      toast (self, _ ("Signed in"));
      return;
    }
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      show_error (self, _ ("Sign-in cancelled."));
      return;
    }
  show_error (self, error->message);
  if (!is_transport_error (error))
    gtk_widget_grab_focus (GTK_WIDGET (self->password_row));
}

static void
sign_in (PdAccountPage *self)
{
  g_autofree char *server_url = NULL;
  g_autofree char *email = NULL;

  if (self->sync == NULL || self->sign_in_cancellable != NULL || !validate (self, &server_url))
    return;
  email = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->email_row))));
  self->sign_in_cancellable = g_cancellable_new ();
  set_busy (self, TRUE);
  pd_sync_sign_in_async (self->sync, server_url, email,
                         gtk_editable_get_text (GTK_EDITABLE (self->password_row)),
                         self->sign_in_cancellable, sign_in_done, g_object_ref (self));
}

static void
on_sign_in_clicked (PdAccountPage *self)
{
  if (self->sign_in_cancellable != NULL)
    g_cancellable_cancel (self->sign_in_cancellable);
  else
    sign_in (self);
}

static void
on_entry_activated (PdAccountPage *self)
{
  sign_in (self);
}

/* Typing in a field marked wrong takes the mark away. */
static void
on_field_changed (PdAccountPage *self, GtkEditable *row)
{
  if (gtk_widget_has_css_class (GTK_WIDGET (row), "error"))
    set_row_invalid (ADW_ENTRY_ROW (row), FALSE);
}

/* Sync Now and Sign Out */

static void
sync_now_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (PdAccountPage) self = user_data;
  g_autoptr (GError) error = NULL;

  self->syncing_now = FALSE;
  gtk_widget_set_sensitive (GTK_WIDGET (self->sync_now_button), TRUE);
  if (!pd_sync_run_finish (PD_SYNC (source), result, &error)
      && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    toast (self, error->message);
}

static void
on_sync_now_clicked (PdAccountPage *self)
{
  if (self->sync == NULL || self->syncing_now)
    return;
  self->syncing_now = TRUE;
  gtk_widget_set_sensitive (GTK_WIDGET (self->sync_now_button), FALSE);
  pd_sync_run_async (self->sync, NULL, sync_now_done, g_object_ref (self));
}

static void
sign_out_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (PdAccountPage) self = user_data;
  g_autoptr (GError) error = NULL;

  gtk_widget_set_sensitive (GTK_WIDGET (self->sign_out_button), TRUE);
  if (!pd_sync_sign_out_finish (PD_SYNC (source), result, &error))
    {
      toast (self, error->message);
      return;
    }
  toast (self, _ ("Signed out. Your data stays on this computer."));
}

static void
on_sign_out_response (AdwMessageDialog *dialog, const char *response, PdAccountPage *self)
{
  if (g_strcmp0 (response, "sign-out") != 0 || self->sync == NULL)
    return;
  gtk_widget_set_sensitive (GTK_WIDGET (self->sign_out_button), FALSE);
  pd_sync_sign_out_async (self->sync, NULL, sign_out_done, g_object_ref (self));
}

static void
on_sign_out_clicked (PdAccountPage *self)
{
  GtkRoot          *root = gtk_widget_get_root (GTK_WIDGET (self));
  const char       *server = self->sync ? pd_sync_get_server_url (self->sync) : NULL;
  g_autofree char  *body = NULL;
  AdwMessageDialog *dialog;

  body = g_strdup_printf (
      /* Translators: %s is a server address */
      _ ("Your data stays on this computer. It is no longer synchronised with %s until you sign "
         "in again; changes you make meanwhile are sent then."),
      server ? server : "");
  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (
      GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, _ ("Sign Out?"), body));
  adw_message_dialog_add_responses (dialog, "cancel", _ ("_Cancel"), "sign-out", _ ("Sign _Out"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, "sign-out", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (dialog, "cancel");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_sign_out_response), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* Following the engine */

/* last-synced-at has no getter in pd-sync.h: read the property when the engine has it. */
static char *
last_synced_text (PdSync *sync)
{
  g_autofree char *iso = NULL;
  char            *text;

  if (g_object_class_find_property (G_OBJECT_GET_CLASS (sync), "last-synced-at") != NULL)
    g_object_get (sync, "last-synced-at", &iso, NULL);
  if (iso == NULL || *iso == '\0')
    return g_strdup (_ ("Not yet"));
  text = pd_timestamp_format_local (iso);
  return text ? text : g_strdup (iso);
}

static void
set_subtitle (AdwActionRow *row, const char *text)
{
  adw_action_row_set_subtitle (row, text ? text : "");
}

/* The error state is also a failed round ("Sync failed"); only a refused token needs the form.
 * pd-sync.h has no getter for that: its status text says so, in the same translation. */
static gboolean
needs_sign_in (PdSync *sync)
{
  return g_strcmp0 (pd_sync_get_status_text (sync), _ ("Sign in again")) == 0;
}

/* An account that needs a new sign-in keeps its server and email in the form. */
static void
prefill (AdwEntryRow *row, const char *value)
{
  if (value != NULL && *gtk_editable_get_text (GTK_EDITABLE (row)) == '\0')
    gtk_editable_set_text (GTK_EDITABLE (row), value);
}

static void
update (PdAccountPage *self)
{
  PdSyncState      state;
  gboolean         sign_in_again;
  const char      *error;
  g_autofree char *status = NULL;
  g_autofree char *last = NULL;

  if (self->sync == NULL)
    return;
  state = pd_sync_get_state (self->sync);
  error = pd_sync_get_last_error (self->sync);
  sign_in_again = state == PD_SYNC_STATE_ERROR && needs_sign_in (self->sync);
  gtk_widget_set_visible (GTK_WIDGET (self->sign_in_group),
                          state == PD_SYNC_STATE_LOCAL_ONLY || sign_in_again);
  gtk_widget_set_visible (GTK_WIDGET (self->account_group), state != PD_SYNC_STATE_LOCAL_ONLY);
  adw_preferences_group_set_title (self->sign_in_group,
                                   sign_in_again ? _ ("Sign In Again") : _ ("Server Account"));
  if (sign_in_again)
    {
      prefill (self->server_row, pd_sync_get_server_url (self->sync));
      prefill (self->email_row, pd_sync_get_email (self->sync));
    }

  status = error && *error && state != PD_SYNC_STATE_SYNCED
               ? g_strdup_printf ("%s — %s", pd_sync_get_status_text (self->sync), error)
               : g_strdup (pd_sync_get_status_text (self->sync));
  last = last_synced_text (self->sync);
  set_subtitle (self->server_info_row, pd_sync_get_server_url (self->sync));
  set_subtitle (self->email_info_row, pd_sync_get_email (self->sync));
  set_subtitle (self->status_row, status);
  set_subtitle (self->last_synced_row, last);
  gtk_widget_set_sensitive (GTK_WIDGET (self->sync_now_button),
                            !self->syncing_now && state != PD_SYNC_STATE_LOCAL_ONLY);
}

static void
pd_account_page_dispose (GObject *object)
{
  PdAccountPage *self = PD_ACCOUNT_PAGE (object);

  if (self->sign_in_cancellable != NULL)
    g_cancellable_cancel (self->sign_in_cancellable);
  g_clear_object (&self->sign_in_cancellable);
  if (self->sync != NULL)
    g_signal_handlers_disconnect_by_data (self->sync, self);
  g_clear_object (&self->sync);
  gtk_widget_dispose_template (GTK_WIDGET (self), PD_TYPE_ACCOUNT_PAGE);
  G_OBJECT_CLASS (pd_account_page_parent_class)->dispose (object);
}

static void
pd_account_page_class_init (PdAccountPageClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = pd_account_page_dispose;

  gtk_widget_class_set_template_from_resource (
      widget_class, "/io/github/partnerdesk/PartnerDesk/ui/pd-account-page.ui");
  gtk_widget_class_bind_template_child (widget_class, PdAccountPage, sign_in_group);
  gtk_widget_class_bind_template_child (widget_class, PdAccountPage, server_row);
  gtk_widget_class_bind_template_child (widget_class, PdAccountPage, email_row);
  gtk_widget_class_bind_template_child (widget_class, PdAccountPage, password_row);
  gtk_widget_class_bind_template_child (widget_class, PdAccountPage, error_label);
  gtk_widget_class_bind_template_child (widget_class, PdAccountPage, spinner);
  gtk_widget_class_bind_template_child (widget_class, PdAccountPage, sign_in_button);
  gtk_widget_class_bind_template_child (widget_class, PdAccountPage, account_group);
  gtk_widget_class_bind_template_child (widget_class, PdAccountPage, server_info_row);
  gtk_widget_class_bind_template_child (widget_class, PdAccountPage, email_info_row);
  gtk_widget_class_bind_template_child (widget_class, PdAccountPage, status_row);
  gtk_widget_class_bind_template_child (widget_class, PdAccountPage, last_synced_row);
  gtk_widget_class_bind_template_child (widget_class, PdAccountPage, sync_now_button);
  gtk_widget_class_bind_template_child (widget_class, PdAccountPage, sign_out_button);
  gtk_widget_class_bind_template_callback (widget_class, on_sign_in_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_entry_activated);
  gtk_widget_class_bind_template_callback (widget_class, on_field_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_sync_now_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_sign_out_clicked);
}

static void
pd_account_page_init (PdAccountPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_widget_set_visible (GTK_WIDGET (self->account_group), FALSE);
}

PdAccountPage *
pd_account_page_new (void)
{
  return g_object_new (PD_TYPE_ACCOUNT_PAGE, NULL);
}

void
pd_account_page_set_sync (PdAccountPage *self, PdSync *sync)
{
  g_return_if_fail (PD_IS_ACCOUNT_PAGE (self));
  g_return_if_fail (sync == NULL || PD_IS_SYNC (sync));

  if (self->sync == sync)
    return;
  if (self->sync != NULL)
    g_signal_handlers_disconnect_by_data (self->sync, self);
  g_set_object (&self->sync, sync);
  if (sync != NULL)
    g_signal_connect_swapped (sync, "notify", G_CALLBACK (update), self);
  update (self);
}

const char *
pd_account_page_get_error (PdAccountPage *self)
{
  g_return_val_if_fail (PD_IS_ACCOUNT_PAGE (self), NULL);

  return gtk_widget_get_visible (GTK_WIDGET (self->error_label))
             ? gtk_label_get_text (self->error_label)
             : NULL;
}

gboolean
pd_account_page_get_busy (PdAccountPage *self)
{
  g_return_val_if_fail (PD_IS_ACCOUNT_PAGE (self), FALSE);

  return self->sign_in_cancellable != NULL;
}
