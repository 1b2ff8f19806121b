/* pd-server-records.c: the changes feed and record reads and writes (alone or in batches), with permissions. */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <stdlib.h>
#include <string.h>

#include "pd-server-private.h"
#include "pd-store-private.h"

#define DEFAULT_PAGE 1000
#define MAX_PAGE     10000
#define MAX_KEY_LEN  200
#define STATUS_PRECONDITION_REQUIRED 428

/* Permissions of DESIGN §2, per collection. READ/WRITE: any of these bits (0: anyone). */
typedef enum {
  SCOPE_NONE,       /* partner users never see it */
  SCOPE_CATALOGUE,  /* partner users see all of it */
  SCOPE_PARTNER,    /* partner users see their own partner's */
  SCOPE_PATIENT,    /* partner users see their own partner's, if its terms allow */
} PartnerScope;

typedef struct {
  const PdRecordType *type;
  guint               read;
  guint               write;
  PartnerScope        scope;
} Rule;

#define PATIENT PD_PERMISSION_VIEW_PATIENT_DATA
#define EDIT    PD_PERMISSION_EDIT_PARTNERS

static const Rule rules[] = {
  { &pd_partner_type, 0, EDIT, SCOPE_PARTNER },
  { &pd_institution_type, 0, EDIT, SCOPE_CATALOGUE },
  { &pd_partner_user_type, 0, EDIT, SCOPE_PARTNER },
  { &pd_practice_user_type, 0, PD_PERMISSION_MANAGE_TEAM, SCOPE_NONE },
  { &pd_person_type, PATIENT, PATIENT, SCOPE_PATIENT },
  { &pd_upload_type, PATIENT, PATIENT, SCOPE_NONE },
  { &pd_examination_type, 0, EDIT, SCOPE_CATALOGUE },
  { &pd_examination_price_type, 0, EDIT, SCOPE_CATALOGUE },
  { &pd_activation_type, 0, EDIT, SCOPE_PARTNER },
  { &pd_booking_type, PATIENT | PD_PERMISSION_BILLING, PATIENT | PD_PERMISSION_BILLING,
    SCOPE_PARTNER },
  { &pd_commission_rate_type, 0, PD_PERMISSION_BILLING, SCOPE_PARTNER },
  { &pd_benefit_type, 0, EDIT, SCOPE_PARTNER },
};

static const Rule *
rule_of (const char *collection)
{
  for (guint i = 0; i < G_N_ELEMENTS (rules); i++)
    if (strcmp (rules[i].type->name, collection) == 0)
      return &rules[i];
  return NULL;
}

static gboolean
practice_may (PdPrincipal *principal,
              guint        needed)
{
  return needed == 0 || (principal->permissions & needed) != 0;
}

/* The 403 of NEEDED (any of these permissions would do): its message, and in *FIELDS
 * (name -> message, keys static) the permission's name. */
static char *
forbidden_message (guint        needed,
                   GHashTable **fields)
{
  g_autofree char *names = pd_permissions_format (needed);
  char *message;

  *fields = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  if (needed == 0)
    return g_strdup (_("Partner users cannot change records here."));
  if (strchr (names, ','))
    {
      g_auto(GStrv) parts = g_strsplit (names, ",", 2);

      /* TRANSLATORS: permission names: “view_patient_data” or “billing” */
      message = g_strdup_printf (_("You need the “%s” or the “%s” permission for this."),
                                 parts[0], parts[1]);
    }
  else
    message = g_strdup_printf (_("You need the “%s” permission for this."), names);
  g_hash_table_insert (*fields, (gpointer) "permission", g_steal_pointer (&names));
  return message;
}

static void
reply_forbidden (SoupServerMessage *msg,
                 guint              needed)
{
  g_autoptr(GHashTable) fields = NULL;
  g_autofree char *message = forbidden_message (needed, &fields);

  pd_server_reply_error (msg, SOUP_STATUS_FORBIDDEN, "forbidden", message, fields);
}

/* A partner user's view: which partner, and whether its terms show patient data. */
static gboolean
partner_patient_data_visible (PdStore    *store,
                              const char *partner_id)
{
  g_autoptr(PdStmt) stmt = _pd_store_prepare (store, "SELECT patient_data_visible FROM partners "
                                              "WHERE id = ?1", NULL);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, partner_id, -1, SQLITE_STATIC);
  return sqlite3_step (stmt) == SQLITE_ROW && sqlite3_column_int (stmt, 0) != 0;
}

/* May PRINCIPAL (a partner user) see a record of RULE owned by PARTNER_ID? */
static gboolean
partner_may_see (PdPrincipal *principal,
                 const Rule  *rule,
                 const char  *partner_id,
                 gboolean     patient_visible)
{
  switch (rule->scope)
    {
    case SCOPE_CATALOGUE:
      return TRUE;
    case SCOPE_PARTNER:
      return g_strcmp0 (partner_id, principal->partner_id) == 0;
    case SCOPE_PATIENT:
      return patient_visible && g_strcmp0 (partner_id, principal->partner_id) == 0;
    case SCOPE_NONE:
    default:
      return FALSE;
    }
}

/* JSON text */

static void
append_json_string (GString    *out,
                    const char *text)
{
  const char *run = text;
  const char *p;

  g_string_append_c (out, '"');
  for (p = text; *p; p++)
    {
      unsigned char c = (unsigned char) *p;

      if (c >= 0x20 && c != '"' && c != '\\')
        continue;
      g_string_append_len (out, run, p - run);
      switch (c)
        {
        case '"': g_string_append (out, "\\\""); break;
        case '\\': g_string_append (out, "\\\\"); break;
        case '\n': g_string_append (out, "\\n"); break;
        case '\r': g_string_append (out, "\\r"); break;
        case '\t': g_string_append (out, "\\t"); break;
        default: g_string_append_printf (out, "\\u%04x", c); break;
        }
      run = p + 1;
    }
  g_string_append_len (out, run, p - run);
  g_string_append_c (out, '"');
}

static void
append_int (GString *out,
            gint64   value)
{
  char buf[24];
  int n = g_snprintf (buf, sizeof buf, "%" G_GINT64_FORMAT, value);

  g_string_append_len (out, buf, n);
}

static void
append_text_or_null (GString       *out,
                     sqlite3_stmt  *stmt,
                     int            col)
{
  const char *text = _pd_stmt_text (stmt, col);

  if (text == NULL)
    g_string_append (out, "null");
  else
    append_json_string (out, text);
}

static void
append_record_key (GString    *out,
                   const char *name)
{
  g_string_append_c (out, ',');
  g_string_append_c (out, '"');
  g_string_append (out, name);
  g_string_append (out, "\":");
}

/* A row selected as "id, version, created_at, updated_at, updated_by, deleted, <fields>"
 * as pd_record_to_json writes it, straight from SQLite's values. */
