/* pd-table-reader-private.h: the reader's state, shared by the reader and its CSV and X12 parsers. */
#pragma once

#include <string.h>

#include "pd-table-reader.h"

G_BEGIN_DECLS

/* Bytes read from the file per step; the parsers never see more at once. */
#define PD_READER_CHUNK (64 * 1024)
/* A row (or 834 segment) longer than this is a broken file, not data. */
#define PD_READER_MAX_ROW (64 * 1024 * 1024)

typedef struct _PdX12 PdX12;

struct _PdTableReader
{
  /* The source: a file descriptor or bytes in memory */
  int     fd;
  GBytes *bytes;
  guint64 size;

  /* What the opening scan found */
  PdFileFormat format;
  gboolean     is_1252;
  gboolean     has_bom;
  char         delimiter;
  char         sha256[65];

  /* The current chunk, as UTF-8 (converted from Windows-1252 when needed) */
  guint8       *raw;
  guint8       *conv;
  const guint8 *chunk;
  gsize         chunk_len;
  gsize         chunk_pos;
  guint64       chunk_raw_start; /* file offset of the chunk's first byte */
  gsize         chunk_raw_len;
  guint64       raw_offset;      /* file offset of the next chunk */
  gboolean      eof;

  /* The header */
  char **header;
  guint  n_columns;

  /* The current row: fields back to back, each ending in NUL */
  char        *row;
  gsize        row_len;
  gsize        row_cap;
  guint       *offsets;
  guint        n_fields;
  guint        offsets_cap;
  const char **fields;
  guint        fields_cap;

  /* CSV cursor */
  guint    line;    /* 1-based line of the next byte */
  gboolean skip_lf; /* the previous record ended in CR */
  guint8   special[256];
  guint8   quoted_special[256];

  PdX12   *x12;
  gboolean done; /* next() returned FALSE once: the end, or an error */
};

/* pd-table-reader.c */
gboolean     _pd_reader_fill        (PdTableReader *self,
                                     GError       **error);
void         _pd_reader_row_grow    (PdTableReader *self,
                                     gsize          extra);
void         _pd_reader_offsets_grow (PdTableReader *self);
const char **_pd_reader_row_fields  (PdTableReader *self,
                                     guint          n_out);

/* offsets[n_fields] is where the field being filled starts. */
static inline void
_pd_reader_row_reset (PdTableReader *self)
{
  self->row_len = 0;
  self->n_fields = 0;
  self->offsets[0] = 0;
}

static inline void
_pd_reader_row_append (PdTableReader *self,
                       const void    *data,
                       gsize          len)
{
  if (G_UNLIKELY (self->row_len + len + 1 > self->row_cap))
    _pd_reader_row_grow (self, len + 1);
  memcpy (self->row + self->row_len, data, len);
  self->row_len += len;
}

static inline void
_pd_reader_row_end_field (PdTableReader *self)
{
  if (G_UNLIKELY (self->row_len + 1 > self->row_cap))
    _pd_reader_row_grow (self, 1);
  self->row[self->row_len++] = '\0';
  if (G_UNLIKELY (self->n_fields + 2 > self->offsets_cap))
    _pd_reader_offsets_grow (self);
  self->offsets[++self->n_fields] = (guint) self->row_len;
}

/* pd-csv.c */
typedef struct {
  guint    counts[3]; /* ',', ';', '\t' */
  gboolean in_quotes;
  gboolean content;
  gboolean done;
} PdCsvSniffer;

void     _pd_csv_sniff          (PdCsvSniffer *sniffer,
                                 const guint8 *data,
                                 gsize         len);
char     _pd_csv_sniff_result   (PdCsvSniffer *sniffer);
gboolean _pd_csv_open           (PdTableReader *self,
                                 GError       **error);
gboolean _pd_csv_next           (PdTableReader *self,
                                 const char  ***fields,
                                 guint         *n_present,
                                 guint         *line,
                                 GError       **error);

/* pd-x12.c */
gboolean _pd_x12_open           (PdTableReader *self,
                                 GError       **error);
gboolean _pd_x12_next           (PdTableReader *self,
                                 const char  ***fields,
                                 guint         *line,
                                 GError       **error);
void     _pd_x12_free           (PdX12 *x12);

G_END_DECLS
