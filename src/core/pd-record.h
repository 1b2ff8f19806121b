/* pd-record.h: record descriptions (the spine) and the generic record object. */
#pragma once

#include <glib-object.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef enum {
  PD_FIELD_TEXT,      /* UTF-8 text; "" is the same as unset */
  PD_FIELD_INT,       /* whole number, may be unset */
  PD_FIELD_BOOL,      /* 0 or 1, never unset (defaults to 0) */
  PD_FIELD_ENUM,      /* one of PdField.choices[].nick, stored as the nick */
  PD_FIELD_MONEY,     /* integer minor units of the practice currency */
  PD_FIELD_PERCENT,   /* integer hundredths of a percent: 12.5 % is 1250 */
  PD_FIELD_REF,       /* id of a record of type PdField.ref_type */
  PD_FIELD_REF_LIST,  /* ids of records of PdField.ref_type; SQL: JSON array text */
  PD_FIELD_TIMESTAMP, /* ISO 8601 UTC text, "2026-11-24T05:05:37Z" */
} PdFieldType;

typedef enum {
  PD_FIELD_FLAG_NONE          = 0,
  PD_FIELD_FLAG_REQUIRED      = 1 << 0,
  PD_FIELD_FLAG_UNIQUE_NOCASE = 1 << 1, /* unique among live records, ignoring case */
  PD_FIELD_FLAG_SEARCHABLE    = 1 << 2, /* part of the search key */
  PD_FIELD_FLAG_MULTILINE     = 1 << 3, /* long text: a text view in forms */
  PD_FIELD_FLAG_READ_ONLY     = 1 << 4, /* set by the program; shown, never in forms */
  PD_FIELD_FLAG_EMAIL         = 1 << 5, /* must be an email address */
  PD_FIELD_FLAG_LINKEDIN      = 1 << 6, /* must be an https linkedin.com URL */
  PD_FIELD_FLAG_HIDDEN        = 1 << 7, /* stored, never shown (e.g. a partner_id) */
  PD_FIELD_FLAG_DATE          = 1 << 8, /* TEXT holding an ISO date, YYYY-MM-DD (validated by the store) */
} PdFieldFlags;

typedef struct _PdRecordType PdRecordType;
typedef struct _PdRecord PdRecord;

typedef struct {
  const char *nick;   /* stored value, e.g. "employer" */
  const char *label;  /* N_() label, e.g. "Employer" */
} PdChoice;

typedef struct {
  const char         *name;      /* SQL column and JSON key */
  PdFieldType         type;
  const char         *label;     /* N_() label shown in forms, sidebar, history */
  PdFieldFlags        flags;
  const char         *group;     /* N_() group title: "Company", "Terms", ... */
  const PdChoice     *choices;   /* PD_FIELD_ENUM: NULL-nick terminated */
  const PdRecordType *ref_type;  /* PD_FIELD_REF / PD_FIELD_REF_LIST */
  const char         *only_if;   /* relevant only when field only_if ... */
  const char         *only_if_value; /* ... holds this nick; otherwise ignored and cleared */
  const char         *placeholder; /* N_() hint for forms, or NULL */
} PdField;

struct _PdRecordType {
  const char    *name;        /* collection name: "partner" (JSON, change log) */
  const char    *table;       /* SQL table: "partners" */
  const char    *label;       /* N_("Partner") */
  const PdField *fields;
  guint          n_fields;
  const char    *partner_field; /* field naming the owning partner (history), "id" for partners, or NULL */
  const char    *title_field;   /* field that names a record in lists and messages */
};

/* The record types, in pd-record-types.c */
extern const PdRecordType pd_partner_type;
extern const PdRecordType pd_institution_type;
extern const PdRecordType pd_partner_user_type;
extern const PdRecordType pd_practice_user_type;
extern const PdRecordType pd_person_type;  /* eligibility: "person", table persons */
extern const PdRecordType pd_upload_type;  /* eligibility file uploads: "upload", table uploads */
/* Issue 4 (pd-catalogue.h, pd-traffic.h, pd-booking.h, pd-commission.h):
 * fields are listed in pd-record-types.c; rules beyond the fields live in the store. */
extern const PdRecordType pd_examination_type;       /* "examination": code, name, duration_minutes, archived */
extern const PdRecordType pd_examination_price_type; /* "examination_price": examination_id, institution_id, price */
extern const PdRecordType pd_activation_type;        /* "activation": partner_id, institution_id, examination_id, enabled */
extern const PdRecordType pd_booking_type;           /* "booking": see pd-booking.h */
extern const PdRecordType pd_commission_rate_type;   /* "commission_rate": partner_id, effective_from, mode, percent, fixed */
extern const PdRecordType pd_benefit_type;           /* "benefit": partner_id, examination_id, visits_per_year, copay, waiting_days, dependents_covered */

const PdRecordType *pd_record_type_lookup   (const char *name);
const PdField      *pd_record_type_get_field (const PdRecordType *type,
                                              const char         *name);