static void
append_row_json (GString            *out,
                 const PdRecordType *type,
                 sqlite3_stmt       *stmt)
{
  g_string_append (out, "{\"id\":");
  append_text_or_null (out, stmt, 0);
  g_string_append (out, ",\"version\":");
  append_int (out, sqlite3_column_int64 (stmt, 1));
  append_record_key (out, "created_at");
  append_text_or_null (out, stmt, 2);
  append_record_key (out, "updated_at");
  append_text_or_null (out, stmt, 3);
  append_record_key (out, "updated_by");
  append_text_or_null (out, stmt, 4);
  g_string_append (out, sqlite3_column_int (stmt, 5) ? ",\"deleted\":true" : ",\"deleted\":false");
  for (guint i = 0; i < type->n_fields; i++)
    {
      const PdField *f = &type->fields[i];
      int col = 6 + i;

      append_record_key (out, f->name);
      if (sqlite3_column_type (stmt, col) == SQLITE_NULL)
        g_string_append (out, "null");
      else if (f->type == PD_FIELD_BOOL)
        g_string_append (out, sqlite3_column_int64 (stmt, col) ? "true" : "false");
      else if (f->type == PD_FIELD_INT || f->type == PD_FIELD_MONEY || f->type == PD_FIELD_PERCENT)
        append_int (out, sqlite3_column_int64 (stmt, col));
      else if (f->type == PD_FIELD_REF_LIST)
        g_string_append (out, _pd_stmt_text (stmt, col));
      else
        append_json_string (out, _pd_stmt_text (stmt, col));
    }
  g_string_append_c (out, '}');
}

/* GET /api/v1/changes */

typedef struct {
  PdServer    *server;
  PdPrincipal *principal;
  gboolean     patient_visible;  /* partner users: their partner's terms */
  GString     *out;
  guint        n;                /* changes written */
  PdStmt      *rows[G_N_ELEMENTS (rules)]; /* _pd_store_prepare_select_id, per rule (borrowed) */
} Feed;

/* The partner a change's payload names, without parsing it: json-glib writes keys as
 * "name":value, and a quote inside a string value is always escaped. */
static char *
payload_partner_id (const char *payload,
                    const Rule *rule,
                    const char *record_id)
{
  const char *p, *end;

  if (rule->type == &pd_partner_type)
    return g_strdup (record_id);
  p = strstr (payload, "\"partner_id\":\"");
  if (p == NULL)
    return NULL;
  p += strlen ("\"partner_id\":\"");
  end = strchr (p, '"');
  return end ? g_strndup (p, end - p) : NULL;
}

/* A payload holding only "id" and "version" (written by bulk writers such as the eligibility
 * import) stands for the current row. Its version, or -1 for a full record. */
static gint64
current_row_version (const char *payload,
                     gsize       length)
{
  const char *v;

  if (length > 100)
    return -1;
  v = strstr (payload, "\"version\":");
  if (v == NULL || strstr (payload, "\"created_at\""))
    return -1;
  return g_ascii_strtoll (v + strlen ("\"version\":"), NULL, 10);
}

static void
append_change_head (GString    *out,
                    gint64      seq,
                    const char *collection,
                    const char *id,
                    gint64      version,
                    gboolean    deleted)
{
  g_string_append (out, "{\"seq\":");
  append_int (out, seq);
  g_string_append (out, ",\"collection\":\"");
  g_string_append (out, collection);
  g_string_append (out, "\",\"id\":");
  append_json_string (out, id);
  g_string_append (out, ",\"version\":");
  append_int (out, version);
  g_string_append (out, deleted ? ",\"deleted\":true,\"record\":"
                                 : ",\"deleted\":false,\"record\":");
}

/* A change whose payload stands for the current row: skipped when the row moved on since
 * (a later change carries it) or is not visible. */
static void
feed_current_row (Feed         *feed,
                  const Rule   *rule,
                  gint64        seq,
                  const char   *id,
                  gint64        version)
{
  PdStmt **slot = &feed->rows[rule - rules];
  g_autoptr(PdStmt) row = NULL;
  const char *partner_id = NULL;

  if (*slot == NULL)
    *slot = _pd_store_prepare_select_id (feed->server->store, rule->type, NULL);
  if ((row = *slot) == NULL)
    return;
  sqlite3_bind_text (row, 1, id, -1, SQLITE_STATIC);
  if (sqlite3_step (row) != SQLITE_ROW || sqlite3_column_int64 (row, 1) != version)
    return;
  if (feed->principal->partner_user)
    {
      const PdField *f = pd_record_type_get_field (rule->type, "partner_id");

      if (rule->type == &pd_partner_type)
        partner_id = id;
      else if (f)
        partner_id = _pd_stmt_text (row, 6 + (int) (f - rule->type->fields));
      if (!partner_may_see (feed->principal, rule, partner_id, feed->patient_visible))
        return;
    }
  if (feed->n++)
    g_string_append_c (feed->out, ',');
  append_change_head (feed->out, seq, rule->type->name, id, version,
                      sqlite3_column_int (row, 5) != 0);
  append_row_json (feed->out, rule->type, row);
  g_string_append_c (feed->out, '}');
}

static void
feed_row (Feed         *feed,
          sqlite3_stmt *stmt)
{
  gint64 seq = sqlite3_column_int64 (stmt, 0);
  const char *collection = _pd_stmt_text (stmt, 1);
  const char *id = _pd_stmt_text (stmt, 2);
  const char *payload = _pd_stmt_text (stmt, 5);
  gsize length = sqlite3_column_bytes (stmt, 5);
  const Rule *rule = rule_of (collection);
  gint64 current;

  if (rule == NULL || payload == NULL)
    return;
  if (!feed->principal->partner_user && !practice_may (feed->principal, rule->read))
    return;
  if (feed->principal->partner_user && rule->scope == SCOPE_NONE)
    return;
  current = current_row_version (payload, length);
  if (current >= 0)
    {
      feed_current_row (feed, rule, seq, id, current);
      return;
    }
  if (feed->principal->partner_user && rule->scope != SCOPE_CATALOGUE)
    {
      g_autofree char *partner_id = payload_partner_id (payload, rule, id);

      if (!partner_may_see (feed->principal, rule, partner_id, feed->patient_visible))
        return;
    }
  if (feed->n++)
    g_string_append_c (feed->out, ',');
  append_change_head (feed->out, seq, collection, id, sqlite3_column_int64 (stmt, 3) + 1,
                      sqlite3_column_int (stmt, 4) != 0);
  g_string_append_len (feed->out, payload, length);
  g_string_append_c (feed->out, '}');
}

static gboolean
parse_uint_param (GHashTable *query,
                  const char *name,
                  gint64      fallback,
                  gint64     *value)
{
  const char *text = query ? g_hash_table_lookup (query, name) : NULL;
  char *end = NULL;

  *value = fallback;
  if (text == NULL || *text == '\0')
    return TRUE;
  *value = g_ascii_strtoll (text, &end, 10);
  return *end == '\0' && *value >= 0;
}

