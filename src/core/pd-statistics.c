/* pd-statistics.c: periods, and booking counts, revenue and commission by SQL aggregates. */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <stdio.h>
#include <string.h>

#include "pd-commerce-private.h"
#include "pd-error.h"
#include "pd-statistics.h"

/* Periods */

char *
_pd_utc_text_of_date_time (GDateTime *date_time)
{
  g_autoptr(GDateTime) utc = g_date_time_to_utc (date_time);

  return g_date_time_format (utc, "%Y-%m-%dT%H:%M:%SZ");
}

char *
_pd_utc_text_of_local_date (const GDate *date)
{
  g_autoptr(GDateTime) local = g_date_time_new_local (g_date_get_year (date),
                                                      g_date_get_month (date),
                                                      g_date_get_day (date), 0, 0, 0);

  return _pd_utc_text_of_date_time (local);
}

static void
set_months (PdPeriod *period,
            int       year,
            int       month,
            int       n_months)
{
  g_date_clear (&period->from, 1);
  g_date_clear (&period->to, 1);
  g_date_set_dmy (&period->from, 1, (GDateMonth) month, (GDateYear) year);
  period->to = period->from;
  g_date_add_months (&period->to, (guint) n_months);
}

void
pd_period_init_month (PdPeriod *period,
                      int       year,
                      int       month)
{
  g_return_if_fail (period != NULL);
  g_return_if_fail (month >= 1 && month <= 12 && year >= 1 && year < 9999);

  set_months (period, year, month, 1);
}

void
pd_period_init (PdPeriod     *period,
                PdPeriodKind  kind,
                const GDate  *today)
{
  GDate now;
  int year, month, quarter;

  g_return_if_fail (period != NULL);

  g_date_clear (&now, 1);
  if (today)
    now = *today;
  else
    {
      g_autoptr(GDateTime) dt = g_date_time_new_now_local ();

      g_date_set_dmy (&now, (GDateDay) g_date_time_get_day_of_month (dt),
                      (GDateMonth) g_date_time_get_month (dt),
                      (GDateYear) g_date_time_get_year (dt));
    }
  year = g_date_get_year (&now);
  month = g_date_get_month (&now);
  quarter = (month - 1) / 3 * 3 + 1;
  switch (kind)
    {
    case PD_PERIOD_THIS_MONTH:
      set_months (period, year, month, 1);
      break;
    case PD_PERIOD_LAST_MONTH:
      set_months (period, month == 1 ? year - 1 : year, month == 1 ? 12 : month - 1, 1);
      break;
    case PD_PERIOD_THIS_QUARTER:
      set_months (period, year, quarter, 3);
      break;
    case PD_PERIOD_LAST_QUARTER:
      set_months (period, quarter == 1 ? year - 1 : year, quarter == 1 ? 10 : quarter - 3, 3);
      break;
    case PD_PERIOD_THIS_YEAR:
      set_months (period, year, 1, 12);
      break;
    case PD_PERIOD_LAST_YEAR:
    default:
      set_months (period, year - 1, 1, 12);
      break;
    }
}

gboolean
pd_period_init_dates (PdPeriod     *period,
                      const GDate  *first,
                      const GDate  *last,
                      GError      **error)
{
  char a[16], b[16];

  g_return_val_if_fail (period != NULL && first != NULL && last != NULL, FALSE);

  if (!g_date_valid (first) || !g_date_valid (last))
    {
      g_set_error_literal (error, PD_ERROR, PD_ERROR_INVALID,
                           _("Choose the first and the last day of the period"));
      return FALSE;
    }
  if (g_date_compare (last, first) < 0)
    {
      g_date_strftime (a, sizeof a, "%Y-%m-%d", first);
      g_date_strftime (b, sizeof b, "%Y-%m-%d", last);
      g_set_error (error, PD_ERROR, PD_ERROR_INVALID,
                   /* TRANSLATORS: last day, first day */
                   _("The period ends (%s) before it starts (%s)"), b, a);
      return FALSE;
    }
  period->from = *first;
  period->to = *last;
  g_date_add_days (&period->to, 1);
  return TRUE;
}

