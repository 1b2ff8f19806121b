/* test-sync.c: desktops syncing with the real partner-desk-server: convergence, conflicts, lost answers, crashes, batched pushes of an import, offline queue, HTTPS, permissions, invitations by email. */
#include <glib/gstdio.h>
#include <signal.h>
#include <sqlite3.h>
#include <string.h>

#include "pd-sync.h"
#include "pd-test-server.h"
#include "pd-test-util.h"

#define OWNER_EMAIL "owner@example.org"
#define OWNER_PASSWORD "correct horse battery staple"

static const char *server_bin;
static const char *faulty_bin;

/* The server */

static PdTestServer *
server_new (const char *bin,
            gboolean    https)
{
  PdTestServer *s = pd_test_server_new (bin);
  g_autoptr(GError) error = NULL;

  if (bin == faulty_bin)
    pd_test_server_setenv (s, "PD_SERVER_FAULTS", "lose-answer");
  if (https)
    pd_test_server_make_certificates (s, &error);
  g_assert_no_error (error);
  pd_test_server_setup (s, OWNER_EMAIL, "Olivia Owner", OWNER_PASSWORD, &error);
  g_assert_no_error (error);
  return s;
}

/* Again on the same database and port, after pd_test_server_stop. */
static void
server_restart (PdTestServer *s)
{
  g_autoptr(GError) error = NULL;

  pd_test_server_start (s, &error);
  g_assert_no_error (error);
}

/* One number from the server's (or any) database, read with its own connection. */
static gint64
db_count (const char *path,
          const char *sql,
          const char *param)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  gint64 n = -1;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 5000);
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  if (param)
    sqlite3_bind_text (stmt, 1, param, -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    n = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return n;
}

/* How many times NEEDLE is in the server's log (a line per request). */
static guint
log_count (PdTestServer *s,
           const char   *needle)
{
  g_autofree char *text = NULL;
  guint n = 0;

  if (!g_file_get_contents (s->log, &text, NULL, NULL))
    return 0;
  for (const char *p = text; (p = strstr (p, needle)); p += strlen (needle))
    n++;
  return n;
}

/* Every row of the record tables, as text, leaving out the rows of EXCEPT_ID. */
static char *
db_dump (const char *path,
         const char *except_id)
{
  static const char *const tables[] = {
    "partners", "institutions", "partner_users", "practice_users", "examinations",
    "examination_prices", "activations", "bookings", "commission_rates", "benefits", "persons",
  };
  GString *out = g_string_new (NULL);
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 5000);
  for (guint t = 0; t < G_N_ELEMENTS (tables); t++)
    {
      g_autofree char *sql = g_strdup_printf ("SELECT * FROM %s WHERE id IS NOT ?1 ORDER BY id",
                                              tables[t]);
      sqlite3_stmt *stmt = NULL;

      g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
      sqlite3_bind_text (stmt, 1, except_id, -1, SQLITE_STATIC);
      g_string_append_printf (out, "[%s]\n", tables[t]);
      while (sqlite3_step (stmt) == SQLITE_ROW)
        {
          for (int c = 0; c < sqlite3_column_count (stmt); c++)
            {
              const char *text = (const char *) sqlite3_column_text (stmt, c);

              g_string_append_printf (out, "%s%s", c ? "|" : "", text ? text : "∅");
            }
          g_string_append_c (out, '\n');
        }
      sqlite3_finalize (stmt);
    }
  sqlite3_close (db);
  return g_string_free (out, FALSE);
}

/* A desktop */

typedef struct {
  char    *dir;
  char    *path;
  PdStore *store;
  PdSync  *sync;
} Desk;

static Desk *
desk_new (void)
{
  Desk *d = g_new0 (Desk, 1);

  d->store = pd_test_open_store ("pd-sync-desk-XXXXXX", NULL, &d->dir, &d->path);
  d->sync = pd_sync_new (d->store);
  pd_sync_set_use_secret_service (d->sync, FALSE);
  /* Rounds run when the test asks (and after local changes): no minute timer noise. */
  pd_sync_set_intervals (d->sync, 600000, 50);
  return d;
}

static void
desk_free (Desk *d)
{
  pd_sync_stop (d->sync);
  g_clear_object (&d->sync);
  g_clear_object (&d->store);
  pd_test_remove_db (d->dir, d->path);
  g_free (d->dir);
  g_free (d->path);
  g_free (d);
}

static gboolean
desk_sign_in_full (Desk        *d,
                   const char  *url,
                   const char  *password,
                   GError     **error)
{
  GAsyncResult *result = NULL;
  g_autoptr(GAsyncResult) done = NULL;

  pd_sync_sign_in_async (d->sync, url, OWNER_EMAIL, password, NULL, pd_test_async_cb, &result);
  done = pd_test_async_wait (&result);
  return pd_sync_sign_in_finish (d->sync, done, error);
}

static void
desk_sign_in (Desk         *d,
              PdTestServer *s)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (desk_sign_in_full (d, s->url, OWNER_PASSWORD, &error));
  g_assert_no_error (error);
  g_assert_nonnull (pd_sync_get_user_id (d->sync));
}

/* One round, waited for: TRUE when it fully succeeded. */
static gboolean
desk_sync_full (Desk    *d,
                GError **error)
{
  GAsyncResult *result = NULL;
  g_autoptr(GAsyncResult) done = NULL;

  pd_sync_run_async (d->sync, NULL, pd_test_async_cb, &result);
  done = pd_test_async_wait (&result);
  return pd_sync_run_finish (d->sync, done, error);
}

static void
desk_sync (Desk *d)
{
  g_autoptr(GError) error = NULL;
  gboolean ok = desk_sync_full (d, &error);

  g_assert_no_error (error);
  g_assert_true (ok);
}

static char *
desk_dump (Desk *d)
{
  return db_dump (d->path, pd_store_get_local_user_id (d->store));
}

static void
assert_converged (Desk         *a,
                  Desk         *b,
                  PdTestServer *s)
{
  g_autofree char *da = desk_dump (a);
  g_autofree char *db = desk_dump (b);
  g_autofree char *ds = db_dump (s->db, NULL);

  g_assert_cmpstr (da, ==, db);
  /* The server also holds each desktop's... nothing more: the same rows. */
  g_assert_cmpstr (da, ==, ds);
  g_assert_cmpint (pd_store_sync_count_outbox (a->store), ==, 0);
  g_assert_cmpint (pd_store_sync_count_outbox (b->store), ==, 0);
}

static PdRecord *
save_new (Desk               *d,
          const PdRecordType *type,
          const char         *first,
          ...)
{
  g_autoptr(PdRecord) record = pd_record_new (type);
  g_autoptr(GError) error = NULL;
  va_list ap;

  va_start (ap, first);
  for (const char *field = first; field; field = va_arg (ap, const char *))
    g_assert_true (pd_record_set_canonical (record, field, va_arg (ap, const char *)));
  va_end (ap);
  pd_store_save (d->store, record, &error);
  g_assert_no_error (error);
  return g_steal_pointer (&record);
}

