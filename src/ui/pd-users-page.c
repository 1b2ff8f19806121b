/* pd-users-page.c: a partner's portal users: a sortable table; add, edit, disable, resend
 * invitation. */
#include "config.h"

#include <glib/gi18n.h>

#include "pd-users-page.h"
#include "pd-record-editor.h"

#define STATUS_FIELD "status"
#define STATUS_DISABLED "disabled"
#define STATUS_ENABLED "active"

struct _PdUsersPage
{
  GtkWidget parent_instance;

  /* Template Widgets */
  AdwToastOverlay *toast_overlay;
  GtkWidget       *list_page;
  GtkWidget       *empty_page;
  GtkWidget       *add_button;
  GtkWidget       *edit_button;
  GtkWidget       *toggle_button;
  GtkColumnView   *column_view;

  /* Owned References */
  PdStore            *store;
  char               *partner_id;
  GListStore         *users;     /* PdRecord of this partner */
  GtkSingleSelection *selection; /* over the sorted users */
  gboolean            read_only; /* the signed-in user may not edit partners */
};

G_DEFINE_FINAL_TYPE (PdUsersPage, pd_users_page, GTK_TYPE_WIDGET)

/* The columns, by field name; the title field comes first. */
static const char *const column_fields[] = { "email", "role", STATUS_FIELD };

static const char *
partner_field (void)
{
  return pd_partner_user_type.partner_field ? pd_partner_user_type.partner_field : "partner_id";
}

static PdRecord *
get_selected_user (PdUsersPage *self)
{
  return gtk_single_selection_get_selected_item (self->selection);
}

static gboolean
user_is_disabled (PdRecord *user)
{
  return g_strcmp0 (pd_record_get_string (user, STATUS_FIELD), STATUS_DISABLED) == 0;
}

static void
update_actions (PdUsersPage *self)
{
  PdRecord   *user = get_selected_user (self);
  gboolean    disabled = user != NULL && user_is_disabled (user);
  const char *label = disabled ? _ ("Enable") : _ ("Disable");
  guint       n_items = g_list_model_get_n_items (G_LIST_MODEL (self->users));

  const char *email = user ? pd_record_get_string (user, "email") : NULL;
  gboolean    editable
      = !self->read_only && self->store != NULL && !pd_store_is_read_only (self->store);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "users.add",
                                 editable && self->partner_id != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "users.edit", editable && user != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "users.toggle-status",
                                 editable && user != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "users.resend-invitation",
                                 editable && user != NULL && !disabled && email != NULL
                                     && *email != '\0');

  gtk_button_set_label (GTK_BUTTON (self->toggle_button), label);

  gtk_widget_set_visible (self->list_page, n_items > 0 || self->partner_id == NULL);
  gtk_widget_set_visible (self->empty_page, n_items == 0 && self->partner_id != NULL);
}

static void
show_error (PdUsersPage *self, GError *error)
{
  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (error->message));
}

static GtkWindow *
parent_window (PdUsersPage *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  return GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL;
}

static void
open_editor (PdUsersPage *self, PdRecord *user)
{
  PdRecordEditor *editor = pd_record_editor_new (parent_window (self), self->store, user);

  gtk_window_present (GTK_WINDOW (editor));
}

/* Cell text of FIELD: the title field as is, the others formatted. */
static char *
cell_text (PdRecord *user, const PdField *field)
{
  g_autofree char *text = pd_record_format (user, field->name);

  return g_strdup (text ? text : "");
}

static void
setup_cell (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer user_data)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_list_item_set_child (item, label);
}

static void
bind_cell (GtkSignalListItemFactory *factory, GtkListItem *item, const PdField *field)
{
  PdRecord        *user = gtk_list_item_get_item (item);
  GtkWidget       *label = gtk_list_item_get_child (item);
  g_autofree char *text = cell_text (user, field);

  gtk_label_set_text (GTK_LABEL (label), text);
  if (g_strcmp0 (field->name, STATUS_FIELD) == 0 && user_is_disabled (user))
    gtk_widget_add_css_class (label, "dim-label");
  else
    gtk_widget_remove_css_class (label, "dim-label");
}

static int
compare_cells (gconstpointer a, gconstpointer b, gpointer user_data)
{
  const PdField   *field = user_data;
  g_autofree char *text_a = cell_text ((PdRecord *)a, field);
  g_autofree char *text_b = cell_text ((PdRecord *)b, field);

  return g_utf8_collate (text_a, text_b);
}

static GtkColumnViewColumn *
add_column (PdUsersPage *self, const PdField *field)
{
  GtkListItemFactory  *factory = gtk_signal_list_item_factory_new ();
  GtkColumnViewColumn *column;
  GtkSorter           *sorter;

  g_signal_connect (factory, "setup", G_CALLBACK (setup_cell), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_cell), (gpointer)field);
  column = gtk_column_view_column_new (_ (field->label), factory);
  sorter = GTK_SORTER (gtk_custom_sorter_new (compare_cells, (gpointer)field, NULL));
  gtk_column_view_column_set_sorter (column, sorter);
  gtk_column_view_column_set_resizable (column, TRUE);
  gtk_column_view_column_set_expand (column, field->type == PD_FIELD_TEXT);
  gtk_column_view_append_column (self->column_view, column);
  g_object_unref (sorter);
  g_object_unref (column);
  return column;
}

