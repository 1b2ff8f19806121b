/* pd-x12.c: the ANSI X12 834 (005010X220A1) parser of the table reader: one row per member (INS) loop. */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "pd-error.h"
#include "pd-table-reader-private.h"

/* Rows carry segment numbers as their "line": the ISA is segment 1, so when
 * every segment sits on its own line the number is the file's line too. */

enum {
  COL_MAINTENANCE_TYPE,
  COL_MEMBER_ID,
  COL_GROUP_ID,
  COL_FIRST_NAME,
  COL_LAST_NAME,
  COL_DATE_OF_BIRTH,
  COL_GENDER,
  COL_RELATIONSHIP,
  COL_EMPLOYEE_MEMBER_ID,
  COL_COVERAGE_START,
  COL_COVERAGE_END,
  COL_EMAIL,
  COL_PHONE,
  COL_STREET,
  COL_CITY,
  COL_STATE,
  COL_POSTAL_CODE,
  N_COLS
};

static const char *const x12_columns[] = { PD_X12_COLUMNS, NULL };

G_STATIC_ASSERT (G_N_ELEMENTS (x12_columns) == N_COLS + 1);

/* A member (INS) loop being read */
typedef struct {
  char    *col[N_COLS];
  char    *ref_0f;       /* the subscriber's identifier */
  char    *ref_own;      /* REF*23 / REF*ZZ: a dependent's own identifier */
  char    *date_348, *date_349, *date_356, *date_357;
  char    *employment;   /* INS08; no column yet */
  gboolean subscriber;
  guint    segment;
} Member;

struct _PdX12
{
  char       elem, sub, term;
  GString   *seg;
  GPtrArray *els;   /* into seg */
  guint      seg_no;

  /* the envelope */
  gboolean in_isa, in_gs, in_st;
  guint    st_count, n_st, n_gs;
  char    *st_control;
  char    *group_38;

  /* the member loops */
  Member      cur, out;
  gboolean    have_cur;
  char        nm1[4];
  gboolean    in_hd;
  char       *last_subscriber;
  guint       dependent_seq;
  const char *fields[N_COLS + 1];
};

typedef enum {
  SEG_CONTINUE,
  SEG_ROW,
  SEG_ERROR,
} SegResult;

static void
member_clear (Member *m)
{
  for (guint i = 0; i < N_COLS; i++)
    g_clear_pointer (&m->col[i], g_free);
  g_clear_pointer (&m->ref_0f, g_free);
  g_clear_pointer (&m->ref_own, g_free);
  g_clear_pointer (&m->date_348, g_free);
  g_clear_pointer (&m->date_349, g_free);
  g_clear_pointer (&m->date_356, g_free);
  g_clear_pointer (&m->date_357, g_free);
  g_clear_pointer (&m->employment, g_free);
  m->subscriber = FALSE;
  m->segment = 0;
}

void
_pd_x12_free (PdX12 *x)
{
  member_clear (&x->cur);
  member_clear (&x->out);
  g_string_free (x->seg, TRUE);
  g_ptr_array_unref (x->els);
  g_free (x->st_control);
  g_free (x->group_38);
  g_free (x->last_subscriber);
  g_free (x);
}

static void
set (char      **slot,
     const char *value)
{
  g_free (*slot);
  *slot = value != NULL ? g_strdup (value) : NULL;
}

/* Sets SLOT unless it already has a value: the first occurrence wins. */
static void
set_first (char      **slot,
           const char *value)
{
  if ((*slot == NULL || **slot == '\0') && value != NULL && *value != '\0')
    set (slot, value);
}

static const char *
el (PdX12 *x,
    guint  i)
{
  return i < x->els->len ? g_ptr_array_index (x->els, i) : "";
}

static gboolean
is_tag (PdX12      *x,
        const char *tag)
{
  return strcmp (el (x, 0), tag) == 0;
}

static gboolean
fail (GError    **error,
      const char *format,
      ...) G_GNUC_PRINTF (2, 3);

static gboolean
fail (GError    **error,
      const char *format,
      ...)
{
  va_list args;

  va_start (args, format);
  g_propagate_error (error, g_error_new_valist (PD_ERROR, PD_ERROR_INVALID, format, args));
  va_end (args);
  return FALSE;
}

/* CCYYMMDD → YYYY-MM-DD; anything else is passed on for the import to reject. */
static char *
d8 (const char *value)
{
  if (strlen (value) != 8 || strspn (value, "0123456789") != 8)
    return g_strdup (value);
  return g_strdup_printf ("%.4s-%.2s-%.2s", value, value + 4, value + 6);
}

