/* pd-sync-round.c: one synchronisation round in a worker thread: push the outbox (in batches), then pull. */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "pd-sync-private.h"

/* A record merged more often than this in one round waits for the next one. */
#define MAX_MERGES_PER_RECORD 3
/* A first pull bigger than this into an empty persons table drops its indexes meanwhile. */
#define BULK_PEOPLE 5000
/* Consecutive outbox entries go out in POST /api/v1/batch requests of at most this many
 * writes and bytes (the server takes 1000 writes and 1 MiB), read RUN_ENTRIES at a time. */
#define BATCH_WRITES 500
#define BATCH_BYTES  (768 * 1024)
#define RUN_ENTRIES  (4 * BATCH_WRITES)

typedef struct {
  PdSyncRound  *round;
  PdStore      *store;
  PdSyncClient  client;
  GHashTable   *blocked;  /* "collection\x1fid" not pushed again this round */
  GHashTable   *merges;   /* "collection\x1fid" -> merges this round */
  gboolean      no_batch; /* the server has no /api/v1/batch: single requests */
} Ctx;

PdSyncRound *
pd_sync_round_new (void)
{
  PdSyncRound *round = g_new0 (PdSyncRound, 1);

  pd_sync_apply_stats_init (&round->stats);
  round->page_limit = 10000;
  return round;
}

void
pd_sync_round_free (PdSyncRound *round)
{
  if (round == NULL)
    return;
  g_free (round->db_path);
  g_free (round->server_url);
  if (round->token)
    memset (round->token, 0, strlen (round->token));
  g_free (round->token);
  g_free (round->ca_file);
  g_free (round->actor);
  g_clear_error (&round->error);
  pd_sync_apply_stats_clear (&round->stats);
  g_free (round->refused);
  g_free (round->synced_at);
  g_free (round);
}

static PdSyncOutcome
fail (Ctx           *ctx,
      PdSyncOutcome  outcome,
      GError        *error)
{
  g_clear_error (&ctx->round->error);
  ctx->round->error = error;
  return outcome;
}

static PdSyncOutcome
fail_local (Ctx    *ctx,
            GError *error)
{
  return fail (ctx, PD_SYNC_OUTCOME_LOCAL, error);
}

/* The outcome of a server answer that is neither success nor a record's refusal. */
static PdSyncOutcome
fail_reply (Ctx         *ctx,
            PdSyncReply *reply)
{
  g_autofree char *message = pd_sync_reply_message (reply);

  if (reply->status == SOUP_STATUS_UNAUTHORIZED)
    return fail (ctx, PD_SYNC_OUTCOME_AUTH,
                 g_error_new_literal (G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                                      _("The server no longer accepts this sign-in. Sign in again.")));
  return fail (ctx, PD_SYNC_OUTCOME_SERVER,
               g_error_new (G_IO_ERROR, G_IO_ERROR_FAILED, _("The server could not sync: %s"),
                            message));
}

static char *
record_key (const char *collection,
            const char *id)
{
  return g_strconcat (collection, "\x1f", id, NULL);
}

static char *
record_path (const char *collection,
             const char *id)
{
  g_autofree char *escaped = g_uri_escape_string (id, NULL, FALSE);

  return g_strdup_printf ("/api/v1/%s/%s", collection, escaped);
}

/* Push */

/* Sends CHANGE; on an answer fills REPLY. A connection lost before the answer is retried
 * once at once with the same key (the server answers a replay as before). */
static PdSyncOutcome
send_change (Ctx          *ctx,
             PdChange     *change,
             PdSyncReply  *reply,
             GError      **error)
{
  g_autofree char *path = record_path (change->collection, change->record_id);
  g_autofree char *base = g_strdup_printf ("%" G_GINT64_FORMAT, change->base_version);
  g_autofree char *body = NULL;
  gboolean delete = change->deleted && change->base_version > 0;
  const char *headers[7] = { "Idempotency-Key", change->key, NULL };
  PdSyncOutcome outcome = PD_SYNC_OUTCOME_NETWORK;

  headers[2] = change->base_version > 0 ? "If-Match" : "If-None-Match";
  headers[3] = change->base_version > 0 ? base : "*";
  if (!delete)
    {
      body = pd_store_sync_change_body (ctx->store, change, error);
      if (body == NULL)
        return PD_SYNC_OUTCOME_LOCAL;
    }
  for (guint attempt = 0; attempt < 2 && outcome == PD_SYNC_OUTCOME_NETWORK; attempt++)
    {
      g_clear_error (error);
      outcome = pd_sync_client_send (&ctx->client, delete ? "DELETE" : "PUT", path, body,
                                     headers, reply, error);
    }
  return outcome;
}

