/* pd-traffic-view.h: the Traffic Channels view: examinations × partners of one institution. */
#pragma once

#include <adwaita.h>
#include "pd-core.h"
#include "pd-traffic-grid.h"

G_BEGIN_DECLS

#define PD_TYPE_TRAFFIC_VIEW (pd_traffic_view_get_type ())
G_DECLARE_FINAL_TYPE (PdTrafficView, pd_traffic_view, PD, TRAFFIC_VIEW, GtkWidget)

/* The view follows the store's ::record-changed and ::collection-changed (activations,
 * partners, examinations, prices, institutions); it reloads when shown. Toggling a
 * cell saves at once (change log, audit) and offers Undo in the window's toast
 * overlay; whole rows and columns ask first. Installs "view.search" (focus the
 * examination search) for the window's Ctrl+F. */
PdTrafficView *pd_traffic_view_new (PdStore *store);
/* Shows the institution with INSTITUTION_ID; FALSE when it is not in the switcher. */
gboolean       pd_traffic_view_set_institution (PdTrafficView *self, const char *institution_id);
const char    *pd_traffic_view_get_institution_id (PdTrafficView *self);
PdTrafficGrid *pd_traffic_view_get_grid (PdTrafficView *self);
/* The matrix shown (borrowed; replaced on reload), or NULL. */
PdTrafficMatrix *pd_traffic_view_get_matrix (PdTrafficView *self);
/* Reloads now (tests; the view reloads by itself after changes). */
void pd_traffic_view_reload (PdTrafficView *self);

/* Shared with the partner's Examinations tab: sets one cell through MATRIX and the
 * store, and offers Undo in the toast overlay around FROM. FALSE with ERROR (the
 * reason, e.g. a blocked cell) when nothing changed. */
gboolean pd_traffic_toggle_cell (GtkWidget *from, PdStore *store, PdTrafficMatrix *matrix,
                                 guint row, guint column, GError **error);
/* Shows MESSAGE in the toast overlay around FROM. */
void pd_traffic_toast (GtkWidget *from, const char *message);

G_END_DECLS
