/* pd-server.c: the PdServer object. STUB */
#include "config.h"

#include "pd-server-private.h"

G_DEFINE_FINAL_TYPE (PdServer, pd_server, G_TYPE_OBJECT)

static void pd_server_class_init (PdServerClass *klass) {}
static void pd_server_init (PdServer *self) {}
