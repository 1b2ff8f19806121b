/* test-commission.c: commission maths (half-up rounding), fixed amounts, rate history, cancellations. */
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>

#include "pd-core.h"
#include "pd-test-util.h"

typedef struct {
  char     *dir;
  char     *path;
  PdStore  *store;
  PdRecord *inst;
  PdRecord *exam;     /* 45.00 at inst */
  PdRecord *partner;  /* active, 10 % */
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  const char *ids[2] = { NULL, NULL };

  f->store = pd_test_open_store ("pd-test-commission-XXXXXX", NULL, &f->dir, &f->path);
  f->inst = pd_record_new (&pd_institution_type);
  pd_record_set_string (f->inst, "name", "Riverside Medical Centre");
  g_assert_true (pd_store_save (f->store, f->inst, &error));
  f->exam = pd_record_new (&pd_examination_type);
  pd_record_set_string (f->exam, "code", "DX-ECG");
  pd_record_set_string (f->exam, "name", "Resting ECG");
  pd_record_set_int (f->exam, "duration_minutes", 20);
  g_assert_true (pd_store_save (f->store, f->exam, &error));
  g_assert_true (pd_catalogue_set_price (f->store, pd_record_get_id (f->exam),
                                         pd_record_get_id (f->inst), 4500, &error));
  f->partner = pd_record_new (&pd_partner_type);
  ids[0] = pd_record_get_id (f->inst);
  pd_record_set_string (f->partner, "name", "Cura Clinic");
  pd_record_set_string (f->partner, "kind", "clinic");
  pd_record_set_string (f->partner, "status", "active");
  pd_record_set_strv (f->partner, "institutions", ids);
  pd_record_set_string (f->partner, "commission_mode", "percentage");
  pd_record_set_int (f->partner, "commission_percent", 1000);
  g_assert_true (pd_store_save (f->store, f->partner, &error));
  g_assert_true (pd_traffic_set_enabled (f->store, pd_record_get_id (f->partner),
                                         pd_record_get_id (f->inst), pd_record_get_id (f->exam),
                                         TRUE, &error));
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_object (&f->inst);
  g_clear_object (&f->exam);
  g_clear_object (&f->partner);
  g_clear_object (&f->store);
  g_remove (f->path);
  g_autofree char *wal = g_strconcat (f->path, "-wal", NULL);
  g_autofree char *shm = g_strconcat (f->path, "-shm", NULL);
  g_remove (wal);
  g_remove (shm);
  g_rmdir (f->dir);
  g_free (f->dir);
  g_free (f->path);
}

static void
test_percent_rounding (void)
{
  /* 12.5 % of 0.99 = 0.12375 -> 0.12 */
  g_assert_cmpint (pd_commission_percent_of (99, 1250), ==, 12);
  /* 33.33 % of 1.00 = 0.3333 -> 0.33 */
  g_assert_cmpint (pd_commission_percent_of (100, 3333), ==, 33);
  /* Exactly half a minor unit rounds up: 50 % of 0.01 = 0.005 -> 0.01; 0.015 -> 0.02 */
  g_assert_cmpint (pd_commission_percent_of (1, 5000), ==, 1);
  g_assert_cmpint (pd_commission_percent_of (3, 5000), ==, 2);
  /* Just below half rounds down: 49.99 % of 0.01 = 0.004999 -> 0.00 */
  g_assert_cmpint (pd_commission_percent_of (1, 4999), ==, 0);
  /* 12.5 % of 0.04 = 0.005 -> 0.01; 12.5 % of 45.00 = 5.625 -> 5.63 */
  g_assert_cmpint (pd_commission_percent_of (4, 1250), ==, 1);
  g_assert_cmpint (pd_commission_percent_of (4500, 1250), ==, 563);
  g_assert_cmpint (pd_commission_percent_of (0, 1250), ==, 0);
  g_assert_cmpint (pd_commission_percent_of (4500, 0), ==, 0);
  g_assert_cmpint (pd_commission_percent_of (4500, 10000), ==, 4500);
  /* The largest price at 100 % does not overflow. */
  g_assert_cmpint (pd_commission_percent_of (PD_CATALOGUE_MAX_PRICE, 10000), ==,
                   PD_CATALOGUE_MAX_PRICE);
  g_assert_cmpint (pd_commission_percent_of (PD_CATALOGUE_MAX_PRICE, 3333), ==, 333300000);
}

