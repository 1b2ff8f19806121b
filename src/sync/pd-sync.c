/* pd-sync.c: the desktop's synchronisation engine: account, token, scheduling, rounds, conflicts. */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <libsecret/secret.h>
#include <string.h>

#include "pd-sync-private.h"

#define DEFAULT_PERIODIC_MS 60000
#define DEFAULT_DEBOUNCE_MS 1000
#define MAX_BACKOFF_MS (5 * 60 * 1000)

struct _PdSync
{
  GObject parent_instance;

  PdStore      *store;          /* the UI's */
  gboolean      use_secret;
  char         *ca_file;
  guint         periodic_ms;
  guint         debounce_ms;

  PdSyncState   state;
  char         *status_text;
  guint         n_conflicts;
  char         *last_synced_at;
  char         *server_url;
  char         *email;
  char         *user_id;
  char         *permissions;
  char         *last_error;
  char         *token;          /* in memory while signed in; never written to disk */
  gboolean      auth_failed;

  gboolean      started;
  gboolean      running;
  gboolean      again;
  GPtrArray    *waiters;        /* GTask* of pd_sync_run_async for the running round */
  GPtrArray    *next_waiters;   /* ... for the round after it */
  guint         debounce_id;
  guint         periodic_id;
  guint         backoff_id;
  guint         failures;
  gboolean      notifying;      /* emitting the store's signals for pulled records */
  GCancellable *cancellable;
};

enum {
  PROP_0,
  PROP_STATE,
  PROP_STATUS_TEXT,
  PROP_N_CONFLICTS,
  PROP_LAST_SYNCED_AT,
  PROP_SERVER_URL,
  PROP_EMAIL,
  PROP_USER_ID,
  PROP_PERMISSIONS,
  PROP_LAST_ERROR,
  N_PROPS
};

enum {
  CONFLICTS_CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (PdSync, pd_sync, G_TYPE_OBJECT)
G_DEFINE_ENUM_TYPE (PdSyncState, pd_sync_state,
  G_DEFINE_ENUM_VALUE (PD_SYNC_STATE_LOCAL_ONLY, "local-only"),
  G_DEFINE_ENUM_VALUE (PD_SYNC_STATE_SYNCED, "synced"),
  G_DEFINE_ENUM_VALUE (PD_SYNC_STATE_SYNCING, "syncing"),
  G_DEFINE_ENUM_VALUE (PD_SYNC_STATE_OFFLINE, "offline"),
  G_DEFINE_ENUM_VALUE (PD_SYNC_STATE_ERROR, "error"))

static void schedule_round (PdSync *self, guint delay_ms);
static void start_round (PdSync *self);

static const SecretSchema *
token_schema (void)
{
  static const SecretSchema schema = {
    "io.github.partnerdesk.PartnerDesk.Token", SECRET_SCHEMA_NONE,
    {
      { "server", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { "user", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { NULL, 0 },
    }
  };

  return &schema;
}

static void
wipe_token (PdSync *self)
{
  if (self->token)
    memset (self->token, 0, strlen (self->token));
  g_clear_pointer (&self->token, g_free);
}

/* Properties */

static void
update_status_text (PdSync *self)
{
  g_autofree char *text = NULL;

  switch (self->state)
    {
    case PD_SYNC_STATE_LOCAL_ONLY:
      text = g_strdup (_("Local only"));
      break;
    case PD_SYNC_STATE_SYNCING:
      text = g_strdup (_("Syncing…"));
      break;
    case PD_SYNC_STATE_OFFLINE:
      text = g_strdup (_("Offline"));
      break;
    case PD_SYNC_STATE_ERROR:
      text = g_strdup (self->auth_failed ? _("Sign in again") : _("Sync failed"));
      break;
    case PD_SYNC_STATE_SYNCED:
    default:
      if (self->n_conflicts > 0)
        text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u conflict", "%u conflicts",
                                             self->n_conflicts), self->n_conflicts);
      else if (self->last_synced_at)
        {
          g_autoptr(GDateTime) utc = g_date_time_new_from_iso8601 (self->last_synced_at, NULL);
          g_autoptr(GDateTime) local = utc ? g_date_time_to_local (utc) : NULL;
          g_autofree char *time = local ? g_date_time_format (local, "%H:%M") : NULL;

          /* TRANSLATORS: %s is a time, "10:42" */
          text = time ? g_strdup_printf (_("Synced %s"), time) : g_strdup (_("Synced"));
        }
      else
        text = g_strdup (_("Synced"));
      break;
    }
  if (g_strcmp0 (text, self->status_text) == 0)
    return;
  g_free (self->status_text);
  self->status_text = g_steal_pointer (&text);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATUS_TEXT]);
}

static void
set_state (PdSync      *self,
           PdSyncState  state)
{
  if (self->state != state)
    {
      self->state = state;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
    }
  update_status_text (self);
}

