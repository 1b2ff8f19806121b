/* pd-sync.c: the desktop's synchronisation engine. STUB: the sync helper replaces it. */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "pd-sync.h"

struct _PdSync
{
  GObject parent_instance;
  PdStore *store;
};

G_DEFINE_FINAL_TYPE (PdSync, pd_sync, G_TYPE_OBJECT)
G_DEFINE_ENUM_TYPE (PdSyncState, pd_sync_state,
  G_DEFINE_ENUM_VALUE (PD_SYNC_STATE_LOCAL_ONLY, "local-only"),
  G_DEFINE_ENUM_VALUE (PD_SYNC_STATE_SYNCED, "synced"),
  G_DEFINE_ENUM_VALUE (PD_SYNC_STATE_SYNCING, "syncing"),
  G_DEFINE_ENUM_VALUE (PD_SYNC_STATE_OFFLINE, "offline"),
  G_DEFINE_ENUM_VALUE (PD_SYNC_STATE_ERROR, "error"))

static void
pd_sync_finalize (GObject *object)
{
  PdSync *self = PD_SYNC (object);

  g_clear_object (&self->store);
  G_OBJECT_CLASS (pd_sync_parent_class)->finalize (object);
}

static void pd_sync_class_init (PdSyncClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = pd_sync_finalize;
}
static void pd_sync_init (PdSync *self) {}

void
pd_conflict_free (PdConflict *c)
{
  g_free (c->collection); g_free (c->record_id); g_free (c->record_title);
  g_free (c->field); g_free (c->field_label); g_free (c->mine); g_free (c->theirs);
  g_free (c);
}

PdSync *
pd_sync_new (PdStore *store)
{
  PdSync *self = g_object_new (PD_TYPE_SYNC, NULL);
  self->store = g_object_ref (store);
  return self;
}

void pd_sync_set_use_secret_service (PdSync *self, gboolean use) {}
void pd_sync_set_tls_ca_file (PdSync *self, const char *path) {}
void pd_sync_set_intervals (PdSync *self, guint periodic_ms, guint debounce_ms) {}
PdSyncState pd_sync_get_state (PdSync *self) { return PD_SYNC_STATE_LOCAL_ONLY; }
const char *pd_sync_get_status_text (PdSync *self) { return _("Local only"); }
guint pd_sync_get_n_conflicts (PdSync *self) { return 0; }
const char *pd_sync_get_server_url (PdSync *self) { return NULL; }
const char *pd_sync_get_email (PdSync *self) { return NULL; }
const char *pd_sync_get_user_id (PdSync *self) { return NULL; }
const char *pd_sync_get_last_error (PdSync *self) { return NULL; }
gboolean pd_sync_has_permission (PdSync *self, const char *permission) { return TRUE; }

void
pd_sync_sign_in_async (PdSync *self, const char *server_url, const char *email,
                       const char *password, GCancellable *cancellable,
                       GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "not yet");
}

gboolean
pd_sync_sign_in_finish (PdSync *self, GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
pd_sync_sign_out_async (PdSync *self, GCancellable *cancellable,
                        GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_task_return_boolean (task, TRUE);
}

gboolean
pd_sync_sign_out_finish (PdSync *self, GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

void pd_sync_start (PdSync *self) {}
void pd_sync_stop (PdSync *self) {}

void
pd_sync_run_async (PdSync *self, GCancellable *cancellable,
                   GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_task_return_boolean (task, TRUE);
}

gboolean
pd_sync_run_finish (PdSync *self, GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

GPtrArray *
pd_sync_list_conflicts (PdSync *self, GError **error)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) pd_conflict_free);
}

gboolean
pd_sync_resolve_conflict (PdSync *self, const char *collection, const char *record_id,
                          const char *field, gboolean keep_mine, GError **error)
{
  return TRUE;
}
