/* test-people.c: the People tab over 20,000 people in a real SQLite file: counts, filters, search,
 * every sort against a plain ORDER BY, page boundaries, the lazy model, and the tab under Xvfb. */
#include "config.h"

#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>

#include "pd-people-page.h"
#include "pd-test-ui.h"

#define N_BULK 20000

static struct
{
  char    *dir;
  char    *path;
  PdStore *store;
  sqlite3 *db; /* the test's own connection: expected results by plain SQL */
  char    *partner_id;
  char    *other_partner_id;
} fx;

static const char *const first_names[]
    = { "Anna", "Ben", "clara", "Özlem", "Åsa", "Jürgen", "Noah", "Zoë", "Ines", "Paul" };
static const char *const last_names[]
    = { "Berg", "Özdemir", "müller", "Weber", "Ångström", "Koch", "Wolf", "Zimmermann", "abel" };
static const char *const eligibility[]
    = { "eligible", "eligible", "eligible", "ineligible", "terminated" };
static const char *const enrollment[] = { "not_enrolled", "invited", "enrolled", "declined" };

/* The data: a bulk insert (the test's setup), plus people saved through the store */

static char *
save_partner (const char *name)
{
  g_autoptr (PdRecord) partner = pd_record_new (&pd_partner_type);
  g_autoptr (GError) error = NULL;

  pd_record_set_string (partner, "name", name);
  g_assert_true (pd_store_save (fx.store, partner, &error));
  g_assert_no_error (error);
  return g_strdup (pd_record_get_id (partner));
}

static void
exec_sql (const char *sql)
{
  char *message = NULL;

  if (sqlite3_exec (fx.db, sql, NULL, NULL, &message) != SQLITE_OK)
    g_error ("%s: %s", sql, message);
}

