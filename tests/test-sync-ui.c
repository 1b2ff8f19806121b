/* test-sync-ui.c: the desktop's sync UI under Xvfb against the real partner-desk-server:
 * the Account page, the header bar status, conflicts, the Team page, invitations, sign-out. */
#include "config.h"

#include <glib/gstdio.h>
#include <libsecret/secret.h>
#include <signal.h>
#include <string.h>

#include "pd-account-page.h"
#include "pd-application.h"
#include "pd-sync-button.h"
#include "pd-team-page.h"
#include "pd-users-page.h"
#include "pd-window.h"
#include "pd-test-server.h"
#include "pd-test-ui.h"

#define OWNER_EMAIL "olga.owner@example.test"
#define OWNER_NAME "Olga Owner"
#define OWNER_PASSWORD "correct horse battery staple"
#define MEMBER_NAME "Mia Member"
#define MEMBER_EMAIL "mia.member@example.test"
#define PARTNER_NAME "Conflict Clinic"

static struct
{
  char          *dir;
  char          *path;        /* the desktop's database */
  PdTestServer  *server;      /* argv[1], signed in to as the owner */
  gboolean       server_ready;
  GSubprocess   *keyring;
  gboolean       secret_service; /* the token goes to a gnome-keyring-daemon of this test */
  PdApplication *app;
  PdStore       *store;
  PdWindow      *window;
  char          *partner_id;
} fx;

/* Finding things */

static gboolean
is_sync_button (GtkWidget *widget, const char *text)
{
  return PD_IS_SYNC_BUTTON (widget);
}

static PdSyncButton *
sync_button (void)
{
  return PD_SYNC_BUTTON (pd_test_find_required (GTK_WIDGET (fx.window), is_sync_button, NULL));
}

static void
log_conflicts (PdSync *sync)
{
  g_autoptr (GPtrArray) conflicts = pd_sync_list_conflicts (sync, NULL);

  for (guint i = 0; conflicts != NULL && i < conflicts->len; i++)
    {
      PdConflict *c = g_ptr_array_index (conflicts, i);

      g_test_message ("conflict: %s %s (%s) %s: mine %s, theirs %s", c->collection, c->record_id,
                      c->record_title, c->field, c->mine ? c->mine : "-",
                      c->theirs ? c->theirs : "-");
    }
}

/* Does the status button's text start with PREFIX? Logs each new status on the way. */
static gboolean
status_starts (const char *prefix)
{
  static char *previous;
  const char  *text = pd_sync_button_get_text (sync_button ());
  PdSync      *sync = pd_window_get_sync (fx.window);

  if (g_strcmp0 (previous, text) != 0)
    {
      g_test_message ("status: %s (%s)", text,
                      pd_sync_get_last_error (sync) ? pd_sync_get_last_error (sync) : "no error");
      g_free (previous);
      previous = g_strdup (text);
      log_conflicts (sync);
    }
  return g_str_has_prefix (text, prefix);
}

static gboolean
is_check_button (GtkWidget *widget, const char *text)
{
  return GTK_IS_CHECK_BUTTON (widget);
}

static gboolean
is_type_named (GtkWidget *widget, const char *type_name)
{
  return pd_test_is_a (widget, type_name);
}

static GtkWidget *
open_preferences (const char *page)
{
  GtkWidget *prefs;

  if (g_str_equal (page, "account"))
    g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fx.window), "app.show-account", NULL));
  else
    g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fx.window), "app.preferences", NULL));
  prefs = pd_test_wait_for_widget (is_type_named, "PdPreferencesWindow");
  adw_preferences_window_set_visible_page_name (ADW_PREFERENCES_WINDOW (prefs), page);
  return prefs;
}

static void
close_window (GtkWidget *window)
{
  g_object_add_weak_pointer (G_OBJECT (window), (gpointer *)&window);
  gtk_window_close (GTK_WINDOW (window));
  PD_WAIT_UNTIL (window == NULL);
}

static gboolean
is_notebook (GtkWidget *widget, const char *text)
{
  return GTK_IS_NOTEBOOK (widget);
}

/* Is the People tab of the notebook shown? */
static gboolean
people_tab_visible (void)
{
  GtkNotebook *notebook
      = GTK_NOTEBOOK (pd_test_find_required (GTK_WIDGET (fx.window), is_notebook, NULL));

  for (int i = 0; i < gtk_notebook_get_n_pages (notebook); i++)
    {
      GtkWidget *page = gtk_notebook_get_nth_page (notebook, i);

      if (g_strcmp0 (gtk_notebook_get_tab_label_text (notebook, page), "People") == 0)
        return gtk_widget_get_visible (page);
    }
  g_error ("no People tab");
}

