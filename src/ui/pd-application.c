/* pd-application.c: the Partner Desk application: options, the store, app actions. */
#include "config.h"

#include <glib/gi18n.h>

#include "pd-application.h"
#include "pd-preferences-window.h"
#include "pd-window.h"

struct _PdApplication
{
  AdwApplication parent_instance;

  /* Owned references */
  char    *database_path; /* --database, or NULL for pd_store_default_path () */
  PdStore *store;
  GError  *store_error;
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
  { "app.quit", { "<Control>q", NULL } },
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

static void
preferences_activated (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  PdApplication       *self = PD_APPLICATION (user_data);
  GtkWindow           *parent = gtk_application_get_active_window (GTK_APPLICATION (self));
  PdStore             *store = self->store;
  PdPreferencesWindow *preferences;

  /* The preferences of the database the active window shows. */
  if (PD_IS_WINDOW (parent))
    store = pd_window_get_store (PD_WINDOW (parent));
  if (store == NULL)
    return;
  preferences = pd_preferences_window_new (parent, store);
  gtk_window_present (GTK_WINDOW (preferences));
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

static void
pd_application_finalize (GObject *object)
{
  PdApplication *self = PD_APPLICATION (object);

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
}

static void
pd_application_init (PdApplication *self)
{
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
