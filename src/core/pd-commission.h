/* pd-commission.h: commission maths and the history of each partner's commission rate. */
#pragma once

#include "pd-store.h"

G_BEGIN_DECLS

/* ROUNDING (docs/DECISIONS.md, "Commission"): a percentage commission is
 *   price (minor units) × percent (hundredths of a percent) / 10000
 * in 64-bit integers, ROUNDED HALF UP to the minor unit (0.5 of a minor unit and more
 * rounds up): 12.5 % of 0.99 = 0.12375 → 0.12; 33.33 % of 1.00 → 0.33; 50 % of 0.01 =
 * 0.005 → 0.01. No floating point anywhere. A fixed commission is the amount per booking.
 * A cancelled booking earns 0. */
gint64   pd_commission_percent_of (gint64 price,
                                   gint64 hundredths);
/* MODE "percentage" or "fixed" (anything else: 0). */
gint64   pd_commission_compute    (const char *mode,
                                   gint64      percent,
                                   gint64      fixed,
                                   gint64      price);
/* What a booking record earns: 0 when cancelled, else its kept "commission" field. */
gint64   pd_commission_of_booking (PdRecord *booking);

/* Upper bound of a fixed commission (minor units): 10,000,000.00. */
#define PD_COMMISSION_MAX_FIXED G_GINT64_CONSTANT (1000000000)

/* RATE HISTORY: commission_rate records (partner_id, effective_from YYYY-MM-DD, mode,
 * percent, fixed). The partner's own commission_* fields are its CURRENT terms. The store
 * keeps the history itself: pd_store_save of a partner whose commission_mode /
 * commission_percent / commission_fixed changed writes, in the same transaction, a rate
 * effective TODAY (local date) — updating the rate already effective today instead of
 * adding a second one; when the partner had no rate rows yet, its OLD terms are first
 * recorded as effective from its creation date. A new partner gets no rate row (its
 * terms are the rate). Nobody else needs to call anything.
 *
 * The rate in force on DATE is the one with the latest effective_from ≤ DATE; before the
 * first recorded rate, the first one applies (a partner's first terms reach back); a
 * partner without any rate row uses its current terms. */
typedef struct {
  char   *mode;           /* "percentage" | "fixed" */
  gint64  percent;        /* hundredths of a percent */
  gint64  fixed;          /* minor units */
  char   *effective_from; /* YYYY-MM-DD, NULL when taken from the current terms */
} PdCommissionRate;

void     pd_commission_rate_clear (PdCommissionRate *rate);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (PdCommissionRate, pd_commission_rate_clear)

/* The rate in force for PARTNER_ID on DATE (YYYY-MM-DD, local). */
gboolean pd_commission_rate_at    (PdStore          *store,
                                   const char       *partner_id,
                                   const char       *date,
                                   PdCommissionRate *rate,
                                   GError          **error);
/* Records a rate effective from EFFECTIVE_FROM (past or future), replacing a live rate
 * of the same date. Bounds: percent 0–100.00, fixed 0–PD_COMMISSION_MAX_FIXED.
 * Does not touch the partner's current terms, and never rewrites booked commissions. */
gboolean pd_commission_add_rate   (PdStore     *store,
                                   const char  *partner_id,
                                   const char  *effective_from,
                                   const char  *mode,
                                   gint64       percent,
                                   gint64       fixed,
                                   GError     **error);
/* The partner's rates (PdRecord*, owned), oldest effective_from first. */
GPtrArray *pd_commission_list_rates (PdStore    *store,
                                     const char *partner_id,
                                     GError    **error);

G_END_DECLS
