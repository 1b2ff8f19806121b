/* pd-stats-item.h: a GObject around a plain struct, and sortable text columns for tables of them. */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define PD_TYPE_STATS_ITEM (pd_stats_item_get_type ())
G_DECLARE_FINAL_TYPE (PdStatsItem, pd_stats_item, PD, STATS_ITEM, GObject)

/* Takes DATA, freed with FREE_FUNC with the item. */
PdStatsItem *pd_stats_item_new (gpointer       data,
                                GDestroyNotify free_func);
gpointer     pd_stats_item_get (PdStatsItem *self);

/* A GListStore of PdStatsItem, one per element of ARRAY (stolen: the array's free
 * function is cleared, its elements now belong to the items). */
void         pd_stats_store_set (GListStore     *store,
                                 GPtrArray      *array,
                                 GDestroyNotify  free_func);

/* The cell text of DATA (owned). */
typedef char *(*PdStatsTextFunc) (gconstpointer data);
/* A number to sort by, or NULL to sort by text. */
typedef gint64 (*PdStatsNumberFunc) (gconstpointer data);
/* A CSS class for the cell (e.g. "dim-label" for a cancelled booking), or NULL. */
typedef const char *(*PdStatsClassFunc) (gconstpointer data);

typedef struct {
  const char        *title;  /* N_() */
  PdStatsTextFunc    text;
  PdStatsNumberFunc  number; /* right-aligned, sorted numerically */
} PdStatsColumn;

/* Appends COLUMNS to VIEW, each sortable; CLASS_FUNC (optional) styles every cell.
 * Returns the first column (to sort by). */
GtkColumnViewColumn *pd_stats_add_columns (GtkColumnView       *view,
                                           const PdStatsColumn *columns,
                                           guint                n_columns,
                                           PdStatsClassFunc     class_func);
/* The view's model: a single selection over the items of STORE sorted by the view's
 * sorter. Owned by the view; returned borrowed. */
GtkSingleSelection  *pd_stats_bind_model (GtkColumnView *view,
                                          GListStore    *store);

G_END_DECLS
