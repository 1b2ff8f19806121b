/* pd-statistics-page.c: the Statistics tab: a partner's bookings and commission over a period. */
#include "config.h"

#include <glib/gi18n.h>

#include "pd-booking-dialog.h"
#include "pd-lazy-reload.h"
#include "pd-period-picker.h"
#include "pd-statistics-page.h"
#include "pd-stats-item.h"

/* The bookings table shows at most this many (a busy partner's year has far more). */
#define MAX_LINES 5000
#define STATEMENT_MONTHS 24

struct _PdStatisticsPage
{
  GtkWidget parent_instance;

  /* Template Widgets */
  AdwToastOverlay *toast_overlay;
  PdPeriodPicker  *period_picker;
  GtkSpinner      *spinner;
  GtkLabel        *count_label;
  GtkLabel        *revenue_label;
  GtkLabel        *commission_label;
  GtkLabel        *cancelled_label;
  GtkWidget       *statement_box;
  GtkDropDown     *month_dropdown;
  GtkColumnView   *bookings_view;
  GtkLabel        *bookings_note;
  GtkColumnView   *examinations_view;
  GtkColumnView   *institutions_view;

  /* Owned References */
  PdStore      *store;
  char         *partner_id;
  PdStatistics *stats;
  GListStore   *lines;        /* PdStatsItem of PdBookingLine */
  GListStore   *examinations; /* PdStatsItem of PdStatisticsRow */
  GListStore   *institutions;
  GCancellable *cancellable;
  GArray       *months; /* PdPeriod per month_dropdown item */

  /* Borrowed References */
  GtkSingleSelection *bookings_selection;

  guint    generation; /* of the latest computation: older results are dropped */
  guint    n_exports;
  gboolean computing;
  PdLazyReload lazy;
};

G_DEFINE_FINAL_TYPE (PdStatisticsPage, pd_statistics_page, GTK_TYPE_WIDGET)

/* Columns */

static char *
money_text (gint64 amount)
{
  return pd_money_format (amount, pd_money_get_currency ());
}

static char *
row_title (gconstpointer data)
{
  return g_strdup (((const PdStatisticsRow *)data)->title);
}

static char *
row_count_text (gconstpointer data)
{
  return pd_number_format (((const PdStatisticsRow *)data)->count);
}

static gint64
row_count (gconstpointer data)
{
  return ((const PdStatisticsRow *)data)->count;
}

static char *
row_revenue_text (gconstpointer data)
{
  return money_text (((const PdStatisticsRow *)data)->revenue);
}

static gint64
row_revenue (gconstpointer data)
{
  return ((const PdStatisticsRow *)data)->revenue;
}

static char *
row_commission_text (gconstpointer data)
{
  return money_text (((const PdStatisticsRow *)data)->commission);
}

static gint64
row_commission (gconstpointer data)
{
  return ((const PdStatisticsRow *)data)->commission;
}

static char *
row_cancelled_text (gconstpointer data)
{
  return pd_number_format (((const PdStatisticsRow *)data)->cancelled);
}

static gint64
row_cancelled (gconstpointer data)
{
  return ((const PdStatisticsRow *)data)->cancelled;
}

static const PdStatsColumn examination_columns[] = {
  { N_ ("Examination"), row_title, NULL },
  { N_ ("Bookings"), row_count_text, row_count },
  { N_ ("Revenue"), row_revenue_text, row_revenue },
  { N_ ("Commission"), row_commission_text, row_commission },
  { N_ ("Cancelled"), row_cancelled_text, row_cancelled },
};

static const PdStatsColumn institution_columns[] = {
  { N_ ("Institution"), row_title, NULL },
  { N_ ("Bookings"), row_count_text, row_count },
  { N_ ("Revenue"), row_revenue_text, row_revenue },
  { N_ ("Commission"), row_commission_text, row_commission },
  { N_ ("Cancelled"), row_cancelled_text, row_cancelled },
};

static char *
line_when (gconstpointer data)
{
  const PdBookingLine *line = data;
  g_autoptr (GDateTime) utc = g_date_time_new_from_iso8601 (line->booked_at, NULL);
  g_autoptr (GDateTime) local = utc ? g_date_time_to_local (utc) : NULL;

  return local ? g_date_time_format (local, "%Y-%m-%d %H:%M") : g_strdup (line->booked_at);
}

