/* pd-window.c: the main window: the partner list with search and filters, sidebar and notebook. */
#include "config.h"

#include <glib/gi18n.h>

#include "pd-window-private.h"
#include "pd-application.h"
#include "pd-conflicts-dialog.h"
#include "pd-history-page.h"
#include "pd-import-dialog.h"
#include "pd-partner-row.h"
#include "pd-people-page.h"
#include "pd-uploads-page.h"
#include "pd-users-page.h"
#include "pd-traffic-view.h"
#include "pd-exams-page.h"
#include "pd-benefits-page.h"
#include "pd-statistics-page.h"
#include "pd-statistics-view.h"

G_DEFINE_FINAL_TYPE (PdWindow, pd_window, ADW_TYPE_APPLICATION_WINDOW)

/* The notebook's tabs: adding a section is one line here. Each page has
 * PREFIX_new (PdStore *) and PREFIX_set_partner_id (page, const char *). */
typedef GtkWidget *(*PdPageNewFunc) (PdStore *store);
typedef void (*PdPageSetPartnerFunc) (GtkWidget *page, const char *partner_id);

typedef struct
{
  const char          *title;
  PdPageNewFunc        page_new;
  PdPageSetPartnerFunc set_partner_id;
} PdWindowTab;

#define PD_TAB(title, prefix)                                                                      \
  {                                                                                                \
    title, (PdPageNewFunc)(void (*) (void))prefix##_new,                                           \
        (PdPageSetPartnerFunc)(void (*) (void))prefix##_set_partner_id                             \
  }

static const PdWindowTab tabs[] = {
  PD_TAB (N_ ("People"), pd_people_page),
  PD_TAB (N_ ("Benefits"), pd_benefits_page),
  PD_TAB (N_ ("Users"), pd_users_page),
  PD_TAB (N_ ("Examinations"), pd_exams_page),
  PD_TAB (N_ ("Statistics"), pd_statistics_page),
  PD_TAB (N_ ("History"), pd_history_page),
  PD_TAB (N_ ("Upload History"), pd_uploads_page),
};

/* The list view's items. GTK 4.8's list view drops and re-creates the row
 * widgets (about 200) of every item that changes, which costs 15–25 ms when
 * a keystroke changes the whole visible list of 10,000 partners. So the view
 * shows slots, one per position, that never change: a refilter only changes
 * how many slots there are, and the bound rows are re-pointed at the partner
 * now at their position (on_visible_changed). */
#define PD_TYPE_LIST_SLOT (pd_list_slot_get_type ())
G_DECLARE_FINAL_TYPE (PdListSlot, pd_list_slot, PD, LIST_SLOT, GObject)

struct _PdListSlot
{
  GObject parent_instance;
  guint   position;
};

G_DEFINE_FINAL_TYPE (PdListSlot, pd_list_slot, G_TYPE_OBJECT)

static void
pd_list_slot_class_init (PdListSlotClass *klass)
{
}
static void
pd_list_slot_init (PdListSlot *self)
{
}

static guint
pd_list_slot_get_position (PdListSlot *self)
{
  return self->position;
}

#define PD_TYPE_SLOT_MODEL (pd_slot_model_get_type ())
G_DECLARE_FINAL_TYPE (PdSlotModel, pd_slot_model, PD, SLOT_MODEL, GObject)

struct _PdSlotModel
{
  GObject    parent_instance;
  GPtrArray *slots; /* PdListSlot, created when first asked for */
  guint      n_items;
};

static GType
pd_slot_model_get_item_type (GListModel *model)
{
  return PD_TYPE_LIST_SLOT;
}

static guint
pd_slot_model_get_n_items (GListModel *model)
{
  return PD_SLOT_MODEL (model)->n_items;
}

static gpointer
pd_slot_model_get_item (GListModel *model, guint position)
{
  PdSlotModel *self = PD_SLOT_MODEL (model);
  PdListSlot  *slot;

  if (position >= self->n_items)
    return NULL;
  if (position >= self->slots->len)
    g_ptr_array_set_size (self->slots, position + 1);
  slot = g_ptr_array_index (self->slots, position);
  if (slot == NULL)
    {
      slot = g_object_new (PD_TYPE_LIST_SLOT, NULL);
      slot->position = position;
      g_ptr_array_index (self->slots, position) = slot;
    }
  return g_object_ref (slot);
}

static void
pd_slot_model_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = pd_slot_model_get_item_type;
  iface->get_n_items = pd_slot_model_get_n_items;
  iface->get_item = pd_slot_model_get_item;
}

G_DEFINE_FINAL_TYPE_WITH_CODE (PdSlotModel, pd_slot_model, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL,
                                                      pd_slot_model_list_model_init))

static void
pd_slot_model_finalize (GObject *object)
{
  g_ptr_array_unref (PD_SLOT_MODEL (object)->slots);
  G_OBJECT_CLASS (pd_slot_model_parent_class)->finalize (object);
}

static void
pd_slot_model_class_init (PdSlotModelClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = pd_slot_model_finalize;
}

static void
pd_slot_model_init (PdSlotModel *self)
{
  self->slots = g_ptr_array_new_with_free_func (g_object_unref);
}

