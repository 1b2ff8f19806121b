/* test-cli.c: the headless import through the REAL partner-desk binary (its path is argv[1]):
 * exit codes, the summary line on stdout, reasons and rejected rows on stderr, and the
 * database untouched whenever the import did not apply. */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/wait.h>

#include "pd-core.h"
#include "pd-import.h"

static struct
{
  const char *binary;
  char       *dir;
  char       *db;
  char       *partner_id;
} fx;

typedef struct
{
  int   status; /* the exit code */
  char *out;
  char *err;
} Run;

static void
run_clear (Run *run)
{
  g_free (run->out);
  g_free (run->err);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Run, run_clear)

/* Runs the binary with ARGS (NULL-terminated) and --database. */
static void
run_binary (Run *run, ...)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  int         wait_status = 0;
  const char *arg;
  va_list     ap;

  g_ptr_array_add (argv, (gpointer)fx.binary);
  va_start (ap, run);
  while ((arg = va_arg (ap, const char *)) != NULL)
    g_ptr_array_add (argv, (gpointer)arg);
  va_end (ap);
  g_ptr_array_add (argv, "--database");
  g_ptr_array_add (argv, fx.db);
  g_ptr_array_add (argv, NULL);
  g_assert_true (g_spawn_sync (NULL, (char **)argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                               &run->out, &run->err, &wait_status, &error));
  g_assert_no_error (error);
  g_assert_true (WIFEXITED (wait_status));
  run->status = WEXITSTATUS (wait_status);
  g_test_message ("exit %d\nstdout: %s\nstderr: %s", run->status, run->out, run->err);
}

static char *
write_file (const char *name, const char *contents)
{
  char *path = g_build_filename (fx.dir, name, NULL);

  g_assert_true (g_file_set_contents (path, contents, -1, NULL));
  return path;
}

/* What the database holds, as one string: any write shows up in it. */
static char *
fingerprint (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (PdStore) store = pd_store_open (fx.db, &error);
  g_autoptr (GPtrArray) persons = NULL;
  g_autoptr (GPtrArray) uploads = NULL;
  g_autoptr (GPtrArray) changes = NULL;
  g_autoptr (GPtrArray) history = NULL;

  g_assert_no_error (error);
  persons = pd_store_list (store, &pd_person_type, NULL, NULL, &error);
  g_assert_no_error (error);
  uploads = pd_store_list (store, &pd_upload_type, NULL, NULL, &error);
  g_assert_no_error (error);
  changes = pd_store_list_changes (store, 0, G_MAXUINT, &error);
  g_assert_no_error (error);
  history = pd_store_list_history (store, fx.partner_id, &error);
  g_assert_no_error (error);
  return g_strdup_printf ("persons %u, uploads %u, changes %u, audit %u", persons->len,
                          uploads->len, changes->len, history->len);
}

static guint
n_persons (void)
{
  g_autoptr (PdStore) store = pd_store_open (fx.db, NULL);
  g_autoptr (GPtrArray) persons = pd_store_list (store, &pd_person_type, NULL, NULL, NULL);

  return persons->len;
}

#define GOOD                                                                                       \
  "Member ID,First Name,Last Name,DOB,Relationship\n"                                              \
  "C001,Ada,Lovelace,1985-12-10,Employee\n"                                                        \
  "C002,Alan,Turing,1982-06-23,Employee\n"                                                         \
  "C003,Grace,Hopper,1986-12-09,Employee\n"

