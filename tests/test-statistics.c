/* test-statistics.c: periods, statistics against a hand-computed fixture, statements (CSV, PDF), sample data. */
#include <glib/gstdio.h>
#include <string.h>

#include "pd-core.h"
#include "pd-test-util.h"

typedef struct {
  char     *dir;
  char     *path;
  PdStore  *store;
  PdRecord *inst_a;
  PdRecord *inst_b;
  PdRecord *e1;       /* A: 100.00, B: 120.00 */
  PdRecord *e2;       /* A: 33.33 */
  PdRecord *p;        /* 10 %, from 2026-03-20 a fixed 5.00 */
  PdRecord *q;        /* 5 % */
} Fixture;

#define ID(r) pd_record_get_id (r)

static PdRecord *
new_saved (Fixture            *f,
           const PdRecordType *type,
           const char         *first_field,
           const char         *first_value)
{
  g_autoptr(GError) error = NULL;
  PdRecord *record = pd_record_new (type);

  pd_record_set_string (record, first_field, first_value);
  if (type == &pd_examination_type)
    {
      pd_record_set_string (record, "name", first_value);
      pd_record_set_int (record, "duration_minutes", 20);
    }
  g_assert_true (pd_store_save (f->store, record, &error));
  g_assert_no_error (error);
  return record;
}

static PdRecord *
partner (Fixture    *f,
         const char *name,
         gint64      percent)
{
  g_autoptr(GError) error = NULL;
  PdRecord *record = pd_record_new (&pd_partner_type);
  const char *ids[] = { ID (f->inst_a), ID (f->inst_b), NULL };

  pd_record_set_string (record, "name", name);
  pd_record_set_string (record, "kind", "clinic");
  pd_record_set_string (record, "status", "active");
  pd_record_set_strv (record, "institutions", ids);
  pd_record_set_bool (record, "statistics_required", TRUE);
  pd_record_set_string (record, "commission_mode", "percentage");
  pd_record_set_int (record, "commission_percent", percent);
  g_assert_true (pd_store_save (f->store, record, &error));
  for (guint i = 0; i < 2; i++)
    for (guint k = 0; k < 2; k++)
      pd_traffic_set_enabled (f->store, ID (record), ids[k], ID (i ? f->e2 : f->e1), TRUE, NULL);
  return record;
}

