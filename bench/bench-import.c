/* bench-import.c: times the eligibility import of a 1,000,000-row census against sqlite3's own .import. */
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "pd-core.h"

static const char *const first_names[] = {
  "Anna", "Ben", "Clara", "David", "Emma", "Felix", "Greta", "Hannah", "Ida", "Jonas", "Karl",
  "Lena", "Mia", "Noah", "Olivia", "Paul", "Quentin", "Rosa", "Sophie", "Tom", "Ursula",
  "Viktor", "Wilma", "Xaver", "Yara", "Zoe", "Liam", "Amelia", "Oliver", "Isla", "José",
  "Zoë", "Émile", "Jürgen", "Małgorzata", "Siobhan",
};

static const char *const last_names[] = {
  "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz",
  "Hoffmann", "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies",
  "Robinson", "Wright", "de Vries", "van Dijk", "Jansen", "Bakker", "Visser", "Smit", "Meijer",
  "O'Brien", "García", "Rossi",
};

static const char *const cities[] = {
  "Hamburg", "Berlin", "Munich", "Cologne", "Frankfurt am Main", "Stuttgart", "Leipzig",
  "Manchester", "Leeds", "Rotterdam", "Utrecht", "Vienna",
};

static const char *const enrollments[] = { "Enrolled", "Not enrolled", "Invited", "Declined" };

#define HEADER "Member ID,Group ID,First Name,Last Name,Date of Birth,Relationship," \
  "Employee ID,Coverage Start,Coverage End,Eligibility,Enrollment,Email,Phone,Street,City," \
  "Postal Code\n"

static guint64
file_size (const char *path)
{
  GStatBuf st;

  g_assert_true (g_stat (path, &st) == 0);
  return (guint64) st.st_size;
}

/* Writes the census: families of an employee, maybe a spouse, maybe children. With
 * VARIANT, 1 % of the rows have a new email and 1 % are left out. */
static guint64
write_census (const char *path,
              guint       n_rows,
              gboolean    variant)
{
  FILE *out = fopen (path, "wb");
  GRand *rand = g_rand_new_with_seed (20240101);
  char employee[32] = "";
  guint family = 0, member = 0;
  g_assert_nonnull (out);
  setvbuf (out, NULL, _IOFBF, 1 << 20);
  fputs (HEADER, out);
  for (guint i = 0; i < n_rows; i++)
    {
      gboolean dependent = member > 0 && g_rand_int_range (rand, 0, 100) < 45 && member < 4;
      const char *first = first_names[g_rand_int_range (rand, 0, G_N_ELEMENTS (first_names))];
      const char *last = last_names[g_rand_int_range (rand, 0, G_N_ELEMENTS (last_names))];
      int year = dependent && member > 1 ? g_rand_int_range (rand, 2000, 2020)
                                         : g_rand_int_range (rand, 1955, 2002);
      int month = g_rand_int_range (rand, 1, 13), day = g_rand_int_range (rand, 1, 29);
      int start = g_rand_int_range (rand, 2015, 2025);
      guint enrollment = g_rand_int_range (rand, 0, G_N_ELEMENTS (enrollments));
      guint phone = g_rand_int_range (rand, 1000000, 9999999);
      guint street = g_rand_int_range (rand, 1, 300);
      const char *city = cities[g_rand_int_range (rand, 0, G_N_ELEMENTS (cities))];
      char id[40];

      if (!dependent)
        {
          family++;
          member = 0;
          g_snprintf (employee, sizeof employee, "E%07u", family);
          g_strlcpy (id, employee, sizeof id);
        }
      else
        g_snprintf (id, sizeof id, "%s-%u", employee, member);
      member++;
      if (variant && i % 100 == 37)
        continue;
      fprintf (out, "%s,G%04u,%s,%s,%04d-%02d-%02d,%s,%s,%04d-01-01,,Active,%s,"
               "member%u@%s.example.com,+49 40 %u,Hafenstraße %u,%s,%05u\n",
               id, family % 500, first, last, year, month, day,
               !dependent ? "Employee" : member == 2 ? "Spouse" : "Child",
               dependent ? employee : "", start, enrollments[enrollment], i,
               variant && i % 100 == 11 ? "new-mail" : "mail", phone, street, city,
               20000 + street * 7);
    }
  g_rand_free (rand);
  fclose (out);
  return file_size (path);
}

