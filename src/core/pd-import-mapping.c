/* pd-import-mapping.c: which column of an eligibility file feeds which person field; saved per partner; the preview. */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "pd-error.h"
#include "pd-import-private.h"
#include "pd-store-private.h"

const char *const _pd_import_targets[N_TARGETS + 1] = {
  PD_IMPORT_TARGET_MAINTENANCE, "member_id", "group_id", "first_name", "last_name",
  "date_of_birth", "relationship", "employee_member_id", "coverage_start", "coverage_end",
  "eligibility_status", "enrollment_status", "email", "phone", "street", "city", "state",
  "postal_code", NULL,
};

static const PdTarget required_targets[] = { T_MEMBER, T_FIRST, T_LAST, T_DOB, T_REL };

/* Header keys (_pd_import_header_key) per target, best first. A header that fits several
 * targets goes to the one where it ranks best; "Employee ID" is the member ID unless
 * another column is, then the employee's member ID. */
typedef struct {
  PdTarget    target;
  const char *keys[24];
} Synonyms;

static const Synonyms synonyms[] = {
  { T_MAINT, { "maintenancetype", "maintenance", "maintenancecode", "action", "changetype",
               "transactiontype", NULL } },
  { T_MEMBER, { "memberid", "member", "memberno", "membernumber", "memberidentifier",
                "employeeid", "subscriberid", "empid", "employeenumber", "employeeno",
                "personnelnumber", "personalnummer", "insuredid", "id", NULL } },
  { T_GROUP, { "groupid", "group", "groupnumber", "groupno", "groupcode", "policynumber",
               "plan", "plancode", NULL } },
  { T_FIRST, { "firstname", "givenname", "first", "forename", "fname", "vorname",
               "firstgivenname", NULL } },
  { T_LAST, { "lastname", "surname", "familyname", "last", "lname", "nachname", NULL } },
  { T_DOB, { "dateofbirth", "dob", "birthdate", "birthday", "birthdt", "dateborn",
             "geburtsdatum", "birth", NULL } },
  { T_REL, { "relationship", "rel", "relationshipcode", "membertype", "relation",
             "relationshiptoemployee", "relationshiptosubscriber", "reltype", "dependenttype",
             "persontype", "relcode", NULL } },
  { T_EMP, { "employeememberid", "subscribermemberid", "primarymemberid", "employeesmemberid",
             "sponsormemberid", "sponsorid", "primaryid", "parentmemberid", "subscriberno",
             "employeeid", "subscriberid", "employeenumber", NULL } },
  { T_CSTART, { "coveragestart", "coveragestartdate", "effectivedate", "startdate",
                "coveragebegin", "effective", "coverageeffectivedate", "benefitbegin",
                "eligibilitystart", "eligibilitydate", "hiredate", NULL } },
  { T_CEND, { "coverageend", "coverageenddate", "terminationdate", "termdate", "enddate",
              "coveragetermdate", "expirationdate", "eligibilityend", "termination", NULL } },
  { T_ELIG, { "eligibilitystatus", "eligibility", "status", "eligible", "coveragestatus",
              "memberstatus", NULL } },
  { T_ENROLL, { "enrollmentstatus", "enrollment", "enrolled", "enrolmentstatus", "enrolment",
                NULL } },
  { T_EMAIL, { "email", "emailaddress", "mail", "workemail", "personalemail", NULL } },
  { T_PHONE, { "phone", "telephone", "mobile", "phonenumber", "cell", "cellphone", "tel",
               "mobilephone", "homephone", NULL } },
  { T_STREET, { "street", "address", "address1", "addressline1", "streetaddress", "strasse",
                "addressline", NULL } },
  { T_CITY, { "city", "town", "ort", "stadt", NULL } },
  { T_STATE, { "state", "province", "region", "county", "stateorregion", "bundesland", NULL } },
  { T_POSTAL, { "postalcode", "zip", "zipcode", "postcode", "plz", "postal", NULL } },
};

int
_pd_import_target_from_name (const char *name)
{
  for (int i = 0; i < N_TARGETS; i++)
    if (g_strcmp0 (_pd_import_targets[i], name) == 0)
      return i;
  return -1;
}

