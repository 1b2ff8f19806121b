/* pd-store-migrations.c: the schema, one SQL step per version, applied in one transaction. */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "pd-error.h"
#include "pd-store-private.h"

/* Version 1: the records of issue 2, the change log (sync outbox), the audit trail, settings.
 * Adding a field means: a PdField line in pd-record-types.c and an ALTER TABLE here. */
static const char migration_1[] =
  "CREATE TABLE practice_users ("
  "  id TEXT PRIMARY KEY, version INTEGER NOT NULL, created_at TEXT NOT NULL,"
  "  updated_at TEXT NOT NULL, updated_by TEXT, deleted INTEGER NOT NULL DEFAULT 0,"
  "  name TEXT, email TEXT, permissions TEXT);"
  "CREATE TABLE institutions ("
  "  id TEXT PRIMARY KEY, version INTEGER NOT NULL, created_at TEXT NOT NULL,"
  "  updated_at TEXT NOT NULL, updated_by TEXT, deleted INTEGER NOT NULL DEFAULT 0,"
  "  name TEXT, name_fold TEXT, address TEXT);"
  "CREATE UNIQUE INDEX institutions_name_fold ON institutions (name_fold) WHERE deleted = 0;"
  "CREATE TABLE partners ("
  "  id TEXT PRIMARY KEY, version INTEGER NOT NULL, created_at TEXT NOT NULL,"
  "  updated_at TEXT NOT NULL, updated_by TEXT, deleted INTEGER NOT NULL DEFAULT 0,"
  "  kind TEXT, name TEXT, name_fold TEXT, tax_number TEXT, registration_number TEXT,"
  "  industry TEXT, employee_count INTEGER, description TEXT, linkedin_url TEXT,"
  "  billing_email TEXT,"
  "  owner_id TEXT REFERENCES practice_users (id) DEFERRABLE INITIALLY DEFERRED,"
  "  hq_street TEXT, hq_city TEXT, hq_state TEXT, hq_postal_code TEXT, hq_country TEXT,"
  "  rep_name TEXT, rep_email TEXT, rep_phone TEXT,"
  "  institutions TEXT, statistics_required INTEGER NOT NULL DEFAULT 0,"
  "  commission_mode TEXT, commission_percent INTEGER, commission_fixed INTEGER,"
  "  payment_location TEXT, patient_data_visible INTEGER NOT NULL DEFAULT 0,"
  "  status TEXT, invited_at TEXT, accepted_at TEXT, terminated_at TEXT);"
  "CREATE UNIQUE INDEX partners_name_fold ON partners (name_fold) WHERE deleted = 0;"
  "CREATE TABLE partner_users ("
  "  id TEXT PRIMARY KEY, version INTEGER NOT NULL, created_at TEXT NOT NULL,"
  "  updated_at TEXT NOT NULL, updated_by TEXT, deleted INTEGER NOT NULL DEFAULT 0,"
  "  partner_id TEXT NOT NULL REFERENCES partners (id) DEFERRABLE INITIALLY DEFERRED,"
  "  name TEXT, email TEXT, role TEXT, status TEXT);"
  "CREATE INDEX partner_users_partner ON partner_users (partner_id);"
  "CREATE TABLE change_log ("
  "  seq INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL UNIQUE,"
  "  collection TEXT NOT NULL, record_id TEXT NOT NULL, base_version INTEGER NOT NULL,"
  "  deleted INTEGER NOT NULL DEFAULT 0, payload TEXT NOT NULL, created_at TEXT NOT NULL);"
  "CREATE TABLE audit ("
  "  seq INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, who TEXT,"
  "  record_type TEXT NOT NULL, record_id TEXT NOT NULL, partner_id TEXT,"
  "  record_title TEXT, action TEXT NOT NULL, field TEXT, old_value TEXT, new_value TEXT);"
  "CREATE INDEX audit_partner ON audit (partner_id, seq);"
  "CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT);";

/* Version 2: eligibility (issue 3): people, uploads with their bytes and rejected rows,
 * column mappings per partner. first_name_fold is the case-folded first name of the
 * identity key (partner, member ID, relationship, first name, date of birth). */
