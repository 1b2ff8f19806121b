/* pd-traffic-view.c: the Traffic Channels view: which partner may book which examination where. */
#include "config.h"

#include <glib/gi18n.h>

#include "pd-traffic-view.h"

struct _PdTrafficView
{
  GtkWidget parent_instance;

  /* Template widgets */
  GtkDropDown    *institution_dropdown;
  GtkSearchEntry *search_entry;
  GtkDropDown    *kind_dropdown;
  GtkDropDown    *status_dropdown;
  GtkLabel       *summary_label;
  GtkStack       *content_stack;
  AdwStatusPage  *empty_page;
  PdTrafficGrid  *grid;
  GMenuModel     *cell_menu;

  /* Owned */
  GtkWidget       *menu; /* popover on the grid */
  PdStore         *store;
  PdTrafficMatrix *matrix;
  GPtrArray       *institution_ids; /* char*, parallel to the dropdown's items */
  const PdField   *kind_field;
  const PdField   *status_field;
  int              menu_row; /* what the menu acts on; -1: none */
  int              menu_column;
  guint            reload_id;
  guint            dirty : 1;   /* changed while hidden: reload when shown */
  guint            writing : 1; /* our own write: ignore the store's signals */
  guint            filling : 1; /* refilling the dropdowns */
};

G_DEFINE_FINAL_TYPE (PdTrafficView, pd_traffic_view, GTK_TYPE_WIDGET)

/* Toasts and Undo (shared with the Examinations tab) */

void
pd_traffic_toast (GtkWidget *from, const char *message)
{
  GtkWidget       *overlay = gtk_widget_get_ancestor (from, ADW_TYPE_TOAST_OVERLAY);
  g_autofree char *escaped = g_markup_escape_text (message, -1);

  if (overlay != NULL)
    adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), adw_toast_new (escaped));
}

typedef struct
{
  PdStore   *store;
  char      *institution_id;
  gboolean   enabled;     /* what Undo sets the cells to */
  GPtrArray *partner_ids; /* char*, parallel */
  GPtrArray *exam_ids;
} Undo;

static void
undo_free (Undo *undo)
{
  g_object_unref (undo->store);
  g_free (undo->institution_id);
  g_ptr_array_unref (undo->partner_ids);
  g_ptr_array_unref (undo->exam_ids);
  g_free (undo);
}

static Undo *
undo_new (PdStore *store, PdTrafficMatrix *matrix, GArray *cells, gboolean enabled)
{
  Undo *undo = g_new0 (Undo, 1);

  undo->store = g_object_ref (store);
  undo->institution_id = g_strdup (pd_traffic_matrix_get_institution_id (matrix));
  undo->enabled = enabled;
  undo->partner_ids = g_ptr_array_new_with_free_func (g_free);
  undo->exam_ids = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; cells != NULL && i < cells->len; i++)
    {
      PdCell *cell = &g_array_index (cells, PdCell, i);

      g_ptr_array_add (undo->partner_ids,
                       g_strdup (pd_traffic_matrix_get_partner_id (matrix, cell->column)));
      g_ptr_array_add (undo->exam_ids,
                       g_strdup (pd_traffic_matrix_get_examination_id (matrix, cell->row)));
    }
  return undo;
}

/* Undo by ids: the matrix may have been reloaded since. A cell blocked meanwhile is
 * not enabled again. */
static gboolean
undo_run (PdStore *store, gpointer data, GError **error)
{
  Undo *undo = data;

  for (guint i = 0; i < undo->partner_ids->len; i++)
    {
      const char *partner = g_ptr_array_index (undo->partner_ids, i);
      const char *exam = g_ptr_array_index (undo->exam_ids, i);

      if (undo->enabled
          && pd_traffic_check_cell (store, partner, undo->institution_id, exam, NULL) != PD_CELL_OK)
        continue;
      if (!pd_traffic_set_enabled (store, partner, undo->institution_id, exam, undo->enabled,
                                   error))
        return FALSE;
    }
  return TRUE;
}