static void
bind_maybe (sqlite3_stmt *stmt, int index, const char *text)
{
  if (text != NULL)
    sqlite3_bind_text (stmt, index, text, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_null (stmt, index);
}

/* Person I of PARTNER: every third an employee, the others dependents of the employee
 * before them; some fields unset, names with case and accents, dates spread. */
static void
insert_person (sqlite3_stmt *stmt, const char *partner, guint i, GRand *rand)
{
  g_autofree char *id = pd_uuid_new ();
  g_autofree char *member = g_strdup_printf ("M%06u", g_rand_int_range (rand, 0, 999999));
  g_autofree char *employee = g_strdup_printf ("M%06u", i - i % 3);
  g_autofree char *group
      = i % 11 ? g_strdup_printf ("G%02u", g_rand_int_range (rand, 0, 40)) : NULL;
  const char      *first = first_names[g_rand_int_range (rand, 0, G_N_ELEMENTS (first_names))];
  const char      *last = last_names[g_rand_int_range (rand, 0, G_N_ELEMENTS (last_names))];
  g_autofree char *display = g_strdup_printf ("%s %s", first, last);
  g_autofree char *start = g_strdup_printf ("20%02u-%02u-01", g_rand_int_range (rand, 10, 26),
                                            g_rand_int_range (rand, 1, 13));
  g_autofree char *end
      = i % 4 ? NULL : g_strdup_printf ("2026-%02u-28", g_rand_int_range (rand, 1, 13));
  g_autofree char *email = i % 5 ? g_strdup_printf ("person%u@example.org", i) : NULL;
  g_autofree char *fold = pd_text_fold (first);
  g_autofree char *name_key = pd_people_name_key (last, first);
  const char      *relationship = i % 3 == 0 ? "employee" : i % 3 == 1 ? "spouse" : "child";

  bind_maybe (stmt, 1, id);
  bind_maybe (stmt, 2, partner);
  bind_maybe (stmt, 3, member);
  bind_maybe (stmt, 4, group);
  bind_maybe (stmt, 5, first);
  bind_maybe (stmt, 6, last);
  bind_maybe (stmt, 7, display);
  bind_maybe (stmt, 8, "1980-02-03");
  bind_maybe (stmt, 9, relationship);
  bind_maybe (stmt, 10, i % 3 ? employee : NULL);
  bind_maybe (stmt, 11, start);
  bind_maybe (stmt, 12, end);
  bind_maybe (stmt, 13, eligibility[g_rand_int_range (rand, 0, G_N_ELEMENTS (eligibility))]);
  bind_maybe (stmt, 14, enrollment[g_rand_int_range (rand, 0, G_N_ELEMENTS (enrollment))]);
  bind_maybe (stmt, 15, email);
  bind_maybe (stmt, 16, fold);
  bind_maybe (stmt, 17, name_key);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
  sqlite3_reset (stmt);
}

static void
insert_people (const char *partner, guint n, guint seed)
{
  sqlite3_stmt *stmt = NULL;
  GRand        *rand = g_rand_new_with_seed (seed);

  g_assert_cmpint (
      sqlite3_prepare_v2 (fx.db,
                          "INSERT INTO persons (id, version, created_at, updated_at, deleted,"
                          " partner_id, member_id, group_id, first_name, last_name, display_name,"
                          " date_of_birth, relationship, employee_member_id, coverage_start,"
                          " coverage_end, eligibility_status, enrollment_status, email,"
                          " first_name_fold, name_key) VALUES (?1, 1, '2026-01-01T00:00:00Z',"
                          " '2026-01-01T00:00:00Z', 0, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11,"
                          " ?12, ?13, ?14, ?15, ?16, ?17)",
                          -1, &stmt, NULL),
      ==, SQLITE_OK);
  exec_sql ("BEGIN");
  for (guint i = 0; i < n; i++)
    insert_person (stmt, partner, i, rand);
  exec_sql ("COMMIT");
  sqlite3_finalize (stmt);
  g_rand_free (rand);
}

static PdRecord *
save_person (const char *first, const char *last, const char *member_id, const char *relationship,
             const char *employee_member_id)
{
  g_autoptr (PdRecord) person = pd_record_new (&pd_person_type);
  g_autoptr (GError) error = NULL;

  pd_record_set_string (person, "partner_id", fx.partner_id);
  pd_record_set_string (person, "first_name", first);
  pd_record_set_string (person, "last_name", last);
  pd_record_set_string (person, "member_id", member_id);
  pd_record_set_string (person, "date_of_birth", "1975-06-07");
  pd_record_set_string (person, "relationship", relationship);
  pd_record_set_string (person, "employee_member_id", employee_member_id);
  pd_record_set_string (person, "eligibility_status", "eligible");
  pd_record_set_string (person, "email", "kasimir@example.org");
  g_assert_true (pd_store_save (fx.store, person, &error));
  g_assert_no_error (error);
  return g_steal_pointer (&person);
}

/* Expected results, by plain SQL and a plain scan */

/* The name order: the name index's (the name without case or accents), ties broken by
 * member ID, the statuses, then the row id. */
#define NAME "name_key%s, member_id%s, eligibility_status%s, enrollment_status%s, relationship%s," \
  " rowid%s"

static const char *const expected_order[PD_PEOPLE_N_SORTS] = {
  [PD_PEOPLE_SORT_NAME] = NAME,
  [PD_PEOPLE_SORT_MEMBER_ID]
  = "member_id%s, relationship%s, first_name_fold%s, date_of_birth%s, rowid%s",
  [PD_PEOPLE_SORT_GROUP_ID] = "group_id%s, " NAME,
  [PD_PEOPLE_SORT_RELATIONSHIP] = "relationship%s, " NAME,
  [PD_PEOPLE_SORT_COVERAGE_START] = "coverage_start%s, " NAME,
  [PD_PEOPLE_SORT_COVERAGE_END] = "coverage_end%s, " NAME,
  [PD_PEOPLE_SORT_ELIGIBILITY] = "eligibility_status%s, " NAME,
  [PD_PEOPLE_SORT_ENROLLMENT] = "enrollment_status%s, " NAME,
};

static gboolean
matches_search (const char *search, const char *name, const char *member, const char *email)
{
  g_autofree char *folded = pd_text_fold (search);
  g_auto (GStrv) words = g_strsplit (folded, " ", -1);
  g_autofree char *hay
      = g_strdup_printf ("%s\n%s\n%s", name ? name : "", member ? member : "", email ? email : "");
  g_autofree char *hay_folded = pd_text_fold (hay);

  for (guint i = 0; words[i] != NULL; i++)
    if (*words[i] && strstr (hay_folded, words[i]) == NULL)
      return FALSE;
  return TRUE;
}

/* Row ids of FILTER's people in order, computed by ORDER BY and a scan in C. */
static GArray *
expected_rowids (const PdPeopleFilter *filter, guint *n_eligible)
{
  const char      *d = filter->descending ? " DESC" : "";
  g_autofree char *order = g_strdup_printf (expected_order[filter->sort], d, d, d, d, d, d, d, d);
  g_autofree char *sql = g_strdup_printf (
      "SELECT rowid, display_name, member_id, email, eligibility_status, enrollment_status,"
      " relationship FROM persons WHERE partner_id = ?1 AND deleted = 0 ORDER BY %s",
      order);
  GArray       *rowids = g_array_new (FALSE, FALSE, sizeof (gint64));
  sqlite3_stmt *stmt = NULL;

  *n_eligible = 0;
  g_assert_cmpint (sqlite3_prepare_v2 (fx.db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  sqlite3_bind_text (stmt, 1, filter->partner_id, -1, SQLITE_STATIC);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      gint64      rowid = sqlite3_column_int64 (stmt, 0);
      const char *status = (const char *)sqlite3_column_text (stmt, 4);

      if ((filter->eligibility && g_strcmp0 (filter->eligibility, status) != 0)
          || (filter->enrollment
              && g_strcmp0 (filter->enrollment, (const char *)sqlite3_column_text (stmt, 5)) != 0)
          || (filter->relationship
              && g_strcmp0 (filter->relationship, (const char *)sqlite3_column_text (stmt, 6)) != 0)
          || (filter->search
              && !matches_search (filter->search, (const char *)sqlite3_column_text (stmt, 1),
                                  (const char *)sqlite3_column_text (stmt, 2),
                                  (const char *)sqlite3_column_text (stmt, 3))))
        continue;
      g_array_append_val (rowids, rowid);
      if (g_strcmp0 (status, "eligible") == 0)
        (*n_eligible)++;
    }
  sqlite3_finalize (stmt);
  return rowids;
}

static PdPeopleResult *
run (const PdPeopleFilter *filter, guint limit)
{
  g_autoptr (GError) error = NULL;
  PdPeopleResult *result = pd_people_query_run (fx.path, filter, limit, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (result);
  return result;
}

static void
assert_same_rowids (GArray *expected, GArray *got)
{
  g_assert_cmpuint (got->len, ==, expected->len);
  for (guint i = 0; i < expected->len; i++)
    if (g_array_index (expected, gint64, i) != g_array_index (got, gint64, i))
      g_error ("position %u: expected row %" G_GINT64_FORMAT ", got %" G_GINT64_FORMAT, i,
               g_array_index (expected, gint64, i), g_array_index (got, gint64, i));
}

/* Checks FILTER: the count, the eligible count, the whole order, and the first page. */
static void
check_filter (const PdPeopleFilter *filter)
{
  guint n_eligible;
  g_autoptr (GArray) expected = expected_rowids (filter, &n_eligible);
  g_autoptr (PdPeopleResult) all = run (filter, 0);
  g_autoptr (PdPeopleResult) first = run (filter, PD_PEOPLE_MODEL_PAGE_SIZE);

  assert_same_rowids (expected, all->rowids);
  g_assert_cmpuint (all->n_eligible, ==, n_eligible);
  g_assert_true (all->complete);
  g_assert_cmpuint (first->rowids->len, ==, MIN (expected->len, PD_PEOPLE_MODEL_PAGE_SIZE));
  g_assert_cmpuint (first->rows->len, ==, first->rowids->len);
  for (guint i = 0; i < first->rowids->len; i++)
    g_assert_cmpint (g_array_index (first->rowids, gint64, i), ==,
                     g_array_index (expected, gint64, i));
  g_assert_true (first->complete == (expected->len < PD_PEOPLE_MODEL_PAGE_SIZE));
}

/* Query layer */

static void
test_query_counts_and_filters (void)
{
  g_autoptr (PdPeopleFilter) filter = pd_people_filter_new (fx.partner_id);
  const char *const relationships[] = { "employee", "spouse", "child", "other" };
  guint             n_eligible;
  g_autoptr (GArray) everyone = expected_rowids (filter, &n_eligible);
  g_autoptr (PdPeopleResult) other = NULL;
  g_autoptr (PdPeopleFilter) other_filter = pd_people_filter_new (fx.other_partner_id);

  g_assert_cmpuint (everyone->len, >=, N_BULK);
  g_assert_cmpuint (n_eligible, >, 0);
  check_filter (filter);
  for (guint i = 0; i < 3; i++)
    {
      g_free (filter->eligibility);
      filter->eligibility = g_strdup (eligibility[i + 2]);
      check_filter (filter);
    }
  g_clear_pointer (&filter->eligibility, g_free);
  for (guint i = 0; i < G_N_ELEMENTS (enrollment); i++)
    {
      g_free (filter->enrollment);
      filter->enrollment = g_strdup (enrollment[i]);
      check_filter (filter);
    }
  for (guint i = 0; i < G_N_ELEMENTS (relationships); i++)
    {
      g_free (filter->relationship);
      filter->relationship = g_strdup (relationships[i]);
      check_filter (filter);
    }
  /* Another partner's people never show. */
  other = run (other_filter, 0);
  g_assert_cmpuint (other->rowids->len, ==, 500);
}

static void
test_query_search (void)
{
  g_autoptr (PdPeopleFilter) filter = pd_people_filter_new (fx.partner_id);
  const char *const searches[]
      = { "berg",          "ÖZDEMIR",  "özlem m",       "M0001", "person12@",
          "MÜLLER jürgen", "ångström", "nobody-at-all", "  " };

  for (guint i = 0; i < G_N_ELEMENTS (searches); i++)
    {
      g_autoptr (PdPeopleResult) result = NULL;

      g_free (filter->search);
      filter->search = g_strdup (searches[i]);
      if (g_strcmp0 (searches[i], "  ") == 0)
        {
          /* Blank is no search at all. */
          g_autoptr (PdPeopleFilter) plain = pd_people_filter_new (fx.partner_id);
          guint n_eligible;
          g_autoptr (GArray) expected = expected_rowids (plain, &n_eligible);

          result = run (filter, 0);
          assert_same_rowids (expected, result->rowids);
          continue;
        }
      check_filter (filter);
    }
  /* Case and accents fold: the two spellings find the same people, and some. */
  {
    g_autoptr (PdPeopleResult) upper = NULL;
    g_autoptr (PdPeopleResult) lower = NULL;

    g_free (filter->search);
    filter->search = g_strdup ("ÖZDEMIR");
    upper = run (filter, 0);
    g_free (filter->search);
    filter->search = g_strdup ("özdemir");
    lower = run (filter, 0);
    g_assert_cmpuint (upper->rowids->len, >, 100);
    assert_same_rowids (upper->rowids, lower->rowids);
  }
  /* Search with a filter and another order. */
  g_free (filter->search);
  filter->search = g_strdup ("anna");
  filter->eligibility = g_strdup ("eligible");
  filter->sort = PD_PEOPLE_SORT_COVERAGE_END;
  filter->descending = TRUE;
  check_filter (filter);
}

static void
test_query_sort_orders (void)
{
  g_autoptr (PdPeopleFilter) filter = pd_people_filter_new (fx.partner_id);

  for (int sort = 0; sort < PD_PEOPLE_N_SORTS; sort++)
    for (int descending = 0; descending < 2; descending++)
      {
        filter->sort = sort;
        filter->descending = descending;
        check_filter (filter);
      }
  /* A filter with each order. */
  filter->enrollment = g_strdup ("invited");
  for (int sort = 0; sort < PD_PEOPLE_N_SORTS; sort++)
    {
      filter->sort = sort;
      filter->descending = sort % 2;
      check_filter (filter);
    }
}

static void
test_query_fetch_and_pages (void)
{
  g_autoptr (PdPeopleFilter) filter = pd_people_filter_new (fx.partner_id);
  g_autoptr (PdPeopleResult) all = run (filter, 0);
  g_autoptr (PdPeopleResult) first = run (filter, PD_PEOPLE_MODEL_PAGE_SIZE);
  guint       n = all->rowids->len;
  const guint positions[] = { 0, 255, 256, 257, 511, 512, n / 2, n - 2, n - 1 };
  g_autoptr (GError) error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (positions); i++)
    {
      gint64 rowid = g_array_index (all->rowids, gint64, positions[i]);
      g_autoptr (GPtrArray) rows = pd_people_query_fetch (fx.store, &rowid, 1, &error);
      PdRecord *person;

      g_assert_no_error (error);
      person = g_ptr_array_index (rows, 0);
      g_assert_nonnull (person);
      g_assert_cmpint (pd_people_query_find_rowid (fx.store, pd_record_get_id (person)), ==, rowid);
      g_assert_cmpstr (pd_record_get_string (person, "partner_id"), ==, fx.partner_id);
      if (positions[i] < first->rows->len)
        g_assert_cmpstr (pd_record_get_id (g_ptr_array_index (first->rows, positions[i])), ==,
                         pd_record_get_id (person));
    }
  /* The name order, first and last, by the names themselves: without case or accents
   * ("abel" before "Berg", "Özdemir" among the O). */
  {
    gint64 ends[2]
        = { g_array_index (all->rowids, gint64, 0), g_array_index (all->rowids, gint64, n - 1) };
    g_autoptr (GPtrArray) rows = pd_people_query_fetch (fx.store, ends, 2, &error);

    g_assert_cmpstr (pd_record_get_string (g_ptr_array_index (rows, 0), "last_name"), ==, "abel");
    g_assert_cmpstr (pd_record_get_string (g_ptr_array_index (rows, 1), "last_name"), ==,
                     "Zimmermann");
  }
  /* A row id that does not exist gives NULL at its place. */
  {
    gint64 missing = G_MAXINT32;
    g_autoptr (GPtrArray) rows = pd_people_query_fetch (fx.store, &missing, 1, &error);

    g_assert_no_error (error);
    g_assert_null (g_ptr_array_index (rows, 0));
  }
}

static void
test_query_cancel (void)
{
  g_autoptr (PdPeopleFilter) filter = pd_people_filter_new (fx.partner_id);
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (GError) error = NULL;
  PdPeopleResult *result;

  g_cancellable_cancel (cancellable);
  result = pd_people_query_run (fx.path, filter, 0, cancellable, &error);
  g_assert_null (result);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static void
test_query_deleted_and_dependents (void)
{
  g_autoptr (PdPeopleFilter) filter = pd_people_filter_new (fx.partner_id);
  g_autoptr (PdPeopleResult) before = run (filter, 0);
  g_autoptr (PdPeopleResult) after = NULL;
  g_autoptr (PdRecord) employee = save_person ("Kasimir", "Quandt", "E9001", "employee", NULL);
  g_autoptr (PdRecord) child = save_person ("Kira", "Quandt", "E9001-2", "child", "E9001");
  g_autoptr (GError) error = NULL;
  gint64 rowid = pd_people_query_find_rowid (fx.store, pd_record_get_id (child));
  g_autoptr (GPtrArray) rows = pd_people_query_fetch (fx.store, &rowid, 1, &error);
  g_autofree char *cell
      = pd_people_page_cell_text (g_ptr_array_index (rows, 0), "employee_member_id");

  g_assert_cmpstr (pd_people_get_employee_name (g_ptr_array_index (rows, 0)), ==, "Kasimir Quandt");
  g_assert_cmpstr (cell, ==, "E9001 · Kasimir Quandt");
  after = run (filter, 0);
  g_assert_cmpuint (after->rowids->len, ==, before->rowids->len + 2);

  g_assert_true (pd_store_delete (fx.store, &pd_person_type, pd_record_get_id (child), &error));
  g_assert_no_error (error);
  g_clear_pointer (&after, pd_people_result_free);
  after = run (filter, 0);
  g_assert_cmpuint (after->rowids->len, ==, before->rowids->len + 1);
  check_filter (filter);
}

/* The lazy model */

static void
count_changes (GListModel *model, guint position, guint removed, guint added, GArray *changes)
{
  guint change[3] = { position, removed, added };

  g_array_append_vals (changes, change, 3);
}

static void
test_model (void)
{
  g_autoptr (PdPeopleModel) model = pd_people_model_new (fx.store);
  g_autoptr (PdPeopleFilter) filter = pd_people_filter_new (fx.partner_id);
  g_autoptr (GArray) changes = g_array_new (FALSE, FALSE, sizeof (guint));
  guint n_eligible;
  g_autoptr (GArray) expected = expected_rowids (filter, &n_eligible);
  guint       n = expected->len;
  const guint positions[] = { 0, 255, 256, n / 3, n - 1 };
  g_autoptr (PdRecord) edited = NULL;
  g_autoptr (GError) error = NULL;
  int position;

  pd_people_model_set_filter (model, filter);
  PD_WAIT_UNTIL (pd_people_model_get_complete (model) && !pd_people_model_get_loading (model));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, n);
  g_assert_cmpuint (pd_people_model_get_n_eligible (model), ==, n_eligible);
  for (guint i = 0; i < G_N_ELEMENTS (positions); i++)
    {
      g_autoptr (PdRecord) person = g_list_model_get_item (G_LIST_MODEL (model), positions[i]);

      g_assert_cmpint (pd_people_query_find_rowid (fx.store, pd_record_get_id (person)), ==,
                       g_array_index (expected, gint64, positions[i]));
    }
  g_assert_null (g_list_model_get_item (G_LIST_MODEL (model), n));
  /* Never every row: a page per distinct place asked for. */
  g_assert_cmpuint (pd_people_model_get_n_page_fetches (model), <=, 5);

  /* A save updates exactly that item, in place. */
  {
    g_autoptr (PdRecord) person = g_list_model_get_item (G_LIST_MODEL (model), 255);

    edited = pd_record_copy (person);
  }
  g_signal_connect (model, "items-changed", G_CALLBACK (count_changes), changes);
  pd_record_set_string (edited, "phone", "+49 30 555 0101");
  g_assert_true (pd_store_save (fx.store, edited, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (changes->len, ==, 3);
  g_assert_cmpuint (g_array_index (changes, guint, 0), ==, 255);
  g_assert_cmpuint (g_array_index (changes, guint, 1), ==, 1);
  g_assert_cmpuint (g_array_index (changes, guint, 2), ==, 1);
  {
    g_autoptr (PdRecord) person = g_list_model_get_item (G_LIST_MODEL (model), 255);

    g_assert_cmpstr (pd_record_get_string (person, "phone"), ==, "+49 30 555 0101");
  }
  /* The reload that follows changes nothing more. */
  PD_WAIT_UNTIL (pd_people_model_get_loading (model));
  PD_WAIT_UNTIL (!pd_people_model_get_loading (model));
  g_assert_cmpuint (changes->len, ==, 3);

  /* A new person: one item inserted where the order puts it. */
  g_array_set_size (changes, 0);
  {
    g_autoptr (PdRecord) added = save_person ("Aaron", "Aachen", "A0001", "employee", NULL);

    PD_WAIT_UNTIL (changes->len > 0 && !pd_people_model_get_loading (model));
    position = pd_people_model_find (model, pd_record_get_id (added));
    g_assert_cmpint (position, ==, 0);
    g_assert_cmpuint (changes->len, ==, 3);
    g_assert_cmpuint (g_array_index (changes, guint, 0), ==, 0);
    g_assert_cmpuint (g_array_index (changes, guint, 1), ==, 0);
    g_assert_cmpuint (g_array_index (changes, guint, 2), ==, 1);

    /* Deleted: exactly that item goes. */
    g_array_set_size (changes, 0);
    g_assert_true (pd_store_delete (fx.store, &pd_person_type, pd_record_get_id (added), &error));
    g_assert_no_error (error);
    PD_WAIT_UNTIL (changes->len > 0 && !pd_people_model_get_loading (model));
    g_assert_cmpuint (changes->len, ==, 3);
    g_assert_cmpuint (g_array_index (changes, guint, 0), ==, 0);
    g_assert_cmpuint (g_array_index (changes, guint, 1), ==, 1);
    g_assert_cmpuint (g_array_index (changes, guint, 2), ==, 0);
  }
  g_signal_handlers_disconnect_by_data (model, changes);
}

/* The tab under Xvfb (finders in pd-test-ui.c; names compare exactly here) */

static gboolean
is_label (GtkWidget *widget, const char *text)
{
  return GTK_IS_LABEL (widget) && g_strcmp0 (gtk_label_get_text (GTK_LABEL (widget)), text) == 0;
}

static gboolean
is_cell (GtkWidget *widget, const char *text)
{
  return GTK_IS_INSCRIPTION (widget)
         && g_strcmp0 (gtk_inscription_get_text (GTK_INSCRIPTION (widget)), text) == 0;
}

static gboolean
has_accessible_tooltip (GtkWidget *widget, const char *text)
{
  return g_strcmp0 (gtk_widget_get_tooltip_text (widget), text) == 0;
}

static gboolean
is_entry_row (GtkWidget *widget, const char *text)
{
  return ADW_IS_ENTRY_ROW (widget)
         && g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)), text) == 0;
}

static gboolean
is_editor (GtkWidget *widget, const char *text)
{
  return GTK_IS_WINDOW (widget)
         && g_strcmp0 (gtk_window_get_title (GTK_WINDOW (widget)), text) == 0;
}

static gboolean
is_save_button (GtkWidget *widget, const char *text)
{
  return GTK_IS_BUTTON (widget)
         && (g_strcmp0 (gtk_button_get_label (GTK_BUTTON (widget)), text) == 0
             || has_accessible_tooltip (widget, text));
}

static char *
count_label_for (const PdPeopleFilter *filter)
{
  guint n_eligible;
  g_autoptr (GArray) rowids = expected_rowids (filter, &n_eligible);

  return g_strdup_printf ("%u %s, %u eligible", rowids->len, rowids->len == 1 ? "person" : "people",
                          n_eligible);
}

static GtkWidget *
open_page (PdPeoplePage **page)
{
  GtkWidget *window = gtk_window_new ();

  *page = pd_people_page_new (fx.store);
  gtk_window_set_default_size (GTK_WINDOW (window), 1000, 700);
  gtk_window_set_child (GTK_WINDOW (window), GTK_WIDGET (*page));
  gtk_window_present (GTK_WINDOW (window));
  PD_WAIT_UNTIL (gtk_widget_get_mapped (window));
  return window;
}

static gboolean
is_column_view (GtkWidget *widget, const char *text)
{
  return GTK_IS_COLUMN_VIEW (widget);
}

/* What a click on the "Member ID" header does, twice: descending by member ID, in SQL. */
static void
check_header_sort (GtkWidget *window, PdPeoplePage *page)
{
  GtkColumnView *view = GTK_COLUMN_VIEW (pd_test_find_in (window, is_column_view, NULL));
  g_autoptr (GtkColumnViewColumn) column
      = g_list_model_get_item (gtk_column_view_get_columns (view), 1);
  PdPeopleModel *model = pd_people_page_get_model (page);
  g_autoptr (PdPeopleFilter) filter = pd_people_filter_new (fx.partner_id);
  g_autoptr (GArray) expected = NULL;
  g_autoptr (PdRecord) first = NULL;
  guint n_eligible;

  g_assert_cmpstr (gtk_column_view_column_get_title (column), ==, "Member ID");
  gtk_column_view_sort_by_column (view, column, GTK_SORT_DESCENDING);
  PD_WAIT_UNTIL (pd_people_model_get_filter (model)->sort == PD_PEOPLE_SORT_MEMBER_ID
                 && pd_people_model_get_filter (model)->descending
                 && pd_people_model_get_complete (model) && !pd_people_model_get_loading (model));
  filter->sort = PD_PEOPLE_SORT_MEMBER_ID;
  filter->descending = TRUE;
  expected = expected_rowids (filter, &n_eligible);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, expected->len);
  first = g_list_model_get_item (G_LIST_MODEL (model), 0);
  g_assert_cmpint (pd_people_query_find_rowid (fx.store, pd_record_get_id (first)), ==,
                   g_array_index (expected, gint64, 0));
}

