/* pd-people-page.c: the People tab: search, filters, count and a lazily paged, SQL-sorted table. */
#include "config.h"

#include <glib/gi18n.h>

#include "pd-people-page.h"
#include "pd-record-editor.h"

struct _PdPeoplePage
{
  GtkWidget parent_instance;

  /* Template Widgets */
  AdwToastOverlay *toast_overlay;
  GtkWidget       *list_page;
  GtkWidget       *empty_page;
  GtkWidget       *toolbar;
  GtkWidget       *search_entry;
  GtkDropDown     *eligibility_filter;
  GtkDropDown     *enrollment_filter;
  GtkDropDown     *relationship_filter;
  GtkWidget       *spinner;
  GtkWidget       *count_label;
  GtkWidget       *upload_slot;
  GtkWidget       *empty_upload_slot;
  GtkColumnView   *column_view;

  /* Owned References */
  PdStore            *store;
  char               *partner_id;
  PdPeopleModel      *model;
  GtkSingleSelection *selection;
  char               *select_when_loaded; /* id of a person just created */

  /* Sort probing (see read_sort) */
  gboolean     probing;
  PdPeopleSort probe_sort;
};

G_DEFINE_FINAL_TYPE (PdPeoplePage, pd_people_page, GTK_TYPE_WIDGET)

/* The table's columns: FIELD of the person ("name" is last and first name), and the
 * SQL order a click on the header asks for (sortable ones). */
typedef struct
{
  const char  *field;
  gboolean     sortable;
  PdPeopleSort sort;
  gboolean     expand;
} ColumnInfo;

static const ColumnInfo column_infos[] = {
  { "name", TRUE, PD_PEOPLE_SORT_NAME, TRUE },
  { "member_id", TRUE, PD_PEOPLE_SORT_MEMBER_ID, FALSE },
  { "group_id", TRUE, PD_PEOPLE_SORT_GROUP_ID, FALSE },
  { "relationship", TRUE, PD_PEOPLE_SORT_RELATIONSHIP, FALSE },
  { "employee_member_id", FALSE, 0, TRUE },
  { "coverage_start", TRUE, PD_PEOPLE_SORT_COVERAGE_START, FALSE },
  { "coverage_end", TRUE, PD_PEOPLE_SORT_COVERAGE_END, FALSE },
  { "eligibility_status", TRUE, PD_PEOPLE_SORT_ELIGIBILITY, FALSE },
  { "enrollment_status", TRUE, PD_PEOPLE_SORT_ENROLLMENT, FALSE },
  { "email", FALSE, 0, TRUE },
  { "phone", FALSE, 0, FALSE },
};

/* Cell text */

static char *
name_text (PdRecord *person)
{
  const char *first = pd_record_get_string (person, "first_name");
  const char *last = pd_record_get_string (person, "last_name");

  if (first == NULL || last == NULL)
    return g_strdup (first ? first : last ? last : "");
  /* TRANSLATORS: a person's name in the People table: "Last, First" */
  return g_strdup_printf (_ ("%s, %s"), last, first);
}

/* "E1001 · Anna Berg" for a dependent; nothing for an employee. */
static char *
employee_text (PdRecord *person)
{
  const char *member_id = pd_record_get_string (person, "employee_member_id");
  const char *name = pd_people_get_employee_name (person);

  if (g_strcmp0 (pd_record_get_string (person, "relationship"), "employee") == 0
      || member_id == NULL)
    return g_strdup ("");
  if (name == NULL)
    return g_strdup (member_id);
  /* TRANSLATORS: the employee of a dependent: "member ID · name" */
  return g_strdup_printf (_ ("%s · %s"), member_id, name);
}

/* An ISO date in the locale's short format. */
static char *
date_text (const char *iso)
{
  g_autoptr (GDateTime) when = NULL;
  g_autofree char *midnight = NULL;

  if (iso == NULL)
    return g_strdup ("");
  midnight = g_strdup_printf ("%sT00:00:00Z", iso);
  when = g_date_time_new_from_iso8601 (midnight, NULL);
  return when ? g_date_time_format (when, "%x") : g_strdup (iso);
}

