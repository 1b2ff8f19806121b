/* pd-error.c: the error domain of libpartnerdesk-core. */
#include "pd-error.h"

G_DEFINE_QUARK (pd-error-quark, pd_error)