static void
setup_columns (PdUsersPage *self)
{
  const PdField *title
      = pd_record_type_get_field (&pd_partner_user_type, pd_partner_user_type.title_field);
  GtkColumnViewColumn *title_column = NULL;

  if (title != NULL)
    title_column = add_column (self, title);
  for (guint i = 0; i < G_N_ELEMENTS (column_fields); i++)
    {
      const PdField *field = pd_record_type_get_field (&pd_partner_user_type, column_fields[i]);

      if (field != NULL)
        add_column (self, field);
    }
  if (title_column != NULL)
    gtk_column_view_sort_by_column (self->column_view, title_column, GTK_SORT_ASCENDING);
}

static gboolean
find_user (GListModel *model, const char *id, guint *position)
{
  guint n = g_list_model_get_n_items (model);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr (PdRecord) user = g_list_model_get_item (model, i);

      if (g_strcmp0 (pd_record_get_id (user), id) == 0)
        {
          *position = i;
          return TRUE;
        }
    }
  return FALSE;
}

static void
select_user (PdUsersPage *self, const char *id)
{
  guint position;

  if (id != NULL && find_user (G_LIST_MODEL (self->selection), id, &position))
    gtk_single_selection_set_selected (self->selection, position);
}

static void
reload (PdUsersPage *self)
{
  g_autoptr (GPtrArray) users = NULL;
  g_autoptr (GError) error = NULL;
  guint n_old = g_list_model_get_n_items (G_LIST_MODEL (self->users));

  if (self->partner_id != NULL && self->store != NULL)
    {
      users = pd_store_list (self->store, &pd_partner_user_type, partner_field (), self->partner_id,
                             &error);
      if (users == NULL)
        show_error (self, error);
    }
  g_list_store_splice (self->users, 0, n_old, users ? users->pdata : NULL, users ? users->len : 0);
  update_actions (self);
}

/* One user changed: replace, insert or remove exactly that item. */
static void
on_record_changed (PdStore *store, const char *collection, const char *id, PdUsersPage *self)
{
  g_autoptr (PdRecord) user = NULL;
  g_autofree char *selected_id = NULL;
  PdRecord        *selected;
  gboolean         belongs;
  guint            position;

  if (self->partner_id == NULL || g_strcmp0 (collection, pd_partner_user_type.name) != 0)
    return;
  user = pd_store_get (store, &pd_partner_user_type, id, NULL);
  belongs = user != NULL && !pd_record_get_deleted (user)
            && g_strcmp0 (pd_record_get_string (user, partner_field ()), self->partner_id) == 0;
  selected = get_selected_user (self);
  selected_id = selected ? g_strdup (pd_record_get_id (selected)) : NULL;

  if (find_user (G_LIST_MODEL (self->users), id, &position))
    g_list_store_splice (self->users, position, 1, belongs ? (gpointer *)&user : NULL,
                         belongs ? 1 : 0);
  else if (belongs)
    g_list_store_append (self->users, user);
  else
    return;

  /* A new user is selected; otherwise the selection stays where it was. */
  select_user (self, belongs && selected_id == NULL ? id : selected_id);
  update_actions (self);
}

static void
on_saved (PdRecordEditor *editor, PdRecord *user, PdUsersPage *self)
{
  select_user (self, pd_record_get_id (user));
}

static void
add_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  PdUsersPage *self = PD_USERS_PAGE (widget);
  g_autoptr (PdRecord) user = NULL;
  PdRecordEditor *editor;

  if (self->partner_id == NULL)
    return;
  user = pd_record_new (&pd_partner_user_type);
  pd_record_set_string (user, partner_field (), self->partner_id);
  editor = pd_record_editor_new (parent_window (self), self->store, user);
  g_signal_connect_object (editor, "saved", G_CALLBACK (on_saved), self, 0);
  gtk_window_present (GTK_WINDOW (editor));
}

static void
edit_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  PdUsersPage *self = PD_USERS_PAGE (widget);
  PdRecord    *user = get_selected_user (self);

  if (user != NULL)
    open_editor (self, user);
}

static void
toggle_status_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  PdUsersPage *self = PD_USERS_PAGE (widget);
  PdRecord    *selected = get_selected_user (self);
  g_autoptr (PdRecord) user = NULL;
  g_autoptr (GError) error = NULL;

  if (selected == NULL)
    return;
  user = pd_record_copy (selected);
  pd_record_set_string (user, STATUS_FIELD,
                        user_is_disabled (user) ? STATUS_ENABLED : STATUS_DISABLED);
  if (!pd_store_save (self->store, user, &error))
    show_error (self, error);
}

