/* pd-core.h: everything of libpartnerdesk-core. */
#pragma once

#include "pd-error.h"
#include "pd-money.h"
#include "pd-record.h"
#include "pd-audit-entry.h"
#include "pd-store.h"
#include "pd-store-sync.h"
#include "pd-sample-data.h"
#include "pd-table-reader.h"
#include "pd-import.h"
#include "pd-people-query.h"
#include "pd-catalogue.h"
#include "pd-traffic.h"
#include "pd-booking.h"
#include "pd-commission.h"
#include "pd-statistics.h"
#include "pd-statement.h"