static const char migration_2[] =
  "CREATE TABLE uploads ("
  "  id TEXT PRIMARY KEY, version INTEGER NOT NULL, created_at TEXT NOT NULL,"
  "  updated_at TEXT NOT NULL, updated_by TEXT, deleted INTEGER NOT NULL DEFAULT 0,"
  "  partner_id TEXT NOT NULL REFERENCES partners (id) DEFERRABLE INITIALLY DEFERRED,"
  "  file_name TEXT, sha256 TEXT, mode TEXT, format TEXT, encoding TEXT, size INTEGER,"
  "  termination_date TEXT, rows INTEGER, created INTEGER, updated INTEGER,"
  "  unchanged INTEGER, terminated INTEGER, rejected INTEGER, who TEXT);"
  "CREATE INDEX uploads_partner ON uploads (partner_id, created_at);"
  "CREATE INDEX uploads_sha256 ON uploads (partner_id, sha256);"
  "CREATE TABLE upload_files ("
  "  upload_id TEXT PRIMARY KEY REFERENCES uploads (id) DEFERRABLE INITIALLY DEFERRED,"
  "  content BLOB NOT NULL);"
  "CREATE TABLE upload_errors ("
  "  upload_id TEXT NOT NULL REFERENCES uploads (id) DEFERRABLE INITIALLY DEFERRED,"
  "  line INTEGER NOT NULL, column_name TEXT, reason TEXT NOT NULL);"
  "CREATE INDEX upload_errors_upload ON upload_errors (upload_id, line);"
  "CREATE TABLE import_mappings ("
  "  partner_id TEXT PRIMARY KEY REFERENCES partners (id) DEFERRABLE INITIALLY DEFERRED,"
  "  headers_json TEXT NOT NULL, mapping_json TEXT NOT NULL, date_order TEXT);"
  "CREATE TABLE persons ("
  "  id TEXT PRIMARY KEY, version INTEGER NOT NULL, created_at TEXT NOT NULL,"
  "  updated_at TEXT NOT NULL, updated_by TEXT, deleted INTEGER NOT NULL DEFAULT 0,"
  "  partner_id TEXT NOT NULL REFERENCES partners (id) DEFERRABLE INITIALLY DEFERRED,"
  "  member_id TEXT, group_id TEXT, first_name TEXT, last_name TEXT, display_name TEXT,"
  "  date_of_birth TEXT, relationship TEXT, employee_member_id TEXT, coverage_start TEXT,"
  "  coverage_end TEXT, eligibility_status TEXT, enrollment_status TEXT, email TEXT,"
  "  phone TEXT, street TEXT, city TEXT, state TEXT, postal_code TEXT, upload_id TEXT,"
  "  first_name_fold TEXT);"
  "CREATE INDEX persons_identity ON persons"
  "  (partner_id, member_id, relationship, first_name_fold, date_of_birth);"
  "CREATE INDEX persons_partner_name ON persons (partner_id, last_name, first_name, member_id);"
  "CREATE INDEX persons_partner_eligibility ON persons"
  "  (partner_id, eligibility_status, enrollment_status, relationship);";

/* deleted last: the identity index then covers "is there a live employee with this member
 * ID", which SQLite (without statistics) would otherwise answer from the name index by
 * scanning the whole partner. */
#define PERSONS_IDENTITY \
  "CREATE INDEX persons_identity ON persons" \
  "  (partner_id, member_id, relationship, first_name_fold, date_of_birth, deleted)"

#define PERSONS_PARTNER_NAME \
  "CREATE INDEX persons_partner_name ON persons (partner_id, deleted, name_key, member_id," \
  "  eligibility_status, enrollment_status, relationship)"

/* The same indexes as of the latest version, one statement each: a bulk import into an
 * empty partner drops and rebuilds them inside its transaction (sorting once beats a
 * million random inserts). */
const char *const _pd_store_person_indexes[][2] = {
  { "persons_identity", PERSONS_IDENTITY },
  /* The People tab: a partner's live people in name order, and their counts and filters
   * by eligibility, enrollment and relationship, read without the table ("12,408 people,
   * 11,902 eligible"). */
  { "persons_partner_name", PERSONS_PARTNER_NAME },
  { NULL, NULL },
};

/* Version 3: the catalogue, traffic channels, bookings, commission history, benefits
 * (issue 4). References are checked by the store (pd_store_validate), not by foreign keys,
 * so bulk writers (bench, sync) need not order their inserts. */