static void
set_string (PdSync      *self,
            char       **field,
            const char  *value,
            guint        prop)
{
  if (g_strcmp0 (*field, value) == 0)
    return;
  g_free (*field);
  *field = g_strdup (value);
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

static void
set_last_error (PdSync     *self,
                const char *message)
{
  set_string (self, &self->last_error, message, PROP_LAST_ERROR);
}

static void
refresh_conflicts (PdSync   *self,
                   gboolean  changed)
{
  guint n = pd_store_sync_count_conflicts (self->store);

  if (n != self->n_conflicts)
    {
      self->n_conflicts = n;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_CONFLICTS]);
      changed = TRUE;
    }
  update_status_text (self);
  if (changed)
    g_signal_emit (self, signals[CONFLICTS_CHANGED], 0);
}

static void
load_account (PdSync *self)
{
  g_autofree char *url = pd_store_get_setting (self->store, PD_SYNC_KEY_SERVER_URL);
  g_autofree char *email = pd_store_get_setting (self->store, PD_SYNC_KEY_EMAIL);
  g_autofree char *user = pd_store_get_setting (self->store, PD_SYNC_KEY_USER_ID);
  g_autofree char *permissions = pd_store_get_setting (self->store, PD_SYNC_KEY_PERMISSIONS);
  g_autofree char *synced = pd_store_get_setting (self->store, PD_SYNC_KEY_LAST_SYNCED);

  set_string (self, &self->server_url, url, PROP_SERVER_URL);
  set_string (self, &self->email, email, PROP_EMAIL);
  set_string (self, &self->user_id, user, PROP_USER_ID);
  set_string (self, &self->permissions, permissions, PROP_PERMISSIONS);
  set_string (self, &self->last_synced_at, synced, PROP_LAST_SYNCED_AT);
}

/* GObject */

