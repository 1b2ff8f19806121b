/* test-table-reader.c: the CSV and X12 834 parsers of PdTableReader, on real files in a temp dir. */
#include <glib/gstdio.h>
#include <string.h>

#include "pd-error.h"
#include "pd-table-reader.h"

static char *tmp_dir;

/* Writes DATA to a fresh file in the temp dir and opens it. */
static PdTableReader *
open_data (const char *data,
           gssize      len,
           GError    **error)
{
  static guint     n;
  g_autofree char *name = g_strdup_printf ("f%u.csv", n++);
  g_autofree char *path = g_build_filename (tmp_dir, name, NULL);
  g_autoptr (GError) local = NULL;

  if (len < 0)
    len = (gssize) strlen (data);
  g_file_set_contents (path, data, len, &local);
  g_assert_no_error (local);
  return pd_table_reader_new (path, error);
}

static PdTableReader *
open_ok (const char *data,
         gssize      len)
{
  g_autoptr (GError) error = NULL;
  PdTableReader *reader = open_data (data, len, &error);

  g_assert_no_error (error);
  g_assert_nonnull (reader);
  return reader;
}

/* Every row as "LINE:N_PRESENT:field|field|…", then NULL. */
static char **
read_rows (PdTableReader *reader,
           GError       **error)
{
  g_autoptr (GStrvBuilder) rows = g_strv_builder_new ();
  const char             **fields;
  guint                    n_present, line;

  while (pd_table_reader_next (reader, &fields, &n_present, &line, error))
    {
      g_autofree char *joined = g_strjoinv ("|", (char **) fields);
      g_autofree char *row = g_strdup_printf ("%u:%u:%s", line, n_present, joined);
      g_strv_builder_add (rows, row);
    }
  return g_strv_builder_end (rows);
}

static void
assert_rows (const char         *data,
             const char * const *expected)
{
  g_autoptr (PdTableReader) reader = open_ok (data, -1);
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) rows = read_rows (reader, &error);

  g_assert_no_error (error);
  g_assert_cmpstrv (rows, expected);
}

static void
assert_open_error (const char *data,
                   gssize      len,
                   const char *message)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (PdTableReader) reader = open_data (data, len, &error);

  g_assert_null (reader);
  g_assert_error (error, PD_ERROR, PD_ERROR_INVALID);
  g_assert_cmpstr (error->message, ==, message);
}

static void
assert_read_error (const char *data,
                   const char *message)
{
  g_autoptr (PdTableReader) reader = open_ok (data, -1);
  g_autoptr (GError) error = NULL;

  g_strfreev (read_rows (reader, &error));
  g_assert_error (error, PD_ERROR, PD_ERROR_INVALID);
  g_assert_cmpstr (error->message, ==, message);
  /* the end stays the end */
  g_assert_false (pd_table_reader_next (reader, NULL, NULL, NULL, NULL));
}

/* ---- CSV ---- */

static void
test_csv_basic (void)
{
  g_autoptr (PdTableReader) reader = open_ok (" Name ,Member ID,Email\nAda,M1,ada@example.com\n", -1);
  const char * const header[] = { "Name", "Member ID", "Email", NULL };

  g_assert_cmpint (pd_table_reader_get_format (reader), ==, PD_FILE_FORMAT_CSV);
  g_assert_cmpstr (pd_table_reader_get_encoding (reader), ==, "UTF-8");
  g_assert_cmpint (pd_table_reader_get_delimiter (reader), ==, ',');
  g_assert_cmpuint (pd_table_reader_get_n_columns (reader), ==, 3);
  g_assert_cmpstrv (pd_table_reader_get_header (reader), header);
  assert_rows ("a,b,c\n1,2,3\n4,5,6", (const char *[]) { "2:3:1|2|3", "3:3:4|5|6", NULL });
}

