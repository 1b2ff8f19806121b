/* pd-statistics-view.h: the practice-wide Statistics view: partners compared over a period. */
#pragma once

#include <adwaita.h>
#include "pd-core.h"

G_BEGIN_DECLS

#define PD_TYPE_STATISTICS_VIEW (pd_statistics_view_get_type ())
G_DECLARE_FINAL_TYPE (PdStatisticsView, pd_statistics_view, PD, STATISTICS_VIEW, GtkWidget)

/* Computes (in a worker thread) when shown, and again when bookings change. */
PdStatisticsView  *pd_statistics_view_new           (PdStore          *store);
/* For tests: TRUE while computing. */
gboolean           pd_statistics_view_get_busy      (PdStatisticsView *self);
/* The table's model: items PdStatsItem of a PdStatisticsRow (first member; id = partner). */
GtkSelectionModel *pd_statistics_view_get_selection (PdStatisticsView *self);

G_END_DECLS
