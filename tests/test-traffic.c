/* test-traffic.c: the Traffic Channels view and the Examinations tab in the real window under Xvfb:
 * switching views and institutions, toggling with the keyboard, Undo, refusals, whole rows. */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "pd-application.h"
#include "pd-exams-page.h"
#include "pd-traffic-view.h"
#include "pd-window.h"
#include "pd-test-ui.h"

static struct
{
  char          *dir;
  char          *path;
  PdApplication *app;
  PdStore       *store;
  PdWindow      *window;
} fx;

/* Finding widgets as a user sees them (more in pd-test-ui.c). */

/* The Undo button of the toast that says TITLE (older toasts may still be fading out). */
static gboolean
is_toast_saying (GtkWidget *widget, const char *title)
{
  return pd_test_is_type (widget, "AdwToastWidget")
         && pd_test_find_in (widget, pd_test_is_label_containing, title) != NULL;
}

static void
click_undo (const char *title)
{
  GtkWidget *toast = pd_test_wait_for_widget (is_toast_saying, title);
  GtkWidget *undo = pd_test_find_required (toast, pd_test_is_button, "Undo");
  gtk_widget_activate (undo);
}

/* Facts from the store, not from the widgets */

static char *
title_of (const PdRecordType *type, const char *id)
{
  g_autoptr (PdRecord) record = pd_store_get (fx.store, type, id, NULL);

  g_assert_nonnull (record);
  return g_strdup (pd_record_get_title (record));
}

static char *
expected_label (const char *exam_id, const char *partner_id, const char *inst_id)
{
  g_autofree char *exam = title_of (&pd_examination_type, exam_id);
  g_autofree char *partner = title_of (&pd_partner_type, partner_id);
  g_autofree char *inst = title_of (&pd_institution_type, inst_id);

  return g_strdup_printf ("%s for %s at %s", exam, partner, inst);
}

static guint
n_changes (void)
{
  g_autoptr (GPtrArray) changes = pd_store_list_changes (fx.store, 0, G_MAXUINT, NULL);

  return changes->len;
}

static const char *
last_change_collection (void)
{
  static char *collection;
  g_autoptr (GPtrArray) changes = pd_store_list_changes (fx.store, 0, G_MAXUINT, NULL);

  g_free (collection);
  collection = g_strdup (((PdChange *)g_ptr_array_index (changes, changes->len - 1))->collection);
  return collection;
}

static guint
n_history (const char *partner_id)
{
  g_autoptr (GPtrArray) entries = pd_store_list_history (fx.store, partner_id, NULL);

  return entries->len;
}

/* The window */

static GtkWidget *
view_stack (void)
{
  GtkWidget *stack
      = pd_test_find_required (GTK_WIDGET (fx.window), pd_test_is_type, "AdwViewStack");
  return stack;
}

static PdTrafficView *
traffic_view (void)
{
  GtkWidget *view
      = pd_test_find_required (GTK_WIDGET (fx.window), pd_test_is_type, "PdTrafficView");
  return PD_TRAFFIC_VIEW (view);
}

static PdTrafficGrid *
grid (void)
{
  return pd_traffic_view_get_grid (traffic_view ());
}

/* Keyboard: the grid's own GtkEventControllerKey receives "key-pressed" as GTK
 * would emit it for a real key press (Xvfb has no input to synthesise). */
static gboolean
press_key (guint keyval, GdkModifierType state)
{
  GListModel *controllers = gtk_widget_observe_controllers (GTK_WIDGET (grid ()));
  gboolean    handled = FALSE;

  for (guint i = 0; i < g_list_model_get_n_items (controllers) && !handled; i++)
    {
      g_autoptr (GtkEventController) controller = g_list_model_get_item (controllers, i);

      if (GTK_IS_EVENT_CONTROLLER_KEY (controller))
        g_signal_emit_by_name (controller, "key-pressed", keyval, 0, state, &handled);
    }
  g_object_unref (controllers);
  return handled;
}