static void
edit (Desk               *d,
      const PdRecordType *type,
      const char         *id,
      const char         *field,
      const char         *value)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PdRecord) record = pd_store_get (d->store, type, id, &error);

  g_assert_no_error (error);
  g_assert_true (pd_record_set_canonical (record, field, value));
  g_assert_true (pd_store_save (d->store, record, &error));
  g_assert_no_error (error);
}

static char *
value_of (Desk               *d,
          const PdRecordType *type,
          const char         *id,
          const char         *field)
{
  g_autoptr(PdRecord) record = pd_store_get (d->store, type, id, NULL);

  g_assert_nonnull (record);
  return pd_record_dup_canonical (record, field);
}

/* The changes page: what the server sends, and what a broken or hostile answer gets. */
static void
test_parse_changes (void)
{
  static const char good[] =
    "{\"changes\":[{\"seq\":7,\"collection\":\"institution\",\"id\":\"i1\",\"version\":2,"
    "\"deleted\":false,\"record\":{\"id\":\"i1\",\"version\":2,\"created_at\":\"2026-01-01T00:00:00Z\","
    "\"updated_at\":\"2026-01-02T00:00:00Z\",\"updated_by\":null,\"deleted\":false,"
    "\"name\":\"Caf\\u00e9 \\\"Nord\\\" \\ud83d\\ude00\",\"address\":\"a\\nb\",\"future\":{\"x\":[1,2.5e3]}}},"
    "{\"collection\":\"unknown_thing\",\"record\":{\"id\":\"z\"}},"
    "{\"record\":{\"id\":\"p1\",\"version\":1,\"deleted\":true,\"kind\":\"clinic\",\"name\":\"P\","
    "\"institutions\":[\"i1\",\"i2\"],\"statistics_required\":true,\"employee_count\":12},"
    "\"collection\":\"partner\"}],\"next\":9,\"more\":true}";
  static const char *const bad[] = {
    "",
    "[]",
    "{\"changes\":[],\"more\":false}",                                   /* no next */
    "{\"changes\":[{\"collection\":\"institution\",\"record\":{\"id\":\"i\",\"name\":3}}],\"next\":1}",
    "{\"changes\":[{\"collection\":\"partner\",\"record\":{\"id\":\"p\",\"employee_count\":\"x\"}}],\"next\":1}",
    "{\"changes\":[{\"collection\":\"partner\",\"record\":{\"id\":\"p\",\"employee_count\":1.5}}],\"next\":1}",
    "{\"changes\":[{\"collection\":\"institution\",\"record\":{\"name\":\"no id\"}}],\"next\":1}",
    "{\"changes\":[{\"collection\":\"institution\",\"record\":{\"id\":\"i\",\"name\":\"\\ud800\"}}],\"next\":1}",
    "{\"changes\":[{\"collection\":\"institution\",\"record\":{\"id\":\"i\",\"name\":\"\\u0000\"}}],\"next\":1}",
    "{\"changes\":[{\"collection\":\"institution\",\"record\":{\"id\":\"i\",\"name\":\"tab\there\"}}],\"next\":1}",
    "{\"changes\":[{\"collection\":\"institution\",\"record\":{\"id\":\"i\"}}],\"next\":1} trailing",
    "{\"changes\":[{\"collection\":\"institution\",\"record\":{\"id\":\"i\"}}],\"next\":1",
    "{\"changes\":[{\"collection\":\"institution\",\"record\":{\"id\":\"i\",\"name\":\"\xff\"}}],\"next\":1}",
  };
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) deep = g_string_new ("{\"changes\":[],\"x\":");
  gint64 next = 0;
  gboolean more = FALSE;
  PdRecord *inst, *partner;

  records = pd_sync_parse_changes (good, strlen (good), &next, &more, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (records->len, ==, 2);
  g_assert_cmpint (next, ==, 9);
  g_assert_true (more);
  inst = records->pdata[0];
  partner = records->pdata[1];
  g_assert_true (pd_record_get_record_type (inst) == &pd_institution_type);
  g_assert_cmpstr (pd_record_get_string (inst, "name"), ==, "Café \"Nord\" 😀");
  g_assert_cmpstr (pd_record_get_string (inst, "address"), ==, "a\nb");
  g_assert_cmpint (pd_record_get_version (inst), ==, 2);
  g_assert_cmpstr (pd_record_get_updated_at (inst), ==, "2026-01-02T00:00:00Z");
  g_assert_true (pd_record_get_deleted (partner));
  g_assert_true (pd_record_get_bool (partner, "statistics_required"));
  g_assert_cmpint (pd_record_get_int (partner, "employee_count"), ==, 12);
  g_assert_cmpstr (pd_record_get_strv (partner, "institutions")[1], ==, "i2");
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GPtrArray) none = pd_sync_parse_changes (bad[i], strlen (bad[i]), &next, &more,
                                                         &error);

      g_assert_null (none);
      g_assert_error (error, PD_ERROR, PD_ERROR_INVALID);
      g_clear_error (&error);
    }
  /* Nesting past any sane depth is refused, not a stack overflow. */
  for (guint i = 0; i < 100000; i++)
    g_string_append_c (deep, '[');
  g_assert_null (pd_sync_parse_changes (deep->str, deep->len, &next, &more, &error));
  g_assert_error (error, PD_ERROR, PD_ERROR_INVALID);
}

/* Shared by the tests: one server, two desktops signed in as the owner. */
static PdTestServer *main_server;
static Desk *desk_a;
static Desk *desk_b;

/* Tests */

static void
test_sign_in_and_converge (void)
{
  g_autoptr(PdRecord) inst = NULL;
  g_autoptr(PdRecord) partner = NULL;
  g_autoptr(PdRecord) other = NULL;
  g_autofree char *city = NULL;
  g_autofree char *industry = NULL;

  g_assert_cmpint (pd_sync_get_state (desk_a->sync), ==, PD_SYNC_STATE_LOCAL_ONLY);
  desk_sign_in (desk_a, main_server);
  desk_sign_in (desk_b, main_server);
  desk_sync (desk_a);
  desk_sync (desk_b);
  g_assert_cmpint (pd_sync_get_state (desk_a->sync), ==, PD_SYNC_STATE_SYNCED);
  g_assert_true (pd_sync_has_permission (desk_a->sync, "manage_team"));

  /* Both desktops edit at once. */
  inst = save_new (desk_a, &pd_institution_type, "name", "Riverside Medical Centre", NULL);
  partner = save_new (desk_a, &pd_partner_type, "kind", "employer", "name", "Acme Logistics",
                      "hq_city", "Berlin", NULL);
  other = save_new (desk_b, &pd_partner_type, "kind", "employer", "name", "Northgate Foods",
                    NULL);
  desk_sync (desk_a);
  desk_sync (desk_b);
  desk_sync (desk_a);
  assert_converged (desk_a, desk_b, main_server);

  /* A field changed on one side only merges, whichever side pushes first. */
  edit (desk_a, &pd_partner_type, pd_record_get_id (partner), "hq_city", "Hamburg");
  edit (desk_b, &pd_partner_type, pd_record_get_id (partner), "industry", "Logistics");
  edit (desk_b, &pd_partner_type, pd_record_get_id (other), "industry", "Food");
  desk_sync (desk_a);
  desk_sync (desk_b);
  desk_sync (desk_a);
  g_assert_cmpuint (pd_sync_get_n_conflicts (desk_b->sync), ==, 0);
  assert_converged (desk_a, desk_b, main_server);
  city = value_of (desk_b, &pd_partner_type, pd_record_get_id (partner), "hq_city");
  industry = value_of (desk_a, &pd_partner_type, pd_record_get_id (partner), "industry");
  g_assert_cmpstr (city, ==, "Hamburg");
  g_assert_cmpstr (industry, ==, "Logistics");
}

