/* test-catalogue.c: catalogue rules, traffic channels (activations, matrix), booking refusals, benefits. */
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>

#include "pd-core.h"
#include "pd-test-util.h"

typedef struct {
  char     *dir;
  char     *path;
  PdStore  *store;
  PdRecord *inst_a;    /* Riverside */
  PdRecord *inst_b;    /* Northgate */
  PdRecord *ecg;       /* offered at A only */
  PdRecord *mri;       /* offered at A and B */
  PdRecord *old;       /* archived, priced at A */
  PdRecord *acme;      /* active employer, may book at A */
  PdRecord *beta;      /* invited clinic, A and B */
  PdRecord *cura;      /* active clinic, A and B */
} Fixture;

static PdRecord *
save_institution (Fixture    *f,
                  const char *name)
{
  g_autoptr(GError) error = NULL;
  PdRecord *inst = pd_record_new (&pd_institution_type);

  pd_record_set_string (inst, "name", name);
  g_assert_true (pd_store_save (f->store, inst, &error));
  g_assert_no_error (error);
  return inst;
}

static PdRecord *
save_exam (Fixture    *f,
           const char *code,
           const char *name)
{
  g_autoptr(GError) error = NULL;
  PdRecord *exam = pd_record_new (&pd_examination_type);

  pd_record_set_string (exam, "code", code);
  pd_record_set_string (exam, "name", name);
  pd_record_set_int (exam, "duration_minutes", 30);
  g_assert_true (pd_catalogue_save_examination (f->store, exam, &error));
  g_assert_no_error (error);
  return exam;
}

static PdRecord *
save_partner (Fixture            *f,
              const char         *name,
              const char         *kind,
              const char         *status,
              PdRecord           *inst1,
              PdRecord           *inst2)
{
  g_autoptr(GError) error = NULL;
  PdRecord *partner = pd_record_new (&pd_partner_type);
  const char *ids[3] = { inst1 ? pd_record_get_id (inst1) : NULL,
                         inst2 ? pd_record_get_id (inst2) : NULL, NULL };

  pd_record_set_string (partner, "name", name);
  pd_record_set_string (partner, "kind", kind);
  pd_record_set_string (partner, "status", status);
  pd_record_set_strv (partner, "institutions", ids);
  pd_record_set_string (partner, "commission_mode", "percentage");
  pd_record_set_int (partner, "commission_percent", 1000);
  g_assert_true (pd_store_save (f->store, partner, &error));
  g_assert_no_error (error);
  return partner;
}

static void
set_price (Fixture  *f,
           PdRecord *exam,
           PdRecord *inst,
           gint64    price)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (pd_catalogue_set_price (f->store, pd_record_get_id (exam),
                                         pd_record_get_id (inst), price, &error));
  g_assert_no_error (error);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->store = pd_test_open_store ("pd-test-catalogue-XXXXXX", NULL, &f->dir, &f->path);
  f->inst_a = save_institution (f, "Riverside Medical Centre");
  f->inst_b = save_institution (f, "Northgate Diagnostics");
  f->ecg = save_exam (f, "DX-ECG", "Resting ECG");
  f->mri = save_exam (f, "DX-MRK", "MRI knee");
  f->old = save_exam (f, "LAB-OLD", "Legacy blood panel");
  set_price (f, f->ecg, f->inst_a, 4500);
  set_price (f, f->mri, f->inst_a, 42000);
  set_price (f, f->mri, f->inst_b, 44000);
  set_price (f, f->old, f->inst_a, 3500);
  g_assert_true (pd_catalogue_set_archived (f->store, pd_record_get_id (f->old), TRUE, &error));
  g_assert_no_error (error);
  f->acme = save_partner (f, "Acme Logistics GmbH", "employer", "active", f->inst_a, NULL);
  f->beta = save_partner (f, "Beta Clinic", "clinic", "invited", f->inst_a, f->inst_b);
  f->cura = save_partner (f, "Cura Clinic", "clinic", "active", f->inst_a, f->inst_b);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_object (&f->inst_a);
  g_clear_object (&f->inst_b);
  g_clear_object (&f->ecg);
  g_clear_object (&f->mri);
  g_clear_object (&f->old);
  g_clear_object (&f->acme);
  g_clear_object (&f->beta);
  g_clear_object (&f->cura);
  g_clear_object (&f->store);
  pd_test_remove_tree (f->dir);
  g_free (f->dir);
  g_free (f->path);
}

