/* pd-import.h: eligibility files (CSV, X12 834) into people: column mapping, dry run, import, upload history. */
#pragma once

#include <gio/gio.h>

#include "pd-store.h"
#include "pd-table-reader.h"

G_BEGIN_DECLS

/* How to treat the people of the partner that the file does not list. */
typedef enum {
  PD_IMPORT_MODE_FULL,        /* the file is the whole population: end the others' coverage */
  PD_IMPORT_MODE_INCREMENTAL, /* adds and changes only */
} PdImportMode;

/* The order of day, month and year in the file's dates. AUTO detects it per file; when
 * both MM/DD/YYYY and DD/MM/YYYY fit every date the import stops with
 * PD_ERROR_AMBIGUOUS_DATES and the caller asks. DD.MM.YYYY and YYYY-MM-DD are never ambiguous. */
typedef enum {
  PD_DATE_ORDER_AUTO,
  PD_DATE_ORDER_YMD,
  PD_DATE_ORDER_MDY,
  PD_DATE_ORDER_DMY,
} PdDateOrder;

typedef enum {
  PD_IMPORT_FLAG_NONE              = 0,
  PD_IMPORT_FLAG_DRY_RUN           = 1 << 0, /* count and list rejections; change nothing */
  PD_IMPORT_FLAG_ALL_OR_NOTHING    = 1 << 1, /* any rejected row: import nothing (PD_ERROR_REJECTED) */
  PD_IMPORT_FLAG_CONFIRM_GUARD     = 1 << 2, /* the user accepted the termination guard */
  PD_IMPORT_FLAG_CONFIRM_DUPLICATE = 1 << 3, /* the user wants to import an identical file again */
} PdImportFlags;

/* "maintenance_type" is a mapping target besides the person fields (834's INS03, or a CSV
 * column "Maintenance Type" with add/change/terminate/reinstate/audit or 001/021/024/025/030). */
#define PD_IMPORT_TARGET_MAINTENANCE "maintenance_type"

/* Which column feeds which person field. Copyable value; every column maps to at most one
 * field and every field from at most one column. */
typedef struct _PdImportMapping PdImportMapping;

/* The automatic mapping of HEADER by field names and synonyms (case, space and
 * punctuation ignored: "DOB", "Date of Birth", "Birthdate" → date_of_birth). */
PdImportMapping    *pd_import_mapping_new_auto   (const char * const *header);
PdImportMapping    *pd_import_mapping_copy       (const PdImportMapping *self);
void                pd_import_mapping_free       (PdImportMapping *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PdImportMapping, pd_import_mapping_free)
const char * const *pd_import_mapping_get_header (const PdImportMapping *self);
guint               pd_import_mapping_get_n_columns (const PdImportMapping *self);
/* The field name COLUMN feeds (a pd_person_type field or PD_IMPORT_TARGET_MAINTENANCE), or NULL: ignored. */
const char         *pd_import_mapping_get_target (const PdImportMapping *self,
                                                  guint                  column);
/* Maps COLUMN to TARGET (NULL: ignore it); another column mapped to TARGET is unmapped.
 * FALSE for a name that is not one of pd_import_mapping_list_targets (). */
gboolean            pd_import_mapping_set_target (PdImportMapping *self,
                                                  guint            column,
                                                  const char      *target);
/* The column mapped to TARGET, or -1. */
int                 pd_import_mapping_find_column (const PdImportMapping *self,
                                                   const char            *target);
/* Required targets (member_id, first_name, last_name, date_of_birth, relationship) that no
 * column feeds; NULL-terminated field names, free with g_strfreev. Empty when complete. */
char              **pd_import_mapping_dup_missing (const PdImportMapping *self);
/* Headers that feed nothing. g_strfreev. */
char              **pd_import_mapping_dup_unmapped (const PdImportMapping *self);
/* Every target a column can feed, NULL-terminated, static: the choices of a mapping dialog.
 * Show them with pd_import_target_label (). */
const char * const *pd_import_mapping_list_targets (void);
/* Translated label of a target ("Date of birth", "Maintenance type"). */
const char         *pd_import_target_label       (const char *target);

/* The partner's confirmed mapping and its date order, or NULL when none was saved. */
PdImportMapping    *pd_import_load_mapping       (PdStore      *store,
                                                  const char   *partner_id,
                                                  PdDateOrder  *date_order);