static void
count_cb (guint *count)
{
  (*count)++;
}

static void
test_conflict (void)
{
  g_autoptr(PdRecord) partner = save_new (desk_a, &pd_partner_type, "kind", "employer",
                                          "name", "Conflicted GmbH", NULL);
  const char *id = pd_record_get_id (partner);
  g_autoptr(GPtrArray) conflicts = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *phone = NULL;
  g_autofree char *city = NULL;
  g_autofree char *industry = NULL;
  guint signals = 0;
  gulong handler;

  desk_sync (desk_a);
  desk_sync (desk_b);
  /* The same two fields on both sides, plus one field each side alone. */
  edit (desk_a, &pd_partner_type, id, "rep_phone", "+49 111");
  edit (desk_a, &pd_partner_type, id, "hq_city", "Munich");
  edit (desk_a, &pd_partner_type, id, "description", "From A");
  edit (desk_b, &pd_partner_type, id, "rep_phone", "+49 222");
  edit (desk_b, &pd_partner_type, id, "hq_city", "Cologne");
  edit (desk_b, &pd_partner_type, id, "industry", "Chemicals");
  desk_sync (desk_a);
  handler = g_signal_connect_swapped (desk_b->sync, "conflicts-changed", G_CALLBACK (count_cb),
                                      &signals);
  desk_sync (desk_b);
  g_signal_handler_disconnect (desk_b->sync, handler);
  g_assert_cmpuint (signals, >=, 1);
  g_assert_cmpuint (pd_sync_get_n_conflicts (desk_b->sync), ==, 2);
  g_assert_cmpstr (pd_sync_get_status_text (desk_b->sync), ==, "2 conflicts");
  conflicts = pd_sync_list_conflicts (desk_b->sync, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (conflicts->len, ==, 2);
  /* Form order: hq_city comes before rep_phone. */
  g_assert_cmpstr (((PdConflict *) conflicts->pdata[0])->field, ==, "hq_city");
  g_assert_cmpstr (((PdConflict *) conflicts->pdata[0])->mine, ==, "Cologne");
  g_assert_cmpstr (((PdConflict *) conflicts->pdata[0])->theirs, ==, "Munich");
  g_assert_cmpstr (((PdConflict *) conflicts->pdata[0])->record_title, ==, "Conflicted GmbH");
  g_assert_cmpstr (((PdConflict *) conflicts->pdata[1])->field, ==, "rep_phone");
  /* The row keeps mine meanwhile, with theirs merged where only they changed. */
  phone = value_of (desk_b, &pd_partner_type, id, "rep_phone");
  g_assert_cmpstr (phone, ==, "+49 222");
  g_clear_pointer (&industry, g_free);
  industry = value_of (desk_b, &pd_partner_type, id, "description");
  g_assert_cmpstr (industry, ==, "From A");
  g_clear_pointer (&industry, g_free);
  /* Nothing of it is pushed while the conflicts wait; meanwhile A changes another field
   * (it arrives) and B edits a third (kept for the push after resolving). */
  edit (desk_a, &pd_partner_type, id, "tax_number", "DE-A-1");
  desk_sync (desk_a);
  edit (desk_b, &pd_partner_type, id, "registration_number", "HRB-B-2");
  desk_sync (desk_b);
  g_assert_cmpuint (pd_sync_get_n_conflicts (desk_b->sync), ==, 2);
  g_assert_cmpint (db_count (main_server->db, "SELECT count(*) FROM partners WHERE id = ?1 "
                             "AND registration_number IS NULL AND hq_city = 'Munich'", id), ==, 1);
  g_clear_pointer (&industry, g_free);
  industry = value_of (desk_b, &pd_partner_type, id, "tax_number");
  g_assert_cmpstr (industry, ==, "DE-A-1");
  g_clear_pointer (&industry, g_free);

  g_assert_true (pd_sync_resolve_conflict (desk_b->sync, "partner", id, "hq_city", TRUE, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (pd_sync_get_n_conflicts (desk_b->sync), ==, 1);
  g_assert_false (pd_sync_resolve_conflict (desk_b->sync, "partner", id, "hq_city", TRUE, &error));
  g_assert_error (error, PD_ERROR, PD_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_true (pd_sync_resolve_conflict (desk_b->sync, "partner", id, "rep_phone", FALSE,
                                           &error));
  g_assert_no_error (error);
  g_assert_cmpuint (pd_sync_get_n_conflicts (desk_b->sync), ==, 0);
  desk_sync (desk_b);
  desk_sync (desk_a);
  assert_converged (desk_a, desk_b, main_server);
  g_clear_pointer (&phone, g_free);
  phone = value_of (desk_a, &pd_partner_type, id, "rep_phone");
  city = value_of (desk_a, &pd_partner_type, id, "hq_city");
  industry = value_of (desk_a, &pd_partner_type, id, "industry");
  g_assert_cmpstr (phone, ==, "+49 111");   /* theirs */
  g_assert_cmpstr (city, ==, "Cologne");    /* mine */
  g_assert_cmpstr (industry, ==, "Chemicals");
  g_clear_pointer (&industry, g_free);
  industry = value_of (desk_a, &pd_partner_type, id, "registration_number");
  g_assert_cmpstr (industry, ==, "HRB-B-2");
}

/* One side deletes, the other edits: the record stays deleted, with the edit in it. */
static void
test_delete_and_edit (void)
{
  g_autoptr(PdRecord) partner = save_new (desk_a, &pd_partner_type, "kind", "employer",
                                          "name", "Soon Gone Ltd", NULL);
  const char *id = pd_record_get_id (partner);
  g_autoptr(GError) error = NULL;
  g_autofree char *industry = NULL;
  g_autoptr(PdRecord) on_b = NULL;

  desk_sync (desk_a);
  desk_sync (desk_b);
  g_assert_true (pd_store_delete (desk_a->store, &pd_partner_type, id, &error));
  g_assert_no_error (error);
  edit (desk_b, &pd_partner_type, id, "industry", "Mining");
  desk_sync (desk_a);
  desk_sync (desk_b);
  desk_sync (desk_a);
  assert_converged (desk_a, desk_b, main_server);
  on_b = pd_store_get (desk_b->store, &pd_partner_type, id, &error);
  g_assert_no_error (error);
  g_assert_true (pd_record_get_deleted (on_b));
  industry = value_of (desk_a, &pd_partner_type, id, "industry");
  g_assert_cmpstr (industry, ==, "Mining");

  /* The other way round: the delete reaches the server after the edit, and still wins. */
  g_clear_object (&partner);
  g_clear_object (&on_b);
  g_clear_pointer (&industry, g_free);
  partner = save_new (desk_a, &pd_partner_type, "kind", "employer", "name", "Gone Later Ltd",
                      NULL);
  id = pd_record_get_id (partner);
  desk_sync (desk_a);
  desk_sync (desk_b);
  edit (desk_a, &pd_partner_type, id, "industry", "Quarrying");
  g_assert_true (pd_store_delete (desk_b->store, &pd_partner_type, id, &error));
  g_assert_no_error (error);
  desk_sync (desk_a);
  desk_sync (desk_b);
  desk_sync (desk_a);
  assert_converged (desk_a, desk_b, main_server);
  on_b = pd_store_get (desk_a->store, &pd_partner_type, id, &error);
  g_assert_no_error (error);
  g_assert_true (pd_record_get_deleted (on_b));
  industry = value_of (desk_b, &pd_partner_type, id, "industry");
  g_assert_cmpstr (industry, ==, "Quarrying");
}

/* Both desktops price the same cell offline: the second one's price becomes a conflict of
 * the server's, nothing lost; keeping mine pushes it. */
static void
test_cell_clash (void)
{
  g_autoptr(PdRecord) inst = save_new (desk_a, &pd_institution_type, "name", "Cell Clinic", NULL);
  g_autoptr(PdRecord) exam = save_new (desk_a, &pd_examination_type, "code", "CELL-1",
                                       "name", "Cell check", "duration_minutes", "30", NULL);
  g_autoptr(PdRecord) price_a = NULL;
  g_autoptr(PdRecord) price_b = NULL;
  g_autoptr(GPtrArray) conflicts = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *price = NULL;

  desk_sync (desk_a);
  desk_sync (desk_b);
  price_a = save_new (desk_a, &pd_examination_price_type, "examination_id", pd_record_get_id (exam),
                      "institution_id", pd_record_get_id (inst), "price", "1000", NULL);
  price_b = save_new (desk_b, &pd_examination_price_type, "examination_id", pd_record_get_id (exam),
                      "institution_id", pd_record_get_id (inst), "price", "2000", NULL);
  desk_sync (desk_a);
  /* The server refuses B's second price for the cell; the pull brings A's. */
  g_assert_false (desk_sync_full (desk_b, &error));
  g_assert_error (error, PD_ERROR, PD_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_cmpuint (pd_sync_get_n_conflicts (desk_b->sync), ==, 1);
  conflicts = pd_sync_list_conflicts (desk_b->sync, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (((PdConflict *) conflicts->pdata[0])->field, ==, "price");
  g_assert_cmpstr (((PdConflict *) conflicts->pdata[0])->record_id, ==, pd_record_get_id (price_a));
  g_assert_true (pd_sync_resolve_conflict (desk_b->sync, "examination_price",
                                           pd_record_get_id (price_a), "price", TRUE, &error));
  g_assert_no_error (error);
  desk_sync (desk_b);
  desk_sync (desk_a);
  assert_converged (desk_a, desk_b, main_server);
  price = value_of (desk_a, &pd_examination_price_type, pd_record_get_id (price_a), "price");
  g_assert_cmpstr (price, ==, "2000");
}

/* The server goes away: edits queue, the state says offline, and the queue flushes by
 * itself once it is back. */
static void
test_offline_queue (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PdRecord) inst = NULL;

  pd_test_server_stop (main_server, SIGTERM);
  inst = save_new (desk_a, &pd_institution_type, "name", "Offline Clinic", NULL);
  edit (desk_a, &pd_institution_type, pd_record_get_id (inst), "address", "1 Quiet Road");
  g_assert_false (desk_sync_full (desk_a, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NETWORK_UNREACHABLE);
  g_assert_cmpint (pd_sync_get_state (desk_a->sync), ==, PD_SYNC_STATE_OFFLINE);
  g_assert_cmpstr (pd_sync_get_status_text (desk_a->sync), ==, "Offline");
  g_assert_nonnull (pd_sync_get_last_error (desk_a->sync));
  g_assert_cmpint (pd_store_sync_count_outbox (desk_a->store), ==, 2);
  server_restart (main_server);
  /* Backoff retries on its own. */
  PD_WAIT_UNTIL (pd_store_sync_count_outbox (desk_a->store) == 0
                 && pd_sync_get_state (desk_a->sync) == PD_SYNC_STATE_SYNCED);
  desk_sync (desk_b);
  assert_converged (desk_a, desk_b, main_server);
}

typedef struct {
  const PdRecordType *type;
  const char         *format;  /* the name of each, with %u */
  guint               n;
  GPtrArray          *ids;     /* out, may be NULL */
} Many;

static gboolean
save_many_cb (PdStore  *store,
              gpointer  user_data,
              GError  **error)
{
  Many *many = user_data;

  for (guint i = 0; i < many->n; i++)
    {
      g_autoptr(PdRecord) record = pd_record_new (many->type);
      g_autofree char *name = g_strdup_printf (many->format, i);

      pd_record_set_string (record, "name", name);
      if (!pd_store_save (store, record, error))
        return FALSE;
      if (many->ids)
        g_ptr_array_add (many->ids, g_strdup (pd_record_get_id (record)));
    }
  return TRUE;
}

/* N new records of TYPE named after FORMAT, in one transaction. */
static void
save_many (Desk               *d,
           const PdRecordType *type,
           const char         *format,
           guint               n,
           GPtrArray          *ids)
{
  g_autoptr(GError) error = NULL;
  Many many = { type, format, n, ids };

  g_assert_true (pd_store_transaction (d->store, save_many_cb, &many, &error));
  g_assert_no_error (error);
}

/* SIGKILL while many edits are being pushed (in batches: once the first is committed);
 * restarted on the same database, the retried pushes apply each edit once. */
static void
test_kill_mid_push (void)
{
  g_autoptr(GError) error = NULL;
  GAsyncResult *result = NULL;
  g_autoptr(GAsyncResult) done = NULL;
  const guint n = 2000;

  save_many (desk_a, &pd_institution_type, "Clinic %04u", n, NULL);
  pd_sync_run_async (desk_a->sync, NULL, pd_test_async_cb, &result);
  PD_WAIT_UNTIL (db_count (main_server->db, "SELECT count(*) FROM institutions "
                           "WHERE name LIKE 'Clinic %'", NULL) >= 1 || result != NULL);
  pd_test_server_stop (main_server, SIGKILL);
  done = pd_test_async_wait (&result);
  g_assert_false (pd_sync_run_finish (desk_a->sync, done, &error));
  g_clear_error (&error);
  g_assert_cmpint (pd_store_sync_count_outbox (desk_a->store), >, 0);
  g_assert_cmpint (db_count (main_server->db, "SELECT count(*) FROM institutions "
                             "WHERE name LIKE 'Clinic %'", NULL), <, n);
  server_restart (main_server);
  PD_WAIT_UNTIL (pd_store_sync_count_outbox (desk_a->store) == 0
                 && pd_sync_get_state (desk_a->sync) == PD_SYNC_STATE_SYNCED);
  /* Each applied once: one change each, n in all. */
  g_assert_cmpint (db_count (main_server->db, "SELECT count(*) FROM change_log WHERE record_id "
                             "IN (SELECT id FROM institutions WHERE name LIKE 'Clinic %')",
                             NULL), ==, n);
  g_assert_cmpint (db_count (main_server->db, "SELECT count(*) FROM institutions "
                             "WHERE name LIKE 'Clinic %'", NULL), ==, n);
  desk_sync (desk_b);
  assert_converged (desk_a, desk_b, main_server);
}

/* An eligibility file imported on a signed-in desktop: its compact outbox entries go out
 * in batches (a few requests, not one per person), and the other desktop pulls everyone.
 * A server of its own: its log counts the requests (a restarted server writes its log
 * from the start again). */
static void
test_import_push (void)
{
  const guint n = 5000;
  g_autoptr(PdTestServer) s = server_new (server_bin, FALSE);
  Desk *a = desk_new ();
  Desk *b = desk_new ();
  g_autoptr(PdRecord) partner = NULL;
  g_autofree char *csv = g_build_filename (a->dir, "eligibility.csv", NULL);
  g_autoptr(GString) text = g_string_new ("Member ID,First Name,Last Name,Date of Birth,"
                                          "Relationship,Email,City\n");
  g_autoptr(PdImportResult) result = NULL;
  g_autoptr(GError) error = NULL;
  PdImportOptions options;
  guint batches, requests;

  desk_sign_in (a, s);
  desk_sign_in (b, s);
  partner = save_new (a, &pd_partner_type, "kind", "employer", "name", "Import Push GmbH", NULL);
  desk_sync (a);
  for (guint i = 0; i < n; i++)
    g_string_append_printf (text, "IP%06u,Anna,Person %u,19%02u-%02u-%02u,Employee,"
                            "ip%u@example.com,Hamburg\n", i, i, 50 + i % 50, 1 + i % 12,
                            1 + i % 28, i);
  g_assert_true (g_file_set_contents (csv, text->str, text->len, &error));
  pd_import_options_init (&options);
  result = pd_import_run (a->path, pd_record_get_id (partner), csv, &options, NULL, NULL, NULL,
                          &error);
  g_assert_no_error (error);
  g_assert_cmpint (pd_store_sync_count_outbox (a->store), >=, n);
  batches = log_count (s, "POST /api/v1/batch 200");
  requests = log_count (s, " /api/v1/");

  desk_sync (a);
  g_assert_cmpint (pd_store_sync_count_outbox (a->store), ==, 0);
  g_assert_cmpint (db_count (s->db, "SELECT count(*) FROM persons WHERE partner_id = ?1",
                             pd_record_get_id (partner)), ==, n);
  /* The last request's line may follow its answer by a moment. */
  PD_WAIT_UNTIL (log_count (s, "POST /api/v1/batch 200") - batches >= n / 1000);
  g_usleep (100 * 1000);
  batches = log_count (s, "POST /api/v1/batch 200") - batches;
  requests = log_count (s, " /api/v1/") - requests;
  g_test_message ("%u people pushed in %u batches, %u requests in all", n, batches, requests);
  g_assert_cmpuint (requests, <, 20);
  g_assert_cmpuint (log_count (s, "PUT /api/v1/person/"), ==, 0);

  desk_sync (b);
  g_assert_cmpint (pd_store_count (b->store, &pd_person_type), ==, n);
  assert_converged (a, b, s);
  desk_free (a);
  desk_free (b);
}

/* A server of an earlier version, without /api/v1/batch: a proxy in front of the real one
 * that answers 404 there and passes every other request on. */
typedef struct {
  SoupServer  *server;
  SoupSession *session;
  const char  *target;    /* the real server's URL */
  char        *url;
  guint        batches;   /* POST /api/v1/batch answered 404 */
  guint        writes;    /* PUT and DELETE passed on */
} OldServer;

static void
old_server_cb (SoupServer        *server,
               SoupServerMessage *msg,
               const char        *path,
               GHashTable        *query,
               gpointer           user_data)
{
  static const char *const passed[] = {
    "Authorization", "Idempotency-Key", "If-Match", "If-None-Match", "Accept",
  };
  static const char not_found[] = "{\"error\":\"not_found\",\"message\":\"Nothing here.\","
                                  "\"fields\":{}}";
  OldServer *old = user_data;
  const char *method = soup_server_message_get_method (msg);
  const char *text = g_uri_get_query (soup_server_message_get_uri (msg));
  SoupMessageHeaders *in = soup_server_message_get_request_headers (msg);
  g_autofree char *target = g_strconcat (old->target, path, text ? "?" : "", text, NULL);
  g_autoptr(SoupMessage) forward = soup_message_new (method, target);
  g_autoptr(GBytes) body = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(GError) error = NULL;
  const char *type;

  if (strcmp (path, "/api/v1/batch") == 0)
    {
      old->batches++;
      soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
      soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC, not_found,
                                        strlen (not_found));
      return;
    }
  old->writes += strcmp (method, "PUT") == 0 || strcmp (method, "DELETE") == 0;
  for (guint i = 0; i < G_N_ELEMENTS (passed); i++)
    if (soup_message_headers_get_one (in, passed[i]))
      soup_message_headers_replace (soup_message_get_request_headers (forward), passed[i],
                                    soup_message_headers_get_one (in, passed[i]));
  if (g_bytes_get_size (body) > 0)
    soup_message_set_request_body_from_bytes (forward, soup_message_headers_get_content_type (in,
                                                                                            NULL),
                                              body);
  answer = soup_session_send_and_read (old->session, forward, NULL, &error);
  g_assert_no_error (error);
  type = soup_message_headers_get_content_type (soup_message_get_response_headers (forward), NULL);
  soup_server_message_set_status (msg, soup_message_get_status (forward),
                                  soup_message_get_reason_phrase (forward));
  soup_server_message_set_response (msg, type ? type : "application/json", SOUP_MEMORY_COPY,
                                    g_bytes_get_data (answer, NULL), g_bytes_get_size (answer));
}

static void
old_server_start (OldServer  *old,
                  const char *target)
{
  g_autoptr(GError) error = NULL;
  GSList *uris;

  old->target = target;
  old->session = soup_session_new ();
  old->server = soup_server_new (NULL, NULL);
  soup_server_add_handler (old->server, NULL, old_server_cb, old, NULL);
  soup_server_listen_local (old->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (old->server);
  old->url = g_strdup_printf ("http://127.0.0.1:%d", g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
}

static void
old_server_stop (OldServer *old)
{
  soup_server_disconnect (old->server);
  g_clear_object (&old->server);
  g_clear_object (&old->session);
  g_clear_pointer (&old->url, g_free);
}

/* Against a server without batches the push falls back to one request per write. */
static void
test_no_batch_server (void)
{
  OldServer old = { 0 };
  Desk *c = desk_new ();
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;

  old_server_start (&old, main_server->url);
  g_assert_true (desk_sign_in_full (c, old.url, OWNER_PASSWORD, &error));
  g_assert_no_error (error);
  PD_WAIT_UNTIL (pd_sync_get_state (c->sync) == PD_SYNC_STATE_SYNCED);
  save_many (c, &pd_institution_type, "Old Server Clinic %u", 4, ids);
  PD_WAIT_UNTIL (pd_store_sync_count_outbox (c->store) == 0
                 && pd_sync_get_state (c->sync) == PD_SYNC_STATE_SYNCED);
  g_assert_cmpuint (old.batches, >=, 1);
  g_assert_cmpuint (old.writes, ==, ids->len);
  for (guint i = 0; i < ids->len; i++)
    g_assert_cmpint (db_count (main_server->db, "SELECT count(*) FROM change_log "
                               "WHERE record_id = ?1", ids->pdata[i]), ==, 1);
  desk_free (c);
  old_server_stop (&old);
}

/* A desktop used alone first: signing in pushes its data, owned by the signed-in user. */
static void
test_local_data_first (void)
{
  Desk *c = desk_new ();
  g_autoptr(PdRecord) partner = save_new (c, &pd_partner_type, "kind", "clinic",
                                          "name", "Local First AG", NULL);
  const char *local_user = pd_store_get_local_user_id (c->store);
  g_autofree char *owner = NULL;

  edit (c, &pd_partner_type, pd_record_get_id (partner), "owner_id", local_user);
  desk_sign_in (c, main_server);
  PD_WAIT_UNTIL (pd_store_sync_count_outbox (c->store) == 0
                 && pd_sync_get_state (c->sync) == PD_SYNC_STATE_SYNCED);
  owner = value_of (c, &pd_partner_type, pd_record_get_id (partner), "owner_id");
  g_assert_cmpstr (owner, ==, pd_sync_get_user_id (c->sync));
  g_assert_cmpint (db_count (main_server->db, "SELECT count(*) FROM partners WHERE id = ?1",
                             pd_record_get_id (partner)), ==, 1);
  g_assert_cmpint (db_count (main_server->db, "SELECT count(*) FROM practice_users WHERE id = ?1",
                             local_user), ==, 0);
  desk_sync (desk_a);
  desk_sync (desk_b);
  desk_sync (c);
  assert_converged (desk_a, c, main_server);
  assert_converged (desk_a, desk_b, main_server);
  desk_free (c);
}

/* A session the server no longer knows: sign in again. */
static void
test_bad_token (void)
{
  Desk *c = desk_new ();
  g_autoptr(GError) error = NULL;
  sqlite3 *db = NULL;

  desk_sign_in (c, main_server);
  PD_WAIT_UNTIL (pd_sync_get_state (c->sync) == PD_SYNC_STATE_SYNCED);
  g_assert_cmpint (sqlite3_open (main_server->db, &db), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 5000);
  g_assert_cmpint (sqlite3_exec (db, "DELETE FROM sessions", NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);
  g_assert_false (desk_sync_full (c, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
  g_assert_cmpint (pd_sync_get_state (c->sync), ==, PD_SYNC_STATE_ERROR);
  g_assert_cmpstr (pd_sync_get_status_text (c->sync), ==, "Sign in again");
  g_clear_error (&error);
  /* A wrong password is refused with a clear message. */
  g_assert_false (desk_sign_in_full (c, main_server->url, "not the password", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
  desk_free (c);
  /* The others signed in again too (their sessions were removed as well). */
  desk_sign_in (desk_a, main_server);
  desk_sign_in (desk_b, main_server);
}

static void
test_lost_answer (void)
{
  PdTestServer *s = server_new (faulty_bin, FALSE);
  Desk *c = desk_new ();
  g_autoptr(PdRecord) inst = NULL;
  g_autoptr(GPtrArray) ids = NULL;

  desk_sign_in (c, s);
  PD_WAIT_UNTIL (pd_sync_get_state (c->sync) == PD_SYNC_STATE_SYNCED);
  inst = save_new (c, &pd_institution_type, "name", "Lost Answer Clinic", NULL);
  edit (c, &pd_institution_type, pd_record_get_id (inst), "address", "2 Dropped Lane");
  PD_WAIT_UNTIL (pd_store_sync_count_outbox (c->store) == 0
                 && pd_sync_get_state (c->sync) == PD_SYNC_STATE_SYNCED);
  /* Each answer was lost once, the push retried with the same key: applied once. */
  g_assert_cmpint (db_count (s->db, "SELECT count(*) FROM change_log WHERE record_id = ?1",
                             pd_record_get_id (inst)), ==, 2);
  g_assert_cmpint (db_count (s->db, "SELECT version FROM institutions WHERE id = ?1",
                             pd_record_get_id (inst)), ==, 2);
  desk_sync (c);
  g_assert_cmpint (pd_store_sync_count_outbox (c->store), ==, 0);

  /* A batch's answer lost (keyed on its first write): retried, every write applied once. */
  ids = g_ptr_array_new_with_free_func (g_free);
  save_many (c, &pd_institution_type, "Lost Batch Clinic %u", 5, ids);
  PD_WAIT_UNTIL (pd_store_sync_count_outbox (c->store) == 0
                 && pd_sync_get_state (c->sync) == PD_SYNC_STATE_SYNCED);
  PD_WAIT_UNTIL (log_count (s, "POST /api/v1/batch committed; answer dropped") == 1);
  for (guint i = 0; i < ids->len; i++)
    g_assert_cmpint (db_count (s->db, "SELECT count(*) FROM change_log WHERE record_id = ?1",
                               ids->pdata[i]), ==, 1);
  g_assert_cmpint (db_count (s->db, "SELECT count(*) FROM institutions WHERE version = 1 "
                             "AND name LIKE 'Lost Batch Clinic %'", NULL), ==, 5);
  desk_free (c);
  pd_test_server_free (s);
}

static void
test_https (void)
{
  PdTestServer *s = server_new (server_bin, TRUE);
  Desk *trusting = desk_new ();
  Desk *untrusting = desk_new ();
  g_autoptr(PdRecord) inst = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (g_str_has_prefix (s->url, "https://"));
  pd_sync_set_tls_ca_file (trusting->sync, s->ca);
  desk_sign_in (trusting, s);
  inst = save_new (trusting, &pd_institution_type, "name", "Secure Clinic", NULL);
  PD_WAIT_UNTIL (pd_store_sync_count_outbox (trusting->store) == 0
                 && pd_sync_get_state (trusting->sync) == PD_SYNC_STATE_SYNCED);
  g_assert_cmpint (db_count (s->db, "SELECT count(*) FROM institutions WHERE id = ?1",
                             pd_record_get_id (inst)), ==, 1);
  g_assert_false (desk_sign_in_full (untrusting, s->url, OWNER_PASSWORD, &error));
  g_assert_true (error->domain == G_TLS_ERROR);
  g_assert_nonnull (strstr (error->message, "certificate"));
  g_assert_cmpint (pd_sync_get_state (untrusting->sync), ==, PD_SYNC_STATE_LOCAL_ONLY);
  desk_free (trusting);
  desk_free (untrusting);
  pd_test_server_free (s);
}

/* Another desktop takes a permission from the signed-in user: this one follows at its next
 * round (notify::permissions), without signing in again, and keeps it when restarted. */
static void
test_permissions_follow (void)
{
  const char *user_id = pd_sync_get_user_id (desk_b->sync);
  g_autofree char *all = NULL;
  g_auto(GStrv) words = NULL;
  g_autoptr(GString) fewer = g_string_new (NULL);
  g_autoptr(PdSync) restarted = NULL;
  guint notified = 0;
  gulong handler;

  desk_sync (desk_a);
  desk_sync (desk_b);
  g_assert_cmpstr (user_id, ==, pd_sync_get_user_id (desk_a->sync));
  g_assert_true (pd_sync_has_permission (desk_b->sync, "billing"));
  all = value_of (desk_a, &pd_practice_user_type, user_id, "permissions");
  words = g_strsplit (all, ",", -1);
  for (guint i = 0; words[i]; i++)
    if (strcmp (words[i], "billing") != 0)
      g_string_append_printf (fewer, "%s%s", fewer->len ? "," : "", words[i]);
  g_assert_cmpuint (fewer->len, <, strlen (all));

  handler = g_signal_connect_swapped (desk_b->sync, "notify::permissions", G_CALLBACK (count_cb),
                                      &notified);
  edit (desk_a, &pd_practice_user_type, user_id, "permissions", fewer->str);
  desk_sync (desk_a);
  g_assert_false (pd_sync_has_permission (desk_a->sync, "billing"));
  g_assert_true (pd_sync_has_permission (desk_b->sync, "billing"));
  g_assert_cmpuint (notified, ==, 0);
  desk_sync (desk_b);
  g_assert_cmpuint (notified, ==, 1);
  g_assert_false (pd_sync_has_permission (desk_b->sync, "billing"));
  g_assert_true (pd_sync_has_permission (desk_b->sync, "manage_team"));
  g_assert_true (pd_sync_has_permission (desk_b->sync, "edit_partners"));
  /* A round without news of the user changes nothing. */
  desk_sync (desk_b);
  g_assert_cmpuint (notified, ==, 1);
  restarted = pd_sync_new (desk_b->store);
  g_assert_false (pd_sync_has_permission (restarted, "billing"));
  g_clear_object (&restarted);

  /* Given back here, it is back at once (the round starts from the replica's row). */
  edit (desk_b, &pd_practice_user_type, user_id, "permissions", all);
  desk_sync (desk_b);
  g_signal_handler_disconnect (desk_b->sync, handler);
  g_assert_cmpuint (notified, ==, 2);
  g_assert_true (pd_sync_has_permission (desk_b->sync, "billing"));
  desk_sync (desk_a);
  g_assert_true (pd_sync_has_permission (desk_a->sync, "billing"));
  assert_converged (desk_a, desk_b, main_server);
}

/* Invitations through desktops (issue 5, items 7 to 9) */

#define PRACTICE_NAME "Riverside Practice"
#define REP_EMAIL "rita@northgate.example"
#define REP_PASSWORD "rita's own password 7"

/* A server that mails through SINK, with links to its own address. */
static PdTestServer *
mailing_server_new (PdTestMailSink *sink)
{
  PdTestServer *s = pd_test_server_new (server_bin);
  g_autoptr(GError) error = NULL;
  g_autofree char *smtp_url = g_strdup_printf ("smtp://127.0.0.1:%u", sink->port);
  g_autofree char *public_url = NULL;

  s->port = pd_test_free_port ();
  public_url = g_strdup_printf ("http://127.0.0.1:%u", s->port);
  pd_test_server_setenv (s, "PD_SERVER_MAIL_RETRY_MS", "200");
  pd_test_server_add_args (s, "--public-url", public_url, "--smtp-url", smtp_url,
                           "--mail-from", PRACTICE_NAME " <desk@riverside.example>", NULL);
  pd_test_server_init (s, OWNER_EMAIL, PRACTICE_NAME, public_url, &error);
  g_assert_no_error (error);
  pd_test_server_start (s, &error);
  g_assert_no_error (error);
  pd_test_server_accept (s, s->invite_path, "Olivia Owner", OWNER_PASSWORD, &error);
  g_assert_no_error (error);
  return s;
}

/* The representative's email: its link, at the server's public address. */
static char *
wait_for_invitation (PdTestMailSink *sink,
                     PdTestServer   *s,
                     const char     *partner_name)
{
  g_autofree char *body = NULL;
  g_autofree char *subject = NULL;
  g_autofree char *link = NULL;
  char *path;

  PD_WAIT_UNTIL ((body = pd_test_mail_sink_find (sink, REP_EMAIL, &subject)) != NULL);
  g_assert_nonnull (subject);
  g_assert_nonnull (strstr (body, partner_name));
  g_assert_nonnull (strstr (body, "7 days"));
  path = pd_test_invite_path (body);
  g_assert_nonnull (path);
  link = g_strconcat (s->url, path, NULL);
  g_assert_nonnull (strstr (body, link));
  return path;
}

static void
assert_partner_active (Desk       *d,
                       const char *partner_id)
{
  g_autoptr(PdRecord) partner = pd_store_get (d->store, &pd_partner_type, partner_id, NULL);
  g_autoptr(GPtrArray) users = pd_store_list (d->store, &pd_partner_user_type, "partner_id",
                                              partner_id, NULL);
  PdRecord *user;

  g_assert_nonnull (partner);
  g_assert_cmpstr (pd_record_get_string (partner, "status"), ==, "active");
  g_assert_nonnull (pd_record_get_string (partner, "accepted_at"));
  g_assert_nonnull (users);
  g_assert_cmpuint (users->len, ==, 1);
  user = users->pdata[0];
  g_assert_cmpstr (pd_record_get_string (user, "email"), ==, REP_EMAIL);
  g_assert_cmpstr (pd_record_get_string (user, "name"), ==, "Rita Rep");
  g_assert_cmpstr (pd_record_get_string (user, "role"), ==, "partner_admin");
  g_assert_cmpstr (pd_record_get_string (user, "status"), ==, "active");
}

/* The partner user books over HTTP: EXAM_ID answers EXPECTED; the booking's id when made. */
static char *
partner_books (PdTestServer *s,
               const char   *token,
               const char   *inst_id,
               const char   *exam_id,
               guint         expected)
{
  g_autofree char *auth = g_strdup_printf ("Bearer %s", token);
  g_autofree char *key = g_uuid_string_random ();
  g_autofree char *body = g_strdup_printf ("{\"institution_id\":\"%s\",\"examination_id\":\"%s\","
                                           "\"booked_at\":\"2030-03-04T09:30:00Z\","
                                           "\"patient_name\":\"Pat Patient\"}",
                                           inst_id, exam_id);
  g_autofree char *answer = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;
  guint status;

  status = pd_test_server_request (s, "POST", "/api/v1/partner/bookings", "application/json",
                                   body, (const char *const[]) { "Authorization", auth,
                                                                 "Idempotency-Key", key, NULL },
                                   &answer, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (status, ==, expected);
  if (status != SOUP_STATUS_CREATED)
    return NULL;
  node = json_from_string (answer, &error);
  g_assert_no_error (error);
  return g_strdup (json_object_get_string_member (json_node_get_object (node), "id"));
}

/* A partner saved on desktop A with a representative's email: the server emails the
 * invitation through an SMTP sink (aiosmtpd), its link is accepted over HTTP, and both
 * desktops show the partner active with its first portal user. That user books; the
 * booking reaches both desktops by sync. */
static void
test_invitation (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PdTestMailSink) sink = pd_test_mail_sink_new (&error);
  g_autoptr(PdTestServer) s = NULL;
  g_autoptr(PdRecord) inst = NULL;
  g_autoptr(PdRecord) ecg = NULL;
  g_autoptr(PdRecord) mri = NULL;
  g_autoptr(PdRecord) ecg_price = NULL;
  g_autoptr(PdRecord) mri_price = NULL;
  g_autoptr(PdRecord) partner = NULL;
  g_autoptr(PdRecord) activation = NULL;
  g_autoptr(PdRecord) booking = NULL;
  g_autofree char *institutions = NULL;
  g_autofree char *path = NULL;
  g_autofree char *page = NULL;
  g_autofree char *token = NULL;
  g_autofree char *booking_id = NULL;
  g_autofree char *status = NULL;
  Desk *a, *b;

  if (sink == NULL)
    {
      g_test_skip (error->message);
      return;
    }
  s = mailing_server_new (sink);
  a = desk_new ();
  b = desk_new ();
  desk_sign_in (a, s);
  desk_sign_in (b, s);
  inst = save_new (a, &pd_institution_type, "name", "Riverside Medical Centre", NULL);
  ecg = save_new (a, &pd_examination_type, "code", "ECG", "name", "Electrocardiogram",
                  "duration_minutes", "20", NULL);
  mri = save_new (a, &pd_examination_type, "code", "MRI", "name", "MRI scan",
                  "duration_minutes", "45", NULL);
  ecg_price = save_new (a, &pd_examination_price_type, "examination_id", pd_record_get_id (ecg),
                        "institution_id", pd_record_get_id (inst), "price", "12000", NULL);
  mri_price = save_new (a, &pd_examination_price_type, "examination_id", pd_record_get_id (mri),
                        "institution_id", pd_record_get_id (inst), "price", "45000", NULL);
  institutions = g_strdup_printf ("[\"%s\"]", pd_record_get_id (inst));
  partner = save_new (a, &pd_partner_type, "kind", "clinic", "name", "Northgate Clinic",
                      "rep_name", "Rita Rep", "rep_email", REP_EMAIL,
                      "institutions", institutions, "commission_mode", "percentage",
                      "commission_percent", "1250", "payment_location", "partner",
                      "patient_data_visible", "1", "status", "draft", NULL);
  desk_sync (a);
  status = value_of (a, &pd_partner_type, pd_record_get_id (partner), "status");
  g_assert_cmpstr (status, ==, "invited");

  /* The email, its page, and Accept. */
  path = wait_for_invitation (sink, s, "Northgate Clinic");
  g_assert_cmpuint (pd_test_server_request (s, "GET", path, NULL, NULL, NULL, &page, &error),
                    ==, SOUP_STATUS_OK);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (page, PRACTICE_NAME));
  g_assert_nonnull (strstr (page, "Northgate Clinic"));
  pd_test_server_accept (s, path, "Rita Rep", REP_PASSWORD, &error);
  g_assert_no_error (error);
  desk_sync (a);
  desk_sync (b);
  assert_partner_active (a, pd_record_get_id (partner));
  assert_partner_active (b, pd_record_get_id (partner));

  /* The partner side: desktop B activates ECG for it, not MRI. */
  activation = save_new (b, &pd_activation_type, "partner_id", pd_record_get_id (partner),
                         "institution_id", pd_record_get_id (inst),
                         "examination_id", pd_record_get_id (ecg), "enabled", "1", NULL);
  desk_sync (b);
  token = pd_test_server_sign_in (s, REP_EMAIL, REP_PASSWORD, &error);
  g_assert_no_error (error);
  g_assert_null (partner_books (s, token, pd_record_get_id (inst), pd_record_get_id (mri),
                                SOUP_STATUS_FORBIDDEN));
  booking_id = partner_books (s, token, pd_record_get_id (inst), pd_record_get_id (ecg),
                              SOUP_STATUS_CREATED);
  desk_sync (a);
  desk_sync (b);
  for (guint i = 0; i < 2; i++)
    {
      Desk *d = i == 0 ? a : b;

      g_clear_object (&booking);
      booking = pd_store_get (d->store, &pd_booking_type, booking_id, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (pd_record_get_string (booking, "partner_id"), ==,
                       pd_record_get_id (partner));
      g_assert_cmpstr (pd_record_get_string (booking, "examination_id"), ==,
                       pd_record_get_id (ecg));
      g_assert_cmpstr (pd_record_get_string (booking, "patient_name"), ==, "Pat Patient");
      g_assert_cmpint (pd_record_get_int (booking, "price"), ==, 12000);
      g_assert_cmpint (pd_store_count (d->store, &pd_booking_type), ==, 1);
    }
  assert_converged (a, b, s);
  desk_free (a);
  desk_free (b);
}

static void
test_sign_out (void)
{
  GAsyncResult *result = NULL;
  g_autoptr(GAsyncResult) done = NULL;
  g_autoptr(GError) error = NULL;

  pd_sync_sign_out_async (desk_b->sync, NULL, pd_test_async_cb, &result);
  done = pd_test_async_wait (&result);
  g_assert_true (pd_sync_sign_out_finish (desk_b->sync, done, &error));
  g_assert_no_error (error);
  g_assert_cmpint (pd_sync_get_state (desk_b->sync), ==, PD_SYNC_STATE_LOCAL_ONLY);
  g_assert_null (pd_sync_get_user_id (desk_b->sync));
  g_assert_cmpstr (pd_sync_get_status_text (desk_b->sync), ==, "Local only");
  /* The data stays. */
  g_assert_cmpint (pd_store_count (desk_b->store, &pd_partner_type), >, 0);
}

int
main (int    argc,
      char **argv)
{
  int result;

  g_test_init (&argc, &argv, NULL);
  if (argc < 3)
    {
      g_printerr ("usage: test-sync PARTNER-DESK-SERVER PARTNER-DESK-SERVER-FAULTY\n");
      return 77;
    }
  server_bin = argv[1];
  faulty_bin = argv[2];
  pd_test_wait_seconds = 60;
  main_server = server_new (server_bin, FALSE);
  desk_a = desk_new ();
  desk_b = desk_new ();
  g_test_add_func ("/sync/parse-changes", test_parse_changes);
  g_test_add_func ("/sync/converge", test_sign_in_and_converge);
  g_test_add_func ("/sync/conflict", test_conflict);
  g_test_add_func ("/sync/delete-and-edit", test_delete_and_edit);
  g_test_add_func ("/sync/cell-clash", test_cell_clash);
  g_test_add_func ("/sync/offline-queue", test_offline_queue);
  g_test_add_func ("/sync/kill-mid-push", test_kill_mid_push);
  g_test_add_func ("/sync/import-push", test_import_push);
  g_test_add_func ("/sync/no-batch-server", test_no_batch_server);
  g_test_add_func ("/sync/local-data-first", test_local_data_first);
  g_test_add_func ("/sync/bad-token", test_bad_token);
  g_test_add_func ("/sync/lost-answer", test_lost_answer);
  g_test_add_func ("/sync/https", test_https);
  g_test_add_func ("/sync/permissions-follow", test_permissions_follow);
  g_test_add_func ("/sync/invitation", test_invitation);
  g_test_add_func ("/sync/sign-out", test_sign_out);
  result = g_test_run ();
  desk_free (desk_a);
  desk_free (desk_b);
  pd_test_server_free (main_server);
  return result;
}
