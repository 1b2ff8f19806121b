/* pd-csv.c: the RFC 4180 CSV parser of the table reader: delimiter sniffing, header, streamed records. */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "pd-error.h"
#include "pd-table-reader-private.h"

typedef enum {
  CSV_FIELD_START,
  CSV_UNQUOTED,
  CSV_QUOTED,
  CSV_QUOTE_SEEN, /* a quote inside a quoted field: a doubled quote or the closing one */
  CSV_LEADING,    /* spaces at a field's start: kept, unless a quote follows (a, "b") */
} CsvState;

/* Counts the unquoted candidates on the first line that has content (the header). */
void
_pd_csv_sniff (PdCsvSniffer *s,
               const guint8 *data,
               gsize         len)
{
  for (gsize i = 0; i < len && !s->done; i++)
    {
      guint8 c = data[i];

      if (c == '"')
        {
          s->in_quotes = !s->in_quotes;
          s->content = TRUE;
          continue;
        }
      if (s->in_quotes)
        continue;
      switch (c)
        {
        case ',': s->counts[0]++; break;
        case ';': s->counts[1]++; break;
        case '\t': s->counts[2]++; break;
        case ' ': break;
        case '\r':
        case '\n':
          if (s->content)
            s->done = TRUE;
          else
            memset (s->counts, 0, sizeof s->counts);
          break;
        default:
          s->content = TRUE;
        }
    }
}

/* The most frequent candidate; comma on a tie. */
char
_pd_csv_sniff_result (PdCsvSniffer *s)
{
  char  best = ',';
  guint n = s->counts[0];

  if (s->counts[1] > n)
    {
      best = ';';
      n = s->counts[1];
    }
  if (s->counts[2] > n)
    best = '\t';
  return best;
}

static gboolean
record_at_eof (PdTableReader *self,
               CsvState       state,
               gboolean       started,
               guint          quote_line,
               GError       **error)
{
  if (state == CSV_QUOTED)
    {
      g_set_error (error, PD_ERROR, PD_ERROR_INVALID, _("Line %u: a quoted field is not closed"),
                   quote_line);
      return FALSE;
    }
  if (!started)
    return FALSE;
  _pd_reader_row_end_field (self);
  return TRUE;
}

/* Reads one record into the row buffer. FALSE at the end (no error) or on an error. */
static gboolean
read_record (PdTableReader *self,
             guint         *row_line,
             GError       **error)
{
  const guint8 *special = self->special, *qspecial = self->quoted_special;
  const guint8  delim = (guint8) self->delimiter;
  CsvState      state = CSV_FIELD_START;
  gboolean      started = FALSE, quoted_cr = FALSE;
  guint         quote_line = 0;

  *row_line = self->line;
  _pd_reader_row_reset (self);
  for (;;)
    {
      const guint8 *p, *end;

      if (self->chunk_pos == self->chunk_len)
        {
          GError *local = NULL;

          if (!_pd_reader_fill (self, &local))
            {
              if (local != NULL)
                {
                  g_propagate_error (error, local);
                  return FALSE;
                }
              return record_at_eof (self, state, started, quote_line, error);
            }
        }
      p = self->chunk + self->chunk_pos;
      end = self->chunk + self->chunk_len;
      if (self->skip_lf)
        {
          self->skip_lf = FALSE;
          if (*p == '\n')
            {
              self->chunk_pos++;
              continue;
            }
        }
      while (p < end)
        {
          const guint8 *q;
          guint8        c;

          switch (state)
            {
            case CSV_FIELD_START:
              started = TRUE;
              if (*p == '"')
                {
                  state = CSV_QUOTED;
                  quote_line = self->line;
                  p++;
                  continue;
                }
              if (*p == ' ')
                {
                  state = CSV_LEADING;
                  continue;
                }
              state = CSV_UNQUOTED;
              G_GNUC_FALLTHROUGH;

            case CSV_UNQUOTED:
              for (q = p; q < end && !special[*q]; q++)
                ;
              _pd_reader_row_append (self, p, (gsize) (q - p));
              p = q;
              if (p == end)
                continue;
              c = *p++;
              if (c == delim)
                {
                  _pd_reader_row_end_field (self);
                  state = CSV_FIELD_START;
                  continue;
                }
              if (c == '"')
                {
                  /* a stray quote inside an unquoted field is kept as it is */
                  _pd_reader_row_append (self, &c, 1);
                  continue;
                }
              _pd_reader_row_end_field (self);
              self->line++;
              if (c == '\r')
                {
                  if (p < end && *p == '\n')
                    p++;
                  else if (p == end)
                    self->skip_lf = TRUE;
                }
              self->chunk_pos = (gsize) (p - self->chunk);
              return TRUE;

            case CSV_QUOTED:
              for (q = p; q < end && !qspecial[*q]; q++)
                ;
              if (q > p)
                {
                  _pd_reader_row_append (self, p, (gsize) (q - p));
                  quoted_cr = FALSE;
                }
              p = q;
              if (p == end)
                continue;
              c = *p++;
              if (c == '"')
                {
                  state = CSV_QUOTE_SEEN;
                  continue;
                }
              _pd_reader_row_append (self, &c, 1);
              if (c == '\r' || !quoted_cr)
                self->line++;
              quoted_cr = c == '\r';
              continue;

            case CSV_LEADING:
              if (*p == ' ')
                {
                  _pd_reader_row_append (self, p++, 1);
                  continue;
                }
              if (*p == '"')
                {
                  self->row_len = self->offsets[self->n_fields];
                  state = CSV_QUOTED;
                  quote_line = self->line;
                  p++;
                  continue;
                }
              state = CSV_UNQUOTED;
              continue;

            case CSV_QUOTE_SEEN:
              if (*p == '"')
                {
                  _pd_reader_row_append (self, p, 1);
                  p++;
                  state = CSV_QUOTED;
                  quoted_cr = FALSE;
                }
              else
                state = CSV_UNQUOTED; /* closed; anything before the delimiter is kept */
              continue;
            }
        }
      self->chunk_pos = self->chunk_len;
      if (self->row_len > PD_READER_MAX_ROW)
        {
          g_set_error (error, PD_ERROR, PD_ERROR_INVALID,
                       _("Line %u: a row is longer than 64 MB; is a quote not closed?"), *row_line);
          return FALSE;
        }
    }
}

