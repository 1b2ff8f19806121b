/* pd-core.h: everything of libpartnerdesk-core. */
#pragma once

#include "pd-error.h"
#include "pd-money.h"
#include "pd-record.h"
#include "pd-audit-entry.h"
#include "pd-store.h"
#include "pd-sample-data.h"