static PdAccountPage *
account_page (GtkWidget *prefs)
{
  GtkWidget *page = NULL;

  PD_WAIT_UNTIL ((page = pd_test_find_in (prefs, is_type_named, "PdAccountPage")) != NULL);
  return PD_ACCOUNT_PAGE (page);
}

/* The check button of PERMISSION in the Team page row of USER_NAME. */
static GtkWidget *
permission_check (GtkWidget *prefs, const char *user_name, const char *permission)
{
  GtkWidget *user_row = NULL;
  GtkWidget *row;

  PD_WAIT_UNTIL ((user_row = pd_test_find_in (prefs, pd_test_is_row, user_name)) != NULL);
  g_assert_true (ADW_IS_EXPANDER_ROW (user_row));
  adw_expander_row_set_expanded (ADW_EXPANDER_ROW (user_row), TRUE);
  PD_WAIT_UNTIL ((row = pd_test_find_in (user_row, pd_test_is_row, permission)) != NULL);
  return pd_test_find_required (row, is_check_button, NULL);
}

static PdRecord *
practice_user_by_email (PdStore *store, const char *email)
{
  g_autoptr (GPtrArray) users = pd_store_list (store, &pd_practice_user_type, "email", email, NULL);

  return users != NULL && users->len > 0 ? g_object_ref (g_ptr_array_index (users, 0)) : NULL;
}

static gboolean
invitation_requested (const PdRecordType *type, const char *id)
{
  g_autoptr (PdRecord) record = pd_store_get (fx.store, type, id, NULL);

  return record != NULL && pd_record_get_string (record, "invitation_requested_at") != NULL;
}

static gboolean
has_permission_text (PdRecord *user, const char *permission)
{
  g_auto (GStrv) parts = g_strsplit (pd_record_get_string (user, "permissions"), ",", -1);

  return g_strv_contains ((const char *const *)parts, permission);
}

/* The server process */

static char *
server_token (void)
{
  g_autoptr (GError) error = NULL;
  char *token = pd_test_server_sign_in (fx.server, OWNER_EMAIL, OWNER_PASSWORD, &error);

  g_assert_no_error (error);
  return token;
}

/* The practice, its owner's password set through the link `init` printed. */
static gboolean
start_server (void)
{
  g_autoptr (GError) error = NULL;

  if (!pd_test_server_init (fx.server, OWNER_EMAIL, "Sync UI Practice", NULL, &error)
      || !pd_test_server_start (fx.server, &error)
      || !pd_test_server_accept (fx.server, fx.server->invite_path, OWNER_NAME, OWNER_PASSWORD,
                                 &error))
    {
      g_test_message ("%s", error->message);
      return FALSE;
    }
  return TRUE;
}

/* The server's database, read as it is now. */
static PdRecord *
server_get (const PdRecordType *type, const char *id)
{
  g_autoptr (PdStore) store = pd_store_open_read_only (fx.server->db, NULL);

  return store ? pd_store_get (store, type, id, NULL) : NULL;
}

static PdRecord *
server_practice_user (const char *email)
{
  g_autoptr (PdStore) store = pd_store_open_read_only (fx.server->db, NULL);

  return store ? practice_user_by_email (store, email) : NULL;
}

/* Polls COND (the server's database, the keyring) at most every 100 ms, iterating the main
 * loop meanwhile. */
#define WAIT_POLLING(cond)                                                                         \
  G_STMT_START                                                                                     \
  {                                                                                                \
    gint64   next_ = 0;                                                                            \
    gboolean ok_ = FALSE;                                                                          \
    gint64   end_ = g_get_monotonic_time () + pd_test_wait_seconds * G_USEC_PER_SEC;               \
    while (!ok_)                                                                                   \
      {                                                                                            \
        if (g_get_monotonic_time () >= next_)                                                      \
          {                                                                                        \
            ok_ = (cond);                                                                          \
            next_ = g_get_monotonic_time () + 100000;                                              \
          }                                                                                        \
        if (!ok_ && g_get_monotonic_time () > end_)                                                \
          g_error ("%s:%d: timed out waiting for %s", __FILE__, __LINE__, #cond);                  \
        if (!ok_)                                                                                  \
          pd_test_iterate ();                                                                      \
      }                                                                                            \
  }                                                                                                \
  G_STMT_END

static gboolean
server_partner_field_is (const char *field, const char *value)
{
  g_autoptr (PdRecord) partner = server_get (&pd_partner_type, fx.partner_id);

  return partner != NULL && g_strcmp0 (pd_record_get_string (partner, field), value) == 0;
}

static gboolean
server_has_member (void)
{
  g_autoptr (PdRecord) user = server_practice_user (MEMBER_EMAIL);

  return user != NULL;
}

/* The keyring: a gnome-keyring-daemon of this test's D-Bus session with a fresh login keyring,
 * so the token really goes through libsecret. */

static gboolean
secret_service_present (void)
{
  g_autoptr (GDBusConnection) bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, NULL);
  g_autoptr (GVariant) owner = NULL;

  if (bus == NULL)
    return FALSE;
  owner = g_dbus_connection_call_sync (bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "GetNameOwner",
                                       g_variant_new ("(s)", "org.freedesktop.secrets"), NULL,
                                       G_DBUS_CALL_FLAGS_NONE, 1000, NULL, NULL);
  return owner != NULL;
}