const char * const *
pd_import_mapping_list_targets (void)
{
  return (const char * const *) _pd_import_targets;
}

const char *
pd_import_target_label (const char *target)
{
  const PdField *field;

  if (g_strcmp0 (target, PD_IMPORT_TARGET_MAINTENANCE) == 0)
    return _("Maintenance type");
  field = target ? pd_record_type_get_field (&pd_person_type, target) : NULL;
  return field ? _(field->label) : target;
}

static PdImportMapping *
mapping_new (const char * const *header)
{
  PdImportMapping *self = g_new0 (PdImportMapping, 1);

  self->header = g_strdupv ((char **) header);
  self->n_columns = g_strv_length (self->header);
  self->target = g_new (int, MAX (self->n_columns, 1));
  for (guint i = 0; i < self->n_columns; i++)
    self->target[i] = -1;
  return self;
}

typedef struct {
  guint column;
  int   target;
  guint rank;
} Candidate;

static int
compare_candidates (gconstpointer a,
                    gconstpointer b)
{
  const Candidate *ca = a, *cb = b;

  if (ca->rank != cb->rank)
    return ca->rank < cb->rank ? -1 : 1;
  return ca->column < cb->column ? -1 : ca->column > cb->column;
}

static void
add_candidates (GArray     *candidates,
                guint       column,
                const char *key)
{
  for (guint s = 0; s < G_N_ELEMENTS (synonyms); s++)
    {
      /* The target's own name ("member_id") is its best key too. */
      g_autofree char *own = _pd_import_header_key (_pd_import_targets[synonyms[s].target]);

      for (guint k = 0; synonyms[s].keys[k]; k++)
        if (strcmp (synonyms[s].keys[k], key) == 0 || (k == 0 && strcmp (own, key) == 0))
          {
            Candidate c = { column, synonyms[s].target, k };

            g_array_append_val (candidates, c);
            break;
          }
    }
}

PdImportMapping *
pd_import_mapping_new_auto (const char * const *header)
{
  PdImportMapping *self;
  g_autoptr(GArray) candidates = g_array_new (FALSE, FALSE, sizeof (Candidate));
  gboolean taken[N_TARGETS] = { FALSE };

  g_return_val_if_fail (header != NULL, NULL);

  self = mapping_new (header);
  for (guint i = 0; i < self->n_columns; i++)
    {
      g_autofree char *key = _pd_import_header_key (self->header[i]);

      add_candidates (candidates, i, key);
    }
  g_array_sort (candidates, compare_candidates);
  for (guint i = 0; i < candidates->len; i++)
    {
      Candidate *c = &g_array_index (candidates, Candidate, i);

      if (taken[c->target] || self->target[c->column] >= 0)
        continue;
      self->target[c->column] = c->target;
      taken[c->target] = TRUE;
    }
  return self;
}

PdImportMapping *
pd_import_mapping_copy (const PdImportMapping *self)
{
  PdImportMapping *copy;

  g_return_val_if_fail (self != NULL, NULL);

  copy = mapping_new ((const char * const *) self->header);
  memcpy (copy->target, self->target, sizeof (int) * self->n_columns);
  return copy;
}

void
pd_import_mapping_free (PdImportMapping *self)
{
  if (self == NULL)
    return;
  g_strfreev (self->header);
  g_free (self->target);
  g_free (self);
}

const char * const *
pd_import_mapping_get_header (const PdImportMapping *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return (const char * const *) self->header;
}

guint
pd_import_mapping_get_n_columns (const PdImportMapping *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->n_columns;
}

const char *
pd_import_mapping_get_target (const PdImportMapping *self,
                              guint                  column)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (column < self->n_columns, NULL);

  return self->target[column] < 0 ? NULL : _pd_import_targets[self->target[column]];
}

gboolean
pd_import_mapping_set_target (PdImportMapping *self,
                              guint            column,
                              const char      *target)
{
  int t = -1;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (column < self->n_columns, FALSE);

  if (target != NULL && (t = _pd_import_target_from_name (target)) < 0)
    return FALSE;
  if (t >= 0)
    for (guint i = 0; i < self->n_columns; i++)
      if (self->target[i] == t)
        self->target[i] = -1;
  self->target[column] = t;
  return TRUE;
}