static PdRecord *
reply_record (PdSyncReply        *reply,
              const PdRecordType *type,
              const char         *member)
{
  JsonObject *o = reply->object;

  if (o == NULL)
    return NULL;
  if (member)
    {
      JsonNode *node = json_object_get_member (o, member);

      if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
        return NULL;
      o = json_node_get_object (node);
    }
  return pd_record_new_from_json (type, o, NULL);
}

static char *
refused_text (Ctx         *ctx,
              PdChange    *change,
              PdSyncReply *reply)
{
  const PdRecordType *type = pd_record_type_lookup (change->collection);
  g_autoptr(PdRecord) row = pd_store_get (ctx->store, type, change->record_id, NULL);
  g_autofree char *message = pd_sync_reply_message (reply);
  const char *title = row && *pd_record_get_title (row) ? pd_record_get_title (row)
                                                         : change->record_id;

  /* TRANSLATORS: "Partner “Acme”: Name: A partner named “Acme” already exists" */
  return g_strdup_printf (_("%s “%s” could not be synced: %s"), _(type->label), title, message);
}

static PdSyncOutcome
on_conflict (Ctx         *ctx,
             PdChange    *change,
             PdSyncReply *reply,
             const char  *key)
{
  const PdRecordType *type = pd_record_type_lookup (change->collection);
  g_autoptr(PdRecord) theirs = reply_record (reply, type, "record");
  g_autoptr(GError) error = NULL;
  gboolean requeued = FALSE;
  guint n_conflicts = 0;
  guint merges = GPOINTER_TO_UINT (g_hash_table_lookup (ctx->merges, key)) + 1;

  if (theirs == NULL)
    {
      g_hash_table_add (ctx->blocked, g_strdup (key));
      g_free (ctx->round->refused);
      ctx->round->refused = refused_text (ctx, change, reply);
      return PD_SYNC_OUTCOME_REFUSED;
    }
  if (!pd_store_sync_merge (ctx->store, change, theirs, &requeued, &n_conflicts, &error))
    return fail_local (ctx, g_steal_pointer (&error));
  g_hash_table_insert (ctx->merges, g_strdup (key), GUINT_TO_POINTER (merges));
  if (merges >= MAX_MERGES_PER_RECORD)
    g_hash_table_add (ctx->blocked, g_strdup (key));
  if (n_conflicts > 0)
    ctx->round->stats.conflicts_changed = TRUE;
  if (requeued && merges >= MAX_MERGES_PER_RECORD)
    ctx->round->again = TRUE;
  if (!g_hash_table_contains (ctx->round->stats.collections, change->collection))
    g_hash_table_add (ctx->round->stats.collections, g_strdup (change->collection));
  g_ptr_array_add (ctx->round->stats.records, g_strdup (change->collection));
  g_ptr_array_add (ctx->round->stats.records, g_strdup (change->record_id));
  return PD_SYNC_OUTCOME_OK;
}

/* A refusal of the record itself (422, 403, 404, ...): later entries of it are squashed
 * into one with the current row (the user may have fixed it since); else it waits. */
static PdSyncOutcome
on_refused (Ctx         *ctx,
            PdChange    *change,
            PdSyncReply *reply,
            const char  *key)
{
  g_autoptr(GError) error = NULL;
  gboolean squashed = FALSE;

  if (!g_hash_table_contains (ctx->merges, key)
      && !pd_store_sync_squash (ctx->store, change, &squashed, &error))
    return fail_local (ctx, g_steal_pointer (&error));
  if (squashed)
    {
      /* Once per round: the squashed entry comes later in this pass. */
      g_hash_table_insert (ctx->merges, g_strdup (key), GUINT_TO_POINTER (MAX_MERGES_PER_RECORD - 1));
      return PD_SYNC_OUTCOME_OK;
    }
  g_hash_table_add (ctx->blocked, g_strdup (key));
  g_free (ctx->round->refused);
  ctx->round->refused = refused_text (ctx, change, reply);
  return PD_SYNC_OUTCOME_REFUSED;
}

static gboolean
is_delete (PdChange *change)
{
  return change->deleted && change->base_version > 0;
}

