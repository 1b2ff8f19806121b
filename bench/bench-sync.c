/* bench-sync.c: times sync against the real partner-desk-server over loopback (issue 5): first pull, one change, wrk, the push of an import, 50 desktops. */
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

#include "pd-core.h"
#include "pd-sync.h"
#include "pd-test-server.h"
#include "pd-test-util.h"

#define OWNER_EMAIL "owner@bench.example"
#define PASSWORD "correct horse battery staple"
#define N_CLIENTS 50

static double
seconds_since (gint64 start)
{
  return (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;
}

static char *
run_capture (const char * const *argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  char *out = NULL;
  int status = 0;

  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err,
                     &status, &error)
      || !g_spawn_check_wait_status (status, &error))
    g_error ("%s failed: %s %s", argv[0], error ? error->message : "", err ? err : "");
  return out;
}

/* A practice and its owner, not started yet (the practice is written first). Its log is
 * discarded: wrk's requests would write a line each. */
static PdTestServer *
server_new (const char *binary)
{
  PdTestServer *server = pd_test_server_new (binary);
  g_autoptr(GError) error = NULL;

  g_clear_pointer (&server->log, g_free);
  if (!pd_test_server_init (server, OWNER_EMAIL, "Bench Practice", NULL, &error))
    g_error ("%s", error->message);
  return server;
}

/* Serving, the owner's password set through the link `init` printed. */
static void
server_start (PdTestServer *server)
{
  g_autoptr(GError) error = NULL;

  if (!pd_test_server_start (server, &error)
      || !pd_test_server_accept (server, server->invite_path, "Bench Owner", PASSWORD, &error))
    g_error ("%s", error->message);
}

/* The practice: one employer with N_PEOPLE people, imported as the desktop imports. */
static char *
write_people (const char *dir,
              guint       n_people)
{
  char *csv = g_build_filename (dir, "people.csv", NULL);
  FILE *out = fopen (csv, "wb");
  static const char *const names[] = { "Anna", "Ben", "Clara", "Jürgen", "Zoë", "Émile" };

  g_assert_nonnull (out);
  setvbuf (out, NULL, _IOFBF, 1 << 20);
  fputs ("Member ID,Group ID,First Name,Last Name,Date of Birth,Relationship,Coverage Start,"
         "Eligibility,Enrollment,Email,Phone,City\n", out);
  for (guint i = 0; i < n_people; i++)
    fprintf (out, "M%08u,G%03u,%s,Person %u,19%02u-%02u-%02u,Employee,2024-01-01,Active,"
             "Enrolled,person%u@example.com,+49 40 %07u,Hamburg\n", i, i % 700,
             names[i % G_N_ELEMENTS (names)], i, 50 + i % 50, 1 + i % 12, 1 + i % 28, i,
             i % 9999999);
  fclose (out);
  return csv;
}

static char *
make_practice (PdTestServer  *server,
               guint          n_people,
               char         **csv_out)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PdStore) store = pd_store_open (server->db, &error);
  g_autoptr(PdRecord) partner = pd_record_new (&pd_partner_type);
  g_autoptr(PdImportResult) result = NULL;
  PdImportOptions options;

  g_assert_no_error (error);
  pd_record_set_string (partner, "name", "Bench Employer GmbH");
  g_assert_true (pd_store_save (store, partner, &error));
  g_clear_object (&store);
  if (n_people == 0)
    return g_strdup (pd_record_get_id (partner));
  *csv_out = write_people (server->dir, n_people);
  pd_import_options_init (&options);
  options.mode = PD_IMPORT_MODE_FULL;
  options.flags = PD_IMPORT_FLAG_CONFIRM_DUPLICATE | PD_IMPORT_FLAG_CONFIRM_GUARD;
  result = pd_import_run (server->db, pd_record_get_id (partner), *csv_out, &options, NULL,
                          NULL, NULL, &error);
  g_assert_no_error (error);
  return g_strdup (pd_record_get_id (partner));
}

/* The baseline: every page of the feed fetched with curl, and the same people loaded with
 * sqlite3 .import. Returns curl's seconds; *bytes the total fetched. */
