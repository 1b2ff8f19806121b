/* pd-import-cli.c: the headless eligibility import (`partner-desk --import-eligibility FILE --partner NAME`). */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <stdio.h>
#include <string.h>

#include "pd-error.h"
#include "pd-import.h"

enum {
  EXIT_APPLIED = 0,
  EXIT_NOTHING_CHANGED = 1,
  EXIT_USAGE = 2,
};

typedef struct {
  char     *file;
  char     *partner;
  char     *database;
  char     *date_order;
  gboolean  full;
  gboolean  incremental;
  gboolean  dry_run;
  gboolean  all_or_nothing;
  gboolean  yes;
} CliOptions;

static gboolean
wants_import (int    argc,
              char **argv)
{
  for (int i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "--") == 0)
        return FALSE;
      if (strcmp (argv[i], "--import-eligibility") == 0
          || g_str_has_prefix (argv[i], "--import-eligibility="))
        return TRUE;
    }
  return FALSE;
}

static void
cli_options_clear (CliOptions *o)
{
  g_free (o->file);
  g_free (o->partner);
  g_free (o->database);
  g_free (o->date_order);
}

static gboolean
parse_options (int          argc,
               char       **argv,
               CliOptions  *o,
               GError     **error)
{
  GOptionEntry entries[] = {
    { "import-eligibility", 0, 0, G_OPTION_ARG_FILENAME, &o->file,
      N_("Import an eligibility file (CSV or X12 834) without opening a window"), N_("FILE") },
    { "partner", 0, 0, G_OPTION_ARG_STRING, &o->partner,
      N_("The partner the file belongs to: its name or id"), N_("NAME-OR-ID") },
    { "full", 0, 0, G_OPTION_ARG_NONE, &o->full,
      N_("The file lists everyone: end the coverage of the people it leaves out"), NULL },
    { "incremental", 0, 0, G_OPTION_ARG_NONE, &o->incremental,
      N_("Only add and change people (the default)"), NULL },
    { "dry-run", 0, 0, G_OPTION_ARG_NONE, &o->dry_run,
      N_("Show what the import would do; change nothing"), NULL },
    { "all-or-nothing", 0, 0, G_OPTION_ARG_NONE, &o->all_or_nothing,
      N_("Import nothing if any row is rejected"), NULL },
    { "database", 0, 0, G_OPTION_ARG_FILENAME, &o->database,
      N_("The database file (default: the user's)"), N_("PATH") },
    { "yes", 0, 0, G_OPTION_ARG_NONE, &o->yes,
      N_("Import even a file already uploaded, or one that ends many people's coverage"), NULL },
    { "date-order", 0, 0, G_OPTION_ARG_STRING, &o->date_order,
      N_("The order of the file's dates when it is ambiguous: ymd, mdy or dmy"), N_("ORDER") },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_auto(GStrv) args = g_new0 (char *, argc + 1);

  for (int i = 0; i < argc; i++)
    args[i] = g_strdup (argv[i]);
  g_option_context_set_help_enabled (context, TRUE);
  g_option_context_set_summary (context, _("Import an eligibility file for a partner."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  if (!g_option_context_parse_strv (context, &args, error))
    return FALSE;
  if (o->file == NULL || o->partner == NULL)
    {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                           _("--import-eligibility needs a FILE and --partner NAME-OR-ID"));
      return FALSE;
    }
  if (o->full && o->incremental)
    {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                           _("Choose --full or --incremental, not both"));
      return FALSE;
    }
  if (o->date_order && !g_strv_contains ((const char * const[]) { "ymd", "mdy", "dmy", NULL },
                                         o->date_order))
    {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           _("--date-order must be ymd, mdy or dmy"));
      return FALSE;
    }
  return TRUE;
}

