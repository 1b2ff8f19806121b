/* test-import-ui.c: the eligibility upload flow through the real window under Xvfb: preview
 * and mapping, check, import, upload history, duplicates, cancel, the guard and dates. */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "pd-application.h"
#include "pd-import-dialog.h"
#include "pd-people-page.h"
#include "pd-uploads-page.h"
#include "pd-window.h"
#include "pd-test-ui.h"

#define PARTNER_NAME "Lindqvist Logistics"

static struct
{
  char          *dir;
  char          *path;
  PdApplication *app;
  PdStore       *store;
  PdWindow      *window;
  char          *partner_id;
} fx;

/* Finding widgets as a user sees them (more in pd-test-ui.c) */

static gboolean
button_sensitive (GtkWidget *root, const char *label)
{
  GtkWidget *button = pd_test_find_in (root, pd_test_is_button, label);

  return button != NULL && gtk_widget_is_sensitive (button);
}

/* The data, from the store (not from the window) */

static GPtrArray *
people (void)
{
  g_autoptr (GError) error = NULL;
  GPtrArray *list = pd_store_list (fx.store, &pd_person_type, "partner_id", fx.partner_id, &error);

  g_assert_no_error (error);
  return list;
}

static guint
n_people (void)
{
  g_autoptr (GPtrArray) list = people ();

  return list->len;
}

static guint
n_with_status (const char *status)
{
  g_autoptr (GPtrArray) list = people ();
  guint n = 0;

  for (guint i = 0; i < list->len; i++)
    n += g_strcmp0 (pd_record_get_string (g_ptr_array_index (list, i), "eligibility_status"),
                    status)
         == 0;
  return n;
}

static guint
n_uploads (void)
{
  g_autoptr (GPtrArray) list
      = pd_store_list (fx.store, &pd_upload_type, "partner_id", fx.partner_id, NULL);

  return list ? list->len : 0;
}

static GFile *
write_file (const char *name, const char *contents)
{
  g_autofree char *path = g_build_filename (fx.dir, name, NULL);
  g_autoptr (GError) error = NULL;

  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
  return g_file_new_for_path (path);
}

/* Seven people, one bad date, and a column nobody asked for. */
#define CENSUS                                                                                     \
  "Member ID,First Name,Last Name,DOB,Relationship,Employee ID,Email,Favourite Colour\r\n"         \
  "M001,Anna,Berg,1980-04-23,Employee,,anna@example.com,blue\r\n"                                  \
  "M002,Jonas,Berg,2012-06-01,Child,M001,,green\r\n"                                               \
  "M003,Carla,Diaz,1975-11-02,Employee,,carla@example.com,red\r\n"                                 \
  "M004,Dmitri,Ivanov,1990-01-15,Employee,,,\r\n"                                                  \
  "M005,Eva,Wolf,1985-07-30,Employee,,eva@example.com,\r\n"                                        \
  "M006,Femi,Okafor,1968-03-09,Employee,,,\r\n"                                                    \
  "M007,Greta,Lund,1999-12-31,Employee,,,\r\n"                                                     \
  "M008,Hugo,Bad,2023-02-30,Employee,,,\r\n"

/* The dialog */

static PdImportDialog *
open_dialog (GFile *file)
{
  PdImportDialog *dialog
      = pd_import_dialog_new (GTK_WINDOW (fx.window), fx.store, fx.partner_id, file);

  gtk_window_present (GTK_WINDOW (dialog));
  PD_WAIT_UNTIL (gtk_widget_get_mapped (GTK_WIDGET (dialog)));
  return dialog;
}

static gboolean
on_page (PdImportDialog *dialog, const char *page)
{
  return g_str_equal (pd_import_dialog_get_page (dialog), page);
}

