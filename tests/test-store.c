/* test-store.c: the SQLite store on real files: migrations, writes, change log, audit, tombstones, rollback. */
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>
#include <unistd.h>

#include "pd-core.h"
#include "pd-test-util.h"

typedef struct {
  char    *dir;
  char    *path;
  PdStore *store;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->store = pd_test_open_store ("pd-test-store-XXXXXX", "data", &f->dir, &f->path);
  g_assert_nonnull (f->store);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_object (&f->store);
  g_chmod (f->dir, 0700);
  pd_test_remove_tree (f->dir);
  g_free (f->dir);
  g_free (f->path);
}

/* Opens a second, plain SQLite connection to look at (or tamper with) the file. */
static sqlite3 *
open_raw (const char *path)
{
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  return db;
}

/* SQL with PARAMS (NULL-terminated, or NULL) bound to ?1, ?2, … */
static sqlite3_stmt *
prepare_bound (sqlite3           *db,
               const char        *sql,
               const char *const *params)
{
  sqlite3_stmt *stmt = NULL;

  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  for (int i = 0; params && params[i]; i++)
    sqlite3_bind_text (stmt, i + 1, params[i], -1, SQLITE_TRANSIENT);
  return stmt;
}

static gint64
query_int_bound (sqlite3           *db,
                 const char        *sql,
                 const char *const *params)
{
  sqlite3_stmt *stmt = prepare_bound (db, sql, params);
  gint64 value;

  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  value = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  return value;
}

static gint64
query_int (sqlite3    *db,
           const char *sql)
{
  return query_int_bound (db, sql, NULL);
}

static char *
query_text_bound (sqlite3           *db,
                  const char        *sql,
                  const char *const *params)
{
  sqlite3_stmt *stmt = prepare_bound (db, sql, params);
  char *value = NULL;

  if (sqlite3_step (stmt) == SQLITE_ROW)
    value = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  return value;
}

static char *
query_text (sqlite3    *db,
            const char *sql)
{
  return query_text_bound (db, sql, NULL);
}

static gint64
count_rows (const char *path,
            const char *sql)
{
  sqlite3 *db = open_raw (path);
  gint64 n = query_int (db, sql);

  sqlite3_close (db);
  return n;
}

static PdRecord *
new_partner (const char *name)
{
  PdRecord *partner = pd_record_new (&pd_partner_type);

  pd_record_set_string (partner, "name", name);
  pd_record_set_string (partner, "hq_city", "Hamburg");
  pd_record_set_int (partner, "employee_count", 120);
  return partner;
}

static PdRecord *
save_partner (Fixture    *f,
              const char *name)
{
  g_autoptr(GError) error = NULL;
  PdRecord *partner = new_partner (name);

  g_assert_true (pd_store_save (f->store, partner, &error));
  g_assert_no_error (error);
  return partner;
}

static void
test_migrate_empty (Fixture       *f,
                    gconstpointer  data)
{
  static const PdRecordType *types[] = {
    &pd_partner_type, &pd_institution_type, &pd_partner_user_type, &pd_practice_user_type,
  };
  sqlite3 *db = open_raw (f->path);
  g_autofree char *mode = query_text (db, "PRAGMA journal_mode");

  g_assert_cmpint (pd_store_get_schema_version (f->store), ==, PD_STORE_SCHEMA_VERSION);
  g_assert_cmpint (query_int (db, "PRAGMA user_version"), ==, PD_STORE_SCHEMA_VERSION);
  g_assert_cmpstr (mode, ==, "wal");
  for (const char *const *t = (const char *const[]) { "partners", "institutions", "partner_users",
                                                      "practice_users", "change_log", "audit",
                                                      "settings", NULL }; *t; t++)
    g_assert_cmpint (query_int_bound (db, "SELECT count(*) FROM sqlite_master "
                                          "WHERE type = 'table' AND name = ?1",
                                      (const char *[]) { *t, NULL }), ==, 1);
  /* Every described field has its column: the descriptions and the migration agree. */
  for (guint i = 0; i < G_N_ELEMENTS (types); i++)
    for (guint j = 0; j < types[i]->n_fields; j++)
      g_assert_cmpint (query_int_bound (db, "SELECT count(*) FROM pragma_table_info (?1) "
                                            "WHERE name = ?2",
                                        (const char *[]) { types[i]->table,
                                                           types[i]->fields[j].name, NULL }),
                       ==, 1);
  /* The local practice user exists and is the actor. */
  g_assert_nonnull (pd_store_get_local_user_id (f->store));
  g_assert_cmpstr (pd_store_get_actor (f->store), ==, pd_store_get_local_user_id (f->store));
  g_assert_cmpint (query_int (db, "SELECT count(*) FROM practice_users"), ==, 1);
  sqlite3_close (db);
}

static void
test_reopen_keeps_data (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PdRecord) partner = save_partner (f, "Acme Logistics GmbH");
  g_autofree char *local_user = g_strdup (pd_store_get_local_user_id (f->store));
  g_autoptr(PdRecord) again = NULL;

  g_clear_object (&f->store);
  f->store = pd_store_open (f->path, &error);
  g_assert_no_error (error);
  again = pd_store_get (f->store, &pd_partner_type, pd_record_get_id (partner), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (pd_record_get_string (again, "name"), ==, "Acme Logistics GmbH");
  g_assert_cmpint (pd_record_get_int (again, "employee_count"), ==, 120);
  g_assert_cmpint (pd_record_get_version (again), ==, 1);
  g_assert_cmpstr (pd_store_get_local_user_id (f->store), ==, local_user);
  g_assert_cmpint (pd_store_count (f->store, &pd_practice_user_type), ==, 1);
}