static void
test_compute_modes (void)
{
  g_assert_cmpint (pd_commission_compute ("percentage", 1250, 999, 99), ==, 12);
  g_assert_cmpint (pd_commission_compute ("fixed", 1250, 2500, 99), ==, 2500);
  g_assert_cmpint (pd_commission_compute ("fixed", 0, 2500, 0), ==, 2500);
  g_assert_cmpint (pd_commission_compute (NULL, 1250, 2500, 99), ==, 0);
}

static PdRecord *
book (Fixture    *f,
      const char *iso)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDateTime) at = g_date_time_new_from_iso8601 (iso, NULL);
  PdRecord *booking = pd_booking_create (f->store, pd_record_get_id (f->partner),
                                         pd_record_get_id (f->inst), pd_record_get_id (f->exam),
                                         at, NULL, "Jane Doe", NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (booking);
  return booking;
}

static void
test_rate_history (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PdRecord) before = NULL;
  g_autoptr(PdRecord) after = NULL;
  g_autoptr(PdRecord) early = NULL;
  g_autoptr(PdRecord) reloaded = NULL;
  g_autoptr(GPtrArray) rates = NULL;
  g_auto(PdCommissionRate) rate = { 0 };
  const char *id = pd_record_get_id (f->partner);

  /* No history yet: the current terms. */
  g_assert_true (pd_commission_rate_at (f->store, id, "2026-03-01", &rate, &error));
  g_assert_cmpstr (rate.mode, ==, "percentage");
  g_assert_cmpint (rate.percent, ==, 1000);
  g_assert_null (rate.effective_from);
  pd_commission_rate_clear (&rate);

  g_assert_true (pd_commission_add_rate (f->store, id, "2025-01-01", "percentage", 1250, 0,
                                         &error));
  g_assert_true (pd_commission_add_rate (f->store, id, "2026-03-15", "fixed", 0, 700, &error));
  g_assert_no_error (error);

  before = book (f, "2026-03-10T10:00:00Z");
  after = book (f, "2026-03-20T10:00:00Z");
  early = book (f, "2024-06-01T10:00:00Z");
  /* 12.5 % of 45.00 = 5.625 -> 5.63; then 7.00 fixed; before the first rate: the first. */
  g_assert_cmpint (pd_record_get_int (before, "commission"), ==, 563);
  g_assert_cmpint (pd_record_get_int (after, "commission"), ==, 700);
  g_assert_cmpint (pd_record_get_int (early, "commission"), ==, 563);
  g_assert_true (pd_commission_rate_at (f->store, id, "2026-03-15", &rate, &error));
  g_assert_cmpstr (rate.mode, ==, "fixed");
  g_assert_cmpstr (rate.effective_from, ==, "2026-03-15");

  /* Changing the partner's terms records a rate effective today and rewrites nothing. */
  pd_record_set_int (f->partner, "commission_percent", 3000);
  g_assert_true (pd_store_save (f->store, f->partner, &error));
  g_assert_no_error (error);
  rates = pd_commission_list_rates (f->store, id, &error);
  g_assert_cmpuint (rates->len, ==, 3);
  g_assert_cmpint (pd_record_get_int (g_ptr_array_index (rates, 2), "percent"), ==, 3000);
  reloaded = pd_store_get (f->store, &pd_booking_type, pd_record_get_id (before), &error);
  g_assert_cmpint (pd_record_get_int (reloaded, "commission"), ==, 563);
  /* Changed twice on one day: still one rate for today. */
  pd_record_set_int (f->partner, "commission_percent", 3100);
  g_assert_true (pd_store_save (f->store, f->partner, &error));
  g_clear_pointer (&rates, g_ptr_array_unref);
  rates = pd_commission_list_rates (f->store, id, &error);
  g_assert_cmpuint (rates->len, ==, 3);
}

