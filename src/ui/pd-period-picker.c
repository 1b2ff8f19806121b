/* pd-period-picker.c: choose a period: this/last month, quarter, year, or custom days. */
#include "config.h"

#include <glib/gi18n.h>

#include "pd-period-picker.h"

struct _PdPeriodPicker
{
  GtkWidget parent_instance;

  /* Template Widgets */
  GtkDropDown   *dropdown;
  GtkWidget     *custom_box;
  GtkMenuButton *first_button;
  GtkMenuButton *last_button;
  GtkCalendar   *first_calendar;
  GtkCalendar   *last_calendar;
  GtkLabel      *period_label;
  GtkLabel      *error_label;

  /* Owned References */
  char    *error;
  PdPeriod period;
  gboolean valid;
};

G_DEFINE_FINAL_TYPE (PdPeriodPicker, pd_period_picker, GTK_TYPE_WIDGET)

enum
{
  SIGNAL_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static const PdPeriodKind kinds[] = {
  PD_PERIOD_THIS_MONTH,   PD_PERIOD_LAST_MONTH, PD_PERIOD_THIS_QUARTER,
  PD_PERIOD_LAST_QUARTER, PD_PERIOD_THIS_YEAR,  PD_PERIOD_LAST_YEAR,
};

static void
calendar_get_gdate (GtkCalendar *calendar, GDate *date)
{
  g_autoptr (GDateTime) dt = gtk_calendar_get_date (calendar);

  g_date_clear (date, 1);
  g_date_set_dmy (date, g_date_time_get_day_of_month (dt), g_date_time_get_month (dt),
                  g_date_time_get_year (dt));
}

static void
calendar_set_gdate (GtkCalendar *calendar, const GDate *date)
{
  g_autoptr (GDateTime) dt = g_date_time_new_local (g_date_get_year (date), g_date_get_month (date),
                                                    g_date_get_day (date), 12, 0, 0);

  gtk_calendar_select_day (calendar, dt);
}

static void
show_date (GtkMenuButton *button, const GDate *date)
{
  char text[32];

  g_date_strftime (text, sizeof text, "%Y-%m-%d", date);
  gtk_menu_button_set_label (button, text);
}

static void
set_error (PdPeriodPicker *self, const char *message)
{
  g_free (self->error);
  self->error = g_strdup (message);
  gtk_label_set_text (self->error_label, message ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), message != NULL);
  if (message != NULL)
    gtk_accessible_update_property (GTK_ACCESSIBLE (self->dropdown),
                                    GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, message, -1);
  else
    gtk_accessible_reset_property (GTK_ACCESSIBLE (self->dropdown),
                                   GTK_ACCESSIBLE_PROPERTY_DESCRIPTION);
}

static gboolean
compute (PdPeriodPicker *self, PdPeriod *period, GError **error)
{
  guint choice = gtk_drop_down_get_selected (self->dropdown);
  GDate first, last;

  if (choice < G_N_ELEMENTS (kinds))
    {
      pd_period_init (period, kinds[choice], NULL);
      return TRUE;
    }
  calendar_get_gdate (self->first_calendar, &first);
  calendar_get_gdate (self->last_calendar, &last);
  show_date (self->first_button, &first);
  show_date (self->last_button, &last);
  return pd_period_init_dates (period, &first, &last, error);
}

static void
update (PdPeriodPicker *self)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;
  PdPeriod         period;
  gboolean         custom = gtk_drop_down_get_selected (self->dropdown) == PD_PERIOD_CHOICE_CUSTOM;

  gtk_widget_set_visible (self->custom_box, custom);
  if (!compute (self, &period, &error))
    {
      self->valid = FALSE;
      set_error (self, error->message);
      gtk_label_set_text (self->period_label, "");
      return;
    }
  set_error (self, NULL);
  text = pd_period_format (&period);
  gtk_label_set_text (self->period_label, custom ? "" : text);
  if (self->valid && g_date_compare (&period.from, &self->period.from) == 0
      && g_date_compare (&period.to, &self->period.to) == 0)
    return;
  self->period = period;
  self->valid = TRUE;
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
}

