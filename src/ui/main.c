/* main.c: starts Partner Desk. */
#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>

#include "pd-application.h"

int
main (int   argc,
      char *argv[])
{
  g_autoptr(PdApplication) app = NULL;
  int rc;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  /* Scheduled jobs import eligibility files without a window or a display. */
  rc = pd_import_command_line (argc, argv);
  if (rc >= 0)
    return rc;

  app = pd_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
