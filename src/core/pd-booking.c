/* pd-booking.c: bookings of activated examinations, cancellation, and benefit checks. */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <stdlib.h>
#include <string.h>

#include "pd-booking.h"
#include "pd-catalogue.h"
#include "pd-commerce-private.h"
#include "pd-commission.h"
#include "pd-error.h"
#include "pd-money.h"
#include "pd-traffic.h"

/* Ten years: a longer waiting period is surely a typing mistake. */
#define MAX_WAITING_DAYS 3650

char *
_pd_local_date_of_timestamp (const char *timestamp)
{
  g_autoptr(GDateTime) utc = NULL;
  g_autoptr(GDateTime) local = NULL;

  if (timestamp == NULL)
    return NULL;
  utc = g_date_time_new_from_iso8601 (timestamp, NULL);
  if (utc == NULL)
    return NULL;
  local = g_date_time_to_local (utc);
  return g_date_time_format (local, "%Y-%m-%d");
}

static gboolean
text_blank (const char *text)
{
  g_autofree char *stripped = NULL;

  if (text == NULL)
    return TRUE;
  stripped = g_strstrip (g_strdup (text));
  return *stripped == '\0';
}

/* The refusal of a new booking of the cell (translated, owned), or NULL when it is
 * bookable or on a database error (ERROR set). */
static char *
cell_refusal (PdStore     *store,
              const char  *partner_id,
              const char  *institution_id,
              const char  *examination_id,
              GError     **error)
{
  g_autofree char *message = NULL;
  g_autofree char *partner = NULL;
  g_autofree char *inst = NULL;
  g_autofree char *exam = NULL;
  int block = _pd_traffic_block_of (store, partner_id, institution_id, examination_id,
                                    &message, error);

  if (block < 0)
    return NULL;
  if (block != PD_CELL_OK)
    return g_steal_pointer (&message);
  if (pd_traffic_is_enabled (store, partner_id, institution_id, examination_id))
    return NULL;
  partner = _pd_store_dup_title (store, &pd_partner_type, partner_id);
  inst = _pd_store_dup_title (store, &pd_institution_type, institution_id);
  exam = _pd_store_dup_title (store, &pd_examination_type, examination_id);
  /* TRANSLATORS: examination, partner, institution */
  return g_strdup_printf (_("%s is not activated for %s at %s"), exam, partner, inst);
}

/* The patient rule: a person of the partner or a name. NULL when fine. */
static char *
patient_problem (PdStore    *store,
                 const char *partner_id,
                 const char *person_id,
                 const char *patient_name)
{
  g_autoptr(PdRecord) person = NULL;

  if (person_id == NULL)
    return text_blank (patient_name)
           ? g_strdup (_("Choose a person or enter the patient’s name")) : NULL;
  person = pd_store_get (store, &pd_person_type, person_id, NULL);
  if (person == NULL || pd_record_get_deleted (person)
      || g_strcmp0 (pd_record_get_string (person, "partner_id"), partner_id) != 0)
    return g_strdup (_("The chosen person does not belong to this partner"));
  return NULL;
}

gboolean
pd_booking_check (PdStore     *store,
                  const char  *partner_id,
                  const char  *institution_id,
                  const char  *examination_id,
                  GDateTime   *booked_at,
                  const char  *person_id,
                  const char  *patient_name,
                  GPtrArray  **warnings,
                  GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *problem = NULL;

  g_return_val_if_fail (PD_IS_STORE (store), FALSE);

  if (partner_id == NULL || institution_id == NULL || examination_id == NULL)
    problem = g_strdup (_("Choose a partner, an institution and an examination"));
  else if (booked_at == NULL)
    problem = g_strdup (_("Enter the date and time of the booking"));
  else
    problem = patient_problem (store, partner_id, person_id, patient_name);
  if (problem == NULL)
    {
      problem = cell_refusal (store, partner_id, institution_id, examination_id, &local_error);
      if (local_error)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
    }
  if (problem)
    {
      g_set_error_literal (error, PD_ERROR, PD_ERROR_INVALID, problem);
      return FALSE;
    }
  if (warnings)
    *warnings = pd_benefit_check (store, partner_id, examination_id, person_id, booked_at);
  return TRUE;
}

static gboolean
fill_money (PdStore     *store,
            PdRecord    *booking,
            GError     **error)
{
  const char *partner_id = pd_record_get_string (booking, "partner_id");
  g_auto(PdCommissionRate) rate = { 0 };
  g_autofree char *date = _pd_local_date_of_timestamp (pd_record_get_string (booking,
                                                                             "booked_at"));
  gint64 price = 0;

  pd_catalogue_get_price (store, pd_record_get_string (booking, "examination_id"),
                          pd_record_get_string (booking, "institution_id"), &price);
  if (!pd_commission_rate_at (store, partner_id, date, &rate, error))
    return FALSE;
  pd_record_set_int (booking, "price", price);
  pd_record_set_int (booking, "commission",
                     pd_commission_compute (rate.mode, rate.percent, rate.fixed, price));
  return TRUE;
}