static double
time_curl_pages (PdTestServer *server,
                 const char   *token,
                 guint64      *bytes)
{
  g_autofree char *auth = g_strdup_printf ("Authorization: Bearer %s", token);
  g_autofree char *page = g_build_filename (server->dir, "page.json", NULL);
  gint64 since = 0;
  double seconds = 0;
  gboolean more = TRUE;

  *bytes = 0;
  while (more)
    {
      g_autofree char *url = g_strdup_printf ("%s/api/v1/changes?since=%" G_GINT64_FORMAT
                                              "&limit=10000", server->url, since);
      const char *argv[] = { "curl", "-sf", "-o", page, "-H", auth, url, NULL };
      g_autofree char *out = NULL;
      g_autofree char *text = NULL;
      gsize length = 0;
      const char *tail;
      gint64 start = g_get_monotonic_time ();

      out = run_capture (argv);
      seconds += seconds_since (start);
      g_assert_true (g_file_get_contents (page, &text, &length, NULL));
      *bytes += length;
      tail = g_strrstr (text, "\"next\"");
      g_assert_nonnull (tail);
      since = g_ascii_strtoll (strchr (tail, ':') + 1, NULL, 10);
      more = strstr (tail, "\"more\":true") != NULL;
    }
  return seconds;
}

static double
time_sqlite3_import (const char *dir,
                     const char *csv)
{
  g_autofree char *db = g_build_filename (dir, "sqlite3-import.db", NULL);
  g_autofree char *import = g_strdup_printf (".import --csv --skip 1 %s people", csv);
  const char *argv[] = {
    "sqlite3", db,
    "CREATE TABLE people (member_id TEXT, group_id TEXT, first_name TEXT, last_name TEXT, "
    "date_of_birth TEXT, relationship TEXT, coverage_start TEXT, eligibility TEXT, "
    "enrollment TEXT, email TEXT, phone TEXT, city TEXT); "
    "CREATE UNIQUE INDEX people_member_id ON people (member_id);",
    import, NULL,
  };
  gint64 start = g_get_monotonic_time ();

  g_free (run_capture (argv));
  return seconds_since (start);
}

/* Desktops */

typedef struct {
  PdStore      *store;
  PdSync       *sync;
  GAsyncResult *result;  /* of its round, once done */
} Desktop;

static void
desktop_open (Desktop    *desktop,
              const char *path)
{
  g_autoptr(GError) error = NULL;

  g_remove (path);
  desktop->store = pd_store_open (path, &error);
  g_assert_no_error (error);
  desktop->sync = pd_sync_new (desktop->store);
  pd_sync_set_use_secret_service (desktop->sync, FALSE);
  /* Rounds only when the bench asks. */
  pd_sync_set_intervals (desktop->sync, 3600 * 1000, 3600 * 1000);
}

static void
desktop_close (Desktop *desktop)
{
  pd_sync_stop (desktop->sync);
  g_clear_object (&desktop->sync);
  g_clear_object (&desktop->store);
  g_clear_object (&desktop->result);
}

static void
desktop_sign_in (Desktop    *desktop,
                 const char *url)
{
  g_autoptr(GAsyncResult) done = NULL;
  g_autoptr(GError) error = NULL;

  pd_sync_sign_in_async (desktop->sync, url, OWNER_EMAIL, PASSWORD, NULL, pd_test_async_cb,
                         &desktop->result);
  done = pd_test_async_wait (&desktop->result);
  if (!pd_sync_sign_in_finish (desktop->sync, done, &error))
    g_error ("sign-in failed: %s", error->message);
}

static void
desktop_run (Desktop *desktop)
{
  pd_sync_run_async (desktop->sync, NULL, pd_test_async_cb, &desktop->result);
}

/* Waits for the round of desktop_run: TRUE when it fully succeeded. */
static gboolean
desktop_finish (Desktop  *desktop,
                GError  **error)
{
  g_autoptr(GAsyncResult) done = pd_test_async_wait (&desktop->result);

  return pd_sync_run_finish (desktop->sync, done, error);
}

/* Rounds until the desktop's outbox is empty and a round succeeded. */
static void
desktop_settle (Desktop *desktop)
{
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < 20; i++)
    {
      g_clear_error (&error);
      desktop_run (desktop);
      if (desktop_finish (desktop, &error) && pd_store_sync_count_outbox (desktop->store) == 0)
        return;
    }
  g_error ("no settled round: %s", error ? error->message : "outbox left");
}

