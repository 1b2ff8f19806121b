/* pd-application.c: the Partner Desk application: options, the store, app actions. */
#include "config.h"

#include <glib/gi18n.h>

#include "pd-application.h"
#include "pd-preferences-window.h"
#include "pd-sync.h"
#include "pd-window.h"

struct _PdApplication
{
  AdwApplication parent_instance;

  /* Owned references */
  char       *database_path; /* --database, or NULL for pd_store_default_path () */
  PdStore    *store;
  GError     *store_error;
  PdSync     *sync;  /* the store's, made on first use */
  GHashTable *syncs; /* PdStore -> its PdSync (borrowed: weak references), for every store */
};

G_DEFINE_FINAL_TYPE (PdApplication, pd_application, ADW_TYPE_APPLICATION)

static const GOptionEntry options[]
    = { { "database", 'd', 0, G_OPTION_ARG_FILENAME, NULL,
          N_ ("Open the partner database at PATH instead of the default one"), N_ ("PATH") },
        { "version", 0, 0, G_OPTION_ARG_NONE, NULL, N_ ("Print the version and exit"), NULL },
        { NULL } };

static const struct
{
  const char *action;
  const char *accels[2];
} accels[] = {
  { "win.add-partner", { "<Control>n", NULL } },  { "win.search", { "<Control>f", NULL } },
  { "win.edit-partner", { "<Control>e", NULL } }, { "app.preferences", { "<Control>comma", NULL } },
  { "app.quit", { "<Control>q", NULL } },         { "app.sync-now", { "<Control>r", NULL } },
};

static int
pd_application_handle_local_options (GApplication *app, GVariantDict *dict)
{
  PdApplication *self = PD_APPLICATION (app);
  const char    *path = NULL;

  if (g_variant_dict_contains (dict, "version"))
    {
      g_print ("partner-desk %s\n", PACKAGE_VERSION);
      return 0;
    }
  if (g_variant_dict_lookup (dict, "database", "^&ay", &path))
    {
      g_free (self->database_path);
      self->database_path = g_strdup (path);
    }
  return -1;
}

/* App actions */

static void
quit_activated (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  GList *windows = gtk_application_get_windows (GTK_APPLICATION (user_data));

  /* Closing (not destroying) lets each window save its state. */
  for (GList *l = windows; l != NULL;)
    {
      GtkWindow *window = l->data;

      l = l->next;
      gtk_window_close (window);
    }
  g_application_quit (G_APPLICATION (user_data));
}

/* The store the active window shows (the app's own when there is no such window). */
static PdStore *
active_store (PdApplication *self, GtkWindow **parent)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  /* A dialog of the main window may be active: look through to its parent. */
  while (window != NULL && !PD_IS_WINDOW (window) && gtk_window_get_transient_for (window) != NULL)
    window = gtk_window_get_transient_for (window);
  if (parent != NULL)
    *parent = window;
  if (PD_IS_WINDOW (window))
    return pd_window_get_store (PD_WINDOW (window));
  return self->store;
}

static void
show_preferences (PdApplication *self, const char *page)
{
  GtkWindow           *parent = NULL;
  PdStore             *store = active_store (self, &parent);
  PdPreferencesWindow *preferences;
  g_autoptr (PdSync) sync = NULL;

  /* The preferences of the database the active window shows. */
  if (store == NULL)
    return;
  preferences = pd_preferences_window_new (parent, store);
  sync = pd_application_dup_sync (self, store);
  pd_preferences_window_set_sync (preferences, sync);
  if (page != NULL)
    adw_preferences_window_set_visible_page_name (ADW_PREFERENCES_WINDOW (preferences), page);
  gtk_window_present (GTK_WINDOW (preferences));
}

static void
preferences_activated (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  show_preferences (PD_APPLICATION (user_data), NULL);
}

static void
show_account_activated (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  show_preferences (PD_APPLICATION (user_data), "account");
}

