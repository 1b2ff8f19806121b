/* pd-record-private.h: what the store needs of PdRecord beyond the public API. */
#pragma once

#include "pd-record.h"

G_BEGIN_DECLS

/* A record with no id and no field set (bools 0): the store fills it from a row. */
PdRecord *_pd_record_new_empty      (const PdRecordType *type);
/* Copies fields and meta of SRC into DEST (same type). */
void      _pd_record_assign         (PdRecord *dest,
                                     PdRecord *src);
/* Fast setters by field index for loading rows; they take ownership of nothing. */
void      _pd_record_load_int       (PdRecord   *self,
                                     guint       index,
                                     gint64      value);
void      _pd_record_load_string    (PdRecord   *self,
                                     guint       index,
                                     const char *value);
gint      _pd_record_type_field_index (const PdRecordType *type,
                                       const char         *name);
/* REF_LIST canonical text <-> string vector. */
char     *_pd_strv_to_json          (const char * const *strv);
char    **_pd_strv_from_json        (const char *text);

G_END_DECLS

G_BEGIN_DECLS
/* Canonical text of the field at INDEX (NULL when unset). */
char     *_pd_record_dup_canonical_index (PdRecord *self,
                                          guint     index);
gboolean  _pd_record_is_set_index        (PdRecord *self,
                                          guint     index);
gint64    _pd_record_get_int_index       (PdRecord *self,
                                          guint     index);
const char *_pd_record_get_string_index  (PdRecord *self,
                                          guint     index);
G_END_DECLS