static void
put_person_email (PdTestServer *server,
                  const char   *token,
                  const char   *desktop_db)
{
  g_autoptr(PdStore) store = pd_store_open_read_only (desktop_db, NULL);
  g_autoptr(GPtrArray) people = NULL;
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *body = NULL;
  g_autofree char *answer = NULL;
  g_autofree char *auth = g_strdup_printf ("Bearer %s", token);
  g_autofree char *version = NULL;
  g_autofree char *key = pd_uuid_new ();
  PdRecord *person;
  guint status;

  people = pd_store_list (store, &pd_person_type, "member_id", "M00000042", NULL);
  g_assert_true (people && people->len == 1);
  person = people->pdata[0];
  pd_record_set_string (person, "email", "changed@example.com");
  json_node_take_object (node, pd_record_to_json (person));
  body = json_to_string (node, FALSE);
  path = g_strdup_printf ("/api/v1/person/%s", pd_record_get_id (person));
  version = g_strdup_printf ("%" G_GINT64_FORMAT, pd_record_get_version (person));
  status = pd_test_server_request (server, "PUT", path, "application/json", body,
                                   (const char *const[]) { "Authorization", auth,
                                                           "If-Match", version,
                                                           "Idempotency-Key", key, NULL },
                                   &answer, &error);
  if (status != SOUP_STATUS_OK)
    g_error ("PUT %s answered %u: %s", path, status, error ? error->message : answer);
}

static void
bench_pull (const char *binary,
            guint       n_people)
{
  g_autoptr(PdTestServer) server = server_new (binary);
  g_autoptr(GError) error = NULL;
  g_autofree char *token = NULL;
  g_autofree char *csv = NULL;
  g_autofree char *partner_id = NULL;
  g_autofree char *desktop_db = NULL;
  Desktop desktop = { 0 };
  guint64 bytes = 0;
  double curl_s, sqlite_s, pull_s, one_s;
  gint64 start;

  desktop_db = g_build_filename (server->dir, "desktop.db", NULL);
  g_printerr ("Making a practice of %u people in %s …\n", n_people, server->dir);
  partner_id = make_practice (server, n_people, &csv);
  server_start (server);
  token = pd_test_server_sign_in (server, OWNER_EMAIL, PASSWORD, &error);
  if (token == NULL)
    g_error ("%s", error->message);

  g_printerr ("Baseline: curl of every page, sqlite3 .import of the people …\n");
  curl_s = time_curl_pages (server, token, &bytes);
  sqlite_s = time_sqlite3_import (server->dir, csv);

  g_printerr ("First pull by a new desktop …\n");
  desktop_open (&desktop, desktop_db);
  start = g_get_monotonic_time ();
  desktop_sign_in (&desktop, server->url);
  desktop_settle (&desktop);
  pull_s = seconds_since (start);
  g_assert_cmpint (pd_store_count (desktop.store, &pd_person_type), ==, n_people);

  put_person_email (server, token, desktop_db);
  start = g_get_monotonic_time ();
  desktop_settle (&desktop);
  one_s = seconds_since (start);

  printf ("practice: %u people; feed %.1f MB in pages of 10,000\n", n_people, bytes / 1e6);
  printf ("baseline: curl of every page %.2f s + sqlite3 .import %.2f s = %.2f s\n", curl_s,
          sqlite_s, curl_s + sqlite_s);
  printf ("first pull (sign-in, pull, indexes): %.2f s  (%.2f x baseline; target <= 2)\n",
          pull_s, pull_s / (curl_s + sqlite_s));
  printf ("one change pulled into %u records: %.1f ms  (target < 50)\n", n_people,
          one_s * 1000);
  fflush (stdout);

  if (g_find_program_in_path ("wrk"))
    {
      g_autofree char *auth = g_strdup_printf ("Authorization: Bearer %s", token);
      g_autofree char *url = g_strdup_printf ("%s/api/v1/changes?since=0&limit=100",
                                              server->url);
      const char *argv[] = { "wrk", "-t2", "-c64", "-d30s", "--latency", "-H", auth, url,
                             NULL };
      g_autofree char *out = NULL;

      g_printerr ("wrk, 64 connections, 30 s …\n");
      out = run_capture (argv);
      printf ("wrk -t2 -c64 -d30s --latency GET /api/v1/changes?since=0&limit=100:\n%s", out);
    }
  else
    printf ("wrk: not installed (apt-get install wrk)\n");

  desktop_close (&desktop);
}

/* A desktop signed in imports N_PEOPLE people locally; its next round pushes them (in
 * batches of POST /api/v1/batch). */