static void
test_csv_quotes (void)
{
  assert_rows ("a,b\n\"x, y\",\"say \"\"hi\"\"\"\n\"\",\"\"\"\"\n",
               (const char *[]) { "2:2:x, y|say \"hi\"", "3:2:|\"", NULL });
  /* a stray quote in an unquoted field stays; spaces before an opening quote go */
  assert_rows ("a,b\n5\" pipe, \"c, d\"\n", (const char *[]) { "2:2:5\" pipe|c, d", NULL });
}

static void
test_csv_line_breaks_in_quotes (void)
{
  assert_rows ("a,b\n1,\"x\ny\"\n2,z\n",
               (const char *[]) { "2:2:1|x\ny", "4:2:2|z", NULL });
  assert_rows ("a,b\r\n1,\"x\r\ny\r\n\r\nw\"\r\n2,z\r\n",
               (const char *[]) { "2:2:1|x\r\ny\r\n\r\nw", "6:2:2|z", NULL });
  assert_rows ("a,b\r\"1\r2\",3\r4,5",
               (const char *[]) { "2:2:1\r2|3", "4:2:4|5", NULL });
}

static void
test_csv_line_endings (void)
{
  const char * const expected[] = { "2:2:1|2", "3:2:3|4", NULL };

  assert_rows ("a,b\n1,2\n3,4\n", expected);
  assert_rows ("a,b\r\n1,2\r\n3,4\r\n", expected);
  assert_rows ("a,b\r1,2\r3,4\r", expected);
  assert_rows ("a,b\r\n1,2\n3,4", expected);
}

static void
test_csv_blank_lines (void)
{
  /* blank lines, lines of spaces or only delimiters, and a trailing empty line are skipped */
  assert_rows ("\n\na,b\n\n1,2\n  \n,\n\r\n3,4\n\n",
               (const char *[]) { "5:2:1|2", "9:2:3|4", NULL });
}

static void
test_csv_delimiters (void)
{
  g_autoptr (PdTableReader) semi = open_ok ("\"a,b\";c;d\n1;2;3\n", -1);
  g_autoptr (PdTableReader) tab = open_ok ("a\tb;c\td\n", -1);
  g_autoptr (PdTableReader) tie = open_ok ("a,b;c\n", -1);
  g_autoptr (PdTableReader) single = open_ok ("name\nx\n", -1);

  g_assert_cmpint (pd_table_reader_get_delimiter (semi), ==, ';');
  g_assert_cmpuint (pd_table_reader_get_n_columns (semi), ==, 3);
  g_assert_cmpstr (pd_table_reader_get_header (semi)[0], ==, "a,b");
  g_assert_cmpint (pd_table_reader_get_delimiter (tab), ==, '\t');
  g_assert_cmpstr (pd_table_reader_get_header (tab)[1], ==, "b;c");
  g_assert_cmpint (pd_table_reader_get_delimiter (tie), ==, ',');
  g_assert_cmpint (pd_table_reader_get_delimiter (single), ==, ',');
  /* a header that starts with "ISA" is still CSV */
  assert_rows ("ISA,ISA*00\n1,2\n", (const char *[]) { "2:2:1|2", NULL });
  assert_rows ("a;b\n1,5;2\n", (const char *[]) { "2:2:1,5|2", NULL });
  assert_rows ("a\tb\n\"x\ty\"\t2\n", (const char *[]) { "2:2:x\ty|2", NULL });
}

static void
test_csv_bom (void)
{
  g_autoptr (PdTableReader) reader = open_ok ("\xEF\xBB\xBFMember ID;Name\nM1;Zoë\n", -1);
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) rows = read_rows (reader, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (pd_table_reader_get_encoding (reader), ==, "UTF-8 with BOM");
  g_assert_cmpstr (pd_table_reader_get_header (reader)[0], ==, "Member ID");
  g_assert_cmpstrv (rows, ((const char *[]) { "2:2:M1|Zoë", NULL }));
}

