/* pd-server-partner.c: the partner side: what a partner may book, and booking it. */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "pd-server-private.h"
#include "pd-store-private.h"

#define PARTNER_PREFIX    "/api/v1/partner"
#define MAX_BOOKINGS_LIST 1000

/* Who asks: a signed-in, active partner user and its partner. */
typedef struct {
  PdPrincipal *principal;
  PdRecord    *user;
  PdRecord    *partner;
} PartnerCaller;

static void
partner_caller_clear (PartnerCaller *caller)
{
  g_clear_pointer (&caller->principal, pd_principal_free);
  g_clear_object (&caller->user);
  g_clear_object (&caller->partner);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (PartnerCaller, partner_caller_clear)

static gboolean
live (PdRecord *record)
{
  return record != NULL && !pd_record_get_deleted (record);
}

static gboolean
caller_load (PdServer          *self,
             SoupServerMessage *msg,
             PartnerCaller     *caller)
{
  caller->principal = pd_server_authenticate (self, msg);
  if (caller->principal == NULL)
    return FALSE;
  if (!caller->principal->partner_user)
    {
      pd_server_reply_error (msg, SOUP_STATUS_FORBIDDEN, "forbidden",
                             _("Only a partner’s users can use the partner side."), NULL);
      return FALSE;
    }
  caller->user = pd_store_get (self->store, &pd_partner_user_type,
                               caller->principal->user_id, NULL);
  caller->partner = pd_store_get (self->store, &pd_partner_type,
                                  caller->principal->partner_id, NULL);
  if (!live (caller->user) || !live (caller->partner)
      || g_strcmp0 (pd_record_get_string (caller->user, "status"), "active") != 0)
    {
      pd_server_reply_error (msg, SOUP_STATUS_FORBIDDEN, "forbidden",
                             _("This account is not active."), NULL);
      return FALSE;
    }
  return TRUE;
}

static void
reply_database_error (SoupServerMessage *msg,
                      GError            *error)
{
  g_message ("partner side: %s", error->message);
  pd_server_reply_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "internal",
                         _("The server could not read its database."), NULL);
}

/* GET /api/v1/partner/bookables */

static gint
compare_titles (gconstpointer a,
                gconstpointer b)
{
  PdRecord *ra = *(PdRecord **) a;
  PdRecord *rb = *(PdRecord **) b;

  return g_strcmp0 (pd_record_get_sort_key (ra), pd_record_get_sort_key (rb));
}

static GPtrArray *
partner_institutions (PdStore  *store,
                      PdRecord *partner)
{
  const char * const *ids = pd_record_get_strv (partner, "institutions");
  GPtrArray *institutions = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; ids[i]; i++)
    {
      PdRecord *institution = pd_store_get (store, &pd_institution_type, ids[i], NULL);

      if (live (institution))
        g_ptr_array_add (institutions, institution);
      else
        g_clear_object (&institution);
    }
  g_ptr_array_sort (institutions, compare_titles);
  return institutions;
}

/* One examination at one institution: the same check as the desktop's booking. */
static JsonObject *
bookable_json (PdStore          *store,
               PdRecord         *partner,
               PdRecord         *institution,
               PdCatalogueEntry *entry,
               gint64            price,
               GError          **error)
{
  PdRecord *exam = entry->examination;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr(GError) refusal = NULL;
  JsonObject *o;

  if (!pd_booking_check (store, pd_record_get_id (partner), pd_record_get_id (institution),
                         pd_record_get_id (exam), now, NULL, "-", NULL, &refusal)
      && !g_error_matches (refusal, PD_ERROR, PD_ERROR_INVALID))
    {
      g_propagate_error (error, g_steal_pointer (&refusal));
      return NULL;
    }
  o = json_object_new ();
  json_object_set_string_member (o, "id", pd_record_get_id (exam));
  json_object_set_string_member (o, "code", pd_record_get_string (exam, "code"));
  json_object_set_string_member (o, "name", pd_record_get_string (exam, "name"));
  json_object_set_int_member (o, "price", price);
  json_object_set_int_member (o, "duration_minutes",
                              pd_record_get_int (exam, "duration_minutes"));
  json_object_set_boolean_member (o, "enabled", refusal == NULL);
  if (refusal)
    json_object_set_string_member (o, "reason", refusal->message);
  else
    json_object_set_null_member (o, "reason");
  return o;
}

