/* pd-exams-page.c: the partner's Examinations tab: a checklist of examinations per institution. */
#include "config.h"

#include <glib/gi18n.h>

#include "pd-exams-page.h"
#include "pd-traffic-view.h"

/* The list's items: a row of the one-column matrix. */
#define PD_TYPE_EXAM_ITEM (pd_exam_item_get_type ())
G_DECLARE_FINAL_TYPE (PdExamItem, pd_exam_item, PD, EXAM_ITEM, GObject)

struct _PdExamItem
{
  GObject parent_instance;
  guint   row;
};

G_DEFINE_FINAL_TYPE (PdExamItem, pd_exam_item, G_TYPE_OBJECT)

static void
pd_exam_item_class_init (PdExamItemClass *klass)
{
}

static void
pd_exam_item_init (PdExamItem *self)
{
}

struct _PdExamsPage
{
  GtkWidget parent_instance;

  /* Template widgets */
  GtkDropDown    *institution_dropdown;
  GtkSearchEntry *search_entry;
  GtkLabel       *summary_label;
  GtkStack       *stack;
  GtkListView    *list_view;
  AdwStatusPage  *empty_page;

  /* Owned */
  PdStore         *store;
  char            *partner_id;
  PdTrafficMatrix *matrix;
  GListStore      *items;           /* PdExamItem */
  GPtrArray       *institution_ids; /* parallel to the dropdown */
  GHashTable      *bound;           /* GtkListItem bound to an item */
  guint            reload_id;
  guint            dirty : 1;
  guint            writing : 1;
  guint            filling : 1;
  guint            binding : 1;
};

G_DEFINE_FINAL_TYPE (PdExamsPage, pd_exams_page, GTK_TYPE_WIDGET)

static const char *
current_institution (PdExamsPage *self)
{
  guint selected = gtk_drop_down_get_selected (self->institution_dropdown);

  return selected < self->institution_ids->len ? g_ptr_array_index (self->institution_ids, selected)
                                               : NULL;
}

/* Rows */

static void
on_check_toggled (GtkCheckButton *check, PdExamsPage *self)
{
  GtkListItem *item = g_object_get_data (G_OBJECT (check), "pd-list-item");
  PdExamItem  *exam = item ? gtk_list_item_get_item (item) : NULL;
  g_autoptr (GError) error = NULL;
  gboolean ok;

  if (self->binding || exam == NULL || self->matrix == NULL)
    return;
  if (gtk_check_button_get_active (check)
      == pd_traffic_matrix_get_enabled (self->matrix, exam->row, 0))
    return;
  self->writing = TRUE;
  ok = pd_traffic_toggle_cell (GTK_WIDGET (self), self->store, self->matrix, exam->row, 0, &error);
  self->writing = FALSE;
  if (!ok)
    {
      pd_traffic_toast (GTK_WIDGET (self), error->message);
      self->binding = TRUE;
      gtk_check_button_set_active (check,
                                   pd_traffic_matrix_get_enabled (self->matrix, exam->row, 0));
      self->binding = FALSE;
    }
}

static void
setup_row (GtkSignalListItemFactory *factory, GtkListItem *item, PdExamsPage *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *check = gtk_check_button_new ();
  GtkWidget *code = gtk_label_new (NULL);
  GtkWidget *price = gtk_label_new (NULL);

  gtk_widget_set_hexpand (check, TRUE);
  gtk_widget_add_css_class (code, "dim-label");
  gtk_widget_add_css_class (price, "dim-label");
  gtk_widget_add_css_class (price, "numeric");
  gtk_box_append (GTK_BOX (box), check);
  gtk_box_append (GTK_BOX (box), code);
  gtk_box_append (GTK_BOX (box), price);
  gtk_widget_set_margin_start (box, 6);
  gtk_widget_set_margin_end (box, 6);
  g_object_set_data (G_OBJECT (check), "pd-list-item", item);
  g_signal_connect (check, "toggled", G_CALLBACK (on_check_toggled), self);
  gtk_list_item_set_child (item, box);
  gtk_list_item_set_activatable (item, FALSE);
}

