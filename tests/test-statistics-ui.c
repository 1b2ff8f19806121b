/* test-statistics-ui.c: the Statistics tab and view, bookings, statements, benefits and the
 * examinations catalogue, through the real window under Xvfb. */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "pd-application.h"
#include "pd-benefits-page.h"
#include "pd-booking-dialog.h"
#include "pd-period-picker.h"
#include "pd-preferences-window.h"
#include "pd-statistics-page.h"
#include "pd-statistics-view.h"
#include "pd-stats-item.h"
#include "pd-window.h"
#include "pd-test-ui.h"

#define PATIENT "Theodora Quist"

static struct
{
  char          *dir;
  char          *path;
  PdApplication *app;
  PdStore       *store;
  PdWindow      *window;
  char          *partner_id;  /* active, statistics required, with bookable cells */
  char          *employer_id; /* an employer */
  PdPeriod       period;      /* the last 365 days */
  PdStatistics  *before;      /* figures before the test's booking */
} fx;

/* Finding widgets as a user sees them: pd-test-ui.c */

/* The Statistics tab */

static PdStatisticsPage *
stats_page (void)
{
  GtkWidget *page
      = pd_test_find_required (GTK_WIDGET (fx.window), pd_test_is_a, "PdStatisticsPage");
  return PD_STATISTICS_PAGE (page);
}

static PdStatistics *
core_statistics (void)
{
  g_autoptr (GError) error = NULL;
  PdStatistics *stats = pd_statistics_compute (fx.store, fx.partner_id, &fx.period, &error);

  g_assert_no_error (error);
  return stats;
}

/* The tab's cards show exactly the core's figures for the same period. */
static gboolean
cards_show (const PdStatistics *stats)
{
  GtkWidget       *page = GTK_WIDGET (stats_page ());
  g_autofree char *count = pd_number_format (stats->total.count);
  g_autofree char *revenue = pd_money_format (stats->total.revenue, pd_money_get_currency ());
  g_autofree char *commission = pd_money_format (stats->total.commission, pd_money_get_currency ());

  return !pd_statistics_page_get_busy (PD_STATISTICS_PAGE (page))
         && pd_test_find_in (page, pd_test_is_label, count) != NULL
         && pd_test_find_in (page, pd_test_is_label, revenue) != NULL
         && pd_test_find_in (page, pd_test_is_label, commission) != NULL;
}

static gboolean
same_figures (const PdStatistics *a, const PdStatistics *b)
{
  return a != NULL && b != NULL && a->total.count == b->total.count
         && a->total.revenue == b->total.revenue && a->total.commission == b->total.commission
         && a->total.cancelled == b->total.cancelled;
}

static PdPeriodPicker *
period_picker (GtkWidget *root)
{
  GtkWidget *picker = pd_test_find_required (root, pd_test_is_a, "PdPeriodPicker");
  return PD_PERIOD_PICKER (picker);
}

static void
show_statistics_for_year (void)
{
  GDate last = fx.period.to;

  g_date_subtract_days (&last, 1);
  g_assert_true (pd_window_select_partner (fx.window, fx.partner_id));
  pd_test_select_tab (GTK_WIDGET (fx.window), "Statistics");
  pd_period_picker_set_custom (period_picker (GTK_WIDGET (stats_page ())), &fx.period.from, &last);
}

static void
test_totals (void)
{
  g_autoptr (PdStatistics) expected = core_statistics ();
  const PdStatistics *shown;

  show_statistics_for_year ();
  g_assert_cmpint (expected->total.count, >, 0);
  PD_WAIT_UNTIL (cards_show (expected));
  shown = pd_statistics_page_get_statistics (stats_page ());
  g_assert_true (same_figures (shown, expected));
  g_assert_cmpuint (shown->by_examination->len, ==, expected->by_examination->len);
  g_assert_cmpuint (shown->by_institution->len, ==, expected->by_institution->len);
  fx.before = core_statistics ();
}

/* Bookings */

static PdBookingLine *
find_line (const char *patient, guint *position)
{
  GListModel *model = G_LIST_MODEL (pd_statistics_page_get_bookings (stats_page ()));
  guint       n = g_list_model_get_n_items (model);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr (PdStatsItem) item = g_list_model_get_item (model, i);
      PdBookingLine *line = pd_stats_item_get (item);

      if (g_strcmp0 (line->patient, patient) == 0)
        {
          *position = i;
          return line;
        }
    }
  return NULL;
}

