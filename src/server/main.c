/* main.c: partner-desk-server's command line: `init` and serving. */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <glib-unix.h>
#include <locale.h>
#include <signal.h>
#include <string.h>

#include "pd-server.h"

#define EXIT_USAGE 2

static int
usage_error (GOptionContext *context,
             const char     *message)
{
  g_autofree char *help = g_option_context_get_help (context, TRUE, NULL);

  g_printerr ("partner-desk-server: %s\n\n%s", message, help);
  return EXIT_USAGE;
}

/* `partner-desk-server init --database PATH --owner-email EMAIL` */
static int
run_init (int    argc,
          char **argv)
{
  g_autofree char *database = NULL;
  g_autofree char *owner_email = NULL;
  g_autofree char *practice_name = NULL;
  g_autofree char *public_url = NULL;
  g_autofree char *link = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(PdStore) store = NULL;
  GOptionEntry entries[] = {
    { "database", 0, 0, G_OPTION_ARG_FILENAME, &database,
      N_("The practice's SQLite database (created when missing)"), N_("PATH") },
    { "owner-email", 0, 0, G_OPTION_ARG_STRING, &owner_email,
      N_("The email address of the practice owner"), N_("EMAIL") },
    { "practice-name", 0, 0, G_OPTION_ARG_STRING, &practice_name,
      N_("The practice's name, shown on invitation pages"), N_("NAME") },
    { "public-url", 0, 0, G_OPTION_ARG_STRING, &public_url,
      N_("The server's address as users reach it, for the link"), N_("URL") },
    { NULL }
  };

  context = g_option_context_new (_("init — create the practice and its owner"));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return usage_error (context, error->message);
  if (argc > 1)
    return usage_error (context, _("Unexpected arguments after the options."));
  if (database == NULL || owner_email == NULL)
    return usage_error (context, _("init needs --database and --owner-email."));
  store = pd_store_open (database, &error);
  if (store == NULL)
    {
      g_printerr ("partner-desk-server: %s\n", error->message);
      return EXIT_FAILURE;
    }
  link = pd_server_init_practice (store, public_url ? public_url : "http://127.0.0.1:8080",
                                  owner_email, practice_name, &error);
  if (link == NULL)
    {
      g_printerr ("partner-desk-server: %s\n", error->message);
      return EXIT_FAILURE;
    }
  g_print (_("The practice is ready. Open this link once, within 7 days, to set the owner's "
             "password:\n"));
  g_print ("%s\n", link);
  return EXIT_SUCCESS;
}

static gboolean
quit_cb (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_CONTINUE;
}

static gboolean
read_secret_file (const char  *path,
                  char       **secret,
                  GError     **error)
{
  g_autofree char *contents = NULL;

  if (!g_file_get_contents (path, &contents, NULL, error))
    return FALSE;
  g_strchomp (contents);
  *secret = g_steal_pointer (&contents);
  return TRUE;
}

static guint
faults_from_environment (void)
{
#ifdef PD_SERVER_ENABLE_FAULTS
  const char *faults = g_getenv ("PD_SERVER_FAULTS");

  if (faults && strstr (faults, "lose-answer"))
    return PD_SERVER_FAULT_LOSE_ANSWER;
#endif
  return PD_SERVER_FAULT_NONE;
}

static int
run_server (int    argc,
            char **argv)
{
  PdServerConfig config = { 0 };
  g_autofree char *password_file = NULL;
  gint64 idle_timeout = 0;
  g_autoptr(GError) error = NULL;
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(PdServer) server = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  guint sigterm, sigint;
  GOptionEntry entries[] = {
    { "database", 0, 0, G_OPTION_ARG_FILENAME, &config.database,
      N_("The practice's SQLite database"), N_("PATH") },
    { "listen", 0, 0, G_OPTION_ARG_STRING, &config.listen,
      N_("Address and port to listen on (default 127.0.0.1:8080; port 0: any free port)"),
      N_("ADDRESS:PORT") },
    { "port-file", 0, 0, G_OPTION_ARG_FILENAME, &config.port_file,
      N_("Write the port listened on to this file"), N_("FILE") },
    { "tls-cert", 0, 0, G_OPTION_ARG_FILENAME, &config.tls_cert,
      N_("Serve HTTPS with this PEM certificate (chain)"), N_("FILE") },
    { "tls-key", 0, 0, G_OPTION_ARG_FILENAME, &config.tls_key,
      N_("The PEM private key of --tls-cert"), N_("FILE") },
    { "public-url", 0, 0, G_OPTION_ARG_STRING, &config.public_url,
      N_("The server's address as users reach it, for links in email"), N_("URL") },
    { "smtp-url", 0, 0, G_OPTION_ARG_STRING, &config.smtp_url,
      N_("The mail relay, smtp://HOST:PORT"), N_("URL") },
    { "smtp-user", 0, 0, G_OPTION_ARG_STRING, &config.smtp_user,
      N_("User name at the mail relay"), N_("NAME") },
    { "smtp-password-file", 0, 0, G_OPTION_ARG_FILENAME, &password_file,
      N_("File holding the password at the mail relay"), N_("FILE") },
    { "mail-from", 0, 0, G_OPTION_ARG_STRING, &config.mail_from,
      N_("The sender address of invitations"), N_("EMAIL") },
    { "session-idle-timeout", 0, 0, G_OPTION_ARG_INT64, &idle_timeout,
      N_("Sign users out after this many seconds without a request (default 14 days)"),
      N_("SECONDS") },
    { NULL }
  };

  context = g_option_context_new (_("— the Partner Desk server"));
  g_option_context_set_summary (context, _("Commands:\n  init  create the practice and its owner "
                                           "(partner-desk-server init --help)"));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      pd_server_config_clear (&config);
      return usage_error (context, error->message);
    }
  if (argc > 1 || config.database == NULL || idle_timeout < 0 || idle_timeout > G_MAXINT32)
    {
      pd_server_config_clear (&config);
      return usage_error (context, argc > 1 ? _("Unexpected arguments after the options.")
                                   : config.database == NULL ? _("--database is required.")
                                   : _("--session-idle-timeout must be a positive number."));
    }
  config.session_idle_timeout = (guint) idle_timeout;
  config.faults = faults_from_environment ();
  if (password_file && !read_secret_file (password_file, &config.smtp_password, &error))
    {
      g_printerr ("partner-desk-server: %s\n", error->message);
      pd_server_config_clear (&config);
      return EXIT_FAILURE;
    }
  server = pd_server_new (&config, &error);
  pd_server_config_clear (&config);
  if (server == NULL)
    {
      g_printerr ("partner-desk-server: %s\n", error->message);
      return EXIT_FAILURE;
    }
  loop = g_main_loop_new (NULL, FALSE);
  sigterm = g_unix_signal_add (SIGTERM, quit_cb, loop);
  sigint = g_unix_signal_add (SIGINT, quit_cb, loop);
  g_message ("listening on port %u", pd_server_get_port (server));
  g_main_loop_run (loop);
  g_source_remove (sigterm);
  g_source_remove (sigint);
  g_message ("stopped");
  return EXIT_SUCCESS;
}

int
main (int    argc,
      char **argv)
{
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  if (argc > 1 && strcmp (argv[1], "init") == 0)
    {
      argv[1] = argv[0];
      return run_init (argc - 1, argv + 1);
    }
  return run_server (argc, argv);
}