static JsonObject *
institution_json (PdStore    *store,
                  PdRecord   *partner,
                  PdRecord   *institution,
                  GPtrArray  *catalogue,
                  GError    **error)
{
  g_autoptr(JsonArray) exams = json_array_new ();
  JsonObject *o;

  for (guint i = 0; i < catalogue->len; i++)
    {
      PdCatalogueEntry *entry = g_ptr_array_index (catalogue, i);
      gint64 *price = g_hash_table_lookup (entry->prices, pd_record_get_id (institution));
      JsonObject *exam;

      if (price == NULL)
        continue;
      exam = bookable_json (store, partner, institution, entry, *price, error);
      if (exam == NULL)
        return NULL;
      json_array_add_object_element (exams, exam);
    }
  o = json_object_new ();
  json_object_set_string_member (o, "id", pd_record_get_id (institution));
  json_object_set_string_member (o, "name", pd_record_get_title (institution));
  json_object_set_array_member (o, "examinations", g_steal_pointer (&exams));
  return o;
}

static void
get_bookables (PdServer          *self,
               SoupServerMessage *msg,
               PartnerCaller     *caller)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) catalogue = pd_catalogue_list (self->store, FALSE, &error);
  g_autoptr(GPtrArray) institutions = NULL;
  g_autoptr(JsonArray) list = json_array_new ();
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  JsonObject *root = json_object_new ();

  json_node_take_object (node, root);
  if (catalogue == NULL)
    {
      reply_database_error (msg, error);
      return;
    }
  institutions = partner_institutions (self->store, caller->partner);
  for (guint i = 0; i < institutions->len; i++)
    {
      JsonObject *o = institution_json (self->store, caller->partner,
                                        g_ptr_array_index (institutions, i), catalogue, &error);

      if (o == NULL)
        {
          reply_database_error (msg, error);
          return;
        }
      json_array_add_object_element (list, o);
    }
  json_object_set_string_member (root, "currency", pd_money_get_currency ());
  json_object_set_array_member (root, "institutions", g_steal_pointer (&list));
  pd_server_reply_json (msg, SOUP_STATUS_OK, node);
}

/* Bookings as the partner sees them: patient data only where its terms allow. */
static JsonObject *
booking_json (PdRecord *partner,
              PdRecord *booking)
{
  JsonObject *o = pd_record_to_json (booking);

  if (!pd_record_get_bool (partner, "patient_data_visible"))
    {
      json_object_set_null_member (o, "patient_name");
      json_object_set_null_member (o, "person_id");
    }
  return o;
}

/* GET /api/v1/partner/bookings */

static void
get_bookings (PdServer          *self,
              SoupServerMessage *msg,
              PartnerCaller     *caller)
{
  const char *params[] = { pd_record_get_id (caller->partner), NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) bookings = NULL;
  g_autoptr(JsonArray) list = json_array_new ();
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  JsonObject *root = json_object_new ();

  json_node_take_object (node, root);
  bookings = _pd_store_query_records (self->store, &pd_booking_type,
                                      "partner_id = ?1 ORDER BY booked_at DESC, id LIMIT "
                                      G_STRINGIFY (MAX_BOOKINGS_LIST), params, &error);
  if (bookings == NULL)
    {
      reply_database_error (msg, error);
      return;
    }
  for (guint i = 0; i < bookings->len; i++)
    json_array_add_object_element (list, booking_json (caller->partner,
                                                       g_ptr_array_index (bookings, i)));
  json_object_set_array_member (root, "bookings", g_steal_pointer (&list));
  pd_server_reply_json (msg, SOUP_STATUS_OK, node);
}

/* POST /api/v1/partner/bookings: the request */

typedef struct {
  char      *institution_id;
  char      *examination_id;
  GDateTime *booked_at;
  char      *patient_name;
  char      *person_id;
} BookingRequest;