static void
sync_now_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GError) error = NULL;

  /* The header bar's status and its tooltip say how the round went. */
  if (!pd_sync_run_finish (PD_SYNC (source), result, &error))
    g_debug ("Sync Now: %s", error->message);
}

static void
sync_now_activated (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  PdApplication *self = PD_APPLICATION (user_data);
  PdStore       *store = active_store (self, NULL);
  g_autoptr (PdSync) sync = store ? pd_application_dup_sync (self, store) : NULL;

  if (sync == NULL)
    return;
  if (pd_sync_get_state (sync) == PD_SYNC_STATE_LOCAL_ONLY)
    {
      show_preferences (self, "account");
      return;
    }
  pd_sync_run_async (sync, NULL, sync_now_done, NULL);
}

static void
about_activated (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  GtkWindow  *parent = gtk_application_get_active_window (GTK_APPLICATION (user_data));
  const char *developers[] = { "The Partner Desk developers", NULL };
  GtkWidget  *about;

  about = g_object_new (
      ADW_TYPE_ABOUT_WINDOW, "transient-for", parent, "modal", TRUE, "application-name",
      _ ("Partner Desk"), "application-icon", APP_ID, "version", PACKAGE_VERSION, "developer-name",
      _ ("The Partner Desk developers"), "developers", developers, "license-type",
      GTK_LICENSE_GPL_3_0, "website", "https://github.com/partnerdesk/partner-desk", "issue-url",
      "https://github.com/partnerdesk/partner-desk/issues", "comments",
      _ ("Manage the organisations your practice works with."),
      /* Translators: your names, one per line. */
      "translator-credits", _ ("translator-credits"), NULL);
  gtk_window_present (GTK_WINDOW (about));
}

static const GActionEntry app_actions[] = {
  { .name = "quit", .activate = quit_activated },
  { .name = "preferences", .activate = preferences_activated },
  { .name = "show-account", .activate = show_account_activated },
  { .name = "sync-now", .activate = sync_now_activated },
  { .name = "about", .activate = about_activated },
};

static void
pd_application_startup (GApplication *app)
{
  GtkApplication *gtk_app = GTK_APPLICATION (app);

  /* AdwApplication loads style.css (the status badges) and GtkApplication
   * gtk/help-overlay.ui from the resource base path. */
  G_APPLICATION_CLASS (pd_application_parent_class)->startup (app);

  g_set_application_name (_ ("Partner Desk"));
  gtk_window_set_default_icon_name (APP_ID);
  g_action_map_add_action_entries (G_ACTION_MAP (app), app_actions, G_N_ELEMENTS (app_actions),
                                   app);
  for (guint i = 0; i < G_N_ELEMENTS (accels); i++)
    gtk_application_set_accels_for_action (gtk_app, accels[i].action, accels[i].accels);
}

static void
open_store (PdApplication *self)
{
  g_autofree char *default_path = NULL;
  const char      *path = self->database_path;

  if (self->store != NULL || self->store_error != NULL)
    return;
  if (path == NULL)
    path = default_path = pd_store_default_path ();
  self->store = pd_store_open (path, &self->store_error);
  if (self->store == NULL)
    g_printerr ("partner-desk: %s: %s\n", path, self->store_error->message);

  g_simple_action_set_enabled (
      G_SIMPLE_ACTION (g_action_map_lookup_action (G_ACTION_MAP (self), "preferences")),
      self->store != NULL);
}

static void
pd_application_activate (GApplication *app)
{
  PdApplication *self = PD_APPLICATION (app);
  GtkWindow     *window = gtk_application_get_active_window (GTK_APPLICATION (app));

  if (window == NULL)
    {
      open_store (self);
      window = GTK_WINDOW (pd_window_new (GTK_APPLICATION (app), self->store, self->store_error));
    }
  gtk_window_present (window);
}

static void on_sync_finalized (gpointer data, GObject *where_the_sync_was);

static void
stop_sync (gpointer key, gpointer value, gpointer user_data)
{
  pd_sync_stop (value);
}

static void
forget_sync (gpointer key, gpointer value, gpointer user_data)
{
  g_object_weak_unref (value, on_sync_finalized, user_data);
}

