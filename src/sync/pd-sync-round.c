/* pd-sync-round.c: one synchronisation round in a worker thread: push the outbox, then pull. */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "pd-sync-private.h"

/* A record merged more often than this in one round waits for the next one. */
#define MAX_MERGES_PER_RECORD 3
/* A first pull bigger than this into an empty persons table drops its indexes meanwhile. */
#define BULK_PEOPLE 5000

typedef struct {
  PdSyncRound  *round;
  PdStore      *store;
  PdSyncClient  client;
  GHashTable   *blocked;  /* "collection\x1fid" not pushed again this round */
  GHashTable   *merges;   /* "collection\x1fid" -> merges this round */
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

static PdSyncOutcome
push_one (Ctx      *ctx,
          PdChange *change,
          const char *key)
{
  const PdRecordType *type = pd_record_type_lookup (change->collection);
  g_auto(PdSyncReply) reply = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(PdRecord) answer = NULL;
  PdSyncOutcome outcome;

  outcome = send_change (ctx, change, &reply, &error);
  if (outcome != PD_SYNC_OUTCOME_OK)
    return fail (ctx, outcome, g_steal_pointer (&error));
  switch (reply.status)
    {
    case SOUP_STATUS_OK:
    case SOUP_STATUS_CREATED:
    case SOUP_STATUS_NO_CONTENT:
      answer = reply_record (&reply, type, NULL);
      if (!pd_store_sync_accept (ctx->store, change, answer, &error))
        return fail_local (ctx, g_steal_pointer (&error));
      ctx->round->pushed++;
      return PD_SYNC_OUTCOME_OK;
    case SOUP_STATUS_PRECONDITION_FAILED:
      return on_conflict (ctx, change, &reply, key);
    case SOUP_STATUS_NOT_FOUND:
      /* Deleting what the server does not have: nothing left to do. */
      if (change->deleted && change->base_version > 0)
        {
          if (!pd_store_sync_accept (ctx->store, change, NULL, &error))
            return fail_local (ctx, g_steal_pointer (&error));
          return PD_SYNC_OUTCOME_OK;
        }
      return on_refused (ctx, change, &reply, key);
    case SOUP_STATUS_UNAUTHORIZED:
    case PD_SYNC_STATUS_TOO_MANY_REQUESTS:
      return fail_reply (ctx, &reply);
    default:
      if (reply.status >= 500)
        return fail_reply (ctx, &reply);
      return on_refused (ctx, change, &reply, key);
    }
}

static PdSyncOutcome
push (Ctx *ctx)
{
  gint64 after = 0;
  PdSyncOutcome result = PD_SYNC_OUTCOME_OK;

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GPtrArray) changes = pd_store_list_changes (ctx->store, after, 100, &error);

      if (changes == NULL)
        return fail_local (ctx, g_steal_pointer (&error));
      if (changes->len == 0)
        return result;
      for (guint i = 0; i < changes->len; i++)
        {
          PdChange *change = g_ptr_array_index (changes, i);
          g_autofree char *key = record_key (change->collection, change->record_id);
          PdSyncOutcome outcome;

          after = change->seq;
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
          outcome = push_one (ctx, change, key);
          if (outcome == PD_SYNC_OUTCOME_REFUSED)
            result = outcome;
          else if (outcome != PD_SYNC_OUTCOME_OK)
            return outcome;
        }
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
  if (ctx->store == NULL || !pd_store_sync_ensure_person_indexes (ctx->store, &error))
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
  Ctx ctx = { round, NULL, { 0 }, NULL, NULL };

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