static void
test_newer_schema (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("pd-test-newer-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "future.db", NULL);
  g_autofree char *before = NULL, *after = NULL;
  gsize before_len = 0, after_len = 0;
  sqlite3 *db = open_raw (path);
  PdStore *store;

  g_assert_cmpint (sqlite3_exec (db, "CREATE TABLE partners (id TEXT, hologram TEXT);"
                                 "INSERT INTO partners VALUES ('x', 'y');"
                                 "PRAGMA user_version = 99", NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);
  g_assert_true (g_file_get_contents (path, &before, &before_len, NULL));

  store = pd_store_open (path, &error);
  g_assert_null (store);
  g_assert_error (error, PD_ERROR, PD_ERROR_NEWER_SCHEMA);
  g_assert_nonnull (strstr (error->message, "99"));
  g_assert_nonnull (strstr (error->message, "Nothing was changed"));

  g_assert_true (g_file_get_contents (path, &after, &after_len, NULL));
  g_assert_cmpmem (before, before_len, after, after_len);
  g_assert_cmpint (count_rows (path, "PRAGMA user_version"), ==, 99);
  pd_test_remove_tree (dir);
}

static void
test_not_a_database (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("pd-test-garbage-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "garbage.db", NULL);
  PdStore *store;

  g_assert_true (g_file_set_contents (path, "this is not a database, just a text file "
                                      "that happens to be long enough to look like one.",
                                      -1, NULL));
  store = pd_store_open (path, &error);
  g_assert_null (store);
  g_assert_error (error, PD_ERROR, PD_ERROR_DATABASE);
  pd_test_remove_tree (dir);
}

static void
test_save_writes_log_and_audit (Fixture       *f,
                                gconstpointer  data)
{
  g_autoptr(PdRecord) partner = save_partner (f, "Acme Logistics GmbH");
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *payload = NULL;
  sqlite3 *db = open_raw (f->path);
  JsonObject *object;

  g_assert_cmpint (pd_record_get_version (partner), ==, 1);
  g_assert_nonnull (pd_record_get_created_at (partner));
  g_assert_cmpstr (pd_record_get_updated_by (partner), ==, pd_store_get_local_user_id (f->store));

  payload = query_text_bound (db, "SELECT payload FROM change_log WHERE record_id = ?1 "
                                  "AND collection = 'partner' AND base_version = 0",
                              (const char *[]) { pd_record_get_id (partner), NULL });
  g_assert_nonnull (payload);
  g_assert_true (json_parser_load_from_data (parser, payload, -1, NULL));
  object = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (object, "name"), ==, "Acme Logistics GmbH");
  g_assert_cmpint (json_object_get_int_member (object, "version"), ==, 1);

  g_assert_cmpint (query_int_bound (db, "SELECT count(*) FROM audit WHERE record_id = ?1 "
                                        "AND action = 'create' AND who = 'Practice administrator' "
                                        "AND partner_id = record_id",
                                    (const char *[]) { pd_record_get_id (partner), NULL }),
                   ==, 1);
  sqlite3_close (db);
}

static void
test_update_audits_changed_fields (Fixture       *f,
                                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PdRecord) partner = save_partner (f, "Acme Logistics GmbH");
  g_autoptr(GPtrArray) history = NULL;
  g_autofree char *sentence = NULL;
  sqlite3 *db;

  pd_record_set_int (partner, "employee_count", 140);
  pd_record_set_string (partner, "industry", "Logistics");
  g_assert_true (pd_store_save (f->store, partner, &error));
  g_assert_no_error (error);
  g_assert_cmpint (pd_record_get_version (partner), ==, 2);

  db = open_raw (f->path);
  g_assert_cmpint (query_int (db, "SELECT count(*) FROM audit WHERE action = 'update'"), ==, 2);
  g_assert_cmpint (query_int (db, "SELECT count(*) FROM audit WHERE action = 'update' AND "
                              "field = 'employee_count' AND old_value = '120' AND "
                              "new_value = '140'"), ==, 1);
  g_assert_cmpint (query_int (db, "SELECT count(*) FROM audit WHERE action = 'update' AND "
                              "field = 'industry' AND old_value IS NULL AND "
                              "new_value = 'Logistics'"), ==, 1);
  g_assert_cmpint (query_int (db, "SELECT count(*) FROM change_log WHERE base_version = 1"),
                   ==, 1);
  g_assert_cmpint (query_int (db, "SELECT version FROM partners"), ==, 2);

  /* Saving again without a change writes nothing. */
  g_assert_true (pd_store_save (f->store, partner, &error));
  g_assert_cmpint (pd_record_get_version (partner), ==, 2);
  g_assert_cmpint (query_int (db, "SELECT count(*) FROM audit WHERE record_type = 'partner'"),
                   ==, 3);
  g_assert_cmpint (query_int (db, "SELECT count(*) FROM change_log WHERE collection = 'partner'"),
                   ==, 2);
  sqlite3_close (db);

  history = pd_store_list_history (f->store, pd_record_get_id (partner), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (history->len, ==, 3);
  g_assert_cmpstr (pd_audit_entry_get_action (g_ptr_array_index (history, 2)), ==, "create");
  for (guint i = 0; i < 2; i++)
    if (g_strcmp0 (pd_audit_entry_get_field (g_ptr_array_index (history, i)), "employee_count")
        == 0)
      sentence = pd_audit_entry_describe (g_ptr_array_index (history, i));
  g_assert_cmpstr (sentence, ==, "Changed Employee count from “120” to “140”");
}

static void
test_tombstone (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PdRecord) partner = save_partner (f, "Acme Logistics GmbH");
  g_autoptr(PdRecord) other = save_partner (f, "Bergmann Bau GmbH");
  g_autoptr(PdRecord) loaded = NULL;
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(GPtrArray) history = NULL;
  const char *id = pd_record_get_id (partner);

  g_assert_true (pd_store_delete (f->store, &pd_partner_type, id, &error));
  g_assert_no_error (error);
  list = pd_store_list (f->store, &pd_partner_type, NULL, NULL, &error);
  g_assert_cmpuint (list->len, ==, 1);
  g_assert_cmpstr (pd_record_get_id (g_ptr_array_index (list, 0)), ==, pd_record_get_id (other));
  g_assert_cmpint (pd_store_count (f->store, &pd_partner_type), ==, 1);

  loaded = pd_store_get (f->store, &pd_partner_type, id, &error);
  g_assert_no_error (error);
  g_assert_true (pd_record_get_deleted (loaded));
  g_assert_cmpint (pd_record_get_version (loaded), ==, 2);
  g_assert_cmpint (count_rows (f->path, "SELECT count(*) FROM change_log WHERE deleted = 1"), ==, 1);

  g_assert_true (pd_store_restore (f->store, &pd_partner_type, id, &error));
  g_assert_no_error (error);
  g_clear_pointer (&list, g_ptr_array_unref);
  list = pd_store_list (f->store, &pd_partner_type, NULL, NULL, &error);
  g_assert_cmpuint (list->len, ==, 2);
  g_assert_cmpstr (pd_record_get_title (g_ptr_array_index (list, 0)), ==, "Acme Logistics GmbH");

  history = pd_store_list_history (f->store, id, &error);
  g_assert_cmpuint (history->len, ==, 3);
  g_assert_cmpstr (pd_audit_entry_get_action (g_ptr_array_index (history, 0)), ==, "restore");
  g_assert_cmpstr (pd_audit_entry_get_action (g_ptr_array_index (history, 1)), ==, "delete");

  g_assert_false (pd_store_delete (f->store, &pd_partner_type, "no-such-id", &error));
  g_assert_error (error, PD_ERROR, PD_ERROR_NOT_FOUND);
}

static void
test_restore_name_reused (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PdRecord) first = save_partner (f, "Acme Logistics GmbH");
  g_autoptr(PdRecord) second = NULL;
  g_autoptr(PdRecord) loaded = NULL;

  g_assert_true (pd_store_delete (f->store, &pd_partner_type, pd_record_get_id (first), &error));
  /* The name is free once its holder is deleted ... */
  second = save_partner (f, "ACME logistics gmbh");
  /* ... so the deleted one cannot come back under it. */
  g_assert_false (pd_store_restore (f->store, &pd_partner_type, pd_record_get_id (first), &error));
  g_assert_error (error, PD_ERROR, PD_ERROR_INVALID);
  g_assert_cmpstr (error->message, ==,
                   "Company name: A partner named “Acme Logistics GmbH” already exists");
  g_clear_error (&error);
  loaded = pd_store_get (f->store, &pd_partner_type, pd_record_get_id (first), &error);
  g_assert_true (pd_record_get_deleted (loaded));
}