PdRecord *
pd_booking_create (PdStore     *store,
                   const char  *partner_id,
                   const char  *institution_id,
                   const char  *examination_id,
                   GDateTime   *booked_at,
                   const char  *person_id,
                   const char  *patient_name,
                   GPtrArray  **warnings,
                   GError     **error)
{
  g_autoptr(PdRecord) booking = NULL;
  g_autofree char *when = NULL;
  g_autofree char *name = NULL;

  g_return_val_if_fail (PD_IS_STORE (store), NULL);

  if (!pd_booking_check (store, partner_id, institution_id, examination_id, booked_at,
                         person_id, patient_name, warnings, error))
    return NULL;
  when = _pd_utc_text_of_date_time (booked_at);
  name = text_blank (patient_name) ? _pd_store_dup_title (store, &pd_person_type, person_id)
                                   : g_strstrip (g_strdup (patient_name));
  booking = pd_record_new (&pd_booking_type);
  pd_record_set_string (booking, "partner_id", partner_id);
  pd_record_set_string (booking, "institution_id", institution_id);
  pd_record_set_string (booking, "examination_id", examination_id);
  pd_record_set_string (booking, "booked_at", when);
  pd_record_set_string (booking, "person_id", person_id);
  pd_record_set_string (booking, "patient_name", name);
  pd_record_set_string (booking, "status", "booked");
  if (!fill_money (store, booking, error) || !pd_store_save (store, booking, error))
    {
      if (warnings)
        g_clear_pointer (warnings, g_ptr_array_unref);
      return NULL;
    }
  return g_steal_pointer (&booking);
}

gboolean
pd_booking_cancel (PdStore     *store,
                   const char  *booking_id,
                   GError     **error)
{
  g_autoptr(PdRecord) booking = NULL;
  g_autofree char *now = NULL;

  g_return_val_if_fail (PD_IS_STORE (store), FALSE);
  g_return_val_if_fail (booking_id != NULL, FALSE);

  booking = pd_store_get (store, &pd_booking_type, booking_id, error);
  if (booking == NULL)
    return FALSE;
  if (g_strcmp0 (pd_record_get_string (booking, "status"), "cancelled") == 0)
    {
      g_set_error_literal (error, PD_ERROR, PD_ERROR_INVALID,
                           _("This booking is already cancelled"));
      return FALSE;
    }
  now = pd_timestamp_now ();
  pd_record_set_string (booking, "status", "cancelled");
  pd_record_set_string (booking, "cancelled_at", now);
  return pd_store_save (store, booking, error);
}

char *
pd_booking_dup_patient (PdStore  *store,
                        PdRecord *booking)
{
  const char *name;

  g_return_val_if_fail (PD_IS_STORE (store), NULL);
  g_return_val_if_fail (PD_IS_RECORD (booking), NULL);

  name = pd_record_get_string (booking, "patient_name");
  if (name)
    return g_strdup (name);
  return _pd_store_dup_title (store, &pd_person_type, pd_record_get_string (booking,
                                                                            "person_id"));
}

void
_pd_booking_validate (PdStore    *store,
                      PdRecord   *record,
                      GHashTable *errors)
{
  const char *partner = pd_record_get_string (record, "partner_id");
  const char *inst = pd_record_get_string (record, "institution_id");
  const char *exam = pd_record_get_string (record, "examination_id");
  char *problem;

  if (partner == NULL || inst == NULL || exam == NULL || g_hash_table_size (errors) > 0)
    return;
  problem = patient_problem (store, partner, pd_record_get_string (record, "person_id"),
                             pd_record_get_string (record, "patient_name"));
  if (problem)
    {
      g_hash_table_insert (errors, (gpointer) "patient_name", problem);
      return;
    }
  /* Only a new booking needs a bookable cell: a cancellation later always works. */
  if (pd_record_get_version (record) != 0)
    return;
  problem = cell_refusal (store, partner, inst, exam, NULL);
  if (problem)
    g_hash_table_insert (errors, (gpointer) "examination_id", problem);
}

/* Benefits */

GPtrArray *
pd_benefit_list (PdStore     *store,
                 const char  *partner_id,
                 GError     **error)
{
  g_return_val_if_fail (PD_IS_STORE (store), NULL);
  g_return_val_if_fail (partner_id != NULL, NULL);

  return pd_store_list (store, &pd_benefit_type, "partner_id", partner_id, error);
}

