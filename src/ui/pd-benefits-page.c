/* pd-benefits-page.c: the Benefits tab: what an employer's people are covered for. */
#include "config.h"

#include <glib/gi18n.h>

#include "pd-benefits-page.h"
#include "pd-record-editor.h"
#include "pd-stats-item.h"

struct _PdBenefitsPage
{
  GtkWidget parent_instance;

  /* Template Widgets */
  AdwToastOverlay *toast_overlay;
  GtkStack        *stack;
  GtkColumnView   *column_view;

  /* Owned References */
  PdStore    *store;
  char       *partner_id;
  GListStore *benefits; /* PdStatsItem of PdRecord */

  /* Borrowed References */
  GtkSingleSelection *selection;

  gboolean employer;
};

G_DEFINE_FINAL_TYPE (PdBenefitsPage, pd_benefits_page, GTK_TYPE_WIDGET)

/* Columns */

static char *
benefit_examination (gconstpointer data)
{
  return g_strdup (pd_record_get_title ((PdRecord *)data));
}

static char *
benefit_visits_text (gconstpointer data)
{
  gint64 visits = pd_record_get_int ((PdRecord *)data, "visits_per_year");

  return visits > 0 ? pd_number_format (visits) : g_strdup (_ ("Unlimited"));
}

/* Unlimited sorts after every limit. */
static gint64
benefit_visits (gconstpointer data)
{
  gint64 visits = pd_record_get_int ((PdRecord *)data, "visits_per_year");

  return visits > 0 ? visits : G_MAXINT64;
}

static char *
benefit_copay_text (gconstpointer data)
{
  return pd_money_format (pd_record_get_int ((PdRecord *)data, "copay"), pd_money_get_currency ());
}

static gint64
benefit_copay (gconstpointer data)
{
  return pd_record_get_int ((PdRecord *)data, "copay");
}

static char *
benefit_waiting_text (gconstpointer data)
{
  gint64 days = pd_record_get_int ((PdRecord *)data, "waiting_days");

  if (days == 0)
    return g_strdup (_ ("None"));
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d day", "%d days", days), (int)days);
}

static gint64
benefit_waiting (gconstpointer data)
{
  return pd_record_get_int ((PdRecord *)data, "waiting_days");
}

static char *
benefit_dependents (gconstpointer data)
{
  return g_strdup (pd_record_get_bool ((PdRecord *)data, "dependents_covered") ? _ ("Yes")
                                                                               : _ ("No"));
}

static const PdStatsColumn columns[] = {
  { N_ ("Covered examination"), benefit_examination, NULL },
  { N_ ("Visits per year"), benefit_visits_text, benefit_visits },
  { N_ ("Copay"), benefit_copay_text, benefit_copay },
  { N_ ("Waiting period"), benefit_waiting_text, benefit_waiting },
  { N_ ("Dependents covered"), benefit_dependents, NULL },
};

/* State */

static PdRecord *
selected_benefit (PdBenefitsPage *self)
{
  PdStatsItem *item = gtk_single_selection_get_selected_item (self->selection);

  return item ? pd_stats_item_get (item) : NULL;
}

static void
toast (PdBenefitsPage *self, const char *message)
{
  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (message));
}

static GtkWindow *
parent_window (PdBenefitsPage *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  return GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL;
}

static void
update_actions (PdBenefitsPage *self)
{
  gboolean writable = self->store != NULL && !pd_store_is_read_only (self->store);
  gboolean selected = selected_benefit (self) != NULL;
  guint    n = g_list_model_get_n_items (G_LIST_MODEL (self->benefits));

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "benefits.add", writable && self->employer);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "benefits.edit", writable && selected);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "benefits.delete", writable && selected);
  if (self->partner_id != NULL && !self->employer)
    gtk_stack_set_visible_child_name (self->stack, "not-employer");
  else
    gtk_stack_set_visible_child_name (self->stack,
                                      n == 0 && self->partner_id != NULL ? "empty" : "list");
}

