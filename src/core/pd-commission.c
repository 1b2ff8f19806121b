/* pd-commission.c: commission maths (integers, half up) and each partner's rate history. */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "pd-commerce-private.h"
#include "pd-commission.h"
#include "pd-error.h"
#include "pd-money.h"

gint64
pd_commission_percent_of (gint64 price,
                          gint64 hundredths)
{
  gint64 product = price * hundredths;

  /* Half up (away from zero for the negative amounts a credit might one day need). */
  if (product >= 0)
    return (product + 5000) / 10000;
  return -((-product + 5000) / 10000);
}

gint64
pd_commission_compute (const char *mode,
                       gint64      percent,
                       gint64      fixed,
                       gint64      price)
{
  if (g_strcmp0 (mode, "percentage") == 0)
    return pd_commission_percent_of (price, percent);
  if (g_strcmp0 (mode, "fixed") == 0)
    return fixed;
  return 0;
}

gint64
pd_commission_of_booking (PdRecord *booking)
{
  g_return_val_if_fail (PD_IS_RECORD (booking), 0);

  if (g_strcmp0 (pd_record_get_string (booking, "status"), "cancelled") == 0)
    return 0;
  return pd_record_get_int (booking, "commission");
}

void
pd_commission_rate_clear (PdCommissionRate *rate)
{
  g_clear_pointer (&rate->mode, g_free);
  g_clear_pointer (&rate->effective_from, g_free);
  rate->percent = 0;
  rate->fixed = 0;
}

/* Fills RATE from the first row of STMT; FALSE when there is none. */
static gboolean
read_rate (PdStmt           *stmt,
           PdCommissionRate *rate)
{
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return FALSE;
  rate->mode = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  rate->percent = sqlite3_column_int64 (stmt, 1);
  rate->fixed = sqlite3_column_int64 (stmt, 2);
  rate->effective_from = g_strdup ((const char *) sqlite3_column_text (stmt, 3));
  return TRUE;
}

static gboolean
rate_query (PdStore          *store,
            const char       *sql,
            const char       *partner_id,
            const char       *date,
            PdCommissionRate *rate,
            GError          **error,
            gboolean         *found)
{
  g_autoptr(PdStmt) stmt = _pd_store_prepare (store, sql, error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, partner_id, -1, SQLITE_STATIC);
  if (date)
    sqlite3_bind_text (stmt, 2, date, -1, SQLITE_STATIC);
  *found = read_rate (stmt, rate);
  return TRUE;
}

gboolean
pd_commission_rate_at (PdStore          *store,
                       const char       *partner_id,
                       const char       *date,
                       PdCommissionRate *rate,
                       GError          **error)
{
  g_autoptr(PdRecord) partner = NULL;
  gboolean found = FALSE;

  g_return_val_if_fail (PD_IS_STORE (store), FALSE);
  g_return_val_if_fail (partner_id != NULL && date != NULL && rate != NULL, FALSE);

  memset (rate, 0, sizeof *rate);
  if (!rate_query (store, "SELECT mode, percent, fixed, effective_from FROM commission_rates "
                   "WHERE partner_id = ?1 AND deleted = 0 AND effective_from <= ?2 "
                   "ORDER BY effective_from DESC, updated_at DESC LIMIT 1",
                   partner_id, date, rate, error, &found))
    return FALSE;
  if (!found && !rate_query (store, "SELECT mode, percent, fixed, effective_from "
                             "FROM commission_rates WHERE partner_id = ?1 AND deleted = 0 "
                             "ORDER BY effective_from, updated_at DESC LIMIT 1",
                             partner_id, NULL, rate, error, &found))
    return FALSE;
  if (found)
    return TRUE;
  partner = pd_store_get (store, &pd_partner_type, partner_id, error);
  if (partner == NULL)
    return FALSE;
  rate->mode = g_strdup (pd_record_get_string (partner, "commission_mode"));
  rate->percent = pd_record_get_int (partner, "commission_percent");
  rate->fixed = pd_record_get_int (partner, "commission_fixed");
  return TRUE;
}

/* The live rate of PARTNER_ID effective from DATE, or NULL. */
static PdRecord *
find_rate (PdStore    *store,
           const char *partner_id,
           const char *date)
{
  g_autoptr(PdStmt) stmt = _pd_store_prepare (store, "SELECT id FROM commission_rates "
                                              "WHERE partner_id = ?1 AND effective_from = ?2 "
                                              "AND deleted = 0 LIMIT 1", NULL);
  g_autofree char *id = NULL;

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, partner_id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, date, -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return NULL;
  id = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  return pd_store_get (store, &pd_commission_rate_type, id, NULL);
}