/* Appends the changes after SINCE (at most LIMIT) to FEED; sets *NEXT and *MORE. */
static gboolean
scan_page (Feed     *feed,
           gint64    since,
           gint64    limit,
           gint64   *next,
           gboolean *more)
{
  g_autoptr(PdStmt) stmt = NULL;
  gint64 scanned = 0;
  int rc;

  stmt = _pd_store_prepare (feed->server->store, "SELECT seq, collection, record_id, "
                            "base_version, deleted, payload FROM change_log WHERE seq > ?1 "
                            "ORDER BY seq LIMIT ?2", NULL);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, since);
  sqlite3_bind_int64 (stmt, 2, limit + 1);
  *next = since;
  *more = FALSE;
  /* One read transaction while the statement steps: the page is a consistent snapshot. */
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      if (scanned++ == limit)
        {
          *more = TRUE;
          return TRUE;
        }
      *next = sqlite3_column_int64 (stmt, 0);
      feed_row (feed, stmt);
    }
  return rc == SQLITE_DONE;
}

static void
get_changes (PdServer          *self,
             SoupServerMessage *msg,
             GHashTable        *query)
{
  g_autoptr(PdPrincipal) principal = NULL;
  g_autoptr(GString) out = NULL;
  gint64 since, limit, next;
  gboolean more;
  gsize length;
  Feed feed = { self, NULL, FALSE, NULL, 0, { NULL } };

  if (!parse_uint_param (query, "since", 0, &since)
      || !parse_uint_param (query, "limit", DEFAULT_PAGE, &limit) || limit == 0)
    {
      pd_server_reply_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid_parameter",
                             _("“since” and “limit” must be whole numbers "
                               "(limit at least 1)."),
                             NULL);
      return;
    }
  if ((principal = pd_server_authenticate (self, msg)) == NULL)
    return;
  feed.principal = principal;
  if (principal->partner_user)
    feed.patient_visible = partner_patient_data_visible (self->store, principal->partner_id);
  feed.out = out = g_string_sized_new (64 * 1024);
  g_string_append (out, "{\"changes\":[");
  if (!scan_page (&feed, since, MIN (limit, MAX_PAGE), &next, &more))
    {
      pd_server_reply_error (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "unavailable",
                             _("The database could not be read; try again."), NULL);
      return;
    }
  g_string_append (out, "],\"next\":");
  append_int (out, next);
  g_string_append (out, more ? ",\"more\":true}" : ",\"more\":false}");
  length = out->len;
  pd_server_set_status (msg, SOUP_STATUS_OK);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE,
                                    g_string_free (g_steal_pointer (&out), FALSE), length);
}

/* GET /api/v1/COLLECTION/ID */

static void
get_record (PdServer          *self,
            SoupServerMessage *msg,
            const Rule        *rule,
            const char        *id)
{
  g_autoptr(PdPrincipal) principal = pd_server_authenticate (self, msg);
  g_autoptr(PdRecord) record = NULL;

  if (principal == NULL)
    return;
  if (!principal->partner_user && !practice_may (principal, rule->read))
    {
      reply_forbidden (msg, rule->read);
      return;
    }
  record = pd_store_get (self->store, rule->type, id, NULL);
  if (record && principal->partner_user
      && !partner_may_see (principal, rule, _pd_store_partner_id_of (record),
                           rule->scope == SCOPE_PATIENT
                             && partner_patient_data_visible (self->store, principal->partner_id)))
    g_clear_object (&record);
  if (record == NULL)
    {
      pd_server_reply_not_found (msg);
      return;
    }
  pd_server_set_etag (msg, pd_record_get_version (record));
  pd_server_reply_json_text (msg, SOUP_STATUS_OK, _pd_store_record_json_text (record));
}

/* Idempotency-Key answers */

static gint64
response_version (const char *response)
{
  g_autoptr(JsonNode) node = json_from_string (response, NULL);

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return -1;
  return json_object_get_int_member_with_default (json_node_get_object (node), "version", -1);
}

typedef enum {
  ANSWER_NONE,    /* the key is new */
  ANSWER_STORED,  /* the stored answer of this very request */
  ANSWER_REUSED,  /* the key came with another user or request */
} StoredAnswer;

