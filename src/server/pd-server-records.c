/* pd-server-records.c: the changes feed and record writes. STUB */
#include "config.h"

#include "pd-server-private.h"

void pd_server_records_register (PdServer *self) {}
