/* pd-period-picker.h: choose a period: this/last month, quarter, year, or custom days. */
#pragma once

#include <adwaita.h>
#include "pd-core.h"

G_BEGIN_DECLS

#define PD_TYPE_PERIOD_PICKER (pd_period_picker_get_type ())
G_DECLARE_FINAL_TYPE (PdPeriodPicker, pd_period_picker, PD, PERIOD_PICKER, GtkWidget)

/* The choices of the drop-down, in order. */
typedef enum {
  PD_PERIOD_CHOICE_THIS_MONTH,
  PD_PERIOD_CHOICE_LAST_MONTH,
  PD_PERIOD_CHOICE_THIS_QUARTER,
  PD_PERIOD_CHOICE_LAST_QUARTER,
  PD_PERIOD_CHOICE_THIS_YEAR,
  PD_PERIOD_CHOICE_LAST_YEAR,
  PD_PERIOD_CHOICE_CUSTOM,
} PdPeriodChoice;

/* Signal ::changed () when the chosen period changed and is valid. A custom period
 * that ends before it starts shows the core's message beside the picker, and
 * ::changed is not emitted until it is fixed. */
PdPeriodPicker *pd_period_picker_new         (void);
/* FALSE (PERIOD untouched) while the custom period is invalid. */
gboolean        pd_period_picker_get_period  (PdPeriodPicker *self,
                                              PdPeriod       *period);
void            pd_period_picker_set_choice  (PdPeriodPicker *self,
                                              PdPeriodChoice  choice);
/* Chooses "Custom" with these days (both included) as if picked in the calendars. */
void            pd_period_picker_set_custom  (PdPeriodPicker *self,
                                              const GDate    *first,
                                              const GDate    *last);
/* The message shown, or NULL. */
const char     *pd_period_picker_get_error   (PdPeriodPicker *self);

G_END_DECLS