/* What the idempotency table holds for KEY; when ANSWER_STORED, its STATUS and RESPONSE. */
static StoredAnswer
idempotency_lookup (PdStore     *store,
                    const char  *key,
                    const char  *user_id,
                    const char  *request_sha256,
                    guint       *status,
                    char       **response)
{
  g_autoptr(PdStmt) stmt = _pd_store_prepare (store,
                                              "SELECT user_id, request_sha256, status, response "
                                              "FROM idempotency WHERE key = ?1", NULL);

  if (stmt == NULL)
    return ANSWER_NONE;
  sqlite3_bind_text (stmt, 1, key, -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return ANSWER_NONE;
  if (g_strcmp0 (_pd_stmt_text (stmt, 0), user_id) != 0
      || g_strcmp0 (_pd_stmt_text (stmt, 1), request_sha256) != 0)
    return ANSWER_REUSED;
  *status = (guint) sqlite3_column_int (stmt, 2);
  *response = g_strdup (_pd_stmt_text (stmt, 3));
  return ANSWER_STORED;
}

static const char *
key_reused_message (void)
{
  return _("This Idempotency-Key was already used for another request.");
}

gboolean
pd_server_idempotency_replay (PdServer          *self,
                              SoupServerMessage *msg,
                              const char        *key,
                              const char        *user_id,
                              const char        *request_sha256,
                              gboolean           with_etag)
{
  g_autofree char *response = NULL;
  guint status = 0;
  gint64 version;

  switch (idempotency_lookup (self->store, key, user_id, request_sha256, &status, &response))
    {
    case ANSWER_NONE:
      return FALSE;
    case ANSWER_REUSED:
      pd_server_reply_error (msg, SOUP_STATUS_UNPROCESSABLE_ENTITY, "idempotency_key_reused",
                             key_reused_message (), NULL);
      return TRUE;
    case ANSWER_STORED:
    default:
      break;
    }
  version = with_etag ? response_version (response) : -1;
  pd_server_reply_json_text (msg, status, g_steal_pointer (&response));
  if (SOUP_STATUS_IS_SUCCESSFUL (status) && version >= 0)
    pd_server_set_etag (msg, version);
  return TRUE;
}

gboolean
pd_server_idempotency_store (PdStore     *store,
                             const char  *key,
                             const char  *user_id,
                             const char  *request_sha256,
                             guint        status,
                             const char  *response,
                             GError     **error)
{
  g_autoptr(PdStmt) stmt = _pd_store_prepare (store,
                                              "INSERT INTO idempotency (key, user_id, "
                                              "request_sha256, status, response, created_at) "
                                              "VALUES (?1, ?2, ?3, ?4, ?5, ?6)", error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, key, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, user_id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, request_sha256, -1, SQLITE_STATIC);
  sqlite3_bind_int (stmt, 4, (int) status);
  sqlite3_bind_text (stmt, 5, response, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 6, pd_timestamp_now (), -1, g_free);
  return _pd_store_step_done (store, stmt, error);
}

/* Writes: PUT and DELETE /api/v1/COLLECTION/ID, alone or as the items of POST /api/v1/batch.
 * Both go through write_replay and write_process, one write at a time. */

/* What If-Match / If-None-Match (a batch item: if_match / if_none_match) said. */
typedef enum {
  PRECONDITION_MISSING,
  PRECONDITION_MATCH,           /* base_version */
  PRECONDITION_CREATE,          /* "*" */
  PRECONDITION_BAD_MATCH,
  PRECONDITION_BAD_NONE_MATCH,
} Precondition;

typedef struct {
  PdServer          *server;
  PdPrincipal       *principal;
  const Rule        *rule;
  const char        *id;
  const char        *key;
  char              *request_hash;
  gboolean           is_delete;
  Precondition       precondition;
  gboolean           create;        /* If-None-Match: * */
  gint64             base_version;  /* If-Match */
  PdRecord          *record;        /* PUT: the record sent */
  gboolean           tombstone;     /* PUT: sent with "deleted": true (created and deleted
                                     * offline): written, then tombstoned */
  gboolean           restore;       /* PUT: sent with "deleted": false (a restore) */
  /* The answer: a success or stored answer (code NULL: status, response), or a refusal
   * (status, code, message, fields; 412: current) */
  gboolean           applied;       /* written by this request (not a stored answer) */
  guint              status;
  const char        *code;
  char              *message;
  GHashTable        *fields;
  PdRecord          *current;       /* 412: the current record */
  char              *response;      /* success: the record's JSON */
  gint64             version;       /* success: the ETag; -1: none */
} Write;

static void
write_clear (Write *w)
{
  g_free (w->request_hash);
  g_clear_object (&w->record);
  g_free (w->message);
  g_clear_pointer (&w->fields, g_hash_table_unref);
  g_clear_object (&w->current);
  g_free (w->response);
}

/* W's answer becomes a refusal (MESSAGE taken); W's fields stay as set. */
static void
set_refusal (Write       *w,
             guint        status,
             const char  *code,
             char        *message)
{
  w->status = status;
  w->code = code;
  g_free (w->message);
  w->message = message;
}

static void
set_forbidden (Write *w,
               guint  needed)
{
  char *message;

  g_clear_pointer (&w->fields, g_hash_table_unref);
  message = forbidden_message (needed, &w->fields);
  set_refusal (w, SOUP_STATUS_FORBIDDEN, "forbidden", message);
}

static GQuark
refusal_quark (void)
{
  return g_quark_from_static_string ("pd-server-refusal");
}

/* Ends the transaction callback with a refusal (rolled back). */
static gboolean
refuse (Write       *w,
        guint        status,
        const char  *code,
        char        *message,
        GError     **error)
{
  set_refusal (w, status, code, message);
  g_set_error_literal (error, refusal_quark (), 0, message);
  return FALSE;
}

static gboolean
forbidden_refusal (Write   *w,
                   guint    needed,
                   GError **error)
{
  set_forbidden (w, needed);
  g_set_error_literal (error, refusal_quark (), 0, w->message);
  return FALSE;
}

/* Without manage_team a practice user may change only their own name. */
static gboolean
check_own_record (Write     *w,
                  PdRecord  *old,
                  GError   **error)
{
  const PdRecordType *type = w->rule->type;

  if (w->is_delete || old == NULL || strcmp (w->id, w->principal->user_id) != 0)
    return forbidden_refusal (w, PD_PERMISSION_MANAGE_TEAM, error);
  for (guint i = 0; i < type->n_fields; i++)
    if (strcmp (type->fields[i].name, "name") != 0
        && !pd_record_field_equal (old, w->record, type->fields[i].name))
      return forbidden_refusal (w, PD_PERMISSION_MANAGE_TEAM, error);
  return TRUE;
}

static gboolean
check_version (Write     *w,
               PdRecord  *old,
               GError   **error)
{
  if (w->create && old == NULL)
    return TRUE;
  if (!w->create && old == NULL && w->is_delete)
    return refuse (w, SOUP_STATUS_NOT_FOUND, "not_found",
                   g_strdup (_("There is nothing at this address.")), error);
  if (!w->create && old && pd_record_get_version (old) == w->base_version)
    return TRUE;
  w->current = old ? g_object_ref (old) : NULL;
  return refuse (w, SOUP_STATUS_PRECONDITION_FAILED, "version_mismatch",
                 g_strdup (old ? _("The record was changed meanwhile: merge with the current "
                                   "version and try again.")
                               : _("The record does not exist on the server.")),
                 error);
}

/* A user's sign-in email follows the email of their record. */
static gboolean
follow_email (Write     *w,
              PdRecord  *saved,
              GError   **error)
{
  PdStore *store = w->server->store;
  const char *email = pd_record_get_string (saved, "email");
  g_autofree char *stripped = NULL;
  g_autoptr(PdStmt) stmt = NULL;
  int rc;

  if (email == NULL)
    return TRUE;
  stmt = _pd_store_prepare (store, "UPDATE credentials SET email_fold = ?2, updated_at = ?3 "
                            "WHERE user_id = ?1 AND email_fold != ?2", error);
  if (stmt == NULL)
    return FALSE;
  stripped = g_strstrip (g_strdup (email));
  sqlite3_bind_text (stmt, 1, pd_record_get_id (saved), -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, pd_text_fold (stripped), -1, g_free);
  sqlite3_bind_text (stmt, 3, pd_timestamp_now (), -1, g_free);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_CONSTRAINT_UNIQUE)
    {
      w->fields = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
      g_hash_table_insert (w->fields, (gpointer) "email",
                           g_strdup_printf (_("Another account already uses the email address "
                                              "“%s”."), stripped));
      return refuse (w, SOUP_STATUS_UNPROCESSABLE_ENTITY, "invalid",
                     g_strdup (_("Some fields are not valid.")), error);
    }
  if (rc != SQLITE_DONE)
    {
      _pd_store_set_error (store, rc, error);
      return FALSE;
    }
  return TRUE;
}

static gboolean
save_put (Write     *w,
          PdRecord  *old,
          PdRecord **saved,
          GError   **error)
{
  PdStore *store = w->server->store;
  g_autoptr(GError) local_error = NULL;

  /* pd_store_save validates: the fields' messages are looked up only for a refusal. */
  if (!pd_store_save (store, w->record, &local_error))
    {
      g_autoptr(GHashTable) errors = NULL;

      if (!g_error_matches (local_error, PD_ERROR, PD_ERROR_INVALID))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      errors = pd_store_validate (store, w->record);
      if (g_hash_table_size (errors) == 0)
        return refuse (w, SOUP_STATUS_UNPROCESSABLE_ENTITY, "invalid",
                       g_strdup (local_error->message), error);
      w->fields = g_hash_table_ref (errors);
      return refuse (w, SOUP_STATUS_UNPROCESSABLE_ENTITY, "invalid",
                     g_strdup (_("Some fields are not valid.")), error);
    }
  *saved = g_object_ref (w->record);
  w->status = old ? SOUP_STATUS_OK : SOUP_STATUS_CREATED;
  if (w->rule->type == &pd_practice_user_type || w->rule->type == &pd_partner_user_type)
    return follow_email (w, *saved, error);
  return TRUE;
}

