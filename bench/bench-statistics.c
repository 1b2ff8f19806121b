/* bench-statistics.c: a partner's year of statistics among 1,000,000 bookings, and the traffic matrix data. */
#include <glib/gstdio.h>
#include <stdlib.h>

#include "pd-core.h"

static double
ms_since (gint64 start)
{
  return (g_get_monotonic_time () - start) / 1000.0;
}

static void
report (const char *what,
        double      ms,
        double      target)
{
  g_print ("%-44s %9.1f ms  (target %.0f ms) %s\n", what, ms, target,
           ms <= target ? "OK" : "SLOW");
}

static gboolean
bench_statistics (PdStore    *store,
                  const char *partner_id)
{
  g_autoptr(GError) error = NULL;
  PdPeriod year;
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autoptr(GDateTime) ago = g_date_time_add_days (now, -365);
  g_autofree char *first = g_date_time_format (ago, "%Y-%m-%d");
  g_autofree char *last = g_date_time_format (now, "%Y-%m-%d");

  if (!pd_period_init_custom (&year, first, last, &error))
    return FALSE;
  for (int run = 0; run < 3; run++)
    {
      gint64 start = g_get_monotonic_time ();
      g_autoptr(PdStatistics) stats = pd_statistics_compute (store, partner_id, &year, &error);
      double ms = ms_since (start);
      g_autofree char *label = NULL;

      if (stats == NULL)
        {
          g_printerr ("statistics: %s\n", error->message);
          return FALSE;
        }
      label = g_strdup_printf ("partner year statistics (run %d, %" G_GINT64_FORMAT " bookings)",
                               run + 1, stats->total.count + stats->total.cancelled);
      report (label, ms, 200);
    }
  {
    gint64 start = g_get_monotonic_time ();
    g_autoptr(GPtrArray) page = pd_statistics_list_lines (store, partner_id, &year, 0, 200,
                                                          &error);

    report ("first page of 200 booking lines", ms_since (start), 50);
  }
  {
    gint64 start = g_get_monotonic_time ();
    g_autoptr(GPtrArray) rows = pd_statistics_compare_partners (store, &year, &error);

    report ("practice-wide comparison, one year", ms_since (start), 300);
  }
  return TRUE;
}

static gboolean
bench_matrix (PdStore *store)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) institutions = pd_store_list (store, &pd_institution_type, NULL, NULL,
                                                     &error);
  g_autoptr(PdTrafficMatrix) m = NULL;
  guint row = 0, col = 0;
  gint64 start;
  double worst = 0;

  for (guint i = 0; i < institutions->len; i++)
    {
      g_autoptr(PdTrafficMatrix) loaded = NULL;
      g_autofree char *label = NULL;
      guint enabled = 0;

      start = g_get_monotonic_time ();
      loaded = pd_traffic_matrix_load (store, pd_record_get_id (g_ptr_array_index (institutions,
                                                                                  i)),
                                       NULL, &error);
      if (loaded == NULL)
        {
          g_printerr ("matrix: %s\n", error->message);
          return FALSE;
        }
      worst = MAX (worst, ms_since (start));
      for (guint c = 0; c < pd_traffic_matrix_get_n_columns (loaded); c++)
        enabled += pd_traffic_matrix_count_column (loaded, c);
      label = g_strdup_printf ("matrix load %u x %u (%u enabled)",
                               pd_traffic_matrix_get_n_rows (loaded),
                               pd_traffic_matrix_get_n_columns (loaded), enabled);
      report (label, ms_since (start), 100);
      if (m == NULL)
        m = pd_traffic_matrix_ref (loaded);
    }
  /* Toggle the first sensitive cell twice (on/off), timing each save. */
  for (row = 0; row < pd_traffic_matrix_get_n_rows (m); row++)
    {
      for (col = 0; col < pd_traffic_matrix_get_n_columns (m); col++)
        if (pd_traffic_matrix_get_block (m, row, col) == PD_CELL_OK)
          break;
      if (col < pd_traffic_matrix_get_n_columns (m))
        break;
    }
  for (int i = 0; i < 4; i++)
    {
      gboolean on = !pd_traffic_matrix_get_enabled (m, row, col);

      start = g_get_monotonic_time ();
      if (!pd_traffic_matrix_set_enabled (m, store, row, col, on, &error))
        {
          g_printerr ("toggle: %s\n", error->message);
          return FALSE;
        }
      report (on ? "toggle one cell on (store save)" : "toggle one cell off (store save)",
              ms_since (start), 16);
    }
  {
    g_autoptr(GArray) changed = NULL;
    guint n = 0;

    start = g_get_monotonic_time ();
    if (!pd_traffic_matrix_set_column (m, store, col, TRUE, &changed, &n, &error))
      return FALSE;
    g_print ("%-44s %9.1f ms  (%u cells)\n", "whole column on, one transaction", ms_since (start), n);
    start = g_get_monotonic_time ();
    if (!pd_traffic_matrix_set_cells (m, store, changed, FALSE, &n, &error))
      return FALSE;
    g_print ("%-44s %9.1f ms  (%u cells)\n", "undo it", ms_since (start), n);
  }
  return TRUE;
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PdStore) store = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  g_autofree char *big = NULL;
  guint n_bookings = argc > 1 ? (guint) atoi (argv[1]) : 1000000;
  gint64 start;

  dir = g_dir_make_tmp ("pd-bench-statistics-XXXXXX", &error);
  path = g_build_filename (dir, "bench.db", NULL);
  store = pd_store_open (path, &error);
  if (store == NULL)
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  start = g_get_monotonic_time ();
  if (!pd_sample_data_make_bench_traffic (store, 500, 200, 3, n_bookings, &big, NULL, &error))
    {
      g_printerr ("bench data: %s\n", error->message);
      return 1;
    }
  g_print ("%-44s %9.1f ms  (500 exams x 200 partners x 3 institutions, %u bookings)\n",
           "make bench data", ms_since (start), n_bookings);
  /* Measure on a freshly opened store, as the app would see it. */
  g_clear_object (&store);
  store = pd_store_open (path, &error);
  if (store == NULL || !bench_statistics (store, big) || !bench_matrix (store))
    return 1;
  g_clear_object (&store);
  for (const char *const *suffix = (const char *const[]) { "", "-wal", "-shm", NULL }; *suffix;
       suffix++)
    {
      g_autofree char *file = g_strconcat (path, *suffix, NULL);

      g_remove (file);
    }
  g_rmdir (dir);
  return 0;
}