char *
pd_people_page_cell_text (PdRecord *person, const char *field)
{
  const PdField   *info;
  g_autofree char *text = NULL;

  g_return_val_if_fail (PD_IS_RECORD (person), NULL);

  if (g_strcmp0 (field, "name") == 0)
    return name_text (person);
  if (g_strcmp0 (field, "employee_member_id") == 0)
    return employee_text (person);
  info = pd_record_type_get_field (&pd_person_type, field);
  if (info != NULL && (info->flags & PD_FIELD_FLAG_DATE))
    return date_text (pd_record_get_string (person, field));
  text = pd_record_format (person, field);
  return g_strdup (text ? text : "");
}

static const char *
column_title (const ColumnInfo *info)
{
  const PdField *field = pd_record_type_get_field (
      &pd_person_type, g_str_equal (info->field, "name") ? "display_name" : info->field);

  return field ? _ (field->label) : info->field;
}

/* Columns */

/* GtkInscription, not GtkLabel: the list view keeps up to 200 rows of eleven cells, and an
 * inscription neither measures its text for its size nor wraps, so binding a page is cheap. */
static void
setup_cell (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer user_data)
{
  GtkWidget *cell = gtk_inscription_new (NULL);

  gtk_inscription_set_xalign (GTK_INSCRIPTION (cell), 0);
  gtk_inscription_set_text_overflow (GTK_INSCRIPTION (cell),
                                     GTK_INSCRIPTION_OVERFLOW_ELLIPSIZE_END);
  gtk_inscription_set_nat_chars (GTK_INSCRIPTION (cell), 12);
  gtk_list_item_set_child (item, cell);
}

static void
bind_cell (GtkSignalListItemFactory *factory, GtkListItem *item, const ColumnInfo *info)
{
  PdRecord        *person = gtk_list_item_get_item (item);
  g_autofree char *text = pd_people_page_cell_text (person, info->field);

  gtk_inscription_set_text (GTK_INSCRIPTION (gtk_list_item_get_child (item)), text);
}

/* The column sorters only name a column: the order itself is SQL's. While probing,
 * each answers "smaller" and says which it is, so comparing anything through the
 * view's sorter tells its primary column and (inverted or not) the direction — GTK 4.8
 * has no getter for either. */
typedef struct
{
  PdPeoplePage *page;
  PdPeopleSort  sort;
} SortToken;

static int
probe_compare (gconstpointer a, gconstpointer b, gpointer user_data)
{
  SortToken *token = user_data;

  if (!token->page->probing)
    return GTK_ORDERING_EQUAL;
  token->page->probe_sort = token->sort;
  return GTK_ORDERING_SMALLER;
}

static void
read_sort (PdPeoplePage *self, PdPeopleSort *sort, gboolean *descending)
{
  GtkSorter  *sorter = gtk_column_view_get_sorter (self->column_view);
  GtkOrdering order;

  self->probing = TRUE;
  self->probe_sort = PD_PEOPLE_SORT_NAME;
  /* Two distinct objects: gtk_sorter_compare answers "equal" for an item and itself. */
  order = sorter ? gtk_sorter_compare (sorter, self, self->store) : GTK_ORDERING_EQUAL;
  self->probing = FALSE;
  *sort = order == GTK_ORDERING_EQUAL ? PD_PEOPLE_SORT_NAME : self->probe_sort;
  *descending = order == GTK_ORDERING_LARGER;
}

static GtkColumnViewColumn *
add_column (PdPeoplePage *self, const ColumnInfo *info)
{
  GtkListItemFactory  *factory = gtk_signal_list_item_factory_new ();
  GtkColumnViewColumn *column;

  g_signal_connect (factory, "setup", G_CALLBACK (setup_cell), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_cell), (gpointer)info);
  column = gtk_column_view_column_new (column_title (info), factory);
  if (info->sortable)
    {
      SortToken *token = g_new0 (SortToken, 1);
      GtkSorter *sorter;

      token->page = self;
      token->sort = info->sort;
      sorter = GTK_SORTER (gtk_custom_sorter_new (probe_compare, token, g_free));
      gtk_column_view_column_set_sorter (column, sorter);
      g_object_unref (sorter);
    }
  gtk_column_view_column_set_resizable (column, TRUE);
  gtk_column_view_column_set_expand (column, info->expand);
  gtk_column_view_append_column (self->column_view, column);
  g_object_unref (column);
  return column;
}

