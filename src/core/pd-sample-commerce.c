/* pd-sample-commerce.c: sample examinations, prices, activations, benefits, rates and bookings; bench data. */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "pd-catalogue.h"
#include "pd-commerce-private.h"
#include "pd-commission.h"
#include "pd-error.h"
#include "pd-sample-data.h"
#include "pd-traffic.h"

typedef struct {
  const char *code;
  const char *name;
  gint64      minutes;
  gint64      price;       /* minor units at the first institution offering it */
  guint       offered;     /* bit k: offered at institution k */
} SampleExam;

/* Riverside (bit 0): occupational health and lab; Northgate Diagnostics (bit 1): imaging,
 * cardiology and lab; Harbour Street Clinic (bit 2): occupational health, basic diagnostics. */
static const SampleExam exams[] = {
  { "OH-PRE", "Pre-employment medical", 45, 14500, 5 },
  { "OH-PER", "Periodic health check", 40, 12000, 5 },
  { "OH-VDU", "Screen work eye test", 20, 4500, 5 },
  { "OH-AUD", "Audiometry (hearing test)", 20, 5500, 7 },
  { "OH-SPI", "Spirometry (lung function)", 20, 6000, 7 },
  { "OH-DRV", "Driver fitness medical", 30, 9500, 5 },
  { "OH-HGT", "Fitness for work at heights", 30, 9000, 5 },
  { "OH-NGT", "Night-shift worker check", 30, 8000, 5 },
  { "OH-RFT", "Respirator fit test", 30, 7000, 5 },
  { "OH-VAC", "Occupational vaccination consultation", 15, 3500, 5 },
  { "OH-TRV", "Travel medicine consultation", 30, 6500, 5 },
  { "OH-DAS", "Drug and alcohol screening", 20, 7500, 5 },
  { "OH-SKN", "Skin surveillance", 15, 4000, 5 },
  { "OH-ERG", "Ergonomic workplace assessment", 60, 18000, 1 },
  { "OH-MHC", "Mental health check-in", 50, 11000, 5 },
  { "DX-ECG", "Resting ECG", 20, 4500, 7 },
  { "DX-STR", "Exercise stress ECG", 45, 16500, 2 | 4 },
  { "DX-ECH", "Echocardiography", 40, 19500, 2 | 4 },
  { "DX-HOL", "24-hour Holter ECG", 20, 12500, 2 | 4 },
  { "DX-ABP", "24-hour blood pressure monitoring", 15, 8500, 7 },
  { "DX-XCH", "Chest X-ray", 15, 7500, 2 | 4 },
  { "DX-USA", "Abdominal ultrasound", 30, 11500, 2 | 4 },
  { "DX-UST", "Thyroid ultrasound", 20, 8500, 2 | 1 },
  { "DX-MRK", "MRI knee", 45, 42000, 2 | 4 },
  { "DX-MRS", "MRI lumbar spine", 45, 46000, 2 | 4 },
  { "DX-CTL", "Low-dose chest CT", 20, 29000, 2 | 4 },
  { "DX-DXA", "Bone density scan (DEXA)", 20, 9500, 2 | 1 },
  { "LAB-BAS", "Basic blood panel", 10, 3900, 7 },
  { "LAB-LIP", "Lipid profile", 10, 2900, 7 },
  { "LAB-A1C", "HbA1c diabetes screening", 10, 2500, 7 },
  { "LAB-OLD", "Legacy blood panel (replaced by LAB-BAS)", 10, 3500, 1 },
};

/* The archived one. */
#define ARCHIVED_CODE "LAB-OLD"

typedef struct {
  PdStore    *store;
  GRand      *rand;
  GPtrArray  *exam_ids;      /* char*, in exams[] order */
  const char *const *institution_ids;
  char       *now;
  GDateTime  *today;
} Sample;

static gboolean
add_catalogue (Sample  *s,
               GError **error)
{
  for (guint i = 0; i < G_N_ELEMENTS (exams); i++)
    {
      g_autoptr(PdRecord) exam = pd_record_new (&pd_examination_type);

      pd_record_set_string (exam, "code", exams[i].code);
      pd_record_set_string (exam, "name", exams[i].name);
      pd_record_set_int (exam, "duration_minutes", exams[i].minutes);
      if (!pd_store_save (s->store, exam, error))
        return FALSE;
      g_ptr_array_add (s->exam_ids, g_strdup (pd_record_get_id (exam)));
      for (guint k = 0; k < 3; k++)
        {
          /* Prices differ a little between sites: +0 %, +8 %, -5 %, rounded to 50 cents. */
          static const gint64 adjust[] = { 100, 108, 95 };
          gint64 price = (exams[i].price * adjust[k] / 100 + 25) / 50 * 50;

          if ((exams[i].offered & (1u << k))
              && !pd_catalogue_set_price (s->store, pd_record_get_id (exam),
                                          s->institution_ids[k], price, error))
            return FALSE;
        }
    }
  return TRUE;
}