static void
booking_request_clear (BookingRequest *request)
{
  g_free (request->institution_id);
  g_free (request->examination_id);
  g_clear_pointer (&request->booked_at, g_date_time_unref);
  g_free (request->patient_name);
  g_free (request->person_id);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (BookingRequest, booking_request_clear)

static const char *const booking_members[] = {
  "institution_id", "examination_id", "booked_at", "patient_name", "person_id", NULL,
};

/* A string member (NULL when absent or null); a wrong type goes into FIELDS. */
static char *
string_member (JsonObject *body,
               const char *name,
               gboolean    required,
               GHashTable *fields)
{
  JsonNode *node = json_object_get_member (body, name);

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    {
      if (required)
        g_hash_table_insert (fields, g_strdup (name), g_strdup (_("Required")));
      return NULL;
    }
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    {
      g_hash_table_insert (fields, g_strdup (name), g_strdup (_("Must be a string")));
      return NULL;
    }
  if (required && *json_node_get_string (node) == '\0')
    {
      g_hash_table_insert (fields, g_strdup (name), g_strdup (_("Required")));
      return NULL;
    }
  return *json_node_get_string (node) ? g_strdup (json_node_get_string (node)) : NULL;
}

static void
check_reference (PdStore            *store,
                 const PdRecordType *type,
                 const char         *name,
                 const char         *id,
                 GHashTable         *fields)
{
  g_autoptr(PdRecord) record = NULL;

  if (id == NULL)
    return;
  record = pd_store_get (store, type, id, NULL);
  if (!live (record))
    g_hash_table_insert (fields, g_strdup (name), g_strdup (_("No such record")));
}

static void
parse_booking (PdStore        *store,
               JsonObject     *body,
               BookingRequest *request,
               GHashTable     *fields)
{
  g_autoptr(GList) names = json_object_get_members (body);
  g_autofree char *when = NULL;

  for (GList *l = names; l; l = l->next)
    if (!g_strv_contains (booking_members, l->data))
      g_hash_table_insert (fields, g_strdup (l->data), g_strdup (_("Unknown field")));
  request->institution_id = string_member (body, "institution_id", TRUE, fields);
  request->examination_id = string_member (body, "examination_id", TRUE, fields);
  when = string_member (body, "booked_at", TRUE, fields);
  request->patient_name = string_member (body, "patient_name", FALSE, fields);
  request->person_id = string_member (body, "person_id", FALSE, fields);
  if (when && (request->booked_at = g_date_time_new_from_iso8601 (when, NULL)) == NULL)
    g_hash_table_insert (fields, g_strdup ("booked_at"),
                         g_strdup (_("Must be an ISO 8601 date and time")));
  check_reference (store, &pd_institution_type, "institution_id", request->institution_id,
                   fields);
  check_reference (store, &pd_examination_type, "examination_id", request->examination_id,
                   fields);
}

typedef struct {
  PartnerCaller  *caller;
  BookingRequest *request;
  const char     *key;
  const char     *digest;
  char           *response;  /* out */
} BookData;

static gboolean
book_cb (PdStore  *store,
         gpointer  user_data,
         GError  **error)
{
  BookData *data = user_data;
  BookingRequest *request = data->request;
  PdRecord *partner = data->caller->partner;
  g_autoptr(PdRecord) booking = NULL;
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);

  booking = pd_booking_create (store, pd_record_get_id (partner), request->institution_id,
                               request->examination_id, request->booked_at,
                               request->person_id, request->patient_name, NULL, error);
  if (booking == NULL)
    return FALSE;
  json_node_take_object (node, booking_json (partner, booking));
  data->response = json_to_string (node, FALSE);
  return pd_server_idempotency_store (store, data->key, data->caller->principal->user_id,
                                      data->digest, SOUP_STATUS_CREATED, data->response, error);
}

/* The cell's refusal, as the desktop words it; FALSE when it replied. */
static gboolean
cell_bookable (PdServer          *self,
               SoupServerMessage *msg,
               PdRecord          *partner,
               BookingRequest    *request)
{
  g_autoptr(GError) error = NULL;

  if (pd_booking_check (self->store, pd_record_get_id (partner), request->institution_id,
                        request->examination_id, request->booked_at, NULL, "-", NULL, &error))
    return TRUE;
  if (g_error_matches (error, PD_ERROR, PD_ERROR_INVALID))
    pd_server_reply_error (msg, SOUP_STATUS_FORBIDDEN, "not_bookable", error->message, NULL);
  else
    reply_database_error (msg, error);
  return FALSE;
}