static const char migration_3[] =
  "CREATE TABLE examinations ("
  "  id TEXT PRIMARY KEY, version INTEGER NOT NULL, created_at TEXT NOT NULL,"
  "  updated_at TEXT NOT NULL, updated_by TEXT, deleted INTEGER NOT NULL DEFAULT 0,"
  "  code TEXT, name TEXT, duration_minutes INTEGER, archived INTEGER NOT NULL DEFAULT 0,"
  "  code_fold TEXT);"
  "CREATE UNIQUE INDEX examinations_code_fold ON examinations (code_fold) WHERE deleted = 0;"
  "CREATE TABLE examination_prices ("
  "  id TEXT PRIMARY KEY, version INTEGER NOT NULL, created_at TEXT NOT NULL,"
  "  updated_at TEXT NOT NULL, updated_by TEXT, deleted INTEGER NOT NULL DEFAULT 0,"
  "  examination_id TEXT NOT NULL, institution_id TEXT NOT NULL, price INTEGER, title TEXT);"
  "CREATE UNIQUE INDEX examination_prices_cell ON examination_prices"
  "  (institution_id, examination_id) WHERE deleted = 0;"
  "CREATE INDEX examination_prices_examination ON examination_prices (examination_id);"
  "CREATE TABLE activations ("
  "  id TEXT PRIMARY KEY, version INTEGER NOT NULL, created_at TEXT NOT NULL,"
  "  updated_at TEXT NOT NULL, updated_by TEXT, deleted INTEGER NOT NULL DEFAULT 0,"
  "  partner_id TEXT NOT NULL, institution_id TEXT NOT NULL, examination_id TEXT NOT NULL,"
  "  enabled INTEGER NOT NULL DEFAULT 0, title TEXT);"
  "CREATE UNIQUE INDEX activations_cell ON activations"
  "  (institution_id, partner_id, examination_id) WHERE deleted = 0;"
  "CREATE INDEX activations_partner ON activations (partner_id, institution_id);"
  "CREATE TABLE bookings ("
  "  id TEXT PRIMARY KEY, version INTEGER NOT NULL, created_at TEXT NOT NULL,"
  "  updated_at TEXT NOT NULL, updated_by TEXT, deleted INTEGER NOT NULL DEFAULT 0,"
  "  partner_id TEXT NOT NULL, institution_id TEXT NOT NULL, examination_id TEXT NOT NULL,"
  "  booked_at TEXT NOT NULL, person_id TEXT, patient_name TEXT, price INTEGER,"
  "  commission INTEGER, status TEXT, cancelled_at TEXT);"
  /* Covering: a partner's statistics for a period read only this index. */
  "CREATE INDEX bookings_partner_time ON bookings (partner_id, booked_at, deleted, status,"
  "  examination_id, institution_id, price, commission);"
  "CREATE INDEX bookings_partner_examination ON bookings (partner_id, examination_id);"
  "CREATE INDEX bookings_partner_institution ON bookings (partner_id, institution_id);"
  "CREATE INDEX bookings_person ON bookings (person_id, examination_id, booked_at)"
  "  WHERE person_id IS NOT NULL;"
  "CREATE INDEX bookings_time ON bookings (booked_at, partner_id, deleted, status, price,"
  "  commission);"
  "CREATE TABLE commission_rates ("
  "  id TEXT PRIMARY KEY, version INTEGER NOT NULL, created_at TEXT NOT NULL,"
  "  updated_at TEXT NOT NULL, updated_by TEXT, deleted INTEGER NOT NULL DEFAULT 0,"
  "  partner_id TEXT NOT NULL, effective_from TEXT NOT NULL, mode TEXT, percent INTEGER,"
  "  fixed INTEGER);"
  "CREATE INDEX commission_rates_partner ON commission_rates (partner_id, effective_from);"
  "CREATE TABLE benefits ("
  "  id TEXT PRIMARY KEY, version INTEGER NOT NULL, created_at TEXT NOT NULL,"
  "  updated_at TEXT NOT NULL, updated_by TEXT, deleted INTEGER NOT NULL DEFAULT 0,"
  "  partner_id TEXT NOT NULL, examination_id TEXT NOT NULL, visits_per_year INTEGER,"
  "  copay INTEGER, waiting_days INTEGER, dependents_covered INTEGER NOT NULL DEFAULT 0,"
  "  title TEXT);"
  "CREATE UNIQUE INDEX benefits_examination ON benefits (partner_id, examination_id)"
  "  WHERE deleted = 0;";