static void
start_keyring (void)
{
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *data = g_build_filename (fx.dir, "keyring-data", NULL);
  g_autofree char *run = g_build_filename (fx.dir, "keyring-run", NULL);
  gint64           end = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  GOutputStream   *in;

  if (g_find_program_in_path ("gnome-keyring-daemon") == NULL)
    return;
  g_mkdir_with_parents (data, 0700);
  g_mkdir_with_parents (run, 0700);
  launcher = pd_test_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_SILENCE
                           | G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", data, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_RUNTIME_DIR", run, TRUE);
  fx.keyring
      = g_subprocess_launcher_spawn (launcher, &error, "gnome-keyring-daemon", "--foreground",
                                     "--unlock", "--components=secrets", NULL);
  if (fx.keyring == NULL)
    return;
  /* --unlock reads the password of the login keyring (created with it) from stdin; an empty one
   * would make the daemon prompt for another. */
  in = g_subprocess_get_stdin_pipe (fx.keyring);
  g_output_stream_write_all (in, "pd-test-keyring", strlen ("pd-test-keyring"), NULL, NULL, NULL);
  g_output_stream_close (in, NULL, NULL);
  while (!secret_service_present () && g_get_monotonic_time () < end)
    g_usleep (50000);
  fx.secret_service = secret_service_present ();
}

static gboolean
need_server (void)
{
  if (fx.server_ready)
    return TRUE;
  g_test_fail_printf ("partner-desk-server %s did not start", fx.server->binary);
  return FALSE;
}

/* The cases, in order: each builds on the one before. */

/* Local only: the status says so, and its click opens the Account page. */
static void
test_local_only_status (void)
{
  PdSyncButton *button = sync_button ();
  GtkWidget    *inner = pd_test_find_required (GTK_WIDGET (button), pd_test_is_a, "GtkButton");
  GtkWidget    *prefs;

  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (button)));
  g_assert_cmpstr (pd_sync_button_get_text (button), ==, "Local only");
  g_assert_nonnull (strstr (gtk_widget_get_tooltip_text (inner), "Local only"));

  pd_test_click (inner);
  prefs = pd_test_wait_for_widget (is_type_named, "PdPreferencesWindow");
  g_assert_cmpstr (adw_preferences_window_get_visible_page_name (ADW_PREFERENCES_WINDOW (prefs)),
                   ==, "account");
  pd_test_find_required (prefs, pd_test_is_entry_row, "Server address");
  g_assert_null (pd_test_find_in (prefs, pd_test_is_button, "Sign Out…"));
  close_window (prefs);
}

/* Sign In checks the fields first, says what is wrong below them, and keeps them. */
static void
test_account_validation (void)
{
  GtkWidget     *prefs = open_preferences ("account");
  PdAccountPage *page = account_page (prefs);
  GtkWidget     *server_row = pd_test_find_required (prefs, pd_test_is_entry_row, "Server address");
  GtkWidget     *email_row = pd_test_find_required (prefs, pd_test_is_entry_row, "Email");
  GtkWidget     *password_row = pd_test_find_required (prefs, pd_test_is_entry_row, "Password");

  g_assert_true (ADW_IS_PASSWORD_ENTRY_ROW (password_row));
  /* A button's clicked follows its activation after a short delay: wait for the effect. */
  pd_test_click_button (prefs, "Sign In");
  PD_WAIT_UNTIL (pd_account_page_get_error (page) != NULL);
  g_assert_nonnull (strstr (pd_account_page_get_error (page), "server's address"));
  g_assert_true (gtk_widget_has_css_class (server_row, "error"));
  g_assert_true (gtk_widget_has_css_class (email_row, "error"));
  g_assert_true (gtk_widget_has_css_class (password_row, "error"));
  g_assert_false (pd_account_page_get_busy (page));

  pd_test_type_into (prefs, "Server address", "ftp://files.example.test");
  pd_test_type_into (prefs, "Email", "olga-at-example");
  pd_test_type_into (prefs, "Password", "secret");
  g_assert_false (gtk_widget_has_css_class (password_row, "error"));
  pd_test_click_button (prefs, "Sign In");
  PD_WAIT_UNTIL (strstr (pd_account_page_get_error (page), "email address") != NULL);
  g_assert_nonnull (strstr (pd_account_page_get_error (page), "server's address"));
  g_assert_nonnull (strstr (pd_account_page_get_error (page), "email address"));
  g_assert_false (gtk_widget_has_css_class (password_row, "error"));
  /* Nothing typed is lost. */
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (server_row)), ==,
                   "ftp://files.example.test");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (email_row)), ==, "olga-at-example");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (password_row)), ==, "secret");
  g_assert_cmpint (pd_sync_get_state (pd_window_get_sync (fx.window)), ==,
                   PD_SYNC_STATE_LOCAL_ONLY);
  close_window (prefs);
}