static void
bind_row (GtkSignalListItemFactory *factory, GtkListItem *item, PdExamsPage *self)
{
  PdExamItem      *exam = gtk_list_item_get_item (item);
  GtkWidget       *box = gtk_list_item_get_child (item);
  GtkWidget       *check = gtk_widget_get_first_child (box);
  GtkWidget       *code = gtk_widget_get_next_sibling (check);
  GtkWidget       *price_label = gtk_widget_get_next_sibling (code);
  g_autofree char *label = pd_traffic_matrix_dup_cell_label (self->matrix, exam->row, 0);
  g_autofree char *reason = pd_traffic_matrix_describe_block (self->matrix, exam->row, 0);
  g_autofree char *price_text = NULL;
  gboolean         enabled = pd_traffic_matrix_get_enabled (self->matrix, exam->row, 0);
  gint64           price;

  g_hash_table_add (self->bound, item);
  self->binding = TRUE;
  gtk_check_button_set_label (GTK_CHECK_BUTTON (check),
                              pd_traffic_matrix_get_examination_name (self->matrix, exam->row));
  gtk_check_button_set_active (GTK_CHECK_BUTTON (check), enabled);
  self->binding = FALSE;
  /* A blocked cell can still be disabled, never enabled. */
  gtk_widget_set_sensitive (check, reason == NULL || enabled);
  gtk_widget_set_tooltip_text (box, reason);
  gtk_accessible_update_property (GTK_ACCESSIBLE (check), GTK_ACCESSIBLE_PROPERTY_LABEL, label,
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, reason ? reason : "", -1);
  gtk_label_set_text (GTK_LABEL (code),
                      pd_traffic_matrix_get_examination_code (self->matrix, exam->row));
  if (pd_traffic_matrix_get_price (self->matrix, exam->row, &price))
    price_text = pd_money_format (price, pd_money_get_currency ());
  gtk_label_set_text (GTK_LABEL (price_label), price_text ? price_text : _ ("Not offered"));
}

static void
unbind_row (GtkSignalListItemFactory *factory, GtkListItem *item, PdExamsPage *self)
{
  g_hash_table_remove (self->bound, item);
}

/* Loading */

static void
show_empty (PdExamsPage *self, const char *title, const char *description)
{
  adw_status_page_set_title (self->empty_page, title);
  adw_status_page_set_description (self->empty_page, description);
  gtk_stack_set_visible_child_name (self->stack, "empty");
}

/* The reason that blocks every cell (the partner's own), or NULL. */
static char *
partner_block (PdTrafficMatrix *matrix)
{
  PdCellBlock block;

  if (pd_traffic_matrix_get_n_rows (matrix) == 0)
    return NULL;
  block = pd_traffic_matrix_get_block (matrix, 0, 0);
  if (block != PD_CELL_PARTNER_NOT_ACTIVE && block != PD_CELL_INSTITUTION_NOT_ALLOWED)
    return NULL;
  return pd_traffic_matrix_describe_block (matrix, 0, 0);
}

static void
show_matrix (PdExamsPage *self)
{
  guint rows = pd_traffic_matrix_get_n_rows (self->matrix);
  g_autoptr (GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);
  g_autofree char *reason = partner_block (self->matrix);
  g_autofree char *summary = NULL;
  guint            enabled = rows > 0 ? pd_traffic_matrix_count_column (self->matrix, 0) : 0;

  for (guint i = 0; i < rows; i++)
    {
      PdExamItem *item = g_object_new (PD_TYPE_EXAM_ITEM, NULL);

      item->row = i;
      g_ptr_array_add (items, item);
    }
  g_list_store_splice (self->items, 0, g_list_model_get_n_items (G_LIST_MODEL (self->items)),
                       items->pdata, items->len);
  /* TRANSLATORS: "12 of 30 examinations enabled at Riverside Medical Centre" */
  summary = g_strdup_printf (
      ngettext ("%u of %u examination enabled at %s", "%u of %u examinations enabled at %s", rows),
      enabled, rows, pd_traffic_matrix_get_institution_name (self->matrix));
  if (reason != NULL)
    {
      g_autofree char *both = g_strdup_printf ("%s — %s", summary, reason);

      gtk_label_set_text (self->summary_label, both);
    }
  else
    gtk_label_set_text (self->summary_label, summary);
  if (rows == 0)
    show_empty (self, _ ("No Examinations"), _ ("No examinations match the search."));
  else
    gtk_stack_set_visible_child_name (self->stack, "list");
}