static char *
line_examination (gconstpointer data)
{
  return g_strdup (((const PdBookingLine *)data)->examination);
}

static char *
line_institution (gconstpointer data)
{
  return g_strdup (((const PdBookingLine *)data)->institution);
}

static char *
line_patient (gconstpointer data)
{
  return g_strdup (((const PdBookingLine *)data)->patient);
}

static char *
line_price_text (gconstpointer data)
{
  return money_text (((const PdBookingLine *)data)->price);
}

static gint64
line_price (gconstpointer data)
{
  return ((const PdBookingLine *)data)->price;
}

static char *
line_commission_text (gconstpointer data)
{
  return money_text (((const PdBookingLine *)data)->commission);
}

static gint64
line_commission (gconstpointer data)
{
  return ((const PdBookingLine *)data)->commission;
}

static char *
line_status (gconstpointer data)
{
  return g_strdup (((const PdBookingLine *)data)->cancelled ? _ ("Cancelled") : _ ("Booked"));
}

static const char *
line_class (gconstpointer data)
{
  return ((const PdBookingLine *)data)->cancelled ? "dim-label" : NULL;
}

static const PdStatsColumn line_columns[] = {
  { N_ ("Date and time"), line_when, NULL },
  { N_ ("Examination"), line_examination, NULL },
  { N_ ("Institution"), line_institution, NULL },
  { N_ ("Patient"), line_patient, NULL },
  { N_ ("Price"), line_price_text, line_price },
  { N_ ("Commission"), line_commission_text, line_commission },
  { N_ ("Status"), line_status, NULL },
};

/* State */

static void
toast (PdStatisticsPage *self, const char *message)
{
  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (message));
}

static GtkWindow *
parent_window (PdStatisticsPage *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  return GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL;
}

static PdBookingLine *
selected_line (PdStatisticsPage *self)
{
  PdStatsItem *item = gtk_single_selection_get_selected_item (self->bookings_selection);

  return item ? pd_stats_item_get (item) : NULL;
}

static void
update_busy (PdStatisticsPage *self)
{
  gboolean busy = self->computing || self->n_exports > 0;

  gtk_spinner_set_spinning (self->spinner, busy);
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), busy);
}

static void
update_actions (PdStatisticsPage *self)
{
  PdBookingLine *line = selected_line (self);
  gboolean       writable = self->store != NULL && !pd_store_is_read_only (self->store);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "stats.record-booking",
                                 writable && self->partner_id != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "stats.cancel-booking",
                                 writable && line != NULL && !line->cancelled);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "stats.export", self->partner_id != NULL);
}

/* Statements are offered to partners whose terms require statistics. */
static void
update_statement (PdStatisticsPage *self)
{
  g_autoptr (PdRecord) partner = NULL;

  if (self->partner_id != NULL)
    partner = pd_store_get (self->store, &pd_partner_type, self->partner_id, NULL);
  gtk_widget_set_visible (self->statement_box,
                          partner != NULL && pd_record_get_bool (partner, "statistics_required"));
}

static void
show_totals (PdStatisticsPage *self)
{
  g_autofree char       *count = NULL, *revenue = NULL, *commission = NULL, *cancelled = NULL;
  g_autofree char       *n_cancelled = NULL;
  const PdStatisticsRow *total = self->stats ? &self->stats->total : NULL;

  if (total == NULL)
    {
      gtk_label_set_text (self->count_label, "—");
      gtk_label_set_text (self->revenue_label, "—");
      gtk_label_set_text (self->commission_label, "—");
      gtk_widget_set_visible (GTK_WIDGET (self->cancelled_label), FALSE);
      return;
    }
  count = pd_number_format (total->count);
  revenue = money_text (total->revenue);
  commission = money_text (total->commission);
  gtk_label_set_text (self->count_label, count);
  gtk_label_set_text (self->revenue_label, revenue);
  gtk_label_set_text (self->commission_label, commission);
  n_cancelled = pd_number_format (total->cancelled);
  cancelled = g_strdup_printf (
      g_dngettext (GETTEXT_PACKAGE, "%s cancelled booking, not counted: it earns nothing",
                   "%s cancelled bookings, not counted: they earn nothing", total->cancelled),
      n_cancelled);
  gtk_label_set_text (self->cancelled_label, cancelled);
  gtk_widget_set_visible (GTK_WIDGET (self->cancelled_label), total->cancelled > 0);
}