/* Local only, the team list is kept all the same: permissions, invitations. */
static void
test_team_local (void)
{
  GtkWidget  *prefs = open_preferences ("team");
  const char *local_id = pd_store_get_local_user_id (fx.store);
  g_autoptr (PdRecord) local = pd_store_get (fx.store, &pd_practice_user_type, local_id, NULL);
  const char *name = pd_record_get_title (local);
  GtkWidget  *billing = permission_check (prefs, name, "Billing");
  GtkWidget  *manage = permission_check (prefs, name, "Manage team");
  g_autoptr (PdRecord) member = NULL;

  g_assert_true (gtk_check_button_get_active (GTK_CHECK_BUTTON (billing)));
  pd_test_click (billing);
  g_clear_object (&local);
  local = pd_store_get (fx.store, &pd_practice_user_type, local_id, NULL);
  g_assert_false (has_permission_text (local, "billing"));
  g_assert_true (has_permission_text (local, "edit_partners"));
  pd_test_click (billing);
  g_clear_object (&local);
  local = pd_store_get (fx.store, &pd_practice_user_type, local_id, NULL);
  g_assert_true (has_permission_text (local, "billing"));

  /* The only one who may manage the team keeps that. */
  pd_test_click (manage);
  g_assert_true (gtk_check_button_get_active (GTK_CHECK_BUTTON (manage)));
  g_clear_object (&local);
  local = pd_store_get (fx.store, &pd_practice_user_type, local_id, NULL);
  g_assert_true (has_permission_text (local, "manage_team"));

  /* Invite: a bad address is refused with the core's message, a good one listed. */
  pd_test_type_into (prefs, "Name", "Tom Temp");
  pd_test_type_into (prefs, "Email", "tom-at-example");
  pd_test_click_button (prefs, "Invite");
  PD_WAIT_UNTIL (gtk_widget_has_css_class (
      pd_test_find_required (prefs, pd_test_is_entry_row, "Email"), "error"));
  g_assert_null (practice_user_by_email (fx.store, "tom-at-example"));
  pd_test_type_into (prefs, "Email", "tom.temp@example.test");
  pd_test_click_button (prefs, "Invite");
  PD_WAIT_UNTIL ((member = practice_user_by_email (fx.store, "tom.temp@example.test")) != NULL);
  g_assert_cmpstr (pd_record_get_string (member, "name"), ==, "Tom Temp");
  g_assert_cmpstr (pd_record_get_string (member, "permissions"), ==, "edit_partners");
  g_assert_cmpstr (gtk_editable_get_text (
                       GTK_EDITABLE (pd_test_find_required (prefs, pd_test_is_entry_row, "Email"))),
                   ==, "");
  permission_check (prefs, "Tom Temp", "Edit partners");

  /* Resend: the request time is what the server acts on. */
  g_assert_null (pd_record_get_string (member, "invitation_requested_at"));
  pd_test_click_button (prefs, "Resend invitation to Tom Temp");
  PD_WAIT_UNTIL (invitation_requested (&pd_practice_user_type, pd_record_get_id (member)));
  close_window (prefs);
}

/* A partner made while local only (pushed at sign-in); without a representative's email it
 * has no invitation to resend. */
static void
test_local_partner (void)
{
  g_autoptr (PdRecord) partner = pd_record_new (&pd_partner_type);
  g_autoptr (GError) error = NULL;

  pd_record_set_string (partner, "kind", "employer");
  pd_record_set_string (partner, "name", PARTNER_NAME);
  pd_record_set_string (partner, "rep_phone", "+49 30 111");
  g_assert_true (pd_store_save (fx.store, partner, &error));
  g_assert_no_error (error);
  fx.partner_id = g_strdup (pd_record_get_id (partner));
  g_assert_true (pd_window_select_partner (fx.window, fx.partner_id));
  PD_WAIT_UNTIL (pd_test_find_in (GTK_WIDGET (fx.window), pd_test_is_label, PARTNER_NAME) != NULL);
  g_assert_null (pd_test_find_in (GTK_WIDGET (fx.window), pd_test_is_label, "Invitation"));
}