void
pd_exams_page_reload (PdExamsPage *self)
{
  const char *institution_id = current_institution (self);
  g_autoptr (GError) error = NULL;
  PdTrafficFilter filter = { 0 };

  g_return_if_fail (PD_IS_EXAMS_PAGE (self));
  g_clear_handle_id (&self->reload_id, g_source_remove);
  self->dirty = FALSE;
  g_list_store_remove_all (self->items);
  g_clear_pointer (&self->matrix, pd_traffic_matrix_unref);
  gtk_label_set_text (self->summary_label, "");
  if (self->store == NULL || self->partner_id == NULL)
    {
      show_empty (self, _ ("No Partner"), NULL);
      return;
    }
  if (institution_id == NULL)
    {
      show_empty (self, _ ("No Institutions"),
                  _ ("Add the practice’s institutions to set up traffic channels."));
      return;
    }
  filter.partner_id = self->partner_id;
  filter.search = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));
  self->matrix = pd_traffic_matrix_load (self->store, institution_id, &filter, &error);
  if (self->matrix == NULL)
    show_empty (self, _ ("Cannot Show the Examinations"), error->message);
  else if (pd_traffic_matrix_get_n_columns (self->matrix) == 0)
    {
      g_clear_pointer (&self->matrix, pd_traffic_matrix_unref);
      show_empty (self, _ ("No Partner"), NULL);
    }
  else
    show_matrix (self);
}

static gboolean
reload_idle (gpointer data)
{
  PdExamsPage *self = data;

  self->reload_id = 0;
  pd_exams_page_reload (self);
  return G_SOURCE_REMOVE;
}

static void
queue_reload (PdExamsPage *self)
{
  if (!gtk_widget_get_mapped (GTK_WIDGET (self)))
    self->dirty = TRUE;
  else if (self->reload_id == 0)
    self->reload_id = g_idle_add_full (G_PRIORITY_HIGH_IDLE, reload_idle, self, NULL);
}

static void
fill_institutions (PdExamsPage *self)
{
  g_autoptr (GPtrArray) records = NULL;
  g_autoptr (GtkStringList) names = gtk_string_list_new (NULL);
  g_autofree char *current = g_strdup (current_institution (self));
  guint            selected = 0;

  if (self->store != NULL)
    records = pd_store_list (self->store, &pd_institution_type, NULL, NULL, NULL);
  g_ptr_array_set_size (self->institution_ids, 0);
  for (guint i = 0; records != NULL && i < records->len; i++)
    {
      PdRecord *inst = g_ptr_array_index (records, i);

      if (g_strcmp0 (pd_record_get_id (inst), current) == 0)
        selected = i;
      g_ptr_array_add (self->institution_ids, g_strdup (pd_record_get_id (inst)));
      gtk_string_list_append (names, pd_record_get_title (inst));
    }
  self->filling = TRUE;
  gtk_drop_down_set_model (self->institution_dropdown, G_LIST_MODEL (names));
  gtk_drop_down_set_selected (self->institution_dropdown, selected);
  self->filling = FALSE;
}

static void
on_record_changed (PdStore *store, const char *collection, const char *id, PdExamsPage *self)
{
  static const char *const watched[]
      = { "activation", "partner", "examination", "examination_price", "institution", NULL };

  if (self->writing || collection == NULL || !g_strv_contains (watched, collection))
    return;
  if (g_strcmp0 (collection, "institution") == 0)
    fill_institutions (self);
  queue_reload (self);
}

static void
on_collection_changed (PdStore *store, const char *collection, const char *partner_id,
                       PdExamsPage *self)
{
  on_record_changed (store, collection, NULL, self);
}

static void
on_filters_changed (PdExamsPage *self)
{
  if (self->filling)
    return;
  if (gtk_widget_get_mapped (GTK_WIDGET (self)))
    pd_exams_page_reload (self);
  else
    self->dirty = TRUE;
}

static void
pd_exams_page_map (GtkWidget *widget)
{
  PdExamsPage *self = PD_EXAMS_PAGE (widget);

  if (self->dirty)
    pd_exams_page_reload (self);
  GTK_WIDGET_CLASS (pd_exams_page_parent_class)->map (widget);
}

static void
pd_exams_page_dispose (GObject *object)
{
  PdExamsPage *self = PD_EXAMS_PAGE (object);
  GtkWidget   *child;

  g_clear_handle_id (&self->reload_id, g_source_remove);
  if (self->store != NULL)
    g_signal_handlers_disconnect_by_data (self->store, self);
  gtk_widget_dispose_template (GTK_WIDGET (self), PD_TYPE_EXAMS_PAGE);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  g_clear_object (&self->store);
  g_clear_object (&self->items);
  g_clear_pointer (&self->matrix, pd_traffic_matrix_unref);
  g_clear_pointer (&self->partner_id, g_free);
  g_clear_pointer (&self->institution_ids, g_ptr_array_unref);
  g_clear_pointer (&self->bound, g_hash_table_unref);
  G_OBJECT_CLASS (pd_exams_page_parent_class)->dispose (object);
}

