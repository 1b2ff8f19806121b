/* bench-partners.c: times the partner window over 10,000 partners: first frame and search keystrokes. */
#include "config.h"

#include <glib/gstdio.h>
#include <locale.h>

#include "pd-window.h"

#define N_PARTNERS_DEFAULT 10000

typedef struct {
  GMainLoop *loop;
  gint64     start;
  gint64     first_frame;
  gulong     handler;
} FirstFrame;

static void
on_after_paint (GdkFrameClock *clock,
                FirstFrame    *ff)
{
  if (ff->first_frame == 0)
    ff->first_frame = g_get_monotonic_time ();
  g_main_loop_quit (ff->loop);
}

static void
on_realize (GtkWidget  *window,
            FirstFrame *ff)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (window);

  ff->handler = g_signal_connect (clock, "after-paint", G_CALLBACK (on_after_paint), ff);
}

typedef struct {
  gboolean changed;
  gint64   at;
} Changed;

static void
on_items_changed (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  Changed    *changed)
{
  if (!changed->changed)
    changed->at = g_get_monotonic_time ();
  changed->changed = TRUE;
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

/* Wakes the main loop so the waiting loops below notice their deadlines. */
static gboolean
tick (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

static gboolean
next_paint (GdkFrameClock *clock,
            gint64        *painted_at)
{
  GMainContext *context = g_main_context_default ();
  gint64 deadline = g_get_monotonic_time () + G_USEC_PER_SEC;

  *painted_at = 0;
  while (*painted_at == 0 && g_get_monotonic_time () < deadline)
    g_main_context_iteration (context, TRUE);
  return *painted_at != 0;
}

static void
record_paint (GdkFrameClock *clock,
              gint64        *painted_at)
{
  if (*painted_at == 0)
    *painted_at = g_get_monotonic_time ();
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GtkApplication) app = NULL;
  g_autoptr(GArray) filter_ms = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) paint_ms = g_array_new (FALSE, FALSE, sizeof (double));
  const char *queries[] = { "a", "ac", "acm", "acme", "acm", "ac", "a", "",
                            "b", "be", "ber", "berl", "berli", "berlin", "", "9", "99", "" };
  guint n_partners = N_PARTNERS_DEFAULT;
  FirstFrame ff = { 0 };
  PdWindow *window;
  PdStore *store;
  GListModel *visible;
  GtkEditable *search;
  GdkFrameClock *clock;
  gint64 t0, t1, painted_at = 0;
  Changed changed = { 0 };

  setlocale (LC_ALL, "");
  if (argc > 1)
    n_partners = (guint) g_ascii_strtoull (argv[1], NULL, 10);

  dir = g_dir_make_tmp ("pd-bench-XXXXXX", &error);
  g_assert_no_error (error);
  path = g_build_filename (dir, "bench.db", NULL);

  /* Make the data in a store of its own, then close it: the timed start opens the file cold-ish (warm cache). */
  {
    g_autoptr(PdStore) maker = pd_store_open (path, &error);

    g_assert_no_error (error);
    t0 = g_get_monotonic_time ();
    if (!pd_sample_data_add_partners (maker, n_partners, &error))
      g_error ("%s", error->message);
    t1 = g_get_monotonic_time ();
    g_print ("made %u partners in %.0f ms\n", n_partners, (t1 - t0) / 1000.0);
  }

  /* Start: from here to the first painted frame. */
  ff.start = g_get_monotonic_time ();
  gtk_init ();
  adw_init ();
  app = gtk_application_new ("io.github.partnerdesk.PartnerDesk.Bench", G_APPLICATION_NON_UNIQUE);
  g_application_register (G_APPLICATION (app), NULL, &error);
  g_assert_no_error (error);

  store = pd_store_open (path, &error);
  g_assert_no_error (error);
  window = pd_window_new (app, store, NULL);
  ff.loop = g_main_loop_new (NULL, FALSE);
  g_signal_connect (window, "realize", G_CALLBACK (on_realize), &ff);
  gtk_window_present (GTK_WINDOW (window));
  g_main_loop_run (ff.loop);
  clock = gtk_widget_get_frame_clock (GTK_WIDGET (window));
  g_signal_handler_disconnect (clock, ff.handler);
  g_print ("first frame: %.1f ms after start (gtk_init, store open, %u partners loaded, window built and painted)\n",
           (ff.first_frame - ff.start) / 1000.0, n_partners);

  visible = pd_window_get_visible_partners (window);
  search = pd_window_get_search_entry (window);
  g_signal_connect (visible, "items-changed", G_CALLBACK (on_items_changed), &changed);
  g_signal_connect (clock, "after-paint", G_CALLBACK (record_paint), &painted_at);
  g_timeout_add (5, tick, NULL);

  /* Warm up once, then time each keystroke: until the filtered list changed, and until the frame shows it. */
  gtk_editable_set_text (search, "x");
  next_paint (clock, &painted_at);
  gtk_editable_set_text (search, "");
  next_paint (clock, &painted_at);

  for (guint i = 0; i < G_N_ELEMENTS (queries); i++)
    {
      double f, p;

      changed.changed = FALSE;
      painted_at = 0;
      t0 = g_get_monotonic_time ();
      gtk_editable_set_text (search, queries[i]);
      /* The entry may debounce; wait for the model to change (or 1 s for a no-op). */
      while (!changed.changed && g_get_monotonic_time () - t0 < G_USEC_PER_SEC)
        g_main_context_iteration (NULL, TRUE);
      if (!changed.changed)
        continue;
      painted_at = 0;
      next_paint (clock, &painted_at);
      f = (changed.at - t0) / 1000.0;
      p = (painted_at - t0) / 1000.0;
      g_array_append_val (filter_ms, f);
      g_array_append_val (paint_ms, p);
      g_print ("  \"%s\": %u shown; refiltered in %.2f ms, painted at %.2f ms\n",
               queries[i], g_list_model_get_n_items (visible), f, p);
    }

  /* Baseline: a full repaint of the unchanged window, to tell rendering cost from filtering cost. */
  {
    g_autoptr(GArray) base_ms = g_array_new (FALSE, FALSE, sizeof (double));

    for (guint i = 0; i < 9; i++)
      {
        double b;

        t0 = g_get_monotonic_time ();
        gtk_widget_queue_draw (GTK_WIDGET (window));
        painted_at = 0;
        next_paint (clock, &painted_at);
        b = (painted_at - t0) / 1000.0;
        g_array_append_val (base_ms, b);
      }
    g_array_sort (base_ms, compare_doubles);
    g_print ("baseline full-window repaint (renderer %s): median %.2f ms\n",
             g_getenv ("GSK_RENDERER") ? g_getenv ("GSK_RENDERER") : "default",
             g_array_index (base_ms, double, base_ms->len / 2));
  }

  g_array_sort (filter_ms, compare_doubles);
  g_array_sort (paint_ms, compare_doubles);
  if (filter_ms->len > 0)
    g_print ("search keystroke over %u partners: median refilter %.2f ms, max %.2f ms; "
             "median to painted frame %.2f ms, max %.2f ms\n",
             n_partners,
             g_array_index (filter_ms, double, filter_ms->len / 2),
             g_array_index (filter_ms, double, filter_ms->len - 1),
             g_array_index (paint_ms, double, paint_ms->len / 2),
             g_array_index (paint_ms, double, paint_ms->len - 1));

  gtk_window_destroy (GTK_WINDOW (window));
  g_object_unref (store);
  g_main_loop_unref (ff.loop);
  g_unlink (path);
  {
    g_autofree char *wal = g_strconcat (path, "-wal", NULL);
    g_autofree char *shm = g_strconcat (path, "-shm", NULL);
    g_unlink (wal);
    g_unlink (shm);
  }
  g_rmdir (dir);
  return 0;
}