static void
on_undo (AdwToast *toast, AdwToastOverlay *overlay)
{
  Undo *undo = g_object_get_data (G_OBJECT (toast), "pd-undo");
  g_autoptr (GError) error = NULL;

  if (undo != NULL && !pd_store_transaction (undo->store, undo_run, undo, &error))
    pd_traffic_toast (GTK_WIDGET (overlay), error->message);
}

static void
toast_with_undo (GtkWidget *from, const char *message, Undo *undo)
{
  GtkWidget       *overlay = gtk_widget_get_ancestor (from, ADW_TYPE_TOAST_OVERLAY);
  g_autofree char *escaped = g_markup_escape_text (message, -1);
  AdwToast        *toast;

  if (overlay == NULL)
    {
      undo_free (undo);
      return;
    }
  toast = adw_toast_new (escaped);
  adw_toast_set_button_label (toast, _ ("_Undo"));
  adw_toast_set_priority (toast, ADW_TOAST_PRIORITY_HIGH);
  g_object_set_data_full (G_OBJECT (toast), "pd-undo", undo, (GDestroyNotify)undo_free);
  g_signal_connect_object (toast, "button-clicked", G_CALLBACK (on_undo), overlay, 0);
  adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), toast);
}

gboolean
pd_traffic_toggle_cell (GtkWidget *from, PdStore *store, PdTrafficMatrix *matrix, guint row,
                        guint column, GError **error)
{
  gboolean         enabled = !pd_traffic_matrix_get_enabled (matrix, row, column);
  g_autofree char *label = NULL;
  g_autofree char *message = NULL;
  g_autoptr (GArray) cells = g_array_new (FALSE, FALSE, sizeof (PdCell));
  PdCell cell = { row, column };

  if (!pd_traffic_matrix_set_enabled (matrix, store, row, column, enabled, error))
    return FALSE;
  label = pd_traffic_matrix_dup_cell_label (matrix, row, column);
  /* TRANSLATORS: a toast; %s is "EXAMINATION for PARTNER at INSTITUTION" */
  message = g_strdup_printf (enabled ? _ ("Enabled: %s") : _ ("Disabled: %s"), label);
  g_array_append_val (cells, cell);
  toast_with_undo (from, message, undo_new (store, matrix, cells, !enabled));
  return TRUE;
}

/* Loading */

static const char *
dropdown_nick (GtkDropDown *dropdown, const PdField *field)
{
  guint selected = gtk_drop_down_get_selected (dropdown);

  if (field == NULL || field->choices == NULL || selected == 0
      || selected == GTK_INVALID_LIST_POSITION)
    return NULL;
  return field->choices[selected - 1].nick;
}

const char *
pd_traffic_view_get_institution_id (PdTrafficView *self)
{
  guint selected;

  g_return_val_if_fail (PD_IS_TRAFFIC_VIEW (self), NULL);
  selected = gtk_drop_down_get_selected (self->institution_dropdown);
  if (selected >= self->institution_ids->len)
    return NULL;
  return g_ptr_array_index (self->institution_ids, selected);
}

static void
show_empty (PdTrafficView *self, const char *title, const char *description)
{
  adw_status_page_set_title (self->empty_page, title);
  adw_status_page_set_description (self->empty_page, description);
  gtk_stack_set_visible_child_name (self->content_stack, "empty");
  gtk_label_set_text (self->summary_label, "");
}

static void
show_matrix (PdTrafficView *self)
{
  guint            rows = pd_traffic_matrix_get_n_rows (self->matrix);
  guint            columns = pd_traffic_matrix_get_n_columns (self->matrix);
  g_autofree char *summary = NULL;

  pd_traffic_grid_set_matrix (self->grid, self->matrix);
  if (rows == 0 || columns == 0)
    {
      show_empty (self, _ ("Nothing to Show"),
                  rows == 0 ? _ ("No examinations match the search.")
                            : _ ("No partners match the filters."));
      return;
    }
  /* TRANSLATORS: the size of the matrix: "Examinations: 30 · Partners: 46" */
  summary = g_strdup_printf (_ ("Examinations: %u · Partners: %u"), rows, columns);
  gtk_label_set_text (self->summary_label, summary);
  gtk_stack_set_visible_child_name (self->content_stack, "grid");
}