/* A record whose fields are all empty or spaces is a blank line. */
static gboolean
record_is_blank (PdTableReader *self)
{
  for (gsize i = 0; i < self->row_len; i++)
    {
      char c = self->row[i];

      if (c != '\0' && c != ' ' && c != '\t' && c != '\r' && c != '\n')
        return FALSE;
    }
  return TRUE;
}

static gboolean
read_nonblank_record (PdTableReader *self,
                      guint         *row_line,
                      GError       **error)
{
  do
    {
      if (!read_record (self, row_line, error))
        return FALSE;
    }
  while (record_is_blank (self));
  return TRUE;
}

static char *
header_name (const char *field)
{
  char *name = g_strdup (field);

  /* a byte-order mark after leading blank lines, or a doubled one */
  if (g_str_has_prefix (name, "\xEF\xBB\xBF"))
    memmove (name, name + 3, strlen (name + 3) + 1);
  return g_strstrip (name);
}

static gboolean
check_duplicates (char  **names,
                  GError **error)
{
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GString) dups = NULL;

  for (guint i = 0; names[i] != NULL; i++)
    {
      char *key;

      if (names[i][0] == '\0')
        continue;
      key = g_utf8_casefold (names[i], -1);
      if (g_hash_table_add (seen, key))
        continue;
      if (dups == NULL)
        dups = g_string_new (NULL);
      else
        g_string_append (dups, ", ");
      g_string_append_printf (dups, "“%s”", names[i]);
    }
  if (dups == NULL)
    return TRUE;
  g_set_error (error, PD_ERROR, PD_ERROR_INVALID,
               _("The header names these columns more than once: %s"), dups->str);
  return FALSE;
}

gboolean
_pd_csv_open (PdTableReader *self,
              GError       **error)
{
  GError *local = NULL;
  guint   line, n;
  char  **names;

  memset (self->special, 0, sizeof self->special);
  memset (self->quoted_special, 0, sizeof self->quoted_special);
  self->special[(guint8) self->delimiter] = 1;
  self->special['"'] = self->special['\r'] = self->special['\n'] = 1;
  self->quoted_special['"'] = self->quoted_special['\r'] = self->quoted_special['\n'] = 1;

  if (!read_nonblank_record (self, &line, &local))
    {
      if (local != NULL)
        g_propagate_error (error, local);
      else
        g_set_error_literal (error, PD_ERROR, PD_ERROR_INVALID, _("The file is empty"));
      return FALSE;
    }
  /* "a,b," : trailing empty names are a spreadsheet's habit, not columns */
  n = self->n_fields;
  while (n > 1 && self->row[self->offsets[n - 1]] == '\0')
    n--;
  names = g_new0 (char *, n + 1);
  for (guint i = 0; i < n; i++)
    names[i] = header_name (self->row + self->offsets[i]);
  self->header = names;
  self->n_columns = n;
  return check_duplicates (names, error);
}

gboolean
_pd_csv_next (PdTableReader  *self,
              const char   ***fields,
              guint          *n_present,
              guint          *line,
              GError        **error)
{
  guint n;

  if (!read_nonblank_record (self, line, error))
    return FALSE;
  n = self->n_fields;
  /* extra fields count only when one of them has something in it */
  while (n > self->n_columns && self->row[self->offsets[n - 1]] == '\0')
    n--;
  self->n_fields = n;
  *n_present = n;
  *fields = _pd_reader_row_fields (self, self->n_columns);
  return TRUE;
}