/* Version 4: synchronisation and the server (issue 5).
 * Desktop: sync_conflicts holds a field changed on both sides until the user keeps mine
 * or theirs (the row keeps mine meanwhile). The pull cursor and account live in settings.
 * Server: credentials (Argon2id hashes, never clear text), sessions (SHA-256 of the token),
 * idempotency (the stored answer of every write, by Idempotency-Key), invitations
 * (SHA-256 of the single-use token), mail_outbox (written in the transaction of the change
 * that sends it, retried until sent), login_failures (rate limiting across restarts).
 * audit.address: the client address of a change made through the server.
 * change_log.audit_seq: the last audit row before the change's own (a merge's local changes
 * are the audit rows after it: ordered by sequence, not by whole-second times).
 * invitation_requested_at: "Resend invitation" on partners, partner and practice users. */
static const char migration_4[] =
  "ALTER TABLE audit ADD COLUMN address TEXT;"
  "ALTER TABLE change_log ADD COLUMN audit_seq INTEGER;"
  "ALTER TABLE partners ADD COLUMN invitation_requested_at TEXT;"
  "ALTER TABLE partner_users ADD COLUMN invitation_requested_at TEXT;"
  "ALTER TABLE practice_users ADD COLUMN invitation_requested_at TEXT;"
  "CREATE TABLE sync_conflicts ("
  "  collection TEXT NOT NULL, record_id TEXT NOT NULL, field TEXT NOT NULL,"
  "  base_value TEXT, mine TEXT, theirs TEXT, their_version INTEGER NOT NULL,"
  "  created_at TEXT NOT NULL, PRIMARY KEY (collection, record_id, field));"
  "CREATE TABLE credentials ("
  "  user_id TEXT PRIMARY KEY, kind TEXT NOT NULL, email_fold TEXT NOT NULL UNIQUE,"
  "  password_hash TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);"
  "CREATE TABLE sessions ("
  "  token_hash TEXT PRIMARY KEY, user_id TEXT NOT NULL, kind TEXT NOT NULL,"
  "  created_at TEXT NOT NULL, last_used_at TEXT NOT NULL, address TEXT);"
  "CREATE INDEX sessions_user ON sessions (user_id);"
  "CREATE TABLE idempotency ("
  "  key TEXT PRIMARY KEY, user_id TEXT NOT NULL, request_sha256 TEXT NOT NULL,"
  "  status INTEGER NOT NULL, response TEXT NOT NULL, created_at TEXT NOT NULL);"
  "CREATE TABLE invitations ("
  "  token_hash TEXT PRIMARY KEY, kind TEXT NOT NULL, record_id TEXT NOT NULL,"
  "  partner_id TEXT, email TEXT NOT NULL, created_at TEXT NOT NULL,"
  "  expires_at TEXT NOT NULL, used_at TEXT);"
  "CREATE INDEX invitations_record ON invitations (record_id);"
  "CREATE TABLE mail_outbox ("
  "  id INTEGER PRIMARY KEY AUTOINCREMENT, recipient TEXT NOT NULL, subject TEXT NOT NULL,"
  "  body TEXT NOT NULL, created_at TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,"
  "  next_attempt_at TEXT NOT NULL, sent_at TEXT, last_error TEXT);"
  "CREATE INDEX mail_outbox_due ON mail_outbox (sent_at, next_attempt_at);"
  "CREATE TABLE login_failures (scope TEXT NOT NULL, at TEXT NOT NULL);"
  "CREATE INDEX login_failures_scope ON login_failures (scope, at);";

/* Version 5: the import at a million rows (issue 3).
 * persons_partner_name also holds the statuses and the deleted flag (one covering index
 * for the People tab's order, counts and filters; persons_partner_eligibility is gone);
 * persons_identity ends with the deleted flag too (PERSONS_IDENTITY).
 * upload_files.encoding: "gzip" when content is the file gzip-compressed, NULL when it is
 * the raw bytes (older uploads). The table is rebuilt rather than altered so that content
 * stays the last column: an INSERT of zeroblob (n) is written lazily only there (anywhere
 * else SQLite builds the n zero bytes in memory, twice). */