static gint64
count (Fixture    *f,
       const char *sql)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  gint64 value;

  g_assert_cmpint (sqlite3_open (f->path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  value = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return value;
}

#define ID(r) pd_record_get_id (r)

/* Catalogue */

static void
test_unique_codes (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PdRecord) dup = pd_record_new (&pd_examination_type);

  pd_record_set_string (dup, "code", "dx-ecg ");
  pd_record_set_string (dup, "name", "Another ECG");
  pd_record_set_int (dup, "duration_minutes", 20);
  g_assert_false (pd_catalogue_save_examination (f->store, dup, &error));
  g_assert_error (error, PD_ERROR, PD_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "An examination with the code “dx-ecg” already exists"));
  g_assert_cmpint (pd_store_count (f->store, &pd_examination_type), ==, 3);

  /* A tombstoned examination frees its code. */
  g_clear_error (&error);
  g_assert_true (pd_store_delete (f->store, &pd_examination_type, ID (f->ecg), &error));
  g_assert_true (pd_catalogue_save_examination (f->store, dup, &error));
  g_assert_no_error (error);
}

static void
test_required_and_duration (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PdRecord) exam = pd_record_new (&pd_examination_type);

  pd_record_set_string (exam, "code", "X1");
  pd_record_set_string (exam, "name", "Something");
  g_assert_false (pd_catalogue_save_examination (f->store, exam, &error));
  g_assert_error (error, PD_ERROR, PD_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "Duration in minutes"));
  g_clear_error (&error);
  pd_record_set_int (exam, "duration_minutes", 0);
  g_assert_false (pd_catalogue_save_examination (f->store, exam, &error));
  g_assert_cmpstr (error->message, ==,
                   "Duration in minutes: The duration must be at least one minute");
  g_clear_error (&error);
  pd_record_set_int (exam, "duration_minutes", 45);
  g_assert_true (pd_catalogue_save_examination (f->store, exam, &error));
  g_assert_no_error (error);
}

static void
test_price_bounds (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *message = NULL;
  gint64 price = -1;

  g_assert_false (pd_catalogue_set_price (f->store, ID (f->ecg), ID (f->inst_a),
                                          PD_CATALOGUE_MAX_PRICE + 1, &error));
  g_assert_error (error, PD_ERROR, PD_ERROR_INVALID);
  g_assert_cmpstr (error->message, ==, "Price: A price can be at most 10,000,000.00");
  g_clear_error (&error);
  g_assert_false (pd_catalogue_set_price (f->store, ID (f->ecg), ID (f->inst_a), -1, &error));
  g_assert_error (error, PD_ERROR, PD_ERROR_INVALID);
  g_clear_error (&error);
  /* Nothing changed. */
  g_assert_true (pd_catalogue_get_price (f->store, ID (f->ecg), ID (f->inst_a), &price));
  g_assert_cmpint (price, ==, 4500);
  /* The maximum itself and zero are fine. */
  g_assert_true (pd_catalogue_set_price (f->store, ID (f->ecg), ID (f->inst_a),
                                         PD_CATALOGUE_MAX_PRICE, &error));
  g_assert_true (pd_catalogue_set_price (f->store, ID (f->ecg), ID (f->inst_a), 0, &error));
  g_assert_no_error (error);
  /* Still one live row for the cell. */
  g_assert_cmpint (count (f, "SELECT count(*) FROM examination_prices WHERE deleted = 0"), ==, 4);

  g_assert_false (pd_catalogue_parse_price ("10000000.01", &price, &message));
  g_assert_cmpstr (message, ==, "A price can be at most 10,000,000.00");
  g_clear_pointer (&message, g_free);
  g_assert_false (pd_catalogue_parse_price ("-3", &price, &message));
  g_assert_nonnull (message);
  g_assert_true (pd_catalogue_parse_price ("1,234.50", &price, NULL));
  g_assert_cmpint (price, ==, 123450);
}