/* The server emails the user a new link once the request time reaches it. */
static void
resend_invitation_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  PdUsersPage *self = PD_USERS_PAGE (widget);
  PdRecord    *selected = get_selected_user (self);
  g_autoptr (PdRecord) user = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *now = pd_timestamp_now ();

  if (selected == NULL)
    return;
  user = pd_record_copy (selected);
  pd_record_set_string (user, "invitation_requested_at", now);
  if (!pd_store_save (self->store, user, &error))
    {
      show_error (self, error);
      return;
    }
  adw_toast_overlay_add_toast (self->toast_overlay,
                               adw_toast_new (_ ("Invitation queued: the server sends it when "
                                                 "this computer syncs")));
}

static void
on_column_view_activate (GtkColumnView *view, guint position, PdUsersPage *self)
{
  g_autoptr (PdRecord) user = g_list_model_get_item (G_LIST_MODEL (self->selection), position);

  if (user != NULL && !self->read_only)
    open_editor (self, user);
}

static void
on_selection_changed (PdUsersPage *self)
{
  update_actions (self);
}

static void
pd_users_page_dispose (GObject *object)
{
  PdUsersPage *self = PD_USERS_PAGE (object);
  GtkWidget   *child;

  gtk_widget_dispose_template (GTK_WIDGET (self), PD_TYPE_USERS_PAGE);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  if (self->store != NULL)
    g_signal_handlers_disconnect_by_data (self->store, self);
  g_clear_object (&self->store);
  g_clear_object (&self->selection);
  g_clear_object (&self->users);
  g_clear_pointer (&self->partner_id, g_free);
  G_OBJECT_CLASS (pd_users_page_parent_class)->dispose (object);
}

static void
pd_users_page_class_init (PdUsersPageClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = pd_users_page_dispose;

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "pduserspage");
  gtk_widget_class_set_template_from_resource (
      widget_class, "/io/github/partnerdesk/PartnerDesk/ui/pd-users-page.ui");
  gtk_widget_class_bind_template_child (widget_class, PdUsersPage, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, PdUsersPage, list_page);
  gtk_widget_class_bind_template_child (widget_class, PdUsersPage, empty_page);
  gtk_widget_class_bind_template_child (widget_class, PdUsersPage, add_button);
  gtk_widget_class_bind_template_child (widget_class, PdUsersPage, edit_button);
  gtk_widget_class_bind_template_child (widget_class, PdUsersPage, toggle_button);
  gtk_widget_class_bind_template_child (widget_class, PdUsersPage, column_view);
  gtk_widget_class_bind_template_callback (widget_class, on_column_view_activate);

  gtk_widget_class_install_action (widget_class, "users.add", NULL, add_action);
  gtk_widget_class_install_action (widget_class, "users.edit", NULL, edit_action);
  gtk_widget_class_install_action (widget_class, "users.toggle-status", NULL, toggle_status_action);
  gtk_widget_class_install_action (widget_class, "users.resend-invitation", NULL,
                                   resend_invitation_action);
}

static void
pd_users_page_init (PdUsersPage *self)
{
  GtkSortListModel *sorted;
  GtkSorter        *sorter;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->users = g_list_store_new (PD_TYPE_RECORD);
  sorter = gtk_column_view_get_sorter (self->column_view);
  sorted = gtk_sort_list_model_new (G_LIST_MODEL (g_object_ref (self->users)),
                                    sorter ? g_object_ref (sorter) : NULL);
  self->selection = gtk_single_selection_new (G_LIST_MODEL (sorted));
  gtk_column_view_set_model (self->column_view, GTK_SELECTION_MODEL (self->selection));
  g_signal_connect_swapped (self->selection, "notify::selected-item",
                            G_CALLBACK (on_selection_changed), self);
  setup_columns (self);
  update_actions (self);
}

PdUsersPage *
pd_users_page_new (PdStore *store)
{
  PdUsersPage *self;

  g_return_val_if_fail (PD_IS_STORE (store), NULL);

  self = g_object_new (PD_TYPE_USERS_PAGE, NULL);
  self->store = g_object_ref (store);
  g_signal_connect (store, "record-changed", G_CALLBACK (on_record_changed), self);
  return self;
}

void
pd_users_page_set_partner_id (PdUsersPage *self, const char *partner_id)
{
  g_return_if_fail (PD_IS_USERS_PAGE (self));

  if (g_strcmp0 (self->partner_id, partner_id) == 0)
    return;
  g_free (self->partner_id);
  self->partner_id = g_strdup (partner_id);
  reload (self);
}

/* The model the table shows (sorted, with the selection), for tests. */
GtkSelectionModel *
pd_users_page_get_selection (PdUsersPage *self)
{
  g_return_val_if_fail (PD_IS_USERS_PAGE (self), NULL);

  return GTK_SELECTION_MODEL (self->selection);
}

/* FALSE: the signed-in user may look but not add, edit, disable or invite. */
void
pd_users_page_set_editable (PdUsersPage *self, gboolean editable)
{
  g_return_if_fail (PD_IS_USERS_PAGE (self));

  if (self->read_only == !editable)
    return;
  self->read_only = !editable;
  update_actions (self);
}
