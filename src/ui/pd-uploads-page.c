/* pd-uploads-page.c: the Upload History tab: a partner's eligibility uploads, newest first. */
#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "pd-import-dialog.h"
#include "pd-uploads-page.h"

struct _PdUploadsPage
{
  GtkWidget parent_instance;

  /* Template Widgets */
  GtkWidget     *list_page;
  GtkWidget     *empty_page;
  GtkColumnView *column_view;

  /* Owned References */
  PdStore    *store;
  char       *partner_id;
  GListStore *uploads; /* PdRecord (upload), newest first */
};

G_DEFINE_FINAL_TYPE (PdUploadsPage, pd_uploads_page, GTK_TYPE_WIDGET)

typedef struct
{
  const char *key; /* an upload field, or "when" */
  const char *title;
  gboolean    numeric;
  gboolean    expand;
} Column;

static const Column columns[] = {
  { "file_name", N_ ("File"), FALSE, TRUE },      { "who", N_ ("Uploaded by"), FALSE, FALSE },
  { "when", N_ ("When"), FALSE, FALSE },          { "mode", N_ ("Mode"), FALSE, FALSE },
  { "format", N_ ("Format"), FALSE, FALSE },      { "rows", N_ ("Rows"), TRUE, FALSE },
  { "created", N_ ("Created"), TRUE, FALSE },     { "updated", N_ ("Updated"), TRUE, FALSE },
  { "unchanged", N_ ("Unchanged"), TRUE, FALSE }, { "terminated", N_ ("Terminated"), TRUE, FALSE },
  { "rejected", N_ ("Rejected"), TRUE, FALSE },   { "sha256", N_ ("SHA-256"), FALSE, FALSE },
};

/* The text of column KEY for UPLOAD. */
static char *
cell_text (PdRecord *upload, const Column *column)
{
  const char *sha;

  if (g_str_equal (column->key, "when"))
    {
      char *when = pd_timestamp_format_local (pd_record_get_created_at (upload));

      return when ? when : g_strdup ("");
    }
  if (column->numeric)
    return g_strdup_printf ("%'" G_GINT64_FORMAT, pd_record_get_int (upload, column->key));
  if (g_str_equal (column->key, "sha256"))
    {
      sha = pd_record_get_string (upload, "sha256");
      return sha && strlen (sha) > 12 ? g_strdup_printf ("%.12s…", sha) : g_strdup (sha ? sha : "");
    }
  if (g_str_equal (column->key, "mode") || g_str_equal (column->key, "format"))
    return pd_record_format (upload, column->key);
  sha = pd_record_get_string (upload, column->key);
  return g_strdup (sha ? sha : "");
}

static void
setup_cell (GtkSignalListItemFactory *factory, GtkListItem *item, const Column *column)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), column->numeric ? 1.0f : 0.0f);
  if (!column->numeric && !g_str_equal (column->key, "when"))
    gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  if (column->numeric)
    gtk_widget_add_css_class (label, "numeric");
  gtk_list_item_set_child (item, label);
}

static void
bind_cell (GtkSignalListItemFactory *factory, GtkListItem *item, const Column *column)
{
  PdRecord        *upload = gtk_list_item_get_item (item);
  GtkWidget       *label = gtk_list_item_get_child (item);
  g_autofree char *text = cell_text (upload, column);

  gtk_label_set_text (GTK_LABEL (label), text);
  if (g_str_equal (column->key, "sha256") || g_str_equal (column->key, "file_name"))
    gtk_widget_set_tooltip_text (label, pd_record_get_string (upload, column->key));
}

/* Rejected rows: a small window with the list and its Save button */

static void
show_rejections (PdUploadsPage *self, PdRecord *upload)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) rejections
      = pd_upload_list_rejections (self->store, pd_record_get_id (upload), &error);
  const char         *file_name = pd_record_get_string (upload, "file_name");
  g_autofree char    *title = g_strdup_printf (_ ("Rejected Rows of “%s”"), file_name);
  GtkWidget          *window = adw_window_new ();
  GtkWidget          *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget          *view;
  GtkEventController *shortcuts = gtk_shortcut_controller_new ();

  if (rejections == NULL)
    {
      g_warning ("Could not read the rejected rows: %s", error->message);
      rejections = g_ptr_array_new ();
    }
  view = pd_import_rejections_view_new (rejections, file_name);
  gtk_widget_set_margin_start (view, 12);
  gtk_widget_set_margin_end (view, 12);
  gtk_widget_set_margin_top (view, 12);
  gtk_widget_set_margin_bottom (view, 12);
  gtk_box_append (GTK_BOX (box), adw_header_bar_new ());
  gtk_box_append (GTK_BOX (box), view);
  adw_window_set_content (ADW_WINDOW (window), box);
  gtk_window_set_title (GTK_WINDOW (window), title);
  gtk_window_set_default_size (GTK_WINDOW (window), 640, 480);
  gtk_window_set_modal (GTK_WINDOW (window), TRUE);
  gtk_window_set_transient_for (GTK_WINDOW (window),
                                GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))));
  gtk_window_set_destroy_with_parent (GTK_WINDOW (window), TRUE);
  gtk_shortcut_controller_add_shortcut (
      GTK_SHORTCUT_CONTROLLER (shortcuts),
      gtk_shortcut_new (gtk_keyval_trigger_new (GDK_KEY_Escape, 0),
                        gtk_named_action_new ("window.close")));
  gtk_widget_add_controller (window, shortcuts);
  gtk_window_present (GTK_WINDOW (window));
}

