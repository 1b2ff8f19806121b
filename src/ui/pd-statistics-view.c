/* pd-statistics-view.c: the practice-wide Statistics view: partners compared over a period. */
#include "config.h"

#include <glib/gi18n.h>

#include "pd-lazy-reload.h"
#include "pd-period-picker.h"
#include "pd-statistics-view.h"
#include "pd-stats-item.h"

struct _PdStatisticsView
{
  GtkWidget parent_instance;

  /* Template Widgets */
  AdwToastOverlay *toast_overlay;
  PdPeriodPicker  *period_picker;
  GtkSpinner      *spinner;
  GtkStack        *stack;
  GtkColumnView   *column_view;
  GtkLabel        *total_label;

  /* Owned References */
  PdStore      *store;
  GListStore   *rows; /* PdStatsItem of PartnerRow */
  GCancellable *cancellable;

  /* Borrowed References */
  GtkSingleSelection *selection;

  guint    generation;
  gboolean computing;
  PdLazyReload lazy;
};

G_DEFINE_FINAL_TYPE (PdStatisticsView, pd_statistics_view, GTK_TYPE_WIDGET)

/* A partner's figures with its kind (the row first, so it reads as a PdStatisticsRow). */
typedef struct
{
  PdStatisticsRow row;
  char           *kind; /* translated label */
} PartnerRow;

static void
partner_row_free (PartnerRow *row)
{
  g_free (row->row.id);
  g_free (row->row.title);
  g_free (row->kind);
  g_free (row);
}

/* Columns */

static char *
money_text (gint64 amount)
{
  return pd_money_format (amount, pd_money_get_currency ());
}

static char *
col_name (gconstpointer data)
{
  return g_strdup (((const PartnerRow *)data)->row.title);
}

static char *
col_kind (gconstpointer data)
{
  return g_strdup (((const PartnerRow *)data)->kind);
}

static char *
col_count_text (gconstpointer data)
{
  return pd_number_format (((const PartnerRow *)data)->row.count);
}

static gint64
col_count (gconstpointer data)
{
  return ((const PartnerRow *)data)->row.count;
}

static char *
col_revenue_text (gconstpointer data)
{
  return money_text (((const PartnerRow *)data)->row.revenue);
}

static gint64
col_revenue (gconstpointer data)
{
  return ((const PartnerRow *)data)->row.revenue;
}

static char *
col_commission_text (gconstpointer data)
{
  return money_text (((const PartnerRow *)data)->row.commission);
}

static gint64
col_commission (gconstpointer data)
{
  return ((const PartnerRow *)data)->row.commission;
}

static char *
col_cancelled_text (gconstpointer data)
{
  return pd_number_format (((const PartnerRow *)data)->row.cancelled);
}

static gint64
col_cancelled (gconstpointer data)
{
  return ((const PartnerRow *)data)->row.cancelled;
}

static const PdStatsColumn columns[] = {
  { N_ ("Partner"), col_name, NULL },
  { N_ ("Kind"), col_kind, NULL },
  { N_ ("Bookings"), col_count_text, col_count },
  { N_ ("Revenue"), col_revenue_text, col_revenue },
  { N_ ("Commission"), col_commission_text, col_commission },
  { N_ ("Cancelled"), col_cancelled_text, col_cancelled },
};

/* Computing in a worker thread */

typedef struct
{
  char    *path;
  PdPeriod period;
  guint    generation;
} Job;

static void
job_free (Job *job)
{
  g_free (job->path);
  g_free (job);
}

static char *
kind_label (PdStore *store, const char *partner_id)
{
  g_autoptr (PdRecord) partner = pd_store_get (store, &pd_partner_type, partner_id, NULL);

  if (partner == NULL)
    return g_strdup ("");
  return pd_record_format (partner, "kind");
}