static void
clear_figures (PdStatisticsPage *self)
{
  g_clear_pointer (&self->stats, pd_statistics_free);
  pd_stats_store_set (self->lines, NULL, NULL);
  pd_stats_store_set (self->examinations, NULL, NULL);
  pd_stats_store_set (self->institutions, NULL, NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->bookings_note), FALSE);
  show_totals (self);
}

/* Computing in a worker thread */

typedef struct
{
  char    *path;
  char    *partner_id;
  PdPeriod period;
  guint    generation;
} Job;

typedef struct
{
  PdStatistics *stats;
  GPtrArray    *lines;
} JobResult;

static void
job_free (Job *job)
{
  g_free (job->path);
  g_free (job->partner_id);
  g_free (job);
}

static void
job_result_free (JobResult *result)
{
  g_clear_pointer (&result->stats, pd_statistics_free);
  g_clear_pointer (&result->lines, g_ptr_array_unref);
  g_free (result);
}

static void
compute_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  Job *job = task_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (PdStore) store = pd_store_open_read_only (job->path, &error);
  JobResult *result;

  if (store == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  result = g_new0 (JobResult, 1);
  result->stats = pd_statistics_compute (store, job->partner_id, &job->period, &error);
  if (result->stats != NULL && !g_cancellable_is_cancelled (cancellable))
    {
      gint64 total = result->stats->total.count + result->stats->total.cancelled;
      /* The latest bookings, when there are too many to list. */
      guint offset = total > MAX_LINES ? (guint)(total - MAX_LINES) : 0;

      result->lines = pd_statistics_list_lines (store, job->partner_id, &job->period, offset,
                                                MAX_LINES, &error);
    }
  if (result->stats == NULL || (result->lines == NULL && error != NULL))
    {
      job_result_free (result);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_pointer (task, result, (GDestroyNotify)job_result_free);
}

static PdStatisticsRow *
row_copy (const PdStatisticsRow *row)
{
  PdStatisticsRow *copy = g_new0 (PdStatisticsRow, 1);

  *copy = *row;
  copy->id = g_strdup (row->id);
  copy->title = g_strdup (row->title);
  return copy;
}

/* Copies of ROWS: the tables own theirs, the figures stay whole. */
static GPtrArray *
rows_copy (GPtrArray *rows)
{
  GPtrArray *copy = g_ptr_array_new_with_free_func ((GDestroyNotify)pd_statistics_row_free);

  for (guint i = 0; rows != NULL && i < rows->len; i++)
    g_ptr_array_add (copy, row_copy (g_ptr_array_index (rows, i)));
  return copy;
}

static void
show_result (PdStatisticsPage *self, JobResult *result)
{
  g_autoptr (GPtrArray) examinations = NULL;
  g_autoptr (GPtrArray) institutions = NULL;
  gint64 total;
  guint  n_lines;

  g_clear_pointer (&self->stats, pd_statistics_free);
  self->stats = g_steal_pointer (&result->stats);
  examinations = rows_copy (self->stats->by_examination);
  institutions = rows_copy (self->stats->by_institution);
  pd_stats_store_set (self->examinations, examinations, (GDestroyNotify)pd_statistics_row_free);
  pd_stats_store_set (self->institutions, institutions, (GDestroyNotify)pd_statistics_row_free);
  n_lines = result->lines ? result->lines->len : 0;
  pd_stats_store_set (self->lines, result->lines, (GDestroyNotify)pd_booking_line_free);
  total = self->stats->total.count + self->stats->total.cancelled;
  if (total > n_lines)
    {
      g_autofree char *shown = pd_number_format (n_lines);
      g_autofree char *all = pd_number_format (total);
      g_autofree char *note = NULL;

      /* Translators: "Showing the latest 5,000 of 12,345 bookings" */
      note = g_strdup_printf (_ ("Showing the latest %s of %s bookings"), shown, all);
      gtk_label_set_text (self->bookings_note, note);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->bookings_note), total > n_lines);
  show_totals (self);
}