static void
pd_sync_get_property (GObject    *object,
                      guint       prop_id,
                      GValue     *value,
                      GParamSpec *pspec)
{
  PdSync *self = PD_SYNC (object);

  switch (prop_id)
    {
    case PROP_STATE: g_value_set_enum (value, self->state); break;
    case PROP_STATUS_TEXT: g_value_set_string (value, self->status_text); break;
    case PROP_N_CONFLICTS: g_value_set_uint (value, self->n_conflicts); break;
    case PROP_LAST_SYNCED_AT: g_value_set_string (value, self->last_synced_at); break;
    case PROP_SERVER_URL: g_value_set_string (value, self->server_url); break;
    case PROP_EMAIL: g_value_set_string (value, self->email); break;
    case PROP_USER_ID: g_value_set_string (value, self->user_id); break;
    case PROP_PERMISSIONS: g_value_set_string (value, self->permissions); break;
    case PROP_LAST_ERROR: g_value_set_string (value, self->last_error); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
remove_source (guint *id)
{
  if (*id)
    g_source_remove (*id);
  *id = 0;
}

static void
pd_sync_dispose (GObject *object)
{
  PdSync *self = PD_SYNC (object);

  remove_source (&self->debounce_id);
  remove_source (&self->periodic_id);
  remove_source (&self->backoff_id);
  if (self->store)
    g_signal_handlers_disconnect_by_data (self->store, self);
  g_cancellable_cancel (self->cancellable);
  G_OBJECT_CLASS (pd_sync_parent_class)->dispose (object);
}

static void
pd_sync_finalize (GObject *object)
{
  PdSync *self = PD_SYNC (object);

  wipe_token (self);
  g_clear_object (&self->store);
  g_clear_object (&self->cancellable);
  g_ptr_array_unref (self->waiters);
  g_ptr_array_unref (self->next_waiters);
  g_free (self->ca_file);
  g_free (self->status_text);
  g_free (self->last_synced_at);
  g_free (self->server_url);
  g_free (self->email);
  g_free (self->user_id);
  g_free (self->permissions);
  g_free (self->last_error);
  G_OBJECT_CLASS (pd_sync_parent_class)->finalize (object);
}

static void
pd_sync_class_init (PdSyncClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags ro = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->get_property = pd_sync_get_property;
  object_class->dispose = pd_sync_dispose;
  object_class->finalize = pd_sync_finalize;

  properties[PROP_STATE] = g_param_spec_enum ("state", NULL, NULL, PD_TYPE_SYNC_STATE,
                                              PD_SYNC_STATE_LOCAL_ONLY, ro);
  properties[PROP_STATUS_TEXT] = g_param_spec_string ("status-text", NULL, NULL, NULL, ro);
  properties[PROP_N_CONFLICTS] = g_param_spec_uint ("n-conflicts", NULL, NULL, 0, G_MAXUINT, 0,
                                                    ro);
  properties[PROP_LAST_SYNCED_AT] = g_param_spec_string ("last-synced-at", NULL, NULL, NULL, ro);
  properties[PROP_SERVER_URL] = g_param_spec_string ("server-url", NULL, NULL, NULL, ro);
  properties[PROP_EMAIL] = g_param_spec_string ("email", NULL, NULL, NULL, ro);
  properties[PROP_USER_ID] = g_param_spec_string ("user-id", NULL, NULL, NULL, ro);
  properties[PROP_PERMISSIONS] = g_param_spec_string ("permissions", NULL, NULL, NULL, ro);
  properties[PROP_LAST_ERROR] = g_param_spec_string ("last-error", NULL, NULL, NULL, ro);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[CONFLICTS_CHANGED] =
    g_signal_new ("conflicts-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
pd_sync_init (PdSync *self)
{
  self->use_secret = TRUE;
  self->periodic_ms = DEFAULT_PERIODIC_MS;
  self->debounce_ms = DEFAULT_DEBOUNCE_MS;
  self->waiters = g_ptr_array_new_with_free_func (g_object_unref);
  self->next_waiters = g_ptr_array_new_with_free_func (g_object_unref);
  self->cancellable = g_cancellable_new ();
  self->status_text = g_strdup (_("Local only"));
}

void
pd_conflict_free (PdConflict *c)
{
  if (c == NULL)
    return;
  g_free (c->collection);
  g_free (c->record_id);
  g_free (c->record_title);
  g_free (c->field);
  g_free (c->field_label);
  g_free (c->mine);
  g_free (c->theirs);
  g_free (c);
}

/* Local changes schedule a round */

static void
local_change (PdSync *self)
{
  if (self->notifying || !self->started || self->token == NULL)
    return;
  /* Offline: the backoff's round will carry it. */
  if (self->backoff_id)
    return;
  schedule_round (self, self->debounce_ms);
}

static void
record_changed_cb (PdStore    *store,
                   const char *collection,
                   const char *id,
                   PdSync     *self)
{
  local_change (self);
}

static void
collection_changed_cb (PdStore    *store,
                       const char *collection,
                       const char *partner_id,
                       PdSync     *self)
{
  local_change (self);
}

PdSync *
pd_sync_new (PdStore *store)
{
  PdSync *self;

  g_return_val_if_fail (PD_IS_STORE (store), NULL);

  self = g_object_new (PD_TYPE_SYNC, NULL);
  self->store = g_object_ref (store);
  g_signal_connect (store, "record-changed", G_CALLBACK (record_changed_cb), self);
  g_signal_connect (store, "collection-changed", G_CALLBACK (collection_changed_cb), self);
  load_account (self);
  self->n_conflicts = pd_store_sync_count_conflicts (store);
  update_status_text (self);
  return self;
}

void
pd_sync_set_use_secret_service (PdSync   *self,
                                gboolean  use)
{
  g_return_if_fail (PD_IS_SYNC (self));
  self->use_secret = use;
}

void
pd_sync_set_tls_ca_file (PdSync     *self,
                         const char *path)
{
  g_return_if_fail (PD_IS_SYNC (self));
  g_free (self->ca_file);
  self->ca_file = g_strdup (path);
}

void
pd_sync_set_intervals (PdSync *self,
                       guint   periodic_ms,
                       guint   debounce_ms)
{
  g_return_if_fail (PD_IS_SYNC (self));
  self->periodic_ms = MAX (periodic_ms, 10);
  self->debounce_ms = debounce_ms;
}

PdSyncState
pd_sync_get_state (PdSync *self)
{
  g_return_val_if_fail (PD_IS_SYNC (self), PD_SYNC_STATE_LOCAL_ONLY);
  return self->state;
}

const char *
pd_sync_get_status_text (PdSync *self)
{
  g_return_val_if_fail (PD_IS_SYNC (self), NULL);
  return self->status_text;
}

guint
pd_sync_get_n_conflicts (PdSync *self)
{
  g_return_val_if_fail (PD_IS_SYNC (self), 0);
  return self->n_conflicts;
}

const char *
pd_sync_get_server_url (PdSync *self)
{
  g_return_val_if_fail (PD_IS_SYNC (self), NULL);
  return self->server_url;
}

const char *
pd_sync_get_email (PdSync *self)
{
  g_return_val_if_fail (PD_IS_SYNC (self), NULL);
  return self->email;
}

const char *
pd_sync_get_user_id (PdSync *self)
{
  g_return_val_if_fail (PD_IS_SYNC (self), NULL);
  return self->user_id;
}

const char *
pd_sync_get_last_error (PdSync *self)
{
  g_return_val_if_fail (PD_IS_SYNC (self), NULL);
  return self->last_error;
}

gboolean
pd_sync_has_permission (PdSync     *self,
                        const char *permission)
{
  g_auto(GStrv) words = NULL;

  g_return_val_if_fail (PD_IS_SYNC (self), FALSE);
  g_return_val_if_fail (permission != NULL, FALSE);

  if (self->user_id == NULL)
    return TRUE;
  words = g_strsplit (self->permissions ? self->permissions : "", ",", -1);
  for (guint i = 0; words[i]; i++)
    if (strcmp (g_strstrip (words[i]), permission) == 0)
      return TRUE;
  return FALSE;
}

/* Rounds */

static guint
backoff_delay (PdSync *self)
{
  guint base = MAX (self->debounce_ms, 100);
  guint cap = MIN (MAX_BACKOFF_MS, MAX (self->periodic_ms, base) * 5);
  guint shift = MIN (self->failures, 16);
  guint64 delay = MIN ((guint64) base << shift, (guint64) cap);

  /* Jitter: between half and all of the delay. */
  return (guint) (delay / 2 + g_random_int_range (0, (gint32) MAX (delay / 2, 1)));
}

static gboolean
backoff_cb (gpointer data)
{
  PdSync *self = data;

  self->backoff_id = 0;
  start_round (self);
  return G_SOURCE_REMOVE;
}

static gboolean
debounce_cb (gpointer data)
{
  PdSync *self = data;

  self->debounce_id = 0;
  start_round (self);
  return G_SOURCE_REMOVE;
}

static gboolean
periodic_cb (gpointer data)
{
  PdSync *self = data;

  if (self->backoff_id == 0)
    start_round (self);
  return G_SOURCE_CONTINUE;
}

static void
schedule_round (PdSync *self,
                guint   delay_ms)
{
  remove_source (&self->debounce_id);
  self->debounce_id = g_timeout_add (delay_ms, debounce_cb, self);
}

static void
notify_store (PdSync      *self,
              PdSyncRound *round)
{
  GHashTableIter iter;
  const char *collection;
  GPtrArray *records = round->stats.records;

  self->notifying = TRUE;
  if (round->stats.applied < 400 && records->len / 2 >= round->stats.applied)
    for (guint i = 0; i + 1 < records->len; i += 2)
      g_signal_emit_by_name (self->store, "record-changed", g_ptr_array_index (records, i),
                             g_ptr_array_index (records, i + 1));
  else
    {
      g_hash_table_iter_init (&iter, round->stats.collections);
      while (g_hash_table_iter_next (&iter, (gpointer *) &collection, NULL))
        pd_store_notify_collection_changed (self->store, collection, NULL);
    }
  self->notifying = FALSE;
}

static void
complete_waiters (PdSync      *self,
                  PdSyncRound *round)
{
  g_autoptr(GPtrArray) waiters = g_steal_pointer (&self->waiters);

  self->waiters = g_steal_pointer (&self->next_waiters);
  self->next_waiters = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < waiters->len; i++)
    {
      GTask *task = g_ptr_array_index (waiters, i);

      if (round && round->error)
        g_task_return_error (task, g_error_copy (round->error));
      else if (round == NULL)
        g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
                                 _("Not signed in to a server"));
      else
        g_task_return_boolean (task, TRUE);
    }
}

static void
forget_token (PdSync *self)
{
  if (self->use_secret && self->server_url && self->email)
    secret_password_clear (token_schema (), NULL, NULL, NULL, "server", self->server_url,
                           "user", self->email, NULL);
  wipe_token (self);
}

static void
apply_outcome (PdSync      *self,
               PdSyncRound *round)
{
  gboolean offline = round->outcome == PD_SYNC_OUTCOME_NETWORK
                     || round->outcome == PD_SYNC_OUTCOME_SERVER;
  gboolean retried = offline || round->outcome == PD_SYNC_OUTCOME_LOCAL;

  if (round->synced_at)
    set_string (self, &self->last_synced_at, round->synced_at, PROP_LAST_SYNCED_AT);
  self->failures = retried ? self->failures + 1 : 0;
  self->auth_failed = round->outcome == PD_SYNC_OUTCOME_AUTH;
  if (round->outcome == PD_SYNC_OUTCOME_OK)
    set_last_error (self, NULL);
  else if (round->error)
    set_last_error (self, round->error->message);
  if (self->auth_failed)
    {
      forget_token (self);
      self->started = FALSE;
      remove_source (&self->periodic_id);
    }
  if (self->token == NULL && !self->auth_failed)
    set_state (self, PD_SYNC_STATE_LOCAL_ONLY);
  else if (offline)
    set_state (self, PD_SYNC_STATE_OFFLINE);
  else if (round->outcome == PD_SYNC_OUTCOME_OK || round->outcome == PD_SYNC_OUTCOME_REFUSED)
    set_state (self, PD_SYNC_STATE_SYNCED);
  else
    set_state (self, PD_SYNC_STATE_ERROR);
  /* A busy or failing local database is retried the same way. */
  if (retried && self->started)
    {
      remove_source (&self->backoff_id);
      self->backoff_id = g_timeout_add (backoff_delay (self), backoff_cb, self);
    }
}

/* The signed-in user as the replica has it (pulled, or edited here on the Team page): a new
 * name for the audit trail, permissions changed on another desktop. Until its first pull
 * (version 0) the session's permissions stand. */
static void
refresh_user (PdSync *self)
{
  g_autoptr(PdRecord) user = NULL;
  const char *permissions;

  if (self->user_id == NULL)
    return;
  user = pd_store_get (self->store, &pd_practice_user_type, self->user_id, NULL);
  if (user == NULL || pd_record_get_version (user) == 0)
    return;
  pd_store_set_actor (self->store, self->user_id);
  permissions = pd_record_get_string (user, "permissions");
  if (g_strcmp0 (permissions ? permissions : "", self->permissions ? self->permissions : "") == 0)
    return;
  if (pd_store_set_setting (self->store, PD_SYNC_KEY_PERMISSIONS, permissions ? permissions : "",
                            NULL))
    set_string (self, &self->permissions, permissions ? permissions : "", PROP_PERMISSIONS);
}

static void
round_done_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  PdSync *self = PD_SYNC (source);
  PdSyncRound *round = g_task_get_task_data (G_TASK (result));

  self->running = FALSE;
  notify_store (self, round);
  if (g_hash_table_contains (round->stats.collections, pd_practice_user_type.name))
    refresh_user (self);
  apply_outcome (self, round);
  refresh_conflicts (self, round->stats.conflicts_changed);
  complete_waiters (self, round);
  if (self->token && (self->again || round->again) && self->backoff_id == 0)
    {
      self->again = FALSE;
      start_round (self);
    }
  else if (self->waiters->len > 0)
    start_round (self);
  self->again = FALSE;
}

static void
round_thread (GTask        *task,
              gpointer      source,
              gpointer      task_data,
              GCancellable *cancellable)
{
  pd_sync_round_run (task_data, cancellable);
  g_task_return_boolean (task, TRUE);
}

static void
start_round (PdSync *self)
{
  g_autoptr(GTask) task = NULL;
  PdSyncRound *round;

  if (self->running)
    {
      self->again = TRUE;
      return;
    }
  if (self->token == NULL || self->server_url == NULL)
    {
      complete_waiters (self, NULL);
      return;
    }
  remove_source (&self->debounce_id);
  remove_source (&self->backoff_id);
  refresh_user (self);
  round = pd_sync_round_new ();
  round->db_path = g_strdup (pd_store_get_path (self->store));
  round->server_url = g_strdup (self->server_url);
  round->token = g_strdup (self->token);
  round->ca_file = g_strdup (self->ca_file);
  round->actor = g_strdup (self->user_id);
  self->running = TRUE;
  set_state (self, PD_SYNC_STATE_SYNCING);
  task = g_task_new (self, self->cancellable, round_done_cb, NULL);
  g_task_set_source_tag (task, start_round);
  g_task_set_task_data (task, round, (GDestroyNotify) pd_sync_round_free);
  g_task_run_in_thread (task, round_thread);
}

void
pd_sync_run_async (PdSync              *self,
                   GCancellable        *cancellable,
                   GAsyncReadyCallback  callback,
                   gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (PD_IS_SYNC (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, pd_sync_run_async);
  g_ptr_array_add (self->running ? self->next_waiters : self->waiters, task);
  start_round (self);
}

gboolean
pd_sync_run_finish (PdSync        *self,
                    GAsyncResult  *result,
                    GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Starting */

static void
begin_syncing (PdSync *self)
{
  self->started = TRUE;
  self->failures = 0;
  self->auth_failed = FALSE;
  pd_store_set_actor (self->store, self->user_id);
  remove_source (&self->periodic_id);
  self->periodic_id = g_timeout_add (self->periodic_ms, periodic_cb, self);
  start_round (self);
}

static void
token_lookup_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(PdSync) self = user_data;
  g_autoptr(GError) error = NULL;
  char *token = secret_password_lookup_finish (result, &error);

  if (token == NULL)
    {
      self->auth_failed = TRUE;
      set_last_error (self, error ? error->message : _("Sign in to sync with the server."));
      set_state (self, PD_SYNC_STATE_ERROR);
      return;
    }
  wipe_token (self);
  self->token = g_strdup (token);
  secret_password_free (token);
  begin_syncing (self);
}

void
pd_sync_start (PdSync *self)
{
  g_return_if_fail (PD_IS_SYNC (self));

  load_account (self);
  refresh_conflicts (self, FALSE);
  if (self->user_id == NULL || self->server_url == NULL)
    {
      set_state (self, PD_SYNC_STATE_LOCAL_ONLY);
      return;
    }
  if (self->token)
    {
      begin_syncing (self);
      return;
    }
  if (!self->use_secret)
    {
      self->auth_failed = TRUE;
      set_state (self, PD_SYNC_STATE_ERROR);
      return;
    }
  secret_password_lookup (token_schema (), self->cancellable, token_lookup_cb,
                          g_object_ref (self), "server", self->server_url,
                          "user", self->email, NULL);
}

void
pd_sync_stop (PdSync *self)
{
  g_return_if_fail (PD_IS_SYNC (self));

  self->started = FALSE;
  remove_source (&self->debounce_id);
  remove_source (&self->periodic_id);
  remove_source (&self->backoff_id);
}

/* Sign-in */

typedef struct {
  char *server_url;
  char *email;
  char *password;
  char *ca_file;
  /* Out */
  char *token;
  char *user_id;
  char *name;
  char *user_email;
  char *permissions;
} SignIn;

static void
sign_in_free (SignIn *s)
{
  if (s->password)
    memset (s->password, 0, strlen (s->password));
  if (s->token)
    memset (s->token, 0, strlen (s->token));
  g_free (s->server_url);
  g_free (s->email);
  g_free (s->password);
  g_free (s->ca_file);
  g_free (s->token);
  g_free (s->user_id);
  g_free (s->name);
  g_free (s->user_email);
  g_free (s->permissions);
  g_free (s);
}

static char *
permissions_text (JsonObject *user)
{
  JsonNode *node = json_object_get_member (user, "permissions");
  g_autoptr(GString) text = g_string_new (NULL);

  if (node && JSON_NODE_HOLDS_VALUE (node))
    return g_strdup (json_node_get_string (node));
  if (node && JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *a = json_node_get_array (node);

      for (guint i = 0; i < json_array_get_length (a); i++)
        {
          const char *word = json_array_get_string_element (a, i);

          if (word)
            g_string_append_printf (text, "%s%s", text->len ? "," : "", word);
        }
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static gboolean
read_session (SignIn       *s,
              PdSyncReply  *reply,
              GError      **error)
{
  JsonObject *o = reply->object;
  JsonNode *node = o ? json_object_get_member (o, "user") : NULL;
  JsonObject *user = node && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
  const char *token = o ? json_object_get_string_member_with_default (o, "token", NULL) : NULL;
  const char *kind = user ? json_object_get_string_member_with_default (user, "kind", "practice")
                          : NULL;

  if (token == NULL || user == NULL
      || json_object_get_string_member_with_default (user, "id", NULL) == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           _("The server’s answer to the sign-in could not be read. "
                             "Is this the address of a Partner Desk server?"));
      return FALSE;
    }
  if (g_strcmp0 (kind, "practice") != 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                           _("This account belongs to a partner. Partners sign in on the "
                             "practice’s web page, not in Partner Desk."));
      return FALSE;
    }
  s->token = g_strdup (token);
  s->user_id = g_strdup (json_object_get_string_member (user, "id"));
  s->name = g_strdup (json_object_get_string_member_with_default (user, "name", NULL));
  s->user_email = g_strdup (json_object_get_string_member_with_default (user, "email", s->email));
  s->permissions = permissions_text (user);
  return TRUE;
}

static gboolean
sign_in_error (PdSyncReply  *reply,
               GError      **error)
{
  g_autofree char *message = pd_sync_reply_message (reply);

  switch (reply->status)
    {
    case SOUP_STATUS_UNAUTHORIZED:
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                           _("The email or password is not right."));
      break;
    case PD_SYNC_STATUS_TOO_MANY_REQUESTS:
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_BUSY,
                   _("Too many failed sign-ins. Try again in %s seconds."),
                   reply->retry_after ? reply->retry_after : "60");
      break;
    default:
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("The server refused the sign-in: %s"),
                   message);
      break;
    }
  return FALSE;
}