int
pd_import_mapping_find_column (const PdImportMapping *self,
                               const char            *target)
{
  int t = _pd_import_target_from_name (target);

  g_return_val_if_fail (self != NULL, -1);

  for (guint i = 0; t >= 0 && i < self->n_columns; i++)
    if (self->target[i] == t)
      return (int) i;
  return -1;
}

char **
pd_import_mapping_dup_missing (const PdImportMapping *self)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  g_return_val_if_fail (self != NULL, NULL);

  for (guint r = 0; r < G_N_ELEMENTS (required_targets); r++)
    if (pd_import_mapping_find_column (self, _pd_import_targets[required_targets[r]]) < 0)
      g_strv_builder_add (builder, _pd_import_targets[required_targets[r]]);
  return g_strv_builder_end (builder);
}

char **
pd_import_mapping_dup_unmapped (const PdImportMapping *self)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  g_return_val_if_fail (self != NULL, NULL);

  for (guint i = 0; i < self->n_columns; i++)
    if (self->target[i] < 0)
      g_strv_builder_add (builder, self->header[i]);
  return g_strv_builder_end (builder);
}

/* Saved form: headers_json ["Member ID", ...], mapping_json ["member_id", null, ...]. */

char *
_pd_import_mapping_to_json (const PdImportMapping *self,
                            char                 **header_json)
{
  g_autoptr(JsonArray) headers = json_array_new ();
  g_autoptr(JsonArray) targets = json_array_new ();
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_ARRAY);

  for (guint i = 0; i < self->n_columns; i++)
    {
      json_array_add_string_element (headers, self->header[i]);
      if (self->target[i] < 0)
        json_array_add_null_element (targets);
      else
        json_array_add_string_element (targets, _pd_import_targets[self->target[i]]);
    }
  json_node_set_array (node, headers);
  *header_json = json_to_string (node, FALSE);
  json_node_set_array (node, targets);
  return json_to_string (node, FALSE);
}

static JsonArray *
parse_array (JsonParser *parser,
             const char *text)
{
  JsonNode *root;

  if (text == NULL || !json_parser_load_from_data (parser, text, -1, NULL))
    return NULL;
  root = json_parser_get_root (parser);
  return root && JSON_NODE_HOLDS_ARRAY (root) ? json_array_ref (json_node_get_array (root)) : NULL;
}

PdImportMapping *
_pd_import_mapping_from_json (const char *headers_json,
                              const char *mapping_json)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(JsonArray) headers = parse_array (parser, headers_json);
  g_autoptr(JsonArray) targets = parse_array (parser, mapping_json);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) header = NULL;
  PdImportMapping *self;

  if (headers == NULL || targets == NULL
      || json_array_get_length (headers) != json_array_get_length (targets))
    return NULL;
  for (guint i = 0; i < json_array_get_length (headers); i++)
    g_strv_builder_add (builder, json_array_get_string_element (headers, i));
  header = g_strv_builder_end (builder);
  self = mapping_new ((const char * const *) header);
  for (guint i = 0; i < self->n_columns; i++)
    {
      JsonNode *t = json_array_get_element (targets, i);

      if (JSON_NODE_HOLDS_VALUE (t))
        self->target[i] = _pd_import_target_from_name (json_node_get_string (t));
    }
  return self;
}

gboolean
_pd_import_mapping_same_header (const PdImportMapping *mapping,
                                const char * const    *header)
{
  guint n = g_strv_length ((char **) header);

  if (n != mapping->n_columns)
    return FALSE;
  for (guint i = 0; i < n; i++)
    if (g_strcmp0 (mapping->header[i], header[i]) != 0)
      return FALSE;
  return TRUE;
}

void
_pd_import_header_diff (const char * const *old_header,
                        const char * const *new_header,
                        char             ***added,
                        char             ***removed)
{
  g_autoptr(GStrvBuilder) a = g_strv_builder_new ();
  g_autoptr(GStrvBuilder) r = g_strv_builder_new ();

  for (guint i = 0; new_header[i]; i++)
    if (!g_strv_contains (old_header, new_header[i]))
      g_strv_builder_add (a, new_header[i]);
  for (guint i = 0; old_header[i]; i++)
    if (!g_strv_contains (new_header, old_header[i]))
      g_strv_builder_add (r, old_header[i]);
  *added = g_strv_builder_end (a);
  *removed = g_strv_builder_end (r);
}

