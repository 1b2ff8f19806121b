/* test-window.c: the real main window under Xvfb, driven like a user: add, validate, edit,
 * search and filter, delete and undo, portal users, history, and a restart. */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "pd-application.h"
#include "pd-partner-sidebar.h"
#include "pd-window.h"
#include "pd-test-ui.h"

#define PARTNER_NAME "Zephyr Occupational Health"
#define PARTNER_CITY "Quedlinburg"
#define USER_NAME "Ines Vogelsang"

/* One window over one database file, restarted in the middle of the run. */
static struct
{
  char          *dir;
  char          *path;
  PdApplication *app;
  PdStore       *store;
  PdWindow      *window;
  char          *partner_id;
} fx;

/* Finding widgets as a user sees them (more in pd-test-ui.c). */

static gboolean
is_search_entry (GtkWidget *widget, const char *text)
{
  g_autofree char *placeholder = NULL;

  if (!GTK_IS_SEARCH_ENTRY (widget))
    return FALSE;
  g_object_get (widget, "placeholder-text", &placeholder, NULL);
  return pd_test_text_equal (placeholder, text);
}

/* Acting like a user */

static GtkWidget *
wait_for_editor (const char *title)
{
  return pd_test_wait_for_widget (pd_test_is_window_titled, title);
}

static void
save_editor (GtkWidget *editor)
{
  g_object_add_weak_pointer (G_OBJECT (editor), (gpointer *)&editor);
  pd_test_click_button (editor, "Save");
  PD_WAIT_UNTIL (editor == NULL);
}

static const char *
row_value (GtkWidget *root, const char *row_title)
{
  GtkWidget *row = pd_test_find_in (root, pd_test_is_row, row_title);
  GtkWidget *value = NULL;

  if (row == NULL)
    return NULL;
  /* The value is the row's last label that is not its title. */
  for (GtkWidget *w = row; w != NULL; w = gtk_widget_get_first_child (w))
    for (GtkWidget *c = gtk_widget_get_first_child (w); c != NULL;
         c = gtk_widget_get_next_sibling (c))
      if (GTK_IS_LABEL (c) && !pd_test_text_equal (gtk_label_get_text (GTK_LABEL (c)), row_title))
        value = c;
  return value ? gtk_label_get_text (GTK_LABEL (value)) : NULL;
}

static gboolean
is_sidebar (GtkWidget *widget, const char *text)
{
  return PD_IS_PARTNER_SIDEBAR (widget);
}

static GtkWidget *
sidebar (void)
{
  GtkWidget *found = pd_test_find_required (GTK_WIDGET (fx.window), is_sidebar, NULL);
  return found;
}

static GtkEditable *
search_entry (void)
{
  GtkWidget *entry;

  gtk_widget_activate_action (GTK_WIDGET (fx.window), "win.search", NULL);
  entry = pd_test_wait_for_widget (is_search_entry, "Search partners");
  return GTK_EDITABLE (entry);
}

/* What the list should show, computed from the store, not from the window. */
static guint
expected_count (const char *needle, const char *kind, const char *status)
{
  g_autoptr (GPtrArray) all = pd_store_list (fx.store, &pd_partner_type, NULL, NULL, NULL);
  const char      *fields[] = { "name", "hq_city", "industry", "rep_name" };
  g_autofree char *folded = needle ? g_utf8_casefold (needle, -1) : NULL;
  guint            n = 0;

  for (guint i = 0; i < all->len; i++)
    {
      PdRecord *p = g_ptr_array_index (all, i);
      gboolean  hit = folded == NULL;

      if (kind && g_strcmp0 (pd_record_get_string (p, "kind"), kind) != 0)
        continue;
      if (status && g_strcmp0 (pd_record_get_string (p, "status"), status) != 0)
        continue;
      for (guint f = 0; f < G_N_ELEMENTS (fields) && !hit; f++)
        {
          const char      *value = pd_record_get_string (p, fields[f]);
          g_autofree char *v = value ? g_utf8_casefold (value, -1) : NULL;

          hit = v != NULL && strstr (v, folded) != NULL;
        }
      n += hit;
    }
  return n;
}

static const char *
some_city (void)
{
  g_autoptr (GPtrArray) all = pd_store_list (fx.store, &pd_partner_type, NULL, NULL, NULL);
  static char city[256];

  for (guint i = 0; i < all->len; i++)
    {
      const char *value = pd_record_get_string (g_ptr_array_index (all, i), "hq_city");

      if (value != NULL && g_strcmp0 (value, PARTNER_CITY) != 0)
        {
          g_strlcpy (city, value, sizeof city);
          return city;
        }
    }
  g_error ("no partner of the sample practice has a city");
}