static void
test_csv_windows_1252 (void)
{
  g_autoptr (PdTableReader) reader = open_ok ("Name,Price\nM\xFCller,\x80 5\n\x93quoted\x94,x\n", -1);
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) rows = read_rows (reader, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (pd_table_reader_get_encoding (reader), ==, "Windows-1252");
  g_assert_cmpstrv (rows, ((const char *[]) { "2:2:Müller|€ 5", "3:2:“quoted”|x", NULL }));
}

/* Every byte 1252 defines converts as iconv converts it. */
static void
test_csv_windows_1252_table (void)
{
  g_autoptr (GString) data = g_string_new ("h\n");
  g_autoptr (GString) expected = g_string_new (NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (PdTableReader) reader = NULL;
  const char **fields;

  for (guint b = 0x80; b < 0x100; b++)
    {
      char c = (char) b;
      g_autofree char *utf8 = NULL;

      if (b == 0x81 || b == 0x8D || b == 0x8F || b == 0x90 || b == 0x9D)
        continue;
      utf8 = g_convert (&c, 1, "UTF-8", "WINDOWS-1252", NULL, NULL, &error);
      g_assert_no_error (error);
      g_string_append_c (data, c);
      g_string_append (expected, utf8);
    }
  reader = open_ok (data->str, (gssize) data->len);
  g_assert_true (pd_table_reader_next (reader, &fields, NULL, NULL, &error));
  g_assert_cmpstr (fields[0], ==, expected->str);
}

static void
test_csv_invalid_bytes (void)
{
  assert_open_error ("a,b\n\xC3\xA9,\x81\n", -1,
                     "The file is neither UTF-8 nor Windows-1252 text (byte 0x81 at offset 7)");
  /* valid UTF-8 at first ("ā" is C4 81), then a byte that is not: 0x81 is undefined in 1252 */
  assert_open_error ("a\n\xC4\x81\n\xFF\n", -1,
                     "The file is neither UTF-8 nor Windows-1252 text (byte 0x81 at offset 3)");
  assert_open_error ("a\nb\0c\n", 6,
                     "The file is neither UTF-8 nor Windows-1252 text (byte 0x00 at offset 3)");
  assert_open_error ("\xFF\xFE" "a\0,\0b\0", 8,
                     "The file is UTF-16 text; save it as CSV (UTF-8) and try again");
  /* UTF-8 cut off at the end is not UTF-8; as 1252 it is text */
  {
    g_autoptr (PdTableReader) reader = open_ok ("a\n\xE2\x82", -1);
    g_assert_cmpstr (pd_table_reader_get_encoding (reader), ==, "Windows-1252");
  }
}

static void
test_csv_empty (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *missing = g_build_filename (tmp_dir, "missing.csv", NULL);

  assert_open_error ("", 0, "The file is empty");
  assert_open_error ("\n\r\n  \n", -1, "The file is empty");
  assert_open_error ("\xEF\xBB\xBF", -1, "The file is empty");
  g_assert_null (pd_table_reader_new (missing, &error));
  g_assert_error (error, PD_ERROR, PD_ERROR_INVALID);
}

static void
test_csv_header_only (void)
{
  const char * const none[] = { NULL };

  assert_rows ("a,b,c\n", none);
  assert_rows ("a,b,c", none);
  {
    g_autoptr (PdTableReader) reader = open_ok ("a,b,c\r\n\r\n", -1);
    g_assert_cmpuint (pd_table_reader_get_n_columns (reader), ==, 3);
  }
}

static void
test_csv_ragged (void)
{
  g_autoptr (PdTableReader) reader = open_ok ("a,b,c\n1\n1,2,3,4,5\n1,2,3,,\n", -1);
  const char **fields;
  guint        n_present, line;

  g_assert_true (pd_table_reader_next (reader, &fields, &n_present, &line, NULL));
  g_assert_cmpuint (n_present, ==, 1);
  g_assert_cmpstr (fields[0], ==, "1");
  g_assert_cmpstr (fields[1], ==, "");
  g_assert_cmpstr (fields[2], ==, "");
  g_assert_true (pd_table_reader_next (reader, &fields, &n_present, &line, NULL));
  g_assert_cmpuint (n_present, ==, 5);
  g_assert_cmpuint (line, ==, 3);
  g_assert_cmpstr (fields[3], ==, "4");
  g_assert_cmpstr (fields[4], ==, "5");
  g_assert_null (fields[5]);
  /* empty extra fields are a trailing delimiter, not data */
  g_assert_true (pd_table_reader_next (reader, &fields, &n_present, &line, NULL));
  g_assert_cmpuint (n_present, ==, 3);
  g_assert_false (pd_table_reader_next (reader, &fields, &n_present, &line, NULL));
  /* a header's trailing empty names are dropped */
  assert_rows ("a,b,\n1,2,\n", (const char *[]) { "2:2:1|2", NULL });
}

static void
test_csv_big_field (void)
{
  g_autoptr (GString) data = g_string_new ("id,notes,n\n1,\"");
  g_autoptr (GString) field = g_string_new (NULL);
  g_autoptr (PdTableReader) reader = NULL;
  g_autoptr (GError) error = NULL;
  const char **fields;
  guint        line, breaks = 0;

  for (guint i = 0; field->len < 1024 * 1024; i++)
    g_string_append (field, i % 1000 == 999 ? "a, \"\"b\"\"\n" : "0123456789");
  g_string_append_len (data, field->str, (gssize) field->len);
  g_string_append (data, "\",x\n2,");
  for (guint i = 0; i < 1024 * 1024 / 2; i++)
    g_string_append_c (data, 'x');
  g_string_append (data, ",y\n");
  for (const char *p = field->str; *p; p++)
    breaks += *p == '\n';
  reader = open_ok (data->str, (gssize) data->len);

  g_assert_true (pd_table_reader_next (reader, &fields, NULL, &line, &error));
  g_assert_cmpuint (line, ==, 2);
  g_string_replace (field, "\"\"", "\"", 0);
  g_assert_cmpuint (strlen (fields[1]), ==, field->len);
  g_assert_cmpstr (fields[1], ==, field->str);
  g_assert_cmpstr (fields[2], ==, "x");
  g_assert_true (pd_table_reader_next (reader, &fields, NULL, &line, &error));
  g_assert_cmpuint (line, ==, 2 + breaks + 1);
  g_assert_cmpuint (strlen (fields[1]), ==, 1024 * 1024 / 2);
  g_assert_false (pd_table_reader_next (reader, &fields, NULL, &line, &error));
  g_assert_no_error (error);
}

/* Line breaks and doubled quotes split across the 64 KiB reads. */
static void
test_csv_chunk_boundaries (void)
{
  for (guint shift = 0; shift < 8; shift++)
    {
      g_autoptr (GString) data = g_string_new ("h,i\r\n");
      g_autoptr (PdTableReader) reader = NULL;
      g_autoptr (GError) error = NULL;
      g_auto (GStrv) rows = NULL;

      /* the row's CR is the last byte of the first read when shift is 0 */
      g_string_append_c (data, '"');
      while (data->len < 65536 - 2 - shift)
        g_string_append_c (data, 'x');
      g_string_append (data, "\"\"\",z\r\n\"a\r\nb\",c\r\n");
      reader = open_ok (data->str, (gssize) data->len);
      rows = read_rows (reader, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (g_strv_length (rows), ==, 2);
      g_assert_true (g_str_has_suffix (rows[0], "xx\"|z"));
      g_assert_true (g_str_has_prefix (rows[0], "2:2:xx"));
      g_assert_cmpstr (rows[1], ==, "3:2:a\r\nb|c");
    }
}

static void
test_csv_unterminated_quote (void)
{
  assert_read_error ("a,b\n1,2\n3,\"open\n4,5\n", "Line 3: a quoted field is not closed");
}

static void
test_csv_duplicate_headers (void)
{
  assert_open_error ("Email,Name,email,Name,Phone\n", -1,
                     "The header names these columns more than once: “email”, “Name”");
}

static void
test_csv_sha256 (void)
{
  g_autoptr (GString) data = g_string_new ("id,value\n");
  g_autofree char *expected = NULL;

  /* Over 4 MB (and not a whole number of chunks): hashed by a thread of its own. */
  for (guint i = 0; data->len < 5000001; i++)
    g_string_append_printf (data, "%u,%u\n", i, i * 7919);
  expected = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guint8 *) data->str, data->len);
  for (guint fallback = 0; fallback < 2; fallback++)
    {
      g_autoptr (PdTableReader) reader = NULL;
      g_autoptr (GBytes) bytes = g_bytes_new (data->str, data->len);

      if (fallback)
        g_setenv ("PD_NO_SHA_NI", "1", TRUE);
      reader = open_ok (data->str, (gssize) data->len);
      g_assert_cmpstr (pd_table_reader_get_sha256 (reader), ==, expected);
      g_clear_pointer (&reader, pd_table_reader_free);
      reader = pd_table_reader_new_from_bytes (bytes, NULL);
      g_assert_cmpstr (pd_table_reader_get_sha256 (reader), ==, expected);
      g_unsetenv ("PD_NO_SHA_NI");
    }
  /* every length around a block */
  for (gsize len = 1; len < 200; len++)
    {
      g_autoptr (GBytes) bytes = g_bytes_new (data->str, len);
      g_autoptr (PdTableReader) reader = pd_table_reader_new_from_bytes (bytes, NULL);
      g_autofree char *sum = g_compute_checksum_for_data (G_CHECKSUM_SHA256,
                                                          (const guint8 *) data->str, len);

      g_assert_nonnull (reader);
      g_assert_cmpstr (pd_table_reader_get_sha256 (reader), ==, sum);
    }
}