/* The server's answer REPLY to CHANGE (a single request's, or a batch item's with the record
 * in MEMBER "record"): accepted, merged (412), or refused. */
static PdSyncOutcome
handle_answer (Ctx         *ctx,
               PdChange    *change,
               const char  *key,
               PdSyncReply *reply,
               const char  *member)
{
  const PdRecordType *type = pd_record_type_lookup (change->collection);
  g_autoptr(GError) error = NULL;
  g_autoptr(PdRecord) answer = NULL;

  switch (reply->status)
    {
    case SOUP_STATUS_OK:
    case SOUP_STATUS_CREATED:
    case SOUP_STATUS_NO_CONTENT:
      answer = reply_record (reply, type, member);
      if (!pd_store_sync_accept (ctx->store, change, answer, &error))
        return fail_local (ctx, g_steal_pointer (&error));
      ctx->round->pushed++;
      return PD_SYNC_OUTCOME_OK;
    case SOUP_STATUS_PRECONDITION_FAILED:
      return on_conflict (ctx, change, reply, key);
    case SOUP_STATUS_NOT_FOUND:
      /* Deleting what the server does not have: nothing left to do. */
      if (is_delete (change))
        {
          if (!pd_store_sync_accept (ctx->store, change, NULL, &error))
            return fail_local (ctx, g_steal_pointer (&error));
          return PD_SYNC_OUTCOME_OK;
        }
      return on_refused (ctx, change, reply, key);
    case SOUP_STATUS_UNAUTHORIZED:
    case PD_SYNC_STATUS_TOO_MANY_REQUESTS:
      return fail_reply (ctx, reply);
    default:
      if (reply->status >= 500)
        return fail_reply (ctx, reply);
      return on_refused (ctx, change, reply, key);
    }
}

static PdSyncOutcome
push_one (Ctx      *ctx,
          PdChange *change)
{
  g_autofree char *key = record_key (change->collection, change->record_id);
  g_auto(PdSyncReply) reply = { 0 };
  g_autoptr(GError) error = NULL;
  PdSyncOutcome outcome;

  outcome = send_change (ctx, change, &reply, &error);
  if (outcome != PD_SYNC_OUTCOME_OK)
    return fail (ctx, outcome, g_steal_pointer (&error));
  return handle_answer (ctx, change, key, &reply, NULL);
}

/* REFUSED when one was refused (the rest went on); another failure stops. */
static PdSyncOutcome
push_singles (Ctx       *ctx,
              GPtrArray *run,
              guint      start,
              guint      end)
{
  PdSyncOutcome result = PD_SYNC_OUTCOME_OK;

  for (guint i = start; i < end; i++)
    {
      PdSyncOutcome outcome = push_one (ctx, g_ptr_array_index (run, i));

      if (outcome == PD_SYNC_OUTCOME_REFUSED)
        result = outcome;
      else if (outcome != PD_SYNC_OUTCOME_OK)
        return outcome;
    }
  return result;
}

/* Batches */

/* One POST /api/v1/batch with run[start, end), or a lone entry sent as its own request
 * (TEXT NULL). A batch may be sent from a thread of its own while the answer of the one
 * before is handled here (its entries are other records: nothing of it depends on that). */
typedef struct {
  guint          start;
  guint          end;
  char          *text;
  PdSyncClient  *client;
  GThread       *thread;
  PdSyncOutcome  outcome;
  PdSyncReply    reply;
  GError        *error;
} Post;

static void
post_free (Post *post)
{
  if (post->thread)
    g_thread_join (post->thread);
  g_free (post->text);
  pd_sync_reply_clear (&post->reply);
  g_clear_error (&post->error);
  g_free (post);
}

/* A connection lost before the answer is retried once at once (the server answers the
 * writes it applied from their keys). */
static gpointer
post_send (gpointer data)
{
  Post *post = data;

  post->outcome = PD_SYNC_OUTCOME_NETWORK;
  for (guint attempt = 0; attempt < 2 && post->outcome == PD_SYNC_OUTCOME_NETWORK; attempt++)
    {
      g_clear_error (&post->error);
      post->outcome = pd_sync_client_send (post->client, "POST", "/api/v1/batch", post->text,
                                           NULL, &post->reply, &post->error);
    }
  return NULL;
}

/* Sent, and answered (when sent by a thread, waits for it). */
static void
post_finish (Post *post)
{
  if (post->thread)
    g_clear_pointer (&post->thread, g_thread_join);
  else
    post_send (post);
}