/* A file whose columns differ from the saved mapping: said, and confirmed. */
static void
confirm_drift (PdImportDialog *dialog, const char *removed)
{
  GtkWidget       *root = GTK_WIDGET (dialog);
  g_autofree char *quoted = g_strdup_printf ("“%s”", removed);

  g_assert_nonnull (
      pd_test_find_in (root, pd_test_is_label_containing, "differ from the mapping saved"));
  g_assert_nonnull (pd_test_find_in (root, pd_test_is_label_containing, quoted));
  g_assert_false (button_sensitive (root, "Check File"));
  pd_test_click_button (root, "Use This Mapping");
  PD_WAIT_UNTIL (button_sensitive (root, "Check File"));
}

static void
close_dialog (PdImportDialog *dialog)
{
  g_object_add_weak_pointer (G_OBJECT (dialog), (gpointer *)&dialog);
  pd_test_click_button (GTK_WIDGET (dialog), "Cancel");
  PD_WAIT_UNTIL (dialog == NULL);
}

/* The cases, in order: each builds on the one before. */

static void
test_upload_button (void)
{
  pd_test_select_tab (GTK_WIDGET (fx.window), "People");
  pd_test_wait_for_widget (pd_test_is_button, "Upload Eligibility File");
}

static void
test_preview_and_mapping (void)
{
  g_autoptr (GFile) file = write_file ("census.csv", CENSUS);
  PdImportDialog        *dialog = open_dialog (file);
  GtkWidget             *root = GTK_WIDGET (dialog);
  const PdImportMapping *mapping;
  GtkWidget             *colour;

  PD_WAIT_UNTIL (on_page (dialog, "preview"));
  /* Every column is listed with its choice; the unknown one is said to be left out. */
  for (const char *const *h
       = (const char *const[]){ "Member ID", "First Name", "Last Name", "DOB", "Relationship",
                                "Employee ID", "Email", "Favourite Colour", NULL };
       *h != NULL; h++)
    g_assert_nonnull (pd_test_find_in (root, pd_test_is_row, *h));
  colour = pd_test_find_in (root, pd_test_is_row, "Favourite Colour");
  g_assert_nonnull (pd_test_find_in (colour, pd_test_is_label, "Not imported"));
  g_assert_null (pd_test_find_in (pd_test_find_in (root, pd_test_is_row, "DOB"), pd_test_is_label,
                                  "Not imported"));
  mapping = pd_import_dialog_get_mapping (dialog);
  g_assert_cmpstr (pd_import_mapping_get_target (mapping, 3), ==, "date_of_birth");
  g_assert_cmpstr (pd_import_mapping_get_target (mapping, 5), ==, "employee_member_id");
  g_assert_null (pd_import_mapping_get_target (mapping, 7));
  /* The first rows are shown. */
  g_assert_nonnull (pd_test_find_in (root, pd_test_is_label, "Dmitri"));
  g_assert_nonnull (pd_test_find_in (root, pd_test_is_label, "2023-02-30"));
  g_assert_true (button_sensitive (root, "Check File"));

  /* Unmapping a required field stops the check and says which. */
  pd_test_choose_in_dropdown (root, "Field for column “DOB”", "Ignore");
  PD_WAIT_UNTIL (pd_test_find_in (root, pd_test_is_label_containing, "“Date of birth”") != NULL);
  g_assert_false (button_sensitive (root, "Check File"));
  pd_test_choose_in_dropdown (root, "Field for column “DOB”", "Date of birth");
  PD_WAIT_UNTIL (button_sensitive (root, "Check File"));

  /* Check: nothing changes, the counts and the rejected row are shown. */
  pd_test_click_button (root, "Check File");
  PD_WAIT_UNTIL (on_page (dialog, "result"));
  g_assert_nonnull (pd_test_find_in (root, pd_test_is_label,
                                     "7 new, 0 updated, 0 unchanged, 0 terminated, 1 rejected"));
  g_assert_nonnull (pd_test_find_in (root, pd_test_is_label_containing, "2023-02-30"));
  g_assert_nonnull (pd_test_find_in (root, pd_test_is_label_containing, "line 9"));
  g_assert_true (button_sensitive (root, "Save Rejected Rows…"));
  g_assert_cmpuint (n_people (), ==, 0);
  g_assert_cmpuint (n_uploads (), ==, 0);

  /* Import: the people are there, and the dialog says so. */
  pd_test_click_button (root, "Import");
  PD_WAIT_UNTIL (on_page (dialog, "done"));
  g_assert_nonnull (pd_test_find_in (root, pd_test_is_label, "Imported"));
  g_assert_cmpuint (n_people (), ==, 7);
  g_assert_cmpuint (n_with_status ("eligible"), ==, 7);
  g_assert_cmpuint (n_uploads (), ==, 1);
  {
    g_autoptr (GPtrArray) list = people ();
    gboolean found = FALSE;

    for (guint i = 0; i < list->len; i++)
      {
        PdRecord *p = g_ptr_array_index (list, i);

        if (g_strcmp0 (pd_record_get_string (p, "member_id"), "M002") == 0)
          {
            found = TRUE;
            g_assert_cmpstr (pd_record_get_string (p, "first_name"), ==, "Jonas");
            g_assert_cmpstr (pd_record_get_string (p, "relationship"), ==, "child");
            g_assert_cmpstr (pd_record_get_string (p, "employee_member_id"), ==, "M001");
            g_assert_cmpstr (pd_record_get_string (p, "date_of_birth"), ==, "2012-06-01");
          }
      }
    g_assert_true (found);
  }
  g_object_add_weak_pointer (G_OBJECT (dialog), (gpointer *)&dialog);
  pd_test_click_button (root, "Close");
  PD_WAIT_UNTIL (dialog == NULL);
}