gboolean
pd_commission_add_rate (PdStore     *store,
                        const char  *partner_id,
                        const char  *effective_from,
                        const char  *mode,
                        gint64       percent,
                        gint64       fixed,
                        GError     **error)
{
  g_autoptr(PdRecord) rate = NULL;

  g_return_val_if_fail (PD_IS_STORE (store), FALSE);
  g_return_val_if_fail (partner_id != NULL && effective_from != NULL, FALSE);

  rate = find_rate (store, partner_id, effective_from);
  if (rate == NULL)
    {
      rate = pd_record_new (&pd_commission_rate_type);
      pd_record_set_string (rate, "partner_id", partner_id);
      pd_record_set_string (rate, "effective_from", effective_from);
    }
  pd_record_set_string (rate, "mode", mode);
  pd_record_set_int (rate, "percent", percent);
  pd_record_set_int (rate, "fixed", fixed);
  return pd_store_save (store, rate, error);
}

static int
compare_effective (gconstpointer a,
                   gconstpointer b)
{
  PdRecord *ra = *(PdRecord **) a;
  PdRecord *rb = *(PdRecord **) b;

  return g_strcmp0 (pd_record_get_string (ra, "effective_from"),
                    pd_record_get_string (rb, "effective_from"));
}

GPtrArray *
pd_commission_list_rates (PdStore    *store,
                          const char *partner_id,
                          GError    **error)
{
  GPtrArray *rates;

  g_return_val_if_fail (PD_IS_STORE (store), NULL);
  g_return_val_if_fail (partner_id != NULL, NULL);

  rates = pd_store_list (store, &pd_commission_rate_type, "partner_id", partner_id, error);
  if (rates)
    g_ptr_array_sort (rates, compare_effective);
  return rates;
}

static char *
today_text (void)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();

  return g_date_time_format (now, "%Y-%m-%d");
}

static gboolean
has_rates (PdStore    *store,
           const char *partner_id)
{
  g_autoptr(PdStmt) stmt = _pd_store_prepare (store, "SELECT 1 FROM commission_rates WHERE "
                                              "partner_id = ?1 AND deleted = 0 LIMIT 1", NULL);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, partner_id, -1, SQLITE_STATIC);
  return sqlite3_step (stmt) == SQLITE_ROW;
}

/* The history is written lazily: a new partner has no rate rows (its current terms are
 * the rate); the first change records the old terms from the partner's creation date,
 * then the new terms from today. */
gboolean
_pd_commission_record_terms (PdStore   *store,
                             PdRecord  *partner,
                             PdRecord  *old,
                             GError   **error)
{
  const char *id = pd_record_get_id (partner);
  g_autofree char *today = NULL;

  if (old == NULL
      || (pd_record_field_equal (partner, old, "commission_mode")
          && pd_record_field_equal (partner, old, "commission_percent")
          && pd_record_field_equal (partner, old, "commission_fixed")))
    return TRUE;
  today = today_text ();
  if (!has_rates (store, id))
    {
      g_autofree char *created = _pd_local_date_of_timestamp (pd_record_get_created_at (old));

      if (created && strcmp (created, today) < 0
          && !pd_commission_add_rate (store, id, created,
                                      pd_record_get_string (old, "commission_mode"),
                                      pd_record_get_int (old, "commission_percent"),
                                      pd_record_get_int (old, "commission_fixed"), error))
        return FALSE;
    }
  return pd_commission_add_rate (store, id, today,
                                 pd_record_get_string (partner, "commission_mode"),
                                 pd_record_get_int (partner, "commission_percent"),
                                 pd_record_get_int (partner, "commission_fixed"), error);
}

void
_pd_commission_validate (PdStore    *store,
                         PdRecord   *record,
                         GHashTable *errors)
{
  g_autofree char *max = NULL;

  (void) store;
  if (pd_record_get_int (record, "fixed") <= PD_COMMISSION_MAX_FIXED
      || g_hash_table_contains (errors, "fixed"))
    return;
  max = pd_money_format_plain (PD_COMMISSION_MAX_FIXED);
  g_hash_table_insert (errors, (gpointer) "fixed",
                       g_strdup_printf (_("A fixed commission can be at most %s"), max));
}