/* Version check, write, invitation and stored answer: one transaction (in a batch, a
 * savepoint of the batch's transaction). */
static gboolean
write_cb (PdStore  *store,
          gpointer  user_data,
          GError  **error)
{
  Write *w = user_data;
  g_autoptr(PdRecord) old = NULL;
  g_autoptr(PdRecord) saved = NULL;
  g_autoptr(GError) local_error = NULL;

  old = _pd_store_load_record (store, w->rule->type, w->id, &local_error);
  if (local_error)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (!check_version (w, old, error))
    return FALSE;
  if (w->rule->type == &pd_practice_user_type
      && !(w->principal->permissions & PD_PERMISSION_MANAGE_TEAM)
      && !check_own_record (w, old, error))
    return FALSE;
  if (w->is_delete)
    {
      if (!pd_store_delete (store, w->rule->type, w->id, error)
          || !(saved = pd_store_get (store, w->rule->type, w->id, error)))
        return FALSE;
      w->status = SOUP_STATUS_OK;
    }
  else if (!save_put (w, old, &saved, error))
    return FALSE;
  if (w->tombstone && !pd_record_get_deleted (saved))
    {
      g_clear_object (&saved);
      if (!pd_store_delete (store, w->rule->type, w->id, error)
          || !(saved = pd_store_get (store, w->rule->type, w->id, error)))
        return FALSE;
    }
  /* A record restored on a desktop (Undo of a delete) comes back as a PUT. */
  if (w->restore && pd_record_get_deleted (saved))
    {
      g_clear_object (&saved);
      if (!pd_store_restore (store, w->rule->type, w->id, error)
          || !(saved = pd_store_get (store, w->rule->type, w->id, error)))
        return FALSE;
    }
  if (!pd_server_invite_after_write (w->server, old, saved, error))
    return FALSE;
  w->version = pd_record_get_version (saved);
  w->response = _pd_store_record_json_text (saved);
  return pd_server_idempotency_store (store, w->key, w->principal->user_id, w->request_hash,
                                      w->status, w->response, error);
}

/* If-Match: 3, "3" or W/"3". */
static gboolean
parse_version (const char *text,
               gint64     *version)
{
  g_autofree char *copy = g_strstrip (g_strdup (text));
  char *p = copy, *end = NULL;

  if (g_str_has_prefix (p, "W/"))
    p += 2;
  if (*p == '"')
    {
      p++;
      if (!g_str_has_suffix (p, "\""))
        return FALSE;
      p[strlen (p) - 1] = '\0';
    }
  if (!g_ascii_isdigit (*p))
    return FALSE;
  *version = g_ascii_strtoll (p, &end, 10);
  return *end == '\0';
}

/* MATCH (If-Match) and NONE_MATCH (If-None-Match) as headers give them (NULL: absent). */
static void
read_precondition_text (Write      *w,
                        const char *match,
                        const char *none_match)
{
  if (match)
    w->precondition = parse_version (match, &w->base_version) ? PRECONDITION_MATCH
                                                              : PRECONDITION_BAD_MATCH;
  else if (none_match)
    {
      g_autofree char *star = g_strstrip (g_strdup (none_match));

      w->precondition = strcmp (star, "*") == 0 ? PRECONDITION_CREATE
                                                : PRECONDITION_BAD_NONE_MATCH;
    }
  else
    w->precondition = PRECONDITION_MISSING;
}

/* FALSE with W's refusal (400, 428) when the preconditions are unusable. */
static gboolean
check_preconditions (Write *w)
{
  switch (w->precondition)
    {
    case PRECONDITION_MATCH:
      return TRUE;
    case PRECONDITION_BAD_MATCH:
      set_refusal (w, SOUP_STATUS_BAD_REQUEST, "invalid_precondition",
                   g_strdup (_("If-Match must hold the version the change is based on.")));
      return FALSE;
    case PRECONDITION_CREATE:
      if (w->is_delete)
        break;
      w->create = TRUE;
      return TRUE;
    case PRECONDITION_BAD_NONE_MATCH:
      if (w->is_delete)
        break;
      set_refusal (w, SOUP_STATUS_BAD_REQUEST, "invalid_precondition",
                   g_strdup (_("If-None-Match only accepts “*” (create).")));
      return FALSE;
    case PRECONDITION_MISSING:
    default:
      break;
    }
  set_refusal (w, STATUS_PRECONDITION_REQUIRED, "precondition_required",
               g_strdup (w->is_delete
                           ? _("A delete needs If-Match with the version it is based on.")
                           : _("A write needs If-Match with the version it is based on, or "
                               "If-None-Match: * to create.")));
  return FALSE;
}

static const char *const meta_keys[] = {
  "id", "version", "created_at", "updated_at", "updated_by", "deleted",
};

static gboolean
is_meta_key (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (meta_keys); i++)
    if (strcmp (name, meta_keys[i]) == 0)
      return TRUE;
  return FALSE;
}

/* NULL when NODE suits FIELD, else what was expected (translated). */
static const char *
type_problem (const PdField *f,
              JsonNode      *node)
{
  GType vt;

  if (JSON_NODE_HOLDS_NULL (node))
    return NULL;
  if (f->type == PD_FIELD_REF_LIST)
    {
      JsonArray *a;

      if (!JSON_NODE_HOLDS_ARRAY (node))
        return _("Expected a list of ids");
      a = json_node_get_array (node);
      for (guint i = 0; i < json_array_get_length (a); i++)
        if (json_node_get_value_type (json_array_get_element (a, i)) != G_TYPE_STRING)
          return _("Expected a list of ids");
      return NULL;
    }
  vt = JSON_NODE_HOLDS_VALUE (node) ? json_node_get_value_type (node) : G_TYPE_INVALID;
  switch (f->type)
    {
    case PD_FIELD_BOOL:
      return vt == G_TYPE_BOOLEAN ? NULL : _("Expected true or false");
    case PD_FIELD_INT:
    case PD_FIELD_MONEY:
    case PD_FIELD_PERCENT:
      return vt == G_TYPE_INT64 ? NULL : _("Expected a whole number");
    default:
      return vt == G_TYPE_STRING ? NULL : _("Expected text");
    }
}