/* Moves the focus cell to (ROW, COLUMN) with Ctrl+Home and arrow keys. */
static void
walk_to (guint row, guint column)
{
  guint r, c;

  g_assert_true (press_key (GDK_KEY_Home, GDK_CONTROL_MASK));
  for (guint i = 0; i < row; i++)
    g_assert_true (press_key (GDK_KEY_Down, 0));
  for (guint i = 0; i < column; i++)
    g_assert_true (press_key (GDK_KEY_Right, 0));
  g_assert_true (pd_traffic_grid_get_focus_cell (grid (), &r, &c));
  g_assert_cmpuint (r, ==, row);
  g_assert_cmpuint (c, ==, column);
}

/* A cell that the store says is (not) blocked (and then off), skipping the first ones. */
static gboolean
find_cell (PdTrafficMatrix *matrix, gboolean blocked, guint *row, guint *column)
{
  const char *inst = pd_traffic_matrix_get_institution_id (matrix);

  for (guint r = 2; r < pd_traffic_matrix_get_n_rows (matrix); r++)
    for (guint c = 1; c < pd_traffic_matrix_get_n_columns (matrix); c++)
      {
        int block
            = pd_traffic_check_cell (fx.store, pd_traffic_matrix_get_partner_id (matrix, c), inst,
                                     pd_traffic_matrix_get_examination_id (matrix, r), NULL);

        g_assert_cmpint (block, >=, 0);
        if (blocked && pd_traffic_matrix_get_enabled (matrix, r, c))
          continue; /* blocked but still on: it may be switched off */
        if ((block != PD_CELL_OK) == blocked)
          {
            *row = r;
            *column = c;
            return TRUE;
          }
      }
  return FALSE;
}

static void
open_window (void)
{
  g_autoptr (GError) error = NULL;

  fx.store = pd_store_open (fx.path, &error);
  g_assert_no_error (error);
  g_assert_true (pd_sample_data_load (fx.store, &error));
  g_assert_no_error (error);
  pd_test_show_window (fx.app, fx.store, 1200, 800, &fx.window);
}

/* The cases, in order */

static void
test_switch_view (void)
{
  PdTrafficMatrix *matrix;

  /* The switcher names the views; Add Partner belongs to Partners only. */
  g_assert_nonnull (pd_test_find_anywhere (pd_test_is_label, "Traffic Channels"));
  g_assert_nonnull (pd_test_find_in (GTK_WIDGET (fx.window), pd_test_is_button, "Add Partner"));
  adw_view_stack_set_visible_child_name (ADW_VIEW_STACK (view_stack ()), "traffic");
  PD_WAIT_UNTIL (gtk_widget_get_mapped (GTK_WIDGET (grid ())));
  PD_WAIT_UNTIL (pd_traffic_grid_get_n_snapshots (grid ()) > 0);
  g_assert_null (pd_test_find_in (GTK_WIDGET (fx.window), pd_test_is_button, "Add Partner"));

  matrix = pd_traffic_view_get_matrix (traffic_view ());
  g_assert_nonnull (matrix);
  g_assert_cmpuint (pd_traffic_matrix_get_n_rows (matrix), >=, 20);
  g_assert_cmpuint (pd_traffic_matrix_get_n_columns (matrix), ==,
                    (guint)pd_store_count (fx.store, &pd_partner_type));
  g_assert_nonnull (pd_test_find_in (GTK_WIDGET (fx.window), pd_test_is_dropdown, "Institution"));

  /* Ctrl+F searches the examinations here, not the partners. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fx.window), "win.search", NULL));
  PD_WAIT_UNTIL (
      gtk_widget_has_focus (gtk_root_get_focus (GTK_ROOT (fx.window)))
      && gtk_widget_get_ancestor (gtk_root_get_focus (GTK_ROOT (fx.window)), GTK_TYPE_SEARCH_ENTRY)
             != NULL
      && gtk_widget_get_ancestor (gtk_root_get_focus (GTK_ROOT (fx.window)), PD_TYPE_TRAFFIC_VIEW)
             != NULL);
}

static void
test_switch_institution (void)
{
  g_autoptr (GPtrArray) institutions
      = pd_store_list (fx.store, &pd_institution_type, NULL, NULL, NULL);
  PdRecord *last = g_ptr_array_index (institutions, institutions->len - 1);
  guint     before = pd_traffic_grid_get_n_snapshots (grid ());

  g_assert_cmpuint (institutions->len, >=, 2);
  pd_test_choose_in_dropdown (GTK_WIDGET (fx.window), "Institution", pd_record_get_title (last));
  PD_WAIT_UNTIL (g_strcmp0 (pd_traffic_matrix_get_institution_id (
                                pd_traffic_view_get_matrix (traffic_view ())),
                            pd_record_get_id (last))
                 == 0);
  PD_WAIT_UNTIL (pd_traffic_grid_get_n_snapshots (grid ()) > before);
  /* And back to the first one for the rest. */
  g_assert_true (pd_traffic_view_set_institution (
      traffic_view (), pd_record_get_id (g_ptr_array_index (institutions, 0))));
  PD_WAIT_UNTIL (g_strcmp0 (pd_traffic_view_get_institution_id (traffic_view ()),
                            pd_record_get_id (g_ptr_array_index (institutions, 0)))
                 == 0);
}

