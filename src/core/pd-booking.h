/* pd-booking.h: bookings of activated examinations, their cancellation, and benefit checks. */
#pragma once

#include "pd-store.h"

G_BEGIN_DECLS

/* booking record: partner_id, institution_id, examination_id, booked_at (TIMESTAMP, UTC),
 * person_id (optional REF person of the partner), patient_name (TEXT; one of the two is
 * required), price (MONEY, the catalogue price at booking time, kept), commission (MONEY,
 * computed at booking time with the partner's rate in force on the booking's local date,
 * kept; see pd-commission.h), status ("booked" | "cancelled"), cancelled_at.
 *
 * The STORE refuses a NEW booking (pd_store_save of a booking with version 0, whoever
 * calls it) whose cell is not bookable, with PD_ERROR_INVALID and a message naming why:
 * the examination is not activated for the partner there, the partner may not book at the
 * institution, the partner is not active, the examination is not offered there, or it is
 * archived. Later edits (cancelling) are not re-checked. */

/* Checks a booking without writing anything: FALSE with the refusal in ERROR, else TRUE.
 * WARNINGS (optional) gets translated strings (char*, owned) for an employer's person —
 * warnings, never errors: the benefit does not cover the examination; the visits per
 * year are used up (this person's non-cancelled bookings of the examination in the
 * booking's calendar year, local time); within the waiting period (coverage_start +
 * waiting_days); dependents not covered; the person's coverage ended or not eligible.
 * BOOKED_AT: local or UTC, any zone (stored as UTC). PERSON_ID or PATIENT_NAME. */
gboolean  pd_booking_check   (PdStore     *store,
                              const char  *partner_id,
                              const char  *institution_id,
                              const char  *examination_id,
                              GDateTime   *booked_at,
                              const char  *person_id,
                              const char  *patient_name,
                              GPtrArray  **warnings,
                              GError     **error);
/* Records a booking (status "booked"): price from the catalogue, commission from the rate
 * in force; one pd_store_save (change log, audit, ::record-changed "booking").
 * Returns the new record (owned) or NULL with ERROR; WARNINGS as pd_booking_check. */
PdRecord *pd_booking_create  (PdStore     *store,
                              const char  *partner_id,
                              const char  *institution_id,
                              const char  *examination_id,
                              GDateTime   *booked_at,
                              const char  *person_id,
                              const char  *patient_name,
                              GPtrArray  **warnings,
                              GError     **error);
/* Cancels: status "cancelled", cancelled_at now. It then earns nothing and counts in no
 * revenue. Cancelling a cancelled booking fails with a specific message. */
gboolean  pd_booking_cancel  (PdStore     *store,
                              const char  *booking_id,
                              GError     **error);
/* The patient shown for a booking: the person's display name or patient_name. Owned. */
char     *pd_booking_dup_patient (PdStore  *store,
                                  PdRecord *booking);

/* Benefits (employers only): benefit records, one live per (partner, examination):
 *   visits_per_year  INT ≥ 0; 0 or unset = UNLIMITED visits
 *   copay            MONEY ≥ 0 (what the person pays per visit)
 *   waiting_days     INT ≥ 0; unset = 0 (covered from coverage_start)
 *   dependents_covered BOOL
 * The store refuses a benefit for a partner that is not an employer, a second live
 * benefit for the same examination, and negative numbers. */

/* The partner's benefits (PdRecord*, owned), by examination name. */
GPtrArray *pd_benefit_list   (PdStore     *store,
                              const char  *partner_id,
                              GError     **error);
/* The live benefit of PARTNER_ID for EXAMINATION_ID, or NULL. */
PdRecord  *pd_benefit_find   (PdStore     *store,
                              const char  *partner_id,
                              const char  *examination_id);
/* Only the benefit warnings of pd_booking_check (translated char*, owned; empty when
 * none or when the partner is not an employer / PERSON_ID is NULL). */
GPtrArray *pd_benefit_check  (PdStore     *store,
                              const char  *partner_id,
                              const char  *examination_id,
                              const char  *person_id,
                              GDateTime   *booked_at);

G_END_DECLS