typedef struct {
  Ctx           *ctx;
  GPtrArray     *run;      /* PdChange* (borrowed): consecutive entries, one per record */
  GPtrArray     *bodies;   /* the record to push per entry (NULL: a delete) */
  Post          *post;     /* the batch being handled */
  JsonArray     *results;
  PdSyncOutcome  outcome;
} Batch;

/* The bodies of the run, compact payloads expanded (and kept for retries): one transaction. */
static gboolean
bodies_cb (PdStore  *store,
           gpointer  user_data,
           GError  **error)
{
  Batch *b = user_data;

  for (guint i = 0; i < b->run->len; i++)
    {
      PdChange *change = g_ptr_array_index (b->run, i);
      char *body = NULL;

      if (!is_delete (change) && (body = pd_store_sync_change_body (store, change, error)) == NULL)
        return FALSE;
      g_ptr_array_add (b->bodies, body);
    }
  return TRUE;
}

static void
append_json_string (GString    *out,
                    const char *text)
{
  g_string_append_c (out, '"');
  for (const char *p = text; *p; p++)
    {
      unsigned char c = (unsigned char) *p;

      if (c == '"' || c == '\\')
        g_string_append_c (out, '\\');
      if (c < 0x20)
        g_string_append_printf (out, "\\u%04x", c);
      else
        g_string_append_c (out, (char) c);
    }
  g_string_append_c (out, '"');
}

/* {"key", "method", "collection", "id", "if_match", "if_none_match", "record"}: the single
 * request send_change would make, the record as its body (byte for byte: the server hashes
 * it for the key). */
static void
append_write (GString    *out,
              PdChange   *change,
              const char *body)
{
  g_string_append (out, "{\"key\":");
  append_json_string (out, change->key);
  g_string_append (out, is_delete (change) ? ",\"method\":\"DELETE\",\"collection\":"
                                           : ",\"method\":\"PUT\",\"collection\":");
  append_json_string (out, change->collection);
  g_string_append (out, ",\"id\":");
  append_json_string (out, change->record_id);
  if (change->base_version > 0)
    g_string_append_printf (out, ",\"if_match\":%" G_GINT64_FORMAT ",\"if_none_match\":null",
                            change->base_version);
  else
    g_string_append (out, ",\"if_match\":null,\"if_none_match\":\"*\"");
  g_string_append (out, ",\"record\":");
  g_string_append (out, body ? body : "null");
  g_string_append_c (out, '}');
}

/* The next post from run[start]: as many entries as fit BATCH_WRITES and BATCH_BYTES; an
 * entry too big for a batch goes as a single request. */
static Post *
post_new (Batch *b,
          guint  start)
{
  GString *out = g_string_new ("{\"writes\":[");
  Post *post = g_new0 (Post, 1);
  guint i;

  post->start = start;
  post->client = &b->ctx->client;
  for (i = start; i < b->run->len && i - start < BATCH_WRITES; i++)
    {
      gsize before = out->len;

      if (i > start)
        g_string_append_c (out, ',');
      append_write (out, g_ptr_array_index (b->run, i), g_ptr_array_index (b->bodies, i));
      if (out->len + 2 > BATCH_BYTES && i > start)
        {
          g_string_truncate (out, before);
          break;
        }
    }
  post->end = i;
  g_string_append (out, "]}");
  if (post->end - post->start > 1 || out->len <= BATCH_BYTES)
    post->text = g_string_free (out, FALSE);
  else
    g_string_free (out, TRUE);
  return post;
}

/* The results of a 200, one object with a status per write; NULL when malformed. */
static JsonArray *
batch_results (PdSyncReply *reply,
               guint        n)
{
  JsonNode *node = reply->object ? json_object_get_member (reply->object, "results") : NULL;
  JsonArray *results;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return NULL;
  results = json_node_get_array (node);
  if (json_array_get_length (results) != n)
    return NULL;
  for (guint i = 0; i < n; i++)
    {
      JsonNode *item = json_array_get_element (results, i);
      JsonNode *status;

      if (!JSON_NODE_HOLDS_OBJECT (item)
          || (status = json_object_get_member (json_node_get_object (item), "status")) == NULL
          || !JSON_NODE_HOLDS_VALUE (status) || json_node_get_value_type (status) != G_TYPE_INT64)
        return NULL;
    }
  return results;
}

