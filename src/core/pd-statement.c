/* pd-statement.c: a partner's commission statement for a period, as CSV and as PDF (cairo). */
#include "config.h"

#include <cairo-pdf.h>
#include <cairo.h>
#include <glib/gi18n-lib.h>
#include <string.h>

#include "pd-commission.h"
#include "pd-error.h"
#include "pd-money.h"
#include "pd-statement.h"

void
pd_statement_free (PdStatement *statement)
{
  if (statement == NULL)
    return;
  g_free (statement->practice_name);
  g_free (statement->partner_id);
  g_free (statement->partner_name);
  g_free (statement->period_text);
  g_free (statement->currency);
  g_free (statement->mode_text);
  g_clear_pointer (&statement->lines, g_ptr_array_unref);
  g_free (statement);
}

static char *
mode_text (PdStore        *store,
           const char     *partner_id,
           const PdPeriod *period)
{
  g_auto(PdCommissionRate) rate = { 0 };
  GDate last = period->to;
  char date[16];

  g_date_subtract_days (&last, 1);
  g_date_strftime (date, sizeof date, "%Y-%m-%d", &last);
  if (!pd_commission_rate_at (store, partner_id, date, &rate, NULL))
    return g_strdup ("");
  if (g_strcmp0 (rate.mode, "fixed") == 0)
    {
      g_autofree char *amount = pd_money_format (rate.fixed, pd_money_get_currency ());

      /* TRANSLATORS: a fixed commission, "25.00 EUR per booking" */
      return g_strdup_printf (_("%s per booking"), amount);
    }
  return pd_percent_format (rate.percent);
}

PdStatement *
pd_statement_build (PdStore        *store,
                    const char     *partner_id,
                    const PdPeriod *period,
                    GError        **error)
{
  g_autoptr(PdStatement) st = NULL;
  g_autoptr(PdRecord) partner = NULL;
  g_autoptr(GPtrArray) lines = NULL;
  gboolean visible;

  g_return_val_if_fail (PD_IS_STORE (store), NULL);
  g_return_val_if_fail (partner_id != NULL && period != NULL, NULL);

  partner = pd_store_get (store, &pd_partner_type, partner_id, error);
  if (partner == NULL)
    return NULL;
  lines = pd_statistics_list_lines (store, partner_id, period, 0, 0, error);
  if (lines == NULL)
    return NULL;
  st = g_new0 (PdStatement, 1);
  st->practice_name = pd_store_get_setting (store, "practice_name");
  if (st->practice_name == NULL || *st->practice_name == '\0')
    {
      g_free (st->practice_name);
      st->practice_name = g_strdup (_("Partner Desk"));
    }
  st->partner_id = g_strdup (partner_id);
  st->partner_name = g_strdup (pd_record_get_title (partner));
  st->period = *period;
  st->period_text = pd_period_format (period);
  st->currency = g_strdup (pd_money_get_currency ());
  st->mode_text = mode_text (store, partner_id, period);
  st->lines = g_ptr_array_new_with_free_func ((GDestroyNotify) pd_booking_line_free);
  visible = pd_record_get_bool (partner, "patient_data_visible");
  for (guint i = 0; i < lines->len; i++)
    {
      PdBookingLine *line = g_ptr_array_index (lines, i);

      if (line->cancelled)
        continue;
      if (!visible)
        {
          g_free (line->patient);
          line->patient = g_strdup ("—");
        }
      st->count++;
      st->total_price += line->price;
      st->total_commission += line->commission;
      g_ptr_array_add (st->lines, g_steal_pointer (&lines->pdata[i]));
    }
  return g_steal_pointer (&st);
}

/* CSV */

/* "1234.50" whatever the locale: spreadsheets read it. */
static char *
plain_amount (gint64 minor)
{
  guint64 abs = minor < 0 ? (guint64) -minor : (guint64) minor;

  return g_strdup_printf ("%s%" G_GUINT64_FORMAT ".%02u", minor < 0 ? "-" : "",
                          abs / 100, (guint) (abs % 100));
}