static char *
find_benefit_id (PdStore    *store,
                 const char *partner_id,
                 const char *examination_id)
{
  g_autoptr(PdStmt) stmt = _pd_store_prepare (store, "SELECT id FROM benefits WHERE "
                                              "partner_id = ?1 AND examination_id = ?2 "
                                              "AND deleted = 0", NULL);

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, partner_id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, examination_id, -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return NULL;
  return g_strdup ((const char *) sqlite3_column_text (stmt, 0));
}

PdRecord *
pd_benefit_find (PdStore     *store,
                 const char  *partner_id,
                 const char  *examination_id)
{
  g_autofree char *id = NULL;

  g_return_val_if_fail (PD_IS_STORE (store), NULL);
  g_return_val_if_fail (partner_id != NULL && examination_id != NULL, NULL);

  id = find_benefit_id (store, partner_id, examination_id);
  return id ? pd_store_get (store, &pd_benefit_type, id, NULL) : NULL;
}

/* Non-cancelled bookings of PERSON_ID for EXAMINATION_ID in the local calendar YEAR. */
static gint64
count_visits (PdStore    *store,
              const char *person_id,
              const char *examination_id,
              int         year)
{
  g_autoptr(PdStmt) stmt = NULL;
  g_autoptr(GDate) first = g_date_new_dmy (1, G_DATE_JANUARY, (GDateYear) year);
  g_autoptr(GDate) next = g_date_new_dmy (1, G_DATE_JANUARY, (GDateYear) (year + 1));
  g_autofree char *from = _pd_utc_text_of_local_date (first);
  g_autofree char *to = _pd_utc_text_of_local_date (next);

  stmt = _pd_store_prepare (store, "SELECT count(*) FROM bookings WHERE person_id = ?1 "
                            "AND examination_id = ?2 AND booked_at >= ?3 AND booked_at < ?4 "
                            "AND deleted = 0 AND status != 'cancelled'", NULL);
  if (stmt == NULL)
    return 0;
  sqlite3_bind_text (stmt, 1, person_id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, examination_id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, from, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 4, to, -1, SQLITE_STATIC);
  return sqlite3_step (stmt) == SQLITE_ROW ? sqlite3_column_int64 (stmt, 0) : 0;
}

/* The date DAYS after the ISO date TEXT, as text; NULL when TEXT is not a date. */
static char *
date_plus_days (const char *text,
                gint64      days)
{
  g_autoptr(GDate) date = g_date_new ();
  char buf[16];

  if (text == NULL)
    return NULL;
  g_date_set_parse (date, text);
  if (!g_date_valid (date))
    return NULL;
  g_date_add_days (date, (guint) CLAMP (days, 0, MAX_WAITING_DAYS));
  g_snprintf (buf, sizeof buf, "%04d-%02d-%02d", g_date_get_year (date),
              g_date_get_month (date), g_date_get_day (date));
  return g_strdup (buf);
}

static void
coverage_warnings (PdRecord   *person,
                   const char *date,
                   GPtrArray  *warnings)
{
  const char *start = pd_record_get_string (person, "coverage_start");
  const char *end = pd_record_get_string (person, "coverage_end");
  const char *name = pd_record_get_title (person);

  if (g_strcmp0 (pd_record_get_string (person, "eligibility_status"), "eligible") != 0)
    /* TRANSLATORS: %s is a person */
    g_ptr_array_add (warnings, g_strdup_printf (_("%s is not eligible"), name));
  else if ((start && strcmp (date, start) < 0) || (end && strcmp (date, end) > 0))
    /* TRANSLATORS: person, date */
    g_ptr_array_add (warnings, g_strdup_printf (_("%s is not covered on %s"), name, date));
}