static void
assert_duplicate_refused (Fixture    *f,
                          const char *first_name,
                          const char *second_name)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PdRecord) first = save_partner (f, first_name);
  g_autoptr(PdRecord) second = new_partner (second_name);
  g_autoptr(GHashTable) errors = pd_store_validate (f->store, second);
  g_autofree char *shown = g_strstrip (g_strdup (second_name));
  g_autofree char *expected = g_strdup_printf ("A partner named “%s” already exists", shown);
  g_autofree char *expected_error = g_strdup_printf ("Company name: %s", expected);

  g_assert_cmpstr (g_hash_table_lookup (errors, "name"), ==, expected);
  g_assert_false (pd_store_save (f->store, second, &error));
  g_assert_error (error, PD_ERROR, PD_ERROR_INVALID);
  g_assert_cmpstr (error->message, ==, expected_error);
  g_assert_cmpint (pd_record_get_version (second), ==, 0);
}

static void
test_unique_ignoring_case (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PdRecord) other = NULL;
  g_autoptr(PdRecord) institution = pd_record_new (&pd_institution_type);
  g_autoptr(PdRecord) institution2 = pd_record_new (&pd_institution_type);

  assert_duplicate_refused (f, "ACME", "acme");
  assert_duplicate_refused (f, "Ärzte Nord", "ärzte nord");
  assert_duplicate_refused (f, "Straße Eins", "STRASSE EINS");
  assert_duplicate_refused (f, "Trim Me", "  trim me ");
  /* A different name is fine, and a record may keep its own name. */
  other = save_partner (f, "Acme Two");
  pd_record_set_string (other, "name", "ACME TWO");
  g_assert_true (pd_store_save (f->store, other, &error));
  g_assert_no_error (error);

  pd_record_set_string (institution, "name", "Riverside Medical Centre");
  g_assert_true (pd_store_save (f->store, institution, &error));
  pd_record_set_string (institution2, "name", "riverside medical centre");
  g_assert_false (pd_store_save (f->store, institution2, &error));
  g_assert_error (error, PD_ERROR, PD_ERROR_INVALID);
  g_assert_cmpstr (error->message, ==,
                   "Name: An institution named “riverside medical centre” already exists");
}

