/* pd-table-reader.c: opens an eligibility file, scans it once (size, SHA-256, encoding, format) and streams it to the CSV or X12 parser. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pd-error.h"
#include "pd-table-reader-private.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define PD_HAVE_SHA_NI 1
#include <cpuid.h>
#include <immintrin.h>
#endif

/* ---- SHA-256: the x86 SHA extensions when the CPU has them (10× GChecksum), else GChecksum ---- */

typedef struct {
  GChecksum *fallback;
  guint32    state[8];
  guint8     block[64];
  gsize      block_len;
  guint64    total;
} Sha256;

static const guint32 sha256_k[64] = {
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#ifdef PD_HAVE_SHA_NI
static gboolean
cpu_has_sha_ni (void)
{
  unsigned int a, b, c, d;

  if (!__get_cpuid_count (7, 0, &a, &b, &c, &d) || !(b & (1u << 29)))
    return FALSE;
  if (!__get_cpuid (1, &a, &b, &c, &d))
    return FALSE;
  return (c & bit_SSE4_1) && (c & bit_SSSE3);
}

__attribute__ ((target ("sha,sse4.1,ssse3"))) static void
sha256_ni_blocks (guint32       state[8],
                  const guint8 *data,
                  gsize         n_blocks)
{
  const __m128i mask = _mm_set_epi64x (0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
  __m128i tmp = _mm_shuffle_epi32 (_mm_loadu_si128 ((const __m128i *) &state[0]), 0xB1);
  __m128i state1 = _mm_shuffle_epi32 (_mm_loadu_si128 ((const __m128i *) &state[4]), 0x1B);
  __m128i state0 = _mm_alignr_epi8 (tmp, state1, 8);  /* ABEF */

  state1 = _mm_blend_epi16 (state1, tmp, 0xF0);       /* CDGH */
  for (; n_blocks > 0; n_blocks--, data += 64)
    {
      __m128i abef = state0, cdgh = state1, w[4];

      for (int i = 0; i < 16; i++)
        {
          __m128i msg;

          if (i < 4)
            w[i] = _mm_shuffle_epi8 (_mm_loadu_si128 ((const __m128i *) (data + 16 * i)), mask);
          else
            {
              /* W[i] from W[i-4], W[i-3], W[i-2], W[i-1] in a ring of four */
              __m128i x = _mm_sha256msg1_epu32 (w[i & 3], w[(i + 1) & 3]);
              x = _mm_add_epi32 (x, _mm_alignr_epi8 (w[(i + 3) & 3], w[(i + 2) & 3], 4));
              w[i & 3] = _mm_sha256msg2_epu32 (x, w[(i + 3) & 3]);
            }
          msg = _mm_add_epi32 (w[i & 3], _mm_loadu_si128 ((const __m128i *) &sha256_k[4 * i]));
          state1 = _mm_sha256rnds2_epu32 (state1, state0, msg);
          state0 = _mm_sha256rnds2_epu32 (state0, state1, _mm_shuffle_epi32 (msg, 0x0E));
        }
      state0 = _mm_add_epi32 (state0, abef);
      state1 = _mm_add_epi32 (state1, cdgh);
    }
  tmp = _mm_shuffle_epi32 (state0, 0x1B);
  state1 = _mm_shuffle_epi32 (state1, 0xB1);
  _mm_storeu_si128 ((__m128i *) &state[0], _mm_blend_epi16 (tmp, state1, 0xF0));
  _mm_storeu_si128 ((__m128i *) &state[4], _mm_alignr_epi8 (state1, tmp, 8));
}
#endif

static void
sha256_init (Sha256 *sha)
{
  static const guint32 h0[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };

  memset (sha, 0, sizeof *sha);
  memcpy (sha->state, h0, sizeof h0);
#ifdef PD_HAVE_SHA_NI
  if (cpu_has_sha_ni () && g_getenv ("PD_NO_SHA_NI") == NULL)
    return;
#endif
  sha->fallback = g_checksum_new (G_CHECKSUM_SHA256);
}

static void
sha256_update (Sha256       *sha,
               const guint8 *data,
               gsize         len)
{
  if (sha->fallback != NULL)
    {
      g_checksum_update (sha->fallback, data, (gssize) len);
      return;
    }
#ifdef PD_HAVE_SHA_NI
  sha->total += len;
  if (sha->block_len > 0)
    {
      gsize take = MIN (len, 64 - sha->block_len);

      memcpy (sha->block + sha->block_len, data, take);
      sha->block_len += take;
      data += take;
      len -= take;
      if (sha->block_len < 64)
        return;
      sha256_ni_blocks (sha->state, sha->block, 1);
      sha->block_len = 0;
    }
  sha256_ni_blocks (sha->state, data, len / 64);
  memcpy (sha->block, data + len / 64 * 64, len % 64);
  sha->block_len = len % 64;
#endif
}

static void
sha256_finish (Sha256 *sha,
               char    hex[65])
{
  if (sha->fallback != NULL)
    {
      g_strlcpy (hex, g_checksum_get_string (sha->fallback), 65);
      g_checksum_free (sha->fallback);
      sha->fallback = NULL;
      return;
    }
#ifdef PD_HAVE_SHA_NI
  {
    guint64 bits = sha->total * 8;
    guint8  pad[72] = { 0x80 };
    gsize   pad_len = (sha->block_len < 56 ? 56 : 120) - sha->block_len;

    for (int i = 0; i < 8; i++)
      pad[pad_len + i] = (guint8) (bits >> (56 - 8 * i));
    sha256_update (sha, pad, pad_len + 8);
    for (int i = 0; i < 8; i++)
      g_snprintf (hex + 8 * i, 9, "%08x", sha->state[i]);
  }
#endif
}

/* ---- Windows-1252 ---- */

/* 0x80-0x9F; 0 where 1252 defines nothing. 0xA0-0xFF are Latin-1. */
static const guint16 cp1252_high[32] = {
  0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
  0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
  0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
  0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
};

/* [byte][0] is the length of the UTF-8 sequence in [1..3] */
static guint8 cp1252_utf8[256][4];

static gboolean
cp1252_defined (guint8 b)
{
  if (b == 0)
    return FALSE;
  return b < 0x80 || b >= 0xA0 || cp1252_high[b - 0x80] != 0;
}

static void
cp1252_init (void)
{
  static gsize done = 0;

  if (!g_once_init_enter (&done))
    return;
  for (guint b = 0; b < 256; b++)
    {
      gunichar c = b;

      if (b >= 0x80 && b < 0xA0)
        c = cp1252_high[b - 0x80] ? cp1252_high[b - 0x80] : 0xFFFD;
      cp1252_utf8[b][0] = (guint8) g_unichar_to_utf8 (c, (char *) &cp1252_utf8[b][1]);
    }
  g_once_init_leave (&done, 1);
}

static gsize
cp1252_convert (const guint8 *in,
                gsize         len,
                guint8       *out)
{
  guint8 *o = out;

  for (gsize i = 0; i < len; i++)
    {
      guint8 b = in[i];

      if (b < 0x80)
        *o++ = b;
      else
        {
          memcpy (o, &cp1252_utf8[b][1], 3);
          o += cp1252_utf8[b][0];
        }
    }
  return (gsize) (o - out);
}

/* ---- The source ---- */

static gssize
source_read (PdTableReader *self,
             guint64        offset,
             guint8        *buf,
             gsize          len,
             GError       **error)
{
  gsize done = 0;

  if (offset >= self->size)
    return 0;
  len = (gsize) MIN ((guint64) len, self->size - offset);
  if (self->bytes != NULL)
    {
      memcpy (buf, (const guint8 *) g_bytes_get_data (self->bytes, NULL) + offset, len);
      return (gssize) len;
    }
  while (done < len)
    {
      gssize n = pread (self->fd, buf + done, len - done, (off_t) (offset + done));

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int saved = errno;
          g_set_error (error, PD_ERROR, PD_ERROR_INVALID, _("Could not read the file: %s"),
                       g_strerror (saved));
          return -1;
        }
      if (n == 0)
        break;
      done += (gsize) n;
    }
  return (gssize) done;
}

static gboolean
set_changed_error (GError **error)
{
  g_set_error_literal (error, PD_ERROR, PD_ERROR_INVALID,
                       _("The file changed while it was being read"));
  return FALSE;
}

gboolean
_pd_reader_fill (PdTableReader *self,
                 GError       **error)
{
  gssize n;

  if (self->eof)
    return FALSE;
  n = source_read (self, self->raw_offset, self->raw, PD_READER_CHUNK, error);
  if (n < 0)
    return FALSE;
  if (n == 0)
    {
      self->eof = TRUE;
      if (self->raw_offset < self->size)
        return set_changed_error (error);
      return FALSE;
    }
  self->chunk_raw_start = self->raw_offset;
  self->chunk_raw_len = (gsize) n;
  self->raw_offset += (guint64) n;
  self->chunk_pos = 0;
  if (self->is_1252)
    {
      self->chunk_len = cp1252_convert (self->raw, (gsize) n, self->conv);
      self->chunk = self->conv;
    }
  else
    {
      self->chunk_len = (gsize) n;
      self->chunk = self->raw;
    }
  return TRUE;
}

/* ---- The row buffer ---- */

void
_pd_reader_row_grow (PdTableReader *self,
                     gsize          extra)
{
  gsize want = self->row_len + extra;

  while (self->row_cap < want)
    self->row_cap = self->row_cap ? self->row_cap * 2 : 4096;
  self->row = g_realloc (self->row, self->row_cap);
}

void
_pd_reader_offsets_grow (PdTableReader *self)
{
  self->offsets_cap *= 2;
  self->offsets = g_renew (guint, self->offsets, self->offsets_cap);
}

const char **
_pd_reader_row_fields (PdTableReader *self,
                       guint          n_out)
{
  guint n = MAX (n_out, self->n_fields);

  if (n + 1 > self->fields_cap)
    {
      self->fields_cap = n + 1;
      self->fields = g_renew (const char *, self->fields, self->fields_cap);
    }
  for (guint i = 0; i < self->n_fields; i++)
    self->fields[i] = self->row + self->offsets[i];
  for (guint i = self->n_fields; i < n; i++)
    self->fields[i] = "";
  self->fields[n] = NULL;
  return self->fields;
}

/* ---- Opening: one scan for size, SHA-256, encoding, format and delimiter ---- */

typedef struct {
  PdCsvSniffer sniffer;
  gboolean     utf8_ok;
  guint8       carry[4];
  gsize        carry_len;
  char         head[6];
  gsize        head_len;
} Scan;

/* Length of DATA without a UTF-8 sequence cut off at its end. */
static gsize
utf8_complete_prefix (const guint8 *data,
                      gsize         len)
{
  for (gsize i = 1; i <= 3 && i <= len; i++)
    {
      guint8 b = data[len - i];
      gsize  need;

      if ((b & 0xC0) == 0x80)
        continue;
      if (b < 0xC0)
        return len;
      need = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2;
      return need > i ? len - i : len;
    }
  return len;
}

/* DATA has 4 bytes of headroom before it for the bytes carried over. */
static void
scan_utf8 (Scan     *scan,
           guint8   *data,
           gsize     len,
           gboolean  last)
{
  guint8 *start = data - scan->carry_len;
  gsize   total = len + scan->carry_len;
  gsize   complete;

  memcpy (start, scan->carry, scan->carry_len);
  complete = last ? total : utf8_complete_prefix (start, total);
  if (!g_utf8_validate_len ((const char *) start, complete, NULL))
    {
      scan->utf8_ok = FALSE;
      return;
    }
  scan->carry_len = total - complete;
  memcpy (scan->carry, start + complete, scan->carry_len);
}

static void
scan_head (Scan         *scan,
           const guint8 *data,
           gsize         len)
{
  for (gsize i = 0; i < len && scan->head_len < sizeof scan->head; i++)
    {
      if (scan->head_len == 0 && strchr (" \t\r\n", data[i]) != NULL && data[i] != 0)
        continue;
      scan->head[scan->head_len++] = (char) data[i];
    }
}

static void
scan_chunk (PdTableReader *self,
            Scan          *scan,
            guint8        *data,
            gsize          len,
            guint64        offset)
{
  gsize skip = 0;

  if (offset == 0 && len >= 3 && memcmp (data, "\xEF\xBB\xBF", 3) == 0)
    {
      self->has_bom = TRUE;
      skip = 3;
    }
  scan_head (scan, data + skip, len - skip);
  _pd_csv_sniff (&scan->sniffer, data + skip, len - skip);
  if (scan->utf8_ok)
    scan_utf8 (scan, data, len, offset + len == self->size);
}

/* Not UTF-8: plausible Windows-1252 unless a byte 1252 leaves undefined (or NUL) occurs. */
static gboolean
check_1252 (PdTableReader *self,
            guint8        *buf,
            GError       **error)
{
  for (guint64 offset = 0; offset < self->size;)
    {
      gssize n = source_read (self, offset, buf, PD_READER_CHUNK, error);

      if (n < 0)
        return FALSE;
      if (n == 0)
        return set_changed_error (error);
      for (gssize i = 0; i < n; i++)
        if (!cp1252_defined (buf[i]))
          {
            g_set_error (error, PD_ERROR, PD_ERROR_INVALID,
                         _("The file is neither UTF-8 nor Windows-1252 text (byte 0x%02X at offset %llu)"),
                         buf[i], (unsigned long long) (offset + (guint64) i));
            return FALSE;
          }
      offset += (guint64) n;
    }
  return TRUE;
}

/* "ISA*00": a separator, then the two digits of ISA01; a CSV header "ISAAC,…" is not X12. */
static gboolean
looks_like_isa (Scan *scan)
{
  guint8 sep = (guint8) scan->head[3];

  return scan->head_len == sizeof scan->head && memcmp (scan->head, "ISA", 3) == 0 &&
         sep > ' ' && sep < 0x7F && !g_ascii_isalnum (sep) && g_ascii_isdigit (scan->head[4]) &&
         g_ascii_isdigit (scan->head[5]);
}

/* Excel's "Unicode Text" is UTF-16: say so rather than name a NUL byte. */
static gboolean
check_utf16 (PdTableReader *self,
             GError       **error)
{
  guint8 bom[2];

  if (self->size < 2 || source_read (self, 0, bom, 2, NULL) != 2)
    return TRUE;
  if (!(bom[0] == 0xFF && bom[1] == 0xFE) && !(bom[0] == 0xFE && bom[1] == 0xFF))
    return TRUE;
  g_set_error_literal (error, PD_ERROR, PD_ERROR_INVALID,
                       _("The file is UTF-16 text; save it as CSV (UTF-8) and try again"));
  return FALSE;
}

/* The SHA-256 of the whole file, in a thread of its own while the scan reads the file for
 * the rest (both read with pread: the file is in the page cache by then, or soon). */
typedef struct {
  PdTableReader *reader;
  Sha256         sha;
  GError        *error;
} Hasher;

#define HASH_CHUNK (1 << 20)

static gpointer
hasher_thread (gpointer data)
{
  Hasher *h = data;
  PdTableReader *self = h->reader;
  g_autofree guint8 *buf = g_malloc (HASH_CHUNK);

  for (guint64 offset = 0; offset < self->size;)
    {
      gssize n = source_read (self, offset, buf, HASH_CHUNK, &h->error);

      if (n <= 0)
        {
          if (n == 0)
            set_changed_error (&h->error);
          break;
        }
      sha256_update (&h->sha, buf, (gsize) n);
      offset += (guint64) n;
    }
  sha256_finish (&h->sha, self->sha256);
  return NULL;
}

static gboolean
scan_file (PdTableReader *self,
           GError       **error)
{
  g_autofree guint8 *buf = g_malloc (4 + PD_READER_CHUNK);
  Scan               scan = { .utf8_ok = TRUE };
  guint64            offset = 0;
  Hasher             hasher = { self };
  GThread           *thread;

  if (!check_utf16 (self, error))
    return FALSE;
  sha256_init (&hasher.sha);
  /* A small file is hashed after the scan, here: a thread would cost more than it saves. */
  thread = self->size >= 4 * HASH_CHUNK
           ? g_thread_try_new ("pd-import-hash", hasher_thread, &hasher, NULL) : NULL;
  while (offset < self->size)
    {
      gssize n = source_read (self, offset, buf + 4, PD_READER_CHUNK, error);

      if (n <= 0)
        {
          if (n == 0)
            set_changed_error (error);
          break;
        }
      scan_chunk (self, &scan, buf + 4, (gsize) n, offset);
      offset += (guint64) n;
    }
  if (thread)
    g_thread_join (thread);
  else if (offset >= self->size)
    hasher_thread (&hasher);
  if (offset < self->size)
    {
      g_clear_error (&hasher.error);
      return FALSE;
    }
  if (hasher.error)
    {
      g_propagate_error (error, hasher.error);
      return FALSE;
    }
  if (!scan.utf8_ok && !check_1252 (self, buf, error))
    return FALSE;
  self->is_1252 = !scan.utf8_ok;
  self->format = looks_like_isa (&scan) ? PD_FILE_FORMAT_X12_834 : PD_FILE_FORMAT_CSV;
  self->delimiter = _pd_csv_sniff_result (&scan.sniffer);
  return TRUE;
}

static PdTableReader *
reader_new (void)
{
  PdTableReader *self = g_new0 (PdTableReader, 1);

  cp1252_init ();
  self->fd = -1;
  self->raw = g_malloc (PD_READER_CHUNK);
  self->offsets_cap = 64;
  self->offsets = g_new (guint, self->offsets_cap);
  self->line = 1;
  _pd_reader_row_reset (self);
  return self;
}

static PdTableReader *
reader_open (PdTableReader *reader,
             GError       **error)
{
  g_autoptr (PdTableReader) self = reader;

  if (self->size == 0)
    {
      g_set_error_literal (error, PD_ERROR, PD_ERROR_INVALID, _("The file is empty"));
      return NULL;
    }
  if (!scan_file (self, error))
    return NULL;
  if (self->is_1252)
    self->conv = g_malloc (3 * PD_READER_CHUNK);
  self->raw_offset = self->has_bom ? 3 : 0;
  self->chunk_raw_start = self->raw_offset;
  if (self->format == PD_FILE_FORMAT_X12_834)
    {
      if (!_pd_x12_open (self, error))
        return NULL;
    }
  else if (!_pd_csv_open (self, error))
    return NULL;
  return g_steal_pointer (&self);
}

PdTableReader *
pd_table_reader_new (const char *path,
                     GError    **error)
{
  g_autoptr (PdTableReader) self = reader_new ();
  struct stat st;

  g_return_val_if_fail (path != NULL, NULL);

  self->fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);
  if (self->fd < 0 || fstat (self->fd, &st) != 0)
    {
      int saved = errno;
      g_autofree char *name = g_filename_display_basename (path);
      g_set_error (error, PD_ERROR, PD_ERROR_INVALID, _("Could not open “%s”: %s"), name,
                   g_strerror (saved));
      return NULL;
    }
  if (!S_ISREG (st.st_mode))
    {
      g_autofree char *name = g_filename_display_basename (path);
      g_set_error (error, PD_ERROR, PD_ERROR_INVALID, _("“%s” is not a regular file"), name);
      return NULL;
    }
  self->size = (guint64) st.st_size;
  return reader_open (g_steal_pointer (&self), error);
}