static void
compute_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  Job *job = task_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (PdStore) store = pd_store_open_read_only (job->path, &error);
  g_autoptr (GPtrArray) compared = NULL;
  GPtrArray *rows;

  if (store != NULL)
    compared = pd_statistics_compare_partners (store, &job->period, &error);
  if (compared == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  rows = g_ptr_array_new_with_free_func ((GDestroyNotify)partner_row_free);
  for (guint i = 0; i < compared->len; i++)
    {
      PdStatisticsRow *source_row = g_ptr_array_index (compared, i);
      PartnerRow      *row = g_new0 (PartnerRow, 1);

      row->row = *source_row;
      row->row.id = g_strdup (source_row->id);
      row->row.title = g_strdup (source_row->title);
      row->kind = kind_label (store, source_row->id);
      g_ptr_array_add (rows, row);
    }
  g_task_return_pointer (task, rows, (GDestroyNotify)g_ptr_array_unref);
}

static void
show_total (PdStatisticsView *self, GPtrArray *rows)
{
  gint64           count = 0, revenue = 0, commission = 0;
  g_autofree char *count_text = NULL, *revenue_text = NULL, *commission_text = NULL;
  g_autofree char *text = NULL;

  for (guint i = 0; i < rows->len; i++)
    {
      PartnerRow *row = g_ptr_array_index (rows, i);

      count += row->row.count;
      revenue += row->row.revenue;
      commission += row->row.commission;
    }
  count_text = pd_number_format (count);
  revenue_text = money_text (revenue);
  commission_text = money_text (commission);
  /* Translators: totals under the partners table */
  text = g_strdup_printf (
      g_dngettext (GETTEXT_PACKAGE, "Total of %u partner: %s bookings, revenue %s, commission %s",
                   "Total of %u partners: %s bookings, revenue %s, commission %s", rows->len),
      rows->len, count_text, revenue_text, commission_text);
  gtk_label_set_text (self->total_label, text);
}

static void
on_computed (GObject *source, GAsyncResult *res, gpointer user_data)
{
  PdStatisticsView *self = PD_STATISTICS_VIEW (source);
  Job              *job = g_task_get_task_data (G_TASK (res));
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) rows = g_task_propagate_pointer (G_TASK (res), &error);

  if (job->generation != self->generation)
    return;
  self->computing = FALSE;
  gtk_spinner_set_spinning (self->spinner, FALSE);
  if (rows == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (error->message));
      return;
    }
  show_total (self, rows);
  gtk_stack_set_visible_child_name (self->stack, rows->len > 0 ? "table" : "empty");
  pd_stats_store_set (self->rows, rows, (GDestroyNotify)partner_row_free);
}

static void
compute (PdStatisticsView *self)
{
  g_autoptr (GTask) task = NULL;
  PdPeriod period;
  Job     *job;

  pd_lazy_reload_started (&self->lazy);
  self->generation++;
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->computing = FALSE;
  gtk_spinner_set_spinning (self->spinner, FALSE);
  /* An invalid custom period: the picker says why, nothing runs. */
  if (self->store == NULL || !pd_period_picker_get_period (self->period_picker, &period))
    return;
  job = g_new0 (Job, 1);
  job->path = g_strdup (pd_store_get_path (self->store));
  job->period = period;
  job->generation = self->generation;
  self->cancellable = g_cancellable_new ();
  self->computing = TRUE;
  gtk_spinner_set_spinning (self->spinner, TRUE);
  task = g_task_new (self, self->cancellable, on_computed, NULL);
  g_task_set_task_data (task, job, (GDestroyNotify)job_free);
  g_task_run_in_thread (task, compute_thread);
}

static void
on_record_changed (PdStore *store, const char *collection, const char *id, PdStatisticsView *self)
{
  if (g_strcmp0 (collection, pd_booking_type.name) == 0
      || g_strcmp0 (collection, pd_partner_type.name) == 0)
    pd_lazy_reload_schedule (&self->lazy);
}

static void
on_collection_changed (PdStore *store, const char *collection, const char *partner_id,
                       PdStatisticsView *self)
{
  if (g_strcmp0 (collection, pd_booking_type.name) == 0)
    pd_lazy_reload_schedule (&self->lazy);
}