static void
on_computed (GObject *source, GAsyncResult *res, gpointer user_data)
{
  PdStatisticsPage *self = PD_STATISTICS_PAGE (source);
  Job              *job = g_task_get_task_data (G_TASK (res));
  g_autoptr (GError) error = NULL;
  JobResult *result = g_task_propagate_pointer (G_TASK (res), &error);

  if (job->generation != self->generation)
    {
      g_clear_pointer (&result, job_result_free);
      return;
    }
  self->computing = FALSE;
  update_busy (self);
  if (result == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        toast (self, error->message);
      return;
    }
  show_result (self, result);
  job_result_free (result);
  update_actions (self);
}

static void
compute (PdStatisticsPage *self)
{
  g_autoptr (GTask) task = NULL;
  Job     *job;
  PdPeriod period;

  pd_lazy_reload_started (&self->lazy);
  self->generation++;
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->computing = FALSE;
  if (self->partner_id == NULL || self->store == NULL
      || !pd_period_picker_get_period (self->period_picker, &period))
    {
      clear_figures (self);
      update_busy (self);
      update_actions (self);
      return;
    }
  job = g_new0 (Job, 1);
  job->path = g_strdup (pd_store_get_path (self->store));
  job->partner_id = g_strdup (self->partner_id);
  job->period = period;
  job->generation = self->generation;
  self->cancellable = g_cancellable_new ();
  self->computing = TRUE;
  update_busy (self);
  task = g_task_new (self, self->cancellable, on_computed, NULL);
  g_task_set_task_data (task, job, (GDestroyNotify)job_free);
  g_task_run_in_thread (task, compute_thread);
}

static void
on_record_changed (PdStore *store, const char *collection, const char *id, PdStatisticsPage *self)
{
  if (self->partner_id == NULL)
    return;
  if (g_strcmp0 (collection, pd_booking_type.name) == 0)
    {
      g_autoptr (PdRecord) booking = pd_store_get (store, &pd_booking_type, id, NULL);

      if (booking != NULL
          && g_strcmp0 (pd_record_get_string (booking, "partner_id"), self->partner_id) == 0)
        pd_lazy_reload_schedule (&self->lazy);
    }
  else if (g_strcmp0 (collection, pd_partner_type.name) == 0
           && g_strcmp0 (id, self->partner_id) == 0)
    update_statement (self);
  else if (g_strcmp0 (collection, pd_examination_type.name) == 0
           || g_strcmp0 (collection, pd_institution_type.name) == 0)
    pd_lazy_reload_schedule (&self->lazy);
}

static void
on_collection_changed (PdStore *store, const char *collection, const char *partner_id,
                       PdStatisticsPage *self)
{
  if (g_strcmp0 (collection, pd_booking_type.name) == 0
      && (partner_id == NULL || g_strcmp0 (partner_id, self->partner_id) == 0))
    pd_lazy_reload_schedule (&self->lazy);
}

/* Statements */

static void
setup_months (PdStatisticsPage *self)
{
  g_autoptr (GtkStringList) model = gtk_string_list_new (NULL);
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  int year = g_date_time_get_year (now);
  int month = g_date_time_get_month (now);

  self->months = g_array_new (FALSE, FALSE, sizeof (PdPeriod));
  for (guint i = 0; i < STATEMENT_MONTHS; i++)
    {
      PdPeriod         period;
      g_autofree char *text = NULL;

      pd_period_init_month (&period, year, month);
      text = pd_period_format (&period);
      gtk_string_list_append (model, text);
      g_array_append_val (self->months, period);
      if (--month == 0)
        {
          month = 12;
          year--;
        }
    }
  gtk_drop_down_set_model (self->month_dropdown, G_LIST_MODEL (model));
  /* Last month: the one a statement is usually due for. */
  gtk_drop_down_set_selected (self->month_dropdown, 1);
}

static gboolean
chosen_month (PdStatisticsPage *self, PdPeriod *period)
{
  guint selected = gtk_drop_down_get_selected (self->month_dropdown);

  if (selected >= self->months->len)
    return FALSE;
  *period = g_array_index (self->months, PdPeriod, selected);
  return TRUE;
}

typedef struct
{
  char    *path; /* the database */
  char    *partner_id;
  PdPeriod period;
  char    *format;
  char    *target;
} ExportJob;

