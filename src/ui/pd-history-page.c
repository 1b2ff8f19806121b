/* pd-history-page.c: the audit trail of one partner and its records, newest first. */
#include "config.h"

#include <glib/gi18n.h>

#include "pd-history-page.h"

struct _PdHistoryPage
{
  GtkWidget parent_instance;

  /* Template Widgets */
  GtkWidget   *pages;
  GtkWidget   *list_page;
  GtkWidget   *empty_page;
  GtkListView *list_view;

  /* Owned References */
  PdStore    *store;
  char       *partner_id;
  GListStore *entries; /* PdAuditEntry, newest first */
};

G_DEFINE_FINAL_TYPE (PdHistoryPage, pd_history_page, GTK_TYPE_WIDGET)

static void
setup_row (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer user_data)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *description = gtk_label_new (NULL);
  GtkWidget *caption = gtk_label_new (NULL);

  gtk_widget_set_margin_start (box, 12);
  gtk_widget_set_margin_end (box, 12);
  gtk_widget_set_margin_top (box, 8);
  gtk_widget_set_margin_bottom (box, 8);
  gtk_label_set_xalign (GTK_LABEL (description), 0);
  gtk_label_set_wrap (GTK_LABEL (description), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (description), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_xalign (GTK_LABEL (caption), 0);
  gtk_label_set_wrap (GTK_LABEL (caption), TRUE);
  gtk_widget_add_css_class (caption, "caption");
  gtk_widget_add_css_class (caption, "dim-label");
  gtk_box_append (GTK_BOX (box), description);
  gtk_box_append (GTK_BOX (box), caption);
  gtk_list_item_set_child (item, box);
}

static void
bind_row (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer user_data)
{
  PdHistoryPage   *self = user_data;
  PdAuditEntry    *entry = gtk_list_item_get_item (item);
  GtkWidget       *box = gtk_list_item_get_child (item);
  GtkWidget       *description = gtk_widget_get_first_child (box);
  GtkWidget       *caption = gtk_widget_get_next_sibling (description);
  g_autofree char *text = pd_store_describe_audit_entry (self->store, entry);
  g_autofree char *when = pd_timestamp_format_local (pd_audit_entry_get_at (entry));
  g_autofree char *who_when = NULL;
  const char      *who = pd_audit_entry_get_who (entry);

  /* Translators: who made a change · when, e.g. "Practice Admin · 11/24/26 06:05:37" */
  who_when = g_strdup_printf (_ ("%s · %s"), who && *who ? who : _ ("Unknown"), when ? when : "");
  gtk_label_set_text (GTK_LABEL (description), text);
  gtk_label_set_text (GTK_LABEL (caption), who_when);
}

static gint64
top_seq (PdHistoryPage *self)
{
  g_autoptr (PdAuditEntry) first = g_list_model_get_item (G_LIST_MODEL (self->entries), 0);

  return first ? pd_audit_entry_get_seq (first) : -1;
}

static void
update_pages (PdHistoryPage *self)
{
  gboolean empty = g_list_model_get_n_items (G_LIST_MODEL (self->entries)) == 0;

  gtk_widget_set_visible (self->list_page, !empty || self->partner_id == NULL);
  gtk_widget_set_visible (self->empty_page, empty && self->partner_id != NULL);
}

/* Newer entries go on top with one exact items-changed; otherwise all anew. */
static void
reload (PdHistoryPage *self)
{
  g_autoptr (GPtrArray) entries = NULL;
  g_autoptr (GError) error = NULL;
  guint  n_old = g_list_model_get_n_items (G_LIST_MODEL (self->entries));
  gint64 old_top = top_seq (self);
  guint  n_newer = 0;

  if (self->partner_id != NULL && self->store != NULL)
    {
      entries = pd_store_list_history (self->store, self->partner_id, &error);
      if (entries == NULL)
        g_warning ("Could not read the history: %s", error->message);
    }
  if (entries == NULL)
    entries = g_ptr_array_new_with_free_func (g_object_unref);

  while (n_newer < entries->len
         && pd_audit_entry_get_seq (g_ptr_array_index (entries, n_newer)) > old_top)
    n_newer++;

  if (n_old > 0 && n_old + n_newer == entries->len)
    g_list_store_splice (self->entries, 0, 0, entries->pdata, n_newer);
  else
    g_list_store_splice (self->entries, 0, n_old, entries->pdata, entries->len);
  update_pages (self);
}

