/* test-import.c: the eligibility import on real SQLite files: mapping, dates, modes, guard, rollback, CLI. */
#include <fcntl.h>
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
  char    *partner_id;
} Fixture;

static char *
add_partner (Fixture    *f,
             const char *name)
{
  g_autoptr(PdRecord) partner = pd_record_new (&pd_partner_type);
  g_autoptr(GError) error = NULL;

  pd_record_set_string (partner, "name", name);
  g_assert_true (pd_store_save (f->store, partner, &error));
  g_assert_no_error (error);
  return g_strdup (pd_record_get_id (partner));
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->store = pd_test_open_store ("pd-test-import-XXXXXX", NULL, &f->dir, &f->path);
  f->partner_id = add_partner (f, "Acme Logistics GmbH");
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_object (&f->store);
  pd_test_remove_tree (f->dir);
  g_free (f->dir);
  g_free (f->path);
  g_free (f->partner_id);
}

static char *
write_file (Fixture    *f,
            const char *name,
            const char *content)
{
  char *path = g_build_filename (f->dir, name, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_set_contents (path, content, -1, &error));
  g_assert_no_error (error);
  return path;
}

/* The first column of SQL's first row (-1: none), with PARAMS (NULL-terminated, or NULL)
 * bound to ?1, ?2, … */
