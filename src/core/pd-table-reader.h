/* pd-table-reader.h: streams the rows of an eligibility file (CSV or ANSI X12 834) as named columns. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef enum {
  PD_FILE_FORMAT_CSV,
  PD_FILE_FORMAT_X12_834,
} PdFileFormat;

/* The fixed columns an 834 file yields (its "header"); CSV files yield their own header row. */
#define PD_X12_COLUMNS "maintenance_type", "member_id", "group_id", "first_name", "last_name", \
  "date_of_birth", "gender", "relationship", "employee_member_id", "coverage_start", \
  "coverage_end", "email", "phone", "street", "city", "state", "postal_code"

typedef struct _PdTableReader PdTableReader;

/* Opens PATH, detects the format (834 when the first non-blank bytes are "ISA"),
 * for CSV the encoding (UTF-8 with or without BOM, else Windows-1252 converted
 * to UTF-8; decided before the first row, by scanning the file) and the
 * delimiter (comma, semicolon or tab, from the header line), and reads the
 * header. Errors (PD_ERROR_INVALID): empty file, no header, unreadable. */
PdTableReader      *pd_table_reader_new        (const char    *path,
                                                GError       **error);
void                pd_table_reader_free       (PdTableReader *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PdTableReader, pd_table_reader_free)

PdFileFormat        pd_table_reader_get_format    (PdTableReader *self);
/* "UTF-8", "UTF-8 with BOM", "Windows-1252", or "X12" */
const char         *pd_table_reader_get_encoding  (PdTableReader *self);
/* ',', ';', '\t' for CSV; 0 for 834 */
char                pd_table_reader_get_delimiter (PdTableReader *self);
/* The column names (trimmed, UTF-8), NULL-terminated; owned by the reader. */
const char * const *pd_table_reader_get_header    (PdTableReader *self);
guint               pd_table_reader_get_n_columns (PdTableReader *self);

/* Reads the next data row. Returns TRUE with *FIELDS (n_columns UTF-8 strings,
 * owned by the reader, valid until the next call; a short "ragged" row is
 * padded with "" and *N_PRESENT tells how many it had) and *LINE (the 1-based
 * line where the row starts in the file; for 834, the line/segment number of its
 * INS). Returns FALSE at the end (no error) or on a malformed file (error set,
 * PD_ERROR_INVALID, message naming the line: "Line 12: a quoted field is not
 * closed"). Blank lines are skipped. Streams: memory stays bounded by the
 * longest row, never the file. */
gboolean            pd_table_reader_next          (PdTableReader  *self,
                                                   const char   ***fields,
                                                   guint          *n_present,
                                                   guint          *line,
                                                   GError        **error);
/* Progress: bytes consumed so far and the file's size. */
guint64             pd_table_reader_get_position  (PdTableReader *self);
guint64             pd_table_reader_get_size      (PdTableReader *self);
/* SHA-256 (hex) of the whole file's bytes, computed while opening. */
const char         *pd_table_reader_get_sha256    (PdTableReader *self);

/* Parsers on memory, for the fuzz targets and the tests. */
PdTableReader      *pd_table_reader_new_from_bytes (GBytes  *bytes,
                                                    GError **error);

G_END_DECLS