static void
export_job_free (ExportJob *job)
{
  g_free (job->path);
  g_free (job->partner_id);
  g_free (job->format);
  g_free (job->target);
  g_free (job);
}

static void
export_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  ExportJob *job = task_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (PdStore) store = pd_store_open_read_only (job->path, &error);
  g_autoptr (PdStatement) statement = NULL;
  gboolean ok;

  if (store != NULL)
    statement = pd_statement_build (store, job->partner_id, &job->period, &error);
  if (statement == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (g_str_equal (job->format, "pdf"))
    ok = pd_statement_write_pdf (statement, job->target, &error);
  else
    ok = pd_statement_write_csv (statement, job->target, &error);
  if (!ok)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

static void
on_exported (GObject *source, GAsyncResult *res, gpointer user_data)
{
  PdStatisticsPage *self = PD_STATISTICS_PAGE (source);
  ExportJob        *job = g_task_get_task_data (G_TASK (res));
  g_autoptr (GError) error = NULL;
  g_autofree char *base = g_path_get_basename (job->target);
  g_autofree char *message = NULL;

  self->n_exports--;
  if (self->store == NULL) /* disposed meanwhile */
    return;
  update_busy (self);
  if (!g_task_propagate_boolean (G_TASK (res), &error))
    {
      toast (self, error->message);
      return;
    }
  /* Translators: %s is a file name */
  message = g_strdup_printf (_ ("Statement saved as “%s”"), base);
  toast (self, message);
}

void
pd_statistics_page_export (PdStatisticsPage *self, const char *format, const char *path)
{
  g_autoptr (GTask) task = NULL;
  ExportJob *job;
  PdPeriod   period;

  g_return_if_fail (PD_IS_STATISTICS_PAGE (self));
  g_return_if_fail (format != NULL && path != NULL);

  if (self->partner_id == NULL || !chosen_month (self, &period))
    return;
  job = g_new0 (ExportJob, 1);
  job->path = g_strdup (pd_store_get_path (self->store));
  job->partner_id = g_strdup (self->partner_id);
  job->period = period;
  job->format = g_strdup (format);
  job->target = g_strdup (path);
  self->n_exports++;
  update_busy (self);
  task = g_task_new (self, NULL, on_exported, NULL);
  g_task_set_task_data (task, job, (GDestroyNotify)export_job_free);
  g_task_run_in_thread (task, export_thread);
}

static void
on_chooser_response (GtkNativeDialog *native, int response, PdStatisticsPage *self)
{
  const char *format = g_object_get_data (G_OBJECT (native), "format");
  g_autoptr (GFile) file = NULL;
  g_autofree char *path = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (native));
  if (file != NULL)
    path = g_file_get_path (file);
  if (path != NULL)
    pd_statistics_page_export (self, format, path);
  gtk_native_dialog_destroy (native);
  g_object_unref (native);
}

static void
export_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  PdStatisticsPage *self = PD_STATISTICS_PAGE (widget);
  const char       *format = g_variant_get_string (parameter, NULL);
  g_autoptr (PdRecord) partner = NULL;
  g_autofree char      *name = NULL;
  GtkFileChooserNative *native;
  PdStatement           suggestion = { 0 };

  if (self->partner_id == NULL || !chosen_month (self, &suggestion.period))
    return;
  partner = pd_store_get (self->store, &pd_partner_type, self->partner_id, NULL);
  suggestion.partner_name = (char *)(partner ? pd_record_get_title (partner) : "");
  name = pd_statement_suggest_file_name (&suggestion, format);
  native = gtk_file_chooser_native_new (
      g_str_equal (format, "pdf") ? _ ("Export Statement as PDF") : _ ("Export Statement as CSV"),
      parent_window (self), GTK_FILE_CHOOSER_ACTION_SAVE, _ ("_Export"), _ ("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (native), TRUE);
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (native), name);
  g_object_set_data_full (G_OBJECT (native), "format", g_strdup (format), g_free);
  g_signal_connect_object (native, "response", G_CALLBACK (on_chooser_response), self, 0);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (native));
}

/* Bookings */

static void
record_booking_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  PdStatisticsPage *self = PD_STATISTICS_PAGE (widget);
  PdBookingDialog  *dialog;

  if (self->partner_id == NULL)
    return;
  dialog = pd_booking_dialog_new (parent_window (self), self->store, self->partner_id);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