void
pd_traffic_view_reload (PdTrafficView *self)
{
  const char *institution_id = pd_traffic_view_get_institution_id (self);
  g_autoptr (GError) error = NULL;
  PdTrafficFilter filter = { 0 };

  g_return_if_fail (PD_IS_TRAFFIC_VIEW (self));
  g_clear_handle_id (&self->reload_id, g_source_remove);
  self->dirty = FALSE;
  g_clear_pointer (&self->matrix, pd_traffic_matrix_unref);
  if (self->store == NULL || institution_id == NULL)
    {
      pd_traffic_grid_set_matrix (self->grid, NULL);
      show_empty (self, _ ("No Institutions"),
                  _ ("Add the practice’s institutions to set up traffic channels."));
      return;
    }
  filter.search = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));
  filter.partner_kind = dropdown_nick (self->kind_dropdown, self->kind_field);
  filter.partner_status = dropdown_nick (self->status_dropdown, self->status_field);
  self->matrix = pd_traffic_matrix_load (self->store, institution_id, &filter, &error);
  if (self->matrix == NULL)
    {
      pd_traffic_grid_set_matrix (self->grid, NULL);
      show_empty (self, _ ("Cannot Show the Traffic Channels"), error->message);
      return;
    }
  show_matrix (self);
}

static gboolean
reload_idle (gpointer data)
{
  PdTrafficView *self = data;

  self->reload_id = 0;
  pd_traffic_view_reload (self);
  return G_SOURCE_REMOVE;
}

/* Changes from elsewhere: reload soon when shown, or when next shown. */
static void
queue_reload (PdTrafficView *self)
{
  if (!gtk_widget_get_mapped (GTK_WIDGET (self)))
    {
      self->dirty = TRUE;
      return;
    }
  if (self->reload_id == 0)
    self->reload_id = g_idle_add_full (G_PRIORITY_HIGH_IDLE, reload_idle, self, NULL);
}

static void
fill_institutions (PdTrafficView *self)
{
  g_autoptr (GPtrArray) records = NULL;
  g_autoptr (GtkStringList) names = gtk_string_list_new (NULL);
  g_autofree char *current = g_strdup (pd_traffic_view_get_institution_id (self));
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

static gboolean
is_traffic_collection (const char *collection)
{
  static const char *const watched[]
      = { "activation", "partner", "examination", "examination_price", "institution", NULL };

  return collection != NULL && g_strv_contains (watched, collection);
}

static void
on_record_changed (PdStore *store, const char *collection, const char *id, PdTrafficView *self)
{
  if (self->writing || !is_traffic_collection (collection))
    return;
  if (g_strcmp0 (collection, "institution") == 0)
    fill_institutions (self);
  queue_reload (self);
}

static void
on_collection_changed (PdStore *store, const char *collection, const char *partner_id,
                       PdTrafficView *self)
{
  on_record_changed (store, collection, NULL, self);
}

static void
on_filters_changed (PdTrafficView *self)
{
  if (self->filling)
    return;
  if (gtk_widget_get_mapped (GTK_WIDGET (self)))
    pd_traffic_view_reload (self);
  else
    self->dirty = TRUE;
}

static void
pd_traffic_view_map (GtkWidget *widget)
{
  PdTrafficView *self = PD_TRAFFIC_VIEW (widget);

  /* Before the first frame that shows the view. */
  if (self->dirty)
    pd_traffic_view_reload (self);
  GTK_WIDGET_CLASS (pd_traffic_view_parent_class)->map (widget);
}

/* Toggling */

static void
on_toggle_cell (PdTrafficGrid *grid, guint row, guint column, PdTrafficView *self)
{
  g_autoptr (GError) error = NULL;
  gboolean ok;

  if (self->matrix == NULL)
    return;
  self->writing = TRUE;
  ok = pd_traffic_toggle_cell (GTK_WIDGET (self), self->store, self->matrix, row, column, &error);
  self->writing = FALSE;
  if (!ok)
    {
      pd_traffic_toast (GTK_WIDGET (self), error->message);
      gtk_widget_error_bell (GTK_WIDGET (self->grid));
      return;
    }
  pd_traffic_grid_cell_changed (self->grid, row, column);
}

/* Whole rows and columns: ask first, then Undo. */

static guint
count_changes (PdTrafficMatrix *matrix, int row, int column, gboolean enabled)
{
  guint n
      = row >= 0 ? pd_traffic_matrix_get_n_columns (matrix) : pd_traffic_matrix_get_n_rows (matrix);
  guint count = 0;

  for (guint i = 0; i < n; i++)
    {
      guint r = row >= 0 ? (guint)row : i;
      guint c = column >= 0 ? (guint)column : i;

      if (pd_traffic_matrix_get_enabled (matrix, r, c) == enabled)
        continue;
      if (enabled && pd_traffic_matrix_get_block (matrix, r, c) != PD_CELL_OK)
        continue;
      count++;
    }
  return count;
}

static void
apply_line (PdTrafficView *self, const char *exam_id, const char *partner_id, gboolean enabled)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) changed = NULL;
  g_autofree char *message = NULL;
  int              row = exam_id ? pd_traffic_matrix_find_row (self->matrix, exam_id) : -1;
  int      column = partner_id ? pd_traffic_matrix_find_column (self->matrix, partner_id) : -1;
  guint    n = 0;
  gboolean ok;

  if ((exam_id && row < 0) || (partner_id && column < 0))
    return; /* no longer shown */
  self->writing = TRUE;
  if (row >= 0)
    ok = pd_traffic_matrix_set_row (self->matrix, self->store, row, enabled, &changed, &n, &error);
  else
    ok = pd_traffic_matrix_set_column (self->matrix, self->store, column, enabled, &changed, &n,
                                       &error);
  self->writing = FALSE;
  if (!ok)
    {
      pd_traffic_toast (GTK_WIDGET (self), error->message);
      return;
    }
  message = g_strdup_printf (enabled ? ngettext ("%u cell enabled", "%u cells enabled", n)
                                     : ngettext ("%u cell disabled", "%u cells disabled", n),
                             n);
  toast_with_undo (GTK_WIDGET (self), message,
                   undo_new (self->store, self->matrix, changed, !enabled));
  pd_traffic_grid_cell_changed (self->grid, MAX (row, 0), MAX (column, 0));
}

