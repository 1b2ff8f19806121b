/* bench-matrix.c: times the Traffic Channels view over 500 examinations × 200 partners × 3
 * institutions. */
#include "config.h"

#include <glib/gstdio.h>
#include <locale.h>
#include <stdlib.h>

#include "pd-traffic-view.h"
#include "pd-window.h"

/* Usage: bench-matrix [N_EXAMINATIONS [N_PARTNERS [N_INSTITUTIONS [N_BOOKINGS [PNG]]]]]
 * Defaults 500 200 3 1000000; PNG: also write a picture of the matrix there. */

static gint64 painted_at;
static gint64 frame_started_at; /* the frame clock's layout phase */
static double last_frame_cost;  /* layout + snapshot + render of the last frame, ms */

static void
record_frame_start (GdkFrameClock *clock, gpointer data)
{
  frame_started_at = g_get_monotonic_time ();
}

static void
record_paint (GdkFrameClock *clock, gpointer data)
{
  gint64 now = g_get_monotonic_time ();

  last_frame_cost = (now - frame_started_at) / 1000.0;
  if (painted_at == 0)
    painted_at = now;
}

static gboolean
tick (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

/* Iterates until a frame was painted in which the grid drew itself (1 s at most);
 * returns the time of that paint or 0. */
static gint64
wait_grid_painted (PdTrafficGrid *grid, guint snapshots_before)
{
  gint64 deadline = g_get_monotonic_time () + G_USEC_PER_SEC;

  painted_at = 0;
  while (g_get_monotonic_time () < deadline)
    {
      g_main_context_iteration (NULL, TRUE);
      if (painted_at != 0 && pd_traffic_grid_get_n_snapshots (grid) > snapshots_before)
        return painted_at;
      if (painted_at != 0)
        painted_at = 0; /* a frame without the grid: wait for the next */
    }
  return 0;
}

static GtkWidget *
find_type (GtkWidget *root, const char *type_name)
{
  if (g_str_equal (G_OBJECT_TYPE_NAME (root), type_name))
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_type (child, type_name);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static int
compare_doubles (gconstpointer a, gconstpointer b)
{
  double x = *(const double *)a, y = *(const double *)b;

  return (x > y) - (x < y);
}

static void
print_stats (const char *what, GArray *ms)
{
  g_array_sort (ms, compare_doubles);
  if (ms->len == 0)
    return;
  g_print ("%s: n=%u median %.2f ms, p95 %.2f ms, max %.2f ms\n", what, ms->len,
           g_array_index (ms, double, ms->len / 2),
           g_array_index (ms, double, MIN (ms->len - 1, (guint)(ms->len * 0.95))),
           g_array_index (ms, double, ms->len - 1));
}

static void
write_png (GtkWidget *widget, const char *path)
{
  GdkPaintable  *paintable = gtk_widget_paintable_new (widget);
  GtkSnapshot   *snapshot = gtk_snapshot_new ();
  GskRenderNode *node;
  GdkTexture    *texture;

  gdk_paintable_snapshot (paintable, snapshot, gtk_widget_get_width (widget),
                          gtk_widget_get_height (widget));
  node = gtk_snapshot_free_to_node (snapshot);
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (gtk_widget_get_native (widget)),
                                         node, NULL);
  gdk_texture_save_to_png (texture, path);
  g_print ("picture: %s\n", path);
  g_object_unref (texture);
  gsk_render_node_unref (node);
  g_object_unref (paintable);
}

static void
bench_switch_institutions (PdTrafficView *view, PdTrafficGrid *grid, PdStore *store)
{
  g_autoptr (GPtrArray) institutions
      = pd_store_list (store, &pd_institution_type, NULL, NULL, NULL);
  g_autoptr (GArray) ms = g_array_new (FALSE, FALSE, sizeof (double));

  for (guint round = 0; round < 3; round++)
    for (guint i = 0; i < institutions->len; i++)
      {
        const char *id
            = pd_record_get_id (g_ptr_array_index (institutions, (i + 1) % institutions->len));
        guint  before = pd_traffic_grid_get_n_snapshots (grid);
        gint64 t0 = g_get_monotonic_time (), t1;
        double d;

        if (g_strcmp0 (id, pd_traffic_view_get_institution_id (view)) == 0)
          continue;
        pd_traffic_view_set_institution (view, id);
        t1 = wait_grid_painted (grid, before);
        d = (t1 - t0) / 1000.0;
        g_array_append_val (ms, d);
      }
  print_stats ("switch institution until drawn", ms);
}

/* Toggles unblocked cells spread over the visible area, twice each (on, off). */
static void
bench_toggles (PdTrafficView *view, PdTrafficGrid *grid)
{
  g_autoptr (GArray) saved = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray) drawn = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray) cost = g_array_new (FALSE, FALSE, sizeof (double));
  PdTrafficMatrix *matrix = pd_traffic_view_get_matrix (view);
  guint            n = 0;

  gtk_widget_grab_focus (GTK_WIDGET (grid));
  for (guint r = 0; r < 20 && n < 20; r++)
    for (guint c = r % 3; c < 20 && n < 20; c += 7)
      {
        if (pd_traffic_matrix_get_block (matrix, r, c) != PD_CELL_OK)
          continue;
        pd_traffic_grid_set_focus_cell (grid, r, c);
        wait_grid_painted (grid, pd_traffic_grid_get_n_snapshots (grid));
        for (guint k = 0; k < 2; k++)
          {
            guint  before = pd_traffic_grid_get_n_snapshots (grid);
            gint64 t0 = g_get_monotonic_time (), t1, t2;
            double d;

            pd_traffic_grid_handle_key (grid, GDK_KEY_space, 0); /* saved when it returns */
            t1 = g_get_monotonic_time ();
            t2 = wait_grid_painted (grid, before);
            d = (t1 - t0) / 1000.0;
            g_array_append_val (saved, d);
            d = (t2 - t0) / 1000.0;
            g_array_append_val (drawn, d);
            g_array_append_val (cost, last_frame_cost);
          }
        n++;
      }
  print_stats ("toggle (Space) until saved (store, change log, audit)", saved);
  print_stats ("toggle (Space) until the next frame is painted (60 Hz frame clock)", drawn);
  print_stats ("  that frame's own cost (layout, snapshot, render)", cost);
}