static PdRecord *
book (Fixture  *f,
      PdRecord *who,
      PdRecord *inst,
      PdRecord *exam,
      int       month,
      int       day,
      int       hour,
      int       minute)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDateTime) at = g_date_time_new_local (2026, month, day, hour, minute, 0);
  PdRecord *booking = pd_booking_create (f->store, ID (who), ID (inst), ID (exam), at, NULL,
                                         "Jane Doe", NULL, &error);

  g_assert_no_error (error);
  return booking;
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PdRecord) cancelled = NULL;

  f->store = pd_test_open_store ("pd-test-statistics-XXXXXX", NULL, &f->dir, &f->path);
  f->inst_a = new_saved (f, &pd_institution_type, "name", "Riverside Medical Centre");
  f->inst_b = new_saved (f, &pd_institution_type, "name", "Northgate Diagnostics");
  f->e1 = new_saved (f, &pd_examination_type, "code", "Exercise ECG");
  f->e2 = new_saved (f, &pd_examination_type, "code", "Audiometry");
  g_assert_true (pd_catalogue_set_price (f->store, ID (f->e1), ID (f->inst_a), 10000, NULL));
  g_assert_true (pd_catalogue_set_price (f->store, ID (f->e1), ID (f->inst_b), 12000, NULL));
  g_assert_true (pd_catalogue_set_price (f->store, ID (f->e2), ID (f->inst_a), 3333, NULL));
  f->p = partner (f, "Cura Clinic", 1000);
  f->q = partner (f, "Quell Clinic", 500);
  g_assert_true (pd_commission_add_rate (f->store, ID (f->p), "2026-01-01", "percentage", 1000,
                                         0, &error));
  g_assert_true (pd_commission_add_rate (f->store, ID (f->p), "2026-03-20", "fixed", 0, 500,
                                         &error));
  g_assert_no_error (error);

  g_object_unref (book (f, f->p, f->inst_a, f->e1, 3, 2, 10, 0));    /* 100.00, 10.00 */
  g_object_unref (book (f, f->p, f->inst_b, f->e1, 3, 5, 11, 0));    /* 120.00, 12.00 */
  g_object_unref (book (f, f->p, f->inst_a, f->e2, 3, 9, 9, 15));    /* 33.33, 3.33 */
  g_object_unref (book (f, f->p, f->inst_a, f->e2, 3, 31, 23, 30));  /* 33.33, 5.00 fixed */
  cancelled = book (f, f->p, f->inst_a, f->e1, 3, 15, 8, 0);         /* cancelled */
  g_assert_true (pd_booking_cancel (f->store, ID (cancelled), &error));
  g_object_unref (book (f, f->p, f->inst_a, f->e1, 4, 1, 0, 0));     /* April */
  g_object_unref (book (f, f->p, f->inst_a, f->e1, 2, 28, 23, 59));  /* February */
  g_object_unref (book (f, f->q, f->inst_a, f->e1, 3, 12, 12, 0));   /* Q: 100.00, 5.00 */
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_object (&f->inst_a);
  g_clear_object (&f->inst_b);
  g_clear_object (&f->e1);
  g_clear_object (&f->e2);
  g_clear_object (&f->p);
  g_clear_object (&f->q);
  g_clear_object (&f->store);
  pd_test_remove_tree (f->dir);
  g_free (f->dir);
  g_free (f->path);
}

static PdStatisticsRow *
row_of (GPtrArray  *rows,
        const char *id)
{
  for (guint i = 0; i < rows->len; i++)
    if (g_strcmp0 (((PdStatisticsRow *) g_ptr_array_index (rows, i))->id, id) == 0)
      return g_ptr_array_index (rows, i);
  g_assert_not_reached ();
  return NULL;
}

static void
assert_row (PdStatisticsRow *row,
            gint64           count,
            gint64           cancelled,
            gint64           revenue,
            gint64           commission)
{
  g_assert_cmpint (row->count, ==, count);
  g_assert_cmpint (row->cancelled, ==, cancelled);
  g_assert_cmpint (row->revenue, ==, revenue);
  g_assert_cmpint (row->commission, ==, commission);
}