/* Each write's result, handled as a single request's answer, in one transaction. A local
 * failure rolls it all back (the entries stay; their keys replay next round); a server
 * failure (5xx, 401, 429 for one write) keeps what was handled before it and stops. */
static gboolean
results_cb (PdStore  *store,
            gpointer  user_data,
            GError  **error)
{
  Batch *b = user_data;

  for (guint i = b->post->start; i < b->post->end; i++)
    {
      PdChange *change = g_ptr_array_index (b->run, i);
      g_autofree char *key = record_key (change->collection, change->record_id);
      JsonObject *item = json_array_get_object_element (b->results, i - b->post->start);
      g_auto(PdSyncReply) reply = { 0 };
      PdSyncOutcome outcome;

      reply.status = (guint) json_object_get_int_member (item, "status");
      reply.object = json_object_ref (item);
      outcome = handle_answer (b->ctx, change, key, &reply, "record");
      if (outcome == PD_SYNC_OUTCOME_REFUSED)
        b->outcome = outcome;
      else if (outcome == PD_SYNC_OUTCOME_LOCAL)
        {
          b->outcome = outcome;
          g_set_error_literal (error, PD_ERROR, PD_ERROR_DATABASE, b->ctx->round->error->message);
          return FALSE;
        }
      else if (outcome != PD_SYNC_OUTCOME_OK)
        {
          b->outcome = outcome;
          return TRUE;
        }
    }
  return TRUE;
}

/* The answer to B's post, sent. */
static PdSyncOutcome
handle_post (Batch *b)
{
  Ctx *ctx = b->ctx;
  Post *post = b->post;
  g_autoptr(GError) error = NULL;

  if (post->outcome != PD_SYNC_OUTCOME_OK)
    return fail (ctx, post->outcome, g_steal_pointer (&post->error));
  /* A server without batches (or with a smaller body limit): one request per write. */
  if (post->reply.status == SOUP_STATUS_NOT_FOUND
      || post->reply.status == SOUP_STATUS_METHOD_NOT_ALLOWED
      || post->reply.status == SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE)
    {
      ctx->no_batch |= post->reply.status != SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE;
      return push_singles (ctx, b->run, post->start, post->end);
    }
  if (post->reply.status != SOUP_STATUS_OK)
    return fail_reply (ctx, &post->reply);
  b->results = batch_results (&post->reply, post->end - post->start);
  if (b->results == NULL)
    return fail (ctx, PD_SYNC_OUTCOME_SERVER,
                 g_error_new_literal (G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                                      _("The server sent an answer that could not be read.")));
  b->outcome = PD_SYNC_OUTCOME_OK;
  if (!pd_store_transaction (ctx->store, results_cb, b, &error)
      && b->outcome != PD_SYNC_OUTCOME_LOCAL)
    b->outcome = fail_local (ctx, g_steal_pointer (&error));
  b->results = NULL;
  return b->outcome;
}

/* RUN (consecutive pushable entries, one per record, so that an entry's refusal or merge
 * never meets another entry of its record in the same batch): in batches, each sent while
 * the answer of the one before is handled, or alone. */
static PdSyncOutcome
push_run (Ctx       *ctx,
          GPtrArray *run)
{
  g_autoptr(GPtrArray) bodies = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) posts = g_ptr_array_new_with_free_func ((GDestroyNotify) post_free);
  g_autoptr(GError) error = NULL;
  Batch b = { ctx, run, bodies };
  PdSyncOutcome result = PD_SYNC_OUTCOME_OK;

  if (run->len < 2 || ctx->no_batch)
    return push_singles (ctx, run, 0, run->len);
  if (!pd_store_transaction (ctx->store, bodies_cb, &b, &error))
    return fail_local (ctx, g_steal_pointer (&error));
  for (guint start = 0; start < run->len;)
    {
      Post *post = post_new (&b, start);

      g_ptr_array_add (posts, post);
      start = post->end;
    }
  for (guint i = 0; i < posts->len; i++)
    {
      Post *next = i + 1 < posts->len ? g_ptr_array_index (posts, i + 1) : NULL;
      PdSyncOutcome outcome;

      b.post = g_ptr_array_index (posts, i);
      if (b.post->text == NULL || ctx->no_batch)
        outcome = push_singles (ctx, run, b.post->start, b.post->end);
      else
        {
          post_finish (b.post);
          if (next && next->text && b.post->outcome == PD_SYNC_OUTCOME_OK
              && b.post->reply.status == SOUP_STATUS_OK)
            next->thread = g_thread_new ("pd-sync-post", post_send, next);
          outcome = handle_post (&b);
        }
      if (outcome == PD_SYNC_OUTCOME_REFUSED)
        result = outcome;
      else if (outcome != PD_SYNC_OUTCOME_OK)
        return outcome;
    }
  return result;
}

