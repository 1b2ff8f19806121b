/* pd-team-page.c: Preferences → Team: the practice's users, their permissions, invitations. */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "pd-team-page.h"

#define MANAGE_TEAM "manage_team"
#define DEFAULT_PERMISSIONS "edit_partners"

static const PdPermission permissions[] = {
  { "edit_partners", N_ ("Edit partners") },
  { "view_patient_data", N_ ("View patient data") },
  { "billing", N_ ("Billing") },
  { "receive_referrals", N_ ("Receive referrals") },
  { "view_referrals", N_ ("View referral counts") },
  { MANAGE_TEAM, N_ ("Manage team") },
};

#define N_PERMISSIONS G_N_ELEMENTS (permissions)

/* The widgets of one practice user's row. */
typedef struct
{
  PdRecord  *user;
  GtkWidget *expander;
  GtkWidget *resend_button;
  GtkWidget *checks[N_PERMISSIONS];
} PdTeamRow;

struct _PdTeamPage
{
  AdwPreferencesPage parent_instance;

  /* Template Widgets */
  AdwPreferencesGroup *team_group;
  GtkListBox          *team_list;
  AdwPreferencesGroup *invite_group;
  AdwEntryRow         *invite_name_row;
  AdwEntryRow         *invite_email_row;
  GtkLabel            *invite_error_label;
  GtkButton           *invite_button;

  /* Owned References */
  PdStore    *store;
  PdSync     *sync;
  GHashTable *rows;      /* user id -> PdTeamRow */
  GHashTable *collapsed; /* ids of the rows the user folded */
};

G_DEFINE_FINAL_TYPE (PdTeamPage, pd_team_page, ADW_TYPE_PREFERENCES_PAGE)

static void
team_row_free (PdTeamRow *row)
{
  g_clear_object (&row->user);
  g_free (row);
}

static void
toast (PdTeamPage *self, const char *message)
{
  GtkRoot         *root = gtk_widget_get_root (GTK_WIDGET (self));
  g_autofree char *escaped = g_markup_escape_text (message, -1);

  if (ADW_IS_PREFERENCES_WINDOW (root))
    adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (root), adw_toast_new (escaped));
}

static gboolean
signed_in (PdTeamPage *self)
{
  return self->sync != NULL && pd_sync_get_state (self->sync) != PD_SYNC_STATE_LOCAL_ONLY;
}

/* Permissions text */

static gboolean
has_permission (PdRecord *user, const char *name)
{
  g_auto (GStrv) parts = g_strsplit (
      pd_record_get_string (user, "permissions") ? pd_record_get_string (user, "permissions") : "",
      ",", -1);

  for (guint i = 0; parts[i] != NULL; i++)
    if (g_str_equal (g_strstrip (parts[i]), name))
      return TRUE;
  return FALSE;
}

/* USER's permissions with NAME set or cleared: known ones in the page's order, then any the
 * server knows and this build does not, untouched. */
static char *
permissions_with (PdRecord *user, const char *name, gboolean on)
{
  const char *text = pd_record_get_string (user, "permissions");
  g_auto (GStrv) parts = g_strsplit (text ? text : "", ",", -1);
  g_autoptr (GString) out = g_string_new (NULL);

  for (guint i = 0; i < N_PERMISSIONS; i++)
    {
      gboolean set = g_str_equal (permissions[i].name, name)
                         ? on
                         : has_permission (user, permissions[i].name);

      if (set)
        g_string_append_printf (out, "%s%s", out->len ? "," : "", permissions[i].name);
    }
  for (guint i = 0; parts[i] != NULL; i++)
    {
      gboolean known = FALSE;

      g_strstrip (parts[i]);
      for (guint p = 0; p < N_PERMISSIONS; p++)
        known = known || g_str_equal (parts[i], permissions[p].name);
      if (!known && *parts[i] != '\0')
        g_string_append_printf (out, "%s%s", out->len ? "," : "", parts[i]);
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* Is USER the only one left who may manage the team? */
static gboolean
last_manager (PdTeamPage *self, PdRecord *user)
{
  GHashTableIter iter;
  PdTeamRow     *row;

  g_hash_table_iter_init (&iter, self->rows);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *)&row))
    if (row->user != user && has_permission (row->user, MANAGE_TEAM))
      return FALSE;
  return TRUE;
}