static void
sign_in_thread (GTask        *task,
                gpointer      source,
                gpointer      task_data,
                GCancellable *cancellable)
{
  SignIn *s = task_data;
  g_auto(PdSyncClient) client = { 0 };
  g_auto(PdSyncReply) reply = { 0 };
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *body = NULL;
  GError *error = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "email");
  json_builder_add_string_value (builder, s->email);
  json_builder_set_member_name (builder, "password");
  json_builder_add_string_value (builder, s->password);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  body = json_to_string (root, FALSE);
  if (!pd_sync_client_init (&client, s->server_url, NULL, s->ca_file, cancellable, &error)
      || pd_sync_client_send (&client, "POST", "/api/v1/session", body, NULL, &reply, &error)
           != PD_SYNC_OUTCOME_OK
      || ((reply.status != SOUP_STATUS_CREATED && reply.status != SOUP_STATUS_OK)
          && !sign_in_error (&reply, &error))
      || !read_session (s, &reply, &error))
    {
      memset (body, 0, strlen (body));
      g_task_return_error (task, error);
      return;
    }
  memset (body, 0, strlen (body));
  g_task_return_boolean (task, TRUE);
}

static gboolean
save_account (PdSync   *self,
              SignIn   *s,
              GError  **error)
{
  g_autofree char *previous = pd_store_get_setting (self->store, PD_SYNC_KEY_SERVER_URL);

  /* Another server: its changes are counted from the start. */
  if (previous && g_strcmp0 (previous, s->server_url) != 0
      && !pd_store_set_setting (self->store, PD_SYNC_KEY_CURSOR, "0", error))
    return FALSE;
  return pd_store_sync_adopt_user (self->store, s->user_id, s->name, s->user_email,
                                   s->permissions, error)
         && pd_store_set_setting (self->store, PD_SYNC_KEY_SERVER_URL, s->server_url, error)
         && pd_store_set_setting (self->store, PD_SYNC_KEY_EMAIL, s->email, error)
         && pd_store_set_setting (self->store, PD_SYNC_KEY_USER_ID, s->user_id, error)
         && pd_store_set_setting (self->store, PD_SYNC_KEY_PERMISSIONS, s->permissions, error);
}