static gboolean
local_field_is (const PdRecordType *type, const char *id, const char *field, const char *value)
{
  g_autoptr (PdRecord) record = pd_store_get (fx.store, type, id, NULL);

  return record != NULL && g_strcmp0 (pd_record_get_string (record, field), value) == 0;
}

/* The local and the server's record have the same version: nothing of it is pending. */
static gboolean
in_step (const PdRecordType *type, const char *id)
{
  g_autoptr (PdRecord) mine = pd_store_get (fx.store, type, id, NULL);
  g_autoptr (PdRecord) theirs = server_get (type, id);

  return mine != NULL && theirs != NULL
         && pd_record_get_version (mine) == pd_record_get_version (theirs);
}

static gboolean
server_invitation_requested (const PdRecordType *type, const char *id)
{
  g_autoptr (PdRecord) mine = pd_store_get (fx.store, type, id, NULL);
  g_autoptr (PdRecord) theirs = server_get (type, id);
  const char *requested = mine ? pd_record_get_string (mine, "invitation_requested_at") : NULL;

  return requested != NULL && theirs != NULL
         && g_strcmp0 (pd_record_get_string (theirs, "invitation_requested_at"), requested) == 0;
}

/* Resend Invitation beside a partner's representative and on a portal user: the request
 * time is saved and reaches the server, which emails on it. */
static void
test_resend_invitations (void)
{
  g_autoptr (PdRecord) partner = NULL;
  g_autoptr (PdRecord) user = pd_record_new (&pd_partner_user_type);
  g_autoptr (GError) error = NULL;
  GtkWidget *users_page;

  if (!need_server ())
    return;
  /* A representative's email: the server invites on its own, and that comes back. */
  partner = pd_store_get (fx.store, &pd_partner_type, fx.partner_id, NULL);
  pd_record_set_string (partner, "rep_email", "rita.rep@conflict-clinic.example");
  g_assert_true (pd_store_save (fx.store, partner, &error));
  g_assert_no_error (error);
  PD_WAIT_UNTIL (local_field_is (&pd_partner_type, fx.partner_id, "status", "invited"));
  WAIT_POLLING (in_step (&pd_partner_type, fx.partner_id));

  g_assert_true (pd_window_select_partner (fx.window, fx.partner_id));
  pd_test_click_button (NULL, "Resend invitation to rita.rep@conflict-clinic.example");
  PD_WAIT_UNTIL (invitation_requested (&pd_partner_type, fx.partner_id));
  pd_test_wait_for_widget (pd_test_is_label, "Invitation will be sent when synced");
  WAIT_POLLING (server_invitation_requested (&pd_partner_type, fx.partner_id));

  pd_record_set_string (user, "partner_id", fx.partner_id);
  pd_record_set_string (user, "name", "Paula Portal");
  pd_record_set_string (user, "email", "paula@conflict-clinic.example");
  g_assert_true (pd_store_save (fx.store, user, &error));
  WAIT_POLLING (in_step (&pd_partner_user_type, pd_record_get_id (user)));
  pd_test_select_tab (GTK_WIDGET (fx.window), "Users");
  users_page = pd_test_wait_for_widget (is_type_named, "PdUsersPage");
  PD_WAIT_UNTIL (g_list_model_get_n_items (
                     G_LIST_MODEL (pd_users_page_get_selection (PD_USERS_PAGE (users_page))))
                 == 1);
  gtk_selection_model_select_item (pd_users_page_get_selection (PD_USERS_PAGE (users_page)), 0,
                                   TRUE);
  pd_test_click_button (users_page, "Resend Invitation");
  PD_WAIT_UNTIL (invitation_requested (&pd_partner_user_type, pd_record_get_id (user)));
  WAIT_POLLING (server_invitation_requested (&pd_partner_user_type, pd_record_get_id (user)));
  PD_WAIT_UNTIL (status_starts ("Synced"));
}