static void
check_progress (const char *data,
                gsize       len)
{
  g_autoptr (PdTableReader) reader = open_ok (data, (gssize) len);
  guint64 last = 0, rows = 0;

  g_assert_cmpuint (pd_table_reader_get_size (reader), ==, len);
  while (pd_table_reader_next (reader, NULL, NULL, NULL, NULL))
    {
      guint64 at = pd_table_reader_get_position (reader);

      g_assert_cmpuint (at, >=, last);
      g_assert_cmpuint (at, <=, len);
      last = at;
      rows++;
    }
  g_assert_cmpuint (rows, ==, 30000);
  g_assert_cmpuint (pd_table_reader_get_position (reader), ==, len);
}

static void
test_csv_progress (void)
{
  g_autoptr (GString) data = g_string_new ("name,id\n");
  g_autoptr (GString) latin = g_string_new ("name,id\n");

  for (guint i = 0; i < 30000; i++)
    {
      g_string_append_printf (data, "Zoë %u,%u\n", i, i);
      g_string_append_printf (latin, "M\xFCller %u,%u\n", i, i);
    }
  check_progress (data->str, data->len);
  check_progress (latin->str, latin->len);
}

static void
test_csv_from_bytes (void)
{
  const char *text = "a;b\n1;\"x\ny\"\n";
  g_autoptr (GBytes) bytes = g_bytes_new_static (text, strlen (text));
  g_autoptr (PdTableReader) from_bytes = pd_table_reader_new_from_bytes (bytes, NULL);
  g_autoptr (PdTableReader) from_file = open_ok (text, -1);
  g_auto (GStrv) a = read_rows (from_bytes, NULL);
  g_auto (GStrv) b = read_rows (from_file, NULL);

  g_assert_cmpstrv (a, b);
  g_assert_cmpuint (g_strv_length (a), ==, 1);
}