static void
test_list_and_clear_price (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = pd_catalogue_list (f->store, FALSE, &error);
  g_autoptr(GPtrArray) all = NULL;
  PdCatalogueEntry *mri;

  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 2);  /* the archived one is left out */
  mri = g_ptr_array_index (list, 0);    /* "MRI knee" < "Resting ECG" */
  g_assert_cmpstr (pd_record_get_string (mri->examination, "code"), ==, "DX-MRK");
  g_assert_cmpuint (g_hash_table_size (mri->prices), ==, 2);
  g_assert_cmpint (*(gint64 *) g_hash_table_lookup (mri->prices, ID (f->inst_b)), ==, 44000);
  all = pd_catalogue_list (f->store, TRUE, &error);
  g_assert_cmpuint (all->len, ==, 3);

  g_assert_true (pd_catalogue_clear_price (f->store, ID (f->mri), ID (f->inst_b), &error));
  g_assert_no_error (error);
  g_assert_false (pd_catalogue_get_price (f->store, ID (f->mri), ID (f->inst_b), NULL));
  /* Offering it again works (the old row is a tombstone). */
  set_price (f, f->mri, f->inst_b, 45000);
  g_assert_cmpint (count (f, "SELECT count(*) FROM change_log "
                          "WHERE collection = 'examination_price'"), ==, 6);
}

/* Traffic */

static void
test_activation_and_refusals (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (pd_traffic_check_cell (f->store, ID (f->acme), ID (f->inst_a), ID (f->ecg),
                                          NULL), ==, PD_CELL_OK);
  g_assert_true (pd_traffic_set_enabled (f->store, ID (f->acme), ID (f->inst_a), ID (f->ecg),
                                         TRUE, &error));
  g_assert_no_error (error);
  g_assert_true (pd_traffic_is_enabled (f->store, ID (f->acme), ID (f->inst_a), ID (f->ecg)));
  g_assert_cmpint (count (f, "SELECT count(*) FROM change_log WHERE collection = 'activation'"),
                   ==, 1);
  g_assert_cmpint (count (f, "SELECT count(*) FROM audit WHERE record_type = 'activation' "
                          "AND record_title = 'Resting ECG at Riverside Medical Centre'"), ==, 1);

  /* Not allowed at the institution. */
  g_assert_false (pd_traffic_set_enabled (f->store, ID (f->acme), ID (f->inst_b), ID (f->mri),
                                          TRUE, &error));
  g_assert_error (error, PD_ERROR, PD_ERROR_INVALID);
  g_assert_cmpstr (error->message, ==, "Acme Logistics GmbH may not book at Northgate Diagnostics");
  g_clear_error (&error);
  /* Not active. */
  g_assert_false (pd_traffic_set_enabled (f->store, ID (f->beta), ID (f->inst_a), ID (f->mri),
                                          TRUE, &error));
  g_assert_nonnull (strstr (error->message, "Beta Clinic is not active"));
  g_clear_error (&error);
  /* Not offered. */
  g_assert_false (pd_traffic_set_enabled (f->store, ID (f->cura), ID (f->inst_b), ID (f->ecg),
                                          TRUE, &error));
  g_assert_cmpstr (error->message, ==, "Resting ECG is not offered at Northgate Diagnostics");
  g_clear_error (&error);
  /* Archived. */
  g_assert_false (pd_traffic_set_enabled (f->store, ID (f->cura), ID (f->inst_a), ID (f->old),
                                          TRUE, &error));
  g_assert_cmpstr (error->message, ==, "Legacy blood panel is archived");
  g_clear_error (&error);
  g_assert_cmpint (count (f, "SELECT count(*) FROM activations"), ==, 1);

  /* The store itself refuses, whoever saves. */
  {
    g_autoptr(PdRecord) raw = pd_record_new (&pd_activation_type);

    pd_record_set_string (raw, "partner_id", ID (f->beta));
    pd_record_set_string (raw, "institution_id", ID (f->inst_a));
    pd_record_set_string (raw, "examination_id", ID (f->mri));
    pd_record_set_bool (raw, "enabled", TRUE);
    g_assert_false (pd_store_save (f->store, raw, &error));
    g_assert_error (error, PD_ERROR, PD_ERROR_INVALID);
    g_clear_error (&error);
    /* A second row for an existing cell is refused too. */
    pd_record_set_string (raw, "partner_id", ID (f->acme));
    pd_record_set_string (raw, "examination_id", ID (f->ecg));
    g_assert_false (pd_store_save (f->store, raw, &error));
    g_assert_nonnull (strstr (error->message, "already has an activation"));
  }
  g_clear_error (&error);

  /* Disabling always works, and keeps the row. */
  g_assert_true (pd_traffic_set_enabled (f->store, ID (f->acme), ID (f->inst_a), ID (f->ecg),
                                         FALSE, &error));
  g_assert_false (pd_traffic_is_enabled (f->store, ID (f->acme), ID (f->inst_a), ID (f->ecg)));
  g_assert_cmpint (count (f, "SELECT count(*) FROM activations WHERE enabled = 0"), ==, 1);
  /* Setting the same state again writes nothing. */
  g_assert_true (pd_traffic_set_enabled (f->store, ID (f->acme), ID (f->inst_a), ID (f->ecg),
                                         FALSE, &error));
  g_assert_cmpint (count (f, "SELECT count(*) FROM change_log WHERE collection = 'activation'"),
                   ==, 2);
}