static gint64
query_int_bound (Fixture           *f,
                 const char        *sql,
                 const char *const *params)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  gint64 value = -1;

  g_assert_cmpint (sqlite3_open_v2 (f->path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  for (int i = 0; params && params[i]; i++)
    sqlite3_bind_text (stmt, i + 1, params[i], -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    value = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return value;
}

static gint64
query_int (Fixture    *f,
           const char *sql)
{
  return query_int_bound (f, sql, NULL);
}

static char *
query_text (Fixture    *f,
            const char *sql)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  char *value = NULL;

  g_assert_cmpint (sqlite3_open_v2 (f->path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    value = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return value;
}

/* Every table's row count and the sum of person versions: "the database as it was". */
static char *
snapshot (Fixture *f)
{
  static const char *tables[] = { "persons", "uploads", "upload_files", "upload_errors",
                                  "import_mappings", "change_log", "audit", "partners" };
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < G_N_ELEMENTS (tables); i++)
    {
      g_autofree char *sql = g_strdup_printf ("SELECT count(*) FROM %s", tables[i]);

      g_string_append_printf (s, "%s=%" G_GINT64_FORMAT " ", tables[i], query_int (f, sql));
    }
  g_string_append_printf (s, "versions=%" G_GINT64_FORMAT " ",
                          query_int (f, "SELECT total(version) FROM persons"));
  g_string_append_printf (s, "ends=%" G_GINT64_FORMAT,
                          query_int (f, "SELECT count(*) FROM persons WHERE coverage_end IS NOT NULL"));
  return g_string_free (s, FALSE);
}

static PdImportResult *
run_full (Fixture          *f,
          const char       *file,
          PdImportMode      mode,
          PdImportFlags     flags,
          PdDateOrder       order,
          PdImportMapping  *mapping,
          GError          **error)
{
  PdImportOptions options;

  pd_import_options_init (&options);
  options.mode = mode;
  options.flags = flags;
  options.date_order = order;
  options.mapping = mapping;
  options.termination_date = "2024-06-30";
  return pd_import_run (f->path, f->partner_id, file, &options, NULL, NULL, NULL, error);
}

static PdImportResult *
run (Fixture       *f,
     const char    *file,
     PdImportMode   mode,
     PdImportFlags  flags)
{
  g_autoptr(GError) error = NULL;
  PdImportResult *result = run_full (f, file, mode, flags, PD_DATE_ORDER_AUTO, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (result);
  return result;
}

static void
assert_counts (PdImportResult *r,
               guint           created,
               guint           updated,
               guint           unchanged,
               guint           terminated,
               guint           rejected)
{
  g_autofree char *line = pd_import_result_summary_line (r);
  g_autofree char *want = g_strdup_printf ("created %u, updated %u, unchanged %u, terminated %u, "
                                           "rejected %u", created, updated, unchanged,
                                           terminated, rejected);

  g_assert_cmpstr (line, ==, want);
}

/* Has RESULT a rejection on LINE whose column is COLUMN and whose reason contains NEEDLE? */
static gboolean
has_rejection (PdImportResult *result,
               guint           line,
               const char     *column,
               const char     *needle)
{
  for (guint i = 0; i < result->rejections->len; i++)
    {
      PdImportRejection *r = g_ptr_array_index (result->rejections, i);

      if (r->line == line && g_strcmp0 (r->column, column) == 0 && strstr (r->reason, needle))
        return TRUE;
    }
  return FALSE;
}

#define HEADER "Member ID,First Name,Last Name,DOB,Relationship,Employee ID,Coverage Start,Coverage End,Email\n"

static const char family_csv[] =
  HEADER
  "E1,John,Doe,1980-01-15,employee,,2024-01-01,,john@example.com\n"
  "E1-S,Jane,Doe,1982-02-20,spouse,E1,2024-01-01,,\n"
  "E1-C,Jimmy,Doe,2010-05-05,child,E1,2024-01-01,,\n";

/* Ten employees E1..E10, minus those in SKIP, with CHANGED getting a new email. */
static char *
census (guint        n,
        const char  *skip,
        guint        changed)
{
  GString *s = g_string_new (HEADER);

  for (guint i = 1; i <= n; i++)
    {
      g_autofree char *tag = g_strdup_printf (",%u,", i);

      if (skip && strstr (skip, tag))
        continue;
      g_string_append_printf (s, "E%u,First%u,Last%u,1980-01-%02u,EE,,2024-01-01,,%s%u@example.com\n",
                              i, i, i, (i % 28) + 1, i == changed ? "new" : "p", i);
    }
  return g_string_free (s, FALSE);
}

static void
test_mapping_synonyms (void)
{
  const char *header[] = { "Subscriber ID", "Given Name", "Surname", "Birthdate", "Rel",
                           "Effective Date", "Term Date", "E-mail", "Telephone", "Zip",
                           "Group Number", "Favourite colour", NULL };
  const char *both[] = { "member id", "EMPLOYEE ID", "first_name", "Family Name",
                         "Date of Birth", "Member Type", NULL };
  g_autoptr(PdImportMapping) m = pd_import_mapping_new_auto (header);
  g_autoptr(PdImportMapping) m2 = pd_import_mapping_new_auto (both);
  g_auto(GStrv) missing = NULL;
  g_auto(GStrv) unmapped = pd_import_mapping_dup_unmapped (m);

  g_assert_cmpstr (pd_import_mapping_get_target (m, 0), ==, "member_id");
  g_assert_cmpstr (pd_import_mapping_get_target (m, 1), ==, "first_name");
  g_assert_cmpstr (pd_import_mapping_get_target (m, 2), ==, "last_name");
  g_assert_cmpstr (pd_import_mapping_get_target (m, 3), ==, "date_of_birth");
  g_assert_cmpstr (pd_import_mapping_get_target (m, 4), ==, "relationship");
  g_assert_cmpstr (pd_import_mapping_get_target (m, 5), ==, "coverage_start");
  g_assert_cmpstr (pd_import_mapping_get_target (m, 6), ==, "coverage_end");
  g_assert_cmpstr (pd_import_mapping_get_target (m, 7), ==, "email");
  g_assert_cmpstr (pd_import_mapping_get_target (m, 8), ==, "phone");
  g_assert_cmpstr (pd_import_mapping_get_target (m, 9), ==, "postal_code");
  g_assert_cmpstr (pd_import_mapping_get_target (m, 10), ==, "group_id");
  g_assert_null (pd_import_mapping_get_target (m, 11));
  g_assert_cmpstrv (unmapped, ((const char *[]) { "Favourite colour", NULL }));
  missing = pd_import_mapping_dup_missing (m);
  g_assert_cmpuint (g_strv_length (missing), ==, 0);

  /* With a Member ID column, "Employee ID" is the employee's member ID. */
  g_assert_cmpstr (pd_import_mapping_get_target (m2, 0), ==, "member_id");
  g_assert_cmpstr (pd_import_mapping_get_target (m2, 1), ==, "employee_member_id");
  g_assert_cmpstr (pd_import_mapping_get_target (m2, 3), ==, "last_name");
  g_assert_cmpstr (pd_import_mapping_get_target (m2, 5), ==, "relationship");

  /* Changing the mapping moves a target. */
  g_assert_true (pd_import_mapping_set_target (m2, 1, "member_id"));
  g_assert_cmpint (pd_import_mapping_find_column (m2, "member_id"), ==, 1);
  g_assert_null (pd_import_mapping_get_target (m2, 0));
  g_assert_false (pd_import_mapping_set_target (m2, 1, "no_such_field"));
  g_assert_cmpstr (pd_import_target_label ("date_of_birth"), ==, "Date of birth");
}

static void
test_import_family (Fixture       *f,
                    gconstpointer  data)
{
  g_autofree char *file = write_file (f, "family.csv", family_csv);
  g_autoptr(PdImportResult) r = run (f, file, PD_IMPORT_MODE_INCREMENTAL, 0);
  g_autoptr(PdImportResult) again = NULL;
  g_autoptr(GPtrArray) people = NULL;
  g_autoptr(GPtrArray) history = NULL;
  g_autofree char *relationship = NULL;
  g_autoptr(GError) error = NULL;

  assert_counts (r, 3, 0, 0, 0, 0);
  g_assert_nonnull (r->upload_id);
  g_assert_cmpuint (r->rows, ==, 3);
  people = pd_store_list (f->store, &pd_person_type, "partner_id", f->partner_id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (people->len, ==, 3);
  for (guint i = 0; i < people->len; i++)
    {
      PdRecord *p = g_ptr_array_index (people, i);
      g_autoptr(GHashTable) errors = pd_store_validate (f->store, p);

      g_assert_cmpuint (g_hash_table_size (errors), ==, 0);
      g_assert_cmpstr (pd_record_get_string (p, "eligibility_status"), ==, "eligible");
      g_assert_cmpstr (pd_record_get_string (p, "enrollment_status"), ==, "not_enrolled");
      g_assert_cmpstr (pd_record_get_string (p, "upload_id"), ==, r->upload_id);
      g_assert_cmpint (pd_record_get_version (p), ==, 1);
    }
  /* Sorted by title, "First Last". */
  g_assert_cmpstr (pd_record_get_title (g_ptr_array_index (people, 0)), ==, "Jane Doe");
  relationship = query_text (f, "SELECT relationship FROM persons WHERE member_id = 'E1-C'");
  g_assert_cmpstr (relationship, ==, "child");

  /* One change-log entry per person; its compact payload names the record and version. */
  g_assert_cmpint (query_int (f, "SELECT count(*) FROM change_log WHERE collection = 'person'"),
                   ==, 3);
  {
    g_autoptr(GPtrArray) changes = pd_store_list_changes (f->store, 0, 100, &error);
    g_autoptr(JsonParser) parser = json_parser_new ();
    g_autoptr(PdRecord) back = NULL;
    PdChange *last = NULL;

    for (guint i = 0; i < changes->len; i++)
      if (g_str_equal (((PdChange *) g_ptr_array_index (changes, i))->collection, "person"))
        last = g_ptr_array_index (changes, i);
    g_assert_nonnull (last);
    g_assert_true (json_parser_load_from_data (parser, last->payload, -1, NULL));
    back = pd_record_new_from_json (&pd_person_type,
                                    json_node_get_object (json_parser_get_root (parser)), &error);
    g_assert_no_error (error);
    g_assert_cmpstr (pd_record_get_id (back), ==, last->record_id);
    g_assert_cmpint (pd_record_get_version (back), ==, 1);
    g_assert_cmpint (last->base_version, ==, 0);
    g_clear_object (&back);
    back = pd_store_get (f->store, &pd_person_type, last->record_id, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (pd_record_get_string (back, "partner_id"), ==, f->partner_id);
  }

  /* The audit trail has ONE entry for the upload, with its counts; none per person. */
  g_assert_cmpint (query_int (f, "SELECT count(*) FROM audit WHERE record_type = 'person'"), ==, 0);
  g_assert_cmpint (query_int (f, "SELECT count(*) FROM audit WHERE record_type = 'upload'"), ==, 1);
  history = pd_store_list_history (f->store, f->partner_id, &error);
  g_assert_cmpstr (pd_audit_entry_get_record_type (g_ptr_array_index (history, 0)), ==, "upload");
  g_assert_cmpstr (pd_audit_entry_get_record_title (g_ptr_array_index (history, 0)), ==,
                   "family.csv");
  g_assert_cmpstr (pd_audit_entry_get_new_value (g_ptr_array_index (history, 0)), ==,
                   "created 3, updated 0, unchanged 0, terminated 0, rejected 0");

  /* The upload record. */
  g_assert_cmpint (query_int_bound (f, "SELECT created FROM uploads WHERE id = ?1",
                                    (const char *[]) { r->upload_id, NULL }), ==, 3);

  /* The same content under another name: unchanged; the mapping was saved and reused. */
  g_assert_cmpint (query_int (f, "SELECT count(*) FROM import_mappings"), ==, 1);
  {
    g_autofree char *file2 = write_file (f, "family-copy.csv", family_csv);
    again = run (f, file2, PD_IMPORT_MODE_INCREMENTAL, PD_IMPORT_FLAG_CONFIRM_DUPLICATE);
  }
  assert_counts (again, 0, 0, 3, 0, 0);
  g_assert_cmpint (query_int (f, "SELECT count(*) FROM change_log WHERE collection = 'person'"),
                   ==, 3);
}

static void
test_rejections (Fixture       *f,
                 gconstpointer  data)
{
  static const char csv[] =
    HEADER
    "E1,John,Doe,1980-01-15,employee,,2024-01-01,,john@example.com\n"   /* 2 fine */
    "E2,Ann,,1981-01-15,employee,,2024-01-01,,\n"                        /* 3 no last name */
    "E3,Bob,Roe,2023-02-30,employee,,2024-01-01,,\n"                     /* 4 no such day */
    "E4,Cid,Poe,2999-01-01,employee,,2024-01-01,,\n"                     /* 5 future */
    "E5,Dan,Loe,1970-01-01,employee,,2024-05-01,2024-04-01,\n"           /* 6 end < start */
    "E6,Eve,Moe,1970-01-01,employee,,2024-01-01,,not-an-email\n"         /* 7 email */
    "E7-C,Fay,Noe,2015-01-01,child,E7,2024-01-01,,\n"                    /* 8 no employee */
    "E8,Gus,Hoe,1970-01-01,employee,,2024-01-01,,,extra\n"               /* 9 too long */
    "E1,John,Doe,1980-01-15,EE,,2024-01-01,,\n"                          /* 10 duplicate of 2 */
    "E9,Hal,Koe,1970-01-01,cousin,,2024-01-01,,\n"                       /* 11 relationship */
    "E10,Ida,Zoe,yesterday,employee,,2024-01-01,,\n";                    /* 12 not a date */
  g_autofree char *file = write_file (f, "messy.csv", csv);
  g_autofree char *report = g_build_filename (f->dir, "errors.csv", NULL);
  g_autofree char *report_text = NULL;
  g_autoptr(PdImportResult) r = run (f, file, PD_IMPORT_MODE_INCREMENTAL, 0);
  g_autoptr(GPtrArray) stored = NULL;
  g_autoptr(GError) error = NULL;

  assert_counts (r, 1, 0, 0, 0, 10);
  g_assert_true (has_rejection (r, 3, "Last Name", "required"));
  g_assert_true (has_rejection (r, 4, "DOB", "the date 2023-02-30 does not exist"));
  g_assert_true (has_rejection (r, 5, "DOB", "in the future"));
  g_assert_true (has_rejection (r, 6, "Coverage End", "before it starts"));
  g_assert_true (has_rejection (r, 7, "Email", "not an email address"));
  g_assert_true (has_rejection (r, 8, "Employee ID", "neither in this file nor"));
  g_assert_true (has_rejection (r, 9, "", "fields but the header has"));
  g_assert_true (has_rejection (r, 10, "", "as on line 2"));
  g_assert_true (has_rejection (r, 11, "Relationship", "not a relationship"));
  g_assert_true (has_rejection (r, 12, "DOB", "not a date"));

  /* Stored with the upload, and written out as CSV. */
  stored = pd_upload_list_rejections (f->store, r->upload_id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (stored->len, ==, r->rejections->len);
  g_assert_true (pd_import_write_rejections_csv (stored, report, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (report, &report_text, NULL, NULL));
  g_assert_true (g_str_has_prefix (report_text, "line,column,reason\r\n3,Last Name,"));
  g_assert_nonnull (strstr (report_text, "4,DOB,the date 2023-02-30 does not exist\r\n"));
}

static void
test_dependents (Fixture       *f,
                 gconstpointer  data)
{
  /* The employee after the dependent in the same file counts. */
  g_autofree char *first = write_file (f, "first.csv", HEADER
                                       "E1-C,Jimmy,Doe,2010-05-05,child,E1,2024-01-01,,\n"
                                       "E1,John,Doe,1980-01-15,employee,,2024-01-01,,\n");
  /* Later: a dependent whose employee is only in the database, and one of nobody. */
  g_autofree char *second = write_file (f, "second.csv", HEADER
                                        "E1-S,Jane,Doe,1982-02-20,spouse,E1,2024-01-01,,\n"
                                        "E2-S,Joan,Roe,1982-02-20,spouse,E2,2024-01-01,,\n"
                                        "E3-S,Jill,Poe,1982-02-20,spouse,,2024-01-01,,\n");
  g_autoptr(PdImportResult) a = run (f, first, PD_IMPORT_MODE_INCREMENTAL, 0);
  g_autoptr(PdImportResult) b = run (f, second, PD_IMPORT_MODE_INCREMENTAL, 0);

  assert_counts (a, 2, 0, 0, 0, 0);
  assert_counts (b, 1, 0, 0, 0, 2);
  g_assert_true (has_rejection (b, 3, "Employee ID", "E2"));
  g_assert_true (has_rejection (b, 4, "Employee ID", "needs the member ID"));
}

static void
test_dates (Fixture       *f,
            gconstpointer  data)
{
  g_autofree char *mdy = write_file (f, "mdy.csv", HEADER
                                     "E1,John,Doe,01/15/1980,employee,,02/01/2024,,\n"
                                     "E2,Ann,Roe,03/04/1981,employee,,02/01/2024,,\n");
  g_autofree char *dmy = write_file (f, "dmy.csv", HEADER
                                     "E3,Bob,Poe,15.01.1980,employee,,01.02.2024,,\n");
  g_autofree char *ambiguous = write_file (f, "ambiguous.csv", HEADER
                                           "E4,Cid,Loe,03/04/1981,employee,,02/01/2024,,\n");
  g_autoptr(PdImportResult) a = run (f, mdy, PD_IMPORT_MODE_INCREMENTAL, 0);
  /* A file where every date fits both orders: the saved order (MDY, from the first
   * file) decides. Without one it stops. */
  g_autoptr(PdImportResult) c = run (f, ambiguous, PD_IMPORT_MODE_INCREMENTAL,
                                     PD_IMPORT_FLAG_DRY_RUN);
  g_autoptr(PdImportResult) b = run (f, dmy, PD_IMPORT_MODE_INCREMENTAL, 0);
  g_autoptr(PdImportResult) d = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autofree char *dob2 = NULL;
  g_autofree char *dob3 = NULL;
  g_autofree char *dob4 = NULL;

  assert_counts (a, 2, 0, 0, 0, 0);
  g_assert_cmpint (a->date_order, ==, PD_DATE_ORDER_MDY);
  dob2 = query_text (f, "SELECT date_of_birth FROM persons WHERE member_id = 'E2'");
  g_assert_cmpstr (dob2, ==, "1981-03-04");
  assert_counts (b, 1, 0, 0, 0, 0);
  dob3 = query_text (f, "SELECT date_of_birth FROM persons WHERE member_id = 'E3'");
  g_assert_cmpstr (dob3, ==, "1980-01-15");

  g_assert_cmpint (c->date_order, ==, PD_DATE_ORDER_MDY);
  {
    sqlite3 *db = NULL;

    g_assert_cmpint (sqlite3_open (f->path, &db), ==, SQLITE_OK);
    g_assert_cmpint (sqlite3_exec (db, "DELETE FROM import_mappings", NULL, NULL, NULL), ==,
                     SQLITE_OK);
    sqlite3_close (db);
  }
  before = snapshot (f);
  d = run_full (f, ambiguous, PD_IMPORT_MODE_INCREMENTAL, 0, PD_DATE_ORDER_AUTO, NULL, &error);
  g_assert_null (d);
  g_assert_error (error, PD_ERROR, PD_ERROR_AMBIGUOUS_DATES);
  g_assert_nonnull (strstr (error->message, "03/04/1981"));
  after = snapshot (f);
  g_assert_cmpstr (before, ==, after);
  g_clear_error (&error);
  d = run_full (f, ambiguous, PD_IMPORT_MODE_INCREMENTAL, 0, PD_DATE_ORDER_DMY, NULL, &error);
  g_assert_no_error (error);
  assert_counts (d, 1, 0, 0, 0, 0);
  dob4 = query_text (f, "SELECT date_of_birth FROM persons WHERE member_id = 'E4'");
  g_assert_cmpstr (dob4, ==, "1981-04-03");
}

/* The import reads the file once, in a provisional date order: a file that turns out to be
 * day/month/year is read again; messages name the format found; rejections stay in line
 * order although a dependent waiting for its employee is checked last. */
/* Into a partner with people a thread reads the rows ahead of the one importing them:
 * duplicates, dependents before their employee, rejections and a date order found late
 * (the file read again) come out as they do without it. */
static void
test_reading_thread (Fixture       *f,
                     gconstpointer  data)
{
  g_autofree char *one = write_file (f, "one.csv", HEADER
                                     "Z1,Zed,Zoe,1970-01-01,employee,,2024-01-01,,\n");
  g_autofree char *messy = write_file (f, "messy.csv", HEADER
                                       "E1,John,Doe,1980-01-15,employee,,2024-01-01,,\n"
                                       "E2,Ann,,1981-01-15,employee,,2024-01-01,,\n"
                                       "E7-C,Fay,Noe,2015-01-01,child,E7,2024-01-01,,\n"
                                       "E1,John,Doe,1980-01-15,EE,,2024-01-01,,\n"
                                       "E8-C,Gil,Hoe,2016-01-01,child,E8,2024-01-01,,\n"
                                       "E8,Gus,Hoe,1970-01-01,employee,,2024-01-01,,\n");
  g_autofree char *late = write_file (f, "late.csv", HEADER
                                      "E30-C,Ivy,Loe,03/04/2012,child,E30,02/01/2024,,\n"
                                      "E30,Ian,Loe,25/12/1980,employee,,01/02/2024,,\n");
  g_autoptr(PdImportResult) a = run (f, one, PD_IMPORT_MODE_INCREMENTAL, 0);
  g_autoptr(PdImportResult) b = run (f, messy, PD_IMPORT_MODE_INCREMENTAL, 0);
  g_autoptr(PdImportResult) c = run (f, late, PD_IMPORT_MODE_INCREMENTAL, 0);
  g_autofree char *dob = query_text (f, "SELECT date_of_birth FROM persons WHERE member_id = 'E30-C'");

  assert_counts (a, 1, 0, 0, 0, 0);
  assert_counts (b, 3, 0, 0, 0, 3);
  g_assert_true (has_rejection (b, 3, "Last Name", "required"));
  g_assert_true (has_rejection (b, 4, "Employee ID", "neither in this file nor"));
  g_assert_true (has_rejection (b, 5, "", "as on line 2"));
  g_assert_cmpint (query_int (f, "SELECT count(*) FROM persons WHERE member_id = 'E8-C'"), ==, 1);
  assert_counts (c, 2, 0, 0, 0, 0);
  g_assert_cmpint (c->date_order, ==, PD_DATE_ORDER_DMY);
  g_assert_cmpstr (dob, ==, "2012-04-03");
}

static void
test_date_order_found_late (Fixture       *f,
                            gconstpointer  data)
{
  g_autofree char *dmy = write_file (f, "dmy.csv", HEADER
                                     "E1,John,Doe,03/04/1981,employee,,02/01/2024,,\n"
                                     "E2,Ann,Roe,25/12/1980,employee,,01/02/2024,,\n");
  g_autofree char *iso = write_file (f, "iso.csv", HEADER
                                     "E9-S,Jane,Doe,1982-02-20,spouse,E9,2024-01-01,,\n"
                                     "E3,Bob,Poe,someday,employee,,2024-01-01,,\n"
                                     "E4,Bea,Poe,1980-01-01,employee,,2024-01-01,,\n");
  g_autoptr(PdImportResult) a = run (f, dmy, PD_IMPORT_MODE_INCREMENTAL, 0);
  g_autoptr(PdImportResult) b = run (f, iso, PD_IMPORT_MODE_INCREMENTAL, 0);
  g_autofree char *dob = query_text (f, "SELECT date_of_birth FROM persons WHERE member_id = 'E1'");
  PdImportRejection *first, *second;

  assert_counts (a, 2, 0, 0, 0, 0);
  g_assert_cmpint (a->date_order, ==, PD_DATE_ORDER_DMY);
  g_assert_cmpstr (dob, ==, "1981-04-03");
  assert_counts (b, 1, 0, 0, 0, 2);
  g_assert_cmpuint (b->rejections->len, ==, 2);
  first = g_ptr_array_index (b->rejections, 0);
  second = g_ptr_array_index (b->rejections, 1);
  g_assert_cmpuint (first->line, ==, 2);
  g_assert_nonnull (strstr (first->reason, "E9"));
  g_assert_cmpuint (second->line, ==, 3);
  g_assert_cmpstr (second->reason, ==, "“someday” is not a date (expected YYYY-MM-DD)");
}

static void
test_mapping_drift (Fixture       *f,
                    gconstpointer  data)
{
  g_autofree char *first = write_file (f, "first.csv", family_csv);
  g_autofree char *renamed = write_file (f, "renamed.csv",
                                         "Member ID,First Name,Last Name,Birth Date,Relationship,"
                                         "Employee ID,Coverage Start,Coverage End,Email,Phone\n"
                                         "E1,John,Doe,1980-01-15,employee,,2024-01-01,,,555\n");
  g_autoptr(PdImportResult) a = run (f, first, PD_IMPORT_MODE_INCREMENTAL, 0);
  g_autoptr(PdImportResult) b = NULL;
  g_autoptr(PdImportPreview) preview = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *before = snapshot (f);
  g_autofree char *after = NULL;

  b = run_full (f, renamed, PD_IMPORT_MODE_INCREMENTAL, 0, PD_DATE_ORDER_AUTO, NULL, &error);
  g_assert_null (b);
  g_assert_error (error, PD_ERROR, PD_ERROR_MAPPING_CHANGED);
  g_assert_nonnull (strstr (error->message, "Birth Date"));
  g_assert_nonnull (strstr (error->message, "Phone"));
  g_assert_nonnull (strstr (error->message, "DOB"));
  after = snapshot (f);
  g_assert_cmpstr (before, ==, after);
  g_clear_error (&error);

  /* The preview says the same, with a proposed mapping the user confirms. */
  preview = pd_import_preview (f->store, f->partner_id, renamed, 5, &error);
  g_assert_no_error (error);
  g_assert_true (preview->mapping_changed);
  g_assert_false (preview->mapping_is_saved);
  g_assert_cmpstrv (preview->added_columns, ((const char *[]) { "Birth Date", "Phone", NULL }));
  g_assert_cmpstrv (preview->removed_columns, ((const char *[]) { "DOB", NULL }));
  g_assert_cmpuint (preview->rows->len, ==, 1);
  g_assert_cmpstr (((char **) g_ptr_array_index (preview->rows, 0))[3], ==, "1980-01-15");
  b = run_full (f, renamed, PD_IMPORT_MODE_INCREMENTAL, 0, PD_DATE_ORDER_AUTO, preview->mapping,
                &error);
  g_assert_no_error (error);
  assert_counts (b, 0, 1, 0, 0, 0);
  g_clear_pointer (&preview, pd_import_preview_free);
  preview = pd_import_preview (f->store, f->partner_id, renamed, 5, &error);
  g_assert_true (preview->mapping_is_saved);
  g_assert_false (preview->mapping_changed);
  g_assert_nonnull (preview->duplicate_of);
}

static void
test_needs_mapping (Fixture       *f,
                    gconstpointer  data)
{
  g_autofree char *file = write_file (f, "odd.csv", "Member ID,First Name,Last Name,Born,Kind\n"
                                      "E1,John,Doe,1980-01-15,EE\n");
  g_autoptr(GError) error = NULL;
  g_autoptr(PdImportResult) r = run_full (f, file, PD_IMPORT_MODE_INCREMENTAL, 0,
                                          PD_DATE_ORDER_AUTO, NULL, &error);
  g_autoptr(PdImportPreview) preview = NULL;

  g_assert_null (r);
  g_assert_error (error, PD_ERROR, PD_ERROR_NEEDS_MAPPING);
  g_assert_nonnull (strstr (error->message, "Date of birth"));
  g_assert_nonnull (strstr (error->message, "Relationship"));
  g_clear_error (&error);
  preview = pd_import_preview (f->store, f->partner_id, file, 5, &error);
  g_assert_cmpstrv (preview->missing_fields,
                    ((const char *[]) { "date_of_birth", "relationship", NULL }));
  g_assert_cmpstrv (preview->unmapped_columns, ((const char *[]) { "Born", "Kind", NULL }));
  pd_import_mapping_set_target (preview->mapping, 3, "date_of_birth");
  pd_import_mapping_set_target (preview->mapping, 4, "relationship");
  r = run_full (f, file, PD_IMPORT_MODE_INCREMENTAL, 0, PD_DATE_ORDER_AUTO, preview->mapping,
                &error);
  g_assert_no_error (error);
  assert_counts (r, 1, 0, 0, 0, 0);
}

static void
test_full_and_incremental (Fixture       *f,
                           gconstpointer  data)
{
  g_autofree char *all = census (10, NULL, 0);
  g_autofree char *nine = census (10, ",10,", 3);
  g_autofree char *all_file = write_file (f, "all.csv", all);
  g_autofree char *nine_file = write_file (f, "nine.csv", nine);
  g_autoptr(PdImportResult) a = run (f, all_file, PD_IMPORT_MODE_FULL, 0);
  g_autoptr(PdImportResult) b = run (f, nine_file, PD_IMPORT_MODE_INCREMENTAL, 0);
  g_autoptr(PdImportResult) c = NULL;
  g_autoptr(PdImportResult) d = NULL;
  g_autoptr(PdImportResult) e = NULL;
  g_autofree char *status = NULL;
  g_autofree char *end = NULL;

  assert_counts (a, 10, 0, 0, 0, 0);
  assert_counts (b, 0, 1, 8, 0, 0);
  c = run (f, nine_file, PD_IMPORT_MODE_FULL, PD_IMPORT_FLAG_CONFIRM_DUPLICATE);
  assert_counts (c, 0, 0, 9, 1, 0);
  status = query_text (f, "SELECT eligibility_status FROM persons WHERE member_id = 'E10'");
  end = query_text (f, "SELECT coverage_end FROM persons WHERE member_id = 'E10'");
  g_assert_cmpstr (status, ==, "terminated");
  g_assert_cmpstr (end, ==, "2024-06-30");
  g_assert_cmpint (query_int (f, "SELECT count(*) FROM persons"), ==, 10);
  /* Already terminated: stays as it is. */
  d = run (f, nine_file, PD_IMPORT_MODE_FULL, PD_IMPORT_FLAG_CONFIRM_DUPLICATE);
  assert_counts (d, 0, 0, 9, 0, 0);
  /* Listed again: eligible again, the end of coverage cleared. */
  e = run (f, all_file, PD_IMPORT_MODE_FULL, PD_IMPORT_FLAG_CONFIRM_DUPLICATE);
  assert_counts (e, 0, 2, 8, 0, 0);
  g_clear_pointer (&status, g_free);
  status = query_text (f, "SELECT eligibility_status || coalesce (coverage_end, '-') "
                          "FROM persons WHERE member_id = 'E10'");
  g_assert_cmpstr (status, ==, "eligible-");
}

/* An update writes the columns that change (and their derived ones), keeps the rest. */
static void
test_update_columns (Fixture       *f,
                     gconstpointer  data)
{
  g_autofree char *before = census (3, NULL, 0);
  g_autofree char *after = g_strdup_printf ("%s%s", HEADER,
                                            "E1,First1,Zeta,1980-01-02,EE,,2024-01-01,,z@example.com\n"
                                            "E2,First2,Last2,1980-01-03,EE,,2024-01-01,,p2@example.com\n"
                                            "E3,First3,Last3,1980-01-04,EE,,2024-01-01,,p3@example.com\n");
  g_autofree char *before_file = write_file (f, "before.csv", before);
  g_autofree char *after_file = write_file (f, "after.csv", after);
  g_autoptr(PdImportResult) a = run (f, before_file, PD_IMPORT_MODE_FULL, 0);
  g_autofree char *id = query_text (f, "SELECT id || created_at FROM persons WHERE member_id = 'E1'");
  g_autoptr(PdImportResult) b = run (f, after_file, PD_IMPORT_MODE_FULL, 0);
  g_autofree char *row = query_text (f, "SELECT id || created_at || '|' || version || '|' || "
                                        "display_name || '|' || email || '|' || "
                                        "replace (name_key, char (1), '/') || '|' || upload_id "
                                        "FROM persons WHERE member_id = 'E1'");
  g_autofree char *expected = g_strdup_printf ("%s|2|First1 Zeta|z@example.com|zeta/first1|%s",
                                               id, b->upload_id);
  g_autofree char *check = query_text (f, "PRAGMA integrity_check");

  assert_counts (a, 3, 0, 0, 0, 0);
  assert_counts (b, 0, 1, 2, 0, 0);
  g_assert_cmpstr (row, ==, expected);
  g_assert_cmpstr (check, ==, "ok");
  g_assert_cmpint (query_int (f, "SELECT count(*) FROM persons INDEXED BY persons_partner_name "
                                 "WHERE name_key > 'z'"), ==, 1);
}

/* New people in a full file join the partner's people; they are not "missing" from it. */
static void
test_full_adds_people (Fixture       *f,
                       gconstpointer  data)
{
  g_autofree char *eight = census (10, ",9,10,", 0);
  g_autofree char *all = census (10, NULL, 0);
  g_autofree char *eight_file = write_file (f, "eight.csv", eight);
  g_autofree char *all_file = write_file (f, "all.csv", all);
  g_autoptr(PdImportResult) a = run (f, eight_file, PD_IMPORT_MODE_FULL, 0);
  g_autoptr(PdImportResult) dry = run (f, all_file, PD_IMPORT_MODE_FULL, PD_IMPORT_FLAG_DRY_RUN);
  g_autoptr(PdImportResult) b = run (f, all_file, PD_IMPORT_MODE_FULL, 0);

  assert_counts (a, 8, 0, 0, 0, 0);
  assert_counts (dry, 2, 0, 8, 0, 0);
  assert_counts (b, 2, 0, 8, 0, 0);
  g_assert_cmpint (query_int (f, "SELECT count(*) FROM persons WHERE eligibility_status = "
                                 "'eligible' AND coverage_end IS NULL"), ==, 10);
}

/* N employees, minus those in SKIP, those in CHANGED with a new email. */
static char *
big_census (guint        n,
            const char  *skip,
            const char  *changed)
{
  GString *s = g_string_new (HEADER);

  for (guint i = 1; i <= n; i++)
    {
      g_autofree char *tag = g_strdup_printf (",%u,", i);

      if (strstr (skip, tag))
        continue;
      g_string_append_printf (s, "E%u,First%u,Last%u,1980-01-%02u,EE,,2024-01-01,,%s%u@example.com\n",
                              i, i, i, (i % 28) + 1, strstr (changed, tag) ? "new" : "p", i);
    }
  return g_string_free (s, FALSE);
}

/* A partner with thousands of people: the import reads them in one scan and compares
 * hashes; the counts and the rows must be those of a lookup per row. */
static void
test_many_known (Fixture       *f,
                 gconstpointer  data)
{
  g_autofree char *all = big_census (2500, "", "");
  g_autofree char *fewer = big_census (2500, ",7,8,", ",3,4,");
  g_autofree char *again = big_census (2500, "", ",3,");
  g_autofree char *all_file = write_file (f, "all.csv", all);
  g_autofree char *fewer_file = write_file (f, "fewer.csv", fewer);
  g_autofree char *again_file = write_file (f, "again.csv", again);
  g_autoptr(PdImportResult) a = run (f, all_file, PD_IMPORT_MODE_FULL, 0);
  g_autoptr(PdImportResult) dry = run (f, fewer_file, PD_IMPORT_MODE_FULL, PD_IMPORT_FLAG_DRY_RUN);
  g_autoptr(PdImportResult) b = run (f, fewer_file, PD_IMPORT_MODE_FULL, 0);
  g_autoptr(PdImportResult) c = NULL;
  g_autofree char *email = NULL;
  g_autofree char *status = NULL;

  assert_counts (a, 2500, 0, 0, 0, 0);
  assert_counts (dry, 0, 2, 2496, 2, 0);
  assert_counts (b, 0, 2, 2496, 2, 0);
  email = query_text (f, "SELECT email || version FROM persons WHERE member_id = 'E4'");
  g_assert_cmpstr (email, ==, "new4@example.com2");
  status = query_text (f, "SELECT eligibility_status || coverage_end FROM persons "
                          "WHERE member_id = 'E8'");
  g_assert_cmpstr (status, ==, "terminated2024-06-30");
  /* E7 and E8 come back, E4 gets its old email again, E3 keeps its new one. */
  c = run (f, again_file, PD_IMPORT_MODE_INCREMENTAL, 0);
  assert_counts (c, 0, 3, 2497, 0, 0);
  g_clear_pointer (&status, g_free);
  status = query_text (f, "SELECT eligibility_status || coalesce (coverage_end, '-') || version "
                          "FROM persons WHERE member_id = 'E8'");
  g_assert_cmpstr (status, ==, "eligible-3");
  g_assert_cmpint (query_int (f, "SELECT count(*) FROM change_log WHERE collection = 'person'"),
                   ==, 2500 + 4 + 3);
  g_assert_cmpint (query_int (f, "SELECT count(*) FROM persons"), ==, 2500);
}

static void
test_guard (Fixture       *f,
            gconstpointer  data)
{
  g_autofree char *all = census (10, NULL, 0);
  g_autofree char *half = census (10, ",6,7,8,9,10,", 0);
  g_autofree char *all_file = write_file (f, "all.csv", all);
  g_autofree char *half_file = write_file (f, "half.csv", half);
  g_autoptr(PdImportResult) a = run (f, all_file, PD_IMPORT_MODE_FULL, 0);
  g_autoptr(PdImportResult) b = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *before = snapshot (f);
  g_autofree char *after = NULL;

  assert_counts (a, 10, 0, 0, 0, 0);
  b = run_full (f, half_file, PD_IMPORT_MODE_FULL, 0, PD_DATE_ORDER_AUTO, NULL, &error);
  g_assert_null (b);
  g_assert_error (error, PD_ERROR, PD_ERROR_GUARD);
  g_assert_nonnull (strstr (error->message, "5 of 10 eligible people (50.0 %)"));
  g_assert_nonnull (strstr (error->message, "20 % limit"));
  after = snapshot (f);
  g_assert_cmpstr (before, ==, after);
  g_clear_error (&error);

  /* Incremental files never terminate, so the guard does not apply. */
  b = run_full (f, half_file, PD_IMPORT_MODE_INCREMENTAL, PD_IMPORT_FLAG_DRY_RUN,
                PD_DATE_ORDER_AUTO, NULL, &error);
  g_assert_no_error (error);
  g_clear_pointer (&b, pd_import_result_free);

  /* A higher limit, or the user's confirmation, lets it through. */
  g_assert_true (pd_store_set_setting (f->store, "import_guard_percent", "50", NULL));
  b = run_full (f, half_file, PD_IMPORT_MODE_FULL, PD_IMPORT_FLAG_DRY_RUN, PD_DATE_ORDER_AUTO,
                NULL, &error);
  g_assert_no_error (error);
  assert_counts (b, 0, 0, 5, 5, 0);
  g_clear_pointer (&b, pd_import_result_free);
  g_assert_true (pd_store_set_setting (f->store, "import_guard_percent", "20", NULL));
  b = run_full (f, half_file, PD_IMPORT_MODE_FULL, PD_IMPORT_FLAG_CONFIRM_GUARD,
                PD_DATE_ORDER_AUTO, NULL, &error);
  g_assert_no_error (error);
  assert_counts (b, 0, 0, 5, 5, 0);
}

static void
test_all_or_nothing (Fixture       *f,
                     gconstpointer  data)
{
  g_autofree char *file = write_file (f, "one-bad.csv", HEADER
                                      "E1,John,Doe,1980-01-15,employee,,2024-01-01,,\n"
                                      "E2,Ann,Roe,1980-02-30,employee,,2024-01-01,,\n");
  g_autofree char *before = snapshot (f);
  g_autofree char *after = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(PdImportResult) r = run_full (f, file, PD_IMPORT_MODE_INCREMENTAL,
                                          PD_IMPORT_FLAG_ALL_OR_NOTHING, PD_DATE_ORDER_AUTO,
                                          NULL, &error);

  g_assert_null (r);
  g_assert_error (error, PD_ERROR, PD_ERROR_REJECTED);
  g_assert_nonnull (strstr (error->message, "line 3, column DOB: the date 1980-02-30 does not exist"));
  after = snapshot (f);
  g_assert_cmpstr (before, ==, after);
  g_clear_error (&error);
  r = run (f, file, PD_IMPORT_MODE_INCREMENTAL, 0);
  assert_counts (r, 1, 0, 0, 0, 1);
}

typedef struct {
  GCancellable *cancellable;
  guint         calls;
  double        last;
  gboolean      monotonic;
} ProgressState;

static void
cancel_in_import (double      fraction,
                  const char *phase,
                  gpointer    user_data)
{
  ProgressState *state = user_data;

  state->calls++;
  state->monotonic = state->monotonic && fraction >= state->last;
  state->last = fraction;
  if (g_str_equal (phase, "Importing people"))
    g_cancellable_cancel (state->cancellable);
}

static void
test_cancel_rolls_back (Fixture       *f,
                        gconstpointer  data)
{
  g_autofree char *small = census (10, NULL, 0);
  g_autofree char *big = census (3000, NULL, 5);
  g_autofree char *small_file = write_file (f, "small.csv", small);
  g_autofree char *big_file = write_file (f, "big.csv", big);
  g_autoptr(PdImportResult) a = run (f, small_file, PD_IMPORT_MODE_FULL, 0);
  g_autoptr(PdImportResult) b = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  ProgressState state = { cancellable, 0, 0.0, TRUE };
  g_autofree char *before = snapshot (f);
  g_autofree char *after = NULL;
  g_autoptr(GError) error = NULL;
  PdImportOptions options;

  pd_import_options_init (&options);
  options.mode = PD_IMPORT_MODE_FULL;
  b = pd_import_run (f->path, f->partner_id, big_file, &options, cancellable, cancel_in_import,
                     &state, &error);
  g_assert_null (b);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (state.calls, >=, 2);
  g_assert_true (state.monotonic);
  after = snapshot (f);
  g_assert_cmpstr (before, ==, after);
  {
    g_autofree char *check = query_text (f, "PRAGMA integrity_check");

    g_assert_cmpstr (check, ==, "ok");
  }
}

static void
cancel_half_way (double      fraction,
                 const char *phase,
                 gpointer    user_data)
{
  ProgressState *state = user_data;

  /* Half way through the rows, or (when the rows went by between two reports, which come
   * at most every 50 ms) as the indexes are built: after the bulk path dropped them. */
  if ((g_str_equal (phase, "Importing people") && fraction > 0.4)
      || g_str_equal (phase, "Indexing people"))
    g_cancellable_cancel (state->cancellable);
}

/* A partner without people takes the bulk path (indexes dropped and rebuilt, rows written
 * by a thread): cancelled half way it leaves the database as it was, indexes included;
 * run to the end it has every person and consistent indexes. */
static void
test_bulk_import (Fixture       *f,
                  gconstpointer  data)
{
  g_autofree char *big = census (30000, NULL, 0);
  g_autofree char *big_file = write_file (f, "bulk.csv", big);
  g_autoptr(PdImportResult) r = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  ProgressState state = { cancellable, 0, 0.0, TRUE };
  g_autofree char *before = snapshot (f);
  g_autofree char *after = NULL;
  g_autoptr(GError) error = NULL;
  const char *indexes = "SELECT count(*) FROM sqlite_master WHERE type = 'index' "
                        "AND tbl_name = 'persons' AND name LIKE 'persons_%'";
  gint64 n_indexes = query_int (f, indexes);
  PdImportOptions options;

  g_assert_cmpint (n_indexes, >=, 2);
  pd_import_options_init (&options);
  options.mode = PD_IMPORT_MODE_FULL;
  r = pd_import_run (f->path, f->partner_id, big_file, &options, cancellable, cancel_half_way,
                     &state, &error);
  g_assert_null (r);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  after = snapshot (f);
  g_assert_cmpstr (before, ==, after);
  g_assert_cmpint (query_int (f, indexes), ==, n_indexes);
  r = run (f, big_file, PD_IMPORT_MODE_FULL, 0);
  assert_counts (r, 30000, 0, 0, 0, 0);
  g_assert_cmpint (query_int (f, indexes), ==, n_indexes);
  g_assert_cmpint (query_int (f, "SELECT count(*) FROM persons WHERE deleted = 0"), ==, 30000);
  g_assert_cmpint (query_int (f, "SELECT count(*) FROM change_log WHERE collection = 'person'"),
                   ==, 30000);
  g_assert_cmpint (query_int (f, "SELECT count(DISTINCT record_id) FROM change_log "
                                 "WHERE collection = 'person'"), ==, 30000);
  g_assert_cmpint (query_int (f, "SELECT count(*) FROM persons WHERE last_name = 'Last29999'"),
                   ==, 1);
  {
    g_autofree char *check = query_text (f, "PRAGMA integrity_check");

    g_assert_cmpstr (check, ==, "ok");
  }
  /* The outbox's index by record is left to synchronisation, which makes it again. */
  g_assert_cmpint (query_int (f, "SELECT count(*) FROM sqlite_master "
                                 "WHERE name = 'change_log_record'"), ==, 0);
  g_clear_error (&error);
  g_assert_true (pd_store_sync_ensure_outbox_index (f->store, &error));
  g_assert_no_error (error);
  g_assert_cmpint (query_int (f, "SELECT count(*) FROM sqlite_master "
                                 "WHERE name = 'change_log_record'"), ==, 1);
}

/* N employees; from row FROM on in descending member ID order (all of them: FROM 0). */
static char *
census_descending (guint n,
                   guint from)
{
  GString *s = g_string_new (HEADER);

  for (guint i = 0; i < n; i++)
    {
      guint id = i < from ? i : n - 1 - (i - from);

      g_string_append_printf (s, "M%07u,First%u,Last%u,1980-01-%02u,EE,,2024-01-01,,p%u@example.com\n",
                              id, id, id, (id % 28) + 1, id);
    }
  return g_string_free (s, FALSE);
}

/* The bulk path keeps the identity index for a file in member ID order and builds it at
 * the end for one that is not, or that stops being so part way (after 65,536 rows): every
 * way, the indexes are all there and agree with the table. */
static void
test_bulk_import_order (Fixture       *f,
                        gconstpointer  data)
{
  const char *indexes = "SELECT count(*) FROM sqlite_master WHERE type = 'index' "
                        "AND tbl_name = 'persons' AND name LIKE 'persons_%'";
  gint64 n_indexes = query_int (f, indexes);
  struct {
    guint n, from;
  } files[] = { { 20000, 0 }, { 70000, 20000 } };

  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *csv = census_descending (files[i].n, files[i].from);
      g_autofree char *name = g_strdup_printf ("order-%u.csv", i);
      g_autofree char *file = write_file (f, name, csv);
      g_autofree char *partner = g_strdup_printf ("Order %u GmbH", i);
      g_autofree char *check = NULL;
      g_autoptr(PdImportResult) r = NULL;

      g_free (f->partner_id);
      f->partner_id = add_partner (f, partner);
      r = run (f, file, PD_IMPORT_MODE_FULL, 0);
      assert_counts (r, files[i].n, 0, 0, 0, 0);
      g_assert_cmpint (query_int (f, indexes), ==, n_indexes);
      check = query_text (f, "PRAGMA integrity_check");
      g_assert_cmpstr (check, ==, "ok");
      g_assert_cmpint (query_int_bound (f, "SELECT count(*) FROM persons "
                                           "INDEXED BY persons_identity WHERE partner_id = ?1 "
                                           "AND member_id = 'M0019999'",
                                        (const char *[]) { f->partner_id, NULL }), ==, 1);
    }
}

static void
test_duplicate_file (Fixture       *f,
                     gconstpointer  data)
{
  g_autofree char *file = write_file (f, "family.csv", family_csv);
  g_autoptr(PdImportResult) a = run (f, file, PD_IMPORT_MODE_INCREMENTAL, 0);
  g_autoptr(PdImportResult) b = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *before = snapshot (f);
  g_autofree char *after = NULL;

  b = run_full (f, file, PD_IMPORT_MODE_INCREMENTAL, 0, PD_DATE_ORDER_AUTO, NULL, &error);
  g_assert_null (b);
  g_assert_error (error, PD_ERROR, PD_ERROR_DUPLICATE_FILE);
  g_assert_nonnull (strstr (error->message, "“family.csv”"));
  after = snapshot (f);
  g_assert_cmpstr (before, ==, after);
  g_clear_error (&error);
  b = run (f, file, PD_IMPORT_MODE_INCREMENTAL, PD_IMPORT_FLAG_CONFIRM_DUPLICATE);
  assert_counts (b, 0, 0, 3, 0, 0);
  g_assert_cmpint (query_int (f, "SELECT count(*) FROM uploads"), ==, 2);
}

static void
test_dry_run (Fixture       *f,
              gconstpointer  data)
{
  g_autofree char *all = census (10, NULL, 0);
  g_autofree char *nine = census (10, ",10,", 3);
  g_autofree char *all_file = write_file (f, "all.csv", all);
  g_autofree char *nine_file = write_file (f, "nine.csv", nine);
  g_autoptr(PdImportResult) a = run (f, all_file, PD_IMPORT_MODE_FULL, 0);
  g_autofree char *before = snapshot (f);
  g_autofree char *after = NULL;
  g_autoptr(PdImportResult) dry = run (f, nine_file, PD_IMPORT_MODE_FULL, PD_IMPORT_FLAG_DRY_RUN);
  g_autoptr(PdImportResult) wet = NULL;
  g_autofree char *dry_text = pd_import_result_describe (dry);

  assert_counts (dry, 0, 1, 8, 1, 0);
  g_assert_true (dry->dry_run);
  g_assert_null (dry->upload_id);
  g_assert_cmpstr (dry_text, ==, "0 new, 1 updated, 8 unchanged, 1 terminated, 0 rejected");
  after = snapshot (f);
  g_assert_cmpstr (before, ==, after);
  wet = run (f, nine_file, PD_IMPORT_MODE_FULL, 0);
  assert_counts (wet, 0, 1, 8, 1, 0);
}

static void
test_834 (Fixture       *f,
          gconstpointer  data)
{
#define ISA "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *240101*1200*^*00501*000000001*0*T*:~\n" \
            "GS*BE*SENDER*RECEIVER*20240101*1200*1*X*005010X220A1~\n" \
            "ST*834*0001*005010X220A1~\nBGN*00*1*20240101*1200****4~\n"
#define MEMBER(sub, rel, code, id, last, first, dob, extra) \
  "INS*" sub "*" rel "*" code "*28*A~\nREF*0F*" id "~\nNM1*IL*1*" last "*" first "~\n" \
  "DMG*D8*" dob "~\nHD*" code "**HLT~\nDTP*348*D8*20240101~\n" extra
  static const char adds[] =
    ISA
    MEMBER ("Y", "18", "021", "S1", "DOE", "JOHN", "19800115", "")
    MEMBER ("N", "01", "021", "S1", "DOE", "JANE", "19820220", "")
    MEMBER ("Y", "18", "021", "S2", "ROE", "RICH", "19700101", "")
    MEMBER ("Y", "18", "021", "S3", "POE", "PAT", "19850303", "")
    "SE*27*0001~\nGE*1*1~\nIEA*1*000000001~\n";
  static const char changes[] =
    ISA
    MEMBER ("Y", "18", "001", "S1", "DOE", "JOHNNY", "19800115", "")
    MEMBER ("Y", "18", "024", "S2", "ROE", "RICH", "19700101", "DTP*349*D8*20240331~\n")
    "SE*16*0001~\nGE*1*1~\nIEA*1*000000001~\n";
  static const char reinstate[] =
    ISA
    MEMBER ("Y", "18", "025", "S2", "ROE", "RICH", "19700101", "")
    "SE*9*0001~\nGE*1*1~\nIEA*1*000000001~\n";
  static const char audit[] =
    ISA
    MEMBER ("Y", "18", "030", "S1", "DOE", "JOHNNY", "19800115", "")
    MEMBER ("N", "01", "030", "S1", "DOE", "JANE", "19820220", "")
    MEMBER ("Y", "18", "030", "S2", "ROE", "RICH", "19700101", "")
    "SE*21*0001~\nGE*1*1~\nIEA*1*000000001~\n";
  g_autofree char *adds_file = write_file (f, "adds.834", adds);
  g_autofree char *changes_file = write_file (f, "changes.834", changes);
  g_autofree char *reinstate_file = write_file (f, "reinstate.834", reinstate);
  g_autofree char *audit_file = write_file (f, "audit.834", audit);
  g_autoptr(PdImportResult) a = run (f, adds_file, PD_IMPORT_MODE_INCREMENTAL, 0);
  g_autoptr(PdImportResult) b = NULL;
  g_autoptr(PdImportResult) c = NULL;
  g_autoptr(PdImportResult) d = NULL;
  g_autoptr(PdImportPreview) preview = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *s2 = NULL;
  g_autofree char *spouse = NULL;

  assert_counts (a, 4, 0, 0, 0, 0);
  g_assert_cmpint (a->format, ==, PD_FILE_FORMAT_X12_834);
  spouse = query_text (f, "SELECT relationship || ' of ' || employee_member_id || ' born ' || "
                          "date_of_birth FROM persons WHERE first_name = 'JANE'");
  g_assert_cmpstr (spouse, ==, "spouse of S1 born 1982-02-20");
  b = run (f, changes_file, PD_IMPORT_MODE_INCREMENTAL, 0);
  /* JOHNNY is another first name, so another person: a change of nobody adds them. */
  assert_counts (b, 1, 0, 0, 1, 0);
  s2 = query_text (f, "SELECT eligibility_status || ' ' || coverage_end FROM persons "
                      "WHERE member_id = 'S2'");
  g_assert_cmpstr (s2, ==, "terminated 2024-03-31");
  c = run (f, reinstate_file, PD_IMPORT_MODE_INCREMENTAL, 0);
  assert_counts (c, 0, 1, 0, 0, 0);
  g_clear_pointer (&s2, g_free);
  s2 = query_text (f, "SELECT eligibility_status || ' ' || coalesce (coverage_end, '-') "
                      "FROM persons WHERE member_id = 'S2'");
  g_assert_cmpstr (s2, ==, "eligible -");

  /* A file of audit (030) rows is the whole population: FULL is suggested. */
  preview = pd_import_preview (f->store, f->partner_id, audit_file, 2, &error);
  g_assert_no_error (error);
  g_assert_true (preview->mode_suggested);
  g_assert_cmpint (preview->suggested_mode, ==, PD_IMPORT_MODE_FULL);
  g_assert_cmpuint (preview->rows->len, ==, 2);
  d = run (f, audit_file, PD_IMPORT_MODE_FULL, PD_IMPORT_FLAG_CONFIRM_GUARD);
  /* JOHN and PAT are no longer listed. */
  assert_counts (d, 0, 0, 3, 2, 0);
}

/* Runs pd_import_command_line with ARGS, capturing stdout and stderr. */
static int
run_cli (Fixture     *f,
         const char  *const *args,
         char       **out,
         char       **err)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *out_path = g_build_filename (f->dir, "stdout.txt", NULL);
  g_autofree char *err_path = g_build_filename (f->dir, "stderr.txt", NULL);
  int saved_out = dup (1), saved_err = dup (2);
  int fd_out, fd_err, status;

  g_ptr_array_add (argv, (gpointer) "partner-desk");
  for (guint i = 0; args[i]; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, (gpointer) "--database");
  g_ptr_array_add (argv, f->path);
  g_ptr_array_add (argv, NULL);
  fflush (stdout);
  fflush (stderr);
  fd_out = g_open (out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  fd_err = g_open (err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  dup2 (fd_out, 1);
  dup2 (fd_err, 2);
  status = pd_import_command_line ((int) argv->len - 1, (char **) argv->pdata);
  fflush (stdout);
  fflush (stderr);
  dup2 (saved_out, 1);
  dup2 (saved_err, 2);
  close (fd_out);
  close (fd_err);
  close (saved_out);
  close (saved_err);
  g_assert_true (g_file_get_contents (out_path, out, NULL, NULL));
  g_assert_true (g_file_get_contents (err_path, err, NULL, NULL));
  return status;
}

static void
test_command_line (Fixture       *f,
                   gconstpointer  data)
{
  g_autofree char *messy = write_file (f, "messy.csv", HEADER
                                       "E1,John,Doe,1980-01-15,employee,,2024-01-01,,\n"
                                       "E2,Ann,Roe,2023-02-30,employee,,2024-01-01,,\n");
  g_autofree char *nodob = write_file (f, "nodob.csv", "Member ID,First Name,Last Name,Kind\n"
                                       "E1,John,Doe,EE\n");
  g_autofree char *other = add_partner (f, "Acme Health Plans");
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  char *out = NULL, *err = NULL;
  const char *no_import[] = { "partner-desk", "--help-gtk", NULL };

  g_assert_cmpint (pd_import_command_line (2, (char **) no_import), ==, -1);

  /* Usage errors: 2 */
  g_assert_cmpint (run_cli (f, (const char *[]) { "--import-eligibility", messy, NULL }, &out,
                            &err), ==, 2);
  g_assert_nonnull (strstr (err, "--partner"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_cli (f, (const char *[]) { "--import-eligibility", messy, "--partner",
                                                  "Acme Logistics GmbH", "--full",
                                                  "--incremental", NULL }, &out, &err), ==, 2);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* Unknown and ambiguous partners change nothing: 1, with the candidates listed. */
  before = snapshot (f);
  g_assert_cmpint (run_cli (f, (const char *[]) { "--import-eligibility", messy, "--partner",
                                                  "Globex", NULL }, &out, &err), ==, 1);
  g_assert_nonnull (strstr (err, "Globex"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_cli (f, (const char *[]) { "--import-eligibility", messy, "--partner",
                                                  "acme", NULL }, &out, &err), ==, 1);
  g_assert_nonnull (strstr (err, "Acme Logistics GmbH"));
  g_assert_nonnull (strstr (err, "Acme Health Plans"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  /* Needs a mapping: says which fields. */
  g_assert_cmpint (run_cli (f, (const char *[]) { "--import-eligibility", nodob, "--partner",
                                                  "acme logistics gmbh", NULL }, &out, &err), ==, 1);
  g_assert_nonnull (strstr (err, "Date of birth"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  /* Dry run: the summary, the rejected rows, 0, and nothing changed. */
  g_assert_cmpint (run_cli (f, (const char *[]) { "--import-eligibility", messy, "--partner",
                                                  "Acme Logistics GmbH", "--dry-run", NULL },
                            &out, &err), ==, 0);
  g_assert_cmpstr (out, ==, "created 1, updated 0, unchanged 0, terminated 0, rejected 1\n");
  g_assert_cmpstr (err, ==, "line 3, column DOB: the date 2023-02-30 does not exist\n");
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  /* Dry run, all or nothing: would not apply, 1. */
  g_assert_cmpint (run_cli (f, (const char *[]) { "--import-eligibility", messy, "--partner",
                                                  "Acme Logistics GmbH", "--dry-run",
                                                  "--all-or-nothing", NULL }, &out, &err), ==, 1);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_cli (f, (const char *[]) { "--import-eligibility", messy, "--partner",
                                                  "Acme Logistics GmbH", "--all-or-nothing", NULL },
                            &out, &err), ==, 1);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  after = snapshot (f);
  g_assert_cmpstr (before, ==, after);

  /* Applies: 0. By id works too. The same file again is refused, unless --yes. */
  g_assert_cmpint (run_cli (f, (const char *[]) { "--import-eligibility", messy, "--partner",
                                                  f->partner_id, "--full", NULL }, &out, &err),
                   ==, 0);
  g_assert_cmpstr (out, ==, "created 1, updated 0, unchanged 0, terminated 0, rejected 1\n");
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (query_int (f, "SELECT count(*) FROM persons"), ==, 1);
  g_assert_cmpint (run_cli (f, (const char *[]) { "--import-eligibility", messy, "--partner",
                                                  "Acme Logistics GmbH", NULL }, &out, &err), ==, 1);
  g_assert_nonnull (strstr (err, "already uploaded"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_cli (f, (const char *[]) { "--import-eligibility", messy, "--partner",
                                                  "Acme Logistics GmbH", "--yes", NULL }, &out,
                            &err), ==, 0);
  g_assert_cmpstr (out, ==, "created 0, updated 0, unchanged 1, terminated 0, rejected 1\n");
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
}

/* Makes the stored copy of UPLOAD_ID the BYTES with ENCODING (NULL: raw, as schema 4 kept
 * it; "gzip": as schema 5 did). */
static void
store_copy (Fixture    *f,
            const char *upload_id,
            const char *encoding,
            const char *bytes,
            gsize       len)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;

  g_assert_cmpint (sqlite3_open_v2 (f->path, &db, SQLITE_OPEN_READWRITE, NULL), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 5000);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "UPDATE upload_files SET encoding = ?3, content = ?2 "
                                           "WHERE upload_id = ?1", -1, &stmt, NULL), ==, SQLITE_OK);
  sqlite3_bind_text (stmt, 1, upload_id, -1, SQLITE_STATIC);
  sqlite3_bind_blob (stmt, 2, bytes, (int) len, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, encoding, -1, SQLITE_STATIC);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
  g_assert_cmpint (sqlite3_changes (db), ==, 1);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
}

static void
store_gzip_copy (Fixture    *f,
                 const char *upload_id,
                 const char *bytes,
                 gsize       len)
{
  g_autoptr(GZlibCompressor) zlib = g_zlib_compressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP, 1);
  g_autoptr(GOutputStream) mem = g_memory_output_stream_new_resizable ();
  g_autoptr(GOutputStream) out = g_converter_output_stream_new (mem, G_CONVERTER (zlib));

  g_assert_true (g_output_stream_write_all (out, bytes, len, NULL, NULL, NULL));
  g_assert_true (g_output_stream_close (out, NULL, NULL));
  g_assert_cmpuint (g_memory_output_stream_get_data_size (G_MEMORY_OUTPUT_STREAM (mem)), >, 2);
  store_copy (f, upload_id, "gzip",
              g_memory_output_stream_get_data (G_MEMORY_OUTPUT_STREAM (mem)),
              g_memory_output_stream_get_data_size (G_MEMORY_OUTPUT_STREAM (mem)));
}

static void
test_save_copy (Fixture       *f,
                gconstpointer  data)
{
  /* Windows-1252, CRLF and a byte-order-free header: the copy is the file, byte for byte. */
  static const char bytes[] =
    "Member ID;First Name;Last Name;DOB;Relationship\r\n"
    "E1;J\xf6rg;M\xfcller;1980-01-15;employee\r\n";
  g_autofree char *file = g_build_filename (f->dir, "cp1252.csv", NULL);
  g_autofree char *copy = g_build_filename (f->dir, "copy.csv", NULL);
  g_autofree char *back = NULL;
  g_autofree char *name = NULL;
  g_autoptr(PdImportResult) r = NULL;
  g_autoptr(GError) error = NULL;
  gsize len = 0;

  g_assert_true (g_file_set_contents (file, bytes, sizeof bytes - 1, NULL));
  r = run (f, file, PD_IMPORT_MODE_INCREMENTAL, 0);
  assert_counts (r, 1, 0, 0, 0, 0);
  name = query_text (f, "SELECT display_name FROM persons");
  g_assert_cmpstr (name, ==, "Jörg Müller");
  /* The People tab's sort key, without case or accents. */
  g_clear_pointer (&name, g_free);
  name = query_text (f, "SELECT replace (name_key, char (1), '|') FROM persons");
  g_assert_cmpstr (name, ==, "muller|jorg");
  g_assert_true (pd_upload_save_copy (f->store, r->upload_id, copy, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (copy, &back, &len, NULL));
  g_assert_cmpmem (back, len, bytes, sizeof bytes - 1);
  /* Stored as a Zstandard frame; an upload from schema 5 holds gzip, one from before it
   * the raw bytes: all are written back the same. */
  g_assert_cmpint (query_int (f, "SELECT count(*) FROM upload_files WHERE encoding = 'zstd' "
                                 "AND hex (substr (content, 1, 4)) = '28B52FFD'"), ==, 1);
  store_gzip_copy (f, r->upload_id, bytes, sizeof bytes - 1);
  g_clear_pointer (&back, g_free);
  g_assert_true (pd_upload_save_copy (f->store, r->upload_id, copy, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (copy, &back, &len, NULL));
  g_assert_cmpmem (back, len, bytes, sizeof bytes - 1);
  store_copy (f, r->upload_id, NULL, bytes, sizeof bytes - 1);
  g_clear_pointer (&back, g_free);
  g_assert_true (pd_upload_save_copy (f->store, r->upload_id, copy, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (copy, &back, &len, NULL));
  g_assert_cmpmem (back, len, bytes, sizeof bytes - 1);
  /* A damaged frame is said, not written back short: a file that was there stays as it
   * was, a new one is not made. */
  store_copy (f, r->upload_id, "zstd", "\x28\xb5\x2f\xfd\x00", 5);
  g_assert_false (pd_upload_save_copy (f->store, r->upload_id, copy, &error));
  g_assert_error (error, PD_ERROR, PD_ERROR_INVALID);
  g_clear_error (&error);
  g_clear_pointer (&back, g_free);
  g_assert_true (g_file_get_contents (copy, &back, &len, NULL));
  g_assert_cmpmem (back, len, bytes, sizeof bytes - 1);
  {
    g_autofree char *fresh = g_build_filename (f->dir, "fresh-copy.csv", NULL);

    g_assert_false (pd_upload_save_copy (f->store, r->upload_id, fresh, &error));
    g_assert_error (error, PD_ERROR, PD_ERROR_INVALID);
    g_clear_error (&error);
    g_assert_false (g_file_test (fresh, G_FILE_TEST_EXISTS));
  }
  g_assert_false (pd_upload_save_copy (f->store, "no-such-upload", copy, &error));
  g_assert_error (error, PD_ERROR, PD_ERROR_NOT_FOUND);
}

/* A file of several megabytes (the copy is compressed and written back in chunks). */
static void
store_result (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static void
test_save_copy_large (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(GString) csv = g_string_new ("Member ID,First Name,Last Name,DOB,Relationship,Email\n");
  g_autofree char *file = g_build_filename (f->dir, "large.csv", NULL);
  g_autofree char *copy = g_build_filename (f->dir, "large-copy.csv", NULL);
  g_autofree char *back = NULL;
  g_autoptr(PdImportResult) r = NULL;
  g_autoptr(GError) error = NULL;
  GRand *rand = g_rand_new_with_seed (7);
  gsize len = 0;

  for (guint i = 0; csv->len < 3 * 1024 * 1024; i++)
    g_string_append_printf (csv, "E%06u,Anna,Berg %u,19%02u-0%u-1%u,employee,a%u@example.com\n", i,
                            g_rand_int (rand), 50 + i % 40, 1 + i % 9, i % 9, g_rand_int (rand));
  g_rand_free (rand);
  g_assert_true (g_file_set_contents (file, csv->str, (gssize) csv->len, NULL));
  r = run (f, file, PD_IMPORT_MODE_INCREMENTAL, 0);
  g_assert_cmpuint (r->rejected, ==, 0);
  g_assert_cmpint (query_int (f, "SELECT length (content) FROM upload_files"), <, (gint64) csv->len);
  g_assert_true (pd_upload_save_copy (f->store, r->upload_id, copy, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (copy, &back, &len, NULL));
  g_assert_cmpmem (back, len, csv->str, csv->len);

  /* The same from a worker thread, as the Upload History tab saves it. */
  {
    g_autofree char *async_copy = g_build_filename (f->dir, "large-copy-2.csv", NULL);
    g_autoptr(GAsyncResult) result = NULL;

    pd_upload_save_copy_async (f->store, r->upload_id, async_copy, NULL, store_result, &result);
    while (result == NULL)
      g_main_context_iteration (NULL, TRUE);
    g_assert_true (pd_upload_save_copy_finish (result, &error));
    g_assert_no_error (error);
    g_clear_pointer (&back, g_free);
    g_assert_true (g_file_get_contents (async_copy, &back, &len, NULL));
    g_assert_cmpmem (back, len, csv->str, csv->len);
  }
}

static void
test_person_rules (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(PdRecord) p = pd_record_new (&pd_person_type);
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) errors = NULL;
  g_autofree char *file = write_file (f, "one.csv", HEADER
                                      "E1,Émile,Zola,1980-01-15,employee,,2024-01-01,,\n");
  g_autoptr(PdImportResult) r = NULL;

  pd_record_set_string (p, "partner_id", f->partner_id);
  pd_record_set_string (p, "member_id", "E1");
  pd_record_set_string (p, "first_name", "ÉMILE");
  pd_record_set_string (p, "last_name", "Zola");
  pd_record_set_string (p, "date_of_birth", "1980-02-30");
  pd_record_set_string (p, "relationship", "spouse");
  pd_record_set_string (p, "coverage_start", "2024-05-01");
  pd_record_set_string (p, "coverage_end", "2024-04-01");
  errors = pd_store_validate (f->store, p);
  g_assert_cmpstr (g_hash_table_lookup (errors, "date_of_birth"), ==,
                   "The date 1980-02-30 does not exist");
  g_assert_nonnull (g_hash_table_lookup (errors, "coverage_end"));
  g_assert_nonnull (g_hash_table_lookup (errors, "employee_member_id"));
  g_clear_pointer (&errors, g_hash_table_unref);
  pd_record_set_string (p, "date_of_birth", "2999-01-01");
  errors = pd_store_validate (f->store, p);
  g_assert_cmpstr (g_hash_table_lookup (errors, "date_of_birth"), ==,
                   "The date of birth is in the future");
  g_assert_false (pd_store_save (f->store, p, &error));
  g_assert_error (error, PD_ERROR, PD_ERROR_INVALID);
  g_clear_error (&error);

  pd_record_set_string (p, "date_of_birth", "1980-01-15");
  pd_record_set_string (p, "relationship", "employee");
  pd_record_set_string (p, "coverage_start", "2024-01-01");
  pd_record_unset (p, "coverage_end");
  g_assert_true (pd_store_save (f->store, p, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (pd_record_get_title (p), ==, "ÉMILE Zola");
  /* The form's person is the file's "Émile": the first name is compared case-folded. */
  r = run (f, file, PD_IMPORT_MODE_INCREMENTAL, 0);
  assert_counts (r, 0, 1, 0, 0, 0);
  g_assert_cmpint (query_int (f, "SELECT count(*) FROM persons"), ==, 1);
}

typedef struct {
  GMainLoop      *loop;
  PdImportResult *result;
  GError         *error;
  guint           progress_calls;
  GThread        *main_thread;
  gboolean        progress_in_main;
} AsyncState;

static void
async_progress (double      fraction,
                const char *phase,
                gpointer    user_data)
{
  AsyncState *state = user_data;

  state->progress_calls++;
  state->progress_in_main = state->progress_in_main && g_thread_self () == state->main_thread;
}

static void
async_done (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  AsyncState *state = user_data;

  state->result = pd_import_run_finish (result, &state->error);
  g_main_loop_quit (state->loop);
}

static void
count_collection_changed (PdStore    *store,
                          const char *collection,
                          const char *partner_id,
                          gpointer    user_data)
{
  g_assert_cmpstr (collection, ==, "person");
  (*(guint *) user_data)++;
}

static void
test_async (Fixture       *f,
            gconstpointer  data)
{
  g_autofree char *file = write_file (f, "family.csv", family_csv);
  AsyncState state = { g_main_loop_new (NULL, FALSE), NULL, NULL, 0, g_thread_self (), TRUE };
  guint changed = 0;
  PdImportOptions options;

  pd_import_options_init (&options);
  options.actor_id = pd_store_get_local_user_id (f->store);
  g_signal_connect (f->store, "collection-changed", G_CALLBACK (count_collection_changed),
                    &changed);
  pd_import_run_async (f->path, f->partner_id, file, &options, NULL, async_progress, &state,
                       NULL, async_done, &state);
  g_main_loop_run (state.loop);
  g_assert_no_error (state.error);
  assert_counts (state.result, 3, 0, 0, 0, 0);
  g_assert_cmpuint (state.progress_calls, >=, 2);
  g_assert_true (state.progress_in_main);
  /* The UI's store learns of it. */
  g_assert_cmpuint (changed, ==, 0);
  pd_store_notify_collection_changed (f->store, "person", f->partner_id);
  g_assert_cmpuint (changed, ==, 1);
  g_assert_cmpint (pd_store_count (f->store, &pd_person_type), ==, 3);
  pd_import_result_free (state.result);
  g_main_loop_unref (state.loop);
}

static void
test_sample_data (Fixture       *f,
                  gconstpointer  data)
{
  g_autofree char *dir = g_dir_make_tmp ("pd-test-sample-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "sample.db", NULL);
  g_autoptr(PdStore) store = pd_store_open (path, NULL);
  g_autoptr(GError) error = NULL;
  gint64 start = g_get_monotonic_time ();
  g_autoptr(GPtrArray) uploads = NULL;

  g_assert_true (pd_sample_data_load (store, &error));
  g_assert_no_error (error);
  g_test_message ("sample data: %.0f ms", (g_get_monotonic_time () - start) / 1000.0);
  g_assert_cmpint (pd_store_count (store, &pd_person_type), >=, 5000);
  uploads = pd_store_list (store, &pd_upload_type, NULL, NULL, &error);
  g_assert_cmpuint (uploads->len, >=, 20);
  g_clear_object (&store);
  pd_test_remove_tree (dir);
}

/* Alone with the database (a scheduled import), the import uses a rollback journal for its
 * transaction and leaves the database in WAL mode again. */
static void
test_alone_keeps_wal (Fixture       *f,
                      gconstpointer  data)
{
  g_autofree char *file = write_file (f, "family.csv", family_csv);
  g_autoptr(PdImportResult) r = NULL;
  g_autofree char *mode = NULL;

  g_clear_object (&f->store);
  r = run (f, file, PD_IMPORT_MODE_FULL, 0);
  assert_counts (r, 3, 0, 0, 0, 0);
  mode = query_text (f, "PRAGMA journal_mode");
  g_assert_cmpstr (mode, ==, "wal");
  g_assert_cmpint (query_int (f, "SELECT count(*) FROM persons"), ==, 3);
}

#define ADD(name, func) \
  g_test_add (name, Fixture, NULL, fixture_setup, func, fixture_teardown)

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/import/mapping/synonyms", test_mapping_synonyms);
  ADD ("/import/family", test_import_family);
  ADD ("/import/rejections", test_rejections);
  ADD ("/import/dependents", test_dependents);
  ADD ("/import/dates", test_dates);
  ADD ("/import/date-order-found-late", test_date_order_found_late);
  ADD ("/import/mapping/drift", test_mapping_drift);
  ADD ("/import/mapping/needed", test_needs_mapping);
  ADD ("/import/modes", test_full_and_incremental);
  ADD ("/import/full-adds-people", test_full_adds_people);
  ADD ("/import/many-known", test_many_known);
  ADD ("/import/guard", test_guard);
  ADD ("/import/all-or-nothing", test_all_or_nothing);
  ADD ("/import/cancel", test_cancel_rolls_back);
  ADD ("/import/update-columns", test_update_columns);
  ADD ("/import/reading-thread", test_reading_thread);
  ADD ("/import/bulk", test_bulk_import);
  ADD ("/import/bulk-order", test_bulk_import_order);
  ADD ("/import/duplicate-file", test_duplicate_file);
  ADD ("/import/dry-run", test_dry_run);
  ADD ("/import/834", test_834);
  ADD ("/import/command-line", test_command_line);
  ADD ("/import/save-copy", test_save_copy);
  ADD ("/import/save-copy-large", test_save_copy_large);
  ADD ("/import/person-rules", test_person_rules);
  ADD ("/import/async", test_async);
  ADD ("/import/sample-data", test_sample_data);
  ADD ("/import/alone-keeps-wal", test_alone_keeps_wal);
  return g_test_run ();
}