static void
signed_in (PdSync *self,
           SignIn *s)
{
  wipe_token (self);
  self->token = g_strdup (s->token);
  load_account (self);
  set_last_error (self, NULL);
  begin_syncing (self);
}

static void
token_stored_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  PdSync *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;

  signed_in (self, g_task_get_task_data (task));
  if (!secret_password_store_finish (result, &error))
    set_last_error (self, _("The sign-in could not be kept in the keyring; you will be asked "
                            "to sign in again next time."));
  g_task_return_boolean (task, TRUE);
}

static void
sign_in_done_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  PdSync *self = PD_SYNC (source);
  GTask *outer = user_data;
  SignIn *s = g_task_get_task_data (outer);
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error) || !save_account (self, s, &error))
    {
      g_task_return_error (outer, error);
      g_object_unref (outer);
      return;
    }
  if (!self->use_secret)
    {
      signed_in (self, s);
      g_task_return_boolean (outer, TRUE);
      g_object_unref (outer);
      return;
    }
  secret_password_store (token_schema (), SECRET_COLLECTION_DEFAULT,
                         _("Partner Desk sign-in"), s->token, NULL, token_stored_cb, outer,
                         "server", s->server_url, "user", s->email, NULL);
}

void
pd_sync_sign_in_async (PdSync              *self,
                       const char          *server_url,
                       const char          *email,
                       const char          *password,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  GTask *outer;
  g_autoptr(GTask) inner = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;
  SignIn *s;

  g_return_if_fail (PD_IS_SYNC (self));

  outer = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (outer, pd_sync_sign_in_async);
  url = pd_sync_normalize_url (server_url, &error);
  if (url == NULL || email == NULL || *email == '\0' || password == NULL || *password == '\0')
    {
      if (error == NULL)
        g_set_error_literal (&error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                             _("Enter your email and password."));
      g_task_return_error (outer, g_steal_pointer (&error));
      g_object_unref (outer);
      return;
    }
  s = g_new0 (SignIn, 1);
  s->server_url = g_steal_pointer (&url);
  s->email = g_strstrip (g_strdup (email));
  s->password = g_strdup (password);
  s->ca_file = g_strdup (self->ca_file);
  g_task_set_task_data (outer, s, (GDestroyNotify) sign_in_free);
  inner = g_task_new (self, cancellable, sign_in_done_cb, outer);
  g_task_set_task_data (inner, s, NULL);
  g_task_run_in_thread (inner, sign_in_thread);
}