/* Custom starts from the period shown before, so the user only adjusts it. */
static void
on_choice_changed (PdPeriodPicker *self)
{
  if (gtk_drop_down_get_selected (self->dropdown) == PD_PERIOD_CHOICE_CUSTOM && self->valid)
    {
      GDate last = self->period.to;

      g_date_subtract_days (&last, 1);
      calendar_set_gdate (self->first_calendar, &self->period.from);
      calendar_set_gdate (self->last_calendar, &last);
    }
  update (self);
}

static void
on_day_selected (PdPeriodPicker *self)
{
  update (self);
}

static void
pd_period_picker_dispose (GObject *object)
{
  PdPeriodPicker *self = PD_PERIOD_PICKER (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), PD_TYPE_PERIOD_PICKER);
  for (GtkWidget *child; (child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL;)
    gtk_widget_unparent (child);
  g_clear_pointer (&self->error, g_free);
  G_OBJECT_CLASS (pd_period_picker_parent_class)->dispose (object);
}

static void
pd_period_picker_class_init (PdPeriodPickerClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = pd_period_picker_dispose;

  signals[SIGNAL_CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                          0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (
      widget_class, "/io/github/partnerdesk/PartnerDesk/ui/pd-period-picker.ui");
  gtk_widget_class_bind_template_child (widget_class, PdPeriodPicker, dropdown);
  gtk_widget_class_bind_template_child (widget_class, PdPeriodPicker, custom_box);
  gtk_widget_class_bind_template_child (widget_class, PdPeriodPicker, first_button);
  gtk_widget_class_bind_template_child (widget_class, PdPeriodPicker, last_button);
  gtk_widget_class_bind_template_child (widget_class, PdPeriodPicker, first_calendar);
  gtk_widget_class_bind_template_child (widget_class, PdPeriodPicker, last_calendar);
  gtk_widget_class_bind_template_child (widget_class, PdPeriodPicker, period_label);
  gtk_widget_class_bind_template_child (widget_class, PdPeriodPicker, error_label);
}

static void
pd_period_picker_init (PdPeriodPicker *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  pd_period_init (&self->period, PD_PERIOD_THIS_MONTH, NULL);
  self->valid = TRUE;
  update (self);
  g_signal_connect_swapped (self->dropdown, "notify::selected", G_CALLBACK (on_choice_changed),
                            self);
  g_signal_connect_swapped (self->first_calendar, "day-selected", G_CALLBACK (on_day_selected),
                            self);
  g_signal_connect_swapped (self->last_calendar, "day-selected", G_CALLBACK (on_day_selected),
                            self);
}

PdPeriodPicker *
pd_period_picker_new (void)
{
  return g_object_new (PD_TYPE_PERIOD_PICKER, NULL);
}

gboolean
pd_period_picker_get_period (PdPeriodPicker *self, PdPeriod *period)
{
  g_return_val_if_fail (PD_IS_PERIOD_PICKER (self), FALSE);

  if (!self->valid)
    return FALSE;
  *period = self->period;
  return TRUE;
}

void
pd_period_picker_set_choice (PdPeriodPicker *self, PdPeriodChoice choice)
{
  g_return_if_fail (PD_IS_PERIOD_PICKER (self));

  gtk_drop_down_set_selected (self->dropdown, choice);
}

void
pd_period_picker_set_custom (PdPeriodPicker *self, const GDate *first, const GDate *last)
{
  g_return_if_fail (PD_IS_PERIOD_PICKER (self));

  g_signal_handlers_block_by_func (self->dropdown, on_choice_changed, self);
  gtk_drop_down_set_selected (self->dropdown, PD_PERIOD_CHOICE_CUSTOM);
  g_signal_handlers_unblock_by_func (self->dropdown, on_choice_changed, self);
  /* Both days at once: no computation for the period in between. */
  g_signal_handlers_block_by_func (self->first_calendar, on_day_selected, self);
  g_signal_handlers_block_by_func (self->last_calendar, on_day_selected, self);
  calendar_set_gdate (self->first_calendar, first);
  calendar_set_gdate (self->last_calendar, last);
  g_signal_handlers_unblock_by_func (self->first_calendar, on_day_selected, self);
  g_signal_handlers_unblock_by_func (self->last_calendar, on_day_selected, self);
  update (self);
}

const char *
pd_period_picker_get_error (PdPeriodPicker *self)
{
  g_return_val_if_fail (PD_IS_PERIOD_PICKER (self), NULL);

  return self->error;
}
