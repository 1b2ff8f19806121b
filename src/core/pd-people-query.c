/* pd-people-query.c: the People tab's SQL: filtered, searched and sorted row ids, rows by row id.
 */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <sqlite3.h>
#include <string.h>

#include "pd-error.h"
#include "pd-people-query.h"
#include "pd-record-private.h"
#include "pd-store-private.h"

/* id, version, created_at, updated_at, updated_by, deleted: then the fields in order. */
#define N_META 6

static GQuark
employee_name_quark (void)
{
  return g_quark_from_static_string ("pd-people-employee-name");
}

/* Name keys */

/* TEXT without case or accents: decomposed (NFKD), marks dropped, case-folded. */
static void
append_name_key (GString *key, const char *text)
{
  g_autofree char *decomposed = NULL;
  g_autofree char *folded = NULL;
  g_autoptr (GString) bare = NULL;
  const char *p;

  if (text == NULL)
    return;
  for (p = text; *p && !(*p & 0x80); p++)
    ;
  if (*p == '\0')
    {
      for (p = text; *p; p++)
        g_string_append_c (key, g_ascii_tolower (*p));
      return;
    }
  decomposed = g_utf8_normalize (text, -1, G_NORMALIZE_ALL);
  if (decomposed == NULL)
    return;
  bare = g_string_sized_new (strlen (decomposed));
  for (p = decomposed; *p; p = g_utf8_next_char (p))
    if (!g_unichar_ismark (g_utf8_get_char (p)))
      g_string_append_unichar (bare, g_utf8_get_char (p));
  folded = g_utf8_casefold (bare->str, (gssize)bare->len);
  g_string_append (key, folded);
}

char *
pd_people_name_key (const char *last_name, const char *first_name)
{
  GString *key = g_string_sized_new (32);

  append_name_key (key, last_name);
  g_string_append_c (key, '\001');
  append_name_key (key, first_name);
  return g_string_free (key, FALSE);
}

/* Filters */

PdPeopleFilter *
pd_people_filter_new (const char *partner_id)
{
  PdPeopleFilter *filter = g_new0 (PdPeopleFilter, 1);

  filter->partner_id = g_strdup (partner_id);
  return filter;
}

PdPeopleFilter *
pd_people_filter_copy (const PdPeopleFilter *filter)
{
  PdPeopleFilter *copy = g_new0 (PdPeopleFilter, 1);

  copy->partner_id = g_strdup (filter->partner_id);
  copy->search = g_strdup (filter->search);
  copy->eligibility = g_strdup (filter->eligibility);
  copy->enrollment = g_strdup (filter->enrollment);
  copy->relationship = g_strdup (filter->relationship);
  copy->sort = filter->sort;
  copy->descending = filter->descending;
  return copy;
}

void
pd_people_filter_free (PdPeopleFilter *filter)
{
  if (filter == NULL)
    return;
  g_free (filter->partner_id);
  g_free (filter->search);
  g_free (filter->eligibility);
  g_free (filter->enrollment);
  g_free (filter->relationship);
  g_free (filter);
}

/* NULL and "" are the same: no narrowing. */
static const char *
nonempty (const char *text)
{
  return text != NULL && *text != '\0' ? text : NULL;
}

static gboolean
search_is_empty (const char *search)
{
  if (search == NULL)
    return TRUE;
  for (const char *p = search; *p; p = g_utf8_next_char (p))
    if (!g_unichar_isspace (g_utf8_get_char (p)))
      return FALSE;
  return TRUE;
}

gboolean
pd_people_filter_equal (const PdPeopleFilter *a, const PdPeopleFilter *b)
{
  if (a == NULL || b == NULL)
    return a == b;
  return g_strcmp0 (a->partner_id, b->partner_id) == 0
         && g_strcmp0 (nonempty (a->search), nonempty (b->search)) == 0
         && g_strcmp0 (nonempty (a->eligibility), nonempty (b->eligibility)) == 0
         && g_strcmp0 (nonempty (a->enrollment), nonempty (b->enrollment)) == 0
         && g_strcmp0 (nonempty (a->relationship), nonempty (b->relationship)) == 0
         && a->sort == b->sort && !a->descending == !b->descending;
}