static void
test_page (void)
{
  PdPeoplePage *page;
  GtkWidget    *window = open_page (&page);
  g_autoptr (PdPeopleFilter) filter = pd_people_filter_new (fx.partner_id);
  g_autofree char *all_label = NULL;
  g_autofree char *search_label = NULL;
  g_autofree char *filter_label = NULL;
  GtkWidget       *search, *dropdown, *editor;
  PdRecord        *dependent = NULL;

  /* Every control is named for assistive technologies (and found that way here). */
  g_assert_nonnull (pd_test_find_in (window, has_accessible_tooltip, "Filter by eligibility"));
  g_assert_nonnull (pd_test_find_in (window, has_accessible_tooltip, "Filter by enrollment"));
  g_assert_nonnull (pd_test_find_in (window, has_accessible_tooltip, "Filter by relationship"));
  g_assert_nonnull (pd_people_page_get_upload_slot (page));

  pd_people_page_set_partner_id (page, fx.partner_id);
  all_label = count_label_for (filter);
  pd_test_wait_for_widget (is_label, all_label);

  /* Search narrows the count. */
  search = pd_test_find_in (window, has_accessible_tooltip, "Search people");
  g_assert_true (GTK_IS_SEARCH_ENTRY (search));
  gtk_editable_set_text (GTK_EDITABLE (search), "ÖZDEMIR");
  filter->search = g_strdup ("ÖZDEMIR");
  search_label = count_label_for (filter);
  pd_test_wait_for_widget (is_label, search_label);

  /* A filter on top of it. */
  dropdown = pd_test_find_in (window, has_accessible_tooltip, "Filter by eligibility");
  gtk_drop_down_set_selected (GTK_DROP_DOWN (dropdown),
                              3); /* Any, Eligible, Ineligible, Terminated */
  filter->eligibility = g_strdup ("terminated");
  filter_label = count_label_for (filter);
  pd_test_wait_for_widget (is_label, filter_label);
  gtk_drop_down_set_selected (GTK_DROP_DOWN (dropdown), 0);
  gtk_editable_set_text (GTK_EDITABLE (search), "");
  pd_test_wait_for_widget (is_label, all_label);

  /* Create Person through the dialog: one more row, selected. */
  gtk_widget_activate_action (GTK_WIDGET (page), "people.create", NULL);
  editor = pd_test_wait_for_widget (is_editor, "Add Person");
  gtk_editable_set_text (GTK_EDITABLE (pd_test_find_in (editor, is_entry_row, "Member ID")),
                         "E7777");
  gtk_editable_set_text (GTK_EDITABLE (pd_test_find_in (editor, is_entry_row, "First name")),
                         "Wiebke");
  gtk_editable_set_text (GTK_EDITABLE (pd_test_find_in (editor, is_entry_row, "Last name")),
                         "Aalto");
  gtk_editable_set_text (GTK_EDITABLE (pd_test_find_in (editor, is_entry_row, "Date of birth")),
                         "1988-08-08");
  g_object_add_weak_pointer (G_OBJECT (editor), (gpointer *)&editor);
  PD_WAIT_UNTIL (gtk_widget_is_sensitive (pd_test_find_in (editor, is_save_button, "Save")));
  gtk_widget_activate (pd_test_find_in (editor, is_save_button, "Save"));
  PD_WAIT_UNTIL (editor == NULL);
  g_clear_pointer (&all_label, g_free);
  g_clear_pointer (&filter->search, g_free);
  g_clear_pointer (&filter->eligibility, g_free);
  all_label = count_label_for (filter);
  pd_test_wait_for_widget (is_label, all_label);
  pd_test_wait_for_widget (is_cell, "Aalto, Wiebke");

  /* A dependent shows whose dependent it is. */
  g_clear_object (&dependent);
  dependent = save_person ("Kuno", "Quandt", "E9001-3", "child", "E9001");
  gtk_editable_set_text (GTK_EDITABLE (search), "Quandt");
  pd_test_wait_for_widget (is_cell, "Quandt, Kuno");
  pd_test_wait_for_widget (is_cell, "E9001 · Kasimir Quandt");

  g_clear_object (&dependent);
  gtk_editable_set_text (GTK_EDITABLE (search), "");
  check_header_sort (window, page);
  g_clear_pointer (&all_label, g_free);
  all_label = count_label_for (filter);
  pd_test_wait_for_widget (is_label, all_label);
  gtk_window_destroy (GTK_WINDOW (window));
}

