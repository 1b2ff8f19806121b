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
  PD_ERROR_NEEDS_MAPPING,  /* import: no saved mapping and the automatic one misses required fields */
  PD_ERROR_MAPPING_CHANGED, /* import: the file's columns differ from the partner's saved mapping */
  PD_ERROR_AMBIGUOUS_DATES, /* import: dates fit both MM/DD and DD/MM; pass a date order */
  PD_ERROR_GUARD,          /* import: a full file would terminate too many eligible people */
  PD_ERROR_DUPLICATE_FILE, /* import: the same file was already uploaded for this partner */
  PD_ERROR_REJECTED,       /* import: all-or-nothing and some rows were rejected */
} PdErrorCode;

GQuark pd_error_quark (void);

G_END_DECLS