const char         *pd_field_choice_label   (const PdField *field,
                                              const char    *nick);
/* Canonical stored text (as in audit entries) to display text; ref ids are returned unchanged. */
char               *pd_field_format_text    (const PdField *field,
                                              const char    *canonical);

#define PD_TYPE_RECORD (pd_record_get_type ())
G_DECLARE_FINAL_TYPE (PdRecord, pd_record, PD, RECORD, GObject)

/* A new record of TYPE with a fresh UUID, version 0 (never saved),
 * enums at their first choice, bools FALSE, everything else unset. */
PdRecord           *pd_record_new            (const PdRecordType *type);
PdRecord           *pd_record_copy           (PdRecord   *self);
const PdRecordType *pd_record_get_record_type (PdRecord  *self);

const char *pd_record_get_id         (PdRecord *self);
gint64      pd_record_get_version    (PdRecord *self);
const char *pd_record_get_created_at (PdRecord *self);
const char *pd_record_get_updated_at (PdRecord *self);
const char *pd_record_get_updated_by (PdRecord *self);
gboolean    pd_record_get_deleted    (PdRecord *self);
/* Used by the store only. */
void        _pd_record_set_meta      (PdRecord   *self,
                                      const char *id,
                                      gint64      version,
                                      const char *created_at,
                                      const char *updated_at,
                                      const char *updated_by,
                                      gboolean    deleted);

gboolean    pd_record_is_set     (PdRecord *self, const char *field);
void        pd_record_unset      (PdRecord *self, const char *field);
/* TEXT, ENUM, REF, TIMESTAMP. NULL when unset. */
const char *pd_record_get_string (PdRecord *self, const char *field);
void        pd_record_set_string (PdRecord *self, const char *field, const char *value);
/* INT, MONEY, PERCENT, BOOL. 0 when unset. */
gint64      pd_record_get_int    (PdRecord *self, const char *field);
void        pd_record_set_int    (PdRecord *self, const char *field, gint64 value);
gboolean    pd_record_get_bool   (PdRecord *self, const char *field);
void        pd_record_set_bool   (PdRecord *self, const char *field, gboolean value);
/* REF_LIST. Never NULL: an empty vector when unset. */
const char * const *pd_record_get_strv (PdRecord *self, const char *field);
void        pd_record_set_strv   (PdRecord *self, const char *field, const char * const *value);

/* The canonical stored text of a field (NULL when unset): what the audit trail keeps. */
char       *pd_record_dup_canonical (PdRecord *self, const char *field);
/* Sets a field from canonical text (NULL unsets). FALSE if the text does not parse. */
gboolean    pd_record_set_canonical (PdRecord *self, const char *field, const char *text);
/* Display text of a field in the user's locale: enum labels, "Yes"/"No",
 * money with the currency, "12.5 %". NULL when unset. Refs stay ids. */
char       *pd_record_format        (PdRecord *self, const char *field);
/* The text a form shows for editing the field ("" when unset). */
char       *pd_record_get_edit_text (PdRecord *self, const char *field);
/* Parses user-typed TEXT into the field (locale money, percent with at most
 * two decimals, whole numbers). On failure returns FALSE, leaves the field
 * unchanged and sets *message to a translated reason. "" unsets. */
gboolean    pd_record_set_from_text (PdRecord    *self,
                                     const char  *field,
                                     const char  *text,
                                     char       **message);
gboolean    pd_record_field_equal   (PdRecord *a, PdRecord *b, const char *field);

/* Is FIELD relevant (its only_if condition holds)? */
gboolean    pd_record_field_applies (PdRecord *self, const PdField *field);

/* Field rules of the record alone (required, email, linkedin, bounds, choices).
 * Returns field name -> translated message; empty when valid. Uniqueness is
 * the store's (pd_store_validate). */
GHashTable *pd_record_validate      (PdRecord *self);

/* The title (title_field) or "" */
const char *pd_record_get_title     (PdRecord *self);
/* Casefolded text of the SEARCHABLE fields, joined by '\n'; cached. */
const char *pd_record_get_search_key (PdRecord *self);
/* g_utf8_collate_key of the title; cached. */
const char *pd_record_get_sort_key   (PdRecord *self);

/* JSON: { "id", "version", "created_at", "updated_at", "updated_by", "deleted", <fields> } */
JsonObject *pd_record_to_json        (PdRecord *self);
PdRecord   *pd_record_new_from_json  (const PdRecordType *type,
                                      JsonObject         *object,
                                      GError            **error);

/* Casefolded NFC text, as in search keys and uniqueness checks: fold a
 * search query with this before matching it against pd_record_get_search_key. */
char       *pd_text_fold             (const char *text);

char       *pd_uuid_new              (void);
char       *pd_timestamp_now         (void);
/* ISO 8601 UTC text shown in local time ("%x %X"); NULL for NULL or "", the text
 * itself when it does not parse. */
char       *pd_timestamp_format_local (const char *iso);

G_END_DECLS