static const char migration_5[] =
  "CREATE TABLE upload_files_5 ("
  "  upload_id TEXT PRIMARY KEY REFERENCES uploads (id) DEFERRABLE INITIALLY DEFERRED,"
  "  encoding TEXT, content BLOB NOT NULL);"
  "INSERT INTO upload_files_5 (upload_id, encoding, content)"
  "  SELECT upload_id, NULL, content FROM upload_files;"
  "DROP TABLE upload_files;"
  "ALTER TABLE upload_files_5 RENAME TO upload_files;"
  /* One index fewer to build on import: the name index carries the statuses. */
  "DROP INDEX IF EXISTS persons_partner_eligibility;"
  "DROP INDEX IF EXISTS persons_partner_name;"
  "CREATE INDEX persons_partner_name ON persons (partner_id, deleted, last_name, first_name,"
  "  member_id, eligibility_status, enrollment_status, relationship);"
  "DROP INDEX IF EXISTS persons_identity;"
  PERSONS_IDENTITY ";";

/* Version 6: the People tab sorts names without case or accents. persons.name_key is
 * the name's sort key (pd_people_name_key), written with the row; persons_partner_name
 * orders by it (PERSONS_PARTNER_NAME). People already stored get an ASCII-only key here
 * (SQL has no better fold), exact once saved again. */
static const char migration_6[] =
  "ALTER TABLE persons ADD COLUMN name_key TEXT;"
  "UPDATE persons SET name_key = lower (coalesce (last_name, '')) || char (1)"
  "  || lower (coalesce (first_name, ''));"
  "DROP INDEX IF EXISTS persons_partner_name;"
  PERSONS_PARTNER_NAME ";"
  /* The outbox by record: accepting a pushed entry looks for the record's later ones. The
   * sync round creates it too (IF NOT EXISTS) on databases that lack it. */
  "CREATE INDEX IF NOT EXISTS change_log_record ON change_log (collection, record_id);";

static const char *const migrations[] = {
  migration_1,
  migration_2,
  migration_3,
  migration_4,
  migration_5,
  migration_6,
};

G_STATIC_ASSERT (G_N_ELEMENTS (migrations) == PD_STORE_SCHEMA_VERSION);

gboolean
_pd_store_set_newer_schema_error (int       version,
                                  GError  **error)
{
  g_set_error (error, PD_ERROR, PD_ERROR_NEWER_SCHEMA,
               _("This database was written by a newer version of Partner Desk (schema %d); "
                 "this version understands up to %d. Nothing was changed."),
               version, PD_STORE_SCHEMA_VERSION);
  return FALSE;
}

static gboolean
run_steps (PdStore  *self,
           int       from,
           GError  **error)
{
  g_autofree char *pragma = NULL;

  for (int i = from; i < (int) G_N_ELEMENTS (migrations); i++)
    if (!_pd_store_exec (self, migrations[i], error))
      return FALSE;
  pragma = g_strdup_printf ("PRAGMA user_version = %d", PD_STORE_SCHEMA_VERSION);
  return _pd_store_exec (self, pragma, error);
}

gboolean
_pd_store_migrate (PdStore  *self,
                   GError  **error)
{
  int version = 0;

  if (!_pd_store_read_user_version (self, &version, error))
    return FALSE;
  if (version > PD_STORE_SCHEMA_VERSION)
    return _pd_store_set_newer_schema_error (version, error);
  if (version == PD_STORE_SCHEMA_VERSION)
    {
      self->schema_version = version;
      return TRUE;
    }
  if (!_pd_store_exec (self, "BEGIN IMMEDIATE", error))
    return FALSE;
  /* Another process may have migrated between our read and the lock. */
  if (!_pd_store_read_user_version (self, &version, error))
    goto fail;
  if (version > PD_STORE_SCHEMA_VERSION)
    {
      _pd_store_set_newer_schema_error (version, error);
      goto fail;
    }
  if (!run_steps (self, version, error) || !_pd_store_exec (self, "COMMIT", error))
    goto fail;
  self->schema_version = PD_STORE_SCHEMA_VERSION;
  return TRUE;

fail:
  sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
  return FALSE;
}