static double
seconds_since (gint64 start)
{
  return (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;
}

/* CPU seconds (user + system, all threads) of this process or of its waited-for children:
 * less disturbed than wall time when others share the machine. */
static double
cpu_seconds (int who)
{
  struct rusage usage;

  getrusage (who, &usage);
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec
         + (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

/* (a) the sqlite3 shell's .import into a table with a unique index on member ID. */
static double
time_sqlite3_import (const char *dir,
                     const char *csv)
{
  g_autofree char *db = g_build_filename (dir, "sqlite3-import.db", NULL);
  g_autofree char *import = g_strdup_printf (".import --csv --skip 1 %s census", csv);
  const char *argv[] = {
    "sqlite3", db,
    "CREATE TABLE census (member_id TEXT, group_id TEXT, first_name TEXT, last_name TEXT, "
    "date_of_birth TEXT, relationship TEXT, employee_member_id TEXT, coverage_start TEXT, "
    "coverage_end TEXT, eligibility TEXT, enrollment TEXT, email TEXT, phone TEXT, "
    "street TEXT, city TEXT, postal_code TEXT); "
    "CREATE UNIQUE INDEX census_member_id ON census (member_id);",
    import, NULL,
  };
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  int status = 0;
  gint64 start;

  g_remove (db);
  start = g_get_monotonic_time ();
  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, &err,
                     &status, &error))
    {
      g_printerr ("sqlite3 could not run (install the sqlite3 package): %s\n", error->message);
      return -1;
    }
  if (!g_spawn_check_wait_status (status, &error) || (err && *err))
    g_printerr ("sqlite3: %s %s\n", error ? error->message : "", err ? err : "");
  return seconds_since (start);
}

static long peak_rss_mb (void);

/* PD_BENCH_PAGE_SIZE=16384: the database is made with that page size (by the sqlite3 shell)
 * before the store sets it up, to measure the effect of the store's page size. */
static void
make_database (const char *db)
{
  const char *page_size = g_getenv ("PD_BENCH_PAGE_SIZE");
  g_autofree char *sql = NULL;
  const char *argv[] = { "sqlite3", db, NULL, NULL };
  g_autoptr(GError) error = NULL;
  int status = 0;

  if (page_size == NULL)
    return;
  sql = g_strdup_printf ("PRAGMA page_size = %u; CREATE TABLE x (a); DROP TABLE x;",
                         (guint) g_ascii_strtoull (page_size, NULL, 10));
  argv[2] = sql;
  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL,
                     &status, &error)
      || !g_spawn_check_wait_status (status, &error))
    g_error ("sqlite3 could not make the database: %s", error->message);
}

static void
progress_dot (double      fraction,
              const char *phase,
              gpointer    user_data)
{
  static const char *last = NULL;
  static gint64 since = 0;
  static double cpu_since = 0, all_since = 0;

  if (phase != last)
    {
      gint64 now = g_get_monotonic_time ();
      double cpu = cpu_seconds (RUSAGE_THREAD);
      double all = cpu_seconds (RUSAGE_SELF);

      if (last)
        g_printerr ("  … %s: %.2f s, CPU %.2f s (importing thread %.2f s) (peak RSS %ld MB)\n",
                    last, (now - since) / 1e6, all - all_since, cpu - cpu_since, peak_rss_mb ());
      since = now;
      cpu_since = cpu;
      all_since = all;
    }
  last = phase;
}

static double
time_pd_import (const char      *db,
                const char      *partner_id,
                const char      *csv,
                PdImportResult **result)
{
  g_autoptr(GError) error = NULL;
  PdImportOptions options;
  gint64 start = g_get_monotonic_time ();
  double seconds;

  pd_import_options_init (&options);
  options.mode = PD_IMPORT_MODE_FULL;
  options.flags = PD_IMPORT_FLAG_CONFIRM_DUPLICATE | PD_IMPORT_FLAG_CONFIRM_GUARD;
  *result = pd_import_run (db, partner_id, csv, &options, NULL, progress_dot, NULL, &error);
  seconds = seconds_since (start);
  if (*result == NULL)
    g_error ("import failed: %s", error->message);
  return seconds;
}