static void
select_benefit (PdBenefitsPage *self, const char *id)
{
  GListModel *model = G_LIST_MODEL (self->selection);
  guint       n = g_list_model_get_n_items (model);

  for (guint i = 0; id != NULL && i < n; i++)
    {
      g_autoptr (PdStatsItem) item = g_list_model_get_item (model, i);

      if (g_strcmp0 (pd_record_get_id (pd_stats_item_get (item)), id) == 0)
        {
          gtk_single_selection_set_selected (self->selection, i);
          return;
        }
    }
}

static void
reload (PdBenefitsPage *self)
{
  g_autoptr (GPtrArray) benefits = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (PdRecord) partner = NULL;
  PdRecord        *selected = selected_benefit (self);
  g_autofree char *selected_id = selected ? g_strdup (pd_record_get_id (selected)) : NULL;

  if (self->partner_id != NULL)
    partner = pd_store_get (self->store, &pd_partner_type, self->partner_id, NULL);
  self->employer
      = partner != NULL && g_strcmp0 (pd_record_get_string (partner, "kind"), "employer") == 0;
  if (self->employer)
    {
      benefits = pd_benefit_list (self->store, self->partner_id, &error);
      if (benefits == NULL)
        toast (self, error->message);
    }
  pd_stats_store_set (self->benefits, benefits, g_object_unref);
  select_benefit (self, selected_id);
  update_actions (self);
}

static void
on_record_changed (PdStore *store, const char *collection, const char *id, PdBenefitsPage *self)
{
  if (self->partner_id == NULL)
    return;
  if (g_strcmp0 (collection, pd_benefit_type.name) == 0
      || g_strcmp0 (collection, pd_examination_type.name) == 0
      || (g_strcmp0 (collection, pd_partner_type.name) == 0
          && g_strcmp0 (id, self->partner_id) == 0))
    reload (self);
}

static void
on_collection_changed (PdStore *store, const char *collection, const char *partner_id,
                       PdBenefitsPage *self)
{
  if (self->partner_id != NULL
      && (g_strcmp0 (collection, pd_benefit_type.name) == 0
          || g_strcmp0 (collection, pd_examination_type.name) == 0)
      && (partner_id == NULL || g_strcmp0 (partner_id, self->partner_id) == 0))
    reload (self);
}

/* Actions */

static void
on_saved (PdRecordEditor *editor, PdRecord *benefit, PdBenefitsPage *self)
{
  select_benefit (self, pd_record_get_id (benefit));
}

static void
open_editor (PdBenefitsPage *self, PdRecord *benefit)
{
  PdRecordEditor *editor = pd_record_editor_new (parent_window (self), self->store, benefit);

  g_signal_connect_object (editor, "saved", G_CALLBACK (on_saved), self, 0);
  gtk_window_present (GTK_WINDOW (editor));
}

static void
add_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  PdBenefitsPage *self = PD_BENEFITS_PAGE (widget);
  g_autoptr (PdRecord) benefit = NULL;

  if (self->partner_id == NULL || !self->employer)
    return;
  benefit = pd_record_new (&pd_benefit_type);
  pd_record_set_string (benefit, "partner_id", self->partner_id);
  open_editor (self, benefit);
}

static void
edit_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  PdBenefitsPage *self = PD_BENEFITS_PAGE (widget);
  PdRecord       *benefit = selected_benefit (self);

  if (benefit != NULL)
    open_editor (self, benefit);
}

static void
on_undo (AdwToast *toast_, PdBenefitsPage *self)
{
  const char *id = g_object_get_data (G_OBJECT (toast_), "benefit-id");
  g_autoptr (GError) error = NULL;

  if (!pd_store_restore (self->store, &pd_benefit_type, id, &error))
    toast (self, error->message);
  else
    select_benefit (self, id);
}

static void
delete_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  PdBenefitsPage *self = PD_BENEFITS_PAGE (widget);
  PdRecord       *selected = selected_benefit (self);
  g_autoptr (PdRecord) benefit = selected ? g_object_ref (selected) : NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *title = NULL;
  AdwToast        *undo;

  if (benefit == NULL)
    return;
  if (!pd_store_delete (self->store, &pd_benefit_type, pd_record_get_id (benefit), &error))
    {
      toast (self, error->message);
      return;
    }
  /* Translators: %s is an examination */
  title = g_strdup_printf (_ ("Benefit for “%s” deleted"), pd_record_get_title (benefit));
  undo = adw_toast_new (title);
  adw_toast_set_button_label (undo, _ ("_Undo"));
  adw_toast_set_priority (undo, ADW_TOAST_PRIORITY_HIGH);
  g_object_set_data_full (G_OBJECT (undo), "benefit-id", g_strdup (pd_record_get_id (benefit)),
                          g_free);
  g_signal_connect_object (undo, "button-clicked", G_CALLBACK (on_undo), self, 0);
  adw_toast_overlay_add_toast (self->toast_overlay, undo);
}