static void
test_partner_user_email_unique (Fixture       *f,
                                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PdRecord) partner = save_partner (f, "Acme Logistics GmbH");
  g_autoptr(PdRecord) user = pd_record_new (&pd_partner_user_type);
  g_autoptr(PdRecord) dup = pd_record_new (&pd_partner_user_type);
  g_autoptr(GPtrArray) users = NULL;
  g_autoptr(GPtrArray) history = NULL;
  g_autofree char *sentence = NULL;

  pd_record_set_string (user, "partner_id", pd_record_get_id (partner));
  pd_record_set_string (user, "name", "Anna Berg");
  pd_record_set_string (user, "email", "anna.berg@acme.example");
  g_assert_true (pd_store_save (f->store, user, &error));
  g_assert_no_error (error);

  pd_record_set_string (dup, "partner_id", pd_record_get_id (partner));
  pd_record_set_string (dup, "name", "Anna B.");
  pd_record_set_string (dup, "email", "Anna.Berg@ACME.example");
  g_assert_false (pd_store_save (f->store, dup, &error));
  g_assert_error (error, PD_ERROR, PD_ERROR_INVALID);
  g_clear_error (&error);

  /* A partner user needs a partner that exists. */
  pd_record_set_string (dup, "partner_id", "no-such-partner");
  pd_record_set_string (dup, "email", "other@acme.example");
  g_assert_false (pd_store_save (f->store, dup, &error));
  g_assert_error (error, PD_ERROR, PD_ERROR_INVALID);

  users = pd_store_list (f->store, &pd_partner_user_type, "partner_id",
                         pd_record_get_id (partner), NULL);
  g_assert_cmpuint (users->len, ==, 1);
  history = pd_store_list_history (f->store, pd_record_get_id (partner), NULL);
  g_assert_cmpuint (history->len, ==, 2);
  sentence = pd_audit_entry_describe (g_ptr_array_index (history, 0));
  g_assert_cmpstr (sentence, ==, "Created partner user “Anna Berg”");
}

static void
test_rollback_on_failure (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PdRecord) partner = save_partner (f, "Acme Logistics GmbH");
  g_autoptr(PdRecord) fresh = new_partner ("Bergmann Bau GmbH");
  g_autoptr(PdRecord) loaded = NULL;
  sqlite3 *db = open_raw (f->path);
  gint64 changes = query_int (db, "SELECT count(*) FROM change_log");
  gint64 audits = query_int (db, "SELECT count(*) FROM audit");

  /* The audit insert, the last write of a save, fails. */
  g_assert_cmpint (sqlite3_exec (db, "CREATE TRIGGER no_audit BEFORE INSERT ON audit "
                                 "BEGIN SELECT RAISE (ABORT, 'audit is closed'); END",
                                 NULL, NULL, NULL), ==, SQLITE_OK);

  pd_record_set_int (partner, "employee_count", 999);
  g_assert_false (pd_store_save (f->store, partner, &error));
  g_assert_error (error, PD_ERROR, PD_ERROR_DATABASE);
  g_clear_error (&error);
  g_assert_cmpint (pd_record_get_version (partner), ==, 1);
  g_assert_cmpint (pd_record_get_int (partner, "employee_count"), ==, 999);

  g_assert_false (pd_store_save (f->store, fresh, &error));
  g_assert_cmpint (pd_record_get_version (fresh), ==, 0);
  g_clear_error (&error);
  g_assert_false (pd_store_delete (f->store, &pd_partner_type, pd_record_get_id (partner), &error));
  g_clear_error (&error);

  g_assert_cmpint (query_int (db, "SELECT count(*) FROM change_log"), ==, changes);
  g_assert_cmpint (query_int (db, "SELECT count(*) FROM audit"), ==, audits);
  g_assert_cmpint (query_int (db, "SELECT count(*) FROM partners"), ==, 1);
  g_assert_cmpint (query_int (db, "SELECT employee_count FROM partners"), ==, 120);
  g_assert_cmpint (query_int (db, "SELECT version FROM partners"), ==, 1);
  g_assert_cmpint (query_int (db, "SELECT deleted FROM partners"), ==, 0);

  /* Once the obstacle is gone, the same record saves. */
  g_assert_cmpint (sqlite3_exec (db, "DROP TRIGGER no_audit", NULL, NULL, NULL), ==, SQLITE_OK);
  g_assert_true (pd_store_save (f->store, partner, &error));
  g_assert_no_error (error);
  loaded = pd_store_get (f->store, &pd_partner_type, pd_record_get_id (partner), &error);
  g_assert_cmpint (pd_record_get_int (loaded, "employee_count"), ==, 999);
  g_assert_cmpint (pd_record_get_version (loaded), ==, 2);
  sqlite3_close (db);
}

typedef struct {
  guint    emitted;
  guint    emitted_inside;
  gboolean inside;
  gboolean result;
} TransactionData;