/* Save a copy: the original bytes, to a file the user chooses */

typedef struct
{
  PdUploadsPage *page; /* a reference */
  char          *upload_id;
} SaveData;

static void
save_data_free (SaveData *d)
{
  g_object_unref (d->page);
  g_free (d->upload_id);
  g_free (d);
}

static void
show_error (PdUploadsPage *self, const char *heading, const char *message)
{
  GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))),
                                              heading, message);

  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _ ("_Close"));
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
on_copy_saved (GObject *source, GAsyncResult *result, gpointer user_data)
{
  SaveData          *d = user_data;
  g_autoptr (GError) error = NULL;

  if (!pd_upload_save_copy_finish (result, &error))
    show_error (d->page, _ ("Cannot Save the Copy"), error->message);
  save_data_free (d);
}

static void
on_save_copy_response (GtkNativeDialog *native, int response, SaveData *d)
{
  g_autoptr (GFile) file = NULL;
  g_autofree char *path = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (native));
  g_object_unref (native);
  path = file ? g_file_get_path (file) : NULL;
  if (path == NULL || d->page->store == NULL)
    {
      save_data_free (d);
      return;
    }
  /* Unpacking and writing a big file happens off the main loop. */
  pd_upload_save_copy_async (d->page->store, d->upload_id, path, NULL, on_copy_saved, d);
}

static void
save_copy (PdUploadsPage *self, PdRecord *upload)
{
  GtkFileChooserNative *native;
  SaveData             *d = g_new0 (SaveData, 1);

  d->page = g_object_ref (self);
  d->upload_id = g_strdup (pd_record_get_id (upload));
  native = gtk_file_chooser_native_new (_ ("Save a Copy of the Upload"),
                                        GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))),
                                        GTK_FILE_CHOOSER_ACTION_SAVE, _ ("_Save"), _ ("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (native), TRUE);
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (native),
                                     pd_record_get_string (upload, "file_name"));
  g_signal_connect (native, "response", G_CALLBACK (on_save_copy_response), d);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (native));
}

/* The actions column: two icon buttons per row */

static void
on_row_button_clicked (GtkWidget *button, GtkListItem *item)
{
  PdRecord      *upload = gtk_list_item_get_item (item);
  PdUploadsPage *self = PD_UPLOADS_PAGE (gtk_widget_get_ancestor (button, PD_TYPE_UPLOADS_PAGE));

  if (upload == NULL || self == NULL)
    return;
  if (g_object_get_data (G_OBJECT (button), "save") != NULL)
    save_copy (self, upload);
  else
    show_rejections (self, upload);
}

static GtkWidget *
icon_button_new (const char *icon, const char *label, GtkListItem *item)
{
  GtkWidget *button = gtk_button_new_from_icon_name (icon);

  gtk_widget_set_tooltip_text (button, label);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, label,
                                  -1);
  gtk_widget_add_css_class (button, "flat");
  g_signal_connect (button, "clicked", G_CALLBACK (on_row_button_clicked), item);
  return button;
}

static void
setup_actions (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer user_data)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 0);
  GtkWidget *save = icon_button_new ("document-save-as-symbolic", _ ("Save a Copy…"), item);

  g_object_set_data (G_OBJECT (save), "save", GINT_TO_POINTER (1));
  gtk_box_append (GTK_BOX (box),
                  icon_button_new ("dialog-warning-symbolic", _ ("Show Rejected Rows"), item));
  gtk_box_append (GTK_BOX (box), save);
  gtk_list_item_set_child (item, box);
}

static void
bind_actions (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer user_data)
{
  PdRecord  *upload = gtk_list_item_get_item (item);
  GtkWidget *show = gtk_widget_get_first_child (gtk_list_item_get_child (item));

  gtk_widget_set_sensitive (show, pd_record_get_int (upload, "rejected") > 0);
}

static void
add_column (PdUploadsPage *self, const char *title, GtkListItemFactory *factory, gboolean expand)
{
  GtkColumnViewColumn *column = gtk_column_view_column_new (title, factory);

  gtk_column_view_column_set_expand (column, expand);
  gtk_column_view_column_set_resizable (column, TRUE);
  gtk_column_view_append_column (self->column_view, column);
  g_object_unref (column);
}

static void
add_columns (PdUploadsPage *self)
{
  GtkListItemFactory *factory;

  for (guint i = 0; i < G_N_ELEMENTS (columns); i++)
    {
      factory = gtk_signal_list_item_factory_new ();
      g_signal_connect (factory, "setup", G_CALLBACK (setup_cell), (gpointer)&columns[i]);
      g_signal_connect (factory, "bind", G_CALLBACK (bind_cell), (gpointer)&columns[i]);
      add_column (self, _ (columns[i].title), factory, columns[i].expand);
    }
  factory = gtk_signal_list_item_factory_new ();
  g_signal_connect (factory, "setup", G_CALLBACK (setup_actions), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_actions), NULL);
  add_column (self, "", factory, FALSE);
}

