/* pd-error.h: the error domain of libpartnerdesk-core. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define PD_ERROR (pd_error_quark ())

typedef enum {
  PD_ERROR_INVALID,        /* a record breaks a validation rule */
  PD_ERROR_NOT_FOUND,      /* no such record */
  PD_ERROR_DATABASE,       /* SQLite failed (corrupt, cannot open, ...) */
  PD_ERROR_NEWER_SCHEMA,   /* the database comes from a newer Partner Desk */
  PD_ERROR_READ_ONLY,      /* the database or its folder is read-only */
  PD_ERROR_DISK_FULL,      /* no space left for the write */
  PD_ERROR_NOT_EMPTY,      /* sample data needs an empty database */
} PdErrorCode;

GQuark pd_error_quark (void);

G_END_DECLS