static void
test_totals (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PdStatistics) stats = NULL;
  g_autoptr(GPtrArray) lines = NULL;
  g_autoptr(GPtrArray) page = NULL;
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GPtrArray) compare = NULL;
  PdPeriod march;

  pd_period_init_month (&march, 2026, 3);
  stats = pd_statistics_compute (f->store, ID (f->p), &march, &error);
  g_assert_no_error (error);
  /* Hand-computed: 100.00 + 120.00 + 33.33 + 33.33; 10.00 + 12.00 + 3.33 + 5.00. */
  assert_row (&stats->total, 4, 1, 28666, 3033);
  g_assert_cmpuint (stats->by_examination->len, ==, 2);
  g_assert_cmpstr (((PdStatisticsRow *) g_ptr_array_index (stats->by_examination, 0))->title,
                   ==, "Audiometry");
  assert_row (row_of (stats->by_examination, ID (f->e1)), 2, 1, 22000, 2200);
  assert_row (row_of (stats->by_examination, ID (f->e2)), 2, 0, 6666, 833);
  assert_row (row_of (stats->by_institution, ID (f->inst_a)), 3, 1, 16666, 1833);
  assert_row (row_of (stats->by_institution, ID (f->inst_b)), 1, 0, 12000, 1200);

  lines = pd_statistics_list_lines (f->store, ID (f->p), &march, 0, 0, &error);
  g_assert_cmpuint (lines->len, ==, 5);
  g_assert_true (((PdBookingLine *) g_ptr_array_index (lines, 3))->cancelled);
  g_assert_cmpint (((PdBookingLine *) g_ptr_array_index (lines, 3))->commission, ==, 0);
  g_assert_cmpstr (((PdBookingLine *) g_ptr_array_index (lines, 0))->institution, ==,
                   "Riverside Medical Centre");
  page = pd_statistics_list_lines (f->store, ID (f->p), &march, 1, 2, &error);
  g_assert_cmpuint (page->len, ==, 2);
  g_assert_cmpstr (((PdBookingLine *) g_ptr_array_index (page, 0))->booking_id, ==,
                   ((PdBookingLine *) g_ptr_array_index (lines, 1))->booking_id);
  records = pd_statistics_list_bookings (f->store, ID (f->p), &march, 0, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (records->len, ==, 5);
  g_assert_cmpstr (ID (g_ptr_array_index (records, 4)),
                   ==, ((PdBookingLine *) g_ptr_array_index (lines, 4))->booking_id);

  compare = pd_statistics_compare_partners (f->store, &march, &error);
  g_assert_cmpuint (compare->len, ==, 2);
  g_assert_cmpstr (((PdStatisticsRow *) g_ptr_array_index (compare, 0))->title, ==, "Cura Clinic");
  assert_row (g_ptr_array_index (compare, 0), 4, 1, 28666, 3033);
  assert_row (g_ptr_array_index (compare, 1), 1, 0, 10000, 500);
}

static void
test_periods (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDate) today = g_date_new_dmy (17, G_DATE_MAY, 2026);
  g_autoptr(GDate) jan = g_date_new_dmy (10, G_DATE_JANUARY, 2026);
  PdPeriod period, untouched;
  char buf[16];
  g_autofree char *text = NULL;

  pd_period_init (&period, PD_PERIOD_THIS_QUARTER, today);
  g_date_strftime (buf, sizeof buf, "%Y-%m-%d", &period.from);
  g_assert_cmpstr (buf, ==, "2026-04-01");
  g_date_strftime (buf, sizeof buf, "%Y-%m-%d", &period.to);
  g_assert_cmpstr (buf, ==, "2026-07-01");
  text = pd_period_format (&period);
  g_assert_cmpstr (text, ==, "Q2 2026");
  g_clear_pointer (&text, g_free);

  pd_period_init (&period, PD_PERIOD_LAST_MONTH, jan);
  text = pd_period_format (&period);
  g_assert_cmpstr (text, ==, "December 2025");
  g_clear_pointer (&text, g_free);
  pd_period_init (&period, PD_PERIOD_LAST_QUARTER, jan);
  g_date_strftime (buf, sizeof buf, "%Y-%m-%d", &period.from);
  g_assert_cmpstr (buf, ==, "2025-10-01");
  pd_period_init (&period, PD_PERIOD_THIS_YEAR, jan);
  text = pd_period_format (&period);
  g_assert_cmpstr (text, ==, "2026");
  g_clear_pointer (&text, g_free);

  g_assert_true (pd_period_init_custom (&period, "2026-03-05", "2026-03-09", &error));
  g_assert_no_error (error);
  text = pd_period_format (&period);
  g_assert_cmpstr (text, ==, "2026-03-05 – 2026-03-09");
  g_assert_true (pd_period_init_custom (&period, "2026-03-05", "2026-03-05", &error));

  untouched = period;
  g_assert_false (pd_period_init_custom (&period, "2026-03-31", "2026-03-01", &error));
  g_assert_error (error, PD_ERROR, PD_ERROR_INVALID);
  g_assert_cmpstr (error->message, ==, "The period ends (2026-03-01) before it starts (2026-03-31)");
  g_assert_cmpint (g_date_compare (&period.from, &untouched.from), ==, 0);
  g_clear_error (&error);
  g_assert_false (pd_period_init_custom (&period, "2026-13-01", "2026-12-31", &error));
  g_assert_cmpstr (error->message, ==, "“2026-13-01” is not a date like 2026-03-31");
}