gboolean
pd_people_filter_is_unfiltered (const PdPeopleFilter *filter)
{
  return search_is_empty (filter->search) && nonempty (filter->eligibility) == NULL
         && nonempty (filter->enrollment) == NULL && nonempty (filter->relationship) == NULL;
}

void
pd_people_result_free (PdPeopleResult *result)
{
  if (result == NULL)
    return;
  g_clear_pointer (&result->rowids, g_array_unref);
  g_clear_pointer (&result->rows, g_ptr_array_unref);
  g_free (result);
}

/* Generated SQL */

/* "p.id, p.version, ..., p.<field>, ..." */
static const char *
person_columns (void)
{
  static char *columns;
  static gsize once;

  if (g_once_init_enter (&once))
    {
      GString *sql = g_string_new ("p.id, p.version, p.created_at, p.updated_at, "
                                   "p.updated_by, p.deleted");

      for (guint i = 0; i < pd_person_type.n_fields; i++)
        g_string_append_printf (sql, ", p.%s", pd_person_type.fields[i].name);
      columns = g_string_free (sql, FALSE);
      g_once_init_leave (&once, 1);
    }
  return columns;
}

/* The employee's name of a dependent: one indexed lookup (persons_identity). */
#define EMPLOYEE_NAME_SQL                                                                          \
  "(SELECT e.display_name FROM persons e WHERE p.relationship <> 'employee'"                       \
  " AND e.partner_id = p.partner_id AND e.member_id = p.employee_member_id"                        \
  " AND e.relationship = 'employee' AND e.deleted = 0 LIMIT 1)"

/* The key column of each sort; the rest of the order is that of an index: the name index
 * (persons_partner_name) or, for the member ID, the identity index (persons_identity). */
static const char *const sort_keys[PD_PEOPLE_N_SORTS] = {
  [PD_PEOPLE_SORT_NAME] = NULL,
  [PD_PEOPLE_SORT_MEMBER_ID] = NULL,
  [PD_PEOPLE_SORT_GROUP_ID] = "p.group_id",
  [PD_PEOPLE_SORT_RELATIONSHIP] = "p.relationship",
  [PD_PEOPLE_SORT_COVERAGE_START] = "p.coverage_start",
  [PD_PEOPLE_SORT_COVERAGE_END] = "p.coverage_end",
  [PD_PEOPLE_SORT_ELIGIBILITY] = "p.eligibility_status",
  [PD_PEOPLE_SORT_ENROLLMENT] = "p.enrollment_status",
};

/* Keys the name index holds: sorting by them needs no table reads. */
static const gboolean key_in_name_index[PD_PEOPLE_N_SORTS] = {
  [PD_PEOPLE_SORT_RELATIONSHIP] = TRUE,
  [PD_PEOPLE_SORT_ELIGIBILITY] = TRUE,
  [PD_PEOPLE_SORT_ENROLLMENT] = TRUE,
};

/* The order of persons_partner_name after (partner_id, deleted): the name without case or
 * accents (pd_people_name_key), ties broken by member ID, the statuses, then the row id. */
#define NAME_ORDER                                                                                 \
  "p.name_key%s, p.member_id%s, p.eligibility_status%s, p.enrollment_status%s,"                    \
  " p.relationship%s, p.rowid%s"
#define NAME_ORDER_ASC NAME_ORDER
#define NAME_ORDER_ARGS(dir) dir, dir, dir, dir, dir, dir
#define IDENTITY_ORDER                                                                             \
  "p.member_id%s, p.relationship%s, p.first_name_fold%s, p.date_of_birth%s, p.rowid%s"

static PdPeopleSort
filter_sort (const PdPeopleFilter *filter)
{
  return CLAMP (filter->sort, 0, PD_PEOPLE_N_SORTS - 1);
}

static void
append_order (GString *sql, const PdPeopleFilter *filter)
{
  const char *dir = filter->descending ? " DESC" : "";
  const char *key = sort_keys[filter_sort (filter)];

  g_string_append (sql, " ORDER BY ");
  if (filter_sort (filter) == PD_PEOPLE_SORT_MEMBER_ID)
    {
      g_string_append_printf (sql, IDENTITY_ORDER, dir, dir, dir, dir, dir);
      return;
    }
  if (key != NULL)
    g_string_append_printf (sql, "%s%s, ", key, dir);
  g_string_append_printf (sql, NAME_ORDER, NAME_ORDER_ARGS (dir));
}