static long
peak_rss_mb (void)
{
  struct rusage usage;

  getrusage (RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024;
}

/* The path of the partner-desk binary to time, or NULL to call pd_import_run here
 * (PD_BENCH_IN_PROCESS=1, a build without the GUI, or the "c" mode with its phases). */
static const char *
cli_path (void)
{
#ifdef PD_CLI_PATH
  if (g_getenv ("PD_BENCH_IN_PROCESS") == NULL && g_file_test (PD_CLI_PATH, G_FILE_TEST_IS_EXECUTABLE))
    return PD_CLI_PATH;
#endif
  return NULL;
}

/* `partner-desk --import-eligibility CSV --partner ID --full --yes --database DB`: the
 * seconds it took; *LINE its summary line. */
static double
time_cli_import (const char  *cli,
                 const char  *db,
                 const char  *partner_id,
                 const char  *csv,
                 char       **line)
{
  const char *argv[] = { cli, "--database", db, "--import-eligibility", csv, "--partner",
                         partner_id, "--full", "--yes", NULL };
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status = 0;
  gint64 start = g_get_monotonic_time ();
  double seconds;

  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err,
                     &status, &error))
    g_error ("%s could not run: %s", cli, error->message);
  seconds = seconds_since (start);
  if (!g_spawn_check_wait_status (status, &error))
    g_error ("the import failed: %s %s", error->message, err ? err : "");
  *line = g_strdup (g_strstrip (out));
  return seconds;
}

static long
children_peak_rss_mb (void)
{
  struct rusage usage;

  getrusage (RUSAGE_CHILDREN, &usage);
  return usage.ru_maxrss / 1024;
}