static gboolean
parse_iso_date (const char  *text,
                GDate       *date,
                GError     **error)
{
  int y, m, d;
  char end;

  g_date_clear (date, 1);
  if (text && sscanf (text, "%4d-%2d-%2d%c", &y, &m, &d, &end) == 3 && strlen (text) == 10
      && g_date_valid_dmy ((GDateDay) d, (GDateMonth) m, (GDateYear) y))
    {
      g_date_set_dmy (date, (GDateDay) d, (GDateMonth) m, (GDateYear) y);
      return TRUE;
    }
  g_set_error (error, PD_ERROR, PD_ERROR_INVALID,
               _("“%s” is not a date like 2026-03-31"), text ? text : "");
  return FALSE;
}

gboolean
pd_period_init_custom (PdPeriod    *period,
                       const char  *first,
                       const char  *last,
                       GError     **error)
{
  GDate a, b;

  g_return_val_if_fail (period != NULL, FALSE);

  if (!parse_iso_date (first, &a, error) || !parse_iso_date (last, &b, error))
    return FALSE;
  return pd_period_init_dates (period, &a, &b, error);
}

static gboolean
is_months (const PdPeriod *period,
           int             n)
{
  GDate end = period->from;

  if (g_date_get_day (&period->from) != 1)
    return FALSE;
  g_date_add_months (&end, (guint) n);
  return g_date_compare (&end, &period->to) == 0;
}

char *
pd_period_format (const PdPeriod *period)
{
  int year, month;
  GDate last;
  char a[16], b[16];

  g_return_val_if_fail (period != NULL, NULL);

  year = g_date_get_year (&period->from);
  month = g_date_get_month (&period->from);
  if (is_months (period, 1))
    {
      g_autoptr(GDateTime) dt = g_date_time_new_local (year, month, 1, 0, 0, 0);

      /* TRANSLATORS: a month in a period, see g_date_time_format: "March 2026" */
      return g_date_time_format (dt, C_("period", "%B %Y"));
    }
  if (is_months (period, 3) && (month - 1) % 3 == 0)
    /* TRANSLATORS: a quarter: "Q1 2026" */
    return g_strdup_printf (_("Q%d %d"), (month - 1) / 3 + 1, year);
  if (is_months (period, 12) && month == 1)
    return g_strdup_printf ("%d", year);
  last = period->to;
  g_date_subtract_days (&last, 1);
  g_date_strftime (a, sizeof a, "%Y-%m-%d", &period->from);
  g_date_strftime (b, sizeof b, "%Y-%m-%d", &last);
  /* TRANSLATORS: first day – last day */
  return g_strdup_printf (_("%s – %s"), a, b);
}

char *
pd_period_dup_utc_from (const PdPeriod *period)
{
  g_return_val_if_fail (period != NULL, NULL);
  return _pd_utc_text_of_local_date (&period->from);
}

char *
pd_period_dup_utc_to (const PdPeriod *period)
{
  g_return_val_if_fail (period != NULL, NULL);
  return _pd_utc_text_of_local_date (&period->to);
}

/* Statistics */

void
pd_statistics_row_free (PdStatisticsRow *row)
{
  if (row == NULL)
    return;
  g_free (row->id);
  g_free (row->title);
  g_free (row);
}

void
pd_statistics_free (PdStatistics *stats)
{
  if (stats == NULL)
    return;
  g_free (stats->partner_id);
  g_free (stats->total.title);
  g_clear_pointer (&stats->by_examination, g_ptr_array_unref);
  g_clear_pointer (&stats->by_institution, g_ptr_array_unref);
  g_free (stats);
}

static void
row_add (PdStatisticsRow *row,
         gboolean         cancelled,
         gint64           count,
         gint64           revenue,
         gint64           commission)
{
  if (cancelled)
    {
      row->cancelled += count;
      return;
    }
  row->count += count;
  row->revenue += revenue;
  row->commission += commission;
}