/* The sample's archived examination, archived after its activations were made. */
static gboolean
archive_legacy (Sample  *s,
                GError **error)
{
  for (guint i = 0; i < G_N_ELEMENTS (exams); i++)
    if (g_str_equal (exams[i].code, ARCHIVED_CODE))
      return pd_catalogue_set_archived (s->store, g_ptr_array_index (s->exam_ids, i), TRUE,
                                        error);
  return TRUE;
}

/* Enabled cells of one partner: exam index and institution id, packed in the array. */
typedef struct {
  guint       exam;
  const char *institution_id;
  gint64      price;
} Cell;

static gboolean
add_activations (Sample     *s,
                 PdRecord   *partner,
                 guint       p,
                 GArray     *cells,
                 GError    **error)
{
  const char * const *allowed = pd_record_get_strv (partner, "institutions");

  for (guint k = 0; allowed[k]; k++)
    for (guint e = 0; e < G_N_ELEMENTS (exams); e++)
      {
        Cell cell = { e, allowed[k], 0 };

        if ((e * 7 + p * 3 + k) % 5 >= 3)
          continue;
        if (!pd_catalogue_get_price (s->store, g_ptr_array_index (s->exam_ids, e), allowed[k],
                                     &cell.price))
          continue;
        if (!pd_traffic_set_enabled (s->store, pd_record_get_id (partner), allowed[k],
                                     g_ptr_array_index (s->exam_ids, e), TRUE, error))
          return FALSE;
        if (!g_str_equal (exams[e].code, ARCHIVED_CODE))
          g_array_append_val (cells, cell);
      }
  return TRUE;
}

static gboolean
add_benefits (Sample    *s,
              PdRecord  *partner,
              guint      p,
              GError   **error)
{
  /* Occupational examinations an employer typically covers, plus a few diagnostics. */
  static const guint covered[] = { 0, 1, 2, 3, 4, 9, 11, 14, 15, 27, 28 };

  for (guint i = 0; i < G_N_ELEMENTS (covered); i++)
    {
      g_autoptr(PdRecord) benefit = NULL;

      if ((i + p) % 4 == 3)
        continue;
      benefit = pd_record_new (&pd_benefit_type);
      pd_record_set_string (benefit, "partner_id", pd_record_get_id (partner));
      pd_record_set_string (benefit, "examination_id",
                            g_ptr_array_index (s->exam_ids, covered[i]));
      pd_record_set_int (benefit, "visits_per_year", (i + p) % 3);
      pd_record_set_int (benefit, "copay", ((i + p) % 4) * 1000);
      pd_record_set_int (benefit, "waiting_days", (i % 3) * 30);
      pd_record_set_bool (benefit, "dependents_covered", (i + p) % 2 == 0);
      if (!pd_store_save (s->store, benefit, error))
        return FALSE;
    }
  return TRUE;
}

static char *
days_ago (Sample *s,
          int     days)
{
  g_autoptr(GDateTime) then = g_date_time_add_days (s->today, -days);

  return g_date_time_format (then, "%Y-%m-%d");
}

/* Every third active partner changed its terms about five months ago. */
static gboolean
add_rate_history (Sample    *s,
                  PdRecord  *partner,
                  guint      p,
                  GError   **error)
{
  const char *mode = pd_record_get_string (partner, "commission_mode");
  g_autofree char *year_ago = days_ago (s, 420);
  g_autofree char *change = days_ago (s, 150);
  gint64 percent = pd_record_get_int (partner, "commission_percent");
  gint64 fixed = pd_record_get_int (partner, "commission_fixed");

  if (p % 3 != 0)
    return TRUE;
  return pd_commission_add_rate (s->store, pd_record_get_id (partner), year_ago, mode,
                                 MAX (percent - 250, 250), MAX (fixed - 500, 1000), error)
         && pd_commission_add_rate (s->store, pd_record_get_id (partner), change, mode,
                                    percent, fixed, error);
}