on_cancel_response (AdwMessageDialog *dialog, const char *response, PdStatisticsPage *self)
{
  const char *id = g_object_get_data (G_OBJECT (dialog), "booking-id");
  g_autoptr (GError) error = NULL;

  if (g_strcmp0 (response, "cancel-booking") != 0)
    return;
  if (!pd_booking_cancel (self->store, id, &error))
    toast (self, error->message);
  else
    toast (self, _ ("Booking cancelled"));
}

static void
cancel_booking_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  PdStatisticsPage *self = PD_STATISTICS_PAGE (widget);
  PdBookingLine    *line = selected_line (self);
  g_autofree char  *when = NULL;
  g_autofree char  *body = NULL;
  AdwMessageDialog *dialog;

  if (line == NULL || line->cancelled)
    return;
  when = line_when (line);
  /* Translators: examination, date and time, institution */
  body = g_strdup_printf (_ ("%s on %s at %s. A cancelled booking earns no commission; it stays "
                             "listed as cancelled."),
                          line->examination, when, line->institution);
  dialog = ADW_MESSAGE_DIALOG (
      adw_message_dialog_new (parent_window (self), _ ("Cancel this booking?"), body));
  adw_message_dialog_add_responses (dialog, "keep", _ ("_Keep Booking"), "cancel-booking",
                                    _ ("_Cancel Booking"), NULL);
  adw_message_dialog_set_response_appearance (dialog, "cancel-booking", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (dialog, "keep");
  adw_message_dialog_set_close_response (dialog, "keep");
  g_object_set_data_full (G_OBJECT (dialog), "booking-id", g_strdup (line->booking_id), g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_cancel_response), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* The widget */

static void
pd_statistics_page_map (GtkWidget *widget)
{
  PdStatisticsPage *self = PD_STATISTICS_PAGE (widget);

  GTK_WIDGET_CLASS (pd_statistics_page_parent_class)->map (widget);
  pd_lazy_reload_map (&self->lazy);
}

static void
pd_statistics_page_dispose (GObject *object)
{
  PdStatisticsPage *self = PD_STATISTICS_PAGE (object);

  self->generation++;
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  pd_lazy_reload_clear (&self->lazy);
  if (self->store != NULL)
    g_signal_handlers_disconnect_by_data (self->store, self);
  gtk_widget_dispose_template (GTK_WIDGET (self), PD_TYPE_STATISTICS_PAGE);
  for (GtkWidget *child; (child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL;)
    gtk_widget_unparent (child);
  g_clear_object (&self->store);
  g_clear_object (&self->lines);
  g_clear_object (&self->examinations);
  g_clear_object (&self->institutions);
  g_clear_pointer (&self->stats, pd_statistics_free);
  g_clear_pointer (&self->months, g_array_unref);
  g_clear_pointer (&self->partner_id, g_free);
  G_OBJECT_CLASS (pd_statistics_page_parent_class)->dispose (object);
}

static void
pd_statistics_page_class_init (PdStatisticsPageClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = pd_statistics_page_dispose;
  widget_class->map = pd_statistics_page_map;

  g_type_ensure (PD_TYPE_PERIOD_PICKER);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (
      widget_class, "/io/github/partnerdesk/PartnerDesk/ui/pd-statistics-page.ui");
  gtk_widget_class_bind_template_child (widget_class, PdStatisticsPage, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, PdStatisticsPage, period_picker);
  gtk_widget_class_bind_template_child (widget_class, PdStatisticsPage, spinner);
  gtk_widget_class_bind_template_child (widget_class, PdStatisticsPage, count_label);
  gtk_widget_class_bind_template_child (widget_class, PdStatisticsPage, revenue_label);
  gtk_widget_class_bind_template_child (widget_class, PdStatisticsPage, commission_label);
  gtk_widget_class_bind_template_child (widget_class, PdStatisticsPage, cancelled_label);
  gtk_widget_class_bind_template_child (widget_class, PdStatisticsPage, statement_box);
  gtk_widget_class_bind_template_child (widget_class, PdStatisticsPage, month_dropdown);
  gtk_widget_class_bind_template_child (widget_class, PdStatisticsPage, bookings_view);
  gtk_widget_class_bind_template_child (widget_class, PdStatisticsPage, bookings_note);
  gtk_widget_class_bind_template_child (widget_class, PdStatisticsPage, examinations_view);
  gtk_widget_class_bind_template_child (widget_class, PdStatisticsPage, institutions_view);

  gtk_widget_class_install_action (widget_class, "stats.record-booking", NULL,
                                   record_booking_action);
  gtk_widget_class_install_action (widget_class, "stats.cancel-booking", NULL,
                                   cancel_booking_action);
  gtk_widget_class_install_action (widget_class, "stats.export", "s", export_action);
}

static void
setup_table (GtkColumnView *view, GListStore *store, const PdStatsColumn *columns, guint n,
             PdStatsClassFunc class_func, GtkSortType order)
{
  GtkColumnViewColumn *first = pd_stats_add_columns (view, columns, n, class_func);

  pd_stats_bind_model (view, store);
  gtk_column_view_sort_by_column (view, first, order);
}

static void
pd_statistics_page_init (PdStatisticsPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->lines = g_list_store_new (PD_TYPE_STATS_ITEM);
  self->examinations = g_list_store_new (PD_TYPE_STATS_ITEM);
  self->institutions = g_list_store_new (PD_TYPE_STATS_ITEM);
  setup_table (self->bookings_view, self->lines, line_columns, G_N_ELEMENTS (line_columns),
               line_class, GTK_SORT_DESCENDING);
  setup_table (self->examinations_view, self->examinations, examination_columns,
               G_N_ELEMENTS (examination_columns), NULL, GTK_SORT_ASCENDING);
  setup_table (self->institutions_view, self->institutions, institution_columns,
               G_N_ELEMENTS (institution_columns), NULL, GTK_SORT_ASCENDING);
  self->bookings_selection = GTK_SINGLE_SELECTION (gtk_column_view_get_model (self->bookings_view));
  g_signal_connect_swapped (self->bookings_selection, "notify::selected-item",
                            G_CALLBACK (update_actions), self);
  /* Many changes in a row (sample data, a sync) cause one computation. */
  pd_lazy_reload_init (&self->lazy, GTK_WIDGET (self), 50, (PdLazyReloadFunc) compute);
  g_signal_connect_swapped (self->period_picker, "changed",
                            G_CALLBACK (pd_lazy_reload_invalidate), &self->lazy);
  setup_months (self);
  update_busy (self);
  update_actions (self);
}

PdStatisticsPage *
pd_statistics_page_new (PdStore *store)
{
  PdStatisticsPage *self;

  g_return_val_if_fail (PD_IS_STORE (store), NULL);

  self = g_object_new (PD_TYPE_STATISTICS_PAGE, NULL);
  self->store = g_object_ref (store);
  g_signal_connect (store, "record-changed", G_CALLBACK (on_record_changed), self);
  g_signal_connect (store, "collection-changed", G_CALLBACK (on_collection_changed), self);
  update_actions (self);
  return self;
}

void
pd_statistics_page_set_partner_id (PdStatisticsPage *self, const char *partner_id)
{
  g_return_if_fail (PD_IS_STATISTICS_PAGE (self));

  if (g_strcmp0 (self->partner_id, partner_id) == 0)
    return;
  g_free (self->partner_id);
  self->partner_id = g_strdup (partner_id);
  clear_figures (self);
  update_statement (self);
  update_actions (self);
  pd_lazy_reload_invalidate (&self->lazy);
}

gboolean
pd_statistics_page_get_busy (PdStatisticsPage *self)
{
  g_return_val_if_fail (PD_IS_STATISTICS_PAGE (self), FALSE);

  return self->computing || self->n_exports > 0 || pd_lazy_reload_pending (&self->lazy);
}

const PdStatistics *
pd_statistics_page_get_statistics (PdStatisticsPage *self)
{
  g_return_val_if_fail (PD_IS_STATISTICS_PAGE (self), NULL);

  return self->stats;
}

GtkSelectionModel *
pd_statistics_page_get_bookings (PdStatisticsPage *self)
{
  g_return_val_if_fail (PD_IS_STATISTICS_PAGE (self), NULL);

  return GTK_SELECTION_MODEL (self->bookings_selection);
}