/* Saves MAPPING as the partner's (an import with a mapping saves it too). */
gboolean            pd_import_save_mapping       (PdStore                *store,
                                                  const char             *partner_id,
                                                  const PdImportMapping  *mapping,
                                                  PdDateOrder             date_order,
                                                  GError                **error);

/* What the mapping dialog shows before anything is imported. */
typedef struct {
  PdFileFormat     format;
  char            *encoding;         /* "UTF-8", "Windows-1252", "X12" ... */
  char             delimiter;        /* CSV: ',', ';', '\t' */
  char            *sha256;
  guint64          size;
  PdImportMapping *mapping;          /* the saved one when the headers match, else automatic */
  gboolean         mapping_is_saved; /* mapping is the partner's confirmed mapping */
  gboolean         mapping_changed;  /* a mapping is saved but the headers differ */
  char           **added_columns;    /* headers not in the saved mapping (when changed) */
  char           **removed_columns;  /* saved headers missing from the file (when changed) */
  char           **missing_fields;   /* required targets not mapped by mapping */
  char           **unmapped_columns; /* headers mapped to nothing */
  GPtrArray       *rows;             /* the first rows: (char **) of n_columns strings each */
  GArray          *row_lines;        /* guint: their line numbers */
  PdDateOrder      saved_date_order; /* AUTO when none saved */
  PdImportMode     suggested_mode;   /* FULL for an 834 of only audit (030) rows, else INCREMENTAL */
  gboolean         mode_suggested;   /* suggested_mode means something */
  char            *duplicate_of;     /* upload id of an identical earlier file, or NULL */
  char            *duplicate_message; /* "This file was already uploaded on … as “…”." or NULL */
} PdImportPreview;

void             pd_import_preview_free (PdImportPreview *preview);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PdImportPreview, pd_import_preview_free)
/* Reads the header and the first N_ROWS rows of FILE_PATH (an 834 is read through to
 * suggest the mode). Fails (PD_ERROR_INVALID) for an unreadable or malformed file. */
PdImportPreview *pd_import_preview      (PdStore     *store,
                                         const char  *partner_id,
                                         const char  *file_path,
                                         guint        n_rows,
                                         GError     **error);

typedef struct {
  PdImportMode     mode;             /* default INCREMENTAL */
  PdDateOrder      date_order;       /* default AUTO: the saved order, else detected */
  PdImportFlags    flags;
  const char      *termination_date; /* FULL mode's end of coverage, YYYY-MM-DD; NULL: today */
  const char      *file_name;        /* shown in the history; NULL: the path's basename */
  /* The user's confirmed mapping (saved for the partner when the import applies), or NULL:
   * the partner's saved mapping (PD_ERROR_MAPPING_CHANGED when the headers differ), else
   * the automatic one when it maps every required field (else PD_ERROR_NEEDS_MAPPING). */
  const PdImportMapping *mapping;
  const char      *actor_id;         /* practice user who imports; NULL: the local user */
} PdImportOptions;

void pd_import_options_init (PdImportOptions *options);

typedef struct {
  guint  line;    /* 1-based line of the row in the file (834: segment of its INS) */
  char  *column;  /* the header of the offending column; "" for the whole row */
  char  *reason;  /* translated: "the date 2023-02-30 does not exist" */
} PdImportRejection;

typedef struct {
  gboolean      dry_run;
  PdImportMode  mode;
  PdFileFormat  format;
  PdDateOrder   date_order;     /* the order used */
  char         *upload_id;      /* the Upload record; NULL for a dry run */
  char         *sha256;
  char         *file_name;
  guint         rows, created, updated, unchanged, terminated, rejected;
  GPtrArray    *rejections;     /* PdImportRejection*, in line order, at most 100,000 */
} PdImportResult;

void  pd_import_result_free      (PdImportResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PdImportResult, pd_import_result_free)
/* "created 3, updated 1, unchanged 10, terminated 0, rejected 2" (the command line's, untranslated) */
char *pd_import_result_summary_line (const PdImportResult *result);
/* Translated: "3 new, 1 updated, 10 unchanged, 0 terminated, 2 rejected" */
char *pd_import_result_describe  (const PdImportResult *result);
/* "line 12, column DOB: the date 2023-02-30 does not exist" */
char *pd_import_rejection_describe (const PdImportRejection *rejection);

