/* pd-booking-dialog.h: record a booking by hand: partner, institution, examination, when, patient. */
#pragma once

#include <adwaita.h>
#include "pd-core.h"

G_BEGIN_DECLS

#define PD_TYPE_BOOKING_DIALOG (pd_booking_dialog_get_type ())
G_DECLARE_FINAL_TYPE (PdBookingDialog, pd_booking_dialog, PD, BOOKING_DIALOG, AdwWindow)

/* A modal dialog over PARENT. PARTNER_ID presets the partner (its row is then
 * insensitive); NULL lets the user choose among the active partners. Institutions are
 * those the partner may book at; examinations those enabled for the partner there (if
 * none, the dialog says why). Save checks with pd_booking_check: a refusal is shown in
 * the dialog; benefit warnings ask "Book anyway?" first. Then pd_booking_create, signal
 * ::booked (const char *booking_id), and the dialog closes. */
PdBookingDialog *pd_booking_dialog_new (GtkWindow  *parent,
                                        PdStore    *store,
                                        const char *partner_id);

/* For tests and callers: preselects by id (FALSE when not offered). */
gboolean pd_booking_dialog_select_institution (PdBookingDialog *self,
                                               const char      *institution_id);
gboolean pd_booking_dialog_select_examination (PdBookingDialog *self,
                                               const char      *examination_id);
void     pd_booking_dialog_set_date           (PdBookingDialog *self,
                                               GDateTime       *local_date_time);

G_END_DECLS