static char *
count_text (guint shown, guint total)
{
  if (shown == total)
    return g_strdup_printf (total == 1 ? "%u partner" : "%u partners", total);
  return g_strdup_printf (total == 1 ? "%u of %u partner" : "%u of %u partners", shown, total);
}

static gboolean
count_shows (guint shown)
{
  g_autofree char *text = count_text (shown, (guint)pd_store_count (fx.store, &pd_partner_type));

  return pd_test_find_in (GTK_WIDGET (fx.window), pd_test_is_label, text) != NULL;
}

static const char *
selected_name (void)
{
  PdRecord *partner = pd_window_get_partner (fx.window);

  return partner ? pd_record_get_title (partner) : "";
}

/* Set-up: a real database file and a registered application */

static void
open_window (void)
{
  g_autoptr (GError) error = NULL;

  fx.store = pd_store_open (fx.path, &error);
  g_assert_no_error (error);
  pd_test_show_window (fx.app, fx.store, 0, 0, &fx.window);
}

static void
close_window (void)
{
  GObject *store = G_OBJECT (fx.store);

  gtk_window_close (GTK_WINDOW (fx.window));
  PD_WAIT_UNTIL (fx.window == NULL);
  g_object_add_weak_pointer (store, (gpointer *)&fx.store);
  g_object_unref (store);
  /* Nothing else may keep the old connection open. */
  PD_WAIT_UNTIL (fx.store == NULL);
}

/* The cases, in order: each builds on the one before. */

static void
test_empty_and_sample_data (void)
{
  pd_test_wait_for_widget (pd_test_is_label, "No Partners Yet");
  pd_test_click_button (NULL, "Load Sample Data");
  PD_WAIT_UNTIL (pd_store_count (fx.store, &pd_partner_type) >= 40
                 && pd_test_find_anywhere (pd_test_is_label_containing, "Sample data loaded")
                        != NULL);
  PD_WAIT_UNTIL (count_shows ((guint)pd_store_count (fx.store, &pd_partner_type)));
  g_assert_null (pd_test_find_anywhere (pd_test_is_label, "No Partners Yet"));
}

static void
test_add_with_validation (void)
{
  GtkWidget *editor;
  GtkWidget *save;
  GtkWidget *email_row;
  guint      before = (guint)pd_store_count (fx.store, &pd_partner_type);

  pd_test_click_button (GTK_WIDGET (fx.window), "Add Partner");
  editor = wait_for_editor ("Add Partner");
  pd_test_type_into (editor, "Company name", PARTNER_NAME);
  pd_test_type_into (editor, "City", PARTNER_CITY);
  pd_test_type_into (editor, "Employee count", "120");

  /* A bad email: its error shows beside the field and Save is insensitive. */
  pd_test_type_into (editor, "Billing contact email", "billing-at-zephyr");
  save = pd_test_find_in (editor, pd_test_is_button, "Save");
  email_row = pd_test_find_in (editor, pd_test_is_entry_row, "Billing contact email");
  PD_WAIT_UNTIL (!gtk_widget_is_sensitive (save));
  g_assert_true (gtk_widget_has_css_class (email_row, "error"));

  pd_test_type_into (editor, "Billing contact email", "billing@zephyr-health.example");
  PD_WAIT_UNTIL (gtk_widget_is_sensitive (save));
  g_assert_false (gtk_widget_has_css_class (email_row, "error"));
  save_editor (editor);

  g_assert_cmpint (pd_store_count (fx.store, &pd_partner_type), ==, before + 1);
  PD_WAIT_UNTIL (g_str_equal (selected_name (), PARTNER_NAME));
  fx.partner_id = g_strdup (pd_record_get_id (pd_window_get_partner (fx.window)));
  PD_WAIT_UNTIL (pd_test_find_in (sidebar (), pd_test_is_label, PARTNER_NAME) != NULL);
  PD_WAIT_UNTIL (count_shows (before + 1));
}

static void
test_edit_through_pencil (void)
{
  GtkWidget *editor;
  GtkWidget *save;

  pd_test_click_button (sidebar (), "Edit Partner");
  editor = wait_for_editor ("Edit Partner");
  save = pd_test_find_in (editor, pd_test_is_button, "Save");
  pd_test_type_into (editor, "LinkedIn page", "http://example.com/zephyr");
  PD_WAIT_UNTIL (!gtk_widget_is_sensitive (save));
  pd_test_type_into (editor, "LinkedIn page", "https://www.linkedin.com/company/zephyr-health");
  pd_test_type_into (editor, "Employee count", "250");
  PD_WAIT_UNTIL (gtk_widget_is_sensitive (save));
  save_editor (editor);

  PD_WAIT_UNTIL (g_strcmp0 (row_value (sidebar (), "Employee count"), "250") == 0);
  g_assert_cmpstr (selected_name (), ==, PARTNER_NAME);
}