static void
test_record_booking (void)
{
  g_autoptr (PdStatistics) after = NULL;
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  g_autoptr (GDateTime) when
      = g_date_time_new_local (g_date_time_get_year (now), g_date_time_get_month (now),
                               g_date_time_get_day_of_month (now), 0, 5, 0);
  GtkWidget *dialog;
  guint      position;

  pd_test_click_button (GTK_WIDGET (stats_page ()), "Record Booking");
  dialog = pd_test_wait_for_widget (pd_test_is_window_titled, "Record Booking");
  /* Nothing typed yet: Save waits for a patient. */
  g_assert_false (gtk_widget_is_sensitive (pd_test_find_in (dialog, pd_test_is_button, "Save")));
  pd_booking_dialog_set_date (PD_BOOKING_DIALOG (dialog), when);
  pd_test_type_into (dialog, "Patient", PATIENT);
  PD_WAIT_UNTIL (gtk_widget_is_sensitive (pd_test_find_in (dialog, pd_test_is_button, "Save")));
  pd_test_click_button (dialog, "Save");
  pd_test_wait_closed (dialog);

  after = core_statistics ();
  g_assert_cmpint (after->total.count, ==, fx.before->total.count + 1);
  PD_WAIT_UNTIL (cards_show (after));
  PD_WAIT_UNTIL (find_line (PATIENT, &position) != NULL);
}

static void
test_cancel_booking (void)
{
  g_autoptr (PdStatistics) booked = core_statistics ();
  g_autoptr (PdStatistics) after = NULL;
  PdBookingLine *line;
  GtkWidget     *dialog;
  guint          position;

  line = find_line (PATIENT, &position);
  g_assert_nonnull (line);
  g_assert_false (line->cancelled);
  gtk_selection_model_select_item (pd_statistics_page_get_bookings (stats_page ()), position, TRUE);
  pd_test_click_button (GTK_WIDGET (stats_page ()), "Cancel Booking");
  dialog = pd_test_wait_for_widget (pd_test_is_message_dialog, "Cancel this booking?");
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), "cancel-booking");

  /* A cancelled booking earns nothing: back to the figures before, one more cancelled. */
  after = core_statistics ();
  PD_WAIT_UNTIL (after->total.cancelled == fx.before->total.cancelled + 1);
  g_assert_cmpint (after->total.count, ==, fx.before->total.count);
  g_assert_cmpint (after->total.commission, ==, fx.before->total.commission);
  g_assert_cmpint (after->total.commission, <=, booked->total.commission);
  g_assert_cmpint (booked->total.count, ==, fx.before->total.count + 1);
  PD_WAIT_UNTIL (cards_show (after));
  /* Still listed, as cancelled. */
  PD_WAIT_UNTIL ((line = find_line (PATIENT, &position)) != NULL && line->cancelled);
  g_assert_cmpint (line->commission, ==, 0);
}

/* The partner's first person (owned), or NULL. */
static PdRecord *
first_person (const char *partner_id)
{
  g_autoptr (GPtrArray) people
      = pd_store_list (fx.store, &pd_person_type, "partner_id", partner_id, NULL);

  return people != NULL && people->len > 0 ? g_object_ref (g_ptr_array_index (people, 0)) : NULL;
}

/* A person of an employer, an examination its benefits do not cover: asked first. */

static const char *
uncovered_bookable_examination (const char *person_id)
{
  g_autoptr (PdRecord) partner = pd_store_get (fx.store, &pd_partner_type, fx.employer_id, NULL);
  const char     *institution = pd_record_get_strv (partner, "institutions")[0];
  PdTrafficFilter filter = { .partner_id = fx.employer_id };
  g_autoptr (PdTrafficMatrix) matrix
      = pd_traffic_matrix_load (fx.store, institution, &filter, NULL);
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  int column = pd_traffic_matrix_find_column (matrix, fx.employer_id);

  for (guint row = 0; row < pd_traffic_matrix_get_n_rows (matrix); row++)
    {
      const char *exam = pd_traffic_matrix_get_examination_id (matrix, row);
      g_autoptr (GPtrArray) warnings = NULL;

      if (!pd_traffic_matrix_get_enabled (matrix, row, column)
          || pd_traffic_matrix_get_block (matrix, row, column) != PD_CELL_OK)
        continue;
      warnings = pd_benefit_check (fx.store, fx.employer_id, exam, person_id, now);
      if (warnings->len > 0)
        return g_intern_string (exam);
    }
  return NULL;
}