/* A wrong password: the reason below the fields, nothing stored, nothing cleared. */
static void
test_sign_in_wrong_password (void)
{
  GtkWidget     *prefs;
  PdAccountPage *page;
  PdSync        *sync = pd_window_get_sync (fx.window);

  if (!need_server ())
    return;
  prefs = open_preferences ("account");
  page = account_page (prefs);
  pd_test_type_into (prefs, "Server address", fx.server->url);
  pd_test_type_into (prefs, "Email", OWNER_EMAIL);
  pd_test_type_into (prefs, "Password", "not the password at all");
  pd_test_click_button (prefs, "Sign In");
  PD_WAIT_UNTIL (pd_account_page_get_busy (page) || pd_account_page_get_error (page) != NULL);
  PD_WAIT_UNTIL (!pd_account_page_get_busy (page));
  g_assert_nonnull (pd_account_page_get_error (page));
  g_test_message ("wrong password: %s", pd_account_page_get_error (page));
  g_assert_cmpint (pd_sync_get_state (sync), ==, PD_SYNC_STATE_LOCAL_ONLY);
  g_assert_null (pd_sync_get_user_id (sync));
  g_assert_cmpstr (pd_sync_button_get_text (sync_button ()), ==, "Local only");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (
                       pd_test_find_required (prefs, pd_test_is_entry_row, "Password"))),
                   ==, "not the password at all");

  /* A server that is not there: a different reason, the fields kept too. */
  pd_test_type_into (prefs, "Server address", "http://127.0.0.1:1");
  pd_test_type_into (prefs, "Password", OWNER_PASSWORD);
  pd_test_click_button (prefs, "Sign In");
  PD_WAIT_UNTIL (
      pd_account_page_get_busy (page)
      || g_strrstr (pd_account_page_get_error (page) ? pd_account_page_get_error (page) : "",
                    "127.0.0.1")
             != NULL);
  PD_WAIT_UNTIL (!pd_account_page_get_busy (page));
  g_test_message ("unreachable: %s", pd_account_page_get_error (page));
  g_assert_nonnull (strstr (pd_account_page_get_error (page), "127.0.0.1"));
  g_assert_cmpint (pd_sync_get_state (sync), ==, PD_SYNC_STATE_LOCAL_ONLY);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (
                       pd_test_find_required (prefs, pd_test_is_entry_row, "Password"))),
                   ==, OWNER_PASSWORD);
  close_window (prefs);
}

/* The token in the test's keyring, or NULL. */
static char *
keyring_token (void)
{
  static const SecretSchema schema = {
    "io.github.partnerdesk.PartnerDesk.Token",
    SECRET_SCHEMA_NONE,
    { { "server", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { "user", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { NULL, 0 } },
  };

  return secret_password_lookup_sync (&schema, NULL, NULL, "server", fx.server->url, NULL);
}

/* Signs in as the owner through the Account page, and waits for the first round. */
static void
sign_in_through_page (void)
{
  GtkWidget     *prefs = open_preferences ("account");
  PdAccountPage *page = account_page (prefs);
  GtkWidget     *password_row = pd_test_find_required (prefs, pd_test_is_entry_row, "Password");
  PdSync        *sync = pd_window_get_sync (fx.window);

  pd_test_type_into (prefs, "Server address", fx.server->url);
  pd_test_type_into (prefs, "Email", OWNER_EMAIL);
  pd_test_type_into (prefs, "Password", OWNER_PASSWORD);
  pd_test_click_button (prefs, "Sign In");
  PD_WAIT_UNTIL (pd_account_page_get_busy (page));
  PD_WAIT_UNTIL (!pd_account_page_get_busy (page));
  g_assert_null (pd_account_page_get_error (page));
  /* The password is never kept, not even in its entry. */
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (password_row)), ==, "");
  pd_sync_set_intervals (sync, 60000, 200);
  PD_WAIT_UNTIL (status_starts ("Synced"));
  pd_test_wait_for_widget (pd_test_is_button, "Sign Out…");
  pd_test_find_required (prefs, pd_test_is_label, fx.server->url);
  close_window (prefs);
}

/* Signs out through the Account page, confirming the question. */
static void
sign_out_through_page (void)
{
  GtkWidget *prefs = open_preferences ("account");
  GtkWidget *dialog;

  pd_test_click_button (prefs, "Sign Out…");
  dialog = pd_test_wait_for_widget (pd_test_is_message_dialog, "Sign Out?");
  pd_test_find_required (dialog, pd_test_is_label_containing, "Your data stays on this computer");
  pd_test_click_button (dialog, "Sign Out");
  PD_WAIT_UNTIL (pd_sync_get_state (pd_window_get_sync (fx.window)) == PD_SYNC_STATE_LOCAL_ONLY);
  PD_WAIT_UNTIL (status_starts ("Local only"));
  pd_test_wait_for_widget (pd_test_is_entry_row, "Server address");
  close_window (prefs);
}

/* The right password: signed in, the token in the keyring, local data pushed. */
static void
test_sign_in (void)
{
  PdSync          *sync = pd_window_get_sync (fx.window);
  g_autofree char *token = NULL;

  if (!need_server ())
    return;
  sign_in_through_page ();
  g_assert_cmpstr (pd_sync_get_email (sync), ==, OWNER_EMAIL);
  g_assert_nonnull (pd_sync_get_user_id (sync));
  if (fx.secret_service)
    {
      g_assert_null (pd_sync_get_last_error (sync));
      token = keyring_token ();
      g_assert_nonnull (token);
      g_assert_cmpstr (token, !=, OWNER_PASSWORD);
    }

  /* The partner made while local only reached the server. */
  WAIT_POLLING (server_partner_field_is ("rep_phone", "+49 30 111"));
}