/* Rows */

static void on_permission_toggled (GtkCheckButton *check, PdTeamPage *self);

static char *
row_subtitle (PdTeamPage *self, PdRecord *user)
{
  const char *email = pd_record_get_string (user, "email");
  const char *requested = pd_record_get_string (user, "invitation_requested_at");
  const char *me = self->sync ? pd_sync_get_user_id (self->sync) : NULL;
  g_autoptr (GString) text = g_string_new (email && *email ? email : _ ("No email"));

  if (me != NULL && g_strcmp0 (me, pd_record_get_id (user)) == 0)
    g_string_append_printf (text, " · %s", _ ("you"));
  else if (me == NULL
           && g_strcmp0 (pd_store_get_local_user_id (self->store), pd_record_get_id (user)) == 0)
    g_string_append_printf (text, " · %s", _ ("this computer"));
  if (requested != NULL && *requested != '\0')
    {
      g_autofree char *when = pd_timestamp_format_local (requested);

      /* Translators: %s is a date and time */
      g_string_append (text, " · ");
      g_string_append_printf (text, _ ("invitation requested %s"), when ? when : requested);
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static void
update_row (PdTeamPage *self, PdTeamRow *row)
{
  g_autofree char *subtitle = row_subtitle (self, row->user);
  const char      *email = pd_record_get_string (row->user, "email");

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row->expander),
                                 pd_record_get_title (row->user));
  adw_expander_row_set_subtitle (ADW_EXPANDER_ROW (row->expander), subtitle);
  gtk_widget_set_visible (row->resend_button, email != NULL && *email != '\0');
  for (guint i = 0; i < N_PERMISSIONS; i++)
    {
      gboolean on = has_permission (row->user, permissions[i].name);

      g_signal_handlers_block_by_func (row->checks[i], on_permission_toggled, self);
      gtk_check_button_set_active (GTK_CHECK_BUTTON (row->checks[i]), on);
      g_signal_handlers_unblock_by_func (row->checks[i], on_permission_toggled, self);
      gtk_widget_set_sensitive (row->checks[i], !pd_store_is_read_only (self->store));
    }
}

static PdTeamRow *
row_of (PdTeamPage *self, GtkWidget *widget)
{
  return g_hash_table_lookup (self->rows, g_object_get_data (G_OBJECT (widget), "user-id"));
}

static gboolean
save_user (PdTeamPage *self, PdRecord *user)
{
  g_autoptr (GError) error = NULL;

  if (pd_store_save (self->store, user, &error))
    return TRUE;
  toast (self, error->message);
  return FALSE;
}

static void
on_permission_toggled (GtkCheckButton *check, PdTeamPage *self)
{
  PdTeamRow  *row = row_of (self, GTK_WIDGET (check));
  const char *name = g_object_get_data (G_OBJECT (check), "permission");
  gboolean    on = gtk_check_button_get_active (check);
  g_autoptr (PdRecord) user = NULL;
  g_autofree char *text = NULL;

  if (row == NULL)
    return;
  if (!on && g_str_equal (name, MANAGE_TEAM) && last_manager (self, row->user))
    {
      toast (self, _ ("Someone in the team must be able to manage the team."));
      update_row (self, row);
      return;
    }
  user = pd_record_copy (row->user);
  text = permissions_with (user, name, on);
  pd_record_set_string (user, "permissions", text);
  if (!save_user (self, user))
    update_row (self, row);
}

static void
on_resend_clicked (GtkButton *button, PdTeamPage *self)
{
  PdTeamRow *row = row_of (self, GTK_WIDGET (button));
  g_autoptr (PdRecord) user = NULL;
  g_autofree char *now = pd_timestamp_now ();

  if (row == NULL)
    return;
  user = pd_record_copy (row->user);
  pd_record_set_string (user, "invitation_requested_at", now);
  if (save_user (self, user))
    toast (self, signed_in (self) ? _ ("Invitation will be sent when synced")
                                  : _ ("Invitation queued: it is sent once you sign in"));
}