static gint64
count_bookings_of (const char *person_id)
{
  g_autoptr (GPtrArray) bookings
      = pd_store_list (fx.store, &pd_booking_type, "person_id", person_id, NULL);

  return bookings ? bookings->len : 0;
}

static void
test_benefit_warning (void)
{
  g_autoptr (PdRecord) person = first_person (fx.employer_id);
  const char *name = pd_record_get_title (person);
  const char *exam = uncovered_bookable_examination (pd_record_get_id (person));
  gint64      before = count_bookings_of (pd_record_get_id (person));
  GtkWidget  *dialog, *row, *question;

  if (exam == NULL)
    {
      g_test_skip ("every bookable examination is covered for this person");
      return;
    }
  g_assert_true (pd_window_select_partner (fx.window, fx.employer_id));
  pd_test_select_tab (GTK_WIDGET (fx.window), "Statistics");
  pd_test_click_button (GTK_WIDGET (stats_page ()), "Record Booking");
  dialog = pd_test_wait_for_widget (pd_test_is_window_titled, "Record Booking");
  g_assert_true (pd_booking_dialog_select_examination (PD_BOOKING_DIALOG (dialog), exam));
  /* Typing finds the partner's person; choosing it makes the booking theirs. */
  pd_test_type_into (dialog, "Patient", name);
  row = pd_test_wait_for_widget (pd_test_is_row, name);
  g_assert_true (ADW_IS_ACTION_ROW (row));
  gtk_widget_activate (row);
  PD_WAIT_UNTIL (pd_test_find_in (dialog, pd_test_is_label_containing, "Person of this partner")
                 != NULL);
  pd_test_click_button (dialog, "Save");
  question = pd_test_wait_for_widget (pd_test_is_message_dialog, "Book anyway?");
  g_assert_cmpint (count_bookings_of (pd_record_get_id (person)), ==, before);
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (question), "book");
  pd_test_wait_closed (dialog);
  g_assert_cmpint (count_bookings_of (pd_record_get_id (person)), ==, before + 1);
}

/* Statements */

static PdStatement *
last_month_statement (void)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  g_autoptr (GDateTime) month = g_date_time_add_months (now, -1);
  g_autoptr (GError) error = NULL;
  PdPeriod     period;
  PdStatement *statement;

  pd_period_init_month (&period, g_date_time_get_year (month), g_date_time_get_month (month));
  statement = pd_statement_build (fx.store, fx.partner_id, &period, &error);
  g_assert_no_error (error);
  return statement;
}

static gboolean
is_file_chooser (GtkWidget *widget, const char *text)
{
  return GTK_IS_FILE_CHOOSER (widget) && GTK_IS_WINDOW (widget);
}

/* The button opens a save dialog named for the statement; the test then writes where a
 * user would have chosen (the file chooser's own Save cannot be driven reliably here). */
static void
export_through_button (const char *button, PdStatement *statement, const char *extension,
                       const char *path)
{
  g_autofree char *suggested = pd_statement_suggest_file_name (statement, extension);
  g_autofree char *name = NULL;
  GtkWidget       *chooser;

  pd_test_click_button (GTK_WIDGET (stats_page ()), button);
  chooser = pd_test_wait_for_widget (is_file_chooser, NULL);
  name = gtk_file_chooser_get_current_name (GTK_FILE_CHOOSER (chooser));
  g_assert_cmpstr (name, ==, suggested);
  g_object_add_weak_pointer (G_OBJECT (chooser), (gpointer *)&chooser);
  gtk_window_close (GTK_WINDOW (chooser));
  PD_WAIT_UNTIL (chooser == NULL);
  pd_statistics_page_export (stats_page (), extension, path);
  PD_WAIT_UNTIL (g_file_test (path, G_FILE_TEST_EXISTS)
                 && !pd_statistics_page_get_busy (stats_page ()));
}