/* ---- X12 834 ---- */

#define ISA "ISA*00*          *00*          *ZZ*SENDERID       *ZZ*RECEIVERID     *240101*1253*^*00501*000000905*0*T*:~\n"

/* An interchange around BODY ('*' and '~', one segment a line) with the right SE count. */
static char *
make_834 (const char *body)
{
  g_autofree char *header = g_strdup ("BGN*00*12456*20240101*1200****4~\n"
                                      "REF*38*POLICY-99~\n"
                                      "DTP*007*D8*20240101~\n"
                                      "N1*P5*ACME CORP*FI*123456789~\n"
                                      "N1*IN*HEALTH PLAN*FI*987654321~\n");
  guint n = 2; /* ST and SE */

  for (const char *p = header; *p; p++)
    n += *p == '~';
  for (const char *p = body; *p; p++)
    n += *p == '~';
  return g_strdup_printf (ISA "GS*BE*SENDERID*RECEIVERID*20240101*1253*905*X*005010X220A1~\n"
                          "ST*834*0001*005010X220A1~\n%s%sSE*%u*0001~\nGE*1*905~\nIEA*1*000000905~\n",
                          header, body, n);
}

static const char family[] =
  "INS*Y*18*021*28*A***FT~\n"
  "REF*0F*E1001~\n"
  "REF*1L*GRP-7~\n"
  "DTP*356*D8*20240101~\n"
  "NM1*IL*1*DOE*JOHN*Q***34*123456789~\n"
  "PER*IP**TE*5551234567*EM*john.doe@example.com~\n"
  "N3*12 MAIN ST*APT 4~\n"
  "N4*SPRINGFIELD*IL*62701~\n"
  "DMG*D8*19800115*M~\n"
  "NM1*31*1~\n"
  "N3*PO BOX 9~\n"
  "N4*ELSEWHERE*NY*10001~\n"
  "HD*021**HLT*PLAN A*FAM~\n"
  "DTP*348*D8*20240201~\n"
  "HD*021**DEN~\n"
  "DTP*348*D8*20240301~\n"
  "INS*N*01*021*28*A~\n"
  "REF*0F*E1001~\n"
  "REF*ZZ*E1001-SP~\n"
  "NM1*IL*1*DOE*JANE~\n"
  "DMG*D8*19820220*F~\n"
  "HD*021**HLT~\n"
  "DTP*348*D8*20240201~\n"
  "DTP*349*D8*20241231~\n"
  "INS*N*19*021*28*A~\n"
  "REF*0F*E1001~\n"
  "NM1*IL*1*DOE*JIMMY~\n"
  "DMG*D8*20100505*M~\n"
  "HD*021**HLT~\n"
  "DTP*348*RD8*20240201-20250131~\n";