static void
on_expanded_changed (AdwExpanderRow *expander, GParamSpec *pspec, PdTeamPage *self)
{
  const char *id = g_object_get_data (G_OBJECT (expander), "user-id");

  if (adw_expander_row_get_expanded (expander))
    g_hash_table_remove (self->collapsed, id);
  else
    g_hash_table_add (self->collapsed, g_strdup (id));
}

static GtkWidget *
resend_button_new (PdTeamPage *self, PdRecord *user)
{
  GtkWidget *button = gtk_button_new_from_icon_name ("mail-send-symbolic");
  /* Translators: %s is the name of a team member */
  g_autofree char *label
      = g_strdup_printf (_ ("Resend invitation to %s"), pd_record_get_title (user));

  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (button, "flat");
  gtk_widget_set_tooltip_text (button, label);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, label,
                                  -1);
  g_signal_connect (button, "clicked", G_CALLBACK (on_resend_clicked), self);
  return button;
}

static GtkWidget *
permission_row_new (PdTeamPage *self, PdTeamRow *row, guint i)
{
  GtkWidget  *action_row = adw_action_row_new ();
  GtkWidget  *check = gtk_check_button_new ();
  const char *id = pd_record_get_id (row->user);
  /* Translators: the first %s is a permission ("Billing"), the second a person */
  g_autofree char *label = g_strdup_printf (_ ("%s for %s"), _ (permissions[i].label),
                                            pd_record_get_title (row->user));

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (action_row), _ (permissions[i].label));
  gtk_widget_set_valign (check, GTK_ALIGN_CENTER);
  gtk_accessible_update_property (GTK_ACCESSIBLE (check), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
  g_object_set_data_full (G_OBJECT (check), "user-id", g_strdup (id), g_free);
  g_object_set_data (G_OBJECT (check), "permission", (gpointer)permissions[i].name);
  adw_action_row_add_prefix (ADW_ACTION_ROW (action_row), check);
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (action_row), check);
  row->checks[i] = check;
  return action_row;
}

static GtkWidget *
user_row_new (PdTeamPage *self, PdRecord *user)
{
  PdTeamRow  *row = g_new0 (PdTeamRow, 1);
  const char *id = pd_record_get_id (user);

  row->user = g_object_ref (user);
  row->expander = adw_expander_row_new ();
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row->expander), FALSE);
  g_object_set_data_full (G_OBJECT (row->expander), "user-id", g_strdup (id), g_free);
  row->resend_button = resend_button_new (self, user);
  g_object_set_data_full (G_OBJECT (row->resend_button), "user-id", g_strdup (id), g_free);
  adw_expander_row_add_action (ADW_EXPANDER_ROW (row->expander), row->resend_button);
  for (guint i = 0; i < N_PERMISSIONS; i++)
    adw_expander_row_add_row (ADW_EXPANDER_ROW (row->expander), permission_row_new (self, row, i));
  g_hash_table_insert (self->rows, g_strdup (id), row);
  update_row (self, row);
  for (guint i = 0; i < N_PERMISSIONS; i++)
    g_signal_connect (row->checks[i], "toggled", G_CALLBACK (on_permission_toggled), self);
  adw_expander_row_set_expanded (ADW_EXPANDER_ROW (row->expander),
                                 !g_hash_table_contains (self->collapsed, id));
  g_signal_connect (row->expander, "notify::expanded", G_CALLBACK (on_expanded_changed), self);
  return row->expander;
}

static void
clear_list (PdTeamPage *self)
{
  GtkWidget *child;

  g_hash_table_remove_all (self->rows);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->team_list))) != NULL)
    gtk_list_box_remove (self->team_list, child);
}

static void
reload (PdTeamPage *self)
{
  g_autoptr (GPtrArray) users = NULL;
  g_autoptr (GError) error = NULL;

  clear_list (self);
  if (self->store == NULL)
    return;
  users = pd_store_list (self->store, &pd_practice_user_type, NULL, NULL, &error);
  if (users == NULL)
    {
      toast (self, error->message);
      return;
    }
  for (guint i = 0; i < users->len; i++)
    gtk_list_box_append (self->team_list, user_row_new (self, g_ptr_array_index (users, i)));
}