static void
bench_scroll (PdTrafficGrid *grid)
{
  GtkAdjustment *vadj = gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (grid));
  GtkAdjustment *hadj = gtk_scrollable_get_hadjustment (GTK_SCROLLABLE (grid));
  g_autoptr (GArray) ms = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray) cost = g_array_new (FALSE, FALSE, sizeof (double));

  for (guint i = 0; i < 60; i++)
    {
      guint          before = pd_traffic_grid_get_n_snapshots (grid);
      GtkAdjustment *adj = i % 4 == 3 ? hadj : vadj;
      double value = gtk_adjustment_get_value (adj) + gtk_adjustment_get_page_increment (adj);
      gint64 t0 = g_get_monotonic_time (), t1;
      double d;

      if (value > gtk_adjustment_get_upper (adj) - gtk_adjustment_get_page_size (adj))
        value = 0;
      gtk_adjustment_set_value (adj, value);
      t1 = wait_grid_painted (grid, before);
      d = (t1 - t0) / 1000.0;
      g_array_append_val (ms, d);
      g_array_append_val (cost, last_frame_cost);
    }
  print_stats ("scroll by a page until the frame is painted", ms);
  print_stats ("  scroll frame cost (layout, snapshot, render)", cost);
}

int
main (int argc, char *argv[])
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  g_autoptr (GtkApplication) app = NULL;
  guint          n_exams = argc > 1 ? (guint)atoi (argv[1]) : 500;
  guint          n_partners = argc > 2 ? (guint)atoi (argv[2]) : 200;
  guint          n_insts = argc > 3 ? (guint)atoi (argv[3]) : 3;
  guint          n_bookings = argc > 4 ? (guint)atoi (argv[4]) : 1000000;
  PdWindow      *window;
  PdStore       *store;
  PdTrafficView *view;
  PdTrafficGrid *grid;
  GtkWidget     *stack;
  GdkFrameClock *clock;
  gint64         t0, t1;
  guint          before;

  setlocale (LC_ALL, "");
  dir = g_dir_make_tmp ("pd-bench-matrix-XXXXXX", &error);
  g_assert_no_error (error);
  path = g_build_filename (dir, "bench.db", NULL);
  {
    g_autoptr (PdStore) maker = pd_store_open (path, &error);

    g_assert_no_error (error);
    t0 = g_get_monotonic_time ();
    if (!pd_sample_data_make_bench_traffic (maker, n_exams, n_partners, n_insts, n_bookings, NULL,
                                            NULL, &error))
      g_error ("%s", error->message);
    g_print ("made %u examinations × %u partners × %u institutions, %u bookings in %.0f ms\n",
             n_exams, n_partners, n_insts, n_bookings, (g_get_monotonic_time () - t0) / 1000.0);
  }

  gtk_init ();
  adw_init ();
  app = gtk_application_new ("io.github.partnerdesk.PartnerDesk.BenchMatrix",
                             G_APPLICATION_NON_UNIQUE);
  g_application_register (G_APPLICATION (app), NULL, &error);
  g_assert_no_error (error);
  store = pd_store_open (path, &error);
  g_assert_no_error (error);
  window = pd_window_new (app, store, NULL);
  gtk_window_set_default_size (GTK_WINDOW (window), 1280, 800);
  gtk_window_present (GTK_WINDOW (window));
  while (!gtk_widget_get_mapped (GTK_WIDGET (window)))
    g_main_context_iteration (NULL, TRUE);
  clock = gtk_widget_get_frame_clock (GTK_WIDGET (window));
  g_signal_connect (clock, "layout", G_CALLBACK (record_frame_start), NULL);
  g_signal_connect (clock, "after-paint", G_CALLBACK (record_paint), NULL);
  g_timeout_add (5, tick, NULL);
  for (guint i = 0; i < 20; i++) /* settle */
    g_main_context_iteration (NULL, FALSE);

  stack = find_type (GTK_WIDGET (window), "AdwViewStack");
  view = PD_TRAFFIC_VIEW (find_type (GTK_WIDGET (window), "PdTrafficView"));
  grid = pd_traffic_view_get_grid (view);
  g_assert_nonnull (stack);

  before = pd_traffic_grid_get_n_snapshots (grid);
  t0 = g_get_monotonic_time ();
  adw_view_stack_set_visible_child_name (ADW_VIEW_STACK (stack), "traffic");
  t1 = wait_grid_painted (grid, before);
  g_print ("switch to Traffic Channels until the matrix is drawn: %.1f ms (%u × %u cells)\n",
           (t1 - t0) / 1000.0, pd_traffic_matrix_get_n_rows (pd_traffic_view_get_matrix (view)),
           pd_traffic_matrix_get_n_columns (pd_traffic_view_get_matrix (view)));
  {
    gint64 l0 = g_get_monotonic_time ();

    pd_traffic_view_reload (view);
    g_print ("  of which loading the matrix (pd_traffic_matrix_load): %.1f ms\n",
             (g_get_monotonic_time () - l0) / 1000.0);
  }

  bench_switch_institutions (view, grid, store);
  bench_toggles (view, grid);
  bench_scroll (grid);
  g_print ("grid frames drawn: %u (renderer %s)\n", pd_traffic_grid_get_n_snapshots (grid),
           g_getenv ("GSK_RENDERER") ? g_getenv ("GSK_RENDERER") : "default");
  if (argc > 5)
    write_png (GTK_WIDGET (view), argv[5]);

  gtk_window_destroy (GTK_WINDOW (window));
  g_object_unref (store);
  {
    g_autofree char *wal = g_strconcat (path, "-wal", NULL);
    g_autofree char *shm = g_strconcat (path, "-shm", NULL);

    g_unlink (path);
    g_unlink (wal);
    g_unlink (shm);
  }
  g_rmdir (dir);
  return 0;
}