/* Answers the file chooser a native dialog falls back to (no portal under Xvfb) with
 * NAME in the test's folder. */
static char *
save_through_chooser (const char *name)
{
  GtkWidget *chooser = pd_test_wait_for_widget (pd_test_is_type, "GtkFileChooserDialog");
  g_autoptr (GFile) folder = g_file_new_for_path (fx.dir);
  g_autoptr (GError) error = NULL;
  gint64 settled = g_get_monotonic_time () + G_USEC_PER_SEC / 2;

  /* Changing the folder while the chooser still loads its first one makes GTK 4.8 show an
   * error: let it settle first. */
  PD_WAIT_UNTIL (g_get_monotonic_time () > settled);
  g_assert_true (gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (chooser), folder, &error));
  g_assert_no_error (error);
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), name);
  settled = g_get_monotonic_time () + G_USEC_PER_SEC / 2;
  PD_WAIT_UNTIL (g_get_monotonic_time () > settled);
  gtk_dialog_response (GTK_DIALOG (chooser), GTK_RESPONSE_ACCEPT);
  return g_build_filename (fx.dir, name, NULL);
}

static gboolean
file_has (const char *path, const char *wanted, gboolean exactly)
{
  g_autofree char *contents = NULL;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return FALSE;
  return exactly ? g_str_equal (contents, wanted) : strstr (contents, wanted) != NULL;
}

static void
test_views_follow (void)
{
  GtkWidget *page;

  /* The People tab reloaded by itself (::collection-changed). */
  pd_test_select_tab (GTK_WIDGET (fx.window), "People");
  page = pd_test_find_in (GTK_WIDGET (fx.window), pd_test_is_type, "PdPeoplePage");
  g_assert_nonnull (page);
  PD_WAIT_UNTIL (
      g_list_model_get_n_items (G_LIST_MODEL (pd_people_page_get_model (PD_PEOPLE_PAGE (page))))
      == 7);

  pd_test_select_tab (GTK_WIDGET (fx.window), "Upload History");
  page = pd_test_find_in (GTK_WIDGET (fx.window), pd_test_is_type, "PdUploadsPage");
  g_assert_nonnull (page);
  PD_WAIT_UNTIL (g_list_model_get_n_items (pd_uploads_page_get_model (PD_UPLOADS_PAGE (page)))
                 == 1);
  pd_test_wait_for_widget (pd_test_is_label, "census.csv");
  g_assert_true (button_sensitive (page, "Show Rejected Rows"));

  /* Save a Copy: the original bytes, byte for byte. */
  {
    g_autofree char *copy = NULL;

    pd_test_click_button (page, "Save a Copy…");
    copy = save_through_chooser ("copy-of-census.csv");
    PD_WAIT_UNTIL (file_has (copy, CENSUS, TRUE));
  }

  pd_test_click_button (page, "Show Rejected Rows");
  pd_test_wait_for_widget (pd_test_is_label_containing, "2023-02-30");
  {
    GtkWidget       *window = pd_test_wait_for_widget (pd_test_is_type, "AdwWindow");
    g_autofree char *saved = NULL;

    /* The rejected rows as CSV. */
    pd_test_click_button (window, "Save Rejected Rows…");
    saved = save_through_chooser ("rejected.csv");
    PD_WAIT_UNTIL (file_has (saved, "2023-02-30", FALSE));
    g_object_add_weak_pointer (G_OBJECT (window), (gpointer *)&window);
    gtk_window_close (GTK_WINDOW (window));
    PD_WAIT_UNTIL (window == NULL);
  }

  pd_test_select_tab (GTK_WIDGET (fx.window), "History");
  pd_test_wait_for_widget (pd_test_is_label_containing, "Imported “census.csv”");
  pd_test_wait_for_widget (pd_test_is_label_containing,
                           "created 7, updated 0, unchanged 0, terminated 0, rejected 1");
}