static void
setup_columns (PdPeoplePage *self)
{
  GtkColumnViewColumn *name_column = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (column_infos); i++)
    {
      GtkColumnViewColumn *column = add_column (self, &column_infos[i]);

      if (i == 0)
        name_column = column;
    }
  gtk_column_view_sort_by_column (self->column_view, name_column, GTK_SORT_ASCENDING);
}

/* Filters */

static void
setup_filter (GtkDropDown *dropdown, const char *field, const char *any)
{
  const PdField *info = pd_record_type_get_field (&pd_person_type, field);
  g_autoptr (GtkStringList) items = gtk_string_list_new (NULL);

  gtk_string_list_append (items, any);
  for (const PdChoice *c = info ? info->choices : NULL; c && c->nick; c++)
    gtk_string_list_append (items, _ (c->label));
  gtk_drop_down_set_model (dropdown, G_LIST_MODEL (items));
  g_object_set_data (G_OBJECT (dropdown), "pd-field", (gpointer)field);
}

/* The nick chosen in DROPDOWN, or NULL for "any". */
static const char *
filter_nick (GtkDropDown *dropdown)
{
  const PdField *info = pd_record_type_get_field (
      &pd_person_type, g_object_get_data (G_OBJECT (dropdown), "pd-field"));
  guint selected = gtk_drop_down_get_selected (dropdown);

  if (info == NULL || selected == 0 || selected == GTK_INVALID_LIST_POSITION)
    return NULL;
  return info->choices[selected - 1].nick;
}

static PdPeopleFilter *
current_filter (PdPeoplePage *self)
{
  PdPeopleFilter *filter = pd_people_filter_new (self->partner_id);

  filter->search = g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->search_entry)));
  filter->eligibility = g_strdup (filter_nick (self->eligibility_filter));
  filter->enrollment = g_strdup (filter_nick (self->enrollment_filter));
  filter->relationship = g_strdup (filter_nick (self->relationship_filter));
  read_sort (self, &filter->sort, &filter->descending);
  return filter;
}

static void
update_filter (PdPeoplePage *self)
{
  g_autoptr (PdPeopleFilter) filter = current_filter (self);

  pd_people_model_set_filter (self->model, filter);
}

static void
on_search_changed (PdPeoplePage *self)
{
  update_filter (self);
}

/* State: count, spinner, empty page */

static char *
count_text (PdPeoplePage *self)
{
  guint            n = g_list_model_get_n_items (G_LIST_MODEL (self->model));
  guint            eligible = pd_people_model_get_n_eligible (self->model);
  g_autofree char *n_text = g_strdup_printf ("%'u", n);
  g_autofree char *eligible_text = g_strdup_printf ("%'u", eligible);
  g_autofree char *people = NULL;

  if (!pd_people_model_get_complete (self->model))
    return g_strdup (_ ("Counting people…"));
  people = g_strdup_printf (ngettext ("%s person", "%s people", n), n_text);
  /* TRANSLATORS: "12,408 people, 11,902 eligible" */
  return g_strdup_printf (_ ("%s, %s eligible"), people, eligible_text);
}

static void
update_state (PdPeoplePage *self)
{
  const PdPeopleFilter *filter = pd_people_model_get_filter (self->model);
  guint                 n = g_list_model_get_n_items (G_LIST_MODEL (self->model));
  gboolean              loading = pd_people_model_get_loading (self->model);
  gboolean              empty = self->partner_id != NULL && n == 0 && !loading
                   && pd_people_model_get_complete (self->model)
                   && (filter == NULL || pd_people_filter_is_unfiltered (filter));
  g_autofree char *count = count_text (self);

  gtk_label_set_text (GTK_LABEL (self->count_label), self->partner_id ? count : "");
  gtk_widget_set_visible (self->spinner, loading);
  gtk_spinner_set_spinning (GTK_SPINNER (self->spinner), loading);
  gtk_widget_set_visible (self->list_page, !empty);
  gtk_widget_set_visible (self->empty_page, empty);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "people.create", self->partner_id != NULL);
}

static void
on_loaded (PdPeoplePage *self)
{
  int position;

  update_state (self);
  if (self->select_when_loaded == NULL)
    return;
  position = pd_people_model_find (self->model, self->select_when_loaded);
  if (position < 0)
    return;
  g_clear_pointer (&self->select_when_loaded, g_free);
  gtk_single_selection_set_selected (self->selection, (guint)position);
  pd_people_page_scroll_to (self, (guint)position);
}

