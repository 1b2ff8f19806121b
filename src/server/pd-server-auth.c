/* pd-server-auth.c: passwords, sessions, rate limiting. STUB */
#include "config.h"

#include "pd-server-private.h"

void pd_server_auth_register (PdServer *self) {}
