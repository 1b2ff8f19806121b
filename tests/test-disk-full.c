/* test-disk-full.c: a save on a full disk fails with a clear error and leaves the data as it was. */
#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/mount.h>

#include "pd-core.h"

static PdRecord *
make_partner (guint n,
              const char *description)
{
  PdRecord *partner = pd_record_new (&pd_partner_type);
  g_autofree char *name = g_strdup_printf ("Full Disk Partner %u", n);

  pd_record_set_string (partner, "name", name);
  pd_record_set_string (partner, "description", description);
  return partner;
}

static void
test_disk_full (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("pd-test-full-XXXXXX", &error);
  g_autofree char *path = NULL;
  g_autoptr(GString) description = g_string_new (NULL);
  g_autoptr(PdStore) store = NULL;
  g_autoptr(PdStore) reopened = NULL;
  g_autoptr(PdRecord) failed = NULL;
  guint saved = 0;

  g_assert_no_error (error);
  /* A small real file system that fills up (4 MB: the empty schema in 16 KiB pages takes
   * about 1 MB): tmpfs needs root (CI runs as root). */
  if (mount ("tmpfs", dir, "tmpfs", 0, "size=4m") != 0)
    {
      g_test_skip_printf ("cannot mount a small tmpfs here: %s", g_strerror (errno));
      g_rmdir (dir);
      return;
    }

  path = g_build_filename (dir, "partner-desk.db", NULL);
  store = pd_store_open (path, &error);
  g_assert_no_error (error);

  for (guint i = 0; i < 2000; i++)
    g_string_append (description, "Occupational health partner with a long description. ");

  for (guint i = 0; i < 1000; i++)
    {
      g_autoptr(PdRecord) partner = make_partner (i, description->str);

      if (!pd_store_save (store, partner, &error))
        {
          failed = g_object_ref (partner);
          break;
        }
      saved++;
    }

  /* The disk filled up before 1000 partners of ~100 KB each: the error says so. */
  g_assert_nonnull (failed);
  g_assert_error (error, PD_ERROR, PD_ERROR_DISK_FULL);
  g_assert_nonnull (strstr (error->message, "disk is full"));
  g_assert_cmpint (saved, >, 0);
  g_assert_cmpint (pd_record_get_version (failed), ==, 0);

  /* Nothing half-written: every partner saved before is there, the failed one is not. */
  g_assert_cmpint (pd_store_count (store, &pd_partner_type), ==, saved);
  g_clear_error (&error);
  g_clear_object (&store);
  reopened = pd_store_open (path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (pd_store_count (reopened, &pd_partner_type), ==, saved);
  {
    g_autoptr(PdRecord) missing = pd_store_get (reopened, &pd_partner_type,
                                                pd_record_get_id (failed), &error);
    g_assert_null (missing);
    g_assert_error (error, PD_ERROR, PD_ERROR_NOT_FOUND);
  }
  g_clear_object (&reopened);

  g_assert_cmpint (umount (dir), ==, 0);
  g_rmdir (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/store/disk-full", test_disk_full);
  return g_test_run ();
}