static void
pd_application_shutdown (GApplication *app)
{
  PdApplication *self = PD_APPLICATION (app);

  g_hash_table_foreach (self->syncs, stop_sync, NULL);
  G_APPLICATION_CLASS (pd_application_parent_class)->shutdown (app);
}

static void
pd_application_finalize (GObject *object)
{
  PdApplication *self = PD_APPLICATION (object);

  g_hash_table_foreach (self->syncs, stop_sync, NULL);
  g_hash_table_foreach (self->syncs, forget_sync, self);
  g_clear_pointer (&self->syncs, g_hash_table_unref);
  g_clear_object (&self->sync);
  g_clear_object (&self->store);
  g_clear_error (&self->store_error);
  g_free (self->database_path);
  G_OBJECT_CLASS (pd_application_parent_class)->finalize (object);
}

static void
pd_application_class_init (PdApplicationClass *klass)
{
  GObjectClass      *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->finalize = pd_application_finalize;
  app_class->handle_local_options = pd_application_handle_local_options;
  app_class->startup = pd_application_startup;
  app_class->activate = pd_application_activate;
  app_class->shutdown = pd_application_shutdown;
}

static void
pd_application_init (PdApplication *self)
{
  self->syncs = g_hash_table_new (NULL, NULL);
  g_application_add_main_option_entries (G_APPLICATION (self), options);
  g_application_set_option_context_summary (
      G_APPLICATION (self), _ ("Manage the organisations your practice works with."));
}

PdApplication *
pd_application_new (void)
{
  /* Non-unique: each start opens its own window over its own database, and
   * a --database given to a second instance is never silently ignored. */
  return g_object_new (PD_TYPE_APPLICATION, "application-id", APP_ID, "flags",
                       G_APPLICATION_NON_UNIQUE, "resource-base-path",
                       "/io/github/partnerdesk/PartnerDesk", NULL);
}

PdStore *
pd_application_get_store (PdApplication *self)
{
  g_return_val_if_fail (PD_IS_APPLICATION (self), NULL);

  return self->store;
}

/* The store's path as given by --database, or NULL for the default. */
const char *
pd_application_get_database_path (PdApplication *self)
{
  g_return_val_if_fail (PD_IS_APPLICATION (self), NULL);

  return self->database_path;
}

static void
on_sync_finalized (gpointer data, GObject *where_the_sync_was)
{
  PdApplication *self = data;
  GHashTableIter iter;
  gpointer       sync;

  g_hash_table_iter_init (&iter, self->syncs);
  while (g_hash_table_iter_next (&iter, NULL, &sync))
    if (sync == (gpointer)where_the_sync_was)
      g_hash_table_iter_remove (&iter);
}

/**
 * pd_application_dup_sync:
 *
 * Returns: (transfer full): the synchronisation of STORE, made and started on first use and
 * shared by every window over STORE; the application keeps its own store's for its whole
 * life, another store's lives while a window holds it. PD_SYNC_NO_SECRET_SERVICE=1 in the
 * environment keeps the token in memory instead of the Secret Service (tests).
 */
PdSync *
pd_application_dup_sync (PdApplication *self, PdStore *store)
{
  PdSync *sync;

  g_return_val_if_fail (PD_IS_APPLICATION (self), NULL);
  g_return_val_if_fail (PD_IS_STORE (store), NULL);

  sync = g_hash_table_lookup (self->syncs, store);
  if (sync != NULL)
    return g_object_ref (sync);
  sync = pd_sync_new (store);
  if (g_strcmp0 (g_getenv ("PD_SYNC_NO_SECRET_SERVICE"), "1") == 0)
    pd_sync_set_use_secret_service (sync, FALSE);
  g_hash_table_insert (self->syncs, store, sync);
  g_object_weak_ref (G_OBJECT (sync), on_sync_finalized, self);
  if (store == self->store)
    self->sync = g_object_ref (sync);
  pd_sync_start (sync);
  return sync;
}