/* Bookings are written in bulk: the row, a compact change-log entry (push the current
 * row, as for imported people) and one "create" audit row each. */
typedef struct {
  const char *partner_id;
  const char *institution_id;
  const char *examination_id;
  const char *person_id;
  const char *patient_name;
  char        booked_at[32];
  gint64      price;
  gint64      commission;
  gboolean    cancelled;
} BulkBooking;

static gboolean
step_stmt (PdStore  *store,
           PdStmt   *stmt,
           GError  **error)
{
  int rc = sqlite3_step (stmt);

  if (rc == SQLITE_DONE)
    return TRUE;
  _pd_store_set_error (store, rc, error);
  return FALSE;
}

static gboolean
write_bulk_booking (Sample       *s,
                    BulkBooking  *b,
                    GError      **error)
{
  g_autofree char *id = pd_uuid_new ();
  g_autofree char *key = pd_uuid_new ();
  g_autofree char *payload = g_strdup_printf ("{\"id\":\"%s\",\"version\":1}", id);
  g_autoptr(PdStmt) row = _pd_store_prepare (s->store,
    "INSERT INTO bookings (id, version, created_at, updated_at, updated_by, deleted, "
    "partner_id, institution_id, examination_id, booked_at, person_id, patient_name, price, "
    "commission, status, cancelled_at) VALUES (?1, 1, ?2, ?2, ?3, 0, ?4, ?5, ?6, ?7, ?8, ?9, "
    "?10, ?11, ?12, ?13)", error);

  if (row == NULL)
    return FALSE;
  sqlite3_bind_text (row, 1, id, -1, SQLITE_STATIC);
  sqlite3_bind_text (row, 2, s->now, -1, SQLITE_STATIC);
  sqlite3_bind_text (row, 3, pd_store_get_actor (s->store), -1, SQLITE_STATIC);
  sqlite3_bind_text (row, 4, b->partner_id, -1, SQLITE_STATIC);
  sqlite3_bind_text (row, 5, b->institution_id, -1, SQLITE_STATIC);
  sqlite3_bind_text (row, 6, b->examination_id, -1, SQLITE_STATIC);
  sqlite3_bind_text (row, 7, b->booked_at, -1, SQLITE_STATIC);
  sqlite3_bind_text (row, 8, b->person_id, -1, SQLITE_STATIC);
  sqlite3_bind_text (row, 9, b->patient_name, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (row, 10, b->price);
  sqlite3_bind_int64 (row, 11, b->commission);
  sqlite3_bind_text (row, 12, b->cancelled ? "cancelled" : "booked", -1, SQLITE_STATIC);
  if (b->cancelled)
    sqlite3_bind_text (row, 13, b->booked_at, -1, SQLITE_STATIC);
  if (!step_stmt (s->store, row, error))
    return FALSE;
  {
    g_autoptr(PdStmt) change = _pd_store_prepare (s->store,
      "INSERT INTO change_log (key, collection, record_id, base_version, deleted, payload, "
      "created_at) VALUES (?1, 'booking', ?2, 0, 0, ?3, ?4)", error);
    g_autoptr(PdStmt) audit = NULL;

    if (change == NULL)
      return FALSE;
    sqlite3_bind_text (change, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text (change, 2, id, -1, SQLITE_STATIC);
    sqlite3_bind_text (change, 3, payload, -1, SQLITE_STATIC);
    sqlite3_bind_text (change, 4, s->now, -1, SQLITE_STATIC);
    if (!step_stmt (s->store, change, error))
      return FALSE;
    audit = _pd_store_prepare (s->store,
      "INSERT INTO audit (at, who, record_type, record_id, partner_id, record_title, action) "
      "VALUES (?1, ?2, 'booking', ?3, ?4, ?5, 'create')", error);
    if (audit == NULL)
      return FALSE;
    sqlite3_bind_text (audit, 1, s->now, -1, SQLITE_STATIC);
    sqlite3_bind_text (audit, 2, _pd_store_get_actor_name (s->store), -1, SQLITE_STATIC);
    sqlite3_bind_text (audit, 3, id, -1, SQLITE_STATIC);
    sqlite3_bind_text (audit, 4, b->partner_id, -1, SQLITE_STATIC);
    sqlite3_bind_text (audit, 5, b->patient_name, -1, SQLITE_STATIC);
    return step_stmt (s->store, audit, error);
  }
}

/* Up to 300 people of an employer: id and name, alternating. */
static GPtrArray *
partner_people (Sample     *s,
                const char *partner_id)
{
  GPtrArray *people = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(PdStmt) stmt = _pd_store_prepare (s->store, "SELECT id, display_name FROM persons "
                                              "WHERE partner_id = ?1 AND deleted = 0 "
                                              "ORDER BY id LIMIT 300", NULL);

  if (stmt == NULL)
    return people;
  sqlite3_bind_text (stmt, 1, partner_id, -1, SQLITE_STATIC);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      g_ptr_array_add (people, g_strdup ((const char *) sqlite3_column_text (stmt, 0)));
      g_ptr_array_add (people, g_strdup ((const char *) sqlite3_column_text (stmt, 1)));
    }
  return people;
}

static const char *const patient_first[] = {
  "Anna", "Jonas", "Lea", "Lukas", "Mia", "Noah", "Emma", "Paul", "Sofia", "Ben", "Clara",
  "Felix", "Hannah", "Leon", "Marie", "Tom", "Oliver", "Amelia", "Jack", "Isla",
};

static const char *const patient_last[] = {
  "Becker", "Schulz", "Hoffmann", "Koch", "Richter", "Klein", "Wolf", "Neumann", "Schwarz",
  "Smith", "Jones", "Taylor", "Brown", "Evans", "de Vries", "Jansen", "Bakker", "Visser",
};

static void
random_time (Sample      *s,
             BulkBooking *b)
{
  g_autoptr(GDateTime) day = g_date_time_add_days (s->today, -g_rand_int_range (s->rand, 0, 365));
  g_autoptr(GDateTime) local = NULL;
  g_autoptr(GDateTime) utc = NULL;
  g_autofree char *text = NULL;
  int dow = g_date_time_get_day_of_week (day);

  /* Weekdays, 08:00 to 16:45 in quarter hours. */
  if (dow > 5)
    {
      GDateTime *monday = g_date_time_add_days (day, 8 - dow);

      g_date_time_unref (day);
      day = monday;
      if (g_date_time_compare (day, s->today) > 0)
        {
          GDateTime *friday = g_date_time_add_days (day, -3);

          g_date_time_unref (day);
          day = friday;
        }
    }
  local = g_date_time_new_local (g_date_time_get_year (day), g_date_time_get_month (day),
                                 g_date_time_get_day_of_month (day),
                                 g_rand_int_range (s->rand, 8, 17),
                                 15 * g_rand_int_range (s->rand, 0, 4), 0);
  utc = g_date_time_to_utc (local);
  text = g_date_time_format (utc, "%Y-%m-%dT%H:%M:%SZ");
  g_strlcpy (b->booked_at, text, sizeof b->booked_at);
}

static gboolean
add_bookings (Sample     *s,
              PdRecord   *partner,
              GArray     *cells,
              GError    **error)
{
  const char *kind = pd_record_get_string (partner, "kind");
  guint n = g_str_equal (kind, "employer") ? 380 : g_str_equal (kind, "clinic") ? 200 : 260;
  g_autoptr(GPtrArray) people = partner_people (s, pd_record_get_id (partner));

  if (cells->len == 0)
    return TRUE;
  for (guint i = 0; i < n; i++)
    {
      Cell *cell = &g_array_index (cells, Cell, g_rand_int_range (s->rand, 0, (gint32) cells->len));
      BulkBooking b = { pd_record_get_id (partner), cell->institution_id,
                        g_ptr_array_index (s->exam_ids, cell->exam) };
      g_auto(PdCommissionRate) rate = { 0 };
      g_autofree char *name = NULL;
      g_autofree char *date = NULL;
      guint pick = g_rand_int_range (s->rand, 0, 1000);

      random_time (s, &b);
      if (people->len > 0 && pick % 3 != 0)
        {
          guint k = (pick % (people->len / 2)) * 2;

          b.person_id = g_ptr_array_index (people, k);
          b.patient_name = g_ptr_array_index (people, k + 1);
        }
      else
        {
          name = g_strdup_printf ("%s %s", patient_first[pick % G_N_ELEMENTS (patient_first)],
                                  patient_last[(pick / 7) % G_N_ELEMENTS (patient_last)]);
          b.patient_name = name;
        }
      date = _pd_local_date_of_timestamp (b.booked_at);
      if (!pd_commission_rate_at (s->store, b.partner_id, date, &rate, error))
        return FALSE;
      b.price = cell->price;
      b.commission = pd_commission_compute (rate.mode, rate.percent, rate.fixed, b.price);
      b.cancelled = g_rand_int_range (s->rand, 0, 100) < 6;
      if (!write_bulk_booking (s, &b, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
add_partner_commerce (Sample    *s,
                      PdRecord  *partner,
                      guint      p,
                      GError   **error)
{
  g_autoptr(GArray) cells = g_array_new (FALSE, FALSE, sizeof (Cell));

  if (!g_str_equal (pd_record_get_string (partner, "status"), "active"))
    return TRUE;
  if (!add_activations (s, partner, p, cells, error) || !add_rate_history (s, partner, p, error))
    return FALSE;
  if (g_str_equal (pd_record_get_string (partner, "kind"), "employer")
      && !add_benefits (s, partner, p, error))
    return FALSE;
  return add_bookings (s, partner, cells, error);
}

gboolean
_pd_sample_commerce_load (PdStore            *store,
                          const char * const *institution_ids,
                          GError            **error)
{
  g_autoptr(GPtrArray) partners = NULL;
  g_autoptr(GPtrArray) exam_ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GRand) rand = g_rand_new_with_seed (20260401);
  g_autoptr(GDateTime) today = g_date_time_new_now_local ();
  g_autofree char *now = pd_timestamp_now ();
  g_autofree char *practice = NULL;
  Sample s = { store, rand, exam_ids, institution_ids, now, today };

  if (!add_catalogue (&s, error))
    return FALSE;
  partners = pd_store_list (store, &pd_partner_type, NULL, NULL, error);
  if (partners == NULL)
    return FALSE;
  for (guint p = 0; p < partners->len; p++)
    if (!add_partner_commerce (&s, g_ptr_array_index (partners, p), p, error))
      return FALSE;
  if (!archive_legacy (&s, error))
    return FALSE;
  practice = pd_store_get_setting (store, "practice_name");
  if (practice == NULL)
    return pd_store_set_setting (store, "practice_name", "Hanseatic Occupational Health", error);
  return TRUE;
}

/* Bench data: bulk SQL, no change log or audit. */

typedef struct {
  PdStore   *store;
  GRand     *rand;
  guint      n_exams;
  guint      n_partners;
  guint      n_inst;
  guint      n_bookings;
  char     **inst_ids;
  char     **exam_ids;
  char     **partner_ids;
  gint64    *prices;     /* [inst * n_exams + exam], -1: not offered */
  gboolean  *active;     /* per partner */
  gboolean  *allowed;    /* [partner * n_inst + inst] */
  char      *now;
  guint      serial;
} Bench;

/* A unique, roughly increasing UUID-shaped id (appends to the primary key index). */
static void
bench_id (Bench *b,
          char   out[37])
{
  guint32 r = g_rand_int (b->rand);

  b->serial++;
  g_snprintf (out, 37, "%08x-%04x-4%03x-8%03x-%08x%04x", b->serial, r & 0xffff,
              (r >> 16) & 0xfff, (b->serial >> 8) & 0xfff, g_rand_int (b->rand), r >> 20);
}

static gboolean
bench_exec (Bench       *b,
            const char  *sql,
            GError     **error)
{
  return _pd_store_exec (b->store, sql, error);
}

static gboolean
bench_meta (Bench        *b,
            sqlite3_stmt *stmt,
            char          id[37])
{
  bench_id (b, id);
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, b->now, -1, SQLITE_STATIC);
  return TRUE;
}

static gboolean
bench_institutions (Bench   *b,
                    GError **error)
{
  g_autoptr(PdStmt) stmt = _pd_store_prepare (b->store, "INSERT INTO institutions (id, version, "
    "created_at, updated_at, deleted, name, name_fold) VALUES (?1, 1, ?2, ?2, 0, ?3, ?4)", error);

  if (stmt == NULL)
    return FALSE;
  for (guint k = 0; k < b->n_inst; k++)
    {
      char id[37];
      g_autofree char *name = g_strdup_printf ("Bench institution %u", k + 1);
      g_autofree char *fold = pd_text_fold (name);

      bench_meta (b, stmt, id);
      sqlite3_bind_text (stmt, 3, name, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 4, fold, -1, SQLITE_STATIC);
      if (!step_stmt (b->store, stmt, error))
        return FALSE;
      sqlite3_reset (stmt);
      b->inst_ids[k] = g_strdup (id);
    }
  return TRUE;
}

static gboolean
bench_examinations (Bench   *b,
                    GError **error)
{
  g_autoptr(PdStmt) stmt = _pd_store_prepare (b->store, "INSERT INTO examinations (id, version, "
    "created_at, updated_at, deleted, code, name, duration_minutes, archived, code_fold) "
    "VALUES (?1, 1, ?2, ?2, 0, ?3, ?4, 30, ?5, ?6)", error);

  if (stmt == NULL)
    return FALSE;
  for (guint e = 0; e < b->n_exams; e++)
    {
      char id[37];
      const SampleExam *x = &exams[e % G_N_ELEMENTS (exams)];
      g_autofree char *code = g_strdup_printf ("%s-%u", x->code, (guint) (e / G_N_ELEMENTS (exams) + 1));
      g_autofree char *name = g_strdup_printf ("%s %u", x->name, (guint) (e / G_N_ELEMENTS (exams) + 1));
      g_autofree char *fold = pd_text_fold (code);

      bench_meta (b, stmt, id);
      sqlite3_bind_text (stmt, 3, code, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 4, name, -1, SQLITE_STATIC);
      sqlite3_bind_int (stmt, 5, e % 97 == 96);
      sqlite3_bind_text (stmt, 6, fold, -1, SQLITE_STATIC);
      if (!step_stmt (b->store, stmt, error))
        return FALSE;
      sqlite3_reset (stmt);
      b->exam_ids[e] = g_strdup (id);
    }
  return TRUE;
}

static gboolean
bench_prices (Bench   *b,
              GError **error)
{
  g_autoptr(PdStmt) stmt = _pd_store_prepare (b->store, "INSERT INTO examination_prices (id, "
    "version, created_at, updated_at, deleted, examination_id, institution_id, price) "
    "VALUES (?1, 1, ?2, ?2, 0, ?3, ?4, ?5)", error);

  if (stmt == NULL)
    return FALSE;
  for (guint k = 0; k < b->n_inst; k++)
    for (guint e = 0; e < b->n_exams; e++)
      {
        char id[37];
        gint64 price = exams[e % G_N_ELEMENTS (exams)].price + (gint64) (k * 500);

        b->prices[k * b->n_exams + e] = -1;
        if ((e + k) % 23 == 0)
          continue;
        bench_meta (b, stmt, id);
        sqlite3_bind_text (stmt, 3, b->exam_ids[e], -1, SQLITE_STATIC);
        sqlite3_bind_text (stmt, 4, b->inst_ids[k], -1, SQLITE_STATIC);
        sqlite3_bind_int64 (stmt, 5, price);
        if (!step_stmt (b->store, stmt, error))
          return FALSE;
        sqlite3_reset (stmt);
        b->prices[k * b->n_exams + e] = price;
      }
  return TRUE;
}

static char *
bench_allowed_json (Bench *b,
                    guint  p)
{
  GString *json = g_string_new ("[");

  for (guint k = 0; k < b->n_inst; k++)
    {
      b->allowed[p * b->n_inst + k] = !(p % 9 == 4 && k == 0);
      if (!b->allowed[p * b->n_inst + k])
        continue;
      g_string_append_printf (json, "%s\"%s\"", json->len > 1 ? "," : "", b->inst_ids[k]);
    }
  g_string_append_c (json, ']');
  return g_string_free (json, FALSE);
}

static gboolean
bench_partners (Bench   *b,
                GError **error)
{
  static const char *const kinds[] = { "employer", "clinic", "intermediary" };
  g_autoptr(PdStmt) stmt = _pd_store_prepare (b->store, "INSERT INTO partners (id, version, "
    "created_at, updated_at, deleted, kind, name, name_fold, institutions, statistics_required, "
    "commission_mode, commission_percent, patient_data_visible, status) "
    "VALUES (?1, 1, ?2, ?2, 0, ?3, ?4, ?5, ?6, 1, 'percentage', 1000, 0, ?7)", error);

  if (stmt == NULL)
    return FALSE;
  for (guint p = 0; p < b->n_partners; p++)
    {
      char id[37];
      g_autofree char *name = g_strdup_printf ("Bench partner %04u", p + 1);
      g_autofree char *fold = pd_text_fold (name);
      g_autofree char *json = bench_allowed_json (b, p);

      b->active[p] = p % 10 != 9;
      bench_meta (b, stmt, id);
      sqlite3_bind_text (stmt, 3, kinds[p % 3], -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 4, name, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 5, fold, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 6, json, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 7, b->active[p] ? "active" : "invited", -1, SQLITE_STATIC);
      if (!step_stmt (b->store, stmt, error))
        return FALSE;
      sqlite3_reset (stmt);
      b->partner_ids[p] = g_strdup (id);
    }
  return TRUE;
}

static gboolean
bench_activations (Bench   *b,
                   GError **error)
{
  g_autoptr(PdStmt) stmt = _pd_store_prepare (b->store, "INSERT INTO activations (id, version, "
    "created_at, updated_at, deleted, partner_id, institution_id, examination_id, enabled) "
    "VALUES (?1, 1, ?2, ?2, 0, ?3, ?4, ?5, 1)", error);

  if (stmt == NULL)
    return FALSE;
  for (guint k = 0; k < b->n_inst; k++)
    for (guint p = 0; p < b->n_partners; p++)
      for (guint e = 0; e < b->n_exams; e++)
        {
          char id[37];

          if ((e * 3 + p * 7 + k) % 2 != 0 || !b->active[p] || !b->allowed[p * b->n_inst + k]
              || b->prices[k * b->n_exams + e] < 0)
            continue;
          bench_meta (b, stmt, id);
          sqlite3_bind_text (stmt, 3, b->partner_ids[p], -1, SQLITE_STATIC);
          sqlite3_bind_text (stmt, 4, b->inst_ids[k], -1, SQLITE_STATIC);
          sqlite3_bind_text (stmt, 5, b->exam_ids[e], -1, SQLITE_STATIC);
          if (!step_stmt (b->store, stmt, error))
            return FALSE;
          sqlite3_reset (stmt);
        }
  return TRUE;
}

/* A random offered (institution, examination) for partner P. */
static void
bench_pick_cell (Bench  *b,
                 guint   p,
                 guint  *k,
                 guint  *e)
{
  do
    {
      *k = (guint) g_rand_int_range (b->rand, 0, (gint32) b->n_inst);
      *e = (guint) g_rand_int_range (b->rand, 0, (gint32) b->n_exams);
    }
  while (!b->allowed[p * b->n_inst + *k] || b->prices[*k * b->n_exams + *e] < 0);
}

static gboolean
bench_bookings (Bench   *b,
                GError **error)
{
  g_autoptr(PdStmt) stmt = _pd_store_prepare (b->store, "INSERT INTO bookings (id, version, "
    "created_at, updated_at, deleted, partner_id, institution_id, examination_id, booked_at, "
    "patient_name, price, commission, status) "
    "VALUES (?1, 1, ?2, ?2, 0, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)", error);
  gint64 now_s = g_get_real_time () / G_USEC_PER_SEC;

  if (stmt == NULL)
    return FALSE;
  for (guint i = 0; i < b->n_bookings; i++)
    {
      char id[37];
      char when[32];
      char patient[32];
      guint p, k, e;
      gint64 t = now_s - g_rand_int_range (b->rand, 0, 365 * 24 * 3600);
      g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (t);
      gint64 price;

      /* A tenth of all bookings belong to the first (big) partner. */
      do
        p = g_rand_int_range (b->rand, 0, 10) == 0
            ? 0 : (guint) g_rand_int_range (b->rand, 0, (gint32) b->n_partners);
      while (!b->active[p]);
      bench_pick_cell (b, p, &k, &e);
      price = b->prices[k * b->n_exams + e];
      g_snprintf (when, sizeof when, "%04d-%02d-%02dT%02d:%02d:%02dZ",
                  g_date_time_get_year (dt), g_date_time_get_month (dt),
                  g_date_time_get_day_of_month (dt), g_date_time_get_hour (dt),
                  g_date_time_get_minute (dt), g_date_time_get_second (dt));
      g_snprintf (patient, sizeof patient, "Patient %u", i + 1);
      bench_meta (b, stmt, id);
      sqlite3_bind_text (stmt, 3, b->partner_ids[p], -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 4, b->inst_ids[k], -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 5, b->exam_ids[e], -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 6, when, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 7, patient, -1, SQLITE_TRANSIENT);
      sqlite3_bind_int64 (stmt, 8, price);
      sqlite3_bind_int64 (stmt, 9, pd_commission_percent_of (price, 1000));
      sqlite3_bind_text (stmt, 10, g_rand_int_range (b->rand, 0, 20) == 0 ? "cancelled" : "booked",
                         -1, SQLITE_STATIC);
      if (!step_stmt (b->store, stmt, error))
        return FALSE;
      sqlite3_reset (stmt);
    }
  return TRUE;
}

/* The CREATE INDEX statements of TABLE (owned, NULL-ended), for dropping and rebuilding. */
static GPtrArray *
table_indexes (Bench      *b,
               const char *table)
{
  GPtrArray *sql = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(PdStmt) stmt = _pd_store_prepare (b->store, "SELECT name, sql FROM sqlite_master "
                                              "WHERE type = 'index' AND tbl_name = ?1 "
                                              "AND sql IS NOT NULL", NULL);

  if (stmt == NULL)
    return sql;
  sqlite3_bind_text (stmt, 1, table, -1, SQLITE_STATIC);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      g_ptr_array_add (sql, g_strdup ((const char *) sqlite3_column_text (stmt, 0)));
      g_ptr_array_add (sql, g_strdup ((const char *) sqlite3_column_text (stmt, 1)));
    }
  return sql;
}

static gboolean
bench_bookings_fast (Bench   *b,
                     GError **error)
{
  g_autoptr(GPtrArray) indexes = table_indexes (b, "bookings");

  for (guint i = 0; i + 1 < indexes->len; i += 2)
    {
      g_autofree char *drop = g_strdup_printf ("DROP INDEX %s",
                                               (char *) g_ptr_array_index (indexes, i));

      if (!bench_exec (b, drop, error))
        return FALSE;
    }
  if (!bench_bookings (b, error))
    return FALSE;
  for (guint i = 0; i + 1 < indexes->len; i += 2)
    if (!bench_exec (b, g_ptr_array_index (indexes, i + 1), error))
      return FALSE;
  return bench_exec (b, "ANALYZE", error);
}

static void
bench_clear (Bench *b)
{
  for (guint i = 0; i < b->n_inst; i++)
    g_free (b->inst_ids[i]);
  for (guint i = 0; i < b->n_exams; i++)
    g_free (b->exam_ids[i]);
  for (guint i = 0; i < b->n_partners; i++)
    g_free (b->partner_ids[i]);
  g_free (b->inst_ids);
  g_free (b->exam_ids);
  g_free (b->partner_ids);
  g_free (b->prices);
  g_free (b->active);
  g_free (b->allowed);
  g_free (b->now);
  g_rand_free (b->rand);
}

static gboolean
bench_fill (Bench   *b,
            GError **error)
{
  return bench_institutions (b, error) && bench_examinations (b, error)
         && bench_prices (b, error) && bench_partners (b, error)
         && bench_activations (b, error) && bench_bookings_fast (b, error);
}

gboolean
pd_sample_data_make_bench_traffic (PdStore  *store,
                                   guint     n_examinations,
                                   guint     n_partners,
                                   guint     n_institutions,
                                   guint     n_bookings,
                                   char    **big_partner_id,
                                   char    **institution_id,
                                   GError  **error)
{
  Bench b = { store, g_rand_new_with_seed (7), n_examinations, n_partners, n_institutions,
              n_bookings };
  gboolean ok;

  g_return_val_if_fail (PD_IS_STORE (store), FALSE);
  g_return_val_if_fail (n_examinations > 0 && n_partners > 0 && n_institutions > 0, FALSE);

  b.inst_ids = g_new0 (char *, n_institutions);
  b.exam_ids = g_new0 (char *, n_examinations);
  b.partner_ids = g_new0 (char *, n_partners);
  b.prices = g_new0 (gint64, (gsize) n_institutions * n_examinations);
  b.active = g_new0 (gboolean, n_partners);
  b.allowed = g_new0 (gboolean, (gsize) n_partners * n_institutions);
  b.now = pd_timestamp_now ();
  ok = _pd_store_begin (store, error);
  if (ok && !bench_fill (&b, error))
    {
      _pd_store_rollback (store);
      ok = FALSE;
    }
  ok = ok && _pd_store_commit (store, error);
  if (ok && big_partner_id)
    *big_partner_id = g_strdup (b.partner_ids[0]);
  if (ok && institution_id)
    *institution_id = g_strdup (b.inst_ids[0]);
  bench_clear (&b);
  if (ok)
    for (guint i = 0; i < 6; i++)
      pd_store_notify_collection_changed (store, ((const char *[]) { "institution",
                                          "examination", "examination_price", "partner",
                                          "activation", "booking" })[i], NULL);
  return ok;
}