/* Pending uploads' first entries by upload id (borrowed from ENTRIES). */
static GHashTable *
pending_uploads (GPtrArray *entries)
{
  GHashTable *uploads = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < entries->len; i++)
    {
      PdChange *change = g_ptr_array_index (entries, i);

      if (!g_hash_table_contains (uploads, change->record_id))
        g_hash_table_insert (uploads, change->record_id, change);
    }
  return uploads;
}

/* A person's entry refers to an upload whose entry comes later in the outbox (an import
 * writes it last): that entry, to push first; NULL when there is none. */
static PdChange *
upload_ahead (Ctx        *ctx,
              GHashTable *uploads,
              PdChange   *change)
{
  g_autofree char *upload_id = NULL;
  g_autofree char *key = NULL;
  PdChange *upload;

  if (g_hash_table_size (uploads) == 0 || strcmp (change->collection, "person") != 0
      || (upload_id = pd_store_sync_person_upload (ctx->store, change->record_id)) == NULL
      || (upload = g_hash_table_lookup (uploads, upload_id)) == NULL)
    return NULL;
  g_hash_table_remove (uploads, upload_id);
  key = record_key (upload->collection, upload->record_id);
  if (upload->seq < change->seq || g_hash_table_contains (ctx->blocked, key)
      || pd_store_sync_is_held (ctx->store, upload->collection, upload->record_id))
    return NULL;
  return upload;
}

/* Outbox entries in order, in runs for push_run: a held record's entries are folded into
 * its held changes, blocked records wait, and a record's second entry starts the next run. */
static PdSyncOutcome
push (Ctx *ctx)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) upload_entries = pd_store_sync_list_upload_changes (ctx->store, &error);
  g_autoptr(GHashTable) uploads = NULL;
  g_autoptr(GHashTable) ahead = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  gint64 after = 0;
  PdSyncOutcome result = PD_SYNC_OUTCOME_OK;

  if (upload_entries == NULL)
    return fail_local (ctx, g_steal_pointer (&error));
  uploads = pending_uploads (upload_entries);
  for (;;)
    {
      g_autoptr(GPtrArray) changes = pd_store_list_changes (ctx->store, after, RUN_ENTRIES,
                                                            &error);
      g_autoptr(GPtrArray) run = g_ptr_array_new ();
      g_autoptr(GHashTable) records = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                             NULL);
      PdSyncOutcome outcome;

      if (changes == NULL)
        return fail_local (ctx, g_steal_pointer (&error));
      if (changes->len == 0)
        return result;
      for (guint i = 0; i < changes->len; i++)
        {
          PdChange *change = g_ptr_array_index (changes, i);
          g_autofree char *key = record_key (change->collection, change->record_id);
          PdChange *upload;

          if (g_hash_table_contains (records, key))
            break;
          after = change->seq;
          if (g_hash_table_contains (ahead, change->key))
            continue;
          if (g_hash_table_contains (ctx->blocked, key))
            continue;
          if (pd_record_type_lookup (change->collection) == NULL)
            continue;
          if (pd_store_sync_is_held (ctx->store, change->collection, change->record_id))
            {
              gboolean released = FALSE;

              if (!pd_store_sync_absorb (ctx->store, change->collection, change->record_id,
                                         &released, &error))
                return fail_local (ctx, g_steal_pointer (&error));
              ctx->round->stats.conflicts_changed = TRUE;
              continue;
            }
          if ((upload = upload_ahead (ctx, uploads, change)))
            {
              g_ptr_array_add (run, upload);
              g_hash_table_add (records, record_key (upload->collection, upload->record_id));
              g_hash_table_add (ahead, g_strdup (upload->key));
            }
          g_ptr_array_add (run, change);
          g_hash_table_add (records, g_steal_pointer (&key));
        }
      outcome = push_run (ctx, run);
      if (outcome == PD_SYNC_OUTCOME_REFUSED)
        result = outcome;
      else if (outcome != PD_SYNC_OUTCOME_OK)
        return outcome;
    }
}