static PdStatisticsRow *
row_for (GHashTable *rows,
         const char *id)
{
  PdStatisticsRow *row = g_hash_table_lookup (rows, id ? id : "");

  if (row == NULL)
    {
      row = g_new0 (PdStatisticsRow, 1);
      row->id = g_strdup (id);
      g_hash_table_insert (rows, row->id ? row->id : (char *) "", row);
    }
  return row;
}

/* id -> name of every record of TABLE (examinations, institutions, partners). */
static GHashTable *
load_names (PdStore    *store,
            const char *table,
            GError    **error)
{
  g_autofree char *sql = g_strdup_printf ("SELECT id, name FROM %s", table);
  g_autoptr(PdStmt) stmt = _pd_store_prepare (store, sql, error);
  g_autoptr(GHashTable) names = NULL;
  int rc;

  if (stmt == NULL)
    return NULL;
  names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_hash_table_insert (names, g_strdup ((const char *) sqlite3_column_text (stmt, 0)),
                         g_strdup ((const char *) sqlite3_column_text (stmt, 1)));
  if (rc != SQLITE_DONE)
    {
      _pd_store_set_error (store, rc, error);
      return NULL;
    }
  return g_steal_pointer (&names);
}

static int
compare_titles (gconstpointer a,
                gconstpointer b)
{
  const PdStatisticsRow *ra = *(PdStatisticsRow **) a;
  const PdStatisticsRow *rb = *(PdStatisticsRow **) b;

  return g_utf8_collate (ra->title ? ra->title : "", rb->title ? rb->title : "");
}

/* The rows of ROWS (stolen) with titles from NAMES, sorted by title. */
static GPtrArray *
finish_rows (GHashTable *rows,
             GHashTable *names)
{
  GPtrArray *array = g_ptr_array_new_with_free_func ((GDestroyNotify) pd_statistics_row_free);
  GHashTableIter iter;
  PdStatisticsRow *row;

  g_hash_table_iter_init (&iter, rows);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &row))
    {
      const char *name = row->id ? g_hash_table_lookup (names, row->id) : NULL;

      row->title = g_strdup (name ? name : row->id);
      g_ptr_array_add (array, row);
    }
  g_hash_table_steal_all (rows);
  g_ptr_array_sort (array, compare_titles);
  return array;
}

static gboolean
aggregate (PdStore         *store,
           PdStatistics    *stats,
           GHashTable      *by_exam,
           GHashTable      *by_inst,
           GError         **error)
{
  g_autoptr(PdStmt) stmt = NULL;
  g_autofree char *from = pd_period_dup_utc_from (&stats->period);
  g_autofree char *to = pd_period_dup_utc_to (&stats->period);
  int rc;

  /* One pass over the covering index, summed here: cheaper than GROUP BY's sort. */
  stmt = _pd_store_prepare (store, "SELECT examination_id, institution_id, "
                            "status = 'cancelled', price, commission "
                            "FROM bookings INDEXED BY bookings_partner_time "
                            "WHERE partner_id = ?1 AND booked_at >= ?2 AND booked_at < ?3 "
                            "AND deleted = 0", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, stats->partner_id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, from, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, to, -1, SQLITE_STATIC);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gboolean cancelled = sqlite3_column_int (stmt, 2) != 0;
      gint64 revenue = sqlite3_column_int64 (stmt, 3);
      gint64 commission = sqlite3_column_int64 (stmt, 4);

      row_add (&stats->total, cancelled, 1, revenue, commission);
      row_add (row_for (by_exam, (const char *) sqlite3_column_text (stmt, 0)), cancelled,
               1, revenue, commission);
      row_add (row_for (by_inst, (const char *) sqlite3_column_text (stmt, 1)), cancelled,
               1, revenue, commission);
    }
  if (rc != SQLITE_DONE)
    {
      _pd_store_set_error (store, rc, error);
      return FALSE;
    }
  return TRUE;
}