static void
csv_field (GString    *out,
           const char *text,
           gboolean    last)
{
  text = text ? text : "";
  if (strpbrk (text, ",\"\r\n"))
    {
      g_string_append_c (out, '"');
      for (const char *p = text; *p; p++)
        {
          if (*p == '"')
            g_string_append_c (out, '"');
          g_string_append_c (out, *p);
        }
      g_string_append_c (out, '"');
    }
  else
    g_string_append (out, text);
  g_string_append (out, last ? "\r\n" : ",");
}

/* The local "2026-03-04 09:30" of a stored UTC timestamp. */
static char *
local_time_text (const char *timestamp)
{
  g_autoptr(GDateTime) utc = timestamp ? g_date_time_new_from_iso8601 (timestamp, NULL) : NULL;
  g_autoptr(GDateTime) local = NULL;

  if (utc == NULL)
    return g_strdup (timestamp ? timestamp : "");
  local = g_date_time_to_local (utc);
  return g_date_time_format (local, "%Y-%m-%d %H:%M");
}

char *
pd_statement_to_csv (PdStatement *st)
{
  GString *out = g_string_new (NULL);
  g_autofree char *total_label = NULL;
  g_autofree char *price = NULL;
  g_autofree char *commission = NULL;

  g_return_val_if_fail (st != NULL, NULL);

  csv_field (out, _("Date"), FALSE);
  csv_field (out, _("Examination"), FALSE);
  csv_field (out, _("Institution"), FALSE);
  csv_field (out, _("Patient"), FALSE);
  csv_field (out, _("Price"), FALSE);
  csv_field (out, _("Commission"), TRUE);
  for (guint i = 0; i < st->lines->len; i++)
    {
      PdBookingLine *line = g_ptr_array_index (st->lines, i);
      g_autofree char *when = local_time_text (line->booked_at);
      g_autofree char *p = plain_amount (line->price);
      g_autofree char *c = plain_amount (line->commission);

      csv_field (out, when, FALSE);
      csv_field (out, line->examination, FALSE);
      csv_field (out, line->institution, FALSE);
      csv_field (out, line->patient, FALSE);
      csv_field (out, p, FALSE);
      csv_field (out, c, TRUE);
    }
  total_label = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Total (%d booking)",
                                              "Total (%d bookings)", (gulong) st->count),
                                 (int) st->count);
  price = plain_amount (st->total_price);
  commission = plain_amount (st->total_commission);
  csv_field (out, total_label, FALSE);
  csv_field (out, "", FALSE);
  csv_field (out, "", FALSE);
  csv_field (out, "", FALSE);
  csv_field (out, price, FALSE);
  csv_field (out, commission, TRUE);
  return g_string_free (out, FALSE);
}

gboolean
pd_statement_write_csv (PdStatement  *statement,
                        const char   *path,
                        GError      **error)
{
  g_autofree char *csv = NULL;

  g_return_val_if_fail (statement != NULL && path != NULL, FALSE);

  csv = pd_statement_to_csv (statement);
  return g_file_set_contents (path, csv, -1, error);
}

/* PDF */

#define PAGE_W 595.0
#define PAGE_H 842.0
#define MARGIN 50.0
#define LINE_H 14.0
#define BODY_SIZE 8.5

typedef struct {
  cairo_t     *cr;
  PdStatement *st;
  double       y;
  int          page;
} Pdf;

/* Column x positions (left edges; the last two are right edges) and widths. */
static const double col_x[] = { MARGIN, 130.0, 274.0, 374.0, 486.0, PAGE_W - MARGIN };
static const double col_w[] = { 78.0, 140.0, 96.0, 64.0 };