static void
test_good_file (void)
{
  g_autofree char *file = write_file ("good.csv", GOOD);
  g_auto (Run) run = { 0 };

  run_binary (&run, "--import-eligibility", file, "--partner", "Oakfield Foods", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_cmpstr (run.out, ==, "created 3, updated 0, unchanged 0, terminated 0, rejected 0\n");
  g_assert_cmpuint (n_persons (), ==, 3);
}

static void
test_dry_run (void)
{
  g_autofree char *file
      = write_file ("more.csv", GOOD "C004,Katherine,Johnson,1988-08-26,Employee\n"
                                     "C005,Edsger,Dijkstra,1980-05-11,Employee\n");
  g_autofree char *before = fingerprint ();
  g_autofree char *after = NULL;
  g_auto (Run) run = { 0 };

  /* By id, too. */
  run_binary (&run, "--import-eligibility", file, "--partner", fx.partner_id, "--dry-run", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_cmpstr (run.out, ==, "created 2, updated 0, unchanged 3, terminated 0, rejected 0\n");
  after = fingerprint ();
  g_assert_cmpstr (after, ==, before);
}

static void
test_unknown_partner (void)
{
  g_autofree char *file
      = write_file ("unknown.csv", GOOD "C009,Nobody,Known,1970-01-01,Employee\n");
  g_autofree char *before = fingerprint ();
  g_autofree char *after = NULL;
  g_auto (Run) run = { 0 };

  run_binary (&run, "--import-eligibility", file, "--partner", "Nonexistent Partner GmbH", NULL);
  g_assert_cmpint (run.status, !=, 0);
  g_assert_nonnull (strstr (run.err, "Nonexistent Partner GmbH"));
  g_assert_cmpstr (run.out, ==, "");
  after = fingerprint ();
  g_assert_cmpstr (after, ==, before);
}

static void
test_several_partners (void)
{
  g_autofree char *file = write_file ("several.csv", GOOD "C010,Some,One,1970-01-01,Employee\n");
  g_autofree char *before = fingerprint ();
  g_autofree char *after = NULL;
  g_auto (Run) run = { 0 };

  /* "Oak" fits both "Oakfield Foods" and "Oakridge Freight". */
  run_binary (&run, "--import-eligibility", file, "--partner", "Oak", NULL);
  g_assert_cmpint (run.status, !=, 0);
  g_assert_nonnull (strstr (run.err, "Oakridge Freight"));
  after = fingerprint ();
  g_assert_cmpstr (after, ==, before);
}

static void
test_ambiguous_dates (void)
{
  g_autofree char *file
      = write_file ("slashes.csv", "Member ID,First Name,Last Name,DOB,Relationship\n"
                                   "D001,Ines,Vogel,03/04/1980,Employee\n");
  g_autofree char *before = fingerprint ();
  g_autofree char *after = NULL;
  g_auto (Run) ambiguous = { 0 };
  g_auto (Run) ordered = { 0 };

  run_binary (&ambiguous, "--import-eligibility", file, "--partner", "Oakfield Foods", NULL);
  g_assert_cmpint (ambiguous.status, !=, 0);
  g_assert_cmpstr (ambiguous.out, ==, "");
  g_assert_nonnull (strstr (ambiguous.err, "03/04/1980"));
  after = fingerprint ();
  g_assert_cmpstr (after, ==, before);

  /* Told the order, it applies. */
  run_binary (&ordered, "--import-eligibility", file, "--partner", "Oakfield Foods", "--date-order",
              "dmy", NULL);
  g_assert_cmpint (ordered.status, ==, 0);
  g_assert_true (g_str_has_prefix (ordered.out, "created 1, "));
}

static void
test_bad_file (void)
{
  g_autofree char *file
      = write_file ("broken.csv", "Member ID,First Name,Last Name,DOB,Relationship\n"
                                  "E001,Open,\"Quote,1970-01-01,Employee\n");
  g_autofree char *missing = g_build_filename (fx.dir, "no-such-file.csv", NULL);
  g_autofree char *before = fingerprint ();
  g_autofree char *after = NULL;
  g_auto (Run) broken = { 0 };
  g_auto (Run) absent = { 0 };

  run_binary (&broken, "--import-eligibility", file, "--partner", "Oakfield Foods", NULL);
  g_assert_cmpint (broken.status, !=, 0);
  g_assert_cmpstr (broken.out, ==, "");
  g_assert_true (g_str_has_prefix (broken.err, "partner-desk: "));
  g_assert_cmpuint (strlen (broken.err), >, strlen ("partner-desk: \n"));

  run_binary (&absent, "--import-eligibility", missing, "--partner", "Oakfield Foods", NULL);
  g_assert_cmpint (absent.status, !=, 0);
  g_assert_true (g_str_has_prefix (absent.err, "partner-desk: "));
  after = fingerprint ();
  g_assert_cmpstr (after, ==, before);
}

static void
test_rejected_rows_and_duplicate (void)
{
  g_autofree char *file
      = write_file ("one-bad.csv", "Member ID,First Name,Last Name,DOB,Relationship\n"
                                   "F001,Good,Row,1970-01-01,Employee\n"
                                   "F002,Bad,Date,2023-02-30,Employee\n");
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_auto (Run) all_or_nothing = { 0 };
  g_auto (Run) applied = { 0 };
  g_auto (Run) again = { 0 };

  before = fingerprint ();
  run_binary (&all_or_nothing, "--import-eligibility", file, "--partner", "Oakfield Foods",
              "--all-or-nothing", NULL);
  g_assert_cmpint (all_or_nothing.status, !=, 0);
  after = fingerprint ();
  g_assert_cmpstr (after, ==, before);

  /* Without it, the good row imports and the bad one is listed on stderr. */
  run_binary (&applied, "--import-eligibility", file, "--partner", "Oakfield Foods", NULL);
  g_assert_cmpint (applied.status, ==, 0);
  g_assert_cmpstr (applied.out, ==,
                   "created 1, updated 0, unchanged 0, terminated 0, rejected 1\n");
  g_assert_nonnull (strstr (applied.err, "line 3"));
  g_assert_nonnull (strstr (applied.err, "2023-02-30"));

  /* The same file again: recognised, nothing changes. */
  g_free (before);
  before = fingerprint ();
  run_binary (&again, "--import-eligibility", file, "--partner", "Oakfield Foods", NULL);
  g_assert_cmpint (again.status, !=, 0);
  g_assert_cmpstr (again.out, ==, "");
  g_free (after);
  after = fingerprint ();
  g_assert_cmpstr (after, ==, before);
}

static void
test_usage (void)
{
  g_auto (Run) run = { 0 };

  run_binary (&run, "--import-eligibility", "whatever.csv", NULL);
  g_assert_cmpint (run.status, ==, 2);
  g_assert_nonnull (strstr (run.err, "--partner"));
}

static char *
create_partner (PdStore *store, const char *name)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (PdRecord) partner = pd_record_new (&pd_partner_type);

  pd_record_set_string (partner, "kind", "employer");
  pd_record_set_string (partner, "name", name);
  g_assert_true (pd_store_save (store, partner, &error));
  return g_strdup (pd_record_get_id (partner));
}

static void
remove_dir (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      g_unlink (path);
    }
  g_rmdir (dir);
}