static void
test_search_and_filter (void)
{
  GtkEditable     *entry = search_entry ();
  g_autofree char *city = NULL;
  guint            total = (guint)pd_store_count (fx.store, &pd_partner_type);
  guint            n;

  gtk_editable_set_text (entry, "quedlin");
  PD_WAIT_UNTIL (count_shows (expected_count ("quedlin", NULL, NULL)));
  g_assert_cmpuint (expected_count ("quedlin", NULL, NULL), ==, 1);
  g_assert_cmpuint (g_list_model_get_n_items (pd_window_get_visible_partners (fx.window)), ==, 1);

  /* A city of the sample practice, typed in capitals: case does not matter. */
  city = g_utf8_strup (some_city (), -1);
  gtk_editable_set_text (entry, city);
  n = expected_count (city, NULL, NULL);
  g_assert_cmpuint (n, >, 0);
  g_assert_cmpuint (n, <, total);
  PD_WAIT_UNTIL (count_shows (n));

  gtk_editable_set_text (entry, "");
  pd_test_choose_in_dropdown (GTK_WIDGET (fx.window), "Filter by kind", "Clinic");
  n = expected_count (NULL, "clinic", NULL);
  g_assert_cmpuint (n, >, 0);
  g_assert_cmpuint (n, <, total);
  PD_WAIT_UNTIL (count_shows (n));

  pd_test_choose_in_dropdown (GTK_WIDGET (fx.window), "Filter by status", "Active");
  n = expected_count (NULL, "clinic", "active");
  PD_WAIT_UNTIL (count_shows (n));

  /* Nothing matches: the list says so and offers to clear everything. */
  gtk_editable_set_text (entry, "no partner is called this");
  pd_test_wait_for_widget (pd_test_is_label, "No Matching Partners");
  pd_test_click_button (GTK_WIDGET (fx.window), "Clear Search and Filters");
  PD_WAIT_UNTIL (count_shows (total));
  g_assert_cmpstr (gtk_editable_get_text (entry), ==, "");
}

static void
test_delete_and_undo (void)
{
  g_autofree char *heading = g_strdup_printf ("Delete “%s”?", PARTNER_NAME);
  g_autofree char *toast = g_strdup_printf ("“%s” deleted", PARTNER_NAME);
  guint            total = (guint)pd_store_count (fx.store, &pd_partner_type);
  GtkWidget       *dialog;

  g_assert_true (pd_window_select_partner (fx.window, fx.partner_id));
  gtk_widget_activate_action (GTK_WIDGET (fx.window), "win.delete-partner", NULL);
  dialog = pd_test_wait_for_widget (pd_test_is_message_dialog, heading);
  pd_test_click_button (dialog, "Delete");

  PD_WAIT_UNTIL (pd_store_count (fx.store, &pd_partner_type) == total - 1);
  PD_WAIT_UNTIL (count_shows (total - 1));
  g_assert_null (pd_window_get_partner (fx.window));
  pd_test_wait_for_widget (pd_test_is_label, "Select a Partner");

  pd_test_wait_for_widget (pd_test_is_label, toast);
  pd_test_click_button (NULL, "Undo");
  PD_WAIT_UNTIL (count_shows (total));
  PD_WAIT_UNTIL (g_str_equal (selected_name (), PARTNER_NAME));
}

static void
test_portal_user (void)
{
  GtkWidget *editor;

  pd_test_select_tab (GTK_WIDGET (fx.window), "Users");
  pd_test_click_button (GTK_WIDGET (fx.window), "Add User");
  editor = wait_for_editor ("Add Partner User");
  pd_test_type_into (editor, "Name", USER_NAME);
  pd_test_type_into (editor, "Email", "ines@zephyr-health.example");
  save_editor (editor);
  pd_test_wait_for_widget (pd_test_is_label, USER_NAME);

  pd_test_select_tab (GTK_WIDGET (fx.window), "History");
  pd_test_wait_for_widget (pd_test_is_label_containing, USER_NAME);
}

static void
test_restart (void)
{
  close_window ();
  open_window ();

  /* The last partner is selected again, with every change. */
  PD_WAIT_UNTIL (g_str_equal (selected_name (), PARTNER_NAME));
  PD_WAIT_UNTIL (g_strcmp0 (row_value (sidebar (), "Employee count"), "250") == 0);
  g_assert_nonnull (pd_test_find_in (sidebar (), pd_test_is_label,
                                     "https://www.linkedin.com/company/zephyr-health"));

  /* Found again by search, too. */
  gtk_editable_set_text (search_entry (), PARTNER_CITY);
  PD_WAIT_UNTIL (count_shows (1));

  pd_test_select_tab (GTK_WIDGET (fx.window), "Users");
  pd_test_wait_for_widget (pd_test_is_label, USER_NAME);
  pd_test_select_tab (GTK_WIDGET (fx.window), "History");
  pd_test_wait_for_widget (pd_test_is_label_containing, "Employee count");
  pd_test_wait_for_widget (pd_test_is_label_containing, USER_NAME);
}