static const char * const family_rows[] = {
  "9:17:add|E1001|GRP-7|JOHN|DOE|1980-01-15|M|18||2024-02-01||john.doe@example.com|5551234567|12 MAIN ST APT 4|SPRINGFIELD|IL|62701",
  "25:17:add|E1001-SP|POLICY-99|JANE|DOE|1982-02-20|F|01|E1001|2024-02-01|2024-12-31||||||",
  "33:17:add|E1001-2|POLICY-99|JIMMY|DOE|2010-05-05|M|19|E1001|2024-02-01|2025-01-31||||||",
  NULL
};

static void
test_x12_family (void)
{
  g_autofree char *text = make_834 (family);
  g_autoptr (PdTableReader) reader = open_ok (text, -1);
  const char * const columns[] = { PD_X12_COLUMNS, NULL };
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) rows = NULL;

  g_assert_cmpint (pd_table_reader_get_format (reader), ==, PD_FILE_FORMAT_X12_834);
  g_assert_cmpstr (pd_table_reader_get_encoding (reader), ==, "X12");
  g_assert_cmpint (pd_table_reader_get_delimiter (reader), ==, 0);
  g_assert_cmpstrv (pd_table_reader_get_header (reader), columns);
  g_assert_cmpuint (pd_table_reader_get_n_columns (reader), ==, 17);
  rows = read_rows (reader, &error);
  g_assert_no_error (error);
  g_assert_cmpstrv (rows, family_rows);
  g_assert_cmpuint (pd_table_reader_get_position (reader), ==, strlen (text));
}

