/* pd-lazy-reload.c: recompute a view when shown, once per burst of changes. */
#include "config.h"

#include "pd-lazy-reload.h"

void
pd_lazy_reload_init (PdLazyReload     *self,
                     GtkWidget        *widget,
                     guint             delay_ms,
                     PdLazyReloadFunc  reload)
{
  self->widget = widget;
  self->reload = reload;
  self->delay_ms = delay_ms;
  self->timeout_id = 0;
  self->dirty = FALSE;
}

void
pd_lazy_reload_invalidate (PdLazyReload *self)
{
  self->dirty = TRUE;
  if (gtk_widget_get_mapped (self->widget))
    self->reload (self->widget);
}

static gboolean
timeout_cb (gpointer data)
{
  PdLazyReload *self = data;

  self->timeout_id = 0;
  pd_lazy_reload_invalidate (self);
  return G_SOURCE_REMOVE;
}

void
pd_lazy_reload_schedule (PdLazyReload *self)
{
  if (self->timeout_id == 0)
    self->timeout_id = g_timeout_add (self->delay_ms, timeout_cb, self);
}

void
pd_lazy_reload_started (PdLazyReload *self)
{
  self->dirty = FALSE;
}

void
pd_lazy_reload_map (PdLazyReload *self)
{
  if (self->dirty)
    self->reload (self->widget);
}

gboolean
pd_lazy_reload_pending (PdLazyReload *self)
{
  return self->timeout_id != 0 || (self->dirty && gtk_widget_get_mapped (self->widget));
}

void
pd_lazy_reload_clear (PdLazyReload *self)
{
  g_clear_handle_id (&self->timeout_id, g_source_remove);
}
