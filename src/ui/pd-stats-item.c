/* pd-stats-item.c: a GObject around a plain struct, and sortable text columns for tables of them.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "pd-stats-item.h"

struct _PdStatsItem
{
  GObject        parent_instance;
  gpointer       data;
  GDestroyNotify free_func;
};

G_DEFINE_FINAL_TYPE (PdStatsItem, pd_stats_item, G_TYPE_OBJECT)

static void
pd_stats_item_finalize (GObject *object)
{
  PdStatsItem *self = PD_STATS_ITEM (object);

  if (self->free_func != NULL && self->data != NULL)
    self->free_func (self->data);
  G_OBJECT_CLASS (pd_stats_item_parent_class)->finalize (object);
}

static void
pd_stats_item_class_init (PdStatsItemClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = pd_stats_item_finalize;
}

static void
pd_stats_item_init (PdStatsItem *self)
{
}

PdStatsItem *
pd_stats_item_new (gpointer data, GDestroyNotify free_func)
{
  PdStatsItem *self = g_object_new (PD_TYPE_STATS_ITEM, NULL);

  self->data = data;
  self->free_func = free_func;
  return self;
}

gpointer
pd_stats_item_get (PdStatsItem *self)
{
  g_return_val_if_fail (PD_IS_STATS_ITEM (self), NULL);

  return self->data;
}

void
pd_stats_store_set (GListStore *store, GPtrArray *array, GDestroyNotify free_func)
{
  g_autoptr (GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);
  guint n_old = g_list_model_get_n_items (G_LIST_MODEL (store));

  if (array != NULL)
    {
      g_ptr_array_set_free_func (array, NULL);
      for (guint i = 0; i < array->len; i++)
        g_ptr_array_add (items, pd_stats_item_new (g_ptr_array_index (array, i), free_func));
      g_ptr_array_set_size (array, 0);
    }
  g_list_store_splice (store, 0, n_old, items->pdata, items->len);
}

/* Columns */

typedef struct
{
  PdStatsColumn    column;
  PdStatsClassFunc class_func;
} ColumnData;

static void
setup_cell (GtkSignalListItemFactory *factory, GtkListItem *item, ColumnData *data)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), data->column.number ? 1.0 : 0.0);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  if (data->column.number)
    gtk_widget_add_css_class (label, "numeric");
  gtk_list_item_set_child (item, label);
}

static void
bind_cell (GtkSignalListItemFactory *factory, GtkListItem *item, ColumnData *data)
{
  PdStatsItem     *stats_item = gtk_list_item_get_item (item);
  GtkWidget       *label = gtk_list_item_get_child (item);
  gconstpointer    row = pd_stats_item_get (stats_item);
  g_autofree char *text = data->column.text (row);
  const char      *css = data->class_func ? data->class_func (row) : NULL;

  gtk_label_set_text (GTK_LABEL (label), text ? text : "");
  if (css != NULL && g_strcmp0 (css, "dim-label") == 0)
    gtk_widget_add_css_class (label, "dim-label");
  else
    gtk_widget_remove_css_class (label, "dim-label");
}

static int
compare_items (gconstpointer a, gconstpointer b, gpointer user_data)
{
  ColumnData   *data = user_data;
  gconstpointer row_a = pd_stats_item_get ((PdStatsItem *)a);
  gconstpointer row_b = pd_stats_item_get ((PdStatsItem *)b);
  int           cmp;

  if (data->column.number != NULL)
    {
      gint64 x = data->column.number (row_a);
      gint64 y = data->column.number (row_b);

      cmp = x < y ? -1 : x > y ? 1 : 0;
    }
  else
    {
      g_autofree char *x = data->column.text (row_a);
      g_autofree char *y = data->column.text (row_b);

      cmp = g_utf8_collate (x ? x : "", y ? y : "");
    }
  return cmp < 0 ? GTK_ORDERING_SMALLER : cmp > 0 ? GTK_ORDERING_LARGER : GTK_ORDERING_EQUAL;
}

GtkColumnViewColumn *
pd_stats_add_columns (GtkColumnView *view, const PdStatsColumn *columns, guint n_columns,
                      PdStatsClassFunc class_func)
{
  GtkColumnViewColumn *first = NULL;

  for (guint i = 0; i < n_columns; i++)
    {
      GtkListItemFactory  *factory = gtk_signal_list_item_factory_new ();
      ColumnData          *data = g_new0 (ColumnData, 1);
      GtkColumnViewColumn *column;
      g_autoptr (GtkSorter) sorter = NULL;

      data->column = columns[i];
      data->class_func = class_func;
      g_signal_connect (factory, "setup", G_CALLBACK (setup_cell), data);
      g_signal_connect (factory, "bind", G_CALLBACK (bind_cell), data);
      g_object_set_data_full (G_OBJECT (factory), "column-data", data, g_free);
      column = gtk_column_view_column_new (_ (columns[i].title), factory);
      sorter = GTK_SORTER (gtk_custom_sorter_new (compare_items, data, NULL));
      gtk_column_view_column_set_sorter (column, sorter);
      gtk_column_view_column_set_resizable (column, TRUE);
      gtk_column_view_column_set_expand (column, columns[i].number == NULL);
      gtk_column_view_append_column (view, column);
      if (first == NULL)
        first = column;
      g_object_unref (column);
    }
  return first;
}

GtkSingleSelection *
pd_stats_bind_model (GtkColumnView *view, GListStore *store)
{
  GtkSorter          *sorter = gtk_column_view_get_sorter (view);
  GtkSortListModel   *sorted;
  GtkSingleSelection *selection;

  sorted = gtk_sort_list_model_new (G_LIST_MODEL (g_object_ref (store)),
                                    sorter ? g_object_ref (sorter) : NULL);
  selection = gtk_single_selection_new (G_LIST_MODEL (sorted));
  gtk_single_selection_set_autoselect (selection, FALSE);
  gtk_single_selection_set_can_unselect (selection, TRUE);
  gtk_column_view_set_model (view, GTK_SELECTION_MODEL (selection));
  g_object_unref (selection);
  return selection;
}