static PdSlotModel *
pd_slot_model_new (void)
{
  return g_object_new (PD_TYPE_SLOT_MODEL, NULL);
}

/* Only the count changes, at the end; the slots before it stay the same items. */
static void
pd_slot_model_set_n_items (PdSlotModel *self, guint n_items)
{
  guint old = self->n_items;

  if (n_items == old)
    return;
  self->n_items = n_items;
  if (n_items > old)
    g_list_model_items_changed (G_LIST_MODEL (self), old, 0, n_items - old);
  else
    g_list_model_items_changed (G_LIST_MODEL (self), n_items, old - n_items, 0);
}

static GSettings *
lookup_settings (void)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr (GSettingsSchema) schema = NULL;

  /* Without the compiled schema (e.g. a bench run from the build tree)
   * the window works, it just remembers nothing. */
  if (source != NULL)
    schema = g_settings_schema_source_lookup (source, APP_ID, TRUE);
  if (schema == NULL)
    return NULL;
  return g_settings_new_full (schema, NULL, NULL);
}

/* Filtering */

static gboolean
partner_matches (gpointer item, gpointer user_data)
{
  PdWindow   *self = user_data;
  PdRecord   *partner = item;
  const char *key;

  if (self->kind_filter != NULL
      && g_strcmp0 (pd_record_get_string (partner, "kind"), self->kind_filter) != 0)
    return FALSE;
  if (self->status_filter != NULL
      && g_strcmp0 (pd_record_get_string (partner, "status"), self->status_filter) != 0)
    return FALSE;
  if (self->search_words == NULL)
    return TRUE;

  key = pd_record_get_search_key (partner);
  for (guint i = 0; self->search_words[i] != NULL; i++)
    if (key == NULL || strstr (key, self->search_words[i]) == NULL)
      return FALSE;
  return TRUE;
}

static int
compare_partners (gconstpointer a, gconstpointer b, gpointer user_data)
{
  int cmp
      = g_strcmp0 (pd_record_get_sort_key ((PdRecord *)a), pd_record_get_sort_key ((PdRecord *)b));

  if (cmp == 0)
    cmp = g_strcmp0 (pd_record_get_id ((PdRecord *)a), pd_record_get_id ((PdRecord *)b));
  return cmp < 0 ? GTK_ORDERING_SMALLER : cmp > 0 ? GTK_ORDERING_LARGER : GTK_ORDERING_EQUAL;
}

static char **
split_search (const char *text)
{
  g_autofree char *folded = pd_text_fold (text); /* as the search keys are folded */
  g_auto (GStrv) parts = g_strsplit_set (g_strstrip (folded), " \t\n", -1);
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  guint n = 0;

  for (guint i = 0; parts[i] != NULL; i++)
    if (*parts[i] != '\0')
      {
        g_strv_builder_add (builder, parts[i]);
        n++;
      }
  return n > 0 ? g_strv_builder_end (builder) : NULL;
}

static void
on_search_changed (PdWindow *self)
{
  const char      *text = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));
  g_autofree char *old = self->search_words ? g_strjoinv (" ", self->search_words) : g_strdup ("");
  g_autofree char *now = NULL;
  GtkFilterChange  change = GTK_FILTER_CHANGE_DIFFERENT;

  g_clear_pointer (&self->search_words, g_strfreev);
  self->search_words = split_search (text);
  now = self->search_words ? g_strjoinv (" ", self->search_words) : g_strdup ("");
  if (g_str_equal (old, now))
    return;

  /* Typing on narrows the list, deleting widens it: let the model reuse its work. */
  if (strstr (now, old) != NULL)
    change = GTK_FILTER_CHANGE_MORE_STRICT;
  else if (strstr (old, now) != NULL)
    change = GTK_FILTER_CHANGE_LESS_STRICT;
  gtk_filter_changed (GTK_FILTER (self->filter), change);
}

static const char *
dropdown_nick (GtkDropDown *dropdown, const PdField *field)
{
  guint selected = gtk_drop_down_get_selected (dropdown);

  if (field == NULL || field->choices == NULL || selected == 0
      || selected == GTK_INVALID_LIST_POSITION)
    return NULL;
  return field->choices[selected - 1].nick;
}

static void
on_filter_dropdown_changed (PdWindow *self)
{
  const char *kind = dropdown_nick (self->kind_dropdown, self->kind_field);
  const char *status = dropdown_nick (self->status_dropdown, self->status_field);

  if (g_strcmp0 (kind, self->kind_filter) == 0 && g_strcmp0 (status, self->status_filter) == 0)
    return;
  g_free (self->kind_filter);
  self->kind_filter = g_strdup (kind);
  g_free (self->status_filter);
  self->status_filter = g_strdup (status);
  if (self->settings != NULL)
    {
      g_settings_set_string (self->settings, "kind-filter", kind ? kind : "all");
      g_settings_set_string (self->settings, "status-filter", status ? status : "all");
    }
  gtk_filter_changed (GTK_FILTER (self->filter), GTK_FILTER_CHANGE_DIFFERENT);
}

