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

static const char *const migrations[] = {
  migration_1,
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