static void
test_toggle_with_keyboard_and_undo (void)
{
  PdTrafficMatrix *matrix = pd_traffic_view_get_matrix (traffic_view ());
  const char      *inst = pd_traffic_matrix_get_institution_id (matrix);
  g_autofree char *exam = NULL;
  g_autofree char *partner = NULL;
  g_autofree char *label = NULL;
  guint            row, column, changes, history, frames;
  gboolean         was;

  g_assert_true (find_cell (matrix, FALSE, &row, &column));
  exam = g_strdup (pd_traffic_matrix_get_examination_id (matrix, row));
  partner = g_strdup (pd_traffic_matrix_get_partner_id (matrix, column));
  was = pd_traffic_is_enabled (fx.store, partner, inst, exam);
  changes = n_changes ();
  history = n_history (partner);

  gtk_widget_grab_focus (GTK_WIDGET (grid ()));
  PD_WAIT_UNTIL (gtk_widget_has_focus (GTK_WIDGET (grid ())));
  walk_to (row, column);
  label = expected_label (exam, partner, inst);
  g_assert_cmpstr (pd_traffic_grid_get_accessible_label (grid ()), ==, label);

  frames = pd_traffic_grid_get_n_snapshots (grid ());
  g_assert_true (press_key (GDK_KEY_space, 0));
  /* Saved at once: store, change log and audit; and drawn. */
  g_assert_cmpint (pd_traffic_is_enabled (fx.store, partner, inst, exam), ==, !was);
  g_assert_cmpint (pd_traffic_matrix_get_enabled (matrix, row, column), ==, !was);
  g_assert_cmpuint (n_changes (), ==, changes + 1);
  g_assert_cmpstr (last_change_collection (), ==, "activation");
  g_assert_cmpuint (n_history (partner), >, history);
  PD_WAIT_UNTIL (pd_traffic_grid_get_n_snapshots (grid ()) > frames);

  /* Undo in the toast restores it. */
  click_undo (label);
  PD_WAIT_UNTIL (pd_traffic_is_enabled (fx.store, partner, inst, exam) == was);
  PD_WAIT_UNTIL (
      pd_traffic_view_get_matrix (traffic_view ()) != NULL
      && pd_traffic_matrix_get_enabled (pd_traffic_view_get_matrix (traffic_view ()), row, column)
             == was);
  g_assert_cmpuint (n_changes (), ==, changes + 2);

  /* Tab leaves the grid (one tab stop, not 100,000). */
  gtk_widget_grab_focus (GTK_WIDGET (grid ()));
  g_assert_true (gtk_widget_child_focus (GTK_WIDGET (fx.window), GTK_DIR_TAB_FORWARD));
  g_assert_false (gtk_widget_has_focus (GTK_WIDGET (grid ())));
  gtk_widget_grab_focus (GTK_WIDGET (grid ()));
}

static void
test_blocked_cell_refuses (void)
{
  PdTrafficMatrix *matrix = pd_traffic_view_get_matrix (traffic_view ());
  const char      *inst = pd_traffic_matrix_get_institution_id (matrix);
  g_autofree char *reason = NULL;
  g_autofree char *tooltip = NULL;
  g_autofree char *exam = NULL;
  g_autofree char *partner = NULL;
  guint            row, column, changes = n_changes ();
  gboolean         was;

  g_assert_true (find_cell (matrix, TRUE, &row, &column));
  exam = g_strdup (pd_traffic_matrix_get_examination_id (matrix, row));
  partner = g_strdup (pd_traffic_matrix_get_partner_id (matrix, column));
  was = pd_traffic_is_enabled (fx.store, partner, inst, exam);
  reason = pd_traffic_matrix_describe_block (matrix, row, column);
  g_assert_nonnull (reason);
  tooltip = pd_traffic_grid_dup_cell_tooltip (grid (), row, column);
  g_assert_nonnull (strstr (tooltip, reason));

  g_assert_false (was);
  walk_to (row, column);
  g_assert_true (press_key (GDK_KEY_space, 0));
  g_assert_false (pd_traffic_is_enabled (fx.store, partner, inst, exam));
  g_assert_cmpuint (n_changes (), ==, changes);
  pd_test_wait_for_widget (pd_test_is_label_containing, reason);
}