/* The record of BODY, or NULL with W's refusal (422: unknown fields, wrong types, wrong id). */
static PdRecord *
record_from_body (Write      *w,
                  JsonObject *body)
{
  const PdRecordType *type = w->rule->type;
  g_autoptr(GHashTable) unknown = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(GHashTable) wrong = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(JsonObject) fields = json_object_new ();
  g_autoptr(GList) members = json_object_get_members (body);
  JsonNode *id = json_object_get_member (body, "id");
  JsonNode *deleted;

  for (GList *l = members; l; l = l->next)
    {
      const char *name = l->data;
      const PdField *f = pd_record_type_get_field (type, name);
      JsonNode *node = json_object_get_member (body, name);
      const char *problem;

      if (is_meta_key (name))
        continue;
      if (f == NULL)
        g_hash_table_insert (unknown, g_strdup (name), g_strdup (_("Unknown field")));
      else if ((problem = type_problem (f, node)))
        g_hash_table_insert (wrong, g_strdup (name), g_strdup (problem));
      else
        json_object_set_member (fields, name, json_node_copy (node));
    }
  if (g_hash_table_size (unknown) > 0)
    {
      w->fields = g_steal_pointer (&unknown);
      set_refusal (w, SOUP_STATUS_UNPROCESSABLE_ENTITY, "unknown_field",
                   g_strdup (_("The record has fields this server does not know.")));
      return NULL;
    }
  if (g_hash_table_size (wrong) > 0)
    {
      w->fields = g_steal_pointer (&wrong);
      set_refusal (w, SOUP_STATUS_UNPROCESSABLE_ENTITY, "invalid_type",
                   g_strdup (_("Some fields have the wrong type.")));
      return NULL;
    }
  if (id && (!JSON_NODE_HOLDS_VALUE (id) || json_node_get_value_type (id) != G_TYPE_STRING
             || strcmp (json_node_get_string (id), w->id) != 0))
    {
      g_hash_table_insert (wrong, g_strdup ("id"), g_strdup (_("Must be the id in the address")));
      w->fields = g_steal_pointer (&wrong);
      set_refusal (w, SOUP_STATUS_UNPROCESSABLE_ENTITY, "invalid",
                   g_strdup (_("The record's id differs from the id in the address.")));
      return NULL;
    }
  json_object_set_string_member (fields, "id", w->id);
  deleted = json_object_get_member (body, "deleted");
  w->tombstone = deleted && JSON_NODE_HOLDS_VALUE (deleted)
                 && json_node_get_value_type (deleted) == G_TYPE_BOOLEAN
                 && json_node_get_boolean (deleted);
  w->restore = deleted && JSON_NODE_HOLDS_VALUE (deleted)
               && json_node_get_value_type (deleted) == G_TYPE_BOOLEAN
               && !json_node_get_boolean (deleted);
  return pd_record_new_from_json (type, fields, NULL);
}

/* When W's key was seen before, W's answer is the stored one (or 422 when the key came with
 * another user or request) and TRUE is returned. */
static gboolean
write_replay (Write *w)
{
  g_autofree char *response = NULL;
  guint status = 0;

  switch (idempotency_lookup (w->server->store, w->key, w->principal->user_id,
                              w->request_hash, &status, &response))
    {
    case ANSWER_NONE:
      return FALSE;
    case ANSWER_REUSED:
      set_refusal (w, SOUP_STATUS_UNPROCESSABLE_ENTITY, "idempotency_key_reused",
                   g_strdup (key_reused_message ()));
      return TRUE;
    case ANSWER_STORED:
    default:
      break;
    }
  w->status = status;
  w->version = SOUP_STATUS_IS_SUCCESSFUL (status) ? response_version (response) : -1;
  w->response = g_steal_pointer (&response);
  return TRUE;
}

/* A write that is not a replay: permission, preconditions, the record (BODY, for a PUT),
 * then its transaction. Fills W's answer. The store's actor is set (pd_server_act_as). */
static void
write_process (Write      *w,
               JsonObject *body)
{
  g_autoptr(GError) error = NULL;

  if (w->principal->partner_user)
    set_forbidden (w, 0);
  else if (w->rule->type != &pd_practice_user_type
           && !practice_may (w->principal, w->rule->write))
    set_forbidden (w, w->rule->write);
  else if (!check_preconditions (w)
           || (!w->is_delete && (w->record = record_from_body (w, body)) == NULL))
    return;
  else if (pd_store_transaction (w->server->store, write_cb, w, &error))
    w->applied = TRUE;
  else if (w->code == NULL)
    set_refusal (w, SOUP_STATUS_SERVICE_UNAVAILABLE, "unavailable", g_strdup (error->message));
}

static void
reply_refusal (Write             *w,
               SoupServerMessage *msg)
{
  g_autoptr(JsonNode) node = NULL;
  JsonObject *o;

  if (w->status != SOUP_STATUS_PRECONDITION_FAILED)
    {
      pd_server_reply_error (msg, w->status, w->code, w->message, w->fields);
      return;
    }
  /* 412 carries the current record (null when there is none). */
  node = json_node_new (JSON_NODE_OBJECT);
  o = json_object_new ();
  json_object_set_string_member (o, "error", w->code);
  json_object_set_string_member (o, "message", w->message);
  json_object_set_object_member (o, "fields", json_object_new ());
  if (w->current)
    json_object_set_object_member (o, "record", pd_record_to_json (w->current));
  else
    json_object_set_null_member (o, "record");
  json_node_take_object (node, o);
  pd_server_reply_json (msg, w->status, node);
  if (w->current)
    pd_server_set_etag (msg, pd_record_get_version (w->current));
}

/* A single write's answer: W's refusal, or the record with its ETag. */
static void
reply_write (Write             *w,
             SoupServerMessage *msg)
{
  if (w->code)
    {
      reply_refusal (w, msg);
      return;
    }
  pd_server_reply_json_text (msg, w->status, g_steal_pointer (&w->response));
  if (SOUP_STATUS_IS_SUCCESSFUL (w->status) && w->version >= 0)
    pd_server_set_etag (msg, w->version);
}

#ifdef PD_SERVER_ENABLE_FAULTS
/* Test builds: the write is committed, then the answer is lost with the connection. */
static gboolean
lose_answer (PdServer          *self,
             SoupServerMessage *msg)
{
  g_autoptr(GIOStream) stream = NULL;

  if (!(self->config.faults & PD_SERVER_FAULT_LOSE_ANSWER))
    return FALSE;
  self->answers++;
  g_message ("%s %s committed; answer dropped (lose-answer fault)",
             soup_server_message_get_method (msg),
             g_uri_get_path (soup_server_message_get_uri (msg)));
  stream = soup_server_message_steal_connection (msg);
  if (stream)
    g_io_stream_close (stream, NULL, NULL);
  return TRUE;
}
#endif