/* The scan can read the name index alone: no search, and no sort key from the table. */
static gboolean
scan_is_covered (const PdPeopleFilter *filter)
{
  PdPeopleSort sort = filter_sort (filter);

  return search_is_empty (filter->search) && (sort_keys[sort] == NULL || key_in_name_index[sort]);
}

/* WHERE: the partner's live people that pass the filters and the search. */
static void
append_where (GString *sql, const PdPeopleFilter *filter)
{
  g_string_append (sql, " WHERE p.partner_id = :partner AND p.deleted = 0");
  if (nonempty (filter->eligibility))
    g_string_append (sql, " AND p.eligibility_status = :eligibility");
  if (nonempty (filter->enrollment))
    g_string_append (sql, " AND p.enrollment_status = :enrollment");
  if (nonempty (filter->relationship))
    g_string_append (sql, " AND p.relationship = :relationship");
  if (!search_is_empty (filter->search))
    g_string_append (sql, " AND pd_people_match (p.display_name, p.member_id, p.email)");
}

/* The first LIMIT people in order, with their rows. */
static char *
build_first_page (const PdPeopleFilter *filter, guint limit)
{
  GString *sql = g_string_new ("SELECT p.rowid, p.eligibility_status = 'eligible'");

  g_string_append_printf (sql, ", %s, " EMPLOYEE_NAME_SQL " FROM persons p", person_columns ());
  append_where (sql, filter);
  append_order (sql, filter);
  g_string_append_printf (sql, " LIMIT %u", limit);
  return g_string_free (sql, FALSE);
}

/* Every matching person with the sort's key when it has one: from the name index alone,
 * in its order, when it holds all that is asked (scan_is_covered); else from the table
 * in row id order (sequential reads), within the partner's range of row ids. */
static char *
build_scan (const PdPeopleFilter *filter)
{
  GString    *sql = g_string_new ("SELECT p.rowid, p.eligibility_status = 'eligible'");
  const char *key = sort_keys[filter_sort (filter)];

  if (key != NULL)
    g_string_append_printf (sql, ", %s", key);
  if (scan_is_covered (filter))
    {
      g_string_append (sql, " FROM persons p INDEXED BY persons_partner_name");
      append_where (sql, filter);
      g_string_append_printf (sql, " ORDER BY " NAME_ORDER_ASC, NAME_ORDER_ARGS (""));
      return g_string_free (sql, FALSE);
    }
  g_string_append (sql, " FROM persons p NOT INDEXED");
  append_where (sql, filter);
  g_string_append (sql, " AND p.rowid BETWEEN :min AND :max");
  return g_string_free (sql, FALSE);
}

/* The partner's live people in the order of the sort's index (covering: no table reads). */
static char *
build_index_order (const PdPeopleFilter *filter)
{
  if (filter_sort (filter) == PD_PEOPLE_SORT_MEMBER_ID)
    return g_strdup ("SELECT p.rowid FROM persons p INDEXED BY persons_identity"
                     " WHERE p.partner_id = :partner AND p.deleted = 0"
                     " ORDER BY p.member_id, p.relationship,"
                     " p.first_name_fold, p.date_of_birth, p.rowid");
  return g_strdup_printf ("SELECT p.rowid FROM persons p INDEXED BY persons_partner_name"
                          " WHERE p.partner_id = :partner AND p.deleted = 0"
                          " ORDER BY " NAME_ORDER_ASC, NAME_ORDER_ARGS (""));
}

static void
bind_named (sqlite3_stmt *stmt, const char *name, const char *value)
{
  int index = sqlite3_bind_parameter_index (stmt, name);

  if (index > 0)
    sqlite3_bind_text (stmt, index, value, -1, SQLITE_TRANSIENT);
}

/* Rows to records */