static void
bench_push (const char *binary,
            guint       n_people)
{
  g_autoptr(PdTestServer) server = server_new (binary);
  g_autoptr(GError) error = NULL;
  g_autoptr(PdImportResult) result = NULL;
  g_autoptr(PdStore) server_store = NULL;
  g_autofree char *partner_id = NULL;
  g_autofree char *csv = NULL;
  g_autofree char *desktop_db = g_build_filename (server->dir, "pushing.db", NULL);
  Desktop desktop = { 0 };
  PdImportOptions options;
  gint64 start;
  double import_s, push_s;

  partner_id = make_practice (server, 0, NULL);
  server_start (server);
  desktop_open (&desktop, desktop_db);
  desktop_sign_in (&desktop, server->url);
  desktop_settle (&desktop);
  csv = write_people (server->dir, n_people);
  g_printerr ("A signed-in desktop imports %u people …\n", n_people);
  pd_import_options_init (&options);
  start = g_get_monotonic_time ();
  result = pd_import_run (desktop_db, partner_id, csv, &options, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  import_s = seconds_since (start);
  g_printerr ("… and pushes them …\n");
  start = g_get_monotonic_time ();
  desktop_settle (&desktop);
  push_s = seconds_since (start);
  server_store = pd_store_open_read_only (server->db, &error);
  g_assert_no_error (error);
  g_assert_cmpint (pd_store_count (server_store, &pd_person_type), ==, n_people);
  printf ("push of %u people imported on a signed-in desktop (import %.2f s): %.2f s, "
          "%.0f people/s\n", n_people, import_s, push_s, n_people / push_s);
  fflush (stdout);
  desktop_close (&desktop);
}

/* 50 desktops change the same partner's description at once. */
static void
bench_contention (const char *binary)
{
  g_autoptr(PdTestServer) server = server_new (binary);
  g_autofree char *partner_id = NULL;
  Desktop *desktops = g_new0 (Desktop, N_CLIENTS);
  guint applied = 0, conflicts = 0, lost = 0;
  g_autoptr(PdStore) server_store = NULL;
  g_autoptr(PdRecord) final = NULL;
  gint64 start;

  partner_id = make_practice (server, 0, NULL);
  server_start (server);

  g_printerr ("%d desktops sign in and pull …\n", N_CLIENTS);
  for (guint i = 0; i < N_CLIENTS; i++)
    {
      g_autofree char *name = g_strdup_printf ("desktop-%02u.db", i);
      g_autofree char *path = g_build_filename (server->dir, name, NULL);

      desktop_open (&desktops[i], path);
      desktop_sign_in (&desktops[i], server->url);
      desktop_settle (&desktops[i]);
    }
  for (guint i = 0; i < N_CLIENTS; i++)
    {
      g_autoptr(PdRecord) partner = pd_store_get (desktops[i].store, &pd_partner_type,
                                                  partner_id, NULL);
      g_autofree char *text = g_strdup_printf ("Edited by desktop %02u", i);

      pd_record_set_string (partner, "description", text);
      g_assert_true (pd_store_save (desktops[i].store, partner, NULL));
    }
  g_printerr ("%d desktops push at once …\n", N_CLIENTS);
  start = g_get_monotonic_time ();
  for (guint i = 0; i < N_CLIENTS; i++)
    desktop_run (&desktops[i]);
  /* Most rounds end in a conflict (counted below). */
  for (guint i = 0; i < N_CLIENTS; i++)
    desktop_finish (&desktops[i], NULL);
  printf ("%d desktops pushing the same field at once: %.2f s\n", N_CLIENTS,
          seconds_since (start));

  server_store = pd_store_open_read_only (server->db, NULL);
  final = pd_store_get (server_store, &pd_partner_type, partner_id, NULL);
  for (guint i = 0; i < N_CLIENTS; i++)
    {
      g_autofree char *text = g_strdup_printf ("Edited by desktop %02u", i);
      guint held = pd_store_sync_count_conflicts (desktops[i].store);

      if (g_strcmp0 (pd_record_get_string (final, "description"), text) == 0)
        applied++;
      else if (held > 0)
        conflicts++;
      else
        lost++;
    }
  printf ("  on the server: 1 edit is current (%u), %u desktops hold a conflict, %u edits lost "
          "(must be 0); server version %" G_GINT64_FORMAT "\n", applied, conflicts, lost,
          pd_record_get_version (final));
  for (guint i = 0; i < N_CLIENTS; i++)
    desktop_close (&desktops[i]);
  g_free (desktops);
}

int
main (int    argc,
      char **argv)
{
  guint n_people = argc > 1 ? (guint) g_ascii_strtoull (argv[1], NULL, 10) : 1000000;
  const char *binary = argc > 2 ? argv[2] : "_build/src/server/partner-desk-server";

  /* A first pull of a million records takes longer than a test may. */
  pd_test_wait_seconds = 3600;
  if (!g_file_test (binary, G_FILE_TEST_IS_EXECUTABLE))
    g_error ("usage: bench-sync [N_PEOPLE] [PATH-TO-partner-desk-server] (%s not found)",
             binary);
  bench_pull (binary, n_people);
  bench_push (binary, MAX (n_people / 10, 1));
  bench_contention (binary);
  return 0;
}