PdImportMapping *
pd_import_load_mapping (PdStore     *store,
                        const char  *partner_id,
                        PdDateOrder *date_order)
{
  g_autoptr(PdStmt) stmt = NULL;

  g_return_val_if_fail (PD_IS_STORE (store), NULL);
  g_return_val_if_fail (partner_id != NULL, NULL);

  if (date_order)
    *date_order = PD_DATE_ORDER_AUTO;
  stmt = _pd_store_prepare (store, "SELECT headers_json, mapping_json, date_order "
                            "FROM import_mappings WHERE partner_id = ?1", NULL);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, partner_id, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return NULL;
  if (date_order)
    *date_order = _pd_date_order_from_string ((const char *) sqlite3_column_text (stmt, 2));
  return _pd_import_mapping_from_json ((const char *) sqlite3_column_text (stmt, 0),
                                       (const char *) sqlite3_column_text (stmt, 1));
}

gboolean
pd_import_save_mapping (PdStore                *store,
                        const char             *partner_id,
                        const PdImportMapping  *mapping,
                        PdDateOrder             date_order,
                        GError                **error)
{
  g_autoptr(PdStmt) stmt = NULL;
  g_autofree char *headers = NULL;
  g_autofree char *targets = NULL;
  int rc;

  g_return_val_if_fail (PD_IS_STORE (store), FALSE);
  g_return_val_if_fail (partner_id != NULL && mapping != NULL, FALSE);

  if (pd_store_is_read_only (store))
    return _pd_store_begin (store, error);
  stmt = _pd_store_prepare (store, "INSERT INTO import_mappings (partner_id, headers_json, "
                            "mapping_json, date_order) VALUES (?1, ?2, ?3, ?4) "
                            "ON CONFLICT (partner_id) DO UPDATE SET "
                            "headers_json = excluded.headers_json, "
                            "mapping_json = excluded.mapping_json, "
                            "date_order = excluded.date_order", error);
  if (stmt == NULL)
    return FALSE;
  targets = _pd_import_mapping_to_json (mapping, &headers);
  sqlite3_bind_text (stmt, 1, partner_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, headers, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, targets, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 4, _pd_date_order_to_string (date_order), -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_DONE)
    {
      _pd_store_set_error (store, rc, error);
      return FALSE;
    }
  return TRUE;
}

/* Preview */

void
pd_import_preview_free (PdImportPreview *preview)
{
  if (preview == NULL)
    return;
  g_free (preview->encoding);
  g_free (preview->sha256);
  pd_import_mapping_free (preview->mapping);
  g_strfreev (preview->added_columns);
  g_strfreev (preview->removed_columns);
  g_strfreev (preview->missing_fields);
  g_strfreev (preview->unmapped_columns);
  g_clear_pointer (&preview->rows, g_ptr_array_unref);
  g_clear_pointer (&preview->row_lines, g_array_unref);
  g_free (preview->duplicate_of);
  g_free (preview->duplicate_message);
  g_free (preview);
}

/* The latest live upload of PARTNER_ID with SHA256: its id, and a sentence naming it. */
char *
_pd_import_find_duplicate (PdStore     *store,
                           const char  *partner_id,
                           const char  *sha256,
                           char       **message)
{
  g_autoptr(PdStmt) stmt = NULL;
  g_autoptr(GDateTime) at = NULL;
  g_autoptr(GDateTime) local = NULL;
  g_autofree char *when = NULL;

  stmt = _pd_store_prepare (store, "SELECT id, created_at, file_name FROM uploads "
                            "WHERE partner_id = ?1 AND sha256 = ?2 AND deleted = 0 "
                            "ORDER BY created_at DESC LIMIT 1", NULL);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, partner_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, sha256, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return NULL;
  at = g_date_time_new_from_iso8601 ((const char *) sqlite3_column_text (stmt, 1), NULL);
  local = at ? g_date_time_to_local (at) : NULL;
  when = local ? g_date_time_format (local, "%Y-%m-%d %H:%M")
               : g_strdup ((const char *) sqlite3_column_text (stmt, 1));
  if (message)
    *message = g_strdup_printf (_("This file was already uploaded for this partner on %s "
                                  "as “%s”."),
                                when, (const char *) sqlite3_column_text (stmt, 2));
  return g_strdup ((const char *) sqlite3_column_text (stmt, 0));
}