static const char *
maintenance_word (const char *code)
{
  static const struct { const char *code, *word; } words[] = {
    { "021", "add" }, { "001", "change" }, { "024", "terminate" },
    { "025", "reinstate" }, { "030", "audit" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (words); i++)
    if (strcmp (code, words[i].code) == 0)
      return words[i].word;
  return code;
}

/* ---- Segments ---- */

static gboolean
is_space (char c)
{
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Splits the segment in x->seg into x->els; FALSE when it is only white space. */
static gboolean
split_segment (PdX12 *x)
{
  char *s = x->seg->str, *end = s + x->seg->len;

  while (s < end && is_space (*s))
    s++;
  while (end > s && (end[-1] == '\r' || end[-1] == '\n'))
    *--end = '\0';
  if (s == end)
    return FALSE;
  g_ptr_array_set_size (x->els, 0);
  g_ptr_array_add (x->els, s);
  for (char *p = s; (p = memchr (p, x->elem, (gsize) (end - p))) != NULL;)
    {
      *p++ = '\0';
      g_ptr_array_add (x->els, p);
    }
  return TRUE;
}

static gboolean
valid_tag (const char *tag)
{
  gsize n = strlen (tag);

  if (n < 2 || n > 3 || !g_ascii_isupper (tag[0]))
    return FALSE;
  for (gsize i = 1; i < n; i++)
    if (!g_ascii_isupper (tag[i]) && !g_ascii_isdigit (tag[i]))
      return FALSE;
  return TRUE;
}

/* Appends bytes up to the terminator to x->seg; TRUE when the segment is complete. */
static gboolean
take_segment_bytes (PdTableReader *self,
                    PdX12         *x)
{
  const guint8 *p = self->chunk + self->chunk_pos;
  gsize         left = self->chunk_len - self->chunk_pos;
  const guint8 *t = memchr (p, (guint8) x->term, left);

  if (t == NULL)
    {
      g_string_append_len (x->seg, (const char *) p, (gssize) left);
      self->chunk_pos = self->chunk_len;
      return FALSE;
    }
  g_string_append_len (x->seg, (const char *) p, (gssize) (t - p));
  self->chunk_pos += (gsize) (t - p) + 1;
  return TRUE;
}

/* Reads the next segment into x->els. FALSE at the end (no error) or on an error. */
static gboolean
read_segment (PdTableReader *self,
              PdX12         *x,
              GError       **error)
{
  for (;;)
    {
      gboolean complete = FALSE;

      g_string_truncate (x->seg, 0);
      while (!complete)
        {
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
                  break; /* the end: a last segment without a terminator still counts */
                }
            }
          complete = take_segment_bytes (self, x);
          if (x->seg->len > PD_READER_MAX_ROW)
            return fail (error, _("Segment %u is longer than 64 MB"), x->seg_no + 1);
        }
      if (split_segment (x))
        break;
      if (!complete)
        return FALSE;
    }
  x->seg_no++;
  if (!valid_tag (el (x, 0)))
    return fail (error, _("Segment %u is garbled: it does not start with a segment name"),
                 x->seg_no);
  return TRUE;
}

/* ---- The envelope: ISA GS ST … SE GE IEA ---- */

static gboolean
handle_isa (PdX12   *x,
            GError **error)
{
  if (x->in_isa)
    return fail (error, _("Segment %u: an ISA segment inside an interchange (is an IEA missing?)"),
                 x->seg_no);
  if (x->els->len != 17)
    return fail (error, _("Segment %u: the ISA segment is garbled (%u elements instead of 16)"),
                 x->seg_no, x->els->len - 1);
  x->in_isa = TRUE;
  x->n_gs = 0;
  return TRUE;
}

static gboolean
handle_st (PdX12   *x,
           GError **error)
{
  if (!x->in_gs || x->in_st)
    return fail (error, _("Segment %u: an ST segment outside a functional group (GS … GE)"),
                 x->seg_no);
  if (strcmp (el (x, 1), "834") != 0)
    return fail (error, _("Segment %u: this is an X12 “%s” transaction, not an 834 benefit enrollment"),
                 x->seg_no, el (x, 1));
  x->in_st = TRUE;
  x->st_count = 1;
  x->n_st++;
  set (&x->st_control, el (x, 2));
  g_clear_pointer (&x->group_38, g_free);
  g_clear_pointer (&x->last_subscriber, g_free);
  return TRUE;
}