static PdRecord *
person_from_row (sqlite3_stmt *stmt, int first)
{
  PdRecord   *person = _pd_record_new_empty (&pd_person_type);
  int         employee_col = first + N_META + (int)pd_person_type.n_fields;
  const char *employee;

  _pd_record_set_meta (person, (const char *)sqlite3_column_text (stmt, first),
                       sqlite3_column_int64 (stmt, first + 1),
                       (const char *)sqlite3_column_text (stmt, first + 2),
                       (const char *)sqlite3_column_text (stmt, first + 3),
                       (const char *)sqlite3_column_text (stmt, first + 4),
                       sqlite3_column_int (stmt, first + 5) != 0);
  for (guint i = 0; i < pd_person_type.n_fields; i++)
    {
      int         col = first + N_META + (int)i;
      PdFieldType type = pd_person_type.fields[i].type;

      if (sqlite3_column_type (stmt, col) == SQLITE_NULL)
        continue;
      if (type == PD_FIELD_INT || type == PD_FIELD_MONEY || type == PD_FIELD_PERCENT
          || type == PD_FIELD_BOOL)
        _pd_record_load_int (person, i, sqlite3_column_int64 (stmt, col));
      else
        _pd_record_load_string (person, i, (const char *)sqlite3_column_text (stmt, col));
    }
  employee = (const char *)sqlite3_column_text (stmt, employee_col);
  if (employee != NULL)
    g_object_set_qdata_full (G_OBJECT (person), employee_name_quark (), g_strdup (employee),
                             g_free);
  return person;
}

const char *
pd_people_get_employee_name (PdRecord *person)
{
  g_return_val_if_fail (PD_IS_RECORD (person), NULL);

  return g_object_get_qdata (G_OBJECT (person), employee_name_quark ());
}

/* Search: each folded word must occur in the folded name, member ID or email. */

typedef struct
{
  char   **words;
  GString *haystack;
} Matcher;

static void
matcher_free (gpointer data)
{
  Matcher *matcher = data;

  g_strfreev (matcher->words);
  g_string_free (matcher->haystack, TRUE);
  g_free (matcher);
}

static Matcher *
matcher_new (const char *search)
{
  Matcher         *matcher = g_new0 (Matcher, 1);
  g_autofree char *folded = pd_text_fold (search);
  g_auto (GStrv) parts = g_strsplit_set (folded, " \t\n\r", -1);
  GPtrArray *words = g_ptr_array_new ();

  for (guint i = 0; parts[i] != NULL; i++)
    if (*parts[i] != '\0')
      g_ptr_array_add (words, g_strdup (parts[i]));
  g_ptr_array_add (words, NULL);
  matcher->words = (char **)g_ptr_array_free (words, FALSE);
  matcher->haystack = g_string_sized_new (256);
  return matcher;
}

/* ASCII text is folded by lowering it; anything else by pd_text_fold. */
static void
append_folded (GString *haystack, const char *text)
{
  g_autofree char *folded = NULL;
  const char      *p;

  if (text == NULL)
    return;
  for (p = text; *p && !(*p & 0x80); p++)
    ;
  if (*p == '\0')
    {
      for (p = text; *p; p++)
        g_string_append_c (haystack, g_ascii_tolower (*p));
      return;
    }
  folded = pd_text_fold (text);
  g_string_append (haystack, folded);
}

static void
match_function (sqlite3_context *context, int argc, sqlite3_value **argv)
{
  Matcher *matcher = sqlite3_user_data (context);

  g_string_truncate (matcher->haystack, 0);
  for (int i = 0; i < argc; i++)
    {
      append_folded (matcher->haystack, (const char *)sqlite3_value_text (argv[i]));
      g_string_append_c (matcher->haystack, '\n');
    }
  for (guint i = 0; matcher->words[i] != NULL; i++)
    if (strstr (matcher->haystack->str, matcher->words[i]) == NULL)
      {
        sqlite3_result_int (context, 0);
        return;
      }
  sqlite3_result_int (context, 1);
}

/* The worker's connection */

static int
progress_handler (void *data)
{
  return g_cancellable_is_cancelled (data) ? 1 : 0;
}

static gboolean
set_sqlite_error (sqlite3 *db, int rc, GError **error)
{
  g_set_error (error, PD_ERROR, PD_ERROR_DATABASE, _ ("Could not read the people: %s"),
               db ? sqlite3_errmsg (db) : sqlite3_errstr (rc));
  return FALSE;
}