static void
book (PdServer          *self,
      SoupServerMessage *msg,
      PartnerCaller     *caller,
      JsonObject        *body,
      const char        *key)
{
  g_auto(BookingRequest) request = { 0 };
  g_autoptr(GHashTable) fields = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autofree char *digest = pd_server_request_sha256 (msg);
  g_autoptr(GError) error = NULL;
  BookData data = { caller, &request, key, digest, NULL };

  if (pd_server_idempotency_replay (self, msg, key, caller->principal->user_id, digest, FALSE))
    return;
  parse_booking (self->store, body, &request, fields);
  if (g_hash_table_size (fields) > 0)
    {
      pd_server_reply_error (msg, SOUP_STATUS_UNPROCESSABLE_ENTITY, "invalid",
                             _("Some fields are not valid."), fields);
      return;
    }
  if (!cell_bookable (self, msg, caller->partner, &request))
    return;
  pd_server_act_as (self, caller->principal, msg);
  if (!pd_store_transaction (self->store, book_cb, &data, &error))
    {
      if (g_error_matches (error, PD_ERROR, PD_ERROR_INVALID))
        pd_server_reply_error (msg, SOUP_STATUS_UNPROCESSABLE_ENTITY, "invalid",
                               error->message, NULL);
      else
        reply_database_error (msg, error);
      g_free (data.response);
      return;
    }
  pd_server_reply_json_text (msg, SOUP_STATUS_CREATED, data.response);
}

static void
post_booking (PdServer          *self,
              SoupServerMessage *msg,
              PartnerCaller     *caller)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *key = soup_message_headers_get_one (headers, "Idempotency-Key");
  g_autoptr(JsonObject) body = NULL;

  if (g_strcmp0 (pd_record_get_string (caller->user, "role"), "partner_admin") != 0)
    {
      pd_server_reply_error (msg, SOUP_STATUS_FORBIDDEN, "forbidden",
                             _("A partner viewer may see bookings but not book."), NULL);
      return;
    }
  if (key == NULL || *key == '\0' || strlen (key) > 200)
    {
      pd_server_reply_error (msg, 428, "idempotency_key_required",
                             _("Every write needs an Idempotency-Key header."), NULL);
      return;
    }
  body = pd_server_read_json (self, msg);
  if (body)
    book (self, msg, caller, body, key);
}

/* Routing */

static void
partner_cb (SoupServer        *server,
            SoupServerMessage *msg,
            const char        *path,
            GHashTable        *query,
            gpointer           user_data)
{
  PdServer *self = user_data;
  const char *method = soup_server_message_get_method (msg);
  gboolean bookables = g_strcmp0 (path, PARTNER_PREFIX "/bookables") == 0;
  gboolean bookings = g_strcmp0 (path, PARTNER_PREFIX "/bookings") == 0;
  g_auto(PartnerCaller) caller = { 0 };

  if (!bookables && !bookings)
    {
      pd_server_reply_not_found (msg);
      return;
    }
  if (method != SOUP_METHOD_GET && !(bookings && method == SOUP_METHOD_POST))
    {
      pd_server_reply_method_not_allowed (msg, bookings ? "GET, POST" : "GET");
      return;
    }
  if (!caller_load (self, msg, &caller))
    return;
  if (bookables)
    get_bookables (self, msg, &caller);
  else if (method == SOUP_METHOD_POST)
    post_booking (self, msg, &caller);
  else
    get_bookings (self, msg, &caller);
}

/* Only these two paths: SoupServer matches handlers by plain prefix, and /api/v1/partner/ID
 * and /api/v1/partner_user/ID are records (pd-server-records.c). */
void
pd_server_partner_register (PdServer *self)
{
  soup_server_add_handler (self->soup, PARTNER_PREFIX "/bookables", partner_cb, self, NULL);
  soup_server_add_handler (self->soup, PARTNER_PREFIX "/bookings", partner_cb, self, NULL);
}