PdStatistics *
pd_statistics_compute (PdStore         *store,
                       const char      *partner_id,
                       const PdPeriod  *period,
                       GError         **error)
{
  g_autoptr(PdStatistics) stats = NULL;
  g_autoptr(GHashTable) by_exam = NULL;
  g_autoptr(GHashTable) by_inst = NULL;
  g_autoptr(GHashTable) exam_names = NULL;
  g_autoptr(GHashTable) inst_names = NULL;

  g_return_val_if_fail (PD_IS_STORE (store), NULL);
  g_return_val_if_fail (partner_id != NULL && period != NULL, NULL);

  stats = g_new0 (PdStatistics, 1);
  stats->partner_id = g_strdup (partner_id);
  stats->period = *period;
  stats->total.title = g_strdup (_("Total"));
  by_exam = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                   (GDestroyNotify) pd_statistics_row_free);
  by_inst = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                   (GDestroyNotify) pd_statistics_row_free);
  if (!aggregate (store, stats, by_exam, by_inst, error))
    return NULL;
  exam_names = load_names (store, "examinations", error);
  inst_names = exam_names ? load_names (store, "institutions", error) : NULL;
  if (inst_names == NULL)
    return NULL;
  stats->by_examination = finish_rows (by_exam, exam_names);
  stats->by_institution = finish_rows (by_inst, inst_names);
  return g_steal_pointer (&stats);
}

/* Lines */

void
pd_booking_line_free (PdBookingLine *line)
{
  if (line == NULL)
    return;
  g_free (line->booking_id);
  g_free (line->booked_at);
  g_free (line->examination_id);
  g_free (line->examination);
  g_free (line->institution_id);
  g_free (line->institution);
  g_free (line->patient);
  g_free (line);
}

static PdBookingLine *
line_from_row (sqlite3_stmt *stmt)
{
  PdBookingLine *line = g_new0 (PdBookingLine, 1);
  const char *code = (const char *) sqlite3_column_text (stmt, 3);
  const char *name = (const char *) sqlite3_column_text (stmt, 4);

  line->booking_id = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  line->booked_at = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
  line->examination_id = g_strdup ((const char *) sqlite3_column_text (stmt, 2));
  line->examination = code ? g_strdup_printf ("%s — %s", code, name ? name : "")
                           : g_strdup (name ? name : "");
  line->institution_id = g_strdup ((const char *) sqlite3_column_text (stmt, 5));
  line->institution = g_strdup ((const char *) sqlite3_column_text (stmt, 6));
  line->patient = g_strdup ((const char *) sqlite3_column_text (stmt, 7));
  line->price = sqlite3_column_int64 (stmt, 8);
  line->cancelled = g_strcmp0 ((const char *) sqlite3_column_text (stmt, 10), "cancelled") == 0;
  line->commission = line->cancelled ? 0 : sqlite3_column_int64 (stmt, 9);
  return line;
}

static void
bind_page (sqlite3_stmt *stmt,
           guint         offset,
           guint         limit)
{
  sqlite3_bind_int64 (stmt, 4, limit ? (gint64) limit : -1);
  sqlite3_bind_int64 (stmt, 5, offset);
}

GPtrArray *
pd_statistics_list_lines (PdStore        *store,
                          const char     *partner_id,
                          const PdPeriod *period,
                          guint           offset,
                          guint           limit,
                          GError        **error)
{
  g_autoptr(GPtrArray) lines = NULL;
  g_autoptr(PdStmt) stmt = NULL;
  g_autofree char *from = NULL;
  g_autofree char *to = NULL;
  int rc;

  g_return_val_if_fail (PD_IS_STORE (store), NULL);
  g_return_val_if_fail (partner_id != NULL && period != NULL, NULL);

  stmt = _pd_store_prepare (store, "SELECT b.id, b.booked_at, b.examination_id, e.code, e.name, "
                            "b.institution_id, i.name, coalesce (b.patient_name, p.display_name), "
                            "b.price, b.commission, b.status FROM bookings b "
                            "LEFT JOIN examinations e ON e.id = b.examination_id "
                            "LEFT JOIN institutions i ON i.id = b.institution_id "
                            "LEFT JOIN persons p ON p.id = b.person_id "
                            "WHERE b.partner_id = ?1 AND b.booked_at >= ?2 AND b.booked_at < ?3 "
                            "AND b.deleted = 0 ORDER BY b.booked_at, b.id LIMIT ?4 OFFSET ?5",
                            error);
  if (stmt == NULL)
    return NULL;
  from = pd_period_dup_utc_from (period);
  to = pd_period_dup_utc_to (period);
  sqlite3_bind_text (stmt, 1, partner_id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, from, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, to, -1, SQLITE_STATIC);
  bind_page (stmt, offset, limit);
  lines = g_ptr_array_new_with_free_func ((GDestroyNotify) pd_booking_line_free);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (lines, line_from_row (stmt));
  if (rc != SQLITE_DONE)
    {
      _pd_store_set_error (store, rc, error);
      return NULL;
    }
  return g_steal_pointer (&lines);
}