/* Pull */

static guint
count_people (GPtrArray *records)
{
  guint n = 0;

  for (guint i = 0; i < records->len; i++)
    n += pd_record_get_record_type (g_ptr_array_index (records, i)) == &pd_person_type;
  return n;
}

/* Pages are fetched and parsed on a thread of their own, up to two ahead, while this one
 * applies: the server's work and the transfer overlap with the writes. */
typedef struct {
  PdSyncOutcome  outcome;
  GError        *error;
  guint          status_error;  /* an answer other than 200: its status */
  char          *message;       /* ... and its message */
  GPtrArray     *records;
  gint64         next;
  gboolean       more;
} Page;

static void
page_free (Page *page)
{
  g_clear_error (&page->error);
  g_free (page->message);
  g_clear_pointer (&page->records, g_ptr_array_unref);
  g_free (page);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Page, page_free)

typedef struct {
  PdSyncClient *client;
  guint         limit;
  gint64        cursor;
  GAsyncQueue  *pages;    /* Page* */
  GAsyncQueue  *credits;  /* 1: fetch one more, 2: stop */
  GAsyncQueue  *applied;  /* Page* to free here: freeing where it was allocated is cheaper */
} Fetcher;

static void
free_applied (Fetcher *f)
{
  Page *page;

  while ((page = g_async_queue_try_pop (f->applied)))
    page_free (page);
}

static Page *
fetch_page (Fetcher *f)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/changes?since=%" G_GINT64_FORMAT "&limit=%u",
                                           f->cursor, f->limit);
  g_auto(PdSyncReply) reply = { 0 };
  g_autoptr(GError) error = NULL;
  Page *page = g_new0 (Page, 1);
  gsize size = 0;
  const char *data;

  page->next = f->cursor;
  page->outcome = pd_sync_client_get_raw (f->client, path, &reply, &page->error);
  if (page->outcome != PD_SYNC_OUTCOME_OK)
    return page;
  if (reply.status != SOUP_STATUS_OK)
    {
      page->status_error = reply.status;
      page->message = pd_sync_reply_message (&reply);
      return page;
    }
  data = g_bytes_get_data (reply.bytes, &size);
  page->records = pd_sync_parse_changes (data ? data : "", size, &page->next, &page->more,
                                         &error);
  if (page->records == NULL)
    {
      page->outcome = PD_SYNC_OUTCOME_SERVER;
      page->error = g_error_new (G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                                 _("The server sent changes that could not be read: %s"),
                                 error->message);
      return page;
    }
  page->more = page->more && page->next > f->cursor;
  return page;
}

static gpointer
fetcher_thread (gpointer data)
{
  Fetcher *f = data;

  while (GPOINTER_TO_INT (g_async_queue_pop (f->credits)) == 1)
    {
      Page *page;

      free_applied (f);
      page = fetch_page (f);
      gboolean last = page->outcome != PD_SYNC_OUTCOME_OK || page->status_error || !page->more;

      f->cursor = page->next;
      g_async_queue_push (f->pages, page);
      if (last)
        break;
    }
  free_applied (f);
  return NULL;
}

static PdSyncOutcome
apply_page (Ctx         *ctx,
            PdSyncPull  *pull,
            Page        *page,
            gboolean    *bulk)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *records = page->records;

  if (page->outcome != PD_SYNC_OUTCOME_OK)
    return fail (ctx, page->outcome, g_steal_pointer (&page->error));
  if (page->status_error == SOUP_STATUS_UNAUTHORIZED)
    {
      PdSyncReply reply = { SOUP_STATUS_UNAUTHORIZED };

      return fail_reply (ctx, &reply);
    }
  if (page->status_error)
    return fail (ctx, PD_SYNC_OUTCOME_SERVER,
                 g_error_new (G_IO_ERROR, G_IO_ERROR_FAILED, _("The server could not sync: %s"),
                              page->message));
  if (!*bulk && page->more && count_people (records) * 2 > records->len
      && pd_store_sync_table_is_empty (ctx->store, &pd_person_type)
      && records->len >= MIN (BULK_PEOPLE, ctx->round->page_limit))
    {
      if (!pd_store_sync_drop_person_indexes (ctx->store, &error))
        return fail_local (ctx, g_steal_pointer (&error));
      *bulk = TRUE;
    }
  if (!pd_sync_pull_apply_page (pull, records, page->next, &ctx->round->stats, &error))
    return fail_local (ctx, g_steal_pointer (&error));
  ctx->round->pulled += records->len;
  return PD_SYNC_OUTCOME_OK;
}