static gboolean
belongs_to_partner (PdHistoryPage *self, const char *collection, const char *id)
{
  const PdRecordType *type = pd_record_type_lookup (collection);
  g_autoptr (PdRecord) record = NULL;

  if (type == NULL || type->partner_field == NULL)
    return FALSE;
  if (g_strcmp0 (type->partner_field, "id") == 0)
    return g_strcmp0 (id, self->partner_id) == 0;
  record = pd_store_get (self->store, type, id, NULL);
  return record != NULL
         && g_strcmp0 (pd_record_get_string (record, type->partner_field), self->partner_id) == 0;
}

static void
on_record_changed (PdStore *store, const char *collection, const char *id, PdHistoryPage *self)
{
  if (self->partner_id == NULL)
    return;
  if (belongs_to_partner (self, collection, id))
    reload (self);
}

static void
pd_history_page_dispose (GObject *object)
{
  PdHistoryPage *self = PD_HISTORY_PAGE (object);
  GtkWidget     *child;

  gtk_widget_dispose_template (GTK_WIDGET (self), PD_TYPE_HISTORY_PAGE);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  if (self->store != NULL)
    g_signal_handlers_disconnect_by_data (self->store, self);
  g_clear_object (&self->store);
  g_clear_object (&self->entries);
  g_clear_pointer (&self->partner_id, g_free);
  G_OBJECT_CLASS (pd_history_page_parent_class)->dispose (object);
}

static void
pd_history_page_class_init (PdHistoryPageClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = pd_history_page_dispose;

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "pdhistorypage");
  gtk_widget_class_set_template_from_resource (
      widget_class, "/io/github/partnerdesk/PartnerDesk/ui/pd-history-page.ui");
  gtk_widget_class_bind_template_child (widget_class, PdHistoryPage, pages);
  gtk_widget_class_bind_template_child (widget_class, PdHistoryPage, list_page);
  gtk_widget_class_bind_template_child (widget_class, PdHistoryPage, empty_page);
  gtk_widget_class_bind_template_child (widget_class, PdHistoryPage, list_view);
}

static void
pd_history_page_init (PdHistoryPage *self)
{
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();
  GtkNoSelection     *selection;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->entries = g_list_store_new (PD_TYPE_AUDIT_ENTRY);
  selection = gtk_no_selection_new (G_LIST_MODEL (g_object_ref (self->entries)));
  g_signal_connect (factory, "setup", G_CALLBACK (setup_row), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_row), self);
  gtk_list_view_set_factory (self->list_view, factory);
  gtk_list_view_set_model (self->list_view, GTK_SELECTION_MODEL (selection));
  g_object_unref (selection);
  g_object_unref (factory);
}

PdHistoryPage *
pd_history_page_new (PdStore *store)
{
  PdHistoryPage *self;

  g_return_val_if_fail (PD_IS_STORE (store), NULL);

  self = g_object_new (PD_TYPE_HISTORY_PAGE, NULL);
  self->store = g_object_ref (store);
  g_signal_connect (store, "record-changed", G_CALLBACK (on_record_changed), self);
  return self;
}

void
pd_history_page_set_partner_id (PdHistoryPage *self, const char *partner_id)
{
  g_return_if_fail (PD_IS_HISTORY_PAGE (self));

  if (g_strcmp0 (self->partner_id, partner_id) == 0)
    return;
  g_free (self->partner_id);
  self->partner_id = g_strdup (partner_id);
  /* Another partner: nothing of the old list is kept. */
  g_list_store_remove_all (self->entries);
  reload (self);
}

/* The entries shown (PdAuditEntry, newest first), for tests. */
GListModel *
pd_history_page_get_model (PdHistoryPage *self)
{
  g_return_val_if_fail (PD_IS_HISTORY_PAGE (self), NULL);

  return G_LIST_MODEL (self->entries);
}
