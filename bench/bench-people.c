/* bench-people.c: times the People tab over 1,000,000 people of one partner: first rows, the end,
 * random pages. */
#include "config.h"

#include <glib/gstdio.h>
#include <locale.h>
#include <sqlite3.h>
#include <sys/resource.h>

#include "pd-people-page.h"

#define N_PEOPLE_DEFAULT 1000000

static const char *const first_names[]
    = { "Anna",  "Ben",  "Clara", "David", "Eva",  "Felix", "Greta", "Hans",   "Ines",
        "Jonas", "Karl", "Lena",  "Mia",   "Noah", "Olga",  "Paul",  "Jürgen", "Zoë" };
static const char *const last_names[]
    = { "Berg", "Schmidt", "Müller", "Weber", "Fischer",  "Wagner",  "Becker", "Hoffmann",
        "Koch", "Richter", "Klein",  "Wolf",  "Schröder", "Neumann", "Braun" };

static long peak_rss_mb (void);

static double
ms_since (gint64 start)
{
  return (g_get_monotonic_time () - start) / 1000.0;
}

static char *
make_partner (PdStore *store)
{
  g_autoptr (PdRecord) partner = pd_record_new (&pd_partner_type);
  g_autoptr (GError) error = NULL;

  pd_record_set_string (partner, "name", "Bench Employer");
  if (!pd_store_save (store, partner, &error))
    g_error ("%s", error->message);
  return g_strdup (pd_record_get_id (partner));
}

/* The bench's setup, not the product: one multi-row-free prepared INSERT in one transaction. */
static void
insert_people (const char *path, const char *partner_id, guint n)
{
  sqlite3      *db = NULL;
  sqlite3_stmt *stmt = NULL;
  GRand        *rand = g_rand_new_with_seed (42);

  g_assert (sqlite3_open (path, &db) == SQLITE_OK);
  sqlite3_exec (db, "PRAGMA synchronous = OFF; BEGIN", NULL, NULL, NULL);
  g_assert (sqlite3_prepare_v2 (db,
                                "INSERT INTO persons (id, version, created_at, updated_at, deleted,"
                                " partner_id, member_id, group_id, first_name, last_name,"
                                " display_name, date_of_birth, relationship, employee_member_id,"
                                " coverage_start, coverage_end, eligibility_status,"
                                " enrollment_status, email, phone, first_name_fold, name_key)"
                                " VALUES (?1, 1, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 0,"
                                " ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15,"
                                " ?16, lower (?5), ?17)",
                                -1, &stmt, NULL)
            == SQLITE_OK);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *id = pd_uuid_new ();
      g_autofree char *member = g_strdup_printf ("M%07u", i);
      g_autofree char *employee = g_strdup_printf ("M%07u", i - i % 3);
      g_autofree char *group = g_strdup_printf ("G%03u", g_rand_int_range (rand, 0, 200));
      const char      *first = first_names[g_rand_int_range (rand, 0, G_N_ELEMENTS (first_names))];
      g_autofree char *last = g_strdup_printf (
          "%s%u", last_names[g_rand_int_range (rand, 0, G_N_ELEMENTS (last_names))],
          g_rand_int_range (rand, 0, 5000));
      g_autofree char *display = g_strdup_printf ("%s %s", first, last);
      g_autofree char *dob
          = g_strdup_printf ("19%02d-%02d-%02d", g_rand_int_range (rand, 40, 99),
                             g_rand_int_range (rand, 1, 13), g_rand_int_range (rand, 1, 29));
      g_autofree char *start = g_strdup_printf ("20%02d-01-01", g_rand_int_range (rand, 15, 26));
      g_autofree char *email = g_strdup_printf ("p%u@example.com", i);
      gboolean         dependent = i % 3 != 0;

      sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 2, partner_id, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 3, member, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 4, group, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 5, first, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 6, last, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 7, display, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 8, dob, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 9, dependent ? (i % 3 == 1 ? "spouse" : "child") : "employee", -1,
                         SQLITE_STATIC);
      if (dependent)
        sqlite3_bind_text (stmt, 10, employee, -1, SQLITE_STATIC);
      else
        sqlite3_bind_null (stmt, 10);
      sqlite3_bind_text (stmt, 11, start, -1, SQLITE_STATIC);
      sqlite3_bind_null (stmt, 12);
      sqlite3_bind_text (stmt, 13, i % 20 == 0 ? "terminated" : "eligible", -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 14, i % 7 == 0 ? "enrolled" : "not_enrolled", -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 15, email, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 16, "+49 30 1234567", -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 17, pd_people_name_key (last, first), -1, g_free);
      g_assert (sqlite3_step (stmt) == SQLITE_DONE);
      sqlite3_reset (stmt);
    }
  sqlite3_finalize (stmt);
  sqlite3_exec (db, "COMMIT; ANALYZE", NULL, NULL, NULL);
  sqlite3_close (db);
  g_rand_free (rand);
}

static void
iterate_until_idle (void)
{
  while (g_main_context_pending (NULL))
    g_main_context_iteration (NULL, FALSE);
}

/* Runs the main loop until COND holds, a frame after it; returns ms from START. */
#define WAIT_FOR(cond)                                                                             \
  G_STMT_START                                                                                     \
  {                                                                                                \
    while (!(cond))                                                                                \
      g_main_context_iteration (NULL, TRUE);                                                       \
  }                                                                                                \
  G_STMT_END

static gboolean painted;

static void
on_after_paint (GdkFrameClock *clock, gpointer data)
{
  painted = TRUE;
}

static void
wait_for_paint (GtkWidget *window)
{
  painted = FALSE;
  gtk_widget_queue_draw (window);
  WAIT_FOR (painted);
}