static void
set_font (cairo_t *cr,
          double   size,
          gboolean bold)
{
  cairo_select_font_face (cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL,
                          bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size (cr, size);
}

static double
text_width (cairo_t    *cr,
            const char *text)
{
  cairo_text_extents_t ext;

  cairo_text_extents (cr, text, &ext);
  return ext.x_advance;
}

/* TEXT cut with "…" to fit WIDTH. Owned. */
static char *
fit_text (cairo_t    *cr,
          const char *text,
          double      width)
{
  g_autoptr(GString) s = NULL;

  text = text ? text : "";
  if (text_width (cr, text) <= width)
    return g_strdup (text);
  s = g_string_new (text);
  while (s->len > 0)
    {
      const char *prev = g_utf8_find_prev_char (s->str, s->str + s->len);
      g_autofree char *candidate = NULL;

      g_string_truncate (s, prev ? (gsize) (prev - s->str) : 0);
      candidate = g_strconcat (s->str, "…", NULL);
      if (text_width (cr, candidate) <= width)
        return g_steal_pointer (&candidate);
    }
  return g_strdup ("…");
}

static void
show_at (cairo_t    *cr,
         double      x,
         double      y,
         const char *text)
{
  cairo_move_to (cr, x, y);
  cairo_show_text (cr, text ? text : "");
}

static void
show_right (cairo_t    *cr,
            double      right,
            double      y,
            const char *text)
{
  show_at (cr, right - text_width (cr, text), y, text);
}

static void
rule (cairo_t *cr,
      double   y)
{
  cairo_set_line_width (cr, 0.5);
  cairo_move_to (cr, MARGIN, y);
  cairo_line_to (cr, PAGE_W - MARGIN, y);
  cairo_stroke (cr);
}

static void
table_header (Pdf *pdf)
{
  const char *titles[] = { _("Date"), _("Examination"), _("Institution"), _("Patient") };

  set_font (pdf->cr, BODY_SIZE, TRUE);
  for (guint i = 0; i < G_N_ELEMENTS (titles); i++)
    show_at (pdf->cr, col_x[i], pdf->y, titles[i]);
  show_right (pdf->cr, col_x[4], pdf->y, _("Price"));
  show_right (pdf->cr, col_x[5], pdf->y, _("Commission"));
  rule (pdf->cr, pdf->y + 4);
  pdf->y += LINE_H + 2;
  set_font (pdf->cr, BODY_SIZE, FALSE);
}

static void
page_footer (Pdf *pdf)
{
  g_autofree char *text = g_strdup_printf (_("%s — %s, %s — page %d"), pdf->st->practice_name,
                                           pdf->st->partner_name, pdf->st->period_text,
                                           pdf->page);

  set_font (pdf->cr, 7.5, FALSE);
  show_at (pdf->cr, MARGIN, PAGE_H - 30, text);
}

static void
new_page (Pdf *pdf)
{
  page_footer (pdf);
  cairo_show_page (pdf->cr);
  pdf->page++;
  pdf->y = MARGIN + 10;
  table_header (pdf);
}

static void
heading (Pdf *pdf)
{
  PdStatement *st = pdf->st;
  g_autofree char *partner = g_strdup_printf (_("Partner: %s"), st->partner_name);
  g_autofree char *period = g_strdup_printf (_("Period: %s"), st->period_text);
  g_autofree char *terms = g_strdup_printf (_("Commission: %s"), st->mode_text);
  g_autofree char *currency = g_strdup_printf (_("Currency: %s"), st->currency);

  set_font (pdf->cr, 16, TRUE);
  show_at (pdf->cr, MARGIN, pdf->y, st->practice_name);
  pdf->y += 24;
  set_font (pdf->cr, 13, FALSE);
  show_at (pdf->cr, MARGIN, pdf->y, _("Commission statement"));
  pdf->y += 22;
  set_font (pdf->cr, 10, FALSE);
  show_at (pdf->cr, MARGIN, pdf->y, partner);
  pdf->y += LINE_H;
  show_at (pdf->cr, MARGIN, pdf->y, period);
  pdf->y += LINE_H;
  show_at (pdf->cr, MARGIN, pdf->y, terms);
  pdf->y += LINE_H;
  show_at (pdf->cr, MARGIN, pdf->y, currency);
  pdf->y += LINE_H * 2;
  table_header (pdf);
}

static void
table_line (Pdf           *pdf,
            PdBookingLine *line)
{
  g_autofree char *when = local_time_text (line->booked_at);
  const char *cells[] = { when, line->examination, line->institution, line->patient };
  g_autofree char *price = pd_money_format_plain (line->price);
  g_autofree char *commission = pd_money_format_plain (line->commission);

  if (pdf->y > PAGE_H - MARGIN - 20)
    new_page (pdf);
  for (guint i = 0; i < G_N_ELEMENTS (cells); i++)
    {
      g_autofree char *fitted = fit_text (pdf->cr, cells[i], col_w[i]);

      show_at (pdf->cr, col_x[i], pdf->y, fitted);
    }
  show_right (pdf->cr, col_x[4], pdf->y, price);
  show_right (pdf->cr, col_x[5], pdf->y, commission);
  pdf->y += LINE_H;
}

static void
totals (Pdf *pdf)
{
  PdStatement *st = pdf->st;
  g_autofree char *label = NULL;
  g_autofree char *price = pd_money_format_plain (st->total_price);
  g_autofree char *commission = pd_money_format_plain (st->total_commission);

  if (pdf->y > PAGE_H - MARGIN - 40)
    new_page (pdf);
  rule (pdf->cr, pdf->y - LINE_H + 4);
  pdf->y += 4;
  label = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Total (%d booking)",
                                        "Total (%d bookings)", (gulong) st->count),
                           (int) st->count);
  set_font (pdf->cr, BODY_SIZE + 1, TRUE);
  show_at (pdf->cr, MARGIN, pdf->y, label);
  show_right (pdf->cr, col_x[4], pdf->y, price);
  show_right (pdf->cr, col_x[5], pdf->y, commission);
  pdf->y += LINE_H;
}