static sqlite3 *
open_reader (const char *db_path, const char *search, GCancellable *cancellable, GError **error)
{
  sqlite3 *db = NULL;
  int      rc = sqlite3_open_v2 (db_path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);

  if (rc != SQLITE_OK)
    {
      set_sqlite_error (db, rc, error);
      sqlite3_close (db);
      return NULL;
    }
  sqlite3_busy_timeout (db, 5000);
  /* Two passes over a million rows read each page once: a small cache and no memory map
   * keep the worker's memory flat (a map would count the whole file as ours). */
  sqlite3_exec (db, "PRAGMA mmap_size = 0; PRAGMA cache_size = -8000", NULL, NULL, NULL);
  if (cancellable != NULL)
    sqlite3_progress_handler (db, 4000, progress_handler, cancellable);
  if (!search_is_empty (search))
    sqlite3_create_function_v2 (db, "pd_people_match", 3, SQLITE_UTF8, matcher_new (search),
                                match_function, NULL, NULL, matcher_free);
  return db;
}

static sqlite3_stmt *
prepare_bound (sqlite3 *db, const char *sql, const PdPeopleFilter *filter, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  int           rc = sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL);

  if (rc != SQLITE_OK)
    {
      set_sqlite_error (db, rc, error);
      return NULL;
    }
  bind_named (stmt, ":partner", filter->partner_id);
  bind_named (stmt, ":eligibility", filter->eligibility);
  bind_named (stmt, ":enrollment", filter->enrollment);
  bind_named (stmt, ":relationship", filter->relationship);
  return stmt;
}

/* Finalizes STMT; FALSE with the reason (cancelled or the database's) unless RC is DONE. */
static gboolean
finish_stmt (sqlite3 *db, sqlite3_stmt *stmt, int rc, GCancellable *cancellable, GError **error)
{
  gboolean ok = rc == SQLITE_DONE;

  if (!ok && !g_cancellable_set_error_if_cancelled (cancellable, error))
    set_sqlite_error (db, sqlite3_errcode (db), error);
  sqlite3_finalize (stmt);
  return ok;
}

static gboolean
run_first_page (sqlite3 *db, const PdPeopleFilter *filter, guint limit, PdPeopleResult *result,
                GCancellable *cancellable, GError **error)
{
  g_autofree char *sql = build_first_page (filter, limit);
  sqlite3_stmt    *stmt = prepare_bound (db, sql, filter, error);
  int              rc;

  if (stmt == NULL)
    return FALSE;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint64 rowid = sqlite3_column_int64 (stmt, 0);

      g_array_append_val (result->rowids, rowid);
      if (sqlite3_column_int (stmt, 1))
        result->n_eligible++;
      g_ptr_array_add (result->rows, person_from_row (stmt, 2));
    }
  return finish_stmt (db, stmt, rc, cancellable, error);
}

/* The whole result in two passes that read no row at random: the matching people in
 * table order (with their sort key), then the sort's index, covering, keeping those
 * people; a sort key reorders them by a counting sort on the key's rank, stable, so
 * ties keep the index's order. Descending is the exact reverse. */
typedef struct
{
  GArray     *rowids;    /* gint64, table order */
  GArray     *codes;     /* guint32, index into keys (keyed sorts) */
  GPtrArray  *keys;      /* distinct key values; NULL for unset */
  GHashTable *key_codes; /* value -> code + 1 */
  int         null_code; /* code of the unset value, -1 until seen */
  guint       n_eligible;
  gboolean    name_order; /* rowids are in the name index's order, not the table's */
} Scan;

static void
scan_init (Scan *scan)
{
  scan->rowids = g_array_new (FALSE, FALSE, sizeof (gint64));
  scan->codes = g_array_new (FALSE, FALSE, sizeof (guint32));
  scan->keys = g_ptr_array_new_with_free_func (g_free);
  scan->key_codes = g_hash_table_new (g_str_hash, g_str_equal);
  scan->null_code = -1;
  scan->n_eligible = 0;
  scan->name_order = FALSE;
}

static void
scan_clear (Scan *scan)
{
  g_array_unref (scan->rowids);
  g_array_unref (scan->codes);
  g_hash_table_unref (scan->key_codes);
  g_ptr_array_unref (scan->keys);
}

static guint32
scan_intern (Scan *scan, const char *value)
{
  gpointer code;
  char    *copy;

  if (value == NULL)
    {
      if (scan->null_code < 0)
        {
          scan->null_code = (int)scan->keys->len;
          g_ptr_array_add (scan->keys, NULL);
        }
      return (guint32)scan->null_code;
    }
  code = g_hash_table_lookup (scan->key_codes, value);
  if (code != NULL)
    return GPOINTER_TO_UINT (code) - 1;
  copy = g_strdup (value);
  g_ptr_array_add (scan->keys, copy);
  g_hash_table_insert (scan->key_codes, copy, GUINT_TO_POINTER (scan->keys->len));
  return scan->keys->len - 1;
}