static void
test_matrix (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PdTrafficMatrix) m = NULL;
  g_autoptr(GArray) changed = NULL;
  g_autofree char *reason = NULL;
  g_autofree char *label = NULL;
  PdTrafficFilter filter = { .include_archived = TRUE };
  int ecg, mri, old, acme, beta, cura;
  guint n = 0;

  g_assert_true (pd_traffic_set_enabled (f->store, ID (f->cura), ID (f->inst_a), ID (f->mri),
                                         TRUE, &error));
  m = pd_traffic_matrix_load (f->store, ID (f->inst_a), &filter, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (pd_traffic_matrix_get_n_rows (m), ==, 3);
  g_assert_cmpuint (pd_traffic_matrix_get_n_columns (m), ==, 3);
  ecg = pd_traffic_matrix_find_row (m, ID (f->ecg));
  mri = pd_traffic_matrix_find_row (m, ID (f->mri));
  old = pd_traffic_matrix_find_row (m, ID (f->old));
  acme = pd_traffic_matrix_find_column (m, ID (f->acme));
  beta = pd_traffic_matrix_find_column (m, ID (f->beta));
  cura = pd_traffic_matrix_find_column (m, ID (f->cura));
  /* Sorted by name. */
  g_assert_cmpint (old, ==, 0);
  g_assert_cmpint (mri, ==, 1);
  g_assert_cmpint (ecg, ==, 2);
  g_assert_cmpint (acme, ==, 0);
  g_assert_true (pd_traffic_matrix_get_enabled (m, mri, cura));
  g_assert_false (pd_traffic_matrix_get_enabled (m, mri, acme));
  g_assert_cmpint (pd_traffic_matrix_get_block (m, mri, beta), ==, PD_CELL_PARTNER_NOT_ACTIVE);
  g_assert_cmpint (pd_traffic_matrix_get_block (m, old, cura), ==, PD_CELL_ARCHIVED);
  g_assert_cmpint (pd_traffic_matrix_get_block (m, ecg, acme), ==, PD_CELL_OK);
  reason = pd_traffic_matrix_describe_block (m, old, cura);
  g_assert_cmpstr (reason, ==, "Legacy blood panel is archived");
  label = pd_traffic_matrix_dup_cell_label (m, ecg, acme);
  g_assert_cmpstr (label, ==, "Resting ECG for Acme Logistics GmbH at Riverside Medical Centre");

  /* One cell. */
  g_assert_true (pd_traffic_matrix_set_enabled (m, f->store, ecg, acme, TRUE, &error));
  g_assert_true (pd_traffic_matrix_get_enabled (m, ecg, acme));
  g_assert_false (pd_traffic_matrix_set_enabled (m, f->store, ecg, beta, TRUE, &error));
  g_assert_error (error, PD_ERROR, PD_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (pd_traffic_matrix_get_enabled (m, ecg, beta));

  /* A whole column, then Undo. Blocked cells are skipped. */
  g_assert_true (pd_traffic_matrix_set_column (m, f->store, cura, TRUE, &changed, &n, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, 1);  /* ECG; MRI was on; the archived one is blocked */
  g_assert_cmpuint (changed->len, ==, 1);
  g_assert_true (pd_traffic_is_enabled (f->store, ID (f->cura), ID (f->inst_a), ID (f->ecg)));
  g_assert_true (pd_traffic_matrix_set_cells (m, f->store, changed, FALSE, &n, &error));
  g_assert_cmpuint (n, ==, 1);
  g_assert_false (pd_traffic_is_enabled (f->store, ID (f->cura), ID (f->inst_a), ID (f->ecg)));
  g_assert_false (pd_traffic_matrix_get_enabled (m, ecg, cura));
  g_assert_true (pd_traffic_matrix_get_enabled (m, mri, cura));
  g_clear_pointer (&changed, g_array_unref);

  /* A whole row. */
  g_assert_true (pd_traffic_matrix_set_row (m, f->store, mri, TRUE, &changed, &n, &error));
  g_assert_cmpuint (n, ==, 1);  /* Acme; Cura was on; Beta is blocked */
  g_assert_cmpuint (pd_traffic_matrix_count_row (m, mri), ==, 2);
  g_assert_true (pd_traffic_matrix_set_row (m, f->store, mri, FALSE, NULL, &n, &error));
  g_assert_cmpuint (n, ==, 2);
  g_assert_cmpuint (pd_traffic_matrix_count_row (m, mri), ==, 0);

  /* Filters: kind, one partner, search, offered only at B. */
  {
    PdTrafficFilter clinics = { .partner_kind = "clinic", .search = "ecg" };
    PdTrafficFilter one = { .partner_id = ID (f->acme) };
    PdTrafficFilter offered = { .offered_only = TRUE };
    g_autoptr(PdTrafficMatrix) a = pd_traffic_matrix_load (f->store, ID (f->inst_a), &clinics,
                                                           &error);
    g_autoptr(PdTrafficMatrix) b = pd_traffic_matrix_load (f->store, ID (f->inst_a), &one,
                                                           &error);
    g_autoptr(PdTrafficMatrix) c = pd_traffic_matrix_load (f->store, ID (f->inst_b), &offered,
                                                           &error);

    g_assert_no_error (error);
    g_assert_cmpuint (pd_traffic_matrix_get_n_columns (a), ==, 2);
    g_assert_cmpuint (pd_traffic_matrix_get_n_rows (a), ==, 1);
    g_assert_cmpuint (pd_traffic_matrix_get_n_columns (b), ==, 1);
    g_assert_cmpuint (pd_traffic_matrix_get_n_rows (b), ==, 2);
    g_assert_true (pd_traffic_matrix_get_enabled (b, pd_traffic_matrix_find_row (b, ID (f->ecg)), 0));
    g_assert_cmpuint (pd_traffic_matrix_get_n_rows (c), ==, 1);
    g_assert_cmpint (pd_traffic_matrix_get_block (c, 0, pd_traffic_matrix_find_column (c, ID (f->acme))),
                     ==, PD_CELL_INSTITUTION_NOT_ALLOWED);
  }
}

/* Bookings */

static GDateTime *
when (const char *iso)
{
  return g_date_time_new_from_iso8601 (iso, NULL);
}

static void
test_booking_refusals (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDateTime) at = when ("2026-03-10T09:00:00Z");
  g_autoptr(PdRecord) booking = NULL;
  g_autoptr(PdRecord) raw = NULL;
  struct {
    PdRecord   *partner;
    PdRecord   *inst;
    PdRecord   *exam;
    const char *message;
  } cases[] = {
    { f->acme, f->inst_a, f->mri, "MRI knee is not activated for Acme Logistics GmbH at Riverside Medical Centre" },
    { f->acme, f->inst_b, f->mri, "Acme Logistics GmbH may not book at Northgate Diagnostics" },
    { f->beta, f->inst_a, f->mri, "Beta Clinic is not active: only partners who accepted their invitation can book" },
    { f->cura, f->inst_b, f->ecg, "Resting ECG is not offered at Northgate Diagnostics" },
    { f->cura, f->inst_a, f->old, "Legacy blood panel is archived" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      booking = pd_booking_create (f->store, ID (cases[i].partner), ID (cases[i].inst),
                                   ID (cases[i].exam), at, NULL, "Jane Doe", NULL, &error);
      g_assert_null (booking);
      g_assert_error (error, PD_ERROR, PD_ERROR_INVALID);
      g_assert_cmpstr (error->message, ==, cases[i].message);
      g_clear_error (&error);
    }
  /* A cell enabled before its partner was terminated cannot be booked. */
  g_assert_true (pd_traffic_set_enabled (f->store, ID (f->cura), ID (f->inst_a), ID (f->ecg),
                                         TRUE, &error));
  pd_record_set_string (f->cura, "status", "terminated");
  g_assert_true (pd_store_save (f->store, f->cura, &error));
  booking = pd_booking_create (f->store, ID (f->cura), ID (f->inst_a), ID (f->ecg), at, NULL,
                               "Jane Doe", NULL, &error);
  g_assert_null (booking);
  g_assert_nonnull (strstr (error->message, "Cura Clinic is not active"));
  g_clear_error (&error);
  /* Patient missing. */
  g_assert_true (pd_traffic_set_enabled (f->store, ID (f->acme), ID (f->inst_a), ID (f->ecg),
                                         TRUE, &error));
  booking = pd_booking_create (f->store, ID (f->acme), ID (f->inst_a), ID (f->ecg), at, NULL,
                               "  ", NULL, &error);
  g_assert_null (booking);
  g_assert_cmpstr (error->message, ==, "Choose a person or enter the patient’s name");
  g_clear_error (&error);
  g_assert_cmpint (count (f, "SELECT count(*) FROM bookings"), ==, 0);

  /* The store refuses a raw booking record too, with the reason. */
  raw = pd_record_new (&pd_booking_type);
  pd_record_set_string (raw, "partner_id", ID (f->acme));
  pd_record_set_string (raw, "institution_id", ID (f->inst_a));
  pd_record_set_string (raw, "examination_id", ID (f->mri));
  pd_record_set_string (raw, "booked_at", "2026-03-10T09:00:00Z");
  pd_record_set_string (raw, "patient_name", "Jane Doe");
  g_assert_false (pd_store_save (f->store, raw, &error));
  g_assert_cmpstr (error->message, ==, "Examination: MRI knee is not activated for Acme "
                   "Logistics GmbH at Riverside Medical Centre");
  g_clear_error (&error);

  /* Enabled: booked, with the catalogue price and the commission kept. */
  booking = pd_booking_create (f->store, ID (f->acme), ID (f->inst_a), ID (f->ecg), at, NULL,
                               "Jane Doe", NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (booking);
  g_assert_cmpint (pd_record_get_int (booking, "price"), ==, 4500);
  g_assert_cmpint (pd_record_get_int (booking, "commission"), ==, 450);
  g_assert_cmpstr (pd_record_get_string (booking, "status"), ==, "booked");
  g_assert_cmpint (count (f, "SELECT count(*) FROM change_log WHERE collection = 'booking'"),
                   ==, 1);
  /* A later price change does not touch it. */
  set_price (f, f->ecg, f->inst_a, 9900);
  g_clear_object (&booking);
  booking = pd_store_get (f->store, &pd_booking_type,
                          ID (g_ptr_array_index (pd_store_list (f->store, &pd_booking_type, NULL,
                                                                NULL, NULL), 0)), NULL);
  g_assert_cmpint (pd_record_get_int (booking, "price"), ==, 4500);

  /* Disabling the cell later still lets the booking be cancelled. */
  g_assert_true (pd_traffic_set_enabled (f->store, ID (f->acme), ID (f->inst_a), ID (f->ecg),
                                         FALSE, &error));
  g_assert_true (pd_booking_cancel (f->store, ID (booking), &error));
  g_assert_no_error (error);
  g_assert_false (pd_booking_cancel (f->store, ID (booking), &error));
  g_assert_cmpstr (error->message, ==, "This booking is already cancelled");
}

/* Benefits */

static PdRecord *
save_person (Fixture    *f,
             const char *first,
             const char *relationship,
             const char *coverage_start)
{
  g_autoptr(GError) error = NULL;
  PdRecord *person = pd_record_new (&pd_person_type);

  pd_record_set_string (person, "partner_id", ID (f->acme));
  pd_record_set_string (person, "member_id", "M-1");
  pd_record_set_string (person, "first_name", first);
  pd_record_set_string (person, "last_name", "Berg");
  pd_record_set_string (person, "date_of_birth", "1980-04-23");
  pd_record_set_string (person, "relationship", relationship);
  pd_record_set_string (person, "coverage_start", coverage_start);
  pd_record_set_string (person, "eligibility_status", "eligible");
  if (strcmp (relationship, "employee") != 0)
    pd_record_set_string (person, "employee_member_id", "M-1");
  pd_store_save (f->store, person, &error);
  g_assert_no_error (error);
  return person;
}

static gboolean
has_warning (GPtrArray  *warnings,
             const char *text)
{
  for (guint i = 0; i < warnings->len; i++)
    if (strstr (g_ptr_array_index (warnings, i), text))
      return TRUE;
  return FALSE;
}

static void
test_benefits (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PdRecord) anna = save_person (f, "Anna", "employee", "2025-01-01");
  g_autoptr(PdRecord) kid = save_person (f, "Ben", "child", "2026-03-01");
  g_autoptr(PdRecord) benefit = pd_record_new (&pd_benefit_type);
  g_autoptr(PdRecord) clinic_benefit = pd_record_new (&pd_benefit_type);
  g_autoptr(PdRecord) dup = NULL;
  g_autoptr(GPtrArray) warnings = NULL;
  g_autoptr(GDateTime) march = when ("2026-03-10T09:00:00Z");
  g_autoptr(GDateTime) april = when ("2026-04-20T09:00:00Z");
  g_autoptr(GDateTime) next_year = when ("2027-01-05T09:00:00Z");

  g_assert_true (pd_traffic_set_enabled (f->store, ID (f->acme), ID (f->inst_a), ID (f->ecg),
                                         TRUE, &error));
  g_assert_true (pd_traffic_set_enabled (f->store, ID (f->acme), ID (f->inst_a), ID (f->mri),
                                         TRUE, &error));
  /* ECG: one visit a year, 30 days waiting, dependents not covered. MRI: not covered. */
  pd_record_set_string (benefit, "partner_id", ID (f->acme));
  pd_record_set_string (benefit, "examination_id", ID (f->ecg));
  pd_record_set_int (benefit, "visits_per_year", 1);
  pd_record_set_int (benefit, "copay", 1000);
  pd_record_set_int (benefit, "waiting_days", 30);
  g_assert_true (pd_store_save (f->store, benefit, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (pd_record_get_title (benefit), ==, "Resting ECG");

  /* Rules of benefits themselves. */
  dup = pd_record_copy (benefit);
  _pd_record_set_meta (dup, "other-id", 0, NULL, NULL, NULL, FALSE);
  g_assert_false (pd_store_save (f->store, dup, &error));
  g_assert_nonnull (strstr (error->message, "already has a benefit for this examination"));
  g_clear_error (&error);
  pd_record_set_string (clinic_benefit, "partner_id", ID (f->cura));
  pd_record_set_string (clinic_benefit, "examination_id", ID (f->ecg));
  g_assert_false (pd_store_save (f->store, clinic_benefit, &error));
  g_assert_cmpstr (error->message, ==, "Partner: Only employers have benefits");
  g_clear_error (&error);
  pd_record_set_string (clinic_benefit, "partner_id", ID (f->acme));
  pd_record_set_string (clinic_benefit, "examination_id", ID (f->old));
  pd_record_set_int (clinic_benefit, "waiting_days", -1);
  g_assert_false (pd_store_save (f->store, clinic_benefit, &error));
  g_clear_error (&error);

  /* Not covered. */
  g_assert_true (pd_booking_check (f->store, ID (f->acme), ID (f->inst_a), ID (f->mri), march,
                                   ID (anna), NULL, &warnings, &error));
  g_assert_true (has_warning (warnings, "The benefits of Acme Logistics GmbH do not cover MRI knee"));
  g_clear_pointer (&warnings, g_ptr_array_unref);

  /* Covered, first visit: no warning; booked anyway. */
  g_assert_true (pd_booking_check (f->store, ID (f->acme), ID (f->inst_a), ID (f->ecg), march,
                                   ID (anna), NULL, &warnings, &error));
  g_assert_cmpuint (warnings->len, ==, 0);
  g_clear_pointer (&warnings, g_ptr_array_unref);
  g_clear_object (&dup);
  dup = pd_booking_create (f->store, ID (f->acme), ID (f->inst_a), ID (f->ecg), march, ID (anna),
                           NULL, &warnings, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (pd_record_get_string (dup, "patient_name"), ==, "Anna Berg");
  g_clear_pointer (&warnings, g_ptr_array_unref);

  /* Visits used up in 2026, not in 2027. */
  g_assert_true (pd_booking_check (f->store, ID (f->acme), ID (f->inst_a), ID (f->ecg), april,
                                   ID (anna), NULL, &warnings, &error));
  g_assert_true (has_warning (warnings, "Anna Berg has used the 1 visit per year for Resting ECG in 2026"));
  g_clear_pointer (&warnings, g_ptr_array_unref);
  g_assert_true (pd_booking_check (f->store, ID (f->acme), ID (f->inst_a), ID (f->ecg), next_year,
                                   ID (anna), NULL, &warnings, &error));
  g_assert_cmpuint (warnings->len, ==, 0);
  g_clear_pointer (&warnings, g_ptr_array_unref);
  /* A cancelled visit does not count. */
  g_assert_true (pd_booking_cancel (f->store, ID (dup), &error));
  g_assert_true (pd_booking_check (f->store, ID (f->acme), ID (f->inst_a), ID (f->ecg), april,
                                   ID (anna), NULL, &warnings, &error));
  g_assert_cmpuint (warnings->len, ==, 0);
  g_clear_pointer (&warnings, g_ptr_array_unref);

  /* Waiting period (coverage from 2026-03-01 + 30 days) and dependents. */
  g_assert_true (pd_booking_check (f->store, ID (f->acme), ID (f->inst_a), ID (f->ecg), march,
                                   ID (kid), NULL, &warnings, &error));
  g_assert_true (has_warning (warnings, "only from 2026-03-31 (waiting period of 30 days)"));
  g_assert_true (has_warning (warnings, "does not cover dependents such as Ben Berg"));
  g_clear_pointer (&warnings, g_ptr_array_unref);
  g_assert_true (pd_booking_check (f->store, ID (f->acme), ID (f->inst_a), ID (f->ecg), april,
                                   ID (kid), NULL, &warnings, &error));
  g_assert_false (has_warning (warnings, "waiting period"));
  g_clear_pointer (&warnings, g_ptr_array_unref);

  /* 0 visits per year is unlimited. */
  pd_record_set_int (benefit, "visits_per_year", 0);
  g_assert_true (pd_store_save (f->store, benefit, &error));

  /* A person of another partner is refused (an error, not a warning). */
  g_assert_false (pd_booking_check (f->store, ID (f->cura), ID (f->inst_a), ID (f->mri), march,
                                    ID (anna), NULL, NULL, &error));
  g_assert_cmpstr (error->message, ==, "The chosen person does not belong to this partner");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(name, func) \
  g_test_add (name, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/catalogue/unique-codes", test_unique_codes);
  ADD ("/catalogue/required-and-duration", test_required_and_duration);
  ADD ("/catalogue/price-bounds", test_price_bounds);
  ADD ("/catalogue/list-and-clear-price", test_list_and_clear_price);
  ADD ("/traffic/activation-and-refusals", test_activation_and_refusals);
  ADD ("/traffic/matrix", test_matrix);
  ADD ("/booking/refusals", test_booking_refusals);
  ADD ("/booking/benefits", test_benefits);
  return g_test_run ();
}