/* The widget */

static void
pd_statistics_view_map (GtkWidget *widget)
{
  PdStatisticsView *self = PD_STATISTICS_VIEW (widget);

  GTK_WIDGET_CLASS (pd_statistics_view_parent_class)->map (widget);
  pd_lazy_reload_map (&self->lazy);
}

static void
pd_statistics_view_dispose (GObject *object)
{
  PdStatisticsView *self = PD_STATISTICS_VIEW (object);

  self->generation++;
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  pd_lazy_reload_clear (&self->lazy);
  if (self->store != NULL)
    g_signal_handlers_disconnect_by_data (self->store, self);
  gtk_widget_dispose_template (GTK_WIDGET (self), PD_TYPE_STATISTICS_VIEW);
  for (GtkWidget *child; (child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL;)
    gtk_widget_unparent (child);
  g_clear_object (&self->store);
  g_clear_object (&self->rows);
  G_OBJECT_CLASS (pd_statistics_view_parent_class)->dispose (object);
}

static void
pd_statistics_view_class_init (PdStatisticsViewClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = pd_statistics_view_dispose;
  widget_class->map = pd_statistics_view_map;

  g_type_ensure (PD_TYPE_PERIOD_PICKER);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (
      widget_class, "/io/github/partnerdesk/PartnerDesk/ui/pd-statistics-view.ui");
  gtk_widget_class_bind_template_child (widget_class, PdStatisticsView, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, PdStatisticsView, period_picker);
  gtk_widget_class_bind_template_child (widget_class, PdStatisticsView, spinner);
  gtk_widget_class_bind_template_child (widget_class, PdStatisticsView, stack);
  gtk_widget_class_bind_template_child (widget_class, PdStatisticsView, column_view);
  gtk_widget_class_bind_template_child (widget_class, PdStatisticsView, total_label);
}

static void
pd_statistics_view_init (PdStatisticsView *self)
{
  g_autoptr (GtkColumnViewColumn) revenue = NULL;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->rows = g_list_store_new (PD_TYPE_STATS_ITEM);
  pd_stats_add_columns (self->column_view, columns, G_N_ELEMENTS (columns), NULL);
  self->selection = pd_stats_bind_model (self->column_view, self->rows);
  /* Highest revenue first, as the core returns them. */
  revenue = g_list_model_get_item (gtk_column_view_get_columns (self->column_view), 3);
  gtk_column_view_sort_by_column (self->column_view, revenue, GTK_SORT_DESCENDING);
  /* Many changes in a row (sample data, a sync) cause one computation. */
  pd_lazy_reload_init (&self->lazy, GTK_WIDGET (self), 100, (PdLazyReloadFunc) compute);
  g_signal_connect_swapped (self->period_picker, "changed",
                            G_CALLBACK (pd_lazy_reload_invalidate), &self->lazy);
  pd_lazy_reload_invalidate (&self->lazy);
}

PdStatisticsView *
pd_statistics_view_new (PdStore *store)
{
  PdStatisticsView *self;

  g_return_val_if_fail (PD_IS_STORE (store), NULL);

  self = g_object_new (PD_TYPE_STATISTICS_VIEW, NULL);
  self->store = g_object_ref (store);
  g_signal_connect (store, "record-changed", G_CALLBACK (on_record_changed), self);
  g_signal_connect (store, "collection-changed", G_CALLBACK (on_collection_changed), self);
  return self;
}

gboolean
pd_statistics_view_get_busy (PdStatisticsView *self)
{
  g_return_val_if_fail (PD_IS_STATISTICS_VIEW (self), FALSE);

  return self->computing || pd_lazy_reload_pending (&self->lazy);
}

GtkSelectionModel *
pd_statistics_view_get_selection (PdStatisticsView *self)
{
  g_return_val_if_fail (PD_IS_STATISTICS_VIEW (self), NULL);

  return GTK_SELECTION_MODEL (self->selection);
}
