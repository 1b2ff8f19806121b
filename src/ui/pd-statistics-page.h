/* pd-statistics-page.h: the Statistics tab: a partner's bookings and commission over a period. */
#pragma once

#include <adwaita.h>
#include "pd-core.h"

G_BEGIN_DECLS

#define PD_TYPE_STATISTICS_PAGE (pd_statistics_page_get_type ())
G_DECLARE_FINAL_TYPE (PdStatisticsPage, pd_statistics_page, PD, STATISTICS_PAGE, GtkWidget)

PdStatisticsPage *pd_statistics_page_new            (PdStore          *store);
/* Shows the partner with PARTNER_ID (NULL: nothing). Computes (in a worker thread,
 * with its own read-only connection) when shown, and again when its bookings change. */
void              pd_statistics_page_set_partner_id (PdStatisticsPage *self,
                                                     const char       *partner_id);

/* For tests: TRUE while figures are computed or a statement is written. */
gboolean            pd_statistics_page_get_busy       (PdStatisticsPage *self);
/* The figures shown (NULL before the first result). */
const PdStatistics *pd_statistics_page_get_statistics (PdStatisticsPage *self);
/* The bookings table (sorted, with its selection; items PdStatsItem of PdBookingLine). */
GtkSelectionModel  *pd_statistics_page_get_bookings   (PdStatisticsPage *self);
/* Writes the statement of the chosen month to PATH as FORMAT "csv" or "pdf", as Export
 * does after its file chooser (in a worker thread; a toast when done). */
void                pd_statistics_page_export         (PdStatisticsPage *self,
                                                       const char       *format,
                                                       const char       *path);

G_END_DECLS
