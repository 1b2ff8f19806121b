/* pd-catalogue.c: examinations and their prices per institution; the catalogue rules. */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "pd-catalogue.h"
#include "pd-commission.h"
#include "pd-commerce-private.h"
#include "pd-error.h"
#include "pd-money.h"

/* A day: longer examinations are surely a typing mistake. */
#define MAX_DURATION 1440

void
pd_catalogue_entry_free (PdCatalogueEntry *entry)
{
  if (entry == NULL)
    return;
  g_clear_object (&entry->examination);
  g_clear_pointer (&entry->prices, g_hash_table_unref);
  g_free (entry);
}

static gboolean
add_prices (PdStore     *store,
            GHashTable  *by_id,
            GError     **error)
{
  g_autoptr(PdStmt) stmt = NULL;
  int rc;

  stmt = _pd_store_prepare (store, "SELECT examination_id, institution_id, price "
                            "FROM examination_prices WHERE deleted = 0", error);
  if (stmt == NULL)
    return FALSE;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      PdCatalogueEntry *entry = g_hash_table_lookup (by_id, sqlite3_column_text (stmt, 0));

      if (entry)
        g_hash_table_insert (entry->prices,
                             g_strdup ((const char *) sqlite3_column_text (stmt, 1)),
                             g_memdup2 (&(gint64) { sqlite3_column_int64 (stmt, 2) },
                                        sizeof (gint64)));
    }
  if (rc != SQLITE_DONE)
    {
      _pd_store_set_error (store, rc, error);
      return FALSE;
    }
  return TRUE;
}

GPtrArray *
pd_catalogue_list (PdStore   *store,
                   gboolean   include_archived,
                   GError   **error)
{
  g_autoptr(GPtrArray) exams = NULL;
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(GHashTable) by_id = NULL;

  g_return_val_if_fail (PD_IS_STORE (store), NULL);

  exams = pd_store_list (store, &pd_examination_type, NULL, NULL, error);
  if (exams == NULL)
    return NULL;
  entries = g_ptr_array_new_with_free_func ((GDestroyNotify) pd_catalogue_entry_free);
  by_id = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < exams->len; i++)
    {
      PdRecord *exam = g_ptr_array_index (exams, i);
      PdCatalogueEntry *entry;

      if (!include_archived && pd_record_get_bool (exam, "archived"))
        continue;
      entry = g_new0 (PdCatalogueEntry, 1);
      entry->examination = g_object_ref (exam);
      entry->prices = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
      g_hash_table_insert (by_id, (gpointer) pd_record_get_id (exam), entry);
      g_ptr_array_add (entries, entry);
    }
  if (!add_prices (store, by_id, error))
    return NULL;
  return g_steal_pointer (&entries);
}

gboolean
pd_catalogue_save_examination (PdStore   *store,
                               PdRecord  *examination,
                               GError   **error)
{
  g_return_val_if_fail (PD_IS_STORE (store), FALSE);
  g_return_val_if_fail (PD_IS_RECORD (examination), FALSE);
  g_return_val_if_fail (pd_record_get_record_type (examination) == &pd_examination_type, FALSE);

  return pd_store_save (store, examination, error);
}

gboolean
pd_catalogue_set_archived (PdStore    *store,
                           const char *examination_id,
                           gboolean    archived,
                           GError    **error)
{
  g_autoptr(PdRecord) exam = NULL;

  g_return_val_if_fail (PD_IS_STORE (store), FALSE);
  g_return_val_if_fail (examination_id != NULL, FALSE);

  exam = pd_store_get (store, &pd_examination_type, examination_id, error);
  if (exam == NULL)
    return FALSE;
  pd_record_set_bool (exam, "archived", archived);
  return pd_store_save (store, exam, error);
}

/* The id of the live price row of the cell, or NULL. */
static char *
find_price_row (PdStore    *store,
                const char *examination_id,
                const char *institution_id,
                gint64     *price)
{
  g_autoptr(PdStmt) stmt = NULL;

  stmt = _pd_store_prepare (store, "SELECT id, price FROM examination_prices "
                            "WHERE institution_id = ?1 AND examination_id = ?2 AND deleted = 0",
                            NULL);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, institution_id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, examination_id, -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return NULL;
  if (price)
    *price = sqlite3_column_int64 (stmt, 1);
  return g_strdup ((const char *) sqlite3_column_text (stmt, 0));
}

gboolean
pd_catalogue_get_price (PdStore    *store,
                        const char *examination_id,
                        const char *institution_id,
                        gint64     *price)
{
  g_autofree char *id = NULL;
  gint64 value = 0;

  g_return_val_if_fail (PD_IS_STORE (store), FALSE);
  g_return_val_if_fail (examination_id != NULL && institution_id != NULL, FALSE);

  id = find_price_row (store, examination_id, institution_id, &value);
  if (id && price)
    *price = value;
  return id != NULL;
}

gboolean
pd_catalogue_set_price (PdStore    *store,
                        const char *examination_id,
                        const char *institution_id,
                        gint64      price,
                        GError    **error)
{
  g_autofree char *id = NULL;
  g_autoptr(PdRecord) row = NULL;

  g_return_val_if_fail (PD_IS_STORE (store), FALSE);
  g_return_val_if_fail (examination_id != NULL && institution_id != NULL, FALSE);

  id = find_price_row (store, examination_id, institution_id, NULL);
  if (id)
    row = pd_store_get (store, &pd_examination_price_type, id, error);
  else
    {
      row = pd_record_new (&pd_examination_price_type);
      pd_record_set_string (row, "examination_id", examination_id);
      pd_record_set_string (row, "institution_id", institution_id);
    }
  if (row == NULL)
    return FALSE;
  pd_record_set_int (row, "price", price);
  return pd_store_save (store, row, error);
}