static PdSyncOutcome
pull (Ctx *ctx)
{
  g_autoptr(PdSyncPull) pull = pd_sync_pull_new (ctx->store);
  g_autofree char *cursor_text = pd_store_get_setting (ctx->store, PD_SYNC_KEY_CURSOR);
  Fetcher f = { &ctx->client, ctx->round->page_limit,
                cursor_text ? g_ascii_strtoll (cursor_text, NULL, 10) : 0,
                g_async_queue_new_full ((GDestroyNotify) page_free), g_async_queue_new (),
                g_async_queue_new_full ((GDestroyNotify) page_free) };
  GThread *thread;
  gboolean more = TRUE;
  gboolean bulk = FALSE;
  PdSyncOutcome outcome = PD_SYNC_OUTCOME_OK;

  g_async_queue_push (f.credits, GINT_TO_POINTER (1));
  g_async_queue_push (f.credits, GINT_TO_POINTER (1));
  thread = g_thread_new ("pd-sync-fetch", fetcher_thread, &f);
  while (more && outcome == PD_SYNC_OUTCOME_OK)
    {
      Page *page = g_async_queue_pop (f.pages);

      g_async_queue_push (f.credits, GINT_TO_POINTER (1));
      more = page->more && page->outcome == PD_SYNC_OUTCOME_OK && !page->status_error;
      outcome = apply_page (ctx, pull, page, &bulk);
      g_async_queue_push (f.applied, page);
    }
  g_async_queue_push (f.credits, GINT_TO_POINTER (2));
  g_thread_join (thread);
  g_async_queue_unref (f.pages);
  g_async_queue_unref (f.credits);
  g_async_queue_unref (f.applied);
  if (bulk)
    {
      g_autoptr(GError) error = NULL;

      if (!pd_store_sync_ensure_person_indexes (ctx->store, &error) && outcome == PD_SYNC_OUTCOME_OK)
        return fail_local (ctx, g_steal_pointer (&error));
    }
  return outcome;
}

/* The round */

static PdSyncOutcome
run (Ctx          *ctx,
     GCancellable *cancellable)
{
  PdSyncRound *round = ctx->round;
  g_autoptr(GError) error = NULL;
  PdSyncOutcome pushed, pulled;

  ctx->store = pd_store_open (round->db_path, &error);
  if (ctx->store == NULL || !pd_store_sync_ensure_person_indexes (ctx->store, &error)
      || !pd_store_sync_ensure_outbox_index (ctx->store, &error))
    return fail_local (ctx, g_steal_pointer (&error));
  pd_store_set_actor (ctx->store, round->actor);
  if (!pd_sync_client_init (&ctx->client, round->server_url, round->token, round->ca_file,
                            cancellable, &error))
    return fail (ctx, PD_SYNC_OUTCOME_TLS, g_steal_pointer (&error));
  pushed = push (ctx);
  if (pushed != PD_SYNC_OUTCOME_OK && pushed != PD_SYNC_OUTCOME_REFUSED)
    return pushed;
  pulled = pull (ctx);
  if (pulled != PD_SYNC_OUTCOME_OK)
    return pulled;
  round->synced_at = pd_timestamp_now ();
  if (!pd_store_set_setting (ctx->store, PD_SYNC_KEY_LAST_SYNCED, round->synced_at, &error))
    return fail_local (ctx, g_steal_pointer (&error));
  /* Released records and edits made meanwhile wait in the outbox: another round. */
  round->again |= round->stats.outbox_added;
  return pushed;
}

void
pd_sync_round_run (PdSyncRound  *round,
                   GCancellable *cancellable)
{
  Ctx ctx = { round, NULL, { 0 }, NULL, NULL, FALSE };

  ctx.blocked = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  ctx.merges = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  round->outcome = run (&ctx, cancellable);
  if (round->outcome == PD_SYNC_OUTCOME_REFUSED && round->error == NULL)
    round->error = g_error_new_literal (PD_ERROR, PD_ERROR_INVALID, round->refused);
  pd_sync_client_clear (&ctx.client);
  g_clear_object (&ctx.store);
  g_hash_table_unref (ctx.blocked);
  g_hash_table_unref (ctx.merges);
}