static void
write_record (PdServer          *self,
              SoupServerMessage *msg,
              const Rule        *rule,
              const char        *id,
              gboolean           is_delete)
{
  g_autoptr(PdPrincipal) principal = pd_server_authenticate (self, msg);
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  g_autoptr(JsonObject) body = NULL;
  Write w = { self, principal, rule, id };

  w.is_delete = is_delete;
  w.version = -1;
  if (principal == NULL)
    return;
  w.key = soup_message_headers_get_one (headers, "Idempotency-Key");
  if (w.key == NULL || *w.key == '\0' || strlen (w.key) > MAX_KEY_LEN)
    {
      pd_server_reply_error (msg, STATUS_PRECONDITION_REQUIRED, "idempotency_key_required",
                             _("Every write needs an Idempotency-Key header (at most 200 "
                               "characters)."), NULL);
      return;
    }
  w.request_hash = pd_server_request_sha256 (msg);
  if (!write_replay (&w))
    {
      if (!is_delete && (body = pd_server_read_json (self, msg)) == NULL)
        goto out;
      read_precondition_text (&w, soup_message_headers_get_one (headers, "If-Match"),
                              soup_message_headers_get_one (headers, "If-None-Match"));
      pd_server_act_as (self, principal, msg);
      write_process (&w, body);
      if (w.applied)
        pd_server_mail_kick (self);
#ifdef PD_SERVER_ENABLE_FAULTS
      if (w.applied && lose_answer (self, msg))
        goto out;
#endif
    }
  reply_write (&w, msg);
out:
  write_clear (&w);
}

/* POST /api/v1/batch: {"writes": [{"key", "method", "collection", "id", "if_match",
 * "if_none_match", "record"}, ...]} -> {"results": [{"key", "status", "record", "error",
 * "message", "fields"}, ...]}, in order. Each write is answered as the single PUT or DELETE
 * it stands for would be, all in one transaction, each in a savepoint of its own: a refused
 * write leaves the others. */

typedef struct {
  PdServer    *server;
  PdPrincipal *principal;
  JsonArray   *writes;
  GString     *out;
  gboolean     first_applied;  /* the first write was applied by this request */
} Batch;

static const char *const item_keys[] = {
  "key", "method", "collection", "id", "if_match", "if_none_match", "record",
};

static const char *
member_string (JsonObject *o,
               const char *name)
{
  JsonNode *node = json_object_get_member (o, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static gboolean
member_is_null (JsonObject *o,
                const char *name)
{
  JsonNode *node = json_object_get_member (o, name);

  return node == NULL || JSON_NODE_HOLDS_NULL (node);
}

static gboolean
item_keys_known (JsonObject *item)
{
  g_autoptr(GList) members = json_object_get_members (item);

  for (GList *l = members; l; l = l->next)
    if (!g_strv_contains ((const char *const *) item_keys, l->data))
      return FALSE;
  return TRUE;
}

/* if_match (a version, or its text as in If-Match) and if_none_match ("*"). */
static void
read_precondition_members (Write      *w,
                           JsonObject *item)
{
  JsonNode *match = json_object_get_member (item, "if_match");

  if (!member_is_null (item, "if_match") && JSON_NODE_HOLDS_VALUE (match)
      && json_node_get_value_type (match) == G_TYPE_INT64)
    {
      w->base_version = json_node_get_int (match);
      w->precondition = w->base_version >= 0 ? PRECONDITION_MATCH : PRECONDITION_BAD_MATCH;
    }
  else if (!member_is_null (item, "if_match") && member_string (item, "if_match") == NULL)
    w->precondition = PRECONDITION_BAD_MATCH;
  else if (!member_is_null (item, "if_none_match") && member_string (item, "if_none_match") == NULL)
    w->precondition = member_is_null (item, "if_match") ? PRECONDITION_BAD_NONE_MATCH
                                                        : PRECONDITION_BAD_MATCH;
  else
    read_precondition_text (w, member_string (item, "if_match"),
                            member_string (item, "if_none_match"));
}

/* SHA-256 of the single request a batch item stands for, as pd_server_request_sha256 has it:
 * "METHOD /api/v1/COLLECTION/ID\nBODY", the id escaped as in an address and the record as
 * json-glib writes it. So a key first sent alone and then in a batch (or the other way)
 * replays. */
static char *
item_sha256 (const char *method,
             const char *collection,
             const char *id,
             JsonNode   *record)
{
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autofree char *escaped = g_uri_escape_string (id, NULL, FALSE);
  g_autofree char *head = g_strdup_printf ("%s /api/v1/%s/%s\n", method, collection, escaped);

  g_checksum_update (sum, (const guchar *) head, -1);
  if (record)
    {
      g_autofree char *text = json_to_string (record, FALSE);

      g_checksum_update (sum, (const guchar *) text, -1);
    }
  return g_strdup (g_checksum_get_string (sum));
}

/* One item: read as the headers and body of a single write are, then answered as one. */
static void
batch_item (Write    *w,
            JsonNode *node)
{
  JsonObject *item;
  JsonNode *record;
  const char *method, *collection;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      set_refusal (w, SOUP_STATUS_BAD_REQUEST, "invalid_write",
                   g_strdup (_("Each write of a batch must be a JSON object.")));
      return;
    }
  item = json_node_get_object (node);
  w->key = member_string (item, "key");
  method = member_string (item, "method");
  collection = member_string (item, "collection");
  w->id = member_string (item, "id");
  record = json_object_get_member (item, "record");
  if (w->key == NULL || *w->key == '\0' || strlen (w->key) > MAX_KEY_LEN)
    {
      set_refusal (w, STATUS_PRECONDITION_REQUIRED, "idempotency_key_required",
                   g_strdup (_("Each write of a batch needs its “key” (at most 200 "
                               "characters).")));
      return;
    }
  if (!item_keys_known (item)
      || (g_strcmp0 (method, "PUT") != 0 && g_strcmp0 (method, "DELETE") != 0)
      || collection == NULL || w->id == NULL || *w->id == '\0')
    {
      set_refusal (w, SOUP_STATUS_BAD_REQUEST, "invalid_write",
                   g_strdup (_("Each write of a batch has “key”, “method” (PUT or DELETE), "
                               "“collection”, “id”, “if_match” or “if_none_match”, and a "
                               "PUT its “record”.")));
      return;
    }
  w->is_delete = strcmp (method, "DELETE") == 0;
  if ((w->rule = rule_of (collection)) == NULL)
    {
      set_refusal (w, SOUP_STATUS_NOT_FOUND, "not_found",
                   g_strdup (_("There is nothing at this address.")));
      return;
    }
  if (!w->is_delete && (record == NULL || !JSON_NODE_HOLDS_OBJECT (record)))
    {
      set_refusal (w, SOUP_STATUS_BAD_REQUEST, "malformed_json",
                   g_strdup (_("The request body is not a well-formed JSON object.")));
      return;
    }
  w->request_hash = item_sha256 (method, collection, w->id, w->is_delete ? NULL : record);
  if (write_replay (w))
    return;
  read_precondition_members (w, item);
  write_process (w, w->is_delete ? NULL : json_node_get_object (record));
}

static void
append_fields (GString    *out,
               GHashTable *fields)
{
  GHashTableIter iter;
  gpointer key, value;
  guint n = 0;

  g_string_append_c (out, '{');
  g_hash_table_iter_init (&iter, fields);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      if (n++)
        g_string_append_c (out, ',');
      append_json_string (out, key);
      g_string_append_c (out, ':');
      append_json_string (out, value);
    }
  g_string_append_c (out, '}');
}