static void
on_line_response (AdwMessageDialog *dialog, const char *response, PdTrafficView *self)
{
  if (g_strcmp0 (response, "apply") != 0 || self->matrix == NULL)
    return;
  apply_line (self, g_object_get_data (G_OBJECT (dialog), "exam-id"),
              g_object_get_data (G_OBJECT (dialog), "partner-id"),
              GPOINTER_TO_INT (g_object_get_data (G_OBJECT (dialog), "enabled")));
}

static char *
line_heading (PdTrafficView *self, int row, int column, gboolean enabled)
{
  const char *exam = row >= 0 ? pd_traffic_matrix_get_examination_name (self->matrix, row) : NULL;
  const char *partner
      = column >= 0 ? pd_traffic_matrix_get_partner_name (self->matrix, column) : NULL;

  if (exam != NULL)
    /* TRANSLATORS: %s is an examination */
    return g_strdup_printf (
        enabled ? _ ("Enable “%s” for All Partners?") : _ ("Disable “%s” for All Partners?"), exam);
  /* TRANSLATORS: %s is a partner */
  return g_strdup_printf (enabled ? _ ("Enable All Examinations for “%s”?")
                                  : _ ("Disable All Examinations for “%s”?"),
                          partner);
}

/* Asks before setting the whole ROW or COLUMN (the other is -1). */
static void
ask_line (PdTrafficView *self, int row, int column, gboolean enabled)
{
  guint            n = count_changes (self->matrix, row, column, enabled);
  g_autofree char *heading = NULL;
  g_autofree char *body = NULL;
  GtkWidget       *dialog;
  GtkRoot         *root = gtk_widget_get_root (GTK_WIDGET (self));

  if (n == 0)
    {
      pd_traffic_toast (GTK_WIDGET (self), _ ("Nothing to change"));
      return;
    }
  heading = line_heading (self, row, column, enabled);
  /* TRANSLATORS: %u cells, %s an institution */
  body = g_strdup_printf (
      ngettext ("%u cell changes at %s. Cells that cannot be enabled are left as they are.",
                "%u cells change at %s. Cells that cannot be enabled are left as they are.", n),
      n, pd_traffic_matrix_get_institution_name (self->matrix));
  dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, heading, body);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _ ("_Cancel"), "apply",
                                    enabled ? _ ("_Enable") : _ ("_Disable"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "apply",
                                              enabled ? ADW_RESPONSE_SUGGESTED
                                                      : ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  if (row >= 0)
    g_object_set_data_full (G_OBJECT (dialog), "exam-id",
                            g_strdup (pd_traffic_matrix_get_examination_id (self->matrix, row)),
                            g_free);
  else
    g_object_set_data_full (G_OBJECT (dialog), "partner-id",
                            g_strdup (pd_traffic_matrix_get_partner_id (self->matrix, column)),
                            g_free);
  g_object_set_data (G_OBJECT (dialog), "enabled", GINT_TO_POINTER (enabled));
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_line_response), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
set_row_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  PdTrafficView *self = PD_TRAFFIC_VIEW (widget);

  if (self->matrix != NULL && self->menu_row >= 0
      && (guint)self->menu_row < pd_traffic_matrix_get_n_rows (self->matrix))
    ask_line (self, self->menu_row, -1, g_variant_get_boolean (parameter));
}