static gboolean
check_count (PdX12      *x,
             const char *tag,
             const char *value,
             guint       actual,
             GError    **error)
{
  guint64 n;

  if (g_ascii_string_to_unsigned (value, 10, 0, G_MAXUINT, &n, NULL) && n == actual)
    return TRUE;
  return fail (error, _("Segment %u: the %s segment counts “%s”, but there are %u"), x->seg_no, tag,
               value, actual);
}

static gboolean
handle_se (PdX12   *x,
           GError **error)
{
  if (!x->in_st)
    return fail (error, _("Segment %u: an SE segment without its ST"), x->seg_no);
  x->st_count++;
  if (!check_count (x, "SE", el (x, 1), x->st_count, error))
    return FALSE;
  if (strcmp (el (x, 2), x->st_control) != 0)
    return fail (error, _("Segment %u: the SE control number “%s” does not match the ST’s “%s”"),
                 x->seg_no, el (x, 2), x->st_control);
  x->in_st = FALSE;
  return TRUE;
}

static gboolean
handle_envelope (PdX12   *x,
                 GError **error)
{
  if (is_tag (x, "ISA"))
    return handle_isa (x, error);
  if (is_tag (x, "GS"))
    {
      if (!x->in_isa || x->in_gs)
        return fail (error, _("Segment %u: a GS segment outside an interchange (ISA … IEA)"),
                     x->seg_no);
      x->in_gs = TRUE;
      x->n_st = 0;
      x->n_gs++;
      return TRUE;
    }
  if (is_tag (x, "ST"))
    return handle_st (x, error);
  if (is_tag (x, "SE"))
    return handle_se (x, error);
  if (is_tag (x, "GE"))
    {
      if (!x->in_gs || x->in_st)
        return fail (error, _("Segment %u: a GE segment in the wrong place"), x->seg_no);
      x->in_gs = FALSE;
      return check_count (x, "GE", el (x, 1), x->n_st, error);
    }
  /* IEA */
  if (!x->in_isa || x->in_gs)
    return fail (error, _("Segment %u: an IEA segment in the wrong place"), x->seg_no);
  x->in_isa = FALSE;
  return check_count (x, "IEA", el (x, 1), x->n_gs, error);
}

static gboolean
is_envelope (PdX12 *x)
{
  return is_tag (x, "ISA") || is_tag (x, "GS") || is_tag (x, "ST") || is_tag (x, "SE") ||
         is_tag (x, "GE") || is_tag (x, "IEA");
}

/* ---- The member loop ---- */

static void
member_start (PdX12 *x)
{
  Member *m = &x->cur;

  x->have_cur = TRUE;
  x->nm1[0] = '\0';
  x->in_hd = FALSE;
  m->segment = x->seg_no;
  m->subscriber = strcmp (el (x, 1), "Y") == 0;
  set (&m->col[COL_RELATIONSHIP], el (x, 2));
  set (&m->col[COL_MAINTENANCE_TYPE], maintenance_word (el (x, 3)));
  set (&m->employment, el (x, 8));
}

/* Moves the finished member to x->out, deriving its identifiers and coverage. */
static void
member_finish (PdX12 *x)
{
  Member *m = &x->cur;

  if (m->subscriber)
    {
      set (&m->col[COL_MEMBER_ID], m->ref_0f);
      set (&x->last_subscriber, m->ref_0f);
      x->dependent_seq = 0;
    }
  else
    {
      set (&m->col[COL_EMPLOYEE_MEMBER_ID], m->ref_0f);
      if (g_strcmp0 (m->ref_0f, x->last_subscriber) != 0)
        {
          set (&x->last_subscriber, m->ref_0f);
          x->dependent_seq = 0;
        }
      x->dependent_seq++;
      if (m->ref_own != NULL)
        set (&m->col[COL_MEMBER_ID], m->ref_own);
      else if (m->ref_0f != NULL)
        m->col[COL_MEMBER_ID] = g_strdup_printf ("%s-%u", m->ref_0f, x->dependent_seq);
    }
  set_first (&m->col[COL_GROUP_ID], x->group_38);
  set_first (&m->col[COL_COVERAGE_START], m->date_348);
  set_first (&m->col[COL_COVERAGE_START], m->date_356);
  set_first (&m->col[COL_COVERAGE_END], m->date_349);
  set_first (&m->col[COL_COVERAGE_END], m->date_357);

  member_clear (&x->out);
  x->out = x->cur;
  memset (&x->cur, 0, sizeof x->cur);
  x->have_cur = FALSE;
  for (guint i = 0; i < N_COLS; i++)
    x->fields[i] = x->out.col[i] != NULL ? x->out.col[i] : "";
  x->fields[N_COLS] = NULL;
}