static void
test_x12_maintenance_codes (void)
{
  g_autofree char *text = make_834 ("INS*Y*18*021~\nREF*0F*A~\n"
                                    "INS*Y*18*001~\nREF*0F*B~\nDTP*357*D8*20240630~\n"
                                    "INS*Y*18*024~\nREF*0F*C~\nHD*024**HLT~\nDTP*349*D8*20240531~\n"
                                    "INS*Y*18*025~\nREF*0F*D~\n"
                                    "INS*Y*18*030~\nREF*0F*E~\n"
                                    "INS*Y*18*002~\nREF*0F*F~\n");
  g_autoptr (PdTableReader) reader = open_ok (text, -1);
  g_auto (GStrv) rows = read_rows (reader, NULL);
  const char * const expected[] = {
    "9:17:add|A|POLICY-99|||||18|||||||||",
    "11:17:change|B|POLICY-99|||||18|||2024-06-30||||||",
    "14:17:terminate|C|POLICY-99|||||18|||2024-05-31||||||",
    "18:17:reinstate|D|POLICY-99|||||18|||||||||",
    "20:17:audit|E|POLICY-99|||||18|||||||||",
    "22:17:002|F|POLICY-99|||||18|||||||||",
    NULL
  };

  g_assert_cmpstrv (rows, expected);
}

/* The same family with '|' between elements, '>' for components and '!' + CRLF ending segments. */
static void
test_x12_separators (void)
{
  g_autofree char *text = make_834 (family);
  g_autoptr (GString) other = g_string_new (text);
  g_autoptr (GString) newline = g_string_new (text);
  g_autoptr (PdTableReader) reader = NULL;
  g_auto (GStrv) rows = NULL;
  g_auto (GStrv) rows_nl = NULL;

  g_string_replace (other, "*", "|", 0);
  g_string_replace (other, "|:~", "|>~", 1);
  g_string_replace (other, "~\n", "!\r\n", 0);
  reader = open_ok (other->str, (gssize) other->len);
  rows = read_rows (reader, NULL);
  g_assert_cmpstrv (rows, family_rows);
  g_clear_pointer (&reader, pd_table_reader_free);

  /* no terminator character: each segment on its own line, one line all together */
  g_string_replace (newline, "~\n", "\n", 0);
  reader = open_ok (newline->str, (gssize) newline->len);
  rows_nl = read_rows (reader, NULL);
  g_assert_cmpstrv (rows_nl, family_rows);
  g_clear_pointer (&reader, pd_table_reader_free);
  {
    g_autofree char *flat = make_834 (family);
    g_autoptr (GString) one_line = g_string_new (flat);
    g_auto (GStrv) rows_flat = NULL;

    g_string_replace (one_line, "~\n", "~", 0);
    reader = open_ok (one_line->str, (gssize) one_line->len);
    rows_flat = read_rows (reader, NULL);
    g_assert_cmpstrv (rows_flat, family_rows);
  }
}

static void
test_x12_truncated (void)
{
  g_autofree char *text = make_834 (family);
  char            *se = strstr (text, "SE*");
  char            *iea = strstr (text, "IEA*");

  *iea = '\0';
  assert_read_error (text, "Segment 40: the file ends without an IEA segment; it may be truncated");
  *se = '\0';
  assert_read_error (text, "Segment 38: the file ends inside a transaction with no SE segment; it may be truncated");
}