/* The same field changed here and on the server: one conflict, resolved as mine. */
static void
test_conflict (void)
{
  g_autoptr (PdRecord) theirs = NULL;
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autoptr (JsonNode) root = json_node_new (JSON_NODE_OBJECT);
  g_autofree char *token = NULL;
  g_autofree char *auth = NULL;
  g_autofree char *version = NULL;
  g_autofree char *key = g_uuid_string_random ();
  g_autofree char *body = NULL;
  g_autofree char *path = NULL;
  g_autofree char *answer = NULL;
  GtkWidget       *editor, *dialog;
  PdSync          *sync = pd_window_get_sync (fx.window);

  if (!need_server ())
    return;
  /* Someone else changes the representative's phone on the server. */
  theirs = server_get (&pd_partner_type, fx.partner_id);
  g_assert_nonnull (theirs);
  pd_record_set_string (theirs, "rep_phone", "+49 30 222");
  json_node_take_object (root, pd_record_to_json (theirs));
  json_generator_set_root (generator, root);
  body = json_generator_to_data (generator, NULL);
  token = server_token ();
  auth = g_strconcat ("Bearer ", token, NULL);
  version = g_strdup_printf ("\"%" G_GINT64_FORMAT "\"", pd_record_get_version (theirs));
  path = g_strconcat ("/api/v1/partner/", fx.partner_id, NULL);
  g_assert_cmpuint (pd_test_server_request (fx.server, "PUT", path, "application/json", body,
                                            (const char *const[]){ "Authorization", auth,
                                                                   "If-Match", version,
                                                                   "Idempotency-Key", key, NULL },
                                            &answer, NULL),
                    ==, 200);

  /* And so does this desktop, before it pulled theirs. */
  g_assert_true (pd_window_select_partner (fx.window, fx.partner_id));
  gtk_widget_activate_action (GTK_WIDGET (fx.window), "win.edit-partner", NULL);
  editor = pd_test_wait_for_widget (pd_test_is_window_titled, "Edit Partner");
  pd_test_type_into (editor, "Representative phone", "+49 30 333");
  g_object_add_weak_pointer (G_OBJECT (editor), (gpointer *)&editor);
  pd_test_click_button (editor, "Save");
  PD_WAIT_UNTIL (editor == NULL);

  PD_WAIT_UNTIL (pd_sync_get_n_conflicts (sync) == 1);
  PD_WAIT_UNTIL (status_starts ("1 conflict"));

  pd_test_click (pd_test_find_required (GTK_WIDGET (sync_button ()), pd_test_is_a, "GtkButton"));
  dialog = pd_test_wait_for_widget (pd_test_is_window_titled, "Conflicts");
  pd_test_find_required (dialog, pd_test_is_label, PARTNER_NAME);
  pd_test_find_required (dialog, pd_test_is_label_containing, "Mine: +49 30 333");
  pd_test_find_required (dialog, pd_test_is_label_containing, "Theirs: +49 30 222");
  g_object_add_weak_pointer (G_OBJECT (dialog), (gpointer *)&dialog);
  pd_test_click_button (dialog, "Keep mine for Representative phone");
  PD_WAIT_UNTIL (dialog == NULL);
  PD_WAIT_UNTIL (pd_sync_get_n_conflicts (sync) == 0);

  WAIT_POLLING (server_partner_field_is ("rep_phone", "+49 30 333"));
  PD_WAIT_UNTIL (status_starts ("Synced"));
}

/* Signed in, the Team page lists the owner; an invited member reaches the server. */
static void
test_team_signed_in (void)
{
  GtkWidget *prefs;

  if (!need_server ())
    return;
  prefs = open_preferences ("team");
  pd_test_wait_for_widget (pd_test_is_row, OWNER_NAME);
  pd_test_type_into (prefs, "Name", MEMBER_NAME);
  pd_test_type_into (prefs, "Email", MEMBER_EMAIL);
  pd_test_click_button (prefs, "Invite");
  permission_check (prefs, MEMBER_NAME, "Edit partners");
  close_window (prefs);
  WAIT_POLLING (server_has_member ());
}

static gboolean
server_owner_lacks (const char *permission)
{
  g_autoptr (PdRecord) owner = server_practice_user (OWNER_EMAIL);

  return owner != NULL && !has_permission_text (owner, permission);
}

static GtkWidget *
add_partner_button (void)
{
  return pd_test_find_required (GTK_WIDGET (fx.window), pd_test_is_button, "Add Partner");
}

/* Without view_patient_data the People tab goes; without edit_partners, adding and editing.
 * The engine follows the signed-in user's record (its next round): no new sign-in. */