static gboolean
row_all_set (const char *exam_id, const char *inst, GPtrArray *partners)
{
  for (guint i = 0; i < partners->len; i++)
    if (!pd_traffic_is_enabled (fx.store, g_ptr_array_index (partners, i), inst, exam_id))
      return FALSE;
  return TRUE;
}

static void
test_whole_row_asks_first (void)
{
  PdTrafficMatrix *matrix = pd_traffic_view_get_matrix (traffic_view ());
  const char      *inst = pd_traffic_matrix_get_institution_id (matrix);
  g_autoptr (GPtrArray) open = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *exam = NULL;
  g_autofree char *heading = NULL;
  g_autofree char *count = NULL;
  guint            row, column, changes = n_changes ();
  GtkWidget       *dialog;

  g_assert_true (find_cell (matrix, FALSE, &row, &column));
  exam = g_strdup (pd_traffic_matrix_get_examination_id (matrix, row));
  /* The cells of the row the store would enable. */
  for (guint c = 0; c < pd_traffic_matrix_get_n_columns (matrix); c++)
    {
      const char *partner = pd_traffic_matrix_get_partner_id (matrix, c);

      if (pd_traffic_check_cell (fx.store, partner, inst, exam, NULL) == PD_CELL_OK
          && !pd_traffic_is_enabled (fx.store, partner, inst, exam))
        g_ptr_array_add (open, g_strdup (partner));
    }
  g_assert_cmpuint (open->len, >, 0);

  walk_to (row, column);
  g_assert_true (press_key (GDK_KEY_Menu, 0));
  PD_WAIT_UNTIL (pd_test_find_anywhere (pd_test_is_label, "Enable for All Partners") != NULL);
  g_assert_true (
      gtk_widget_activate_action (GTK_WIDGET (traffic_view ()), "traffic.set-row", "b", TRUE));
  heading = g_strdup_printf ("Enable “%s” for All Partners?",
                             pd_traffic_matrix_get_examination_name (matrix, row));
  dialog = pd_test_wait_for_widget (pd_test_is_message_dialog, heading);
  count = g_strdup_printf ("%u cell", open->len);
  g_assert_nonnull (strstr (adw_message_dialog_get_body (ADW_MESSAGE_DIALOG (dialog)), count));
  /* Nothing changed while it asks. */
  g_assert_cmpuint (n_changes (), ==, changes);
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), "apply");
  PD_WAIT_UNTIL (row_all_set (exam, inst, open));
  g_assert_cmpuint (n_changes (), ==, changes + open->len);

  g_free (count);
  count = g_strdup_printf ("%u cell%s enabled", open->len, open->len == 1 ? "" : "s");
  click_undo (count);
  PD_WAIT_UNTIL (n_changes () == changes + 2 * open->len);
  for (guint i = 0; i < open->len; i++)
    g_assert_false (pd_traffic_is_enabled (fx.store, g_ptr_array_index (open, i), inst, exam));
}

