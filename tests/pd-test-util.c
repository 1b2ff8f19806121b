/* pd-test-util.c: GTK-free test helpers: temp directories and stores, waiting on the main loop. */
#include <glib/gstdio.h>

#include "pd-test-util.h"

guint pd_test_wait_seconds = 30;

static gboolean
wake_up (gpointer data)
{
  *(gboolean *)data = TRUE;
  return G_SOURCE_REMOVE;
}

/* One main-context iteration that never blocks for more than 10 ms. */
void
pd_test_iterate (void)
{
  gboolean woke = FALSE;
  guint    id = g_timeout_add (10, wake_up, &woke);

  g_main_context_iteration (NULL, TRUE);
  if (!woke)
    g_source_remove (id);
}

/* Removes PATH and everything below it. */
void
pd_test_remove_tree (const char *path)
{
  GDir       *dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir == NULL)
    {
      g_remove (path);
      return;
    }
  while ((name = g_dir_read_name (dir)))
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      pd_test_remove_tree (child);
    }
  g_dir_close (dir);
  g_rmdir (path);
}

/* Makes a temp dir from TMPL; PATH receives partner-desk.db in it. */
char *
pd_test_make_dir (const char *tmpl, char **path)
{
  g_autoptr (GError) error = NULL;
  char *dir = g_dir_make_tmp (tmpl, &error);

  g_assert_no_error (error);
  *path = g_build_filename (dir, "partner-desk.db", NULL);
  return dir;
}

/* Removes the database PATH with its -wal and -shm files, then the (empty) DIR. */
void
pd_test_remove_db (const char *dir, const char *path)
{
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  g_autofree char *shm = g_strconcat (path, "-shm", NULL);

  g_unlink (path);
  g_unlink (wal);
  g_unlink (shm);
  g_rmdir (dir);
}

/* Makes a temp dir from TMPL and opens a store on partner-desk.db in it (under SUBDIR
 * when not NULL). DIR and PATH receive the new strings. */
PdStore *
pd_test_open_store (const char *tmpl, const char *subdir, char **dir, char **path)
{
  g_autoptr (GError) error = NULL;
  PdStore *store;

  *dir = g_dir_make_tmp (tmpl, &error);
  g_assert_no_error (error);
  *path = subdir ? g_build_filename (*dir, subdir, "partner-desk.db", NULL)
                 : g_build_filename (*dir, "partner-desk.db", NULL);
  store = pd_store_open (*path, &error);
  g_assert_no_error (error);
  return store;
}