/* The smallest and largest row id of the partner's live people (covering). */
static gboolean
partner_range (sqlite3 *db, const PdPeopleFilter *filter, gint64 *min, gint64 *max,
               GCancellable *cancellable, GError **error)
{
  sqlite3_stmt *stmt = prepare_bound (db,
                                      "SELECT min (p.rowid), max (p.rowid) FROM persons p"
                                      " INDEXED BY persons_partner_name"
                                      " WHERE p.partner_id = :partner AND p.deleted = 0",
                                      filter, error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      *min = sqlite3_column_int64 (stmt, 0);
      *max = sqlite3_column_int64 (stmt, 1);
      rc = sqlite3_step (stmt);
    }
  return finish_stmt (db, stmt, rc, cancellable, error);
}

static gboolean
scan_rows (sqlite3 *db, const PdPeopleFilter *filter, Scan *scan, GCancellable *cancellable,
           GError **error)
{
  g_autofree char *sql = build_scan (filter);
  gboolean         keyed = sort_keys[filter_sort (filter)] != NULL;
  sqlite3_stmt    *stmt;
  gint64           min = 0, max = -1;
  int              rc;

  scan->name_order = scan_is_covered (filter);
  if (!scan->name_order && !partner_range (db, filter, &min, &max, cancellable, error))
    return FALSE;
  stmt = prepare_bound (db, sql, filter, error);
  if (stmt == NULL)
    return FALSE;
  if (!scan->name_order)
    {
      sqlite3_bind_int64 (stmt, sqlite3_bind_parameter_index (stmt, ":min"), min);
      sqlite3_bind_int64 (stmt, sqlite3_bind_parameter_index (stmt, ":max"), max);
    }
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint64 rowid = sqlite3_column_int64 (stmt, 0);

      g_array_append_val (scan->rowids, rowid);
      if (sqlite3_column_int (stmt, 1))
        scan->n_eligible++;
      if (keyed)
        {
          guint32 code = scan_intern (scan, (const char *)sqlite3_column_text (stmt, 2));

          g_array_append_val (scan->codes, code);
        }
    }
  return finish_stmt (db, stmt, rc, cancellable, error);
}

static int
compare_keys (gconstpointer a, gconstpointer b, gpointer user_data)
{
  GPtrArray  *keys = user_data;
  const char *ka = g_ptr_array_index (keys, *(const guint32 *)a);
  const char *kb = g_ptr_array_index (keys, *(const guint32 *)b);

  if (ka == NULL || kb == NULL)
    return (ka != NULL) - (kb != NULL);
  return strcmp (ka, kb);
}

/* rank[code]: the position of each distinct key in ascending order (unset first). */
static guint32 *
rank_keys (Scan *scan)
{
  guint               n = scan->keys->len;
  g_autofree guint32 *order = g_new (guint32, n);
  guint32            *rank = g_new (guint32, n);

  for (guint i = 0; i < n; i++)
    order[i] = i;
  g_qsort_with_data (order, n, sizeof (guint32), compare_keys, scan->keys);
  for (guint i = 0; i < n; i++)
    rank[order[i]] = i;
  return rank;
}

/* marks[rowid - min]: 0 when not in the result, else 1 + the rank of its key. */
static guint32 *
mark_rows (Scan *scan, gint64 *min, gint64 *max)
{
  g_autofree guint32 *rank = scan->codes->len ? rank_keys (scan) : NULL;
  guint32            *marks;

  *min = G_MAXINT64;
  *max = G_MININT64;
  for (guint i = 0; i < scan->rowids->len; i++)
    {
      gint64 rowid = g_array_index (scan->rowids, gint64, i);

      *min = MIN (*min, rowid);
      *max = MAX (*max, rowid);
    }
  marks = g_new0 (guint32, *max - *min + 1);
  for (guint i = 0; i < scan->rowids->len; i++)
    marks[g_array_index (scan->rowids, gint64, i) - *min]
        = rank ? 1 + rank[g_array_index (scan->codes, guint32, i)] : 1;
  return marks;
}