static void
on_record_changed (PdStore         *store,
                   const char      *collection,
                   const char      *id,
                   TransactionData *data)
{
  data->emitted++;
  if (data->inside)
    data->emitted_inside++;
}

static gboolean
two_saves (PdStore   *store,
           gpointer   user_data,
           GError   **error)
{
  TransactionData *data = user_data;
  g_autoptr(PdRecord) a = new_partner (data->result ? "Kept One" : "Lost One");
  g_autoptr(PdRecord) b = new_partner (data->result ? "Kept Two" : "Lost Two");

  data->inside = TRUE;
  g_assert_true (pd_store_save (store, a, error));
  g_assert_true (pd_store_save (store, b, error));
  g_assert_cmpint (pd_store_count (store, &pd_partner_type), ==, 2);
  data->inside = FALSE;
  if (!data->result)
    g_set_error_literal (error, PD_ERROR, PD_ERROR_INVALID, "changed my mind");
  return data->result;
}

static void
test_transaction (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  TransactionData td = { 0 };

  g_signal_connect (f->store, "record-changed", G_CALLBACK (on_record_changed), &td);
  td.result = FALSE;
  g_assert_false (pd_store_transaction (f->store, two_saves, &td, &error));
  g_assert_error (error, PD_ERROR, PD_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_cmpint (pd_store_count (f->store, &pd_partner_type), ==, 0);
  g_assert_cmpint (count_rows (f->path, "SELECT count(*) FROM change_log "
                               "WHERE collection = 'partner'"), ==, 0);
  g_assert_cmpuint (td.emitted, ==, 0);

  td.result = TRUE;
  g_assert_true (pd_store_transaction (f->store, two_saves, &td, &error));
  g_assert_no_error (error);
  g_assert_cmpint (pd_store_count (f->store, &pd_partner_type), ==, 2);
  g_assert_cmpuint (td.emitted, ==, 2);
  g_assert_cmpuint (td.emitted_inside, ==, 0);
}

static void
test_read_only_flag (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PdRecord) partner = save_partner (f, "Acme Logistics GmbH");
  g_autoptr(PdStore) store = NULL;
  g_autoptr(PdRecord) other = new_partner ("Bergmann Bau GmbH");
  g_autoptr(GPtrArray) list = NULL;

  g_clear_object (&f->store);
  store = pd_store_open_read_only (f->path, &error);
  g_assert_no_error (error);
  g_assert_true (pd_store_is_read_only (store));
  list = pd_store_list (store, &pd_partner_type, NULL, NULL, &error);
  g_assert_cmpuint (list->len, ==, 1);
  g_assert_false (pd_store_save (store, other, &error));
  g_assert_error (error, PD_ERROR, PD_ERROR_READ_ONLY);
  g_clear_error (&error);
  g_assert_false (pd_store_delete (store, &pd_partner_type, pd_record_get_id (partner), &error));
  g_assert_error (error, PD_ERROR, PD_ERROR_READ_ONLY);
  g_clear_error (&error);
  g_assert_false (pd_store_set_setting (store, "currency", "USD", &error));
  g_assert_error (error, PD_ERROR, PD_ERROR_READ_ONLY);
  g_assert_cmpint (pd_record_get_version (other), ==, 0);
}

static void
test_read_only_file (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *folder = g_path_get_dirname (f->path);
  PdStore *store;

  if (geteuid () == 0)
    {
      g_test_skip ("root ignores file permissions");
      return;
    }
  g_clear_object (&f->store);
  g_assert_cmpint (g_chmod (f->path, 0444), ==, 0);
  g_assert_cmpint (g_chmod (folder, 0555), ==, 0);
  store = pd_store_open (f->path, &error);
  g_assert_null (store);
  g_assert_error (error, PD_ERROR, PD_ERROR_READ_ONLY);
  g_chmod (folder, 0700);
  g_chmod (f->path, 0644);
}

static void
test_unwritable_folder (void)
{
  g_autoptr(GError) error = NULL;
  PdStore *store;

  /* A regular file stands where the folder should be: nobody can create it, not even root. */
  g_autofree char *dir = g_dir_make_tmp ("pd-test-folder-XXXXXX", NULL);
  g_autofree char *blocker = g_build_filename (dir, "file", NULL);
  g_autofree char *path = g_build_filename (blocker, "sub", "partner-desk.db", NULL);

  g_assert_true (g_file_set_contents (blocker, "", 0, NULL));
  store = pd_store_open (path, &error);
  g_assert_null (store);
  g_assert_nonnull (error);
  g_assert_true (error->domain == PD_ERROR);
  pd_test_remove_tree (dir);
}

static void
test_status_timestamps_and_only_if (Fixture       *f,
                                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PdRecord) partner = new_partner ("Acme Logistics GmbH");

  pd_record_set_string (partner, "commission_mode", "fixed");
  pd_record_set_int (partner, "commission_fixed", 25000);
  pd_record_set_int (partner, "commission_percent", 1250);
  g_assert_true (pd_store_save (f->store, partner, &error));
  g_assert_no_error (error);
  /* The percentage does not apply to a fixed commission: the store clears it. */
  g_assert_false (pd_record_is_set (partner, "commission_percent"));
  g_assert_cmpint (pd_record_get_int (partner, "commission_fixed"), ==, 25000);
  g_assert_false (pd_record_is_set (partner, "invited_at"));

  pd_record_set_string (partner, "status", "invited");
  g_assert_true (pd_store_save (f->store, partner, &error));
  g_assert_nonnull (pd_record_get_string (partner, "invited_at"));
  g_assert_false (pd_record_is_set (partner, "accepted_at"));
  pd_record_set_string (partner, "status", "active");
  g_assert_true (pd_store_save (f->store, partner, &error));
  g_assert_nonnull (pd_record_get_string (partner, "accepted_at"));
  g_assert_cmpint (pd_record_get_version (partner), ==, 3);
}