static void
set_column_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  PdTrafficView *self = PD_TRAFFIC_VIEW (widget);

  if (self->matrix != NULL && self->menu_column >= 0
      && (guint)self->menu_column < pd_traffic_matrix_get_n_columns (self->matrix))
    ask_line (self, -1, self->menu_column, g_variant_get_boolean (parameter));
}

static void
search_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  gtk_widget_grab_focus (GTK_WIDGET (PD_TRAFFIC_VIEW (widget)->search_entry));
}

static void
on_popup_menu (PdTrafficGrid *grid, int row, int column, double x, double y, PdTrafficView *self)
{
  self->menu_row = row;
  self->menu_column = column;
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "traffic.set-row", row >= 0);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "traffic.set-column", column >= 0);
  gtk_popover_set_pointing_to (GTK_POPOVER (self->menu), &(GdkRectangle){ (int)x, (int)y, 1, 1 });
  gtk_popover_popup (GTK_POPOVER (self->menu));
}

/* Set-up */

static void
setup_dropdown (GtkDropDown *dropdown, const PdField *field, const char *all_label)
{
  g_autoptr (GtkStringList) list = gtk_string_list_new (NULL);

  gtk_string_list_append (list, all_label);
  for (guint i = 0; field != NULL && field->choices != NULL && field->choices[i].nick != NULL; i++)
    gtk_string_list_append (list, _ (field->choices[i].label));
  gtk_drop_down_set_model (dropdown, G_LIST_MODEL (list));
  gtk_drop_down_set_selected (dropdown, 0);
}

static void
pd_traffic_view_dispose (GObject *object)
{
  PdTrafficView *self = PD_TRAFFIC_VIEW (object);
  GtkWidget     *child;

  g_clear_handle_id (&self->reload_id, g_source_remove);
  if (self->store != NULL)
    g_signal_handlers_disconnect_by_data (self->store, self);
  g_clear_pointer (&self->menu, gtk_widget_unparent);
  gtk_widget_dispose_template (GTK_WIDGET (self), PD_TYPE_TRAFFIC_VIEW);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  g_clear_object (&self->store);
  g_clear_pointer (&self->matrix, pd_traffic_matrix_unref);
  g_clear_pointer (&self->institution_ids, g_ptr_array_unref);
  G_OBJECT_CLASS (pd_traffic_view_parent_class)->dispose (object);
}

