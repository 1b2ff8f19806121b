/* pd-test-util.h: GTK-free test helpers: temp directories and stores, waiting on the main loop. */
#pragma once

#include <glib.h>

#include "pd-core.h"

G_BEGIN_DECLS

/* How long PD_WAIT_UNTIL waits before failing the test (default 30 s). */
extern guint pd_test_wait_seconds;

void     pd_test_iterate (void);
void     pd_test_remove_tree (const char *path);
char    *pd_test_make_dir (const char *tmpl, char **path);
void     pd_test_remove_db (const char *dir, const char *path);
PdStore *pd_test_open_store (const char *tmpl, const char *subdir, char **dir, char **path);

/* Waiting without sleeping: iterate the main context until COND holds, or fail after
 * pd_test_wait_seconds. */
#define PD_WAIT_UNTIL(cond)                                                                        \
  G_STMT_START                                                                                     \
  {                                                                                                \
    gint64 wait_end_ = g_get_monotonic_time () + pd_test_wait_seconds * G_USEC_PER_SEC;            \
    while (!(cond))                                                                                \
      {                                                                                            \
        if (g_get_monotonic_time () > wait_end_)                                                   \
          g_error ("%s:%d: timed out waiting for %s", __FILE__, __LINE__, #cond);                  \
        pd_test_iterate ();                                                                        \
      }                                                                                            \
  }                                                                                                \
  G_STMT_END

G_END_DECLS