static void
test_json_round_trip (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PdRecord) partner = pd_record_new (&pd_partner_type);
  g_autoptr(PdRecord) back = NULL;
  g_autoptr(JsonObject) object = NULL;
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *text = NULL;
  const char *institutions[] = { "inst-1", "inst \"two\"", NULL };

  pd_record_set_string (partner, "name", "Müller & Söhne \"Druck\" GmbH");
  pd_record_set_string (partner, "kind", "clinic");
  pd_record_set_int (partner, "employee_count", 0);
  pd_record_set_int (partner, "commission_percent", 1250);
  pd_record_set_bool (partner, "statistics_required", TRUE);
  pd_record_set_strv (partner, "institutions", institutions);
  pd_record_set_string (partner, "invited_at", "2026-11-24T05:05:37Z");
  pd_record_set_string (partner, "description", "Line one\nLine two");
  _pd_record_set_meta (partner, pd_record_get_id (partner), 7, "2025-01-01T00:00:00Z",
                       "2025-02-01T00:00:00Z", "someone", TRUE);

  object = pd_record_to_json (partner);
  json_node_set_object (node, object);
  text = json_to_string (node, FALSE);
  g_assert_true (json_parser_load_from_data (parser, text, -1, NULL));
  back = pd_record_new_from_json (&pd_partner_type,
                                  json_node_get_object (json_parser_get_root (parser)), &error);
  g_assert_no_error (error);
  for (guint i = 0; i < pd_partner_type.n_fields; i++)
    g_assert_true (pd_record_field_equal (partner, back, pd_partner_type.fields[i].name));
  g_assert_cmpstr (pd_record_get_id (back), ==, pd_record_get_id (partner));
  g_assert_cmpint (pd_record_get_version (back), ==, 7);
  g_assert_true (pd_record_get_deleted (back));
  g_assert_cmpstr (pd_record_get_updated_by (back), ==, "someone");
  g_assert_false (pd_record_is_set (back, "tax_number"));
  g_assert_cmpstr (pd_record_get_strv (back, "institutions")[1], ==, "inst \"two\"");

  /* A value of the wrong JSON type is refused. */
  json_object_set_string_member (object, "employee_count", "many");
  g_clear_object (&back);
  back = pd_record_new_from_json (&pd_partner_type, object, &error);
  g_assert_null (back);
  g_assert_error (error, PD_ERROR, PD_ERROR_INVALID);
}

static void
test_sample_data (Fixture       *f,
                  gconstpointer  data)
{
  static const char *kinds[] = { "employer", "clinic", "intermediary" };
  static const char *statuses[] = { "draft", "invited", "active", "terminated" };
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) partners = NULL;
  g_autoptr(GPtrArray) users = NULL;
  gboolean seen[3][4] = { { FALSE } };

  g_assert_true (pd_sample_data_load (f->store, &error));
  g_assert_no_error (error);
  g_assert_cmpint (pd_store_count (f->store, &pd_institution_type), ==, 3);
  partners = pd_store_list (f->store, &pd_partner_type, NULL, NULL, &error);
  g_assert_cmpuint (partners->len, >=, 40);
  for (guint i = 0; i < partners->len; i++)
    {
      PdRecord *p = g_ptr_array_index (partners, i);
      g_autoptr(GHashTable) errors = pd_store_validate (f->store, p);

      g_assert_cmpuint (g_hash_table_size (errors), ==, 0);
      for (guint k = 0; k < 3; k++)
        for (guint s = 0; s < 4; s++)
          if (g_str_equal (pd_record_get_string (p, "kind"), kinds[k])
              && g_str_equal (pd_record_get_string (p, "status"), statuses[s]))
            seen[k][s] = TRUE;
      g_assert_cmpuint (g_strv_length ((char **) pd_record_get_strv (p, "institutions")), >=, 1);
      g_assert_true (pd_linkedin_url_is_valid (pd_record_get_string (p, "linkedin_url")));
      if (g_str_equal (pd_record_get_string (p, "status"), "active"))
        {
          g_autoptr(GPtrArray) own = pd_store_list (f->store, &pd_partner_user_type, "partner_id",
                                                    pd_record_get_id (p), NULL);

          g_assert_cmpuint (own->len, >=, 1);
          g_assert_cmpuint (own->len, <=, 4);
        }
    }
  for (guint k = 0; k < 3; k++)
    for (guint s = 0; s < 4; s++)
      g_assert_true (seen[k][s]);

  g_assert_false (pd_sample_data_load (f->store, &error));
  g_assert_error (error, PD_ERROR, PD_ERROR_NOT_EMPTY);
  g_assert_cmpuint ((guint) pd_store_count (f->store, &pd_partner_type), ==, partners->len);
}