static char *
pdf_text (const char *pdf)
{
  g_autofree char *out = NULL;
  g_autoptr(GError) error = NULL;
  const char *argv[] = { "pdftotext", "-layout", pdf, "-", NULL };
  int status = 0;

  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                               &out, NULL, &status, &error));
  g_assert_no_error (error);
  g_assert_cmpint (status, ==, 0);
  return g_steal_pointer (&out);
}

static void
test_statement (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PdStatement) st = NULL;
  g_autoptr(PdStatement) visible = NULL;
  g_autofree char *csv = NULL;
  g_autofree char *pdf = g_build_filename (f->dir, "statement.pdf", NULL);
  g_autofree char *csv_path = g_build_filename (f->dir, "statement.csv", NULL);
  g_autofree char *name = NULL;
  g_autofree char *bytes = NULL;
  g_autofree char *text = NULL;
  PdPeriod march;

  g_assert_true (pd_store_set_setting (f->store, "practice_name", "Hanseatic Health", &error));
  pd_period_init_month (&march, 2026, 3);
  st = pd_statement_build (f->store, ID (f->p), &march, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (st->lines->len, ==, 4);     /* the cancelled booking is left out */
  g_assert_cmpint (st->total_price, ==, 28666);
  g_assert_cmpint (st->total_commission, ==, 3033);
  g_assert_cmpstr (((PdBookingLine *) g_ptr_array_index (st->lines, 0))->patient, ==, "—");
  g_assert_cmpstr (st->mode_text, ==, "5.00 EUR per booking");
  name = pd_statement_suggest_file_name (st, "pdf");
  g_assert_cmpstr (name, ==, "Statement Cura Clinic 2026-03.pdf");

  csv = pd_statement_to_csv (st);
  g_assert_true (g_str_has_prefix (csv, "Date,Examination,Institution,Patient,Price,Commission\r\n"));
  g_assert_nonnull (strstr (csv, ",Exercise ECG — Exercise ECG,Northgate Diagnostics,—,120.00,12.00\r\n"));
  g_assert_true (g_str_has_suffix (csv, "Total (4 bookings),,,,286.66,30.33\r\n"));
  g_assert_true (pd_statement_write_csv (st, csv_path, &error));
  g_assert_no_error (error);

  g_assert_true (pd_statement_write_pdf (st, pdf, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (pdf, &bytes, NULL, NULL));
  g_assert_true (g_str_has_prefix (bytes, "%PDF-"));
  if (g_find_program_in_path ("pdftotext") == NULL)
    {
      g_test_skip ("pdftotext (poppler-utils) is not installed");
      return;
    }
  text = pdf_text (pdf);
  g_assert_nonnull (strstr (text, "Hanseatic Health"));
  g_assert_nonnull (strstr (text, "Partner: Cura Clinic"));
  g_assert_nonnull (strstr (text, "Period: March 2026"));
  g_assert_nonnull (strstr (text, "Total (4 bookings)"));
  g_assert_nonnull (strstr (text, "286.66"));
  g_assert_nonnull (strstr (text, "30.33"));
  g_assert_null (strstr (text, "Jane Doe"));

  /* A partner allowed to see patient data gets the names. */
  pd_record_set_bool (f->p, "patient_data_visible", TRUE);
  g_assert_true (pd_store_save (f->store, f->p, &error));
  visible = pd_statement_build (f->store, ID (f->p), &march, &error);
  g_assert_cmpstr (((PdBookingLine *) g_ptr_array_index (visible->lines, 0))->patient, ==,
                   "Jane Doe");

  /* Unwritable target: an error, not a crash. */
  {
    g_autofree char *bad = g_build_filename (f->dir, "no-such-dir", "x.pdf", NULL);

    g_assert_false (pd_statement_write_pdf (st, bad, &error));
    g_assert_nonnull (error);
  }
}

static void
test_statement_pages (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PdStatement) st = NULL;
  g_autofree char *pdf = g_build_filename (f->dir, "long.pdf", NULL);
  g_autofree char *text = NULL;
  g_autofree char *total = NULL;
  PdPeriod may;
  gint64 sum = 0;

  for (int i = 0; i < 130; i++)
    {
      g_autoptr(PdRecord) b = book (f, f->q, f->inst_a, i % 2 ? f->e1 : f->e2, 5, 1 + i % 28,
                                    8 + i % 9, 0);

      sum += pd_record_get_int (b, "commission");
    }
  pd_period_init_month (&may, 2026, 5);
  st = pd_statement_build (f->store, ID (f->q), &may, &error);
  g_assert_no_error (error);
  g_assert_cmpint (st->count, ==, 130);
  g_assert_cmpint (st->total_commission, ==, sum);
  g_assert_true (pd_statement_write_pdf (st, pdf, &error));
  if (g_find_program_in_path ("pdftotext") == NULL)
    {
      g_test_skip ("pdftotext (poppler-utils) is not installed");
      return;
    }
  text = pdf_text (pdf);
  g_assert_nonnull (strstr (text, "page 3"));
  g_assert_nonnull (strstr (text, "Total (130 bookings)"));
  total = pd_money_format_plain (st->total_price);
  g_assert_nonnull (strstr (text, total));
}