/* Progress: FRACTION 0..1 and a translated PHASE ("Checking the file", "Importing people").
 * At most about 20 calls a second. */
typedef void (*PdImportProgressFunc) (double      fraction,
                                      const char *phase,
                                      gpointer    user_data);

/* Imports FILE_PATH for PARTNER_ID into the database at DB_PATH on a connection of its
 * own (it opens a PdStore; call it from any thread, never with the same PdStore in two
 * threads). Stops before changing anything on an identical earlier upload
 * (PD_ERROR_DUPLICATE_FILE), a mapping problem (PD_ERROR_NEEDS_MAPPING,
 * PD_ERROR_MAPPING_CHANGED), ambiguous dates (PD_ERROR_AMBIGUOUS_DATES), a full file that
 * would terminate more than the "import_guard_percent" setting (default 20) of the
 * eligible people (PD_ERROR_GUARD), rejected rows under all-or-nothing (PD_ERROR_REJECTED),
 * a malformed file (PD_ERROR_INVALID) or cancellation (G_IO_ERROR_CANCELLED): the database
 * is then exactly as it was. Otherwise the people, one change-log entry per created,
 * updated or terminated person, the Upload record with the file's bytes and rejected
 * rows, and one audit entry for the upload are written in ONE transaction.
 * With PD_IMPORT_FLAG_DRY_RUN it writes nothing and returns the same counts.
 * PROGRESS is called in the calling thread. After a successful import the UI's own
 * store should call pd_store_notify_collection_changed (store, "person", partner_id). */
PdImportResult *pd_import_run        (const char             *db_path,
                                      const char             *partner_id,
                                      const char             *file_path,
                                      const PdImportOptions  *options,
                                      GCancellable           *cancellable,
                                      PdImportProgressFunc    progress,
                                      gpointer                progress_data,
                                      GError                **error);
/* pd_import_run in a worker thread. PROGRESS runs in the thread-default main context of
 * the caller (throttled), and so does CALLBACK. OPTIONS is copied. */
void            pd_import_run_async  (const char             *db_path,
                                      const char             *partner_id,
                                      const char             *file_path,
                                      const PdImportOptions  *options,
                                      GCancellable           *cancellable,
                                      PdImportProgressFunc    progress,
                                      gpointer                progress_data,
                                      GDestroyNotify          progress_data_destroy,
                                      GAsyncReadyCallback     callback,
                                      gpointer                user_data);
PdImportResult *pd_import_run_finish (GAsyncResult  *result,
                                      GError       **error);

/* The rejected rows as CSV (line,column,reason, RFC 4180 quoting, UTF-8). */
gboolean   pd_import_write_rejections_csv (GPtrArray    *rejections,
                                           const char   *path,
                                           GError      **error);
/* The rejected rows stored with an upload (PdImportRejection*, in line order). */
GPtrArray *pd_upload_list_rejections      (PdStore      *store,
                                           const char   *upload_id,
                                           GError      **error);
/* Writes the upload's original file to DEST_PATH byte for byte (streamed). */
gboolean   pd_upload_save_copy            (PdStore      *store,
                                           const char   *upload_id,
                                           const char   *dest_path,
                                           GError      **error);
/* The same in a worker thread on a read-only connection of its own (a copy of a census
 * is a few hundred megabytes to unpack and write): for the UI. */
void       pd_upload_save_copy_async      (PdStore             *store,
                                           const char          *upload_id,
                                           const char          *dest_path,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);
gboolean   pd_upload_save_copy_finish     (GAsyncResult        *result,
                                           GError             **error);

/* The headless import: `partner-desk --import-eligibility FILE --partner NAME-OR-ID
 * [--full|--incremental] [--dry-run] [--all-or-nothing] [--database PATH] [--yes]
 * [--date-order ymd|mdy|dmy]`. Returns -1 when ARGV has no --import-eligibility (start
 * the GUI), else the exit status: 0 applied (or would apply), 1 nothing changed, 2 usage. */
int        pd_import_command_line         (int    argc,
                                           char **argv);

G_END_DECLS