static void
member_ref (PdX12 *x)
{
  Member     *m = &x->cur;
  const char *q = el (x, 1), *v = el (x, 2);
  gboolean    loop_2000 = x->nm1[0] == '\0' && !x->in_hd;

  if (strcmp (q, "0F") == 0 && loop_2000)
    set_first (&m->ref_0f, v);
  else if ((strcmp (q, "23") == 0 || strcmp (q, "ZZ") == 0) && loop_2000)
    set_first (&m->ref_own, v);
  else if (strcmp (q, "1L") == 0)
    set_first (&m->col[COL_GROUP_ID], v);
}

static void
member_dtp (PdX12 *x)
{
  Member          *m = &x->cur;
  const char      *q = el (x, 1), *format = el (x, 2), *v = el (x, 3);
  g_autofree char *first = NULL, *second = NULL;
  const char      *dash = strchr (v, '-');

  if (strcmp (format, "RD8") == 0 && dash != NULL)
    {
      g_autofree char *a = g_strndup (v, (gsize) (dash - v));
      first = d8 (a);
      second = d8 (dash + 1);
    }
  else
    first = d8 (v);

  if (strcmp (q, "348") == 0)
    {
      set_first (&m->date_348, first);
      set_first (&m->date_349, second);
    }
  else if (strcmp (q, "349") == 0)
    set_first (&m->date_349, first);
  else if (strcmp (q, "356") == 0)
    {
      set_first (&m->date_356, first);
      set_first (&m->date_357, second);
    }
  else if (strcmp (q, "357") == 0)
    set_first (&m->date_357, first);
}

static void
member_per (PdX12 *x)
{
  Member *m = &x->cur;

  for (guint i = 3; i + 1 < x->els->len && i <= 7; i += 2)
    {
      const char *q = el (x, i), *v = el (x, i + 1);

      if (strcmp (q, "EM") == 0)
        set_first (&m->col[COL_EMAIL], v);
      else if (strcmp (q, "TE") == 0 || strcmp (q, "HP") == 0 || strcmp (q, "CP") == 0 ||
               strcmp (q, "WP") == 0 || strcmp (q, "BN") == 0)
        set_first (&m->col[COL_PHONE], v);
    }
}

/* NM1*IL and what follows it until the next loop: the member's own name, address and contact. */
static void
member_name_loop (PdX12 *x)
{
  Member *m = &x->cur;

  if (is_tag (x, "NM1"))
    {
      g_strlcpy (x->nm1, el (x, 1), sizeof x->nm1);
      if (strcmp (x->nm1, "IL") == 0)
        {
          set_first (&m->col[COL_LAST_NAME], el (x, 3));
          set_first (&m->col[COL_FIRST_NAME], el (x, 4));
        }
      return;
    }
  if (strcmp (x->nm1, "IL") != 0)
    return;
  if (is_tag (x, "PER"))
    member_per (x);
  else if (is_tag (x, "N3") && m->col[COL_STREET] == NULL)
    m->col[COL_STREET] = *el (x, 2) ? g_strdup_printf ("%s %s", el (x, 1), el (x, 2))
                                     : g_strdup (el (x, 1));
  else if (is_tag (x, "N4"))
    {
      set_first (&m->col[COL_CITY], el (x, 1));
      set_first (&m->col[COL_STATE], el (x, 2));
      set_first (&m->col[COL_POSTAL_CODE], el (x, 3));
    }
  else if (is_tag (x, "DMG"))
    {
      g_autofree char *date = d8 (el (x, 2));
      set_first (&m->col[COL_DATE_OF_BIRTH], date);
      set_first (&m->col[COL_GENDER], el (x, 3));
    }
}

static SegResult
handle_transaction_segment (PdX12 *x)
{
  x->st_count++;
  if (is_tag (x, "INS"))
    {
      gboolean row = x->have_cur;

      if (row)
        member_finish (x);
      member_start (x);
      return row ? SEG_ROW : SEG_CONTINUE;
    }
  if (!x->have_cur)
    {
      /* the transaction's header: BGN, REF*38, DTP, N1 loops */
      if (is_tag (x, "REF") && strcmp (el (x, 1), "38") == 0)
        set (&x->group_38, el (x, 2));
      return SEG_CONTINUE;
    }
  if (is_tag (x, "REF"))
    member_ref (x);
  else if (is_tag (x, "DTP"))
    member_dtp (x);
  else if (is_tag (x, "HD"))
    {
      x->in_hd = TRUE;
      x->nm1[0] = '\0';
    }
  else
    member_name_loop (x);
  return SEG_CONTINUE;
}