static void
test_permissions (void)
{
  PdSync    *sync = pd_window_get_sync (fx.window);
  GtkWidget *prefs;

  if (!need_server ())
    return;
  g_assert_true (pd_window_select_partner (fx.window, fx.partner_id));
  g_assert_true (people_tab_visible ());
  prefs = open_preferences ("team");
  pd_test_click (permission_check (prefs, OWNER_NAME, "View patient data"));
  pd_test_click (permission_check (prefs, OWNER_NAME, "Edit partners"));
  close_window (prefs);
  WAIT_POLLING (server_owner_lacks ("view_patient_data") && server_owner_lacks ("edit_partners"));

  PD_WAIT_UNTIL (!pd_sync_has_permission (sync, "view_patient_data"));
  g_assert_false (pd_sync_has_permission (sync, "edit_partners"));
  g_assert_true (pd_sync_has_permission (sync, "manage_team"));
  PD_WAIT_UNTIL (!people_tab_visible ());
  PD_WAIT_UNTIL (!gtk_widget_get_sensitive (add_partner_button ()));
  gtk_widget_activate_action (GTK_WIDGET (fx.window), "win.edit-partner", NULL);
  for (guint i = 0; i < 20; i++)
    pd_test_iterate ();
  g_assert_null (pd_test_find_anywhere (pd_test_is_window_titled, "Edit Partner"));

  /* Team is still theirs: give the permissions back. */
  prefs = open_preferences ("team");
  pd_test_click (permission_check (prefs, OWNER_NAME, "View patient data"));
  pd_test_click (permission_check (prefs, OWNER_NAME, "Edit partners"));
  close_window (prefs);
  WAIT_POLLING (!server_owner_lacks ("view_patient_data") && !server_owner_lacks ("edit_partners"));
}

/* Sign Out asks, then the desktop is local only again, every record still there, the token
 * forgotten, and everything allowed again. */
static void
test_sign_out (void)
{
  gint64 partners = pd_store_count (fx.store, &pd_partner_type);

  if (!need_server ())
    return;
  sign_out_through_page ();
  g_assert_cmpint (pd_store_count (fx.store, &pd_partner_type), ==, partners);
  g_assert_true (pd_window_select_partner (fx.window, fx.partner_id));
  if (fx.secret_service)
    WAIT_POLLING (keyring_token () == NULL);
  PD_WAIT_UNTIL (people_tab_visible ());
  PD_WAIT_UNTIL (gtk_widget_get_sensitive (add_partner_button ()));
}

int
main (int argc, char *argv[])
{
  g_autoptr (GError) error = NULL;
  int status;

  pd_test_ui_init (&argc, &argv);
  pd_test_wait_seconds = 20;
  g_assert_cmpint (argc, >=, 2);
  fx.server = pd_test_server_new (argv[1]);

  fx.dir = pd_test_make_dir ("test-sync-ui-XXXXXX", &fx.path);
  start_keyring ();
  if (!fx.secret_service)
    g_setenv ("PD_SYNC_NO_SECRET_SERVICE", "1", TRUE);
  g_test_message ("token storage: %s", fx.secret_service
                                           ? "gnome-keyring-daemon (libsecret)"
                                           : "in memory (PD_SYNC_NO_SECRET_SERVICE=1)");
  fx.server_ready = start_server ();

  fx.store = pd_store_open (fx.path, &error);
  g_assert_no_error (error);
  fx.app = pd_test_register_app ();
  pd_test_show_window (fx.app, fx.store, 0, 0, &fx.window);

  g_test_add_func ("/sync-ui/local-only-status", test_local_only_status);
  g_test_add_func ("/sync-ui/account-validation", test_account_validation);
  g_test_add_func ("/sync-ui/team-local", test_team_local);
  g_test_add_func ("/sync-ui/local-partner", test_local_partner);
  g_test_add_func ("/sync-ui/sign-in-wrong-password", test_sign_in_wrong_password);
  g_test_add_func ("/sync-ui/sign-in", test_sign_in);
  g_test_add_func ("/sync-ui/resend-invitations", test_resend_invitations);
  g_test_add_func ("/sync-ui/conflict", test_conflict);
  g_test_add_func ("/sync-ui/team-signed-in", test_team_signed_in);
  g_test_add_func ("/sync-ui/permissions", test_permissions);
  g_test_add_func ("/sync-ui/sign-out", test_sign_out);
  status = g_test_run ();

  pd_test_destroy_window (&fx.window);
  g_clear_object (&fx.app);
  g_clear_object (&fx.store);
  g_clear_pointer (&fx.server, pd_test_server_free);
  pd_test_stop_process (&fx.keyring, SIGTERM);
  pd_test_remove_tree (fx.dir);
  g_free (fx.partner_id);
  g_free (fx.path);
  g_free (fx.dir);
  return status;
}