static void
preview_mapping (PdImportPreview    *preview,
                 PdStore            *store,
                 const char         *partner_id,
                 const char * const *header)
{
  g_autoptr(PdImportMapping) saved = pd_import_load_mapping (store, partner_id,
                                                             &preview->saved_date_order);

  if (saved && _pd_import_mapping_same_header (saved, header))
    {
      preview->mapping = g_steal_pointer (&saved);
      preview->mapping_is_saved = TRUE;
    }
  else
    preview->mapping = pd_import_mapping_new_auto (header);
  if (saved)
    {
      preview->mapping_changed = TRUE;
      _pd_import_header_diff ((const char * const *) saved->header, header,
                              &preview->added_columns, &preview->removed_columns);
    }
  preview->missing_fields = pd_import_mapping_dup_missing (preview->mapping);
  preview->unmapped_columns = pd_import_mapping_dup_unmapped (preview->mapping);
}

/* An 834 whose rows are all audit (030) is the whole population: suggest FULL. */
static gboolean
preview_rows (PdImportPreview  *preview,
              PdTableReader    *reader,
              guint             n_rows,
              GError          **error)
{
  int maint = pd_import_mapping_find_column (preview->mapping, PD_IMPORT_TARGET_MAINTENANCE);
  guint n_columns = pd_table_reader_get_n_columns (reader);
  gboolean all_audit = TRUE;
  guint seen = 0;
  const char **fields;
  guint present, line;
  g_autoptr(GError) local_error = NULL;

  preview->rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  preview->row_lines = g_array_new (FALSE, FALSE, sizeof (guint));
  while (pd_table_reader_next (reader, &fields, &present, &line, &local_error))
    {
      if (seen++ < n_rows)
        {
          char **copy = g_new0 (char *, n_columns + 1);

          for (guint i = 0; i < n_columns; i++)
            copy[i] = g_strdup (fields[i]);
          g_ptr_array_add (preview->rows, copy);
          g_array_append_val (preview->row_lines, line);
        }
      if (maint >= 0)
        all_audit = all_audit && g_strcmp0 (_pd_normalize_maintenance (fields[maint],
                                                                       strlen (fields[maint])),
                                            "audit") == 0;
      /* Only an 834 (or a CSV with maintenance codes) is read through. */
      if (seen >= n_rows && (maint < 0 || !all_audit))
        break;
    }
  if (local_error)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  preview->mode_suggested = maint >= 0 && seen > 0;
  preview->suggested_mode = preview->mode_suggested && all_audit ? PD_IMPORT_MODE_FULL
                                                                 : PD_IMPORT_MODE_INCREMENTAL;
  return TRUE;
}

PdImportPreview *
pd_import_preview (PdStore     *store,
                   const char  *partner_id,
                   const char  *file_path,
                   guint        n_rows,
                   GError     **error)
{
  g_autoptr(PdImportPreview) preview = NULL;
  g_autoptr(PdTableReader) reader = NULL;

  g_return_val_if_fail (PD_IS_STORE (store), NULL);
  g_return_val_if_fail (partner_id != NULL && file_path != NULL, NULL);

  reader = pd_table_reader_new (file_path, error);
  if (reader == NULL)
    return NULL;
  preview = g_new0 (PdImportPreview, 1);
  preview->format = pd_table_reader_get_format (reader);
  preview->encoding = g_strdup (pd_table_reader_get_encoding (reader));
  preview->delimiter = pd_table_reader_get_delimiter (reader);
  preview->sha256 = g_strdup (pd_table_reader_get_sha256 (reader));
  preview->size = pd_table_reader_get_size (reader);
  preview_mapping (preview, store, partner_id, pd_table_reader_get_header (reader));
  preview->duplicate_of = _pd_import_find_duplicate (store, partner_id, preview->sha256,
                                                     &preview->duplicate_message);
  if (!preview_rows (preview, reader, n_rows, error))
    return NULL;
  return g_steal_pointer (&preview);
}