static void
test_add_partners (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (pd_sample_data_add_partners (f->store, 300, &error));
  g_assert_no_error (error);
  g_assert_true (pd_sample_data_add_partners (f->store, 300, &error));
  g_assert_no_error (error);
  g_assert_cmpint (pd_store_count (f->store, &pd_partner_type), ==, 600);
  g_assert_cmpint (count_rows (f->path, "SELECT count(*) FROM change_log "
                               "WHERE collection = 'partner'"), ==, 600);
}

static void
test_list_changes_and_settings (Fixture       *f,
                                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PdRecord) a = save_partner (f, "Acme Logistics GmbH");
  g_autoptr(PdRecord) b = save_partner (f, "Bergmann Bau GmbH");
  g_autoptr(GPtrArray) all = pd_store_list_changes (f->store, 0, 100, &error);
  g_autoptr(GPtrArray) tail = NULL;
  g_autofree char *currency = NULL;
  PdChange *last;

  g_assert_no_error (error);
  g_assert_cmpuint (all->len, ==, 3); /* the local user, then the two partners */
  last = g_ptr_array_index (all, 2);
  g_assert_cmpstr (last->record_id, ==, pd_record_get_id (b));
  g_assert_cmpstr (last->collection, ==, "partner");
  g_assert_cmpint (last->base_version, ==, 0);
  tail = pd_store_list_changes (f->store, ((PdChange *) g_ptr_array_index (all, 1))->seq, 100,
                                &error);
  g_assert_cmpuint (tail->len, ==, 1);

  currency = pd_store_get_setting (f->store, "currency");
  g_assert_cmpstr (currency, ==, "EUR");
  g_assert_true (pd_store_set_setting (f->store, "currency", "CHF", &error));
  g_assert_cmpstr (pd_money_get_currency (), ==, "CHF");
  g_clear_object (&f->store);
  f->store = pd_store_open (f->path, &error);
  g_assert_cmpstr (pd_money_get_currency (), ==, "CHF");
  g_assert_true (pd_store_set_setting (f->store, "currency", "EUR", &error));
}

static void
test_list_sorted_and_filtered (Fixture       *f,
                               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  const char *names[] = { "zeta Care", "Alpha Health", "Ärztehaus Mitte", "beta Clinic" };
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(GPtrArray) clinics = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autoptr(PdRecord) p = new_partner (names[i]);

      pd_record_set_string (p, "kind", i % 2 ? "clinic" : "employer");
      g_assert_true (pd_store_save (f->store, p, &error));
    }
  list = pd_store_list (f->store, &pd_partner_type, NULL, NULL, &error);
  g_assert_cmpuint (list->len, ==, 4);
  g_assert_cmpstr (pd_record_get_title (g_ptr_array_index (list, 0)), ==, "Alpha Health");
  g_assert_cmpstr (pd_record_get_title (g_ptr_array_index (list, 1)), ==, "Ärztehaus Mitte");
  g_assert_cmpstr (pd_record_get_title (g_ptr_array_index (list, 2)), ==, "beta Clinic");
  g_assert_cmpstr (pd_record_get_title (g_ptr_array_index (list, 3)), ==, "zeta Care");
  clinics = pd_store_list (f->store, &pd_partner_type, "kind", "clinic", &error);
  g_assert_cmpuint (clinics->len, ==, 2);
  g_assert_nonnull (strstr (pd_record_get_search_key (g_ptr_array_index (clinics, 0)),
                            "hamburg"));
}

static void
test_describe_with_references (Fixture       *f,
                               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PdRecord) eva = pd_record_new (&pd_practice_user_type);
  g_autoptr(PdRecord) site = pd_record_new (&pd_institution_type);
  g_autoptr(PdRecord) partner = new_partner ("Acme Logistics GmbH");
  g_autoptr(GPtrArray) history = NULL;
  g_autofree char *owner = NULL, *sites = NULL, *shown = NULL;
  const char *ids[2] = { NULL, NULL };

  pd_record_set_string (eva, "name", "Eva Wolf");
  g_assert_true (pd_store_save (f->store, eva, &error));
  pd_record_set_string (site, "name", "Riverside Medical Centre");
  g_assert_true (pd_store_save (f->store, site, &error));
  pd_record_set_string (partner, "owner_id", pd_store_get_local_user_id (f->store));
  g_assert_true (pd_store_save (f->store, partner, &error));

  pd_record_set_string (partner, "owner_id", pd_record_get_id (eva));
  ids[0] = pd_record_get_id (site);
  pd_record_set_strv (partner, "institutions", ids);
  g_assert_true (pd_store_save (f->store, partner, &error));
  g_assert_no_error (error);

  history = pd_store_list_history (f->store, pd_record_get_id (partner), &error);
  g_assert_cmpuint (history->len, ==, 3);
  for (guint i = 0; i < 2; i++)
    {
      PdAuditEntry *entry = g_ptr_array_index (history, i);

      if (g_str_equal (pd_audit_entry_get_field (entry), "owner_id"))
        owner = pd_store_describe_audit_entry (f->store, entry);
      else
        sites = pd_store_describe_audit_entry (f->store, entry);
    }
  g_assert_cmpstr (owner, ==,
                   "Changed Organisation owner from “Practice administrator” to “Eva Wolf”");
  g_assert_cmpstr (sites, ==,
                   "Set Institutions where the partner can book to “Riverside Medical Centre”");
  shown = pd_store_format_field (f->store, partner, "owner_id");
  g_assert_cmpstr (shown, ==, "Eva Wolf");

  /* A reference to a record that does not exist is refused. */
  pd_record_set_string (partner, "owner_id", "nobody");
  g_assert_false (pd_store_save (f->store, partner, &error));
  g_assert_error (error, PD_ERROR, PD_ERROR_INVALID);
}