static void
pd_exams_page_class_init (PdExamsPageClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = pd_exams_page_dispose;
  widget_class->map = pd_exams_page_map;

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "pdexamspage");
  gtk_widget_class_set_template_from_resource (
      widget_class, "/io/github/partnerdesk/PartnerDesk/ui/pd-exams-page.ui");
  gtk_widget_class_bind_template_child (widget_class, PdExamsPage, institution_dropdown);
  gtk_widget_class_bind_template_child (widget_class, PdExamsPage, search_entry);
  gtk_widget_class_bind_template_child (widget_class, PdExamsPage, summary_label);
  gtk_widget_class_bind_template_child (widget_class, PdExamsPage, stack);
  gtk_widget_class_bind_template_child (widget_class, PdExamsPage, list_view);
  gtk_widget_class_bind_template_child (widget_class, PdExamsPage, empty_page);
}

static void
pd_exams_page_init (PdExamsPage *self)
{
  g_autoptr (GtkListItemFactory) factory = gtk_signal_list_item_factory_new ();

  gtk_widget_init_template (GTK_WIDGET (self));
  self->institution_ids = g_ptr_array_new_with_free_func (g_free);
  self->bound = g_hash_table_new (NULL, NULL);
  self->items = g_list_store_new (PD_TYPE_EXAM_ITEM);
  g_signal_connect (factory, "setup", G_CALLBACK (setup_row), self);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_row), self);
  g_signal_connect (factory, "unbind", G_CALLBACK (unbind_row), self);
  g_signal_connect (factory, "teardown", G_CALLBACK (unbind_row), self);
  gtk_list_view_set_factory (self->list_view, factory);
  gtk_list_view_set_model (self->list_view, GTK_SELECTION_MODEL (gtk_no_selection_new (
                                                G_LIST_MODEL (g_object_ref (self->items)))));
  g_signal_connect_swapped (self->institution_dropdown, "notify::selected",
                            G_CALLBACK (on_filters_changed), self);
  g_signal_connect_swapped (self->search_entry, "search-changed", G_CALLBACK (on_filters_changed),
                            self);
}

PdExamsPage *
pd_exams_page_new (PdStore *store)
{
  PdExamsPage *self = g_object_new (PD_TYPE_EXAMS_PAGE, NULL);

  if (store != NULL)
    {
      self->store = g_object_ref (store);
      g_signal_connect (store, "record-changed", G_CALLBACK (on_record_changed), self);
      g_signal_connect (store, "collection-changed", G_CALLBACK (on_collection_changed), self);
    }
  fill_institutions (self);
  self->dirty = TRUE;
  return self;
}

void
pd_exams_page_set_partner_id (PdExamsPage *self, const char *partner_id)
{
  g_return_if_fail (PD_IS_EXAMS_PAGE (self));

  if (g_strcmp0 (partner_id, self->partner_id) == 0)
    return;
  g_free (self->partner_id);
  self->partner_id = g_strdup (partner_id);
  if (gtk_widget_get_mapped (GTK_WIDGET (self)))
    pd_exams_page_reload (self);
  else
    self->dirty = TRUE;
}

gboolean
pd_exams_page_set_institution (PdExamsPage *self, const char *institution_id)
{
  g_return_val_if_fail (PD_IS_EXAMS_PAGE (self), FALSE);

  for (guint i = 0; i < self->institution_ids->len; i++)
    if (g_strcmp0 (g_ptr_array_index (self->institution_ids, i), institution_id) == 0)
      {
        gtk_drop_down_set_selected (self->institution_dropdown, i);
        return TRUE;
      }
  return FALSE;
}

PdTrafficMatrix *
pd_exams_page_get_matrix (PdExamsPage *self)
{
  g_return_val_if_fail (PD_IS_EXAMS_PAGE (self), NULL);
  return self->matrix;
}

GtkWidget *
pd_exams_page_get_check (PdExamsPage *self, const char *examination_id)
{
  GHashTableIter iter;
  gpointer       key;

  g_return_val_if_fail (PD_IS_EXAMS_PAGE (self), NULL);
  if (self->matrix == NULL)
    return NULL;
  g_hash_table_iter_init (&iter, self->bound);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      PdExamItem *exam = gtk_list_item_get_item (key);

      if (exam != NULL
          && g_strcmp0 (pd_traffic_matrix_get_examination_id (self->matrix, exam->row),
                        examination_id)
                 == 0)
        return gtk_widget_get_first_child (gtk_list_item_get_child (key));
    }
  return NULL;
}