/* The partner named (case-insensitively) or identified by WANTED; a message otherwise. */
static char *
find_partner (PdStore     *store,
              const char  *wanted,
              GError     **error)
{
  g_autoptr(GPtrArray) partners = pd_store_list (store, &pd_partner_type, NULL, NULL, error);
  g_autoptr(GPtrArray) exact = g_ptr_array_new ();
  g_autoptr(GPtrArray) partial = g_ptr_array_new ();
  g_autofree char *fold = g_strstrip (pd_text_fold (wanted));
  GPtrArray *matches;
  g_autoptr(GString) names = g_string_new (NULL);

  if (partners == NULL)
    return NULL;
  for (guint i = 0; i < partners->len; i++)
    {
      PdRecord *p = g_ptr_array_index (partners, i);
      g_autofree char *name = pd_text_fold (pd_record_get_title (p));

      if (strcmp (pd_record_get_id (p), wanted) == 0)
        return g_strdup (wanted);
      if (strcmp (name, fold) == 0)
        g_ptr_array_add (exact, p);
      else if (*fold && strstr (name, fold))
        g_ptr_array_add (partial, p);
    }
  matches = exact->len ? exact : partial;
  if (matches->len == 1)
    return g_strdup (pd_record_get_id (g_ptr_array_index (matches, 0)));
  if (matches->len == 0)
    {
      g_set_error (error, PD_ERROR, PD_ERROR_NOT_FOUND,
                   _("No partner is named or identified by “%s”; nothing was changed."), wanted);
      return NULL;
    }
  for (guint i = 0; i < matches->len; i++)
    {
      PdRecord *p = g_ptr_array_index (matches, i);

      g_string_append_printf (names, "\n  %s (%s)", pd_record_get_title (p), pd_record_get_id (p));
    }
  g_set_error (error, PD_ERROR, PD_ERROR_NOT_FOUND,
               _("%u partners match “%s”; name one exactly or give its id. Nothing was "
                 "changed.%s"), matches->len, wanted, names->str);
  return NULL;
}

static void
print_rejections (PdImportResult *result)
{
  for (guint i = 0; i < result->rejections->len; i++)
    {
      g_autofree char *line = pd_import_rejection_describe (g_ptr_array_index (result->rejections, i));

      fprintf (stderr, "%s\n", line);
    }
  if (result->rejected > result->rejections->len)
    fprintf (stderr, _("(and more: %u rows were rejected)\n"), result->rejected);
}

static int
run_import (CliOptions *o)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *db_path = o->database ? g_strdup (o->database) : pd_store_default_path ();
  g_autofree char *partner_id = NULL;
  g_autofree char *summary = NULL;
  g_autoptr(PdImportResult) result = NULL;
  g_autoptr(PdStore) store = pd_store_open (db_path, &error);
  PdImportOptions options;

  if (store == NULL || (partner_id = find_partner (store, o->partner, &error)) == NULL)
    {
      fprintf (stderr, "partner-desk: %s\n", error->message);
      return EXIT_NOTHING_CHANGED;
    }
  g_clear_object (&store);
  pd_import_options_init (&options);
  options.mode = o->full ? PD_IMPORT_MODE_FULL : PD_IMPORT_MODE_INCREMENTAL;
  if (o->dry_run)
    options.flags |= PD_IMPORT_FLAG_DRY_RUN;
  if (o->all_or_nothing)
    options.flags |= PD_IMPORT_FLAG_ALL_OR_NOTHING;
  if (o->yes)
    options.flags |= PD_IMPORT_FLAG_CONFIRM_GUARD | PD_IMPORT_FLAG_CONFIRM_DUPLICATE;
  if (g_strcmp0 (o->date_order, "ymd") == 0)
    options.date_order = PD_DATE_ORDER_YMD;
  else if (g_strcmp0 (o->date_order, "mdy") == 0)
    options.date_order = PD_DATE_ORDER_MDY;
  else if (g_strcmp0 (o->date_order, "dmy") == 0)
    options.date_order = PD_DATE_ORDER_DMY;
  result = pd_import_run (db_path, partner_id, o->file, &options, NULL, NULL, NULL, &error);
  if (result == NULL)
    {
      fprintf (stderr, "partner-desk: %s\n", error->message);
      return EXIT_NOTHING_CHANGED;
    }
  summary = pd_import_result_summary_line (result);
  printf ("%s\n", summary);
  fflush (stdout);
  print_rejections (result);
  if (o->dry_run && o->all_or_nothing && result->rejected > 0)
    {
      fprintf (stderr, _("partner-desk: with --all-or-nothing this file would not be imported: "
                         "%u rows were rejected.\n"), result->rejected);
      return EXIT_NOTHING_CHANGED;
    }
  return EXIT_APPLIED;
}

int
pd_import_command_line (int    argc,
                        char **argv)
{
  g_autoptr(GError) error = NULL;
  CliOptions o = { 0 };
  int status;

  if (argv == NULL || !wants_import (argc, argv))
    return -1;
  if (!parse_options (argc, argv, &o, &error))
    {
      fprintf (stderr, "partner-desk: %s\n", error->message);
      cli_options_clear (&o);
      return EXIT_USAGE;
    }
  status = run_import (&o);
  cli_options_clear (&o);
  return status;
}