/* Loading */

static int
newest_first (gconstpointer a, gconstpointer b)
{
  PdRecord *x = *(PdRecord **)a;
  PdRecord *y = *(PdRecord **)b;
  int       order = g_strcmp0 (pd_record_get_created_at (y), pd_record_get_created_at (x));

  return order != 0 ? order : g_strcmp0 (pd_record_get_id (y), pd_record_get_id (x));
}

static void
reload (PdUploadsPage *self)
{
  g_autoptr (GPtrArray) uploads = NULL;
  g_autoptr (GError) error = NULL;
  guint    n_old = g_list_model_get_n_items (G_LIST_MODEL (self->uploads));
  gboolean empty;

  if (self->partner_id != NULL && self->store != NULL)
    {
      uploads
          = pd_store_list (self->store, &pd_upload_type, "partner_id", self->partner_id, &error);
      if (uploads == NULL)
        g_warning ("Could not read the uploads: %s", error->message);
    }
  if (uploads == NULL)
    uploads = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_sort (uploads, newest_first);
  g_list_store_splice (self->uploads, 0, n_old, uploads->pdata, uploads->len);
  empty = uploads->len == 0;
  gtk_widget_set_visible (self->list_page, !empty || self->partner_id == NULL);
  gtk_widget_set_visible (self->empty_page, empty && self->partner_id != NULL);
}

static void
on_record_changed (PdStore *store, const char *collection, const char *id, PdUploadsPage *self)
{
  if (self->partner_id != NULL && g_strcmp0 (collection, pd_upload_type.name) == 0)
    reload (self);
}

static void
on_collection_changed (PdStore *store, const char *collection, const char *partner_id,
                       PdUploadsPage *self)
{
  if (self->partner_id == NULL || g_strcmp0 (collection, pd_upload_type.name) != 0)
    return;
  if (partner_id == NULL || g_strcmp0 (partner_id, self->partner_id) == 0)
    reload (self);
}

/* GObject */

static void
pd_uploads_page_dispose (GObject *object)
{
  PdUploadsPage *self = PD_UPLOADS_PAGE (object);
  GtkWidget     *child;

  gtk_widget_dispose_template (GTK_WIDGET (self), PD_TYPE_UPLOADS_PAGE);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  if (self->store != NULL)
    g_signal_handlers_disconnect_by_data (self->store, self);
  g_clear_object (&self->store);
  g_clear_object (&self->uploads);
  g_clear_pointer (&self->partner_id, g_free);
  G_OBJECT_CLASS (pd_uploads_page_parent_class)->dispose (object);
}

static void
pd_uploads_page_class_init (PdUploadsPageClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = pd_uploads_page_dispose;

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "pduploadspage");
  gtk_widget_class_set_template_from_resource (
      widget_class, "/io/github/partnerdesk/PartnerDesk/ui/pd-uploads-page.ui");
  gtk_widget_class_bind_template_child (widget_class, PdUploadsPage, list_page);
  gtk_widget_class_bind_template_child (widget_class, PdUploadsPage, empty_page);
  gtk_widget_class_bind_template_child (widget_class, PdUploadsPage, column_view);
}

static void
pd_uploads_page_init (PdUploadsPage *self)
{
  GtkNoSelection *selection;

  gtk_widget_init_template (GTK_WIDGET (self));
  self->uploads = g_list_store_new (PD_TYPE_RECORD);
  selection = gtk_no_selection_new (G_LIST_MODEL (g_object_ref (self->uploads)));
  gtk_column_view_set_model (self->column_view, GTK_SELECTION_MODEL (selection));
  g_object_unref (selection);
  add_columns (self);
}

PdUploadsPage *
pd_uploads_page_new (PdStore *store)
{
  PdUploadsPage *self;

  g_return_val_if_fail (PD_IS_STORE (store), NULL);

  self = g_object_new (PD_TYPE_UPLOADS_PAGE, NULL);
  self->store = g_object_ref (store);
  g_signal_connect (store, "record-changed", G_CALLBACK (on_record_changed), self);
  g_signal_connect (store, "collection-changed", G_CALLBACK (on_collection_changed), self);
  return self;
}

void
pd_uploads_page_set_partner_id (PdUploadsPage *self, const char *partner_id)
{
  g_return_if_fail (PD_IS_UPLOADS_PAGE (self));

  if (g_strcmp0 (self->partner_id, partner_id) == 0)
    return;
  g_free (self->partner_id);
  self->partner_id = g_strdup (partner_id);
  reload (self);
}

GListModel *
pd_uploads_page_get_model (PdUploadsPage *self)
{
  g_return_val_if_fail (PD_IS_UPLOADS_PAGE (self), NULL);

  return G_LIST_MODEL (self->uploads);
}