static void
on_activate (GtkColumnView *view, guint position, PdBenefitsPage *self)
{
  g_autoptr (PdStatsItem) item = g_list_model_get_item (G_LIST_MODEL (self->selection), position);

  if (item != NULL)
    open_editor (self, pd_stats_item_get (item));
}

/* The widget */

static void
pd_benefits_page_dispose (GObject *object)
{
  PdBenefitsPage *self = PD_BENEFITS_PAGE (object);

  if (self->store != NULL)
    g_signal_handlers_disconnect_by_data (self->store, self);
  gtk_widget_dispose_template (GTK_WIDGET (self), PD_TYPE_BENEFITS_PAGE);
  for (GtkWidget *child; (child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL;)
    gtk_widget_unparent (child);
  g_clear_object (&self->store);
  g_clear_object (&self->benefits);
  g_clear_pointer (&self->partner_id, g_free);
  G_OBJECT_CLASS (pd_benefits_page_parent_class)->dispose (object);
}

static void
pd_benefits_page_class_init (PdBenefitsPageClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = pd_benefits_page_dispose;

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (
      widget_class, "/io/github/partnerdesk/PartnerDesk/ui/pd-benefits-page.ui");
  gtk_widget_class_bind_template_child (widget_class, PdBenefitsPage, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, PdBenefitsPage, stack);
  gtk_widget_class_bind_template_child (widget_class, PdBenefitsPage, column_view);
  gtk_widget_class_bind_template_callback (widget_class, on_activate);

  gtk_widget_class_install_action (widget_class, "benefits.add", NULL, add_action);
  gtk_widget_class_install_action (widget_class, "benefits.edit", NULL, edit_action);
  gtk_widget_class_install_action (widget_class, "benefits.delete", NULL, delete_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Delete, 0, "benefits.delete", NULL);
}

static void
pd_benefits_page_init (PdBenefitsPage *self)
{
  GtkColumnViewColumn *first;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->benefits = g_list_store_new (PD_TYPE_STATS_ITEM);
  first = pd_stats_add_columns (self->column_view, columns, G_N_ELEMENTS (columns), NULL);
  self->selection = pd_stats_bind_model (self->column_view, self->benefits);
  gtk_column_view_sort_by_column (self->column_view, first, GTK_SORT_ASCENDING);
  g_signal_connect_swapped (self->selection, "notify::selected-item", G_CALLBACK (update_actions),
                            self);
  update_actions (self);
}

PdBenefitsPage *
pd_benefits_page_new (PdStore *store)
{
  PdBenefitsPage *self;

  g_return_val_if_fail (PD_IS_STORE (store), NULL);

  self = g_object_new (PD_TYPE_BENEFITS_PAGE, NULL);
  self->store = g_object_ref (store);
  g_signal_connect (store, "record-changed", G_CALLBACK (on_record_changed), self);
  g_signal_connect (store, "collection-changed", G_CALLBACK (on_collection_changed), self);
  update_actions (self);
  return self;
}

void
pd_benefits_page_set_partner_id (PdBenefitsPage *self, const char *partner_id)
{
  g_return_if_fail (PD_IS_BENEFITS_PAGE (self));

  if (g_strcmp0 (self->partner_id, partner_id) == 0)
    return;
  g_free (self->partner_id);
  self->partner_id = g_strdup (partner_id);
  reload (self);
}

GtkSelectionModel *
pd_benefits_page_get_selection (PdBenefitsPage *self)
{
  g_return_val_if_fail (PD_IS_BENEFITS_PAGE (self), NULL);

  return GTK_SELECTION_MODEL (self->selection);
}