static void
test_duplicate (void)
{
  g_autoptr (GFile) file = write_file ("census-again.csv", CENSUS);
  PdImportDialog *dialog = open_dialog (file);

  /* Said before anything happens, with the way to go on anyway. */
  PD_WAIT_UNTIL (on_page (dialog, "duplicate"));
  g_assert_nonnull (
      pd_test_find_in (GTK_WIDGET (dialog), pd_test_is_label_containing, "already uploaded"));
  g_assert_true (button_sensitive (GTK_WIDGET (dialog), "Import Anyway"));
  close_dialog (dialog);
  g_assert_cmpuint (n_uploads (), ==, 1);
}

/* A big file, so the import has something to cancel. */
static GFile *
write_big_file (void)
{
  g_autoptr (GString) text = g_string_new (CENSUS);

  for (guint i = 0; i < 20000; i++)
    g_string_append_printf (text, "X%05u,Person,Number%u,1970-01-01,Employee,,,\n", i, i);
  return write_file ("big.csv", text->str);
}

static void
test_cancel (void)
{
  g_autoptr (GFile) file = write_big_file ();
  PdImportDialog *dialog = open_dialog (file);
  GtkWidget      *root = GTK_WIDGET (dialog);

  PD_WAIT_UNTIL (on_page (dialog, "preview"));
  pd_test_click_button (root, "Check File");
  PD_WAIT_UNTIL (on_page (dialog, "result"));
  g_assert_true (
      pd_test_find_in (root, pd_test_is_label,
                       "20,000 new, 0 updated, 7 unchanged, 0 terminated, 1 rejected")
      || pd_test_find_in (root, pd_test_is_label,
                          "20000 new, 0 updated, 7 unchanged, 0 terminated, 1 rejected"));

  /* Cancel at once: the worker stops and rolls back. (A button emits ::clicked a moment
   * after gtk_widget_activate; the actions behind Import and Cancel act at once.) */
  g_assert_true (button_sensitive (root, "Import"));
  g_assert_true (gtk_widget_activate_action (root, "import.primary", NULL));
  g_assert_true (on_page (dialog, "progress"));
  g_assert_true (button_sensitive (root, "Cancel"));
  g_assert_true (gtk_widget_activate_action (root, "import.escape", NULL));
  PD_WAIT_UNTIL (on_page (dialog, "result"));
  g_assert_nonnull (pd_test_find_in (root, pd_test_is_label_containing, "cancelled"));
  g_assert_cmpuint (n_people (), ==, 7);
  g_assert_cmpuint (n_uploads (), ==, 1);

  /* Escape during a check cancels it too, and leaves the dialog open. */
  pd_test_click_button (root, "Back");
  PD_WAIT_UNTIL (on_page (dialog, "preview"));
  g_assert_true (gtk_widget_activate_action (root, "import.primary", NULL));
  g_assert_true (on_page (dialog, "progress"));
  g_assert_true (gtk_widget_activate_action (root, "import.escape", NULL));
  PD_WAIT_UNTIL (on_page (dialog, "preview"));
  g_assert_nonnull (pd_test_find_in (root, pd_test_is_label_containing, "cancelled"));
  close_dialog (dialog);
  g_assert_cmpuint (n_people (), ==, 7);
}