static SegResult
handle_segment (PdX12   *x,
                GError **error)
{
  if (is_envelope (x))
    {
      gboolean row = is_tag (x, "SE") && x->in_st && x->have_cur;

      if (!handle_envelope (x, error))
        return SEG_ERROR;
      if (!row)
        return SEG_CONTINUE;
      member_finish (x);
      return SEG_ROW;
    }
  if (!x->in_st)
    {
      fail (error, _("Segment %u: “%s” appears outside a transaction (ST … SE)"), x->seg_no,
            el (x, 0));
      return SEG_ERROR;
    }
  return handle_transaction_segment (x);
}

static gboolean
at_end (PdX12   *x,
        GError **error)
{
  if (x->in_st)
    return fail (error, _("Segment %u: the file ends inside a transaction with no SE segment; it may be truncated"),
                 x->seg_no);
  if (x->in_isa)
    return fail (error, _("Segment %u: the file ends without an IEA segment; it may be truncated"),
                 x->seg_no);
  return FALSE;
}

gboolean
_pd_x12_next (PdTableReader  *self,
              const char   ***fields,
              guint          *line,
              GError        **error)
{
  PdX12 *x = self->x12;

  for (;;)
    {
      GError   *local = NULL;
      SegResult result;

      if (!read_segment (self, x, &local))
        {
          if (local != NULL)
            {
              g_propagate_error (error, local);
              return FALSE;
            }
          return at_end (x, error);
        }
      result = handle_segment (x, error);
      if (result == SEG_ERROR)
        return FALSE;
      if (result == SEG_ROW)
        {
          /* the row's segment, not the one that ended it */
          *line = x->out.segment;
          *fields = x->fields;
          return TRUE;
        }
    }
}

/* ---- Opening: the separators from the ISA ---- */

static gboolean
valid_separator (guint8 c)
{
  return c != 0 && c < 0x80 && !g_ascii_isalnum (c) && c != ' ';
}

static gboolean
find_separators (PdTableReader *self,
                 PdX12         *x)
{
  const guint8 *p = self->chunk + self->chunk_pos, *end = self->chunk + self->chunk_len;
  guint         n = 0;

  while (p < end && is_space ((char) *p))
    p++;
  self->chunk_pos = (gsize) (p - self->chunk);
  if (end - p < 4 || memcmp (p, "ISA", 3) != 0)
    return FALSE;
  x->elem = (char) p[3];
  /* ISA16 follows the 16th element separator; the terminator follows ISA16 */
  for (p += 3; p < end && p < self->chunk + self->chunk_pos + 512; p++)
    if (*p == (guint8) x->elem && ++n == 16)
      break;
  if (n != 16 || end - p < 3)
    return FALSE;
  x->sub = (char) p[1];
  x->term = (char) p[2];
  return valid_separator ((guint8) x->elem) && valid_separator ((guint8) x->sub) &&
         x->elem != '\r' && x->elem != '\n' && x->sub != '\r' && x->sub != '\n' &&
         (valid_separator ((guint8) x->term) || x->term == '\r' || x->term == '\n') &&
         x->elem != x->sub && x->elem != x->term && x->sub != x->term;
}

gboolean
_pd_x12_open (PdTableReader *self,
              GError       **error)
{
  PdX12   *x = g_new0 (PdX12, 1);
  GError  *local = NULL;
  gboolean ok;

  self->x12 = x;
  x->seg = g_string_sized_new (256);
  x->els = g_ptr_array_new ();
  self->header = g_strdupv ((char **) x12_columns);
  self->n_columns = N_COLS;

  if (!_pd_reader_fill (self, &local))
    {
      if (local != NULL)
        g_propagate_error (error, local);
      else
        g_set_error_literal (error, PD_ERROR, PD_ERROR_INVALID, _("The file is empty"));
      return FALSE;
    }
  ok = find_separators (self, x);
  if (!ok)
    return fail (error, _("Segment 1: the file starts with “ISA” but its ISA segment is garbled"));
  return TRUE;
}