/* Stable counting sort of ROWIDS by their ranks, into OUT. */
static void
sort_by_rank (GArray *rowids, GArray *ranks, guint n_ranks, GArray *out)
{
  g_autofree guint *start = g_new0 (guint, n_ranks + 1);

  for (guint i = 0; i < ranks->len; i++)
    start[g_array_index (ranks, guint32, i) + 1]++;
  for (guint r = 0; r < n_ranks; r++)
    start[r + 1] += start[r];
  g_array_set_size (out, rowids->len);
  for (guint i = 0; i < rowids->len; i++)
    g_array_index (out, gint64, start[g_array_index (ranks, guint32, i)]++)
        = g_array_index (rowids, gint64, i);
}

static void
reverse_rowids (GArray *rowids)
{
  for (guint i = 0, j = rowids->len; i + 1 < j; i++, j--)
    {
      gint64 t = g_array_index (rowids, gint64, i);

      g_array_index (rowids, gint64, i) = g_array_index (rowids, gint64, j - 1);
      g_array_index (rowids, gint64, j - 1) = t;
    }
}

/* The scan read the name index in its order: the name order is there already, a key's
 * order is a stable counting sort away. */
static void
order_scanned (const PdPeopleFilter *filter, Scan *scan, PdPeopleResult *result)
{
  g_autofree guint32 *rank = NULL;
  g_autoptr (GArray) ranks = NULL;

  if (scan->codes->len == 0)
    g_array_append_vals (result->rowids, scan->rowids->data, scan->rowids->len);
  else
    {
      rank = rank_keys (scan);
      ranks = g_array_sized_new (FALSE, FALSE, sizeof (guint32), scan->codes->len);
      for (guint i = 0; i < scan->codes->len; i++)
        g_array_append_val (ranks, rank[g_array_index (scan->codes, guint32, i)]);
      sort_by_rank (scan->rowids, ranks, scan->keys->len, result->rowids);
    }
  if (filter->descending)
    reverse_rowids (result->rowids);
}

static gboolean
order_rows (sqlite3 *db, const PdPeopleFilter *filter, Scan *scan, PdPeopleResult *result,
            GCancellable *cancellable, GError **error)
{
  gboolean keyed = scan->codes->len > 0;
  g_autoptr (GArray) kept = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr (GArray) ranks = g_array_new (FALSE, FALSE, sizeof (guint32));
  g_autofree guint32 *marks = NULL;
  g_autofree char    *sql = NULL;
  sqlite3_stmt       *stmt;
  gint64              min, max;
  int                 rc;

  if (scan->rowids->len == 0)
    return TRUE;
  if (scan->name_order && filter_sort (filter) != PD_PEOPLE_SORT_MEMBER_ID)
    {
      order_scanned (filter, scan, result);
      return TRUE;
    }
  marks = mark_rows (scan, &min, &max);
  sql = build_index_order (filter);
  stmt = prepare_bound (db, sql, filter, error);
  if (stmt == NULL)
    return FALSE;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint64  rowid = sqlite3_column_int64 (stmt, 0);
      guint32 mark = rowid >= min && rowid <= max ? marks[rowid - min] : 0;

      if (mark == 0)
        continue;
      g_array_append_val (keyed ? kept : result->rowids, rowid);
      if (keyed)
        {
          guint32 rank = mark - 1;

          g_array_append_val (ranks, rank);
        }
    }
  if (!finish_stmt (db, stmt, rc, cancellable, error))
    return FALSE;
  if (keyed)
    sort_by_rank (kept, ranks, scan->keys->len, result->rowids);
  if (filter->descending)
    reverse_rowids (result->rowids);
  return TRUE;
}