static void
append_string_or_null (GString    *out,
                       const char *text)
{
  if (text)
    append_json_string (out, text);
  else
    g_string_append (out, "null");
}

/* {"key", "status", "record", "error", "message", "fields"} of W's answer. */
static void
append_result (GString *out,
               Write   *w)
{
  g_string_append (out, "{\"key\":");
  append_string_or_null (out, w->key);
  g_string_append (out, ",\"status\":");
  append_int (out, w->status);
  g_string_append (out, ",\"record\":");
  if (w->code == NULL && w->response)
    g_string_append (out, w->response);
  else if (w->current)
    {
      g_autofree char *current = _pd_store_record_json_text (w->current);

      g_string_append (out, current);
    }
  else
    g_string_append (out, "null");
  g_string_append (out, ",\"error\":");
  append_string_or_null (out, w->code);
  g_string_append (out, ",\"message\":");
  append_string_or_null (out, w->code ? w->message : NULL);
  g_string_append (out, ",\"fields\":");
  if (w->code && w->fields && g_hash_table_size (w->fields) > 0)
    append_fields (out, w->fields);
  else
    g_string_append (out, "null");
  g_string_append_c (out, '}');
}

/* Every item, in the batch's transaction. A database failure (not a refusal) ends it all. */
static gboolean
batch_cb (PdStore  *store,
          gpointer  user_data,
          GError  **error)
{
  Batch *b = user_data;
  guint n = json_array_get_length (b->writes);

  for (guint i = 0; i < n; i++)
    {
      Write w = { b->server, b->principal };

      w.version = -1;
      batch_item (&w, json_array_get_element (b->writes, i));
      if (g_strcmp0 (w.code, "unavailable") == 0)
        {
          g_set_error_literal (error, PD_ERROR, PD_ERROR_DATABASE, w.message);
          write_clear (&w);
          return FALSE;
        }
      if (i == 0)
        b->first_applied = w.applied;
      if (i > 0)
        g_string_append_c (b->out, ',');
      append_result (b->out, &w);
      write_clear (&w);
    }
  return TRUE;
}

static void
post_batch (PdServer          *self,
            SoupServerMessage *msg)
{
  g_autoptr(PdPrincipal) principal = pd_server_authenticate (self, msg);
  g_autoptr(JsonObject) body = NULL;
  g_autoptr(GString) out = NULL;
  g_autoptr(GError) error = NULL;
  Batch b = { self, principal };
  JsonNode *writes;

  if (principal == NULL || (body = pd_server_read_json (self, msg)) == NULL)
    return;
  if (principal->partner_user)
    {
      reply_forbidden (msg, 0);
      return;
    }
  writes = json_object_get_member (body, "writes");
  if (writes == NULL || !JSON_NODE_HOLDS_ARRAY (writes) || json_object_get_size (body) != 1)
    {
      pd_server_reply_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid_batch",
                             _("A batch is an object with one member, “writes”: a list of "
                               "writes."), NULL);
      return;
    }
  b.writes = json_node_get_array (writes);
  if (json_array_get_length (b.writes) > PD_SERVER_MAX_BATCH)
    {
      g_autofree char *message = g_strdup_printf (_("A batch holds at most %u writes."),
                                                  PD_SERVER_MAX_BATCH);

      pd_server_reply_error (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "too_many_writes",
                             message, NULL);
      return;
    }
  b.out = out = g_string_sized_new (json_array_get_length (b.writes) * 512 + 64);
  g_string_append (out, "{\"results\":[");
  pd_server_act_as (self, principal, msg);
  if (!pd_store_transaction (self->store, batch_cb, &b, &error))
    {
      pd_server_reply_error (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "unavailable",
                             error->message, NULL);
      return;
    }
  pd_server_mail_kick (self);
#ifdef PD_SERVER_ENABLE_FAULTS
  /* Keyed on the first write: lost when it was applied now, answered when replayed. */
  if (b.first_applied && lose_answer (self, msg))
    return;
#endif
  g_string_append (out, "]}");
  pd_server_reply_json_text (msg, SOUP_STATUS_OK, g_string_free (g_steal_pointer (&out), FALSE));
}

/* Routing under /api/v1 */

static void
records_cb (SoupServer        *server,
            SoupServerMessage *msg,
            const char        *path,
            GHashTable        *query,
            gpointer           user_data)
{
  PdServer *self = user_data;
  const char *method = soup_server_message_get_method (msg);
  g_auto(GStrv) parts = g_strsplit (path + strlen ("/api/v1"), "/", -1);
  g_autofree char *id = NULL;
  const Rule *rule;

  /* parts: "", COLLECTION, ID */
  if (g_strv_length (parts) == 2 && strcmp (parts[1], "changes") == 0)
    {
      if (strcmp (method, "GET") == 0)
        get_changes (self, msg, query);
      else
        pd_server_reply_method_not_allowed (msg, "GET");
      return;
    }
  if (g_strv_length (parts) == 2 && strcmp (parts[1], "batch") == 0)
    {
      if (strcmp (method, "POST") == 0)
        post_batch (self, msg);
      else
        pd_server_reply_method_not_allowed (msg, "POST");
      return;
    }
  if (g_strv_length (parts) != 3 || parts[2][0] == '\0' || (rule = rule_of (parts[1])) == NULL
      || (id = g_uri_unescape_string (parts[2], "/")) == NULL)
    {
      pd_server_reply_not_found (msg);
      return;
    }
  if (strcmp (method, "GET") == 0)
    get_record (self, msg, rule, id);
  else if (strcmp (method, "PUT") == 0)
    write_record (self, msg, rule, id, FALSE);
  else if (strcmp (method, "DELETE") == 0)
    write_record (self, msg, rule, id, TRUE);
  else
    pd_server_reply_method_not_allowed (msg, "GET, PUT, DELETE");
}

/* /api/v1/partner/ID is a record, but the partner side's handler (pd-server-partner.c) owns
 * the prefix /api/v1/partner for /bookables and /bookings: records under it are answered
 * here, before the handlers run (a message with a status skips them). */
static void
request_read_cb (SoupServer        *server,
                 SoupServerMessage *msg,
                 gpointer           user_data)
{
  const char *path = g_uri_get_path (soup_server_message_get_uri (msg));

  if (!g_str_has_prefix (path, "/api/v1/partner/") || soup_server_message_get_status (msg) != 0
      || strcmp (path, "/api/v1/partner/bookables") == 0
      || strcmp (path, "/api/v1/partner/bookings") == 0)
    return;
  records_cb (server, msg, path, NULL, user_data);
}

void
pd_server_records_register (PdServer *self)
{
  soup_server_add_handler (self->soup, "/api/v1", records_cb, self, NULL);
  g_signal_connect (self->soup, "request-read", G_CALLBACK (request_read_cb), self);
}
