/* pd-statement.h: a partner's monthly commission statement, as CSV and PDF. */
#pragma once

#include "pd-statistics.h"

G_BEGIN_DECLS

/* A statement lists the partner's NON-CANCELLED bookings of one period (a calendar month
 * from the UI; any PdPeriod works) with totals. It goes to the partner, so the patient is
 * shown only when the partner's terms allow viewing patient data
 * (patient_data_visible), else "—". Offered in the UI for partners whose terms have
 * statistics_required; the core does not refuse others. */
typedef struct {
  char      *practice_name;   /* setting "practice_name", else "Partner Desk" */
  char      *partner_id;
  char      *partner_name;
  PdPeriod   period;
  char      *period_text;     /* pd_period_format */
  char      *currency;        /* ISO 4217 */
  char      *mode_text;       /* "12.5 %" or "25.00 EUR per booking": the rate in force on
                               * the period's last day */
  GPtrArray *lines;           /* PdBookingLine* (patient already "—" when hidden) */
  gint64     count;
  gint64     total_price;
  gint64     total_commission;
} PdStatement;

void pd_statement_free (PdStatement *statement);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PdStatement, pd_statement_free)

PdStatement *pd_statement_build      (PdStore        *store,
                                      const char     *partner_id,
                                      const PdPeriod *period,
                                      GError        **error);
/* CSV (RFC 4180, UTF-8, comma, header row; amounts as plain decimals "1234.50" so
 * spreadsheets read them; a final "Total" row). Owned. */
char        *pd_statement_to_csv     (PdStatement    *statement);
gboolean     pd_statement_write_csv  (PdStatement    *statement,
                                      const char     *path,
                                      GError        **error);
/* PDF (A4, cairo): practice and partner names, period, commission terms, a table of
 * lines (date, examination, institution, patient, price, commission) that breaks across
 * pages with the header repeated, page numbers, and the totals. */
gboolean     pd_statement_write_pdf  (PdStatement    *statement,
                                      const char     *path,
                                      GError        **error);
/* "Statement Acme Logistics GmbH 2026-03.pdf" for EXTENSION "pdf". Owned. */
char        *pd_statement_suggest_file_name (PdStatement *statement,
                                             const char  *extension);

G_END_DECLS