static void
test_x12_errors (void)
{
  g_autofree char *text = make_834 (family);
  g_autoptr (GString) count = g_string_new (text);
  g_autoptr (GString) other = g_string_new (text);
  g_autoptr (GString) outside = g_string_new (text);

  g_string_replace (count, "SE*", "SE*1", 1);
  assert_read_error (count->str, "Segment 39: the SE segment counts “137”, but there are 37");
  g_string_replace (other, "ST*834", "ST*837", 1);
  assert_read_error (other->str,
                     "Segment 3: this is an X12 “837” transaction, not an 834 benefit enrollment");
  g_string_replace (outside, "GE*1*905~\n", "GE*1*905~\nINS*Y*18*021~\n", 1);
  assert_read_error (outside->str, "Segment 41: “INS” appears outside a transaction (ST … SE)");
  assert_open_error ("ISA*00*short~\n", -1,
                     "Segment 1: the file starts with “ISA” but its ISA segment is garbled");
  assert_read_error (ISA "GS*BE~\n~~ST*834*1~\n12*garbage~\n",
                     "Segment 4 is garbled: it does not start with a segment name");
}

int
main (int   argc,
      char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  tmp_dir = g_dir_make_tmp ("pd-table-reader-XXXXXX", NULL);
  g_assert_nonnull (tmp_dir);

  g_test_add_func ("/table-reader/csv/basic", test_csv_basic);
  g_test_add_func ("/table-reader/csv/quotes", test_csv_quotes);
  g_test_add_func ("/table-reader/csv/line-breaks-in-quotes", test_csv_line_breaks_in_quotes);
  g_test_add_func ("/table-reader/csv/line-endings", test_csv_line_endings);
  g_test_add_func ("/table-reader/csv/blank-lines", test_csv_blank_lines);
  g_test_add_func ("/table-reader/csv/delimiters", test_csv_delimiters);
  g_test_add_func ("/table-reader/csv/bom", test_csv_bom);
  g_test_add_func ("/table-reader/csv/windows-1252", test_csv_windows_1252);
  g_test_add_func ("/table-reader/csv/windows-1252-table", test_csv_windows_1252_table);
  g_test_add_func ("/table-reader/csv/invalid-bytes", test_csv_invalid_bytes);
  g_test_add_func ("/table-reader/csv/empty", test_csv_empty);
  g_test_add_func ("/table-reader/csv/header-only", test_csv_header_only);
  g_test_add_func ("/table-reader/csv/ragged", test_csv_ragged);
  g_test_add_func ("/table-reader/csv/big-field", test_csv_big_field);
  g_test_add_func ("/table-reader/csv/chunk-boundaries", test_csv_chunk_boundaries);
  g_test_add_func ("/table-reader/csv/unterminated-quote", test_csv_unterminated_quote);
  g_test_add_func ("/table-reader/csv/duplicate-headers", test_csv_duplicate_headers);
  g_test_add_func ("/table-reader/csv/sha256", test_csv_sha256);
  g_test_add_func ("/table-reader/csv/progress", test_csv_progress);
  g_test_add_func ("/table-reader/csv/from-bytes", test_csv_from_bytes);
  g_test_add_func ("/table-reader/x12/family", test_x12_family);
  g_test_add_func ("/table-reader/x12/maintenance-codes", test_x12_maintenance_codes);
  g_test_add_func ("/table-reader/x12/separators", test_x12_separators);
  g_test_add_func ("/table-reader/x12/truncated", test_x12_truncated);
  g_test_add_func ("/table-reader/x12/errors", test_x12_errors);

  status = g_test_run ();
  {
    g_autoptr (GDir) dir = g_dir_open (tmp_dir, 0, NULL);
    const char *name;

    while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
      {
        g_autofree char *path = g_build_filename (tmp_dir, name, NULL);
        g_unlink (path);
      }
    g_rmdir (tmp_dir);
  }
  g_free (tmp_dir);
  return status;
}