static void
rule_warnings (PdStore    *store,
               PdRecord   *benefit,
               PdRecord   *person,
               const char *exam_name,
               const char *date,
               GPtrArray  *warnings)
{
  gint64 limit = pd_record_get_int (benefit, "visits_per_year");
  gint64 waiting = pd_record_get_int (benefit, "waiting_days");
  const char *name = pd_record_get_title (person);
  g_autofree char *covered_from = NULL;

  if (g_strcmp0 (pd_record_get_string (person, "relationship"), "employee") != 0
      && !pd_record_get_bool (benefit, "dependents_covered"))
    /* TRANSLATORS: examination, person */
    g_ptr_array_add (warnings, g_strdup_printf (_("The benefit for %s does not cover "
                                                  "dependents such as %s"), exam_name, name));
  if (limit > 0)
    {
      int year = atoi (date);
      gint64 used = count_visits (store, pd_record_get_id (person),
                                  pd_record_get_string (benefit, "examination_id"), year);

      if (used >= limit)
        g_ptr_array_add (warnings,
                         /* TRANSLATORS: person, visits, examination, year */
                         g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                       "%s has used the %d visit per year "
                                                       "for %s in %d",
                                                       "%s has used all %d visits per year "
                                                       "for %s in %d", (gulong) limit),
                                          name, (int) limit, exam_name, year));
    }
  covered_from = waiting > 0 ? date_plus_days (pd_record_get_string (person, "coverage_start"),
                                               waiting) : NULL;
  if (covered_from && strcmp (date, covered_from) < 0)
    g_ptr_array_add (warnings,
                     /* TRANSLATORS: examination, person, date, days */
                     g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                   "%s is covered for %s only from %s "
                                                   "(waiting period of %d day)",
                                                   "%s is covered for %s only from %s "
                                                   "(waiting period of %d days)",
                                                   (gulong) waiting),
                                      exam_name, name, covered_from, (int) waiting));
}

GPtrArray *
pd_benefit_check (PdStore     *store,
                  const char  *partner_id,
                  const char  *examination_id,
                  const char  *person_id,
                  GDateTime   *booked_at)
{
  GPtrArray *warnings = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(PdRecord) partner = NULL;
  g_autoptr(PdRecord) person = NULL;
  g_autoptr(PdRecord) benefit = NULL;
  g_autoptr(GDateTime) local = NULL;
  g_autofree char *date = NULL;
  g_autofree char *exam_name = NULL;

  g_return_val_if_fail (PD_IS_STORE (store), warnings);

  if (partner_id == NULL || examination_id == NULL || person_id == NULL || booked_at == NULL)
    return warnings;
  partner = pd_store_get (store, &pd_partner_type, partner_id, NULL);
  person = pd_store_get (store, &pd_person_type, person_id, NULL);
  if (partner == NULL || person == NULL
      || g_strcmp0 (pd_record_get_string (partner, "kind"), "employer") != 0)
    return warnings;
  local = g_date_time_to_local (booked_at);
  date = g_date_time_format (local, "%Y-%m-%d");
  exam_name = _pd_store_dup_title (store, &pd_examination_type, examination_id);
  coverage_warnings (person, date, warnings);
  benefit = pd_benefit_find (store, partner_id, examination_id);
  if (benefit == NULL)
    g_ptr_array_add (warnings,
                     /* TRANSLATORS: partner, examination */
                     g_strdup_printf (_("The benefits of %s do not cover %s"),
                                      pd_record_get_title (partner), exam_name));
  else
    rule_warnings (store, benefit, person, exam_name, date, warnings);
  return warnings;
}

void
_pd_benefit_validate (PdStore    *store,
                      PdRecord   *record,
                      GHashTable *errors)
{
  const char *partner_id = pd_record_get_string (record, "partner_id");
  const char *exam = pd_record_get_string (record, "examination_id");
  g_autoptr(PdRecord) partner = NULL;
  g_autofree char *other = NULL;

  if (pd_record_get_int (record, "copay") > PD_CATALOGUE_MAX_PRICE
      && !g_hash_table_contains (errors, "copay"))
    {
      g_autofree char *max = pd_money_format_plain (PD_CATALOGUE_MAX_PRICE);

      g_hash_table_insert (errors, (gpointer) "copay",
                           g_strdup_printf (_("A copay can be at most %s"), max));
    }
  if (pd_record_get_int (record, "waiting_days") > MAX_WAITING_DAYS
      && !g_hash_table_contains (errors, "waiting_days"))
    g_hash_table_insert (errors, (gpointer) "waiting_days",
                         g_strdup_printf (_("The waiting period can be at most %d days"),
                                          MAX_WAITING_DAYS));
  if (partner_id == NULL || exam == NULL || g_hash_table_contains (errors, "partner_id"))
    return;
  partner = pd_store_get (store, &pd_partner_type, partner_id, NULL);
  if (partner && g_strcmp0 (pd_record_get_string (partner, "kind"), "employer") != 0)
    g_hash_table_insert (errors, (gpointer) "partner_id",
                         g_strdup (_("Only employers have benefits")));
  other = pd_record_get_deleted (record) ? NULL : find_benefit_id (store, partner_id, exam);
  if (other && strcmp (other, pd_record_get_id (record)) != 0
      && !g_hash_table_contains (errors, "examination_id"))
    g_hash_table_insert (errors, (gpointer) "examination_id",
                         g_strdup (_("This employer already has a benefit for this examination")));
}
