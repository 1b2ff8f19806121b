/* pd-server-partner.c: the partner side: what a partner may book, and booking it. STUB */
#include "config.h"

#include "pd-server-private.h"

void pd_server_partner_register (PdServer *self) {}
