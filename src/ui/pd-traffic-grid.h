/* pd-traffic-grid.h: the checkbox matrix: draws only the visible cells of a PdTrafficMatrix. */
#pragma once

#include <adwaita.h>
#include "pd-core.h"

G_BEGIN_DECLS

/* A scrollable widget (put it in a GtkScrolledWindow) that draws the matrix:
 * examination names as sticky row headers, partner names as sticky column headers,
 * a check box per cell. No widget per cell: a frame costs the visible cells only.
 *
 * Keyboard: arrows, Home/End (row start/end; with Ctrl the first/last cell),
 * Page Up/Down, Space or Return emits ::toggle-cell, Menu or Shift+F10 emits
 * ::popup-menu for the focused cell; Tab leaves the grid.
 * Mouse: a click on a cell focuses and toggles it; a right click on a cell, or a click
 * on a row or column header, emits ::popup-menu.
 *
 * Accessibility (GTK 4.8 has no accessible children for custom widgets): the grid
 * has the check box role and its accessible name, state and description follow the
 * focused cell: "EXAMINATION for PARTNER at INSTITUTION", checked or not, disabled
 * with the reason as the description when the cell is blocked.
 *
 * Signals:
 *   ::toggle-cell (guint row, guint column)
 *   ::popup-menu (int row, int column, double x, double y): ROW or COLUMN is -1 for
 *   a column or row header. */
#define PD_TYPE_TRAFFIC_GRID (pd_traffic_grid_get_type ())
G_DECLARE_FINAL_TYPE (PdTrafficGrid, pd_traffic_grid, PD, TRAFFIC_GRID, GtkWidget)

GtkWidget *pd_traffic_grid_new (void);
/* Shows MATRIX (NULL: nothing). The focused cell stays on the same examination and
 * partner when they are still shown. */
void             pd_traffic_grid_set_matrix (PdTrafficGrid *self, PdTrafficMatrix *matrix);
PdTrafficMatrix *pd_traffic_grid_get_matrix (PdTrafficGrid *self);
/* FALSE when the matrix is empty. */
gboolean pd_traffic_grid_get_focus_cell (PdTrafficGrid *self, guint *row, guint *column);
void     pd_traffic_grid_set_focus_cell (PdTrafficGrid *self, guint row, guint column);
/* The cell changed (after a toggle): redraws it and updates the accessible state. */
void pd_traffic_grid_cell_changed (PdTrafficGrid *self, guint row, guint column);
/* What the grid last told assistive technologies (its accessible name). */
const char *pd_traffic_grid_get_accessible_label (PdTrafficGrid *self);
/* The tooltip text of a cell (the label, and the reason when blocked). Owned. */
char *pd_traffic_grid_dup_cell_tooltip (PdTrafficGrid *self, guint row, guint column);
/* How many frames it drew (tests and benchmarks). */
guint pd_traffic_grid_get_n_snapshots (PdTrafficGrid *self);
/* The key handling behind its GtkEventControllerKey (TRUE when handled). */
gboolean pd_traffic_grid_handle_key (PdTrafficGrid *self, guint keyval, GdkModifierType state);

G_END_DECLS