gboolean
pd_sync_sign_in_finish (PdSync        *self,
                        GAsyncResult  *result,
                        GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Sign-out */

typedef struct {
  char *server_url;
  char *token;
  char *ca_file;
} SignOut;

static void
sign_out_free (SignOut *s)
{
  if (s->token)
    memset (s->token, 0, strlen (s->token));
  g_free (s->server_url);
  g_free (s->token);
  g_free (s->ca_file);
  g_free (s);
}

static void
sign_out_thread (GTask        *task,
                 gpointer      source,
                 gpointer      task_data,
                 GCancellable *cancellable)
{
  SignOut *s = task_data;
  g_auto(PdSyncClient) client = { 0 };
  g_auto(PdSyncReply) reply = { 0 };

  /* Best effort: the token is forgotten here whatever the server says. */
  if (s->token && s->server_url
      && pd_sync_client_init (&client, s->server_url, s->token, s->ca_file, cancellable, NULL))
    pd_sync_client_send (&client, "DELETE", "/api/v1/session", NULL, NULL, &reply, NULL);
  g_task_return_boolean (task, TRUE);
}

static void
signed_out (PdSync *self)
{
  g_autoptr(GError) error = NULL;

  pd_sync_stop (self);
  forget_token (self);
  if (!pd_store_set_setting (self->store, PD_SYNC_KEY_USER_ID, NULL, &error)
      || !pd_store_set_setting (self->store, PD_SYNC_KEY_PERMISSIONS, NULL, &error))
    set_last_error (self, error->message);
  else
    set_last_error (self, NULL);
  pd_store_set_actor (self->store, NULL);
  self->auth_failed = FALSE;
  load_account (self);
  set_state (self, PD_SYNC_STATE_LOCAL_ONLY);
}

static void
sign_out_done_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  GTask *outer = user_data;

  signed_out (PD_SYNC (source));
  g_task_return_boolean (outer, TRUE);
  g_object_unref (outer);
}