static void
test_guard (void)
{
  g_autoptr (GFile) file
      = write_file ("only-anna.csv", "Member ID,First Name,Last Name,DOB,Relationship\n"
                                     "M001,Anna,Berg,1980-04-23,Employee\n");
  PdImportDialog *dialog = open_dialog (file);
  GtkWidget      *root = GTK_WIDGET (dialog);
  GtkWidget      *question;

  PD_WAIT_UNTIL (on_page (dialog, "preview"));
  confirm_drift (dialog, "Favourite Colour");
  adw_action_row_activate (ADW_ACTION_ROW (pd_test_find_in (root, pd_test_is_row, "Full")));
  PD_WAIT_UNTIL (pd_test_find_in (root, pd_test_is_row, "End their coverage on (YYYY-MM-DD)")
                 != NULL);
  pd_test_click_button (root, "Check File");

  /* Six of the seven eligible people would go: it asks, naming the numbers. */
  question = pd_test_wait_for_widget (pd_test_is_message_dialog, "End Coverage for Many People?");
  g_assert_nonnull (strstr (adw_message_dialog_get_body (ADW_MESSAGE_DIALOG (question)), "6 of 7"));
  pd_test_click_button (question, "Cancel");
  PD_WAIT_UNTIL (on_page (dialog, "preview")
                 && pd_test_find_in (root, pd_test_is_label_containing, "Nothing was changed")
                        != NULL);

  pd_test_click_button (root, "Check File");
  question = pd_test_wait_for_widget (pd_test_is_message_dialog, "End Coverage for Many People?");
  pd_test_click_button (question, "Terminate Them");
  PD_WAIT_UNTIL (on_page (dialog, "result"));
  g_assert_nonnull (
      pd_test_find_in (root, pd_test_is_label_containing, "6 terminated, 0 rejected"));
  close_dialog (dialog);
  g_assert_cmpuint (n_with_status ("eligible"), ==, 7);
  g_assert_cmpuint (n_uploads (), ==, 1);
}

static void
test_ambiguous_dates (void)
{
  g_autoptr (GFile) file
      = write_file ("slashes.csv", "Member ID,First Name,Last Name,DOB,Relationship\n"
                                   "A100,Ines,Vogel,03/04/1980,Employee\n"
                                   "A101,Jan,Kral,05/06/1991,Employee\n");
  PdImportDialog *dialog = open_dialog (file);
  GtkWidget      *root = GTK_WIDGET (dialog);

  PD_WAIT_UNTIL (on_page (dialog, "preview"));
  confirm_drift (dialog, "Email");
  pd_test_click_button (root, "Check File");
  /* Asked, and the check waits for the answer. */
  PD_WAIT_UNTIL (on_page (dialog, "preview")
                 && pd_test_find_in (root, pd_test_is_row, "Order of the dates") != NULL);
  g_assert_false (button_sensitive (root, "Check File"));
  pd_test_choose_in_dropdown (root, "Order of the dates", "Day first (DD/MM/YYYY)");
  PD_WAIT_UNTIL (button_sensitive (root, "Check File"));
  pd_test_click_button (root, "Check File");
  PD_WAIT_UNTIL (on_page (dialog, "result"));
  pd_test_click_button (root, "Import");
  PD_WAIT_UNTIL (on_page (dialog, "done"));
  {
    g_autoptr (GPtrArray) list = people ();
    gboolean found = FALSE;

    for (guint i = 0; i < list->len; i++)
      if (g_strcmp0 (pd_record_get_string (g_ptr_array_index (list, i), "member_id"), "A100") == 0)
        {
          g_assert_cmpstr (pd_record_get_string (g_ptr_array_index (list, i), "date_of_birth"), ==,
                           "1980-04-03");
          found = TRUE;
        }
    g_assert_true (found);
  }
  g_object_add_weak_pointer (G_OBJECT (dialog), (gpointer *)&dialog);
  pd_test_click_button (root, "Close");
  PD_WAIT_UNTIL (dialog == NULL);
}