static void
test_exams_tab_same_state (void)
{
  PdTrafficMatrix *matrix = pd_traffic_view_get_matrix (traffic_view ());
  const char      *inst = pd_traffic_matrix_get_institution_id (matrix);
  g_autofree char *partner = NULL;
  g_autofree char *exam = NULL;
  g_autofree char *label = NULL;
  PdTrafficMatrix *tab;
  GtkWidget       *notebook, *page = NULL, *check;
  guint            row, column;
  gboolean         was;

  g_assert_true (find_cell (matrix, FALSE, &row, &column));
  partner = g_strdup (pd_traffic_matrix_get_partner_id (matrix, column));
  adw_view_stack_set_visible_child_name (ADW_VIEW_STACK (view_stack ()), "partners");
  g_assert_true (pd_window_select_partner (fx.window, partner));
  PD_WAIT_UNTIL (
      (notebook = pd_test_find_in (GTK_WIDGET (fx.window), pd_test_is_type, "GtkNotebook"))
      != NULL);
  for (int i = 0; i < gtk_notebook_get_n_pages (GTK_NOTEBOOK (notebook)); i++)
    if (PD_IS_EXAMS_PAGE (gtk_notebook_get_nth_page (GTK_NOTEBOOK (notebook), i)))
      {
        page = gtk_notebook_get_nth_page (GTK_NOTEBOOK (notebook), i);
        g_assert_cmpstr (gtk_notebook_get_tab_label_text (GTK_NOTEBOOK (notebook), page), ==,
                         "Examinations");
        gtk_notebook_set_current_page (GTK_NOTEBOOK (notebook), i);
      }
  g_assert_nonnull (page);
  PD_WAIT_UNTIL (gtk_widget_get_mapped (page));
  g_assert_true (pd_exams_page_set_institution (PD_EXAMS_PAGE (page), inst));
  PD_WAIT_UNTIL ((tab = pd_exams_page_get_matrix (PD_EXAMS_PAGE (page))) != NULL
                 && g_strcmp0 (pd_traffic_matrix_get_institution_id (tab), inst) == 0);

  /* Every examination shows the store's state. */
  g_assert_cmpuint (pd_traffic_matrix_get_n_columns (tab), ==, 1);
  for (guint r = 0; r < pd_traffic_matrix_get_n_rows (tab); r++)
    g_assert_cmpint (pd_traffic_matrix_get_enabled (tab, r, 0), ==,
                     pd_traffic_is_enabled (fx.store, partner, inst,
                                            pd_traffic_matrix_get_examination_id (tab, r)));

  /* Toggle one there: the store and the Traffic Channels view agree; Undo. */
  exam = g_strdup (pd_traffic_matrix_get_examination_id (matrix, row));
  gtk_widget_activate_action (pd_test_find_in (page, pd_test_is_type, "GtkListView"),
                              "list.scroll-to-item", "u", pd_traffic_matrix_find_row (tab, exam));
  PD_WAIT_UNTIL ((check = pd_exams_page_get_check (PD_EXAMS_PAGE (page), exam)) != NULL);
  label = expected_label (exam, partner, inst);
  g_assert_cmpstr (gtk_check_button_get_label (GTK_CHECK_BUTTON (check)), ==,
                   pd_traffic_matrix_get_examination_name (matrix, row));
  was = pd_traffic_is_enabled (fx.store, partner, inst, exam);
  g_assert_cmpint (gtk_check_button_get_active (GTK_CHECK_BUTTON (check)), ==, was);
  g_assert_true (gtk_widget_activate (check));
  PD_WAIT_UNTIL (pd_traffic_is_enabled (fx.store, partner, inst, exam) == !was);
  click_undo (label);
  PD_WAIT_UNTIL (pd_traffic_is_enabled (fx.store, partner, inst, exam) == was);
}

int
main (int argc, char *argv[])
{
  int status;

  pd_test_ui_init (&argc, &argv);
  pd_test_wait_seconds = 20;

  fx.dir = pd_test_make_dir ("test-traffic-XXXXXX", &fx.path);
  fx.app = pd_test_register_app ();
  open_window ();

  g_test_add_func ("/traffic/switch-view", test_switch_view);
  g_test_add_func ("/traffic/switch-institution", test_switch_institution);
  g_test_add_func ("/traffic/toggle-with-keyboard-and-undo", test_toggle_with_keyboard_and_undo);
  g_test_add_func ("/traffic/blocked-cell-refuses", test_blocked_cell_refuses);
  g_test_add_func ("/traffic/whole-row-asks-first", test_whole_row_asks_first);
  g_test_add_func ("/traffic/exams-tab-same-state", test_exams_tab_same_state);
  status = g_test_run ();

  pd_test_destroy_window (&fx.window);
  g_clear_object (&fx.store);
  g_clear_object (&fx.app);
  pd_test_remove_db (fx.dir, fx.path);
  g_free (fx.path);
  g_free (fx.dir);
  return status;
}