PdTableReader *
pd_table_reader_new_from_bytes (GBytes  *bytes,
                                GError **error)
{
  PdTableReader *self;

  g_return_val_if_fail (bytes != NULL, NULL);

  self = reader_new ();
  self->bytes = g_bytes_ref (bytes);
  self->size = g_bytes_get_size (bytes);
  return reader_open (self, error);
}

void
pd_table_reader_free (PdTableReader *self)
{
  if (self == NULL)
    return;
  if (self->fd >= 0)
    close (self->fd);
  g_clear_pointer (&self->bytes, g_bytes_unref);
  g_clear_pointer (&self->x12, _pd_x12_free);
  g_strfreev (self->header);
  g_free (self->raw);
  g_free (self->conv);
  g_free (self->row);
  g_free (self->offsets);
  g_free (self->fields);
  g_free (self);
}

PdFileFormat
pd_table_reader_get_format (PdTableReader *self)
{
  return self->format;
}

const char *
pd_table_reader_get_encoding (PdTableReader *self)
{
  if (self->format == PD_FILE_FORMAT_X12_834)
    return "X12";
  if (self->is_1252)
    return "Windows-1252";
  return self->has_bom ? "UTF-8 with BOM" : "UTF-8";
}

char
pd_table_reader_get_delimiter (PdTableReader *self)
{
  return self->format == PD_FILE_FORMAT_CSV ? self->delimiter : 0;
}