static void
pd_traffic_view_class_init (PdTrafficViewClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = pd_traffic_view_dispose;
  widget_class->map = pd_traffic_view_map;

  g_type_ensure (PD_TYPE_TRAFFIC_GRID);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "pdtrafficview");
  gtk_widget_class_set_template_from_resource (
      widget_class, "/io/github/partnerdesk/PartnerDesk/ui/pd-traffic-view.ui");
  gtk_widget_class_bind_template_child (widget_class, PdTrafficView, institution_dropdown);
  gtk_widget_class_bind_template_child (widget_class, PdTrafficView, search_entry);
  gtk_widget_class_bind_template_child (widget_class, PdTrafficView, kind_dropdown);
  gtk_widget_class_bind_template_child (widget_class, PdTrafficView, status_dropdown);
  gtk_widget_class_bind_template_child (widget_class, PdTrafficView, summary_label);
  gtk_widget_class_bind_template_child (widget_class, PdTrafficView, content_stack);
  gtk_widget_class_bind_template_child (widget_class, PdTrafficView, empty_page);
  gtk_widget_class_bind_template_child (widget_class, PdTrafficView, grid);
  gtk_widget_class_bind_template_child (widget_class, PdTrafficView, cell_menu);

  gtk_widget_class_install_action (widget_class, "traffic.set-row", "b", set_row_action);
  gtk_widget_class_install_action (widget_class, "traffic.set-column", "b", set_column_action);
  gtk_widget_class_install_action (widget_class, "view.search", NULL, search_action);
}

static void
pd_traffic_view_init (PdTrafficView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->institution_ids = g_ptr_array_new_with_free_func (g_free);
  self->menu_row = self->menu_column = -1;
  self->kind_field = pd_record_type_get_field (&pd_partner_type, "kind");
  self->status_field = pd_record_type_get_field (&pd_partner_type, "status");
  setup_dropdown (self->kind_dropdown, self->kind_field, _ ("All kinds"));
  setup_dropdown (self->status_dropdown, self->status_field, _ ("All statuses"));
  self->menu = gtk_popover_menu_new_from_model (self->cell_menu);
  gtk_widget_set_parent (self->menu, GTK_WIDGET (self->grid));
  gtk_popover_set_position (GTK_POPOVER (self->menu), GTK_POS_BOTTOM);

  g_signal_connect_swapped (self->institution_dropdown, "notify::selected",
                            G_CALLBACK (on_filters_changed), self);
  g_signal_connect_swapped (self->kind_dropdown, "notify::selected",
                            G_CALLBACK (on_filters_changed), self);
  g_signal_connect_swapped (self->status_dropdown, "notify::selected",
                            G_CALLBACK (on_filters_changed), self);
  g_signal_connect_swapped (self->search_entry, "search-changed", G_CALLBACK (on_filters_changed),
                            self);
  g_signal_connect (self->grid, "toggle-cell", G_CALLBACK (on_toggle_cell), self);
  g_signal_connect (self->grid, "popup-menu", G_CALLBACK (on_popup_menu), self);
}

PdTrafficView *
pd_traffic_view_new (PdStore *store)
{
  PdTrafficView *self = g_object_new (PD_TYPE_TRAFFIC_VIEW, NULL);

  g_return_val_if_fail (store == NULL || PD_IS_STORE (store), self);
  if (store != NULL)
    {
      self->store = g_object_ref (store);
      g_signal_connect (store, "record-changed", G_CALLBACK (on_record_changed), self);
      g_signal_connect (store, "collection-changed", G_CALLBACK (on_collection_changed), self);
    }
  fill_institutions (self);
  self->dirty = TRUE; /* loaded when first shown */
  return self;
}

gboolean
pd_traffic_view_set_institution (PdTrafficView *self, const char *institution_id)
{
  g_return_val_if_fail (PD_IS_TRAFFIC_VIEW (self), FALSE);

  for (guint i = 0; i < self->institution_ids->len; i++)
    if (g_strcmp0 (g_ptr_array_index (self->institution_ids, i), institution_id) == 0)
      {
        gtk_drop_down_set_selected (self->institution_dropdown, i);
        return TRUE;
      }
  return FALSE;
}

PdTrafficGrid *
pd_traffic_view_get_grid (PdTrafficView *self)
{
  g_return_val_if_fail (PD_IS_TRAFFIC_VIEW (self), NULL);
  return self->grid;
}

PdTrafficMatrix *
pd_traffic_view_get_matrix (PdTrafficView *self)
{
  g_return_val_if_fail (PD_IS_TRAFFIC_VIEW (self), NULL);
  return self->matrix;
}