static void
test_empty_state (void)
{
  PdPeoplePage    *page;
  GtkWidget       *window = open_page (&page);
  g_autofree char *empty_partner = save_partner ("Empty Employer GmbH");

  pd_people_page_set_partner_id (page, empty_partner);
  pd_test_wait_for_widget (is_label, "No People Yet");
  g_assert_true (gtk_widget_get_mapped (pd_people_page_get_empty_upload_slot (page)));
  gtk_window_destroy (GTK_WINDOW (window));
}

/* The name order ignores case and accents; the last name comes first, whole. */
static void
test_name_key (void)
{
  static const char *const names[][2] = {
    { "abel", "Zoë" }, { "Ångström", "Anna" }, { "Berg", "Zoe" }, { "Berg", "zoë" },
    { "Bergmann", "Anna" }, { "Müller", "Jürgen" }, { "muller", "Karl" }, { "Özdemir", "Ines" },
    { "Weber", NULL },
  };
  g_autofree char *key = pd_people_name_key ("Müller", "Jürgen");
  g_autofree char *key2 = pd_people_name_key (NULL, "Anna");

  g_assert_cmpstr (key, ==, "muller\001jurgen");
  g_assert_cmpstr (key2, ==, "\001anna");
  for (guint i = 0; i + 1 < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *a = pd_people_name_key (names[i][0], names[i][1]);
      g_autofree char *b = pd_people_name_key (names[i + 1][0], names[i + 1][1]);

      g_assert_cmpint (strcmp (a, b), <=, 0);
    }
}