int
main (int    argc,
      char **argv)
{
  guint n_rows = argc > 1 ? (guint) g_ascii_strtoull (argv[1], NULL, 10) : 1000000;
  /* Optional: a directory whose census files are reused (and kept), and "b" to time only (b). */
  gboolean keep = argc > 2;
  gboolean only_b = argc > 3 && strcmp (argv[3], "b") == 0;
  /* "c": (b) once, then (c) three times, each on the database as (b) left it. */
  gboolean only_c = argc > 3 && strcmp (argv[3], "c") == 0;
  g_autofree char *dir = keep ? g_strdup (argv[2]) : g_dir_make_tmp ("pd-bench-import-XXXXXX", NULL);
  g_autofree char *csv = g_build_filename (dir, "census.csv", NULL);
  g_autofree char *csv2 = g_build_filename (dir, "census-changed.csv", NULL);
  g_autofree char *db = g_build_filename (dir, "partner-desk.db", NULL);
  g_autoptr(PdStore) store = NULL;
  g_autoptr(PdRecord) partner = pd_record_new (&pd_partner_type);
  g_autoptr(PdImportResult) b_result = NULL;
  g_autoptr(PdImportResult) c_result = NULL;
  g_autofree char *b_line = NULL;
  g_autofree char *c_line = NULL;
  const char *cli = NULL;
  guint64 size, size2;
  double a, b, c, cpu_a, cpu_b;
  long rss_b, rss_c;
  GStatBuf st;

  g_mkdir_with_parents (dir, 0700);
  g_printerr ("Generating %u rows in %s …\n", n_rows, dir);
  size = keep && g_file_test (csv, G_FILE_TEST_EXISTS) ? file_size (csv)
         : write_census (csv, n_rows, FALSE);
  size2 = keep && g_file_test (csv2, G_FILE_TEST_EXISTS) ? file_size (csv2)
          : write_census (csv2, n_rows, TRUE);

  g_printerr ("(a) sqlite3 .import …\n");
  cpu_a = cpu_seconds (RUSAGE_CHILDREN);
  a = only_b || only_c ? 1.0 : time_sqlite3_import (dir, csv);
  cpu_a = cpu_seconds (RUSAGE_CHILDREN) - cpu_a;
  g_remove (db);

  make_database (db);
  store = pd_store_open (db, NULL);
  pd_record_set_string (partner, "name", "Census Bench GmbH");
  g_assert_true (pd_store_save (store, partner, NULL));
  g_clear_object (&store);
  cli = only_c ? NULL : cli_path ();
  g_printerr ("(b) %s, full mode, empty partner …\n",
              cli ? "partner-desk --import-eligibility" : "pd_import_run");
  if (cli)
    {
      cpu_b = cpu_seconds (RUSAGE_CHILDREN);
      b = time_cli_import (cli, db, pd_record_get_id (partner), csv, &b_line);
      cpu_b = cpu_seconds (RUSAGE_CHILDREN) - cpu_b;
      rss_b = children_peak_rss_mb ();
    }
  else
    {
      cpu_b = cpu_seconds (RUSAGE_SELF);
      b = time_pd_import (db, pd_record_get_id (partner), csv, &b_result);
      cpu_b = cpu_seconds (RUSAGE_SELF) - cpu_b;
      rss_b = peak_rss_mb ();
    }
  if (only_c)
    {
      /* (c) again and again on a copy of the database as (b) left it. */
      g_autofree char *saved = g_build_filename (dir, "after-b.db", NULL);
      g_autofree char *copy = NULL;
      const char *cp[] = { "cp", db, saved, NULL };

      g_spawn_sync (NULL, (char **) cp, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL,
                    NULL, NULL);
      for (guint i = 0; i < 3; i++)
        {
          const char *back[] = { "cp", saved, db, NULL };
          g_autoptr(PdImportResult) r = NULL;

          const char *sync[] = { "sync", NULL };

          g_spawn_sync (NULL, (char **) back, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL,
                        NULL, NULL, NULL);
          g_spawn_sync (NULL, (char **) sync, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL,
                        NULL, NULL, NULL);
          g_printerr ("(c) run %u …\n", i + 1);
          printf ("(c) run %u: %.2f s\n", i + 1,
                  time_pd_import (db, pd_record_get_id (partner), csv2, &r));
        }
      g_remove (saved);
      return 0;
    }
  g_printerr ("(c) 1 %% changed and 1 %% removed …\n");
  if (only_b)
    c = b;
  else if (cli)
    c = time_cli_import (cli, db, pd_record_get_id (partner), csv2, &c_line);
  else
    c = time_pd_import (db, pd_record_get_id (partner), csv2, &c_result);
  rss_c = cli ? children_peak_rss_mb () : peak_rss_mb ();
  if (b_line == NULL)
    b_line = pd_import_result_summary_line (b_result);
  if (c_line == NULL)
    c_line = c_result ? pd_import_result_summary_line (c_result) : g_strdup ("");
  g_stat (db, &st);

  printf ("census: %u rows, 16 columns, %.1f MB (changed file %.1f MB)\n", n_rows,
          size / 1e6, size2 / 1e6);
  printf ("(a) sqlite3 .import, unique index on member ID: %.2f s\n", a);
  printf ("(b) and (c) through %s\n", cli ? cli : "pd_import_run () in this process");
  printf ("(b) full import, empty partner:                 %.2f s  (%.2f x (a); target <= 1.5)  %s\n",
          b, b / a, b_line);
  printf ("    CPU time (user + system): (a) %.2f s, (b) %.2f s\n", cpu_a, cpu_b);
  printf ("(c) full import, 1 %% changed, 1 %% removed:     %.2f s  (%.2f x (b); target <= 1.0)  %s\n",
          c, c / b, c_line);
  printf ("peak RSS %s after (b): %ld MB, after (c): %ld MB (target < 200 MB)\n",
          cli ? "of the command (and sqlite3's)" : "of this process", rss_b, rss_c);
  printf ("database after both: %.1f MB\n", st.st_size / 1e6);
  if (!keep)
    {
      const char *names[] = { "census.csv", "census-changed.csv", "partner-desk.db",
                              "partner-desk.db-wal", "partner-desk.db-shm", "sqlite3-import.db" };

      for (guint i = 0; i < G_N_ELEMENTS (names); i++)
        {
          g_autofree char *path = g_build_filename (dir, names[i], NULL);

          g_remove (path);
        }
      g_rmdir (dir);
    }
  return 0;
}