static gboolean
is_window_of_type (GtkWidget *widget, const char *type_name)
{
  return GTK_IS_WINDOW (widget) && g_str_equal (G_OBJECT_TYPE_NAME (widget), type_name);
}

static void
open_and_close (const char *action, const char *type_name)
{
  GtkWidget *window;

  g_test_message ("opening %s", type_name);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fx.window), action, NULL));
  window = pd_test_wait_for_widget (is_window_of_type, type_name);
  g_object_ref (window);
  gtk_window_close (GTK_WINDOW (window));
  PD_WAIT_UNTIL (!gtk_widget_get_mapped (window));
  g_object_unref (window);
}

/* The main menu's windows open, and the shortcuts are the issue's. */
static void
test_menu_and_shortcuts (void)
{
  const struct
  {
    const char *action;
    const char *accel;
  } accels[] = {
    { "win.add-partner", "<Control>n" },  { "win.search", "<Control>f" },
    { "win.edit-partner", "<Control>e" }, { "app.preferences", "<Control>comma" },
    { "app.quit", "<Control>q" },         { "win.show-help-overlay", "<Control>question" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (accels); i++)
    {
      g_auto (GStrv) set
          = gtk_application_get_accels_for_action (GTK_APPLICATION (fx.app), accels[i].action);
      guint           key, wanted_key;
      GdkModifierType mods, wanted_mods;

      g_assert_nonnull (set[0]);
      g_assert_true (gtk_accelerator_parse (set[0], &key, &mods));
      g_assert_true (gtk_accelerator_parse (accels[i].accel, &wanted_key, &wanted_mods));
      g_assert_cmpuint (key, ==, wanted_key);
      g_assert_cmpuint (mods, ==, wanted_mods);
    }

  open_and_close ("win.show-help-overlay", "GtkShortcutsWindow");
  open_and_close ("app.about", "AdwAboutWindow");
  open_and_close ("app.preferences", "PdPreferencesWindow");
}

/* A file that is no database: the window says so instead of showing partners. */
static void
test_unreadable_database (void)
{
  g_autofree char *bad = g_build_filename (fx.dir, "damaged.db", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (PdStore) store = NULL;
  PdWindow *window;

  g_assert_true (g_file_set_contents (bad,
                                      "This is not an SQLite database, not even close.\n"
                                      "It is long enough to have a header.\n",
                                      -1, NULL));
  store = pd_store_open (bad, &error);
  g_assert_null (store);
  g_assert_nonnull (error);

  window = pd_window_new (GTK_APPLICATION (fx.app), NULL, error);
  g_object_add_weak_pointer (G_OBJECT (window), (gpointer *)&window);
  gtk_window_present (GTK_WINDOW (window));
  PD_WAIT_UNTIL (pd_test_find_in (GTK_WIDGET (window), pd_test_is_label, "Cannot Open the Database")
                 != NULL);
  g_assert_nonnull (pd_test_find_in (GTK_WIDGET (window), pd_test_is_label, error->message));
  g_assert_null (pd_test_find_in (GTK_WIDGET (window), is_search_entry, "Search partners"));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.add-partner", NULL);
  g_assert_null (pd_test_find_anywhere (pd_test_is_window_titled, "Add Partner"));
  gtk_window_destroy (GTK_WINDOW (window));
  PD_WAIT_UNTIL (window == NULL);
  g_unlink (bad);
}

int
main (int argc, char *argv[])
{
  int status;

  pd_test_ui_init (&argc, &argv);
  pd_test_wait_seconds = 20;

  fx.dir = pd_test_make_dir ("test-window-XXXXXX", &fx.path);
  fx.app = pd_test_register_app ();
  open_window ();

  g_test_add_func ("/window/empty-and-sample-data", test_empty_and_sample_data);
  g_test_add_func ("/window/add-with-validation", test_add_with_validation);
  g_test_add_func ("/window/edit-through-pencil", test_edit_through_pencil);
  g_test_add_func ("/window/search-and-filter", test_search_and_filter);
  g_test_add_func ("/window/delete-and-undo", test_delete_and_undo);
  g_test_add_func ("/window/portal-user-and-history", test_portal_user);
  g_test_add_func ("/window/restart", test_restart);
  g_test_add_func ("/window/menu-and-shortcuts", test_menu_and_shortcuts);
  g_test_add_func ("/window/unreadable-database", test_unreadable_database);
  status = g_test_run ();

  if (fx.window != NULL)
    close_window ();
  g_clear_object (&fx.app);
  g_free (fx.partner_id);
  pd_test_remove_db (fx.dir, fx.path);
  g_free (fx.path);
  g_free (fx.dir);
  return status;
}