int
main (int argc, char *argv[])
{
  g_autoptr (GError) error = NULL;
  int status;

  pd_test_ui_init (&argc, &argv);
  adw_init ();

  fx.dir = pd_test_make_dir ("test-people-XXXXXX", &fx.path);
  fx.store = pd_store_open (fx.path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (sqlite3_open (fx.path, &fx.db), ==, SQLITE_OK);
  sqlite3_busy_timeout (fx.db, 5000);
  fx.partner_id = save_partner ("Quandt Logistics");
  fx.other_partner_id = save_partner ("Other Employer");
  insert_people (fx.partner_id, N_BULK, 1);
  insert_people (fx.other_partner_id, 500, 2);

  g_test_add_func ("/people/query-counts-and-filters", test_query_counts_and_filters);
  g_test_add_func ("/people/query-search", test_query_search);
  g_test_add_func ("/people/query-sort-orders", test_query_sort_orders);
  g_test_add_func ("/people/name-key", test_name_key);
  g_test_add_func ("/people/query-fetch-and-pages", test_query_fetch_and_pages);
  g_test_add_func ("/people/query-cancel", test_query_cancel);
  g_test_add_func ("/people/query-deleted-and-dependents", test_query_deleted_and_dependents);
  g_test_add_func ("/people/model", test_model);
  g_test_add_func ("/people/page", test_page);
  g_test_add_func ("/people/page-empty", test_empty_state);
  status = g_test_run ();

  sqlite3_close (fx.db);
  g_clear_object (&fx.store);
  pd_test_remove_db (fx.dir, fx.path);
  g_free (fx.partner_id);
  g_free (fx.other_partner_id);
  g_free (fx.path);
  g_free (fx.dir);
  return status;
}