static void
setup_dropdown (GtkDropDown *dropdown, const PdField *field, const char *all_label,
                const char *nick)
{
  g_autoptr (GtkStringList) list = gtk_string_list_new (NULL);
  guint selected = 0;

  gtk_string_list_append (list, all_label);
  for (guint i = 0; field != NULL && field->choices != NULL && field->choices[i].nick != NULL; i++)
    {
      gtk_string_list_append (list, _ (field->choices[i].label));
      if (g_strcmp0 (nick, field->choices[i].nick) == 0)
        selected = i + 1;
    }
  gtk_drop_down_set_model (dropdown, G_LIST_MODEL (list));
  gtk_drop_down_set_selected (dropdown, selected);
}

static void
setup_filters (PdWindow *self)
{
  g_autofree char *kind = NULL;
  g_autofree char *status = NULL;

  self->kind_field = pd_record_type_get_field (&pd_partner_type, "kind");
  self->status_field = pd_record_type_get_field (&pd_partner_type, "status");
  if (self->settings != NULL)
    {
      kind = g_settings_get_string (self->settings, "kind-filter");
      status = g_settings_get_string (self->settings, "status-filter");
    }
  setup_dropdown (self->kind_dropdown, self->kind_field, _ ("All kinds"), kind);
  setup_dropdown (self->status_dropdown, self->status_field, _ ("All statuses"), status);
  self->kind_filter = g_strdup (dropdown_nick (self->kind_dropdown, self->kind_field));
  self->status_filter = g_strdup (dropdown_nick (self->status_dropdown, self->status_field));
  g_signal_connect_swapped (self->kind_dropdown, "notify::selected",
                            G_CALLBACK (on_filter_dropdown_changed), self);
  g_signal_connect_swapped (self->status_dropdown, "notify::selected",
                            G_CALLBACK (on_filter_dropdown_changed), self);
}

void
_pd_window_clear_filters (PdWindow *self)
{
  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");
  gtk_drop_down_set_selected (self->kind_dropdown, 0);
  gtk_drop_down_set_selected (self->status_dropdown, 0);
}