GPtrArray *
pd_statistics_list_bookings (PdStore        *store,
                             const char     *partner_id,
                             const PdPeriod *period,
                             guint           offset,
                             guint           limit,
                             GError        **error)
{
  g_autofree char *from = NULL;
  g_autofree char *to = NULL;
  g_autofree char *lim = NULL;
  g_autofree char *off = NULL;

  g_return_val_if_fail (PD_IS_STORE (store), NULL);
  g_return_val_if_fail (partner_id != NULL && period != NULL, NULL);

  from = pd_period_dup_utc_from (period);
  to = pd_period_dup_utc_to (period);
  lim = g_strdup_printf ("%" G_GINT64_FORMAT, limit ? (gint64) limit : G_GINT64_CONSTANT (-1));
  off = g_strdup_printf ("%u", offset);
  return _pd_store_query_records (store, &pd_booking_type,
                                  "partner_id = ?1 AND booked_at >= ?2 AND booked_at < ?3 "
                                  "ORDER BY booked_at, id "
                                  "LIMIT CAST (?4 AS INTEGER) OFFSET CAST (?5 AS INTEGER)",
                                  (const char *[]) { partner_id, from, to, lim, off, NULL },
                                  error);
}

static int
compare_revenue (gconstpointer a,
                 gconstpointer b)
{
  const PdStatisticsRow *ra = *(PdStatisticsRow **) a;
  const PdStatisticsRow *rb = *(PdStatisticsRow **) b;

  if (ra->revenue != rb->revenue)
    return ra->revenue > rb->revenue ? -1 : 1;
  return compare_titles (a, b);
}

GPtrArray *
pd_statistics_compare_partners (PdStore        *store,
                                const PdPeriod *period,
                                GError        **error)
{
  g_autoptr(PdStmt) stmt = NULL;
  g_autoptr(GHashTable) rows = NULL;
  g_autoptr(GHashTable) names = NULL;
  g_autofree char *from = NULL;
  g_autofree char *to = NULL;
  GPtrArray *array;
  int rc;

  g_return_val_if_fail (PD_IS_STORE (store), NULL);
  g_return_val_if_fail (period != NULL, NULL);

  stmt = _pd_store_prepare (store, "SELECT partner_id, status = 'cancelled', 1, price, "
                            "commission FROM bookings INDEXED BY bookings_time "
                            "WHERE booked_at >= ?1 AND booked_at < ?2 AND deleted = 0", error);
  if (stmt == NULL)
    return NULL;
  from = pd_period_dup_utc_from (period);
  to = pd_period_dup_utc_to (period);
  sqlite3_bind_text (stmt, 1, from, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, to, -1, SQLITE_STATIC);
  rows = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                (GDestroyNotify) pd_statistics_row_free);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    row_add (row_for (rows, (const char *) sqlite3_column_text (stmt, 0)),
             sqlite3_column_int (stmt, 1) != 0, sqlite3_column_int64 (stmt, 2),
             sqlite3_column_int64 (stmt, 3), sqlite3_column_int64 (stmt, 4));
  if (rc != SQLITE_DONE)
    {
      _pd_store_set_error (store, rc, error);
      return NULL;
    }
  names = load_names (store, "partners", error);
  if (names == NULL)
    return NULL;
  array = finish_rows (rows, names);
  g_ptr_array_sort (array, compare_revenue);
  return array;
}