/* Editing */

static GtkWindow *
parent_window (PdPeoplePage *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  return GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL;
}

static void
on_saved (PdRecordEditor *editor, PdRecord *person, PdPeoplePage *self)
{
  g_free (self->select_when_loaded);
  self->select_when_loaded = g_strdup (pd_record_get_id (person));
}

static void
open_editor (PdPeoplePage *self, PdRecord *person)
{
  PdRecordEditor *editor = pd_record_editor_new (parent_window (self), self->store, person);

  g_signal_connect_object (editor, "saved", G_CALLBACK (on_saved), self, 0);
  gtk_window_present (GTK_WINDOW (editor));
}

static void
create_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  PdPeoplePage *self = PD_PEOPLE_PAGE (widget);
  g_autoptr (PdRecord) person = NULL;

  if (self->partner_id == NULL)
    return;
  person = pd_record_new (&pd_person_type);
  pd_record_set_string (person, pd_person_type.partner_field, self->partner_id);
  open_editor (self, person);
}

static void
on_column_view_activate (GtkColumnView *view, guint position, PdPeoplePage *self)
{
  g_autoptr (PdRecord) person = g_list_model_get_item (G_LIST_MODEL (self->selection), position);

  /* A placeholder (a row deleted meanwhile) has never been saved. */
  if (person != NULL && pd_record_get_version (person) > 0)
    open_editor (self, person);
}

/* GObject */

static void
pd_people_page_dispose (GObject *object)
{
  PdPeoplePage *self = PD_PEOPLE_PAGE (object);
  GtkWidget    *child;

  if (self->model != NULL)
    g_signal_handlers_disconnect_by_data (self->model, self);
  /* Removing the columns changes the sorter: nothing to filter any more. */
  if (self->column_view != NULL && gtk_column_view_get_sorter (self->column_view) != NULL)
    g_signal_handlers_disconnect_by_data (gtk_column_view_get_sorter (self->column_view), self);
  gtk_widget_dispose_template (GTK_WIDGET (self), PD_TYPE_PEOPLE_PAGE);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  g_clear_object (&self->selection);
  g_clear_object (&self->model);
  g_clear_object (&self->store);
  g_clear_pointer (&self->partner_id, g_free);
  g_clear_pointer (&self->select_when_loaded, g_free);
  G_OBJECT_CLASS (pd_people_page_parent_class)->dispose (object);
}

static void
pd_people_page_class_init (PdPeoplePageClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = pd_people_page_dispose;

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "pdpeoplepage");
  gtk_widget_class_set_template_from_resource (
      widget_class, "/io/github/partnerdesk/PartnerDesk/ui/pd-people-page.ui");
  gtk_widget_class_bind_template_child (widget_class, PdPeoplePage, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, PdPeoplePage, list_page);
  gtk_widget_class_bind_template_child (widget_class, PdPeoplePage, empty_page);
  gtk_widget_class_bind_template_child (widget_class, PdPeoplePage, toolbar);
  gtk_widget_class_bind_template_child (widget_class, PdPeoplePage, search_entry);
  gtk_widget_class_bind_template_child (widget_class, PdPeoplePage, eligibility_filter);
  gtk_widget_class_bind_template_child (widget_class, PdPeoplePage, enrollment_filter);
  gtk_widget_class_bind_template_child (widget_class, PdPeoplePage, relationship_filter);
  gtk_widget_class_bind_template_child (widget_class, PdPeoplePage, spinner);
  gtk_widget_class_bind_template_child (widget_class, PdPeoplePage, count_label);
  gtk_widget_class_bind_template_child (widget_class, PdPeoplePage, upload_slot);
  gtk_widget_class_bind_template_child (widget_class, PdPeoplePage, empty_upload_slot);
  gtk_widget_class_bind_template_child (widget_class, PdPeoplePage, column_view);
  gtk_widget_class_bind_template_callback (widget_class, on_column_view_activate);
  gtk_widget_class_bind_template_callback (widget_class, on_search_changed);

  gtk_widget_class_install_action (widget_class, "people.create", NULL, create_action);
}