void
_pd_window_show_search (PdWindow *self)
{
  GtkWidget *view = adw_view_stack_get_visible_child (self->view_stack);

  /* Another view searches its own content ("view.search"), if it can. */
  if (view != NULL && view != GTK_WIDGET (self->main_stack)
      && gtk_widget_activate_action (view, "view.search", NULL))
    return;
  adw_view_stack_set_visible_child (self->view_stack, GTK_WIDGET (self->main_stack));
  gtk_search_bar_set_search_mode (self->search_bar, TRUE);
  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

/* What the window shows */

/* The partner at POSITION of the visible list, borrowed from the store list. */
static PdRecord *
partner_at (PdWindow *self, guint position)
{
  g_autoptr (PdRecord) partner = NULL;

  if (self->filtered == NULL || position == GTK_INVALID_LIST_POSITION)
    return NULL;
  partner = g_list_model_get_item (G_LIST_MODEL (self->filtered), position);
  return partner;
}

static void
update_count (PdWindow *self)
{
  guint            total = g_list_model_get_n_items (G_LIST_MODEL (self->partners));
  guint            shown = g_list_model_get_n_items (G_LIST_MODEL (self->filtered));
  g_autofree char *text = NULL;

  if (shown == total)
    text = g_strdup_printf (ngettext ("%u partner", "%u partners", total), total);
  else
    text
        = g_strdup_printf (ngettext ("%u of %u partner", "%u of %u partners", total), shown, total);
  gtk_label_set_text (self->count_label, text);
}

static void
update_view (PdWindow *self)
{
  guint total = g_list_model_get_n_items (G_LIST_MODEL (self->partners));
  guint shown = g_list_model_get_n_items (G_LIST_MODEL (self->filtered));

  if (self->store == NULL)
    gtk_stack_set_visible_child_name (self->main_stack, "error");
  else if (total == 0)
    gtk_stack_set_visible_child_name (self->main_stack, "empty");
  else
    gtk_stack_set_visible_child_name (self->main_stack, "partners");
  gtk_stack_set_visible_child_name (self->list_stack, shown > 0 ? "list" : "no-match");
  update_count (self);
}

/* Tells the sidebar, the pages and the actions, when the partner shown changes. */
static void
show_partner (PdWindow *self)
{
  PdRecord   *partner = pd_window_get_partner (self);
  const char *id = partner ? pd_record_get_id (partner) : NULL;

  if (partner == self->shown && partner != NULL)
    return;
  g_set_object (&self->shown, partner);
  pd_partner_sidebar_set_partner (self->sidebar, partner);
  for (guint i = 0; i < self->pages->len; i++)
    tabs[i].set_partner_id (g_ptr_array_index (self->pages, i), id);
  gtk_stack_set_visible_child_name (self->detail_stack, partner ? "partner" : "none");
  if (self->settings != NULL && self->store != NULL)
    g_settings_set_string (self->settings, "last-partner", id ? id : "");
  _pd_window_update_actions (self);
}

static void
on_selection_changed (PdWindow *self)
{
  PdRecord *partner;

  if (self->syncing)
    return;
  partner = pd_window_get_partner (self);
  g_free (self->selected_id);
  self->selected_id = partner ? g_strdup (pd_record_get_id (partner)) : NULL;
  show_partner (self);
}

/* The visible list is sorted by compare_partners, a total order: binary search. */
static gboolean
find_visible (PdWindow *self, const char *id, guint *position)
{
  PdRecord *record = id ? g_hash_table_lookup (self->by_id, id) : NULL;
  guint     low = 0;
  guint     high = g_list_model_get_n_items (G_LIST_MODEL (self->filtered));

  if (record == NULL)
    return FALSE;
  while (low < high)
    {
      guint mid = low + (high - low) / 2;
      g_autoptr (PdRecord) item = g_list_model_get_item (G_LIST_MODEL (self->filtered), mid);
      int cmp = compare_partners (record, item, NULL);

      if (cmp == 0 && item == record)
        {
          *position = mid;
          return TRUE;
        }
      if (cmp == 0)
        return FALSE;
      if (cmp < 0)
        high = mid;
      else
        low = mid + 1;
    }
  return FALSE;
}

/* After the visible list changed: select the selected partner where it now
 * is, or nothing while it is hidden. */
static void
follow_selection (PdWindow *self)
{
  guint position;

  if (find_visible (self, self->selected_id, &position))
    gtk_single_selection_set_selected (self->selection, position);
  else
    gtk_single_selection_set_selected (self->selection, GTK_INVALID_LIST_POSITION);
}

gboolean
_pd_window_select_id (PdWindow *self, const char *id, gboolean clear_filters)
{
  guint position;

  if (id == NULL || g_hash_table_lookup (self->by_id, id) == NULL)
    return FALSE;
  if (!find_visible (self, id, &position))
    {
      if (!clear_filters)
        return FALSE;
      _pd_window_clear_filters (self);
      if (!find_visible (self, id, &position))
        return FALSE;
    }
  gtk_single_selection_set_selected (self->selection, position);
  gtk_widget_activate_action (GTK_WIDGET (self->list_view), "list.scroll-to-item", "u", position);
  return TRUE;
}

/* Keeping the list in step with the store */

static void
set_partners (PdWindow *self, GPtrArray *records)
{
  g_hash_table_remove_all (self->by_id);
  for (guint i = 0; i < records->len; i++)
    {
      PdRecord *record = g_ptr_array_index (records, i);

      g_hash_table_insert (self->by_id, (gpointer)pd_record_get_id (record), record);
      /* Built now (about 1 µs each), not on the first keystroke. */
      pd_record_get_search_key (record);
    }
  g_list_store_splice (self->partners, 0, g_list_model_get_n_items (G_LIST_MODEL (self->partners)),
                       records->pdata, records->len);
}

void
_pd_window_reload (PdWindow *self)
{
  g_autoptr (GPtrArray) records = NULL;
  g_autoptr (GError) error = NULL;

  if (self->store == NULL)
    return;
  records = pd_store_list (self->store, &pd_partner_type, NULL, NULL, &error);
  if (records == NULL)
    {
      _pd_window_toast (self, error->message);
      return;
    }
  set_partners (self, records);
}

/* One exact items-changed in the store per change. */
static void
on_record_changed (PdStore *store, const char *collection, const char *id, PdWindow *self)
{
  g_autoptr (PdRecord) record = NULL;
  PdRecord *old;
  guint     position = 0;
  gboolean  live;

  if (g_strcmp0 (collection, pd_partner_type.name) != 0)
    return;
  record = pd_store_get (store, &pd_partner_type, id, NULL);
  live = record != NULL && !pd_record_get_deleted (record);
  old = g_hash_table_lookup (self->by_id, id);
  if (old != NULL && !g_list_store_find (self->partners, old, &position))
    old = NULL;

  if (old != NULL)
    g_hash_table_remove (self->by_id, id);
  if (live)
    g_hash_table_insert (self->by_id, (gpointer)pd_record_get_id (record), record);

  if (old != NULL && live)
    g_list_store_splice (self->partners, position, 1, (gpointer *)&record, 1);
  else if (old != NULL)
    g_list_store_remove (self->partners, position);
  else if (live)
    g_list_store_append (self->partners, record);
}

/* Notebook and rows */

/* Eligibility uploads: the People tab's buttons and a file dropped on it start the flow. */

static void
on_imported (PdImportDialog *dialog, const char *upload_id, const char *message, PdWindow *self)
{
  _pd_window_toast (self, message);
}

static void
start_upload (PdWindow *self, GFile *file)
{
  PdImportDialog *dialog;

  if (self->shown == NULL || self->store == NULL || pd_store_is_read_only (self->store))
    return;
  dialog
      = pd_import_dialog_new (GTK_WINDOW (self), self->store, pd_record_get_id (self->shown), file);
  g_signal_connect_object (dialog, "imported", G_CALLBACK (on_imported), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
on_upload_clicked (PdWindow *self)
{
  start_upload (self, NULL);
}

static gboolean
on_people_drop (GtkDropTarget *target, const GValue *value, double x, double y, PdWindow *self)
{
  GFile *file = NULL;

  if (G_VALUE_HOLDS (value, GDK_TYPE_FILE_LIST))
    {
      GSList *files = g_value_get_boxed (value);

      file = files ? files->data : NULL;
    }
  else if (G_VALUE_HOLDS (value, G_TYPE_FILE))
    file = g_value_get_object (value);
  if (file == NULL || self->shown == NULL)
    return FALSE;
  start_upload (self, file);
  return TRUE;
}

static GtkWidget *
upload_button_new (PdWindow *self, gboolean pill)
{
  const char *label = _ ("Upload Eligibility File");
  GtkWidget  *button = gtk_button_new ();

  if (pill)
    {
      gtk_button_set_label (GTK_BUTTON (button), label);
      gtk_widget_add_css_class (button, "pill");
    }
  else
    {
      GtkWidget *content = adw_button_content_new ();

      adw_button_content_set_icon_name (ADW_BUTTON_CONTENT (content), "document-send-symbolic");
      /* Translators: short label of the "Upload Eligibility File" button in a busy toolbar */
      adw_button_content_set_label (ADW_BUTTON_CONTENT (content), _ ("Upload"));
      gtk_button_set_child (GTK_BUTTON (button), content);
      gtk_widget_set_tooltip_text (button, label);
    }
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, label,
                                  -1);
  gtk_widget_set_sensitive (button, !pd_store_is_read_only (self->store));
  g_signal_connect_swapped (button, "clicked", G_CALLBACK (on_upload_clicked), self);
  return button;
}

static void
add_upload_entry_points (PdWindow *self, PdPeoplePage *people)
{
  GtkDropTarget *target = gtk_drop_target_new (G_TYPE_INVALID, GDK_ACTION_COPY);
  GtkWidget     *slot = pd_people_page_get_upload_slot (people);
  GtkWidget     *empty_slot = pd_people_page_get_empty_upload_slot (people);

  gtk_drop_target_set_gtypes (target, (GType[]){ GDK_TYPE_FILE_LIST, G_TYPE_FILE }, 2);
  g_signal_connect (target, "drop", G_CALLBACK (on_people_drop), self);
  gtk_widget_add_controller (GTK_WIDGET (people), GTK_EVENT_CONTROLLER (target));
  if (GTK_IS_BOX (slot))
    gtk_box_append (GTK_BOX (slot), upload_button_new (self, FALSE));
  if (GTK_IS_BOX (empty_slot))
    gtk_box_append (GTK_BOX (empty_slot), upload_button_new (self, TRUE));
}

static void
add_pages (PdWindow *self)
{
  for (guint i = 0; i < G_N_ELEMENTS (tabs); i++)
    {
      GtkWidget *page = tabs[i].page_new (self->store);

      if (PD_IS_PEOPLE_PAGE (page))
        add_upload_entry_points (self, PD_PEOPLE_PAGE (page));

      gtk_notebook_append_page (self->notebook, page, gtk_label_new (_ (tabs[i].title)));
      gtk_notebook_set_tab_reorderable (self->notebook, page, FALSE);
      g_ptr_array_add (self->pages, page);
    }
}

static void
bind_slot (PdWindow *self, GtkListItem *item)
{
  PdListSlot *slot = gtk_list_item_get_item (item);
  g_autoptr (PdRecord) partner
      = g_list_model_get_item (G_LIST_MODEL (self->filtered), pd_list_slot_get_position (slot));

  pd_partner_row_set_partner (PD_PARTNER_ROW (gtk_list_item_get_child (item)), partner);
}

static void
setup_row (GtkSignalListItemFactory *factory, GtkListItem *item, PdWindow *self)
{
  gtk_list_item_set_child (item, GTK_WIDGET (pd_partner_row_new ()));
}

static void
bind_row (GtkSignalListItemFactory *factory, GtkListItem *item, PdWindow *self)
{
  g_hash_table_add (self->bound, item);
  bind_slot (self, item);
}

static void
unbind_row (GtkSignalListItemFactory *factory, GtkListItem *item, PdWindow *self)
{
  g_hash_table_remove (self->bound, item);
  pd_partner_row_set_partner (PD_PARTNER_ROW (gtk_list_item_get_child (item)), NULL);
}

/* GTK 4.8 may tear a list item down without unbinding it first. */
static void
teardown_row (GtkSignalListItemFactory *factory, GtkListItem *item, PdWindow *self)
{
  g_hash_table_remove (self->bound, item);
}

/* The visible partners changed (search, filters, or the store): resize the
 * slots, show each bound row's new partner, and follow the selection. */
static void
on_visible_changed (PdWindow *self)
{
  GHashTableIter iter;
  gpointer       item;

  /* Selection changes made here are not the user's: selected_id stays. */
  self->syncing = TRUE;
  pd_slot_model_set_n_items (self->slots, g_list_model_get_n_items (G_LIST_MODEL (self->filtered)));
  g_hash_table_iter_init (&iter, self->bound);
  while (g_hash_table_iter_next (&iter, &item, NULL))
    bind_slot (self, item);
  follow_selection (self);
  self->syncing = FALSE;
  show_partner (self);
  update_view (self);
}

static void
on_row_activated (GtkListView *list_view, guint position, PdWindow *self)
{
  gtk_single_selection_set_selected (self->selection, position);
}

/* Delete removes the selected partner only while the list has the focus:
 * as an application accelerator it would steal the key from every entry. */
static void
add_delete_shortcut (PdWindow *self)
{
  GtkEventController *controller = gtk_shortcut_controller_new ();

  gtk_shortcut_controller_set_scope (GTK_SHORTCUT_CONTROLLER (controller),
                                     GTK_SHORTCUT_SCOPE_LOCAL);
  gtk_shortcut_controller_add_shortcut (
      GTK_SHORTCUT_CONTROLLER (controller),
      gtk_shortcut_new (gtk_keyval_trigger_new (GDK_KEY_Delete, 0),
                        gtk_named_action_new ("win.delete-partner")));
  gtk_shortcut_controller_add_shortcut (
      GTK_SHORTCUT_CONTROLLER (controller),
      gtk_shortcut_new (gtk_keyval_trigger_new (GDK_KEY_KP_Delete, 0),
                        gtk_named_action_new ("win.delete-partner")));
  gtk_widget_add_controller (GTK_WIDGET (self->list_view), controller);
}

static void
setup_list (PdWindow *self)
{
  g_autoptr (GtkListItemFactory) factory = gtk_signal_list_item_factory_new ();
  GtkCustomSorter *sorter = gtk_custom_sorter_new (compare_partners, NULL, NULL);

  self->partners = g_list_store_new (PD_TYPE_RECORD);
  self->by_id = g_hash_table_new (g_str_hash, g_str_equal);
  self->bound = g_hash_table_new (NULL, NULL);
  /* Sorted once below the filter, so a keystroke only refilters. */
  self->sorted
      = gtk_sort_list_model_new (g_object_ref (G_LIST_MODEL (self->partners)), GTK_SORTER (sorter));
  gtk_sort_list_model_set_incremental (self->sorted, FALSE);
  self->filter = gtk_custom_filter_new (partner_matches, self, NULL);
  self->filtered = gtk_filter_list_model_new (g_object_ref (G_LIST_MODEL (self->sorted)),
                                              g_object_ref (GTK_FILTER (self->filter)));
  gtk_filter_list_model_set_incremental (self->filtered, FALSE);
  self->slots = pd_slot_model_new ();
  self->selection = gtk_single_selection_new (g_object_ref (G_LIST_MODEL (self->slots)));
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_single_selection_set_can_unselect (self->selection, TRUE);

  g_signal_connect (factory, "setup", G_CALLBACK (setup_row), self);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_row), self);
  g_signal_connect (factory, "unbind", G_CALLBACK (unbind_row), self);
  g_signal_connect (factory, "teardown", G_CALLBACK (teardown_row), self);
  gtk_list_view_set_factory (self->list_view, factory);
  gtk_list_view_set_model (self->list_view, GTK_SELECTION_MODEL (self->selection));

  g_signal_connect_swapped (self->selection, "notify::selected", G_CALLBACK (on_selection_changed),
                            self);
  g_signal_connect_swapped (self->filtered, "items-changed", G_CALLBACK (on_visible_changed), self);
  g_signal_connect (self->list_view, "activate", G_CALLBACK (on_row_activated), self);
  add_delete_shortcut (self);
}