/* A changed user is updated in place, so the focus stays on the check button just toggled;
 * a new or removed one rebuilds the list. */
static void
on_record_changed (PdStore *store, const char *collection, const char *id, PdTeamPage *self)
{
  g_autoptr (PdRecord) user = NULL;
  PdTeamRow *row;

  if (g_strcmp0 (collection, pd_practice_user_type.name) != 0)
    return;
  row = g_hash_table_lookup (self->rows, id);
  user = pd_store_get (store, &pd_practice_user_type, id, NULL);
  if (row != NULL && user != NULL && !pd_record_get_deleted (user)
      && g_strcmp0 (pd_record_get_title (user), pd_record_get_title (row->user)) == 0)
    {
      g_set_object (&row->user, user);
      update_row (self, row);
      return;
    }
  reload (self);
}

static void
on_collection_changed (PdStore *store, const char *collection, const char *partner_id,
                       PdTeamPage *self)
{
  if (collection == NULL || g_strcmp0 (collection, pd_practice_user_type.name) == 0)
    reload (self);
}

/* Inviting */

static void
show_invite_error (PdTeamPage *self, const char *message, GtkWidget *row)
{
  gtk_label_set_text (self->invite_error_label, message ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->invite_error_label), message != NULL);
  gtk_widget_remove_css_class (GTK_WIDGET (self->invite_name_row), "error");
  gtk_widget_remove_css_class (GTK_WIDGET (self->invite_email_row), "error");
  if (row != NULL)
    {
      gtk_widget_add_css_class (row, "error");
      gtk_widget_grab_focus (row);
    }
}

static GtkWidget *
row_for_field (PdTeamPage *self, const char *field)
{
  return g_strcmp0 (field, "email") == 0 ? GTK_WIDGET (self->invite_email_row)
                                         : GTK_WIDGET (self->invite_name_row);
}

/* The core's own validation says what is wrong, as everywhere else. */
static gboolean
validate_invite (PdTeamPage *self, PdRecord *user, const char *email)
{
  g_autoptr (GHashTable) errors = NULL;
  GHashTableIter iter;
  const char    *field, *message;

  if (*email == '\0')
    {
      show_invite_error (self, _ ("Enter the email address the invitation goes to."),
                         GTK_WIDGET (self->invite_email_row));
      return FALSE;
    }
  errors = pd_store_validate (self->store, user);
  g_hash_table_iter_init (&iter, errors);
  if (g_hash_table_iter_next (&iter, (gpointer *)&field, (gpointer *)&message))
    {
      show_invite_error (self, message, row_for_field (self, field));
      return FALSE;
    }
  return TRUE;
}

static void
on_invite_activated (PdTeamPage *self)
{
  g_autofree char *name
      = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->invite_name_row))));
  g_autofree char *email
      = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->invite_email_row))));
  g_autoptr (PdRecord) user = NULL;
  g_autofree char *message = NULL;

  if (self->store == NULL)
    return;
  user = pd_record_new (&pd_practice_user_type);
  pd_record_set_string (user, "name", *name ? name : NULL);
  pd_record_set_string (user, "email", *email ? email : NULL);
  pd_record_set_string (user, "permissions", DEFAULT_PERMISSIONS);
  if (!validate_invite (self, user, email) || !save_user (self, user))
    return;
  show_invite_error (self, NULL, NULL);
  gtk_editable_set_text (GTK_EDITABLE (self->invite_name_row), "");
  gtk_editable_set_text (GTK_EDITABLE (self->invite_email_row), "");
  /* Translators: %s is an email address */
  message
      = g_strdup_printf (signed_in (self) ? _ ("%s invited: the email goes out when synced")
                                          : _ ("%s added: the invitation is sent once you sign in"),
                         email);
  toast (self, message);
}

static void
update_description (PdTeamPage *self)
{
  adw_preferences_group_set_description (
      self->team_group,
      signed_in (self)
          ? _ ("Who in the practice may do what. The server emails invitations when this "
               "computer syncs.")
          : _ ("Who in the practice may do what. Invitations are emailed once you sign in to a "
               "server (Preferences → Account)."));
}