static void
setup_filters (PdPeoplePage *self)
{
  setup_filter (self->eligibility_filter, "eligibility_status", _ ("Any eligibility"));
  setup_filter (self->enrollment_filter, "enrollment_status", _ ("Any enrollment"));
  setup_filter (self->relationship_filter, "relationship", _ ("Any relationship"));
  g_signal_connect_swapped (self->eligibility_filter, "notify::selected",
                            G_CALLBACK (update_filter), self);
  g_signal_connect_swapped (self->enrollment_filter, "notify::selected", G_CALLBACK (update_filter),
                            self);
  g_signal_connect_swapped (self->relationship_filter, "notify::selected",
                            G_CALLBACK (update_filter), self);
}

static void
pd_people_page_init (PdPeoplePage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  setup_filters (self);
  setup_columns (self);
}

/* After the store is known: the model, the selection, and the sort's changes. */
static void
setup_model (PdPeoplePage *self)
{
  self->model = pd_people_model_new (self->store);
  self->selection = gtk_single_selection_new (g_object_ref (G_LIST_MODEL (self->model)));
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_single_selection_set_can_unselect (self->selection, TRUE);
  gtk_column_view_set_model (self->column_view, GTK_SELECTION_MODEL (self->selection));
  g_signal_connect_swapped (self->model, "loaded", G_CALLBACK (on_loaded), self);
  g_signal_connect_swapped (self->model, "notify::loading", G_CALLBACK (update_state), self);
  g_signal_connect_swapped (self->model, "items-changed", G_CALLBACK (update_state), self);
  g_signal_connect_swapped (gtk_column_view_get_sorter (self->column_view), "changed",
                            G_CALLBACK (update_filter), self);
}

PdPeoplePage *
pd_people_page_new (PdStore *store)
{
  PdPeoplePage *self;

  g_return_val_if_fail (PD_IS_STORE (store), NULL);

  self = g_object_new (PD_TYPE_PEOPLE_PAGE, NULL);
  self->store = g_object_ref (store);
  setup_model (self);
  update_state (self);
  return self;
}

void
pd_people_page_set_partner_id (PdPeoplePage *self, const char *partner_id)
{
  g_return_if_fail (PD_IS_PEOPLE_PAGE (self));

  if (g_strcmp0 (self->partner_id, partner_id) == 0)
    return;
  g_free (self->partner_id);
  self->partner_id = g_strdup (partner_id);
  gtk_single_selection_set_selected (self->selection, GTK_INVALID_LIST_POSITION);
  update_filter (self);
  update_state (self);
}

void
pd_people_page_reload (PdPeoplePage *self)
{
  g_return_if_fail (PD_IS_PEOPLE_PAGE (self));

  pd_people_model_reload (self->model);
}

GtkWidget *
pd_people_page_get_toolbar (PdPeoplePage *self)
{
  g_return_val_if_fail (PD_IS_PEOPLE_PAGE (self), NULL);
  return self->toolbar;
}

GtkWidget *
pd_people_page_get_upload_slot (PdPeoplePage *self)
{
  g_return_val_if_fail (PD_IS_PEOPLE_PAGE (self), NULL);
  return self->upload_slot;
}

GtkWidget *
pd_people_page_get_empty_upload_slot (PdPeoplePage *self)
{
  g_return_val_if_fail (PD_IS_PEOPLE_PAGE (self), NULL);
  return self->empty_upload_slot;
}

PdPeopleModel *
pd_people_page_get_model (PdPeoplePage *self)
{
  g_return_val_if_fail (PD_IS_PEOPLE_PAGE (self), NULL);
  return self->model;
}

GtkSelectionModel *
pd_people_page_get_selection (PdPeoplePage *self)
{
  g_return_val_if_fail (PD_IS_PEOPLE_PAGE (self), NULL);
  return GTK_SELECTION_MODEL (self->selection);
}

/* GTK 4.8's column view has no scroll_to; its list view child has the action. */
void
pd_people_page_scroll_to (PdPeoplePage *self, guint position)
{
  GtkWidget *child;

  g_return_if_fail (PD_IS_PEOPLE_PAGE (self));

  for (child = gtk_widget_get_first_child (GTK_WIDGET (self->column_view)); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (GTK_IS_LIST_VIEW (child))
      gtk_widget_activate_action (child, "list.scroll-to-item", "u", position);
}