/* Window state */

static void
restore_state (PdWindow *self)
{
  if (self->settings == NULL)
    return;
  gtk_window_set_default_size (GTK_WINDOW (self),
                               g_settings_get_int (self->settings, "window-width"),
                               g_settings_get_int (self->settings, "window-height"));
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));
  g_settings_bind (self->settings, "sidebar-width", self->outer_paned, "position",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "details-width", self->details_paned, "position",
                   G_SETTINGS_BIND_DEFAULT);
}

static void
save_state (PdWindow *self)
{
  int width, height;

  if (self->settings == NULL)
    return;
  gtk_window_get_default_size (GTK_WINDOW (self), &width, &height);
  g_settings_set_int (self->settings, "window-width", width);
  g_settings_set_int (self->settings, "window-height", height);
  g_settings_set_boolean (self->settings, "window-maximized",
                          gtk_window_is_maximized (GTK_WINDOW (self)));
}

static gboolean
pd_window_close_request (GtkWindow *window)
{
  save_state (PD_WINDOW (window));
  return GTK_WINDOW_CLASS (pd_window_parent_class)->close_request (window);
}

void
_pd_window_toast (PdWindow *self, const char *message)
{
  g_autofree char *escaped = g_markup_escape_text (message, -1);
  AdwToast        *toast = adw_toast_new (escaped);

  adw_toast_set_priority (toast, ADW_TOAST_PRIORITY_HIGH);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

/* Views beside the partners: the search and Add Partner belong to the Partners view. */
static void
on_view_changed (PdWindow *self)
{
  gboolean partners
      = adw_view_stack_get_visible_child (self->view_stack) == GTK_WIDGET (self->main_stack);

  gtk_widget_set_visible (self->add_button, partners);
  gtk_widget_set_visible (GTK_WIDGET (self->search_button), partners);
  gtk_search_bar_set_key_capture_widget (self->search_bar, partners ? GTK_WIDGET (self) : NULL);
}

void
_pd_window_add_view (PdWindow *self, const char *name, const char *title, const char *icon,
                     GtkWidget *page)
{
  AdwViewStackPage *stack_page = adw_view_stack_add_titled (self->view_stack, page, name, title);

  adw_view_stack_page_set_icon_name (stack_page, icon);
}

/* Synchronisation and permissions */

gboolean
_pd_window_may (PdWindow *self, const char *permission)
{
  return self->sync == NULL || pd_sync_has_permission (self->sync, permission);
}

/* What the signed-in user may not do is hidden (patient data) or insensitive (editing). */
static void
update_permissions (PdWindow *self)
{
  gboolean patient_data = _pd_window_may (self, "view_patient_data");

  for (guint i = 0; i < self->pages->len; i++)
    {
      GtkWidget *page = g_ptr_array_index (self->pages, i);

      if (PD_IS_PEOPLE_PAGE (page))
        gtk_widget_set_visible (page, patient_data);
      if (PD_IS_USERS_PAGE (page))
        pd_users_page_set_editable (PD_USERS_PAGE (page), _pd_window_may (self, "edit_partners"));
    }
  _pd_window_update_actions (self);
}

static void
on_sync_notify (PdWindow *self, GParamSpec *pspec)
{
  if (g_str_equal (pspec->name, "permissions") || g_str_equal (pspec->name, "state"))
    update_permissions (self);
}

static void
on_all_resolved (PdWindow *self)
{
  _pd_window_toast (self, _ ("All conflicts resolved: your choices are sent with the next sync"));
}

void
_pd_window_show_conflicts (PdWindow *self)
{
  PdConflictsDialog *dialog;

  if (self->sync == NULL)
    return;
  dialog = pd_conflicts_dialog_new (GTK_WINDOW (self), self->sync);
  g_signal_connect_object (dialog, "all-resolved", G_CALLBACK (on_all_resolved), self,
                           G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* The application owns one synchronisation per store; windows share it. */
static void
set_sync (PdWindow *self)
{
  GtkApplication *app = gtk_window_get_application (GTK_WINDOW (self));

  if (!PD_IS_APPLICATION (app) || pd_store_is_read_only (self->store))
    return;
  self->sync = pd_application_dup_sync (PD_APPLICATION (app), self->store);
  g_signal_connect_object (self->sync, "notify", G_CALLBACK (on_sync_notify), self,
                           G_CONNECT_SWAPPED);
  pd_sync_button_set_sync (self->sync_button, self->sync);
}

static void
set_store (PdWindow *self, PdStore *store, const GError *store_error)
{
  g_autofree char *last = NULL;

  if (store == NULL)
    {
      adw_status_page_set_description (
          self->error_page, store_error ? store_error->message : _ ("No database was given."));
      gtk_widget_set_sensitive (GTK_WIDGET (self->search_button), FALSE);
      update_view (self);
      _pd_window_update_actions (self);
      return;
    }

  /* Read before the first load, which records the (empty) selection. */
  if (self->settings != NULL)
    last = g_settings_get_string (self->settings, "last-partner");
  self->store = g_object_ref (store);
  set_sync (self);
  self->record_changed_id
      = g_signal_connect (store, "record-changed", G_CALLBACK (on_record_changed), self);
  pd_partner_sidebar_set_store (self->sidebar, store);
  add_pages (self);
  _pd_window_add_view (self, "traffic", _ ("Traffic Channels"), "view-grid-symbolic",
                       GTK_WIDGET (pd_traffic_view_new (store)));
  _pd_window_add_view (self, "statistics", _ ("Statistics"), "x-office-spreadsheet-symbolic",
                       GTK_WIDGET (pd_statistics_view_new (store)));
  _pd_window_reload (self);
  show_partner (self);
  update_view (self);
  update_permissions (self);
  if (last != NULL && *last != '\0')
    _pd_window_select_id (self, last, FALSE);
}

static void
pd_window_dispose (GObject *object)
{
  PdWindow *self = PD_WINDOW (object);

  if (self->store != NULL)
    g_clear_signal_handler (&self->record_changed_id, self->store);
  if (self->sync != NULL)
    g_signal_handlers_disconnect_by_data (self->sync, self);
  if (self->sync_button != NULL)
    pd_sync_button_set_sync (self->sync_button, NULL);
  g_clear_object (&self->sync);
  if (self->list_view != NULL)
    gtk_list_view_set_model (self->list_view, NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), PD_TYPE_WINDOW);
  g_clear_object (&self->selection);
  g_clear_object (&self->slots);
  g_clear_object (&self->shown);
  g_clear_pointer (&self->bound, g_hash_table_unref);
  g_clear_object (&self->filtered);
  g_clear_object (&self->filter);
  g_clear_object (&self->sorted);
  g_clear_object (&self->partners);
  g_clear_pointer (&self->by_id, g_hash_table_unref);
  g_clear_object (&self->store);
  g_clear_object (&self->settings);
  G_OBJECT_CLASS (pd_window_parent_class)->dispose (object);
}

static void
pd_window_finalize (GObject *object)
{
  PdWindow *self = PD_WINDOW (object);

  g_clear_pointer (&self->pages, g_ptr_array_unref);
  g_clear_pointer (&self->search_words, g_strfreev);
  g_free (self->selected_id);
  g_free (self->kind_filter);
  g_free (self->status_filter);
  G_OBJECT_CLASS (pd_window_parent_class)->finalize (object);
}

static void
pd_window_class_init (PdWindowClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = pd_window_dispose;
  object_class->finalize = pd_window_finalize;
  window_class->close_request = pd_window_close_request;

  g_type_ensure (PD_TYPE_PARTNER_SIDEBAR);
  g_type_ensure (PD_TYPE_SYNC_BUTTON);
  gtk_widget_class_set_template_from_resource (
      widget_class, "/io/github/partnerdesk/PartnerDesk/ui/pd-window.ui");
  gtk_widget_class_bind_template_child (widget_class, PdWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, PdWindow, search_button);
  gtk_widget_class_bind_template_child (widget_class, PdWindow, menu_button);
  gtk_widget_class_bind_template_child (widget_class, PdWindow, main_stack);
  gtk_widget_class_bind_template_child (widget_class, PdWindow, error_page);
  gtk_widget_class_bind_template_child (widget_class, PdWindow, outer_paned);
  gtk_widget_class_bind_template_child (widget_class, PdWindow, search_bar);
  gtk_widget_class_bind_template_child (widget_class, PdWindow, search_entry);
  gtk_widget_class_bind_template_child (widget_class, PdWindow, kind_dropdown);
  gtk_widget_class_bind_template_child (widget_class, PdWindow, status_dropdown);
  gtk_widget_class_bind_template_child (widget_class, PdWindow, count_label);
  gtk_widget_class_bind_template_child (widget_class, PdWindow, list_stack);
  gtk_widget_class_bind_template_child (widget_class, PdWindow, list_view);
  gtk_widget_class_bind_template_child (widget_class, PdWindow, detail_stack);
  gtk_widget_class_bind_template_child (widget_class, PdWindow, details_paned);
  gtk_widget_class_bind_template_child (widget_class, PdWindow, sidebar);
  gtk_widget_class_bind_template_child (widget_class, PdWindow, notebook);
  gtk_widget_class_bind_template_child (widget_class, PdWindow, view_stack);
  gtk_widget_class_bind_template_child (widget_class, PdWindow, add_button);
  gtk_widget_class_bind_template_child (widget_class, PdWindow, sync_button);

  _pd_window_class_init_actions (widget_class);
}

static void
pd_window_init (PdWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->settings = lookup_settings ();
  self->pages = g_ptr_array_new ();
  setup_list (self);
  setup_filters (self);
  restore_state (self);

  g_object_bind_property (self->search_button, "active", self->search_bar, "search-mode-enabled",
                          G_BINDING_BIDIRECTIONAL | G_BINDING_SYNC_CREATE);
  gtk_search_bar_connect_entry (self->search_bar, GTK_EDITABLE (self->search_entry));
  gtk_search_bar_set_key_capture_widget (self->search_bar, GTK_WIDGET (self));
  g_signal_connect_swapped (self->view_stack, "notify::visible-child", G_CALLBACK (on_view_changed),
                            self);
  /* Not "search-changed" (delayed 150 ms): filtering follows every keystroke.
   * Not "changed" either, which gtk_editable_set_text emits twice (delete, insert). */
  g_signal_connect_swapped (self->search_entry, "notify::text", G_CALLBACK (on_search_changed),
                            self);
}

/**
 * pd_window_new:
 *
 * Returns: (transfer none): a new window over STORE, or showing STORE_ERROR;
 * the window list holds it until it is destroyed.
 */
PdWindow *
pd_window_new (GtkApplication *application, PdStore *store, const GError *store_error)
{
  PdWindow *self = g_object_new (PD_TYPE_WINDOW, "application", application, NULL);

  set_store (self, store, store_error);
  return self;
}

gboolean
pd_window_select_partner (PdWindow *self, const char *id)
{
  g_return_val_if_fail (PD_IS_WINDOW (self), FALSE);

  return _pd_window_select_id (self, id, TRUE);
}

PdRecord *
pd_window_get_partner (PdWindow *self)
{
  g_return_val_if_fail (PD_IS_WINDOW (self), NULL);

  return partner_at (self, gtk_single_selection_get_selected (self->selection));
}

GtkEditable *
pd_window_get_search_entry (PdWindow *self)
{
  g_return_val_if_fail (PD_IS_WINDOW (self), NULL);

  return GTK_EDITABLE (self->search_entry);
}

GListModel *
pd_window_get_visible_partners (PdWindow *self)
{
  g_return_val_if_fail (PD_IS_WINDOW (self), NULL);

  return G_LIST_MODEL (self->filtered);
}

PdStore *
pd_window_get_store (PdWindow *self)
{
  g_return_val_if_fail (PD_IS_WINDOW (self), NULL);

  return self->store;
}

/* The store's synchronisation, or NULL (no store, a read-only one, or no PdApplication). */
PdSync *
pd_window_get_sync (PdWindow *self)
{
  g_return_val_if_fail (PD_IS_WINDOW (self), NULL);

  return self->sync;
}