gboolean
pd_catalogue_clear_price (PdStore    *store,
                          const char *examination_id,
                          const char *institution_id,
                          GError    **error)
{
  g_autofree char *id = NULL;

  g_return_val_if_fail (PD_IS_STORE (store), FALSE);
  g_return_val_if_fail (examination_id != NULL && institution_id != NULL, FALSE);

  id = find_price_row (store, examination_id, institution_id, NULL);
  if (id == NULL)
    return TRUE;
  return pd_store_delete (store, &pd_examination_price_type, id, error);
}

static char *
price_bound_message (gint64 price)
{
  g_autofree char *max = NULL;

  if (price <= PD_CATALOGUE_MAX_PRICE)
    return NULL;
  max = pd_money_format_plain (PD_CATALOGUE_MAX_PRICE);
  /* TRANSLATORS: %s is an amount, "10,000,000.00" */
  return g_strdup_printf (_("A price can be at most %s"), max);
}

gboolean
pd_catalogue_parse_price (const char  *text,
                          gint64      *price,
                          char       **message)
{
  gint64 value = 0;
  char *bound;

  g_return_val_if_fail (price != NULL, FALSE);

  if (!pd_money_parse (text, &value, message))
    return FALSE;
  bound = price_bound_message (value);
  if (bound)
    {
      if (message)
        *message = bound;
      else
        g_free (bound);
      return FALSE;
    }
  *price = value;
  return TRUE;
}

/* Rules */

static void
add_error (GHashTable *errors,
           const char *field,
           char       *message)
{
  if (message == NULL)
    return;
  if (g_hash_table_contains (errors, field))
    g_free (message);
  else
    g_hash_table_insert (errors, (gpointer) field, message);
}

static void
validate_examination (PdRecord   *record,
                      GHashTable *errors)
{
  gint64 minutes = pd_record_get_int (record, "duration_minutes");

  if (!pd_record_is_set (record, "duration_minutes"))
    return;
  if (minutes <= 0)
    add_error (errors, "duration_minutes",
               g_strdup (_("The duration must be at least one minute")));
  else if (minutes > MAX_DURATION)
    add_error (errors, "duration_minutes",
               g_strdup_printf (_("The duration can be at most %d minutes"), MAX_DURATION));
}

static void
validate_price (PdStore    *store,
                PdRecord   *record,
                GHashTable *errors)
{
  const char *exam = pd_record_get_string (record, "examination_id");
  const char *inst = pd_record_get_string (record, "institution_id");
  g_autofree char *other = NULL;

  add_error (errors, "price", price_bound_message (pd_record_get_int (record, "price")));
  if (exam == NULL || inst == NULL || pd_record_get_deleted (record))
    return;
  other = find_price_row (store, exam, inst, NULL);
  if (other && strcmp (other, pd_record_get_id (record)) != 0)
    add_error (errors, "examination_id",
               g_strdup (_("This examination already has a price at this institution")));
}

static void
validate_partner_terms (PdRecord   *record,
                        GHashTable *errors)
{
  g_autofree char *max = NULL;

  if (!pd_record_field_applies (record, pd_record_type_get_field (&pd_partner_type,
                                                                   "commission_fixed"))
      || pd_record_get_int (record, "commission_fixed") <= PD_COMMISSION_MAX_FIXED)
    return;
  max = pd_money_format_plain (PD_COMMISSION_MAX_FIXED);
  add_error (errors, "commission_fixed",
             g_strdup_printf (_("A fixed commission can be at most %s"), max));
}

void
_pd_commerce_validate (PdStore    *store,
                       PdRecord   *record,
                       GHashTable *errors)
{
  const PdRecordType *type = pd_record_get_record_type (record);

  if (type == &pd_partner_type)
    validate_partner_terms (record, errors);
  else if (type == &pd_examination_type)
    validate_examination (record, errors);
  else if (type == &pd_examination_price_type)
    validate_price (store, record, errors);
  else if (type == &pd_activation_type)
    _pd_traffic_validate (store, record, errors);
  else if (type == &pd_booking_type)
    _pd_booking_validate (store, record, errors);
  else if (type == &pd_benefit_type)
    _pd_benefit_validate (store, record, errors);
  else if (type == &pd_commission_rate_type)
    _pd_commission_validate (store, record, errors);
}

/* "Resting ECG at Riverside Medical Centre" */
static void
set_cell_title (PdStore  *store,
                PdRecord *record)
{
  g_autofree char *exam = _pd_store_dup_title (store, &pd_examination_type,
                                               pd_record_get_string (record, "examination_id"));
  g_autofree char *inst = NULL;
  g_autofree char *title = NULL;

  if (pd_record_type_get_field (pd_record_get_record_type (record), "institution_id"))
    inst = _pd_store_dup_title (store, &pd_institution_type,
                                pd_record_get_string (record, "institution_id"));

  if (exam == NULL)
    return;
  /* TRANSLATORS: an examination at an institution, "Resting ECG at Riverside Medical Centre" */
  title = inst ? g_strdup_printf (_("%s at %s"), exam, inst) : g_strdup (exam);
  pd_record_set_string (record, "title", title);
}

void
_pd_commerce_normalize (PdStore  *store,
                        PdRecord *record)
{
  const PdRecordType *type = pd_record_get_record_type (record);

  if (type == &pd_examination_price_type || type == &pd_activation_type
      || type == &pd_benefit_type)
    set_cell_title (store, record);
}