static double
time_get_item (PdPeopleModel *model, guint position)
{
  gint64 start = g_get_monotonic_time ();
  g_autoptr (PdRecord) person = g_list_model_get_item (G_LIST_MODEL (model), position);

  g_assert_nonnull (person);
  return ms_since (start);
}

static double
time_loaded (PdPeoplePage *page, PdPeopleModel *model, void (*change) (PdPeoplePage *, gpointer),
             gpointer data)
{
  gint64 start = g_get_monotonic_time ();

  change (page, data);
  WAIT_FOR (pd_people_model_get_loading (model));
  WAIT_FOR (!pd_people_model_get_loading (model));
  return ms_since (start);
}

static void
set_search (PdPeoplePage *page, gpointer text)
{
  GtkWidget *toolbar = pd_people_page_get_toolbar (page);

  gtk_editable_set_text (GTK_EDITABLE (gtk_widget_get_first_child (toolbar)), text);
}

static long
peak_rss_mb (void)
{
  struct rusage usage;

  getrusage (RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024;
}

/* Peak resident memory, and what it is now: anonymous (ours) and file pages (SQLite's
 * memory map of the database, shared with the page cache). */
static void
print_memory (const char *when)
{
  g_autofree char *status = NULL;
  g_auto (GStrv) lines = NULL;
  GString *now = g_string_new (NULL);

  if (g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    lines = g_strsplit (status, "\n", -1);
  for (guint i = 0; lines != NULL && lines[i] != NULL; i++)
    if (g_str_has_prefix (lines[i], "RssAnon:") || g_str_has_prefix (lines[i], "RssFile:"))
      g_string_append_printf (now, " %s", g_strdelimit (lines[i], "\t", ' '));
  g_print ("memory %s: peak %ld MB;%s\n", when, peak_rss_mb (), now->str);
  g_string_free (now, TRUE);
}

int
main (int argc, char *argv[])
{
  guint            n = argc > 1 ? (guint)g_ascii_strtoull (argv[1], NULL, 10) : N_PEOPLE_DEFAULT;
  g_autofree char *dir = g_dir_make_tmp ("bench-people-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "people.db", NULL);
  g_autoptr (PdStore) store = NULL;
  g_autofree char *partner_id = NULL;
  g_autoptr (GError) error = NULL;
  PdPeopleModel *model;
  PdPeoplePage  *page;
  GtkWidget     *window;
  GRand         *rand = g_rand_new_with_seed (7);
  gint64         start;
  double         first_rows, counted, last_page, worst = 0;

  setlocale (LC_ALL, "");
  gtk_init ();
  adw_init ();
  store = pd_store_open (path, &error);
  g_assert_no_error (error);
  partner_id = make_partner (store);
  start = g_get_monotonic_time ();
  insert_people (path, partner_id, n);
  g_print ("setup: %u people inserted in %.0f ms (peak memory so far %ld MB)\n", n,
           ms_since (start), peak_rss_mb ());

  page = pd_people_page_new (store);
  model = pd_people_page_get_model (page);
  window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (window), 1200, 800);
  gtk_window_set_child (GTK_WINDOW (window), GTK_WIDGET (page));
  gtk_window_present (GTK_WINDOW (window));
  g_signal_connect (gtk_widget_get_frame_clock (window), "after-paint", G_CALLBACK (on_after_paint),
                    NULL);
  wait_for_paint (window);
  iterate_until_idle ();

  /* Showing the tab: the partner's first rows bound and painted. */
  start = g_get_monotonic_time ();
  pd_people_page_set_partner_id (page, partner_id);
  WAIT_FOR (g_list_model_get_n_items (G_LIST_MODEL (model)) > 0);
  g_print ("first page in the model: %.1f ms\n", ms_since (start));
  painted = FALSE;
  WAIT_FOR (painted);
  first_rows = ms_since (start);
  WAIT_FOR (pd_people_model_get_complete (model) && !pd_people_model_get_loading (model));
  counted = ms_since (start);
  g_print ("first rows painted: %.1f ms (target 150 ms)\n", first_rows);
  g_print ("whole result known (%u people, %u eligible): %.0f ms\n",
           g_list_model_get_n_items (G_LIST_MODEL (model)), pd_people_model_get_n_eligible (model),
           counted);
  print_memory ("after the whole result");

  /* The end, and random places: each is one page fetch. */
  last_page = time_get_item (model, n - 1);
  start = g_get_monotonic_time ();
  pd_people_page_scroll_to (page, n - 1);
  wait_for_paint (window);
  g_print ("last page fetch: %.2f ms; scrolled to the end and painted: %.1f ms\n", last_page,
           ms_since (start));
  for (guint i = 0; i < 20; i++)
    worst = MAX (worst, time_get_item (model, g_rand_int_range (rand, 0, n)));
  g_print ("20 random page fetches: worst %.2f ms (target 16 ms); pages fetched in all: %u\n",
           worst, pd_people_model_get_n_page_fetches (model));

  print_memory ("after scrolling");
  g_print ("search \"anna berg1\": %.0f ms\n",
           time_loaded (page, model, set_search, (gpointer) "anna berg1"));
  g_print ("  -> %u people\n", g_list_model_get_n_items (G_LIST_MODEL (model)));
  g_print ("search cleared: %.0f ms\n", time_loaded (page, model, set_search, (gpointer) ""));
  print_memory ("at the end");

  gtk_window_destroy (GTK_WINDOW (window));
  g_rand_free (rand);
  g_clear_object (&store);
  {
    g_autofree char *wal = g_strconcat (path, "-wal", NULL);
    g_autofree char *shm = g_strconcat (path, "-shm", NULL);

    g_unlink (wal);
    g_unlink (shm);
    g_unlink (path);
    g_rmdir (dir);
  }
  return 0;
}