static gboolean
run_full (sqlite3 *db, const PdPeopleFilter *filter, PdPeopleResult *result,
          GCancellable *cancellable, GError **error)
{
  Scan     scan;
  gboolean ok;

  /* One read transaction: both passes see the same snapshot. */
  if (sqlite3_exec (db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
    return set_sqlite_error (db, sqlite3_errcode (db), error);
  scan_init (&scan);
  ok = scan_rows (db, filter, &scan, cancellable, error)
       && order_rows (db, filter, &scan, result, cancellable, error);
  result->n_eligible = scan.n_eligible;
  scan_clear (&scan);
  sqlite3_exec (db, "COMMIT", NULL, NULL, NULL);
  return ok;
}

PdPeopleResult *
pd_people_query_run (const char *db_path, const PdPeopleFilter *filter, guint limit,
                     GCancellable *cancellable, GError **error)
{
  g_autoptr (PdPeopleResult) result = g_new0 (PdPeopleResult, 1);
  sqlite3 *db;
  gboolean ok;

  g_return_val_if_fail (db_path != NULL && filter != NULL, NULL);

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;
  result->rowids = g_array_new (FALSE, FALSE, sizeof (gint64));
  if (limit > 0)
    result->rows = g_ptr_array_new_with_free_func (g_object_unref);
  if (filter->partner_id == NULL)
    {
      result->complete = TRUE;
      return g_steal_pointer (&result);
    }
  db = open_reader (db_path, filter->search, cancellable, error);
  if (db == NULL)
    return NULL;
  ok = limit > 0 ? run_first_page (db, filter, limit, result, cancellable, error)
                 : run_full (db, filter, result, cancellable, error);
  sqlite3_close (db);
  if (!ok)
    return NULL;
  result->complete = limit == 0 || result->rowids->len < limit;
  return g_steal_pointer (&result);
}

typedef struct
{
  char           *db_path;
  PdPeopleFilter *filter;
  guint           limit;
} RunData;

static void
run_data_free (gpointer data)
{
  RunData *run = data;

  g_free (run->db_path);
  pd_people_filter_free (run->filter);
  g_free (run);
}

static void
run_thread (GTask *task, gpointer source_object, gpointer task_data, GCancellable *cancellable)
{
  RunData        *run = task_data;
  GError         *error = NULL;
  PdPeopleResult *result
      = pd_people_query_run (run->db_path, run->filter, run->limit, cancellable, &error);

  if (result == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, result, (GDestroyNotify)pd_people_result_free);
}

void
pd_people_query_run_async (const char *db_path, const PdPeopleFilter *filter, guint limit,
                           GCancellable *cancellable, GAsyncReadyCallback callback,
                           gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  RunData *run = g_new0 (RunData, 1);

  run->db_path = g_strdup (db_path);
  run->filter = pd_people_filter_copy (filter);
  run->limit = limit;
  g_task_set_source_tag (task, pd_people_query_run_async);
  g_task_set_return_on_cancel (task, FALSE);
  g_task_set_task_data (task, run, run_data_free);
  g_task_run_in_thread (task, run_thread);
}

PdPeopleResult *
pd_people_query_run_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Rows by row id, on the store's own connection */

static const char *
fetch_sql (void)
{
  static char *sql;
  static gsize once;

  if (g_once_init_enter (&once))
    {
      sql = g_strdup_printf ("SELECT %s, " EMPLOYEE_NAME_SQL " FROM persons p WHERE p.rowid = ?1",
                             person_columns ());
      g_once_init_leave (&once, 1);
    }
  return sql;
}

static void
unref_if_set (gpointer object)
{
  if (object != NULL)
    g_object_unref (object);
}

GPtrArray *
pd_people_query_fetch (PdStore *store, const gint64 *rowids, guint n, GError **error)
{
  g_autoptr (GPtrArray) rows = g_ptr_array_new_full (n, unref_if_set);

  g_return_val_if_fail (PD_IS_STORE (store), NULL);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr (PdStmt) stmt = _pd_store_prepare (store, fetch_sql (), error);
      int rc;

      if (stmt == NULL)
        return NULL;
      sqlite3_bind_int64 (stmt, 1, rowids[i]);
      rc = sqlite3_step (stmt);
      if (rc == SQLITE_ROW)
        g_ptr_array_add (rows, person_from_row (stmt, 0));
      else if (rc == SQLITE_DONE)
        g_ptr_array_add (rows, NULL);
      else
        {
          _pd_store_set_error (store, rc, error);
          return NULL;
        }
    }
  return g_steal_pointer (&rows);
}

gint64
pd_people_query_find_rowid (PdStore *store, const char *id)
{
  g_autoptr (PdStmt) stmt = NULL;

  g_return_val_if_fail (PD_IS_STORE (store), 0);

  stmt = _pd_store_prepare (store, "SELECT rowid FROM persons WHERE id = ?1", NULL);
  if (stmt == NULL)
    return 0;
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_TRANSIENT);
  return sqlite3_step (stmt) == SQLITE_ROW ? sqlite3_column_int64 (stmt, 0) : 0;
}