/* The window's own button: it opens the flow and the file chooser; the result is a toast. */
static void
test_from_window (void)
{
  g_autoptr (GFile) file
      = write_file ("from-window.csv", "Member ID,First Name,Last Name,DOB,Relationship\n"
                                       "W200,Kim,Park,1982-02-02,Employee\n");
  GtkWidget      *chooser;
  PdImportDialog *dialog;

  pd_test_select_tab (GTK_WIDGET (fx.window), "People");
  pd_test_click_button (GTK_WIDGET (fx.window), "Upload Eligibility File");
  dialog = PD_IMPORT_DIALOG (pd_test_wait_for_widget (pd_test_is_type, "PdImportDialog"));
  g_object_add_weak_pointer (G_OBJECT (dialog), (gpointer *)&dialog);
  chooser = pd_test_wait_for_widget (pd_test_is_type, "GtkFileChooserDialog");
  /* As if the file had been chosen; then the chooser goes away. */
  pd_import_dialog_set_file (dialog, file);
  gtk_window_close (GTK_WINDOW (chooser));
  PD_WAIT_UNTIL (dialog != NULL && on_page (dialog, "preview"));
  g_assert_true (button_sensitive (GTK_WIDGET (dialog), "Check File"));
  pd_test_click_button (GTK_WIDGET (dialog), "Check File");
  PD_WAIT_UNTIL (on_page (dialog, "result"));
  pd_test_click_button (GTK_WIDGET (dialog), "Import");
  PD_WAIT_UNTIL (dialog == NULL);
  pd_test_wait_for_widget (pd_test_is_label_containing, "Imported “from-window.csv”");
  g_assert_cmpuint (n_people (), ==, 10);
}

/* Set-up: a real database file with one employer, and the registered application */

static void
create_partner (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (PdRecord) partner = pd_record_new (&pd_partner_type);

  pd_record_set_string (partner, "kind", "employer");
  pd_record_set_string (partner, "name", PARTNER_NAME);
  g_assert_true (pd_store_save (fx.store, partner, &error));
  g_assert_no_error (error);
  fx.partner_id = g_strdup (pd_record_get_id (partner));
}

static void
open_window (void)
{
  g_autoptr (GError) error = NULL;

  fx.store = pd_store_open (fx.path, &error);
  g_assert_no_error (error);
  create_partner ();
  pd_test_show_window (fx.app, fx.store, 0, 0, &fx.window);
  g_assert_true (pd_window_select_partner (fx.window, fx.partner_id));
}

int
main (int argc, char *argv[])
{
  int status;

  pd_test_ui_init (&argc, &argv);

  fx.dir = pd_test_make_dir ("test-import-ui-XXXXXX", &fx.path);
  fx.app = pd_test_register_app ();
  open_window ();

  g_test_add_func ("/import-ui/upload-button", test_upload_button);
  g_test_add_func ("/import-ui/preview-check-import", test_preview_and_mapping);
  g_test_add_func ("/import-ui/views-follow", test_views_follow);
  g_test_add_func ("/import-ui/duplicate", test_duplicate);
  g_test_add_func ("/import-ui/cancel", test_cancel);
  g_test_add_func ("/import-ui/guard", test_guard);
  g_test_add_func ("/import-ui/ambiguous-dates", test_ambiguous_dates);
  g_test_add_func ("/import-ui/from-window", test_from_window);
  status = g_test_run ();

  pd_test_destroy_window (&fx.window);
  g_clear_object (&fx.store);
  g_clear_object (&fx.app);
  pd_test_remove_tree (fx.dir);
  g_free (fx.partner_id);
  g_free (fx.path);
  g_free (fx.dir);
  return status;
}
