/* fuzz-common.h: reads every row of an input through PdTableReader and checks what comes out. */
#pragma once

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pd-table-reader.h"

static void
fuzz_check (gboolean ok)
{
  if (!ok)
    abort ();
}

/* Every name and field is valid UTF-8 and the row shape holds. */
static void
fuzz_read_all (const guint8 *data,
               gsize         size)
{
  g_autoptr (GBytes) bytes = g_bytes_new_static (data, size);
  g_autoptr (GError) error = NULL;
  g_autoptr (PdTableReader) reader = pd_table_reader_new_from_bytes (bytes, &error);
  const char * const *header;
  const char        **fields;
  guint               n_columns, n_present, line;

  if (reader == NULL)
    {
      fuzz_check (error != NULL);
      return;
    }
  header = pd_table_reader_get_header (reader);
  n_columns = pd_table_reader_get_n_columns (reader);
  fuzz_check (g_strv_length ((char **) header) == n_columns);
  for (guint i = 0; i < n_columns; i++)
    fuzz_check (g_utf8_validate (header[i], -1, NULL));
  fuzz_check (strlen (pd_table_reader_get_sha256 (reader)) == 64);
  while (pd_table_reader_next (reader, &fields, &n_present, &line, &error))
    {
      guint n = MAX (n_columns, n_present);

      fuzz_check (line >= 1);
      for (guint i = 0; i < n; i++)
        fuzz_check (fields[i] != NULL && g_utf8_validate (fields[i], -1, NULL));
      fuzz_check (fields[n] == NULL);
      fuzz_check (pd_table_reader_get_position (reader) <= size);
    }
  fuzz_check (error == NULL || error->message != NULL);
  if (error == NULL)
    fuzz_check (pd_table_reader_get_position (reader) == size);
}