void
pd_sync_sign_out_async (PdSync              *self,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  GTask *outer;
  g_autoptr(GTask) inner = NULL;
  SignOut *s;

  g_return_if_fail (PD_IS_SYNC (self));

  outer = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (outer, pd_sync_sign_out_async);
  s = g_new0 (SignOut, 1);
  s->server_url = g_strdup (self->server_url);
  s->token = g_strdup (self->token);
  s->ca_file = g_strdup (self->ca_file);
  pd_sync_stop (self);
  inner = g_task_new (self, NULL, sign_out_done_cb, outer);
  g_task_set_task_data (inner, s, (GDestroyNotify) sign_out_free);
  g_task_run_in_thread (inner, sign_out_thread);
}

gboolean
pd_sync_sign_out_finish (PdSync        *self,
                         GAsyncResult  *result,
                         GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Conflicts */

static char *
display_value (PdSync        *self,
               const PdField *field,
               const char    *canonical)
{
  if (field == NULL)
    return g_strdup (g_strcmp0 (canonical, "1") == 0 ? _("Deleted") : _("Not deleted"));
  return pd_store_format_value (self->store, field, canonical);
}

static PdConflict *
conflict_from_row (PdSync        *self,
                   PdConflictRow *row)
{
  const PdRecordType *type = pd_record_type_lookup (row->collection);
  const PdField *field = type ? pd_record_type_get_field (type, row->field) : NULL;
  g_autoptr(PdRecord) record = type ? pd_store_get (self->store, type, row->record_id, NULL)
                                    : NULL;
  PdConflict *c = g_new0 (PdConflict, 1);

  c->collection = g_strdup (row->collection);
  c->record_id = g_strdup (row->record_id);
  c->record_title = g_strdup (record && *pd_record_get_title (record)
                                ? pd_record_get_title (record) : row->record_id);
  c->field = g_strdup (row->field);
  c->field_label = g_strdup (field ? _(field->label) : _("Deleted"));
  c->mine = display_value (self, field, row->mine);
  c->theirs = display_value (self, field, row->theirs);
  c->their_version = row->their_version;
  return c;
}

static gint
field_order (PdConflict *c)
{
  const PdRecordType *type = pd_record_type_lookup (c->collection);

  for (guint i = 0; type && i < type->n_fields; i++)
    if (strcmp (type->fields[i].name, c->field) == 0)
      return (gint) i;
  return G_MAXINT;
}

static int
compare_conflicts (gconstpointer a,
                   gconstpointer b)
{
  PdConflict *ca = *(PdConflict **) a;
  PdConflict *cb = *(PdConflict **) b;
  int c = g_utf8_collate (ca->record_title, cb->record_title);

  if (c == 0)
    c = strcmp (ca->record_id, cb->record_id);
  if (c == 0)
    c = field_order (ca) - field_order (cb);
  return c;
}

GPtrArray *
pd_sync_list_conflicts (PdSync  *self,
                        GError **error)
{
  g_autoptr(GPtrArray) rows = NULL;
  GPtrArray *conflicts;

  g_return_val_if_fail (PD_IS_SYNC (self), NULL);

  rows = pd_store_sync_list_conflicts (self->store, error);
  if (rows == NULL)
    return NULL;
  conflicts = g_ptr_array_new_with_free_func ((GDestroyNotify) pd_conflict_free);
  for (guint i = 0; i < rows->len; i++)
    g_ptr_array_add (conflicts, conflict_from_row (self, g_ptr_array_index (rows, i)));
  g_ptr_array_sort (conflicts, compare_conflicts);
  return conflicts;
}

gboolean
pd_sync_resolve_conflict (PdSync      *self,
                          const char  *collection,
                          const char  *record_id,
                          const char  *field,
                          gboolean     keep_mine,
                          GError     **error)
{
  gboolean ok;

  g_return_val_if_fail (PD_IS_SYNC (self), FALSE);

  ok = pd_store_sync_resolve (self->store, collection, record_id, field, keep_mine, error);
  refresh_conflicts (self, TRUE);
  return ok;
}
