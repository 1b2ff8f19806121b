/* pd-lazy-reload.h: a view recomputes when shown, or when next mapped; a burst of changes
 * (sample data, an import, a sync) causes one recomputation. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

typedef void (*PdLazyReloadFunc) (gpointer widget);

typedef struct {
  GtkWidget        *widget;    /* not owned */
  PdLazyReloadFunc  reload;    /* recomputes; calls pd_lazy_reload_started */
  guint             delay_ms;
  guint             timeout_id;
  gboolean          dirty;
} PdLazyReload;

void     pd_lazy_reload_init       (PdLazyReload     *self,
                                    GtkWidget        *widget,
                                    guint             delay_ms,
                                    PdLazyReloadFunc  reload);
/* Out of date: reloads now when WIDGET is mapped, else at the next pd_lazy_reload_map. */
void     pd_lazy_reload_invalidate (PdLazyReload *self);
/* pd_lazy_reload_invalidate after DELAY_MS, once for any number of calls before it. */
void     pd_lazy_reload_schedule   (PdLazyReload *self);
/* Called by the reload function: no longer out of date. */
void     pd_lazy_reload_started    (PdLazyReload *self);
/* From the widget's map handler, after chaining up. */
void     pd_lazy_reload_map        (PdLazyReload *self);
/* A reload is due (scheduled, or out of date while shown). */
gboolean pd_lazy_reload_pending    (PdLazyReload *self);
/* From dispose. */
void     pd_lazy_reload_clear      (PdLazyReload *self);

G_END_DECLS