int
main (int argc, char *argv[])
{
  g_autoptr (GError) error = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  if (argc < 2)
    g_error ("usage: %s PATH-OF-partner-desk", argv[0]);
  fx.binary = argv[1];
  fx.dir = g_dir_make_tmp ("test-cli-XXXXXX", &error);
  g_assert_no_error (error);
  fx.db = g_build_filename (fx.dir, "partner-desk.db", NULL);
  {
    g_autoptr (PdStore) store = pd_store_open (fx.db, &error);
    g_autofree char *other = NULL;

    g_assert_no_error (error);
    fx.partner_id = create_partner (store, "Oakfield Foods");
    other = create_partner (store, "Oakridge Freight");
  }

  g_test_add_func ("/cli/good-file", test_good_file);
  g_test_add_func ("/cli/dry-run", test_dry_run);
  g_test_add_func ("/cli/unknown-partner", test_unknown_partner);
  g_test_add_func ("/cli/several-partners", test_several_partners);
  g_test_add_func ("/cli/ambiguous-dates", test_ambiguous_dates);
  g_test_add_func ("/cli/bad-file", test_bad_file);
  g_test_add_func ("/cli/rejected-rows-and-duplicate", test_rejected_rows_and_duplicate);
  g_test_add_func ("/cli/usage", test_usage);
  status = g_test_run ();

  remove_dir (fx.dir);
  g_free (fx.db);
  g_free (fx.dir);
  g_free (fx.partner_id);
  return status;
}