static cairo_status_t
write_to_bytes (void                *closure,
                const unsigned char *data,
                unsigned int         length)
{
  g_byte_array_append (closure, data, length);
  return CAIRO_STATUS_SUCCESS;
}

static void
draw (cairo_t     *cr,
      PdStatement *st)
{
  Pdf pdf = { cr, st, MARGIN + 10, 1 };

  cairo_set_source_rgb (cr, 0, 0, 0);
  heading (&pdf);
  if (st->lines->len == 0)
    {
      show_at (cr, MARGIN, pdf.y, _("No bookings in this period."));
      pdf.y += LINE_H * 2;
    }
  for (guint i = 0; i < st->lines->len; i++)
    table_line (&pdf, g_ptr_array_index (st->lines, i));
  pdf.y += 6;
  totals (&pdf);
  page_footer (&pdf);
  cairo_show_page (cr);
}

gboolean
pd_statement_write_pdf (PdStatement  *statement,
                        const char   *path,
                        GError      **error)
{
  g_autoptr(GByteArray) bytes = g_byte_array_new ();
  cairo_surface_t *surface;
  cairo_t *cr;
  cairo_status_t status;

  g_return_val_if_fail (statement != NULL && path != NULL, FALSE);

  surface = cairo_pdf_surface_create_for_stream (write_to_bytes, bytes, PAGE_W, PAGE_H);
  cairo_pdf_surface_set_metadata (surface, CAIRO_PDF_METADATA_TITLE, _("Commission statement"));
  cairo_pdf_surface_set_metadata (surface, CAIRO_PDF_METADATA_AUTHOR, statement->practice_name);
  cr = cairo_create (surface);
  draw (cr, statement);
  status = cairo_status (cr);
  cairo_destroy (cr);
  cairo_surface_finish (surface);
  if (status == CAIRO_STATUS_SUCCESS)
    status = cairo_surface_status (surface);
  cairo_surface_destroy (surface);
  if (status != CAIRO_STATUS_SUCCESS)
    {
      g_set_error (error, PD_ERROR, PD_ERROR_DATABASE, _("Could not draw the statement: %s"),
                   cairo_status_to_string (status));
      return FALSE;
    }
  return g_file_set_contents (path, (const char *) bytes->data, (gssize) bytes->len, error);
}

char *
pd_statement_suggest_file_name (PdStatement *statement,
                                const char  *extension)
{
  g_autofree char *name = NULL;
  g_autofree char *when = NULL;
  char from[16];

  g_return_val_if_fail (statement != NULL && extension != NULL, NULL);

  name = g_strdelimit (g_strdup (statement->partner_name), "/\\:*?\"<>|", '-');
  g_date_strftime (from, sizeof from, "%Y-%m", &statement->period.from);
  when = g_date_get_day (&statement->period.from) == 1 ? g_strdup (from)
                                                       : pd_period_format (&statement->period);
  g_strdelimit (when, "/\\:", '-');
  /* TRANSLATORS: a file name: "Statement Acme Logistics GmbH 2026-03.pdf" */
  return g_strdup_printf (_("Statement %s %s.%s"), name, when, extension);
}