static void
test_first_change_keeps_old_terms (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PdRecord) partner = NULL;
  g_autoptr(GPtrArray) rates = NULL;
  g_autoptr(PdRecord) booking = NULL;
  sqlite3 *db = NULL;

  /* The partner was created long ago, with 10 %. */
  g_assert_cmpint (sqlite3_open (f->path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "UPDATE partners SET created_at = '2024-01-10T09:00:00Z'",
                                 NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);
  partner = pd_store_get (f->store, &pd_partner_type, pd_record_get_id (f->partner), &error);
  pd_record_set_string (partner, "commission_mode", "fixed");
  pd_record_set_int (partner, "commission_fixed", 2500);
  g_assert_true (pd_store_save (f->store, partner, &error));
  g_assert_no_error (error);
  rates = pd_commission_list_rates (f->store, pd_record_get_id (partner), &error);
  g_assert_cmpuint (rates->len, ==, 2);
  g_assert_cmpstr (pd_record_get_string (g_ptr_array_index (rates, 0), "effective_from"), ==,
                   "2024-01-10");
  g_assert_cmpint (pd_record_get_int (g_ptr_array_index (rates, 0), "percent"), ==, 1000);
  g_assert_cmpstr (pd_record_get_string (g_ptr_array_index (rates, 1), "mode"), ==, "fixed");
  /* A booking dated last year still gets 10 % (4.50), one today the fixed 25.00. */
  booking = book (f, "2025-05-05T10:00:00Z");
  g_assert_cmpint (pd_record_get_int (booking, "commission"), ==, 450);
  g_clear_object (&booking);
  {
    g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
    g_autofree char *iso = g_date_time_format (now, "%Y-%m-%dT%H:%M:%SZ");

    booking = book (f, iso);
  }
  g_assert_cmpint (pd_record_get_int (booking, "commission"), ==, 2500);
}

static void
test_bounds (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) rates = NULL;

  g_assert_false (pd_commission_add_rate (f->store, pd_record_get_id (f->partner), "2026-01-01",
                                          "percentage", 10001, 0, &error));
  g_assert_error (error, PD_ERROR, PD_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "from 0 to 100"));
  g_clear_error (&error);
  g_assert_false (pd_commission_add_rate (f->store, pd_record_get_id (f->partner), "2026-01-01",
                                          "fixed", 0, PD_COMMISSION_MAX_FIXED + 1, &error));
  g_assert_cmpstr (error->message, ==,
                   "Fixed commission: A fixed commission can be at most 10,000,000.00");
  g_clear_error (&error);
  g_assert_false (pd_commission_add_rate (f->store, pd_record_get_id (f->partner), "2026-02-30",
                                          "fixed", 0, 100, &error));
  g_assert_error (error, PD_ERROR, PD_ERROR_INVALID);
  g_clear_error (&error);
  rates = pd_commission_list_rates (f->store, pd_record_get_id (f->partner), &error);
  g_assert_cmpuint (rates->len, ==, 0);

  /* The partner's own terms have the same bounds; nothing changes. */
  pd_record_set_string (f->partner, "commission_mode", "fixed");
  pd_record_set_int (f->partner, "commission_fixed", PD_COMMISSION_MAX_FIXED + 1);
  g_assert_false (pd_store_save (f->store, f->partner, &error));
  g_assert_cmpstr (error->message, ==,
                   "Fixed commission: A fixed commission can be at most 10,000,000.00");
  g_clear_error (&error);
  g_clear_pointer (&rates, g_ptr_array_unref);
  rates = pd_commission_list_rates (f->store, pd_record_get_id (f->partner), &error);
  g_assert_cmpuint (rates->len, ==, 0);
}

static void
test_cancelled_earns_nothing (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PdRecord) booking = book (f, "2026-03-10T10:00:00Z");
  g_autoptr(PdRecord) cancelled = NULL;

  g_assert_cmpint (pd_commission_of_booking (booking), ==, 450);
  g_assert_true (pd_booking_cancel (f->store, pd_record_get_id (booking), &error));
  cancelled = pd_store_get (f->store, &pd_booking_type, pd_record_get_id (booking), &error);
  g_assert_cmpstr (pd_record_get_string (cancelled, "status"), ==, "cancelled");
  g_assert_nonnull (pd_record_get_string (cancelled, "cancelled_at"));
  g_assert_cmpint (pd_commission_of_booking (cancelled), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/commission/percent-rounding", test_percent_rounding);
  g_test_add_func ("/commission/modes", test_compute_modes);
#define ADD(name, func) \
  g_test_add (name, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/commission/rate-history", test_rate_history);
  ADD ("/commission/first-change-keeps-old-terms", test_first_change_keeps_old_terms);
  ADD ("/commission/bounds", test_bounds);
  ADD ("/commission/cancelled-earns-nothing", test_cancelled_earns_nothing);
  return g_test_run ();
}