static void
test_export (void)
{
  g_autoptr (PdStatement) statement = last_month_statement ();
  g_autofree char *csv_path = g_build_filename (fx.dir, "statement.csv", NULL);
  g_autofree char *pdf_path = g_build_filename (fx.dir, "statement.pdf", NULL);
  g_autofree char *csv = NULL;
  g_autofree char *pdf_text = NULL;
  g_autofree char *total = pd_money_format_plain (statement->total_commission);
  g_autofree char *expected_csv = pd_statement_to_csv (statement);
  g_autoptr (GError) error = NULL;
  int status = 0;

  pd_test_wait_for_widget (pd_test_is_button, "Export CSV…");
  export_through_button ("Export CSV…", statement, "csv", csv_path);
  g_assert_true (g_file_get_contents (csv_path, &csv, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (csv, ==, expected_csv);

  export_through_button ("Export PDF…", statement, "pdf", pdf_path);
  if (g_find_program_in_path ("pdftotext") == NULL)
    {
      g_test_message ("pdftotext not found: the PDF's text is not checked");
      return;
    }
  {
    const char *argv[] = { "pdftotext", "-layout", pdf_path, "-", NULL };

    g_assert_true (g_spawn_sync (NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                                 &pdf_text, NULL, &status, &error));
  }
  g_assert_no_error (error);
  g_assert_cmpint (status, ==, 0);
  g_assert_nonnull (strstr (pdf_text, statement->partner_name));
  g_assert_nonnull (strstr (pdf_text, total));
}

/* A period that ends before it starts: the core's message, nothing computed. */
static void
test_bad_period (void)
{
  PdPeriodPicker     *picker = period_picker (GTK_WIDGET (stats_page ()));
  const PdStatistics *shown = pd_statistics_page_get_statistics (stats_page ());
  GDate               first = fx.period.from, last = fx.period.from;
  g_autoptr (GError) expected = NULL;
  PdPeriod unused;

  g_date_add_days (&first, 10);
  g_assert_false (pd_period_init_dates (&unused, &first, &last, &expected));
  pd_period_picker_set_custom (picker, &first, &last);
  g_assert_cmpstr (pd_period_picker_get_error (picker), ==, expected->message);
  pd_test_wait_for_widget (pd_test_is_label, expected->message);
  g_assert_false (pd_statistics_page_get_busy (stats_page ()));
  /* The figures shown are still those of the last valid period. */
  g_assert_true (pd_statistics_page_get_statistics (stats_page ()) == shown);
}

/* The practice-wide view */

static void
test_practice_view (void)
{
  AdwViewStack *stack
      = ADW_VIEW_STACK (pd_test_find_in (GTK_WIDGET (fx.window), pd_test_is_a, "AdwViewStack"));
  g_autoptr (GPtrArray) rows = NULL;
  g_autoptr (GError) error = NULL;
  gint64           count = 0;
  GtkWidget       *view;
  PdPeriod         period;
  g_autofree char *count_text = NULL;

  g_assert_nonnull (stack);
  adw_view_stack_set_visible_child_name (stack, "statistics");
  view = pd_test_wait_for_widget (pd_test_is_a, "PdStatisticsView");
  pd_period_picker_set_choice (period_picker (view), PD_PERIOD_CHOICE_LAST_MONTH);
  pd_period_init (&period, PD_PERIOD_LAST_MONTH, NULL);
  rows = pd_statistics_compare_partners (fx.store, &period, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < rows->len; i++)
    count += ((PdStatisticsRow *)g_ptr_array_index (rows, i))->count;
  count_text = g_strdup_printf (" %s bookings", pd_number_format (count));
  PD_WAIT_UNTIL (!pd_statistics_view_get_busy (PD_STATISTICS_VIEW (view))
                 && g_list_model_get_n_items (
                        G_LIST_MODEL (pd_statistics_view_get_selection (PD_STATISTICS_VIEW (view))))
                        == rows->len);
  g_assert_cmpuint (rows->len, >, 0);
  pd_test_wait_for_widget (pd_test_is_label_containing, count_text);
  adw_view_stack_set_visible_child_name (stack, "partners");
}

/* Benefits */

static guint
n_benefits (void)
{
  GtkWidget *page = pd_test_find_in (GTK_WIDGET (fx.window), pd_test_is_a, "PdBenefitsPage");

  return g_list_model_get_n_items (
      G_LIST_MODEL (pd_benefits_page_get_selection (PD_BENEFITS_PAGE (page))));
}

/* An examination the employer has no benefit for yet, as the combo row shows it. */
static const char *
uncovered_examination (void)
{
  g_autoptr (GPtrArray) entries = pd_catalogue_list (fx.store, FALSE, NULL);

  for (guint i = 0; i < entries->len; i++)
    {
      PdCatalogueEntry *entry = g_ptr_array_index (entries, i);
      g_autoptr (PdRecord) benefit
          = pd_benefit_find (fx.store, fx.employer_id, pd_record_get_id (entry->examination));

      if (benefit == NULL)
        return g_intern_string (pd_record_get_title (entry->examination));
    }
  g_error ("every examination is covered");
}

static void
choose_in_combo_row (GtkWidget *root, const char *title, const char *item)
{
  GtkWidget  *row = pd_test_find_in (root, pd_test_is_row, title);
  GListModel *model;

  g_assert_true (ADW_IS_COMBO_ROW (row));
  model = adw_combo_row_get_model (ADW_COMBO_ROW (row));
  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    if (g_str_equal (gtk_string_list_get_string (GTK_STRING_LIST (model), i), item))
      {
        adw_combo_row_set_selected (ADW_COMBO_ROW (row), i);
        return;
      }
  g_error ("no “%s” in “%s”", item, title);
}

static void
test_benefits (void)
{
  const char *examination;
  GtkWidget  *editor;
  guint       before;

  /* Not an employer: the tab says benefits are for employers. */
  g_assert_true (pd_window_select_partner (fx.window, fx.partner_id));
  pd_test_select_tab (GTK_WIDGET (fx.window), "Benefits");
  if (!g_str_equal (pd_record_get_string (pd_window_get_partner (fx.window), "kind"), "employer"))
    pd_test_wait_for_widget (pd_test_is_label, "Benefits Apply to Employers");

  g_assert_true (pd_window_select_partner (fx.window, fx.employer_id));
  pd_test_select_tab (GTK_WIDGET (fx.window), "Benefits");
  before = n_benefits ();
  examination = uncovered_examination ();
  pd_test_click_button (NULL, "Add Benefit");
  editor = pd_test_wait_for_widget (pd_test_is_window_titled, "Add Benefit");
  choose_in_combo_row (editor, "Covered examination", examination);
  pd_test_type_into (editor, "Visits per year", "2");
  pd_test_type_into (editor, "Waiting period in days", "30");
  PD_WAIT_UNTIL (gtk_widget_is_sensitive (pd_test_find_in (editor, pd_test_is_button, "Save")));
  pd_test_click_button (editor, "Save");
  pd_test_wait_closed (editor);
  PD_WAIT_UNTIL (n_benefits () == before + 1);
  pd_test_wait_for_widget (pd_test_is_label, examination);
  pd_test_wait_for_widget (pd_test_is_label, "30 days");
}

/* The examinations catalogue in Preferences */

static const char *
error_beside (GtkWidget *root, const char *message)
{
  GtkWidget *label = pd_test_find_in (root, pd_test_is_label, message);

  return label ? gtk_label_get_text (GTK_LABEL (label)) : NULL;
}

static void
test_catalogue (void)
{
  g_autoptr (GPtrArray) entries = pd_catalogue_list (fx.store, TRUE, NULL);
  g_autoptr (GPtrArray) institutions
      = pd_store_list (fx.store, &pd_institution_type, NULL, NULL, NULL);
  PdCatalogueEntry    *existing = g_ptr_array_index (entries, 0);
  const char          *code = pd_record_get_string (existing->examination, "code");
  g_autofree char     *duplicate = NULL;
  g_autofree char     *negative = NULL;
  g_autofree char     *too_high = NULL;
  g_autofree char     *price_row = NULL;
  g_autofree char     *archive_label = NULL;
  PdPreferencesWindow *prefs;
  GtkWidget           *editor;
  gint64               unused, price;

  duplicate = g_strdup_printf ("An examination with the code “%s” already exists", code);
  g_assert_false (pd_catalogue_parse_price ("-5.00", &unused, &negative));
  g_assert_false (pd_catalogue_parse_price ("20000000.00", &unused, &too_high));
  price_row
      = g_strdup_printf ("Price at %s", pd_record_get_title (g_ptr_array_index (institutions, 0)));

  prefs = pd_preferences_window_new (GTK_WINDOW (fx.window), fx.store);
  gtk_window_present (GTK_WINDOW (prefs));
  adw_preferences_window_set_visible_page_name (ADW_PREFERENCES_WINDOW (prefs), "examinations");
  pd_test_wait_for_widget (pd_test_is_button, "Add Examination");
  pd_test_click_button (NULL, "Add Examination");
  editor = pd_test_wait_for_widget (pd_test_is_window_titled, "Add Examination");

  /* A code in use: the core's message beside the field, Save insensitive. */
  pd_test_type_into (editor, "Code", code);
  pd_test_type_into (editor, "Name", "Test ECG");
  pd_test_type_into (editor, "Duration in minutes", "25");
  PD_WAIT_UNTIL (error_beside (editor, duplicate) != NULL);
  g_assert_false (gtk_widget_is_sensitive (pd_test_find_in (editor, pd_test_is_button, "Save")));

  /* A negative price, then one too high: their messages, Save still insensitive. */
  pd_test_type_into (editor, "Code", "ECG-TEST");
  PD_WAIT_UNTIL (error_beside (editor, duplicate) == NULL);
  pd_test_type_into (editor, price_row, "-5.00");
  PD_WAIT_UNTIL (error_beside (editor, negative) != NULL);
  g_assert_false (gtk_widget_is_sensitive (pd_test_find_in (editor, pd_test_is_button, "Save")));
  pd_test_type_into (editor, price_row, "20000000.00");
  PD_WAIT_UNTIL (error_beside (editor, too_high) != NULL);
  g_assert_false (gtk_widget_is_sensitive (pd_test_find_in (editor, pd_test_is_button, "Save")));

  /* Fixed: saved with its price. */
  pd_test_type_into (editor, price_row, "12.50");
  PD_WAIT_UNTIL (gtk_widget_is_sensitive (pd_test_find_in (editor, pd_test_is_button, "Save")));
  pd_test_click_button (editor, "Save");
  pd_test_wait_closed (editor);
  pd_test_wait_for_widget (pd_test_is_row, "ECG-TEST — Test ECG");
  {
    g_autoptr (GPtrArray) now = pd_catalogue_list (fx.store, TRUE, NULL);
    PdCatalogueEntry *added = NULL;

    for (guint i = 0; i < now->len; i++)
      {
        PdCatalogueEntry *entry = g_ptr_array_index (now, i);

        if (g_strcmp0 (pd_record_get_string (entry->examination, "code"), "ECG-TEST") == 0)
          added = entry;
      }
    g_assert_nonnull (added);
    g_assert_true (pd_catalogue_get_price (fx.store, pd_record_get_id (added->examination),
                                           pd_record_get_id (g_ptr_array_index (institutions, 0)),
                                           &price));
    g_assert_cmpint (price, ==, 1250);
    g_assert_cmpint (g_hash_table_size (added->prices), ==, 1);
  }

  /* Archive asks first, then the row says so. */
  archive_label = g_strdup ("Archive ECG-TEST — Test ECG");
  pd_test_click_button (GTK_WIDGET (prefs), archive_label);
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (pd_test_wait_for_widget (
                                   pd_test_is_message_dialog, "Archive “Test ECG”?")),
                               "archive");
  pd_test_wait_for_widget (pd_test_is_button, "Bring back ECG-TEST — Test ECG");
  gtk_window_close (GTK_WINDOW (prefs));
}

/* Set-up */

static gboolean
has_bookable_cell (const char *partner_id)
{
  g_autoptr (PdRecord) partner = pd_store_get (fx.store, &pd_partner_type, partner_id, NULL);
  const char *const *institutions = pd_record_get_strv (partner, "institutions");

  for (guint i = 0; institutions[i] != NULL; i++)
    {
      PdTrafficFilter filter = { .partner_id = partner_id };
      g_autoptr (PdTrafficMatrix) matrix
          = pd_traffic_matrix_load (fx.store, institutions[i], &filter, NULL);
      int column = matrix ? pd_traffic_matrix_find_column (matrix, partner_id) : -1;

      /* The dialog preselects the first institution and its first examination. */
      for (guint row = 0; column >= 0 && row < pd_traffic_matrix_get_n_rows (matrix); row++)
        if (pd_traffic_matrix_get_enabled (matrix, row, column)
            && pd_traffic_matrix_get_block (matrix, row, column) == PD_CELL_OK)
          return TRUE;
      return FALSE;
    }
  return FALSE;
}

static void
choose_partners (void)
{
  g_autoptr (GPtrArray) partners = pd_store_list (fx.store, &pd_partner_type, NULL, NULL, NULL);
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  GDate today, first;

  g_date_clear (&today, 1);
  g_date_set_dmy (&today, g_date_time_get_day_of_month (now), g_date_time_get_month (now),
                  g_date_time_get_year (now));
  first = today;
  g_date_subtract_days (&first, 364);
  g_assert_true (pd_period_init_dates (&fx.period, &first, &today, NULL));

  for (guint i = 0; i < partners->len; i++)
    {
      PdRecord   *partner = g_ptr_array_index (partners, i);
      const char *id = pd_record_get_id (partner);
      g_autoptr (PdRecord) person = NULL;

      if (fx.employer_id == NULL && g_str_equal (pd_record_get_string (partner, "kind"), "employer")
          && g_str_equal (pd_record_get_string (partner, "status"), "active")
          && has_bookable_cell (id) && (person = first_person (id)) != NULL)
        fx.employer_id = g_strdup (id);
      if (fx.partner_id == NULL && pd_record_get_bool (partner, "statistics_required")
          && g_str_equal (pd_record_get_string (partner, "status"), "active")
          && !g_str_equal (pd_record_get_string (partner, "kind"), "employer")
          && has_bookable_cell (id))
        {
          g_autoptr (PdStatistics) stats = pd_statistics_compute (fx.store, id, &fx.period, NULL);

          if (stats != NULL && stats->total.count > 0)
            fx.partner_id = g_strdup (id);
        }
    }
  g_assert_nonnull (fx.partner_id);
  g_assert_nonnull (fx.employer_id);
}

int
main (int argc, char *argv[])
{
  g_autoptr (GError) error = NULL;
  GObject *store;
  int      status;

  pd_test_ui_init (&argc, &argv);

  fx.dir = pd_test_make_dir ("test-statistics-ui-XXXXXX", &fx.path);
  fx.store = pd_store_open (fx.path, &error);
  g_assert_no_error (error);
  g_assert_true (pd_sample_data_load (fx.store, &error));
  g_assert_no_error (error);
  choose_partners ();

  fx.app = pd_test_register_app ();
  pd_test_show_window (fx.app, fx.store, 0, 0, &fx.window);

  g_test_add_func ("/statistics-ui/totals", test_totals);
  g_test_add_func ("/statistics-ui/record-booking", test_record_booking);
  g_test_add_func ("/statistics-ui/cancel-booking", test_cancel_booking);
  g_test_add_func ("/statistics-ui/export", test_export);
  g_test_add_func ("/statistics-ui/bad-period", test_bad_period);
  g_test_add_func ("/statistics-ui/benefit-warning", test_benefit_warning);
  g_test_add_func ("/statistics-ui/practice-view", test_practice_view);
  g_test_add_func ("/statistics-ui/benefits", test_benefits);
  g_test_add_func ("/statistics-ui/catalogue", test_catalogue);
  status = g_test_run ();

  if (fx.window != NULL)
    {
      gtk_window_close (GTK_WINDOW (fx.window));
      PD_WAIT_UNTIL (fx.window == NULL);
    }
  store = G_OBJECT (fx.store);
  g_object_add_weak_pointer (store, (gpointer *)&fx.store);
  g_object_unref (store);
  g_clear_object (&fx.app);
  g_clear_pointer (&fx.before, pd_statistics_free);
  {
    g_autoptr (GDir) dir = g_dir_open (fx.dir, 0, NULL);
    const char *name;

    while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
      {
        g_autofree char *file = g_build_filename (fx.dir, name, NULL);

        g_unlink (file);
      }
    g_rmdir (fx.dir);
  }
  g_free (fx.path);
  g_free (fx.dir);
  g_free (fx.partner_id);
  g_free (fx.employer_id);
  return status;
}