static void
pd_team_page_dispose (GObject *object)
{
  PdTeamPage *self = PD_TEAM_PAGE (object);

  if (self->store != NULL)
    g_signal_handlers_disconnect_by_data (self->store, self);
  if (self->sync != NULL)
    g_signal_handlers_disconnect_by_data (self->sync, self);
  g_clear_object (&self->store);
  g_clear_object (&self->sync);
  g_clear_pointer (&self->rows, g_hash_table_unref);
  g_clear_pointer (&self->collapsed, g_hash_table_unref);
  gtk_widget_dispose_template (GTK_WIDGET (self), PD_TYPE_TEAM_PAGE);
  G_OBJECT_CLASS (pd_team_page_parent_class)->dispose (object);
}

static void
pd_team_page_class_init (PdTeamPageClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = pd_team_page_dispose;

  gtk_widget_class_set_template_from_resource (
      widget_class, "/io/github/partnerdesk/PartnerDesk/ui/pd-team-page.ui");
  gtk_widget_class_bind_template_child (widget_class, PdTeamPage, team_group);
  gtk_widget_class_bind_template_child (widget_class, PdTeamPage, team_list);
  gtk_widget_class_bind_template_child (widget_class, PdTeamPage, invite_group);
  gtk_widget_class_bind_template_child (widget_class, PdTeamPage, invite_name_row);
  gtk_widget_class_bind_template_child (widget_class, PdTeamPage, invite_email_row);
  gtk_widget_class_bind_template_child (widget_class, PdTeamPage, invite_error_label);
  gtk_widget_class_bind_template_child (widget_class, PdTeamPage, invite_button);
  gtk_widget_class_bind_template_callback (widget_class, on_invite_activated);
}

static void
pd_team_page_init (PdTeamPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->rows
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify)team_row_free);
  self->collapsed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  update_description (self);
}

PdTeamPage *
pd_team_page_new (void)
{
  return g_object_new (PD_TYPE_TEAM_PAGE, NULL);
}

void
pd_team_page_set_store (PdTeamPage *self, PdStore *store)
{
  g_return_if_fail (PD_IS_TEAM_PAGE (self));
  g_return_if_fail (store == NULL || PD_IS_STORE (store));

  if (self->store == store)
    return;
  if (self->store != NULL)
    g_signal_handlers_disconnect_by_data (self->store, self);
  g_set_object (&self->store, store);
  if (store != NULL)
    {
      g_signal_connect (store, "record-changed", G_CALLBACK (on_record_changed), self);
      g_signal_connect (store, "collection-changed", G_CALLBACK (on_collection_changed), self);
    }
  gtk_widget_set_sensitive (GTK_WIDGET (self->invite_group),
                            store != NULL && !pd_store_is_read_only (store));
  reload (self);
}

static void
on_sync_notify (PdTeamPage *self, GParamSpec *pspec)
{
  update_description (self);
  if (g_str_equal (pspec->name, "user-id") || g_str_equal (pspec->name, "state"))
    {
      GHashTableIter iter;
      PdTeamRow     *row;

      g_hash_table_iter_init (&iter, self->rows);
      while (g_hash_table_iter_next (&iter, NULL, (gpointer *)&row))
        update_row (self, row);
    }
}

void
pd_team_page_set_sync (PdTeamPage *self, PdSync *sync)
{
  g_return_if_fail (PD_IS_TEAM_PAGE (self));
  g_return_if_fail (sync == NULL || PD_IS_SYNC (sync));

  if (self->sync == sync)
    return;
  if (self->sync != NULL)
    g_signal_handlers_disconnect_by_data (self->sync, self);
  g_set_object (&self->sync, sync);
  if (sync != NULL)
    g_signal_connect_swapped (sync, "notify", G_CALLBACK (on_sync_notify), self);
  update_description (self);
  reload (self);
}

const PdPermission *
pd_team_page_get_permissions (guint *n_permissions)
{
  if (n_permissions != NULL)
    *n_permissions = N_PERMISSIONS;
  return permissions;
}