const char * const *
pd_table_reader_get_header (PdTableReader *self)
{
  return (const char * const *) self->header;
}

guint
pd_table_reader_get_n_columns (PdTableReader *self)
{
  return self->n_columns;
}

gboolean
pd_table_reader_next (PdTableReader  *self,
                      const char   ***fields,
                      guint          *n_present,
                      guint          *line,
                      GError        **error)
{
  const char **row = NULL;
  guint        present = self->n_columns, at = 0;
  gboolean     ok;

  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (self->done)
    return FALSE;
  if (self->format == PD_FILE_FORMAT_X12_834)
    ok = _pd_x12_next (self, &row, &at, error);
  else
    ok = _pd_csv_next (self, &row, &present, &at, error);
  if (!ok)
    {
      self->done = TRUE;
      return FALSE;
    }
  if (fields)
    *fields = row;
  if (n_present)
    *n_present = present;
  if (line)
    *line = at;
  return TRUE;
}

guint64
pd_table_reader_get_position (PdTableReader *self)
{
  if (self->chunk_len == 0)
    return self->chunk_raw_start;
  if (!self->is_1252)
    return self->chunk_raw_start + self->chunk_pos;
  return self->chunk_raw_start + (guint64) self->chunk_pos * self->chunk_raw_len / self->chunk_len;
}

guint64
pd_table_reader_get_size (PdTableReader *self)
{
  return self->size;
}

const char *
pd_table_reader_get_sha256 (PdTableReader *self)
{
  return self->sha256;
}