static void
test_sample_data (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("pd-test-sample-XXXXXX", &error);
  g_autofree char *path = g_build_filename (dir, "sample.db", NULL);
  g_autoptr(PdStore) store = pd_store_open (path, &error);
  g_autoptr(GPtrArray) compare = NULL;
  g_autoptr(GPtrArray) catalogue = NULL;
  PdPeriod year;
  gint64 start = g_get_monotonic_time ();
  double seconds;

  g_assert_true (pd_sample_data_load (store, &error));
  g_assert_no_error (error);
  seconds = (g_get_monotonic_time () - start) / 1e6;
  g_test_message ("pd_sample_data_load: %.2f s", seconds);
  g_assert_cmpfloat (seconds, <, 10.0);
  g_assert_cmpint (pd_store_count (store, &pd_examination_type), >=, 30);
  g_assert_cmpint (pd_store_count (store, &pd_booking_type), >=, 2000);
  g_assert_cmpint (pd_store_count (store, &pd_activation_type), >, 100);
  g_assert_cmpint (pd_store_count (store, &pd_benefit_type), >, 20);
  catalogue = pd_catalogue_list (store, FALSE, &error);
  g_assert_cmpuint (catalogue->len, ==, 30);
  pd_period_init_custom (&year, "2000-01-01", "2100-01-01", &error);
  compare = pd_statistics_compare_partners (store, &year, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (compare->len, >, 10);
  /* Every sample booking is on an enabled cell, priced from the catalogue. */
  for (guint i = 0; i < compare->len; i++)
    {
      PdStatisticsRow *row = g_ptr_array_index (compare, i);

      g_assert_cmpint (row->revenue, >, 0);
      g_assert_cmpint (row->commission, >, 0);
      g_assert_cmpint (row->cancelled, <, row->count);
    }
  g_clear_object (&store);
  pd_test_remove_tree (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/statistics/periods", test_periods);
#define ADD(name, func) \
  g_test_add (name, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/statistics/totals", test_totals);
  ADD ("/statistics/statement", test_statement);
  ADD ("/statistics/statement-pages", test_statement_pages);
  g_test_add_func ("/statistics/sample-data", test_sample_data);
  return g_test_run ();
}