/* A person saved through the store carries the People tab's sort key, kept up to date
 * on rename, as the import writes it. */
static void
test_person_name_key (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PdRecord) partner = save_partner (f, "Name Key GmbH");
  g_autoptr(PdRecord) person = pd_record_new (&pd_person_type);
  g_autofree char *expected = NULL;
  g_autofree char *renamed = NULL;
  g_autofree char *stored = NULL;
  const char *const id[] = { pd_record_get_id (person), NULL };
  const char *sql = "SELECT name_key FROM persons WHERE id = ?1";
  sqlite3 *db;

  pd_record_set_string (person, "partner_id", pd_record_get_id (partner));
  pd_record_set_string (person, "member_id", "NK-1");
  pd_record_set_string (person, "first_name", "Émile");
  pd_record_set_string (person, "last_name", "Ångström");
  pd_record_set_string (person, "date_of_birth", "1980-02-03");
  g_assert_true (pd_store_save (f->store, person, &error));
  g_assert_no_error (error);
  expected = pd_people_name_key ("Ångström", "Émile");
  db = open_raw (f->path);
  stored = query_text_bound (db, sql, id);
  g_assert_cmpstr (stored, ==, expected);
  g_clear_pointer (&stored, g_free);

  pd_record_set_string (person, "last_name", "zeller");
  g_assert_true (pd_store_save (f->store, person, &error));
  renamed = pd_people_name_key ("zeller", "Émile");
  stored = query_text_bound (db, sql, id);
  g_assert_cmpstr (stored, ==, renamed);
  g_assert_cmpstr (stored, !=, expected);
  sqlite3_close (db);
}

/* pd_uuid_new: version 7 ids, lowercase 8-4-4-4-12, increasing within a burst, unique. */
static void
test_uuid_time_ordered (void)
{
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *previous = NULL;
  gint64 before_ms = g_get_real_time () / 1000;
  guint64 first_ms = 0;

  for (guint i = 0; i < 100000; i++)
    {
      char *id = pd_uuid_new ();

      g_assert_cmpuint (strlen (id), ==, 36);
      for (guint k = 0; k < 36; k++)
        {
          if (k == 8 || k == 13 || k == 18 || k == 23)
            g_assert_cmpint (id[k], ==, '-');
          else
            g_assert_true (g_ascii_isdigit (id[k]) || (id[k] >= 'a' && id[k] <= 'f'));
        }
      g_assert_true (g_uuid_string_is_valid (id));
      g_assert_cmpint (id[14], ==, '7');
      g_assert_nonnull (strchr ("89ab", id[19]));
      if (previous)
        g_assert_cmpstr (previous, <, id);
      else
        {
          char ms[13] = { 0 };

          memcpy (ms, id, 8);
          memcpy (ms + 8, id + 9, 4);
          first_ms = g_ascii_strtoull (ms, NULL, 16);
        }
      g_assert_true (g_hash_table_add (seen, id));
      g_free (previous);
      previous = g_strdup (id);
    }
  g_assert_cmpuint (g_hash_table_size (seen), ==, 100000);
  /* The leading 48 bits are the Unix time in milliseconds. */
  g_assert_cmpuint (first_ms, >=, (guint64) before_ms);
  g_assert_cmpuint (first_ms, <=, (guint64) (g_get_real_time () / 1000));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(name, func) \
  g_test_add (name, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/store/migrate-empty", test_migrate_empty);
  ADD ("/store/reopen", test_reopen_keeps_data);
  g_test_add_func ("/store/newer-schema", test_newer_schema);
  g_test_add_func ("/store/not-a-database", test_not_a_database);
  g_test_add_func ("/store/unwritable-folder", test_unwritable_folder);
  ADD ("/store/save-log-audit", test_save_writes_log_and_audit);
  ADD ("/store/update-audit", test_update_audits_changed_fields);
  ADD ("/store/tombstone", test_tombstone);
  ADD ("/store/restore-name-reused", test_restore_name_reused);
  ADD ("/store/unique-ignoring-case", test_unique_ignoring_case);
  ADD ("/store/partner-user-email", test_partner_user_email_unique);
  ADD ("/store/rollback-on-failure", test_rollback_on_failure);
  ADD ("/store/transaction", test_transaction);
  ADD ("/store/read-only-flag", test_read_only_flag);
  ADD ("/store/read-only-file", test_read_only_file);
  ADD ("/store/status-and-only-if", test_status_timestamps_and_only_if);
  g_test_add_func ("/store/json-round-trip", test_json_round_trip);
  ADD ("/store/sample-data", test_sample_data);
  ADD ("/store/add-partners", test_add_partners);
  ADD ("/store/changes-and-settings", test_list_changes_and_settings);
  ADD ("/store/list-sorted-filtered", test_list_sorted_and_filtered);
  ADD ("/store/describe-references", test_describe_with_references);
  ADD ("/store/person-name-key", test_person_name_key);
  g_test_add_func ("/store/uuid-time-ordered", test_uuid_time_ordered);
#undef ADD

  return g_test_run ();
}
